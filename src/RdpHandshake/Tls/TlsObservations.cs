using RdpHandshake.Protocol.Tls;

namespace RdpHandshake.Tls;

/// <summary>
/// What the TLS client saw during the handshake. The TLS peer only records; the connector and the engine decide
/// what a combination of facts means (no common version, expired certificate, ...).
/// </summary>
public sealed class TlsObservations
{
    public IReadOnlyList<TlsVersion> OfferedVersions { get; internal set; } = [];

    public IReadOnlyList<int> OfferedCipherSuites { get; internal set; } = [];

    public TlsVersion? ServerVersion { get; internal set; }

    public int? CipherSuite { get; internal set; }

    public int? NamedGroup { get; internal set; }

    /// <summary>The server's certificate chain as DER, leaf first.</summary>
    public IReadOnlyList<byte[]> CertificateChain { get; internal set; } = [];

    public bool? SecureRenegotiation { get; internal set; }

    public bool HandshakeComplete { get; internal set; }

    public List<TlsAlert> AlertsReceived { get; } = [];

    public List<TlsAlert> AlertsRaised { get; } = [];

    /// <summary>The handshake milestone reached: ServerHello, Certificate, Finished.</summary>
    public TlsMilestone Milestone =>
        HandshakeComplete ? TlsMilestone.Finished
        : CertificateChain.Count > 0 ? TlsMilestone.Certificate
        : ServerVersion is not null && CipherSuite is not null ? TlsMilestone.ServerHello
        : TlsMilestone.ClientHello;
}
