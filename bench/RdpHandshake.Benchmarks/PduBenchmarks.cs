using BenchmarkDotNet.Attributes;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using static RdpHandshake.Benchmarks.Vectors;

namespace RdpHandshake.Benchmarks;

/// <summary>X.224 Connection Request / Confirm (MS-RDPBCGR 2.2.1.1 and 2.2.1.2), TPKT included.</summary>
[MemoryDiagnoser]
public class X224Benchmarks
{
    private readonly X224ConnectionRequest _request = new NegotiationOptions().BuildConnectionRequest();
    private readonly X224ConnectionConfirm _confirm = new(new RdpNegotiationResponse(SecurityProtocols.HybridEx, NegotiationResponseFlags.ExtendedClientDataSupported));
    private byte[] _requestBytes = [];
    private byte[] _confirmBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _requestBytes = Pdu.Encode(_request);
        _confirmBytes = Pdu.Encode(_confirm);
    }

    [Benchmark]
    public byte[] ConnectionRequestEncode() => Pdu.Encode(_request);

    [Benchmark]
    public DecodeResult<X224ConnectionRequest> ConnectionRequestDecode() => Pdu.Decode<X224ConnectionRequest>(_requestBytes);

    [Benchmark]
    public byte[] ConnectionConfirmEncode() => Pdu.Encode(_confirm);

    [Benchmark]
    public DecodeResult<X224ConnectionConfirm> ConnectionConfirmDecode() => Pdu.Decode<X224ConnectionConfirm>(_confirmBytes);
}

/// <summary>
/// MCS Connect Initial / Response with their GCC Conference Create PDUs and user data blocks (MS-RDPBCGR
/// 2.2.1.3, 2.2.1.4; the 4.1.3 vector and an xrdp capture), and MCS Send Data (4.1.9's frame).
/// </summary>
[MemoryDiagnoser]
public class McsBenchmarks
{
    private byte[] _connectInitial = [];
    private byte[] _connectResponse = [];
    private byte[] _sendData = [];
    private ClientConferenceData _clientData = null!;
    private SendData _send = null!;

    [GlobalSetup]
    public void Setup()
    {
        _connectInitial = UserData(Load("mcs-connect-initial-4.1.3.hex"));
        _connectResponse = UserData(Load("mcs-connect-response-xrdp-tls.hex"));
        _sendData = UserData(Hex("03 00 00 2a 02 f0 80 68 00 01 03 eb 70 1c 88 02 02 03 8d 43 9a ab d5 2a 31 39 62 4d c1 ec 0d 99 88 e6 da ab 2c 02 72 4d 49 90"));
        _clientData = ConnectInitialDecodeAll();
        _send = Value(Pdu.Decode<SendData>(_sendData));
    }

    /// <summary>Connect Initial, then its GCC request, then the client data blocks.</summary>
    [Benchmark]
    public ClientConferenceData ConnectInitialDecodeAll()
    {
        McsConnectInitial initial = Value(Pdu.Decode<McsConnectInitial>(_connectInitial));
        GccConferenceCreateRequest gcc = Value(Pdu.Decode<GccConferenceCreateRequest>(initial.UserData.Span));
        return Value(Pdu.Decode<ClientConferenceData>(gcc.UserData.Span));
    }

    [Benchmark]
    public byte[] ConnectInitialEncodeAll() =>
        Pdu.Encode(McsConnectInitial.ForRdp(Pdu.Encode(new GccConferenceCreateRequest(new ByteString(Pdu.Encode(_clientData))))));

    /// <summary>Connect Response, then its GCC response, then the server data blocks.</summary>
    [Benchmark]
    public ServerConferenceData ConnectResponseDecodeAll()
    {
        McsConnectResponse response = Value(Pdu.Decode<McsConnectResponse>(_connectResponse));
        GccConferenceCreateResponse gcc = Value(Pdu.Decode<GccConferenceCreateResponse>(response.UserData.Span));
        return Value(Pdu.Decode<ServerConferenceData>(gcc.UserData.Span));
    }

    [Benchmark]
    public DecodeResult<SendData> SendDataDecode() => Pdu.Decode<SendData>(_sendData);

    [Benchmark]
    public byte[] SendDataEncode() => Pdu.Encode(_send);
}

/// <summary>Capability exchange (MS-RDPBCGR 2.2.1.13): the server's Demand Active, the client's Confirm Active.</summary>
[MemoryDiagnoser]
public class ShareBenchmarks
{
    private byte[] _demandBytes = [];
    private byte[] _synchronize = [];
    private ConfirmActivePdu _confirm = null!;

    [GlobalSetup]
    public void Setup()
    {
        DemandActivePdu demand = ServerCapabilities.CreateDemandActive(0x0001_03EA, ServerCapabilities.Create(1024, 768, 16));
        _demandBytes = Pdu.Encode(demand);
        _confirm = ClientCapabilities.CreateConfirmActive(demand, 1007, ClientCapabilities.Create(1024, 768, 24));
        _synchronize = Load("share-synchronize-server-4.1.19.hex");
    }

    [Benchmark]
    public DecodeResult<DemandActivePdu> DemandActiveDecode() => Pdu.Decode<DemandActivePdu>(_demandBytes);

    [Benchmark]
    public byte[] ConfirmActiveEncode() => Pdu.Encode(_confirm);

    /// <summary>Builds the client's capability sets and the Confirm Active from scratch, then encodes it.</summary>
    [Benchmark]
    public byte[] ConfirmActiveBuildAndEncode() => Pdu.Encode(ClientCapabilities.CreateConfirmActive(
        Value(Pdu.Decode<DemandActivePdu>(_demandBytes)), 1007, ClientCapabilities.Create(1024, 768, 24)));

    [Benchmark]
    public DecodeResult<IReadOnlyList<SlowPathPdu>> SynchronizeDecode() => SlowPathPdu.Decode(_synchronize);
}

/// <summary>Licensing (MS-RDPELE 2.2.2): a Windows Server 2003 exchange from FreeRDP's test suite, and 4.1.11.</summary>
[MemoryDiagnoser]
public class LicensingBenchmarks
{
    private byte[] _licenseRequest = [];
    private byte[] _platformChallenge = [];
    private byte[] _validClient = [];
    private LicensingPdu _newLicenseRequest = null!;

    [GlobalSetup]
    public void Setup()
    {
        _licenseRequest = Load("license-server-license-request.hex");
        _platformChallenge = Load("license-server-platform-challenge.hex");
        _validClient = Load("license-error-valid-client-4.1.11.hex");
        _newLicenseRequest = Value(Pdu.Decode<LicensingPdu>(Load("license-client-new-license-request.hex")));
    }

    [Benchmark]
    public DecodeResult<LicensingPdu> ServerLicenseRequestDecode() => Pdu.Decode<LicensingPdu>(_licenseRequest);

    [Benchmark]
    public DecodeResult<LicensingPdu> PlatformChallengeDecode() => Pdu.Decode<LicensingPdu>(_platformChallenge);

    [Benchmark]
    public DecodeResult<LicensingPdu> ValidClientDecode() => Pdu.Decode<LicensingPdu>(_validClient);

    [Benchmark]
    public byte[] ClientNewLicenseRequestEncode() => Pdu.Encode(_newLicenseRequest);
}
