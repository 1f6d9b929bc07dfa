using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Tls;

namespace RdpHandshake.Fuzz;

/// <summary>
/// The fuzz targets by name. Each oracle takes arbitrary bytes and throws only when an invariant breaks,
/// which is what a fuzzer reports as a crash.
/// </summary>
public static class Oracles
{
    public static IReadOnlyDictionary<string, Action<byte[]>> Targets { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["x224"] = input => X224Oracle.Run(input),
        ["tls-record"] = TlsRecord,
        ["ntlm"] = Ntlm,
        ["credssp"] = CredSsp,
        ["certificate"] = Certificate,
        ["tls-session"] = TlsSession,
        ["mcs"] = SessionOracles.Mcs,
        ["session"] = SessionOracles.Session,
        ["kerberos"] = Kerberos,
        ["proxy"] = ProxyOracle.Run,
        ["tsgu"] = TsguOracle.Run,
        ["capture"] = AnalysisOracles.Capture,
        ["tcp-stream"] = AnalysisOracles.TcpStream,
    };

    private static readonly DateTimeOffset AnalysisTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>What the server may send where a TLS record is expected: a record header, or xrdp's MCS ultimatum.</summary>
    public static void TlsRecord(byte[] input)
    {
        Stable<TlsRecordHeader>(input.AsSpan(0, Math.Min(input.Length, TlsRecordHeader.FixedPartSize)));
        FrameSize size = TlsRecordHeader.FindFrameSize(input);
        if (size.Status == FrameSizeStatus.Complete && size.Length > TlsRecordHeader.MaxRecordSize)
        {
            throw new InvalidOperationException($"a TLS record of {size.Length} bytes passed the size bound");
        }

        Stable<DisconnectProviderUltimatum>(input);
    }

    /// <summary>The three NTLM messages: decode, re-encode, and the re-encoding is a fixed point.</summary>
    public static void Ntlm(byte[] input)
    {
        Stable<NtlmNegotiateMessage>(input);
        Stable<NtlmChallengeMessage>(input);
        Stable<NtlmAuthenticateMessage>(input);
    }

    /// <summary>TSRequest and the SPNEGO tokens inside it, each as a decode/encode fixed point.</summary>
    public static void CredSsp(byte[] input)
    {
        FrameSize size = TsRequest.FindFrameSize(input.AsSpan(0, Math.Min(input.Length, 6)));
        if (size.Status == FrameSizeStatus.Complete && size.Length > TsRequest.MaxSize + 6)
        {
            throw new InvalidOperationException($"a TSRequest of {size.Length} bytes passed the size bound");
        }

        Stable<TsRequest>(input);
        Stable<SpnegoNegTokenInit>(input);
        Stable<SpnegoNegTokenResp>(input);
    }

    /// <summary>
    /// What a KDC or a Kerberos acceptor sends a client (RFC 4120, RFC 4121): a TCP frame, or the message inside it
    /// (AS-REP, TGS-REP, KRB-ERROR, AP-REP, the decrypted EncKDCRepPart and EncAPRepPart), or a GSS token; each a
    /// decode/encode fixed point, the frame size bounded, and the e-data readers of a KRB-ERROR never throwing.
    /// </summary>
    public static void Kerberos(byte[] input)
    {
        FrameSize size = KdcTcpFrame.FindFrameSize(input.AsSpan(0, Math.Min(input.Length, KdcTcpFrame.LengthPrefixSize)));
        if (size.Status == FrameSizeStatus.Complete && size.Length > KdcTcpFrame.LengthPrefixSize + KdcTcpFrame.MaxMessageLength)
        {
            throw new InvalidOperationException($"a Kerberos TCP frame of {size.Length} bytes passed the size bound");
        }

        Stable<KdcTcpFrame>(input);
        ReadOnlySpan<byte> message = Pdu.Decode<KdcTcpFrame>(input) is { IsSuccess: true } frame ? frame.Value.Message.Span : input;
        Stable<KdcRep>(message);
        Stable<KrbError>(message);
        Stable<ApRep>(message);
        Stable<EncKdcRepPart>(message);
        Stable<EncApRepPart>(message);
        Stable<MethodData>(message);
        Stable<EtypeInfo2>(message);
        Stable<KerbErrorData>(message);
        if (Pdu.Decode<KrbError>(message) is { IsSuccess: true } error)
        {
            _ = error.Value.FindNtStatus();
            _ = error.Value.FindEtypeInfo2();
        }

        Stable<KerberosGssToken>(input);
        if (Pdu.Decode<KerberosGssToken>(input) is { IsSuccess: true } token)
        {
            Stable<ApRep>(token.Value.InnerMessage.Span);
            Stable<KrbError>(token.Value.InnerMessage.Span);
        }

        // The client reading the message as the KDC's reply to each request in turn: an answer or a failure, never an
        // exception. Only rc4-hmac is offered, so a reply's string-to-key parameters cannot ask for PBKDF2 iterations.
        // Built here, not in a static field: instrumented code must not run before the fuzzer's coverage map exists.
        using var client = new Crypto.Kerberos.KerberosPackage(
            new Crypto.Credentials("alice", "RDPHS.TEST", new Crypto.Secret("fuzz-password")),
            new Crypto.Kerberos.KerberosOptions("RDPHS.TEST", PrincipalName.TermSrv("localhost"), [Crypto.Kerberos.KerberosEtype.Rc4Hmac]));
        for (int round = 0; round < 3 && client.PendingKdcExchange is not null; round++)
        {
            client.KdcRequest();
            if (client.AcceptKdcReply(message).Failure is not null)
            {
                break;
            }
        }
    }


    /// <summary>
    /// The server's X.509 certificate as the TLS layer hands it over: any DER gives a report (an unparsable one
    /// included), never an exception, and the fingerprints are those of the bytes received.
    /// </summary>
    public static void Certificate(byte[] input)
    {
        CertificateReport report = CertificateAnalysis.Analyze([input], "rdp.example.com", AnalysisTime)
            ?? throw new InvalidOperationException("no report for a one-certificate chain");
        string sha256 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(input));
        if (!string.Equals(report.Sha256Fingerprint, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"SHA-256 fingerprint {report.Sha256Fingerprint} is not that of the input");
        }
    }

    /// <summary>
    /// Whatever a server answers to our ClientHello, the TLS session reports it as output and a failure, never as
    /// an exception: the same path the prober takes with every record it reads.
    /// </summary>
    public static void TlsSession(byte[] input)
    {
        // A fixed random source: the same input must take the same path, or AFL++ cannot learn from it.
        var random = Org.BouncyCastle.Security.SecureRandom.GetInstance("SHA256PRNG", autoSeed: false);
        random.SetSeed(1);
        var session = new TlsClientSession(new TlsOffer(), random);
        session.Start();
        (_, TlsFailure? failure) = session.Receive(input);
        if (failure is null && session.IsConnected)
        {
            throw new InvalidOperationException("the handshake completed, yet no server can know the keys of this session");
        }
    }

    internal static void Stable<T>(ReadOnlySpan<byte> input) where T : IPdu<T> =>
        FixedPoint(T.PduName, input, b => Pdu.Decode<T>(b), Pdu.Encode);

    /// <summary>
    /// decode(input) either fails with a reason, or succeeds and then encode(decode(...)) is stable: encoding the
    /// decode of our own encoding gives the same bytes. (Inputs need not be canonical, so input itself may differ.)
    /// </summary>
    internal static void FixedPoint<T>(string name, ReadOnlySpan<byte> input, DecodeFunc<T> decode, Func<T, byte[]> encode)
    {
        DecodeResult<T> first = decode(input);
        if (!first.IsSuccess)
        {
            if (string.IsNullOrEmpty(first.Error.Reason))
            {
                throw new InvalidOperationException($"{name} rejected input without a reason");
            }

            return;
        }

        byte[] encoded = encode(first.Value!);
        DecodeResult<T> second = decode(encoded);
        if (!second.IsSuccess)
        {
            throw new InvalidOperationException($"{name}: our own encoding does not decode: {second.Error}");
        }

        if (!encode(second.Value!).AsSpan().SequenceEqual(encoded))
        {
            throw new InvalidOperationException($"{name}: encode(decode(encode(x))) differs from encode(x)");
        }
    }

    internal delegate DecodeResult<T> DecodeFunc<T>(ReadOnlySpan<byte> bytes);
}
