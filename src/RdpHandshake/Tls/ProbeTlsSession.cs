using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;

namespace RdpHandshake.Tls;

/// <summary>
/// The engine's TLS client as the connector drives it: <see cref="TlsClientSession"/> (BouncyCastle behind a sans-IO
/// face) plus what only the engine knows: the names of versions and suites, and the certificate's analysis against
/// the host name, the clock, the trust anchors and the certificate policy.
/// </summary>
/// <param name="session">The TLS client.</param>
/// <param name="serverName">The SNI sent, or null.</param>
/// <param name="hostName">The name the certificate is checked against when no SNI was sent.</param>
/// <param name="now">The time the certificate's validity is judged at.</param>
/// <param name="trust">Trust anchors for the <c>untrusted</c> finding; null to skip.</param>
/// <param name="policy">Finding codes that fail the run.</param>
public sealed class ProbeTlsSession(TlsClientSession session, string? serverName, string? hostName, Func<DateTimeOffset> now, TrustAnchors? trust, IReadOnlySet<string> policy)
    : ITlsSession
{
    private CertificateReport? _certificate;
    private bool _analyzed;

    /// <summary>The TLS client, for the report.</summary>
    public TlsClientSession Session => session;

    public string? ServerName => serverName;

    public TlsObservations Seen => session.Seen;

    public TlsMilestone Milestone => session.Seen.Milestone;

    public string OfferedVersions => Seen.OfferedVersions.Count == 0 ? "nothing" : $"{TlsNames.Version(Seen.OfferedVersions[^1])} to {TlsNames.Version(Seen.OfferedVersions[0])}";

    public int OfferedCipherSuiteCount => Seen.OfferedCipherSuites.Count;

    public string ServerVersion => TlsNames.Version(Seen.ServerVersion);

    public ReadOnlyMemory<byte> ServerPublicKey => Seen.CertificateChain.Count == 0
        ? ReadOnlyMemory<byte>.Empty
        : Org.BouncyCastle.Asn1.X509.X509CertificateStructure.GetInstance(Seen.CertificateChain[0]).SubjectPublicKeyInfo.PublicKey.GetBytes();

    public (string Code, string Text)? PolicyViolation =>
        Certificate?.Findings.FirstOrDefault(f => policy.Contains(f.Code)) is { } rejected ? (rejected.Code, rejected.Text) : null;

    /// <summary>The analysis of the server's certificate, once it arrived.</summary>
    public CertificateReport? Certificate
    {
        get
        {
            if (!_analyzed && Seen.CertificateChain.Count > 0)
            {
                _certificate = CertificateAnalysis.Analyze(Seen.CertificateChain, serverName ?? hostName, now(), trust);
                _analyzed = true;
            }

            return _certificate;
        }
    }

    public byte[] Start() => session.Start();

    public TlsReceiveResult Receive(ReadOnlySpan<byte> bytes) => session.Receive(bytes);

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext) => session.Encrypt(plaintext);

    public byte[] ReadApplicationData() => session.ReadApplicationData();

    public TlsStepReport Describe(TlsMilestone milestone) => milestone switch
    {
        TlsMilestone.ClientHello => new TlsStepReport("TLS ClientHello",
            $"offered {TlsNames.Version(Seen.OfferedVersions[0])} to {TlsNames.Version(Seen.OfferedVersions[^1])}, {Seen.OfferedCipherSuites.Count} cipher suites",
            [
                new("versions", string.Join(", ", Seen.OfferedVersions.Select(v => TlsNames.Version(v)))),
                new("cipherSuites", $"{Seen.OfferedCipherSuites.Count}: {string.Join(", ", Seen.OfferedCipherSuites.Select(TlsNames.CipherSuite))}"),
                new("sni", serverName ?? "none"),
            ]),
        TlsMilestone.ServerHello => new TlsStepReport("ServerHello", $"{TlsNames.Version(Seen.ServerVersion)}, {TlsNames.CipherSuite(Seen.CipherSuite ?? 0)}", TlsStepFields.ServerHello(Seen)),
        TlsMilestone.Certificate => new TlsStepReport("Certificate", $"{Seen.CertificateChain.Count} certificate(s)", TlsStepFields.Certificate(Certificate, judgedAt: string.Empty)),
        TlsMilestone.Finished => new TlsStepReport("Finished", "handshake complete", TlsStepFields.Finished(Seen)),
    };

    /// <summary>What the TLS phase established or saw, for the report.</summary>
    public TlsResult Result() => TlsResult.From(Seen, serverName, Certificate);
}
