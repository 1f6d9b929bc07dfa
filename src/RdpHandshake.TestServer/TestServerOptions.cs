using Org.BouncyCastle.Tls;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.TestServer;

/// <summary>What a server's NTLM CHALLENGE says about it.</summary>
public sealed record NtlmIdentity
{
    public string NetBiosComputer { get; init; } = "RDPHS-TEST";

    public string NetBiosDomain { get; init; } = "RDPHS";

    public string DnsComputer { get; init; } = "rdphs-test.rdphs.test";

    public string DnsDomain { get; init; } = "rdphs.test";

    public string DnsTree { get; init; } = "rdphs.test";

    /// <summary>The product version sent in the CHALLENGE (Windows Server 2022 by default).</summary>
    public Protocol.Ntlm.NtlmVersion Version { get; init; } = new(10, 0, 20348);

    /// <summary>The TSRequest version the server answers with.</summary>
    public int CredSspVersion { get; init; } = 6;
}

/// <summary>How the test server behaves: what it accepts, how it answers, and which faults it injects.</summary>
public sealed record TestServerOptions
{
    /// <summary>
    /// The security protocols the server accepts. The default imitates a Windows server with NLA enabled,
    /// which also accepts plain TLS and Standard RDP Security when NLA is not required.
    /// </summary>
    public SecurityProtocols Accepted { get; init; } = SecurityProtocols.Ssl | SecurityProtocols.Hybrid | SecurityProtocols.HybridEx;

    /// <summary>Whether Standard RDP Security (PROTOCOL_RDP) is acceptable.</summary>
    public bool AcceptStandardSecurity { get; init; } = true;

    /// <summary>Preference when the client offers several accepted protocols: first match wins.</summary>
    public IReadOnlyList<SecurityProtocols> Preference { get; init; } =
        [SecurityProtocols.HybridEx, SecurityProtocols.Hybrid, SecurityProtocols.Ssl, SecurityProtocols.RdsTls, SecurityProtocols.RdsAad];

    /// <summary>The RDP_NEG_RSP flags sent on success.</summary>
    public NegotiationResponseFlags ResponseFlags { get; init; } =
        NegotiationResponseFlags.ExtendedClientDataSupported | NegotiationResponseFlags.DynvcGfxProtocolSupported
        | NegotiationResponseFlags.RestrictedAdminModeSupported | NegotiationResponseFlags.RedirectedAuthenticationModeSupported;

    /// <summary>When set, every request is refused with this RDP_NEG_FAILURE code.</summary>
    public NegotiationFailureCode? ForcedFailure { get; init; }

    /// <summary>TLS versions the server accepts (a current Windows server: TLS 1.2 and 1.3).</summary>
    public IReadOnlyList<ProtocolVersion> TlsVersions { get; init; } = ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv12);

    /// <summary>Cipher suites the server accepts, by IANA value; null for the TLS library's defaults.</summary>
    public IReadOnlyList<int>? TlsCipherSuites { get; init; }

    /// <summary>The certificate the server presents.</summary>
    public CertificateProfile Certificate { get; init; } = CertificateProfile.Default;

    /// <summary>A supplied certificate and key, used instead of <see cref="Certificate"/> when set.</summary>
    public ServerCertificate? SuppliedCertificate { get; init; }

    /// <summary>The names and version the server's NTLM CHALLENGE reveals (what <c>rdphs ntlm-info</c> reads).</summary>
    public NtlmIdentity Ntlm { get; init; } = new();

    /// <summary>The accounts CredSSP accepts.</summary>
    public IReadOnlyList<TestAccount> Accounts { get; init; } = [new("alice", "", "Test-Password-1")];

    /// <summary>When set, every AUTHENTICATE is refused with this errorCode (an NTSTATUS).</summary>
    public uint? ForcedErrorCode { get; init; }

    /// <summary>What the CredSSP exchange does wrong.</summary>
    public CredSspFault CredSspFault { get; init; }

    /// <summary>HYBRID_EX: the Early User Authorization Result to send (0 success, 5 access denied).</summary>
    public uint EarlyUserAuthorizationResult { get; init; }

    /// <summary>Faults to inject, by step.</summary>
    public IReadOnlyList<Fault> Faults { get; init; } = [];

    /// <summary>How long the server waits for each client PDU before it gives up on the connection.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The seed of the pseudo-random garbage bytes, so a garbage fault is reproducible.</summary>
    public int GarbageSeed { get; init; } = 0x5EED;

    public Fault? FaultAt(string step) => Faults.FirstOrDefault(f => f.Step == step);
}
