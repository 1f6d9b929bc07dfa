using RdpHandshake.Crypto;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Tls;

namespace RdpHandshake;

/// <summary>How a probe runs: what the client offers, and how long it waits.</summary>
public sealed record ProbeOptions
{
    public const int DefaultTimeoutSeconds = 10;

    /// <summary>What the X.224 Connection Request offers.</summary>
    public NegotiationOptions Negotiation { get; init; } = new() { Cookie = "rdphs" };

    /// <summary>The deadline for each frame the server owes us (the whole frame, not each byte).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds);

    /// <summary>
    /// How far to go: the run stops after this phase and disconnects cleanly (an MCS Disconnect Provider
    /// Ultimatum once MCS is up).
    /// </summary>
    public ConnectionPhase Until { get; init; } = ConnectionPhase.Finalization;

    /// <summary>
    /// When the server selects NLA (HYBRID, HYBRID_EX) and no <see cref="Credentials"/> are given, nothing after
    /// the CredSSP CHALLENGE can run. True (the default) ends such a run there, successfully, saying so in the
    /// verdict; false makes it fail with <c>credentials-required</c>, for callers that asked for a phase explicitly.
    /// </summary>
    public bool StopWhereCredentialsAreNeeded { get; init; } = true;

    /// <summary>What the client sends from the MCS Connect Initial on (client data, channels).</summary>
    public SessionOptions Session { get; init; } = new();

    /// <summary>The TSRequest version offered (MS-CSSP 2.2.1): 2 to 6; current Windows sends 6.</summary>
    public int CredSspVersion { get; init; } = 6;

    /// <summary>Who to authenticate as in CredSSP; without them the CredSSP phase stops at the server's CHALLENGE.</summary>
    public Credentials? Credentials { get; init; }

    /// <summary>Which package authenticates: Negotiate (Kerberos, else NTLM) by default.</summary>
    public AuthPackage Authentication { get; init; } = AuthPackage.Negotiate;

    /// <summary>Where the KDC is, which principal to ask for, and which encryption types to offer.</summary>
    public KerberosSettings Kerberos { get; init; } = new();

    /// <summary>
    /// Wrap the NTLM messages in SPNEGO (as Windows clients do) or send them bare in the TSRequest (as
    /// FreeRDP 2 servers expect).
    /// </summary>
    public bool NtlmInSpnego { get; init; } = true;

    /// <summary>
    /// With <see cref="NtlmInSpnego"/>: when the server answers the SPNEGO-wrapped NEGOTIATE with a TSRequest
    /// errorCode (FreeRDP 2 servers refuse SPNEGO this way), connect once more and send NTLM bare. The report is
    /// the second run's; the first stays in <see cref="ProbeReport.SpnegoAttempt"/>. Only a probe that opens its
    /// own connections can retry; a run over a given transport reports the refusal.
    /// </summary>
    public bool RetryWithoutSpnego { get; init; } = true;

    /// <summary>
    /// With <see cref="Credentials"/>: after a run that authenticated at CredSSP version 5 or later, connect once
    /// more offering version 4 (the legacy pubKeyAuth binding, without the client nonce of the CVE-2018-0886 fix)
    /// and report in <see cref="CredSsp.CredSspResult.NonceBinding"/> whether the server refused it.
    /// </summary>
    public bool CheckNonceBinding { get; init; }

    /// <summary>What the TLS ClientHello offers.</summary>
    public TlsOffer Tls { get; init; } = new();

    /// <summary>
    /// Where the TLS handshake may stop early: <see cref="TlsMilestone.ServerHello"/> is enough to learn the
    /// version and suite a server picks (what <c>rdphs tls</c> asks, one connection per answer).
    /// </summary>
    public TlsMilestone TlsStopAfter { get; init; } = TlsMilestone.Finished;

    /// <summary>Send the target's DNS name as SNI (never an IP address), unless <see cref="TlsOffer.ServerName"/> is set.</summary>
    public bool SendServerName { get; init; } = true;

    /// <summary>
    /// Receives NSS key log lines (TLS 1.2 CLIENT_RANDOM, TLS 1.3 traffic secrets, and under Standard RDP Security
    /// the RDP_STANDARD_SECURITY line of the server and client randoms) so Wireshark (TLS) and <c>rdphs analyze</c>
    /// (both) can decrypt a capture of the run; null for none. The lines are secrets: they go only where this delegate puts them.
    /// </summary>
    public Action<string>? KeyLog { get; init; }

    /// <summary>Trust anchors to validate the server chain against (reported as the <c>untrusted</c> finding); null to skip.</summary>
    public TrustAnchors? Trust { get; init; }

    /// <summary>Certificate finding codes (<see cref="CertificateAnalysis.Codes"/>) that fail the run instead of being reported.</summary>
    public IReadOnlySet<string> CertificatePolicy { get; init; } = new HashSet<string>();

    /// <summary>
    /// How many Server Redirections to follow (a broker's answer): each opens a new connection to the target it
    /// names, on the same port, sending its load-balance info as the routing token. 0 reports the redirection.
    /// </summary>
    public int FollowRedirects { get; init; }

    /// <summary>
    /// The connection sequence, in order: <see cref="ClientConnector.StandardLinks"/> by default. A test or an
    /// extension inserts a link (one sequence class) to run a step of its own.
    /// </summary>
    public IReadOnlyList<SequenceLink> Sequence { get; init; } = ClientConnector.StandardLinks;

    /// <summary>
    /// The SOCKS5 or HTTP CONNECT proxy to go through, or null to connect to the server directly. The step
    /// <c>proxy.connect</c> then connects to the proxy, and the proxy's tunnel is opened before X.224.
    /// </summary>
    public ProxySettings? Proxy { get; init; }

    /// <summary>The deadline for name resolution plus the TCP handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds);

    /// <summary>The RD Gateway to reach the target through (MS-TSGU), or null to connect to it directly.</summary>
    public Gateway.GatewayOptions? Gateway { get; init; }
}
