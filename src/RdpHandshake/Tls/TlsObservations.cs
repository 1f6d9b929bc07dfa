using Org.BouncyCastle.Tls;

namespace RdpHandshake.Tls;

/// <summary>A TLS alert, as sent or received.</summary>
/// <param name="Level">1 warning, 2 fatal.</param>
/// <param name="Description">The AlertDescription value.</param>
/// <param name="Message">For alerts we raised: why the library raised it.</param>
public sealed record TlsAlert(short Level, short Description, string? Message = null)
{
    public string Name => TlsNames.Alert(Description);

    public bool IsFatal => Level == AlertLevel.fatal;
}

/// <summary>
/// What the TLS client saw during the handshake. The TLS peer only records; the engine decides what a
/// combination of facts means (no common version, expired certificate, ...).
/// </summary>
public sealed class TlsObservations
{
    public IReadOnlyList<ProtocolVersion> OfferedVersions { get; internal set; } = [];

    public IReadOnlyList<int> OfferedCipherSuites { get; internal set; } = [];

    public ProtocolVersion? ServerVersion { get; internal set; }

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

/// <summary>Handshake milestones in order; each becomes a step of the timeline.</summary>
public enum TlsMilestone
{
    ClientHello,
    ServerHello,
    Certificate,
    Finished,
}
