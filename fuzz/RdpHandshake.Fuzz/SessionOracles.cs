using System.Buffers;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Fuzz;

/// <summary>Oracles for what a server sends after the X.224 connection: MCS, licensing, the share layer, and the connector itself.</summary>
public static class SessionOracles
{
    /// <summary>The MCS and GCC PDUs a server sends, each a decode/encode fixed point.</summary>
    public static void Mcs(byte[] input)
    {
        Oracles.Stable<McsConnectResponse>(input);
        Oracles.Stable<GccConferenceCreateResponse>(input);
        Oracles.Stable<AttachUserConfirm>(input);
        Oracles.Stable<ChannelJoinConfirm>(input);
        Oracles.Stable<SendData>(input);
        Oracles.Stable<ServerConferenceData>(input);
        Oracles.Stable<ServerCoreData>(input);
        Oracles.Stable<ServerSecurityData>(input);
        Oracles.Stable<ServerNetworkData>(input);
        Oracles.Stable<ServerMessageChannelData>(input);
        Oracles.Stable<ServerMultitransportData>(input);
        Oracles.Stable<UserDataBlock>(input);

        // The Standard RDP Security certificate of SC_SECURITY (proprietary or X.509 chain), and its security headers.
        Oracles.Stable<Protocol.Security.ServerCertificate>(input);
        Oracles.Stable<Protocol.Security.NonFipsSecurityHeader>(input);
        Oracles.Stable<Protocol.Security.FipsSecurityHeader>(input);
    }

    /// <summary>
    /// The session connector after a scripted MCS phase over TLS: the input is cut into frames the way the
    /// engine cuts the stream, and fed one by one. Whatever arrives, the connector answers with a step, fails
    /// with a reason, or waits: it never throws and never loops without bound.
    /// </summary>
    public static void Session(byte[] input)
    {
        // Licensing, share layer and redirection decoders on the raw input first.
        Oracles.FixedPoint("licensing PDU", input, b => { var r = new PduReader(b); return LicensingPdu.Decode(ref r); }, Pdu.Encode);
        Oracles.Stable<ServerRedirectionPacket>(input);
        Oracles.Stable<DemandActivePdu>(input);
        DecodeResult<IReadOnlyList<SlowPathPdu>> share = SlowPathPdu.Decode(input);
        if (!share.IsSuccess && string.IsNullOrEmpty(share.Error.Reason))
        {
            throw new InvalidOperationException("the share dispatcher rejected input without a reason");
        }

        ReplaySession(input);
    }

    /// <summary>
    /// Runs the connector from the MCS Connect Initial on, as after a TLS negotiation, through a scripted MCS phase,
    /// then feeds it <paramref name="input"/> cut into frames as the engine cuts the stream, checking the oracle's
    /// invariants at each step. Returns the connector where it stopped and how many input bytes it took as whole
    /// frames (corpus tests replay real captures this way).
    /// </summary>
    public static (ClientConnector Connector, int Consumed) ReplaySession(byte[] input)
    {
        var negotiation = new NegotiationResult(SecurityProtocols.Ssl, true, SecurityProtocols.Ssl, NegotiationResponseFlags.None, null, true);
        ClientConnector connector = ClientConnector.AfterNegotiation(
            new ClientConnectorOptions { Session = new SessionOptions { Channels = [] } }, new ConnectorServices { Random = FixedRandom.Instance }, negotiation);
        var output = new ArrayBufferWriter<byte>();
        foreach (byte[] frame in McsPrefix())
        {
            Drive(connector, output);
            connector.Step(frame, output);
        }

        int offset = 0;
        int steps = 0;
        while (!connector.IsTerminal)
        {
            Drive(connector, output);
            if (connector.Next is not { Read: { } hint })
            {
                break;
            }

            ReadOnlySpan<byte> rest = input.AsSpan(offset);
            FrameSize size = hint.FindSize(rest[..Math.Min(rest.Length, hint.HeaderLength)]);
            if (size.Status == FrameSizeStatus.Invalid)
            {
                StepResult rejected = connector.RejectFrame(size.Error!.Value, rest[..Math.Min(rest.Length, hint.HeaderLength)]);
                Check(rejected);
                break;
            }

            if (size.Status == FrameSizeStatus.NeedMore || size.Length > rest.Length)
            {
                break;
            }

            if (size.Length > hint.MaxFrameLength)
            {
                throw new InvalidOperationException($"a frame of {size.Length} bytes passed the bound of {hint.MaxFrameLength}");
            }

            output.ResetWrittenCount();
            Check(connector.Step(rest[..size.Length], output));
            offset += size.Length;
            if (++steps > 10_000)
            {
                throw new InvalidOperationException("the connector consumed 10 000 frames from one input");
            }
        }

        return (connector, offset);
    }

    private static void Drive(ClientConnector connector, ArrayBufferWriter<byte> output)
    {
        while (connector.Next is { Read: null })
        {
            output.ResetWrittenCount();
            Check(connector.Step([], output));
        }
    }

    private static void Check(StepResult result)
    {
        if (string.IsNullOrEmpty(result.StepName) || string.IsNullOrEmpty(result.Summary))
        {
            throw new InvalidOperationException("a step without a name or summary");
        }

        if (result.Failure is { } failure && string.IsNullOrEmpty(failure.Reason))
        {
            throw new InvalidOperationException($"failure {failure.Cause} without a reason");
        }
    }

    /// <summary>Randomness the replay never draws on (it authenticates nothing); fixed, so replays repeat.</summary>
    private sealed class FixedRandom : IRandomSource
    {
        public static FixedRandom Instance { get; } = new();

        public void Fill(Span<byte> buffer) => buffer.Clear();
    }

    /// <summary>What a TLS-mode server answers up to the channel joins (no static channels): the frames before the fuzzed part.</summary>
    private static IEnumerable<byte[]> McsPrefix()
    {
        var server = new ServerConferenceData(
            new ServerCoreData(0x00080004, 0x01, 0),
            new ServerSecurityData(0, 0, ByteString.Empty, ByteString.Empty),
            new ServerNetworkData(1003, []),
            null, null, []);
        byte[] gcc = Pdu.Encode(new GccConferenceCreateResponse(1002, 1, 0, new ByteString(Pdu.Encode(server))));
        yield return Tpkt(Pdu.Encode(new McsConnectResponse(McsResult.Successful, 0, DomainParameters.Target, new ByteString(gcc))));
        yield return Tpkt(Pdu.Encode(new AttachUserConfirm(McsResult.Successful, 1007)));
        yield return Tpkt(Pdu.Encode(new ChannelJoinConfirm(McsResult.Successful, 1007, 1007, 1007)));
        yield return Tpkt(Pdu.Encode(new ChannelJoinConfirm(McsResult.Successful, 1007, 1003, 1003)));
    }

    private static byte[] Tpkt(byte[] mcs) => Pdu.Encode(new X224Data(new ByteString(mcs)));
}
