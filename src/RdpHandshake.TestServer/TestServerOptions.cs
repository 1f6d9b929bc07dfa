using Org.BouncyCastle.Tls;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Tls;
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
    public IReadOnlyList<TlsVersion> TlsVersions { get; init; } = [TlsVersion.Tls13, TlsVersion.Tls12];

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

    /// <summary>
    /// Refuse NTLM wrapped in SPNEGO as FreeRDP 2 servers do: the NEGOTIATE is answered with a TSRequest whose
    /// errorCode is 0xc00700ea, then the connection closes. Bare NTLM is served as usual.
    /// </summary>
    public bool RefuseSpnego { get; init; }

    /// <summary>
    /// Refuse an SPNEGO AUTHENTICATE without a mechListMIC (SEC_E_INVALID_TOKEN). A mechListMIC that is present is
    /// always checked, and one that does not verify is refused with SEC_E_MESSAGE_ALTERED.
    /// </summary>
    public bool RequireMechListMic { get; init; }

    /// <summary>
    /// Refuse clients whose TSRequest version is below 5 (the legacy pubKeyAuth binding, without the client nonce) as
    /// a server updated for CVE-2018-0886 with "Force Updated Clients" does: the AUTHENTICATE, even with the right
    /// password, is answered with errorCode SEC_E_UNSUPPORTED_FUNCTION (0x80090302).
    /// </summary>
    public bool RequireNonceBinding { get; init; }

    /// <summary>
    /// A keytab with the service keys of the server (TERMSRV/host): CredSSP then accepts Kerberos inside SPNEGO through
    /// the system GSS-API (MIT libgssapi_krb5), from a client whose NegTokenInit offers Kerberos (1.2.840.113554.1.2.2
    /// or 1.2.840.48018.1.2.2) as its first mechanism. Other clients are served with NTLM, unless
    /// <see cref="KerberosOnly"/>. The keytab is read per connection; nothing process-wide (KRB5_KTNAME) is involved.
    /// </summary>
    public string? KerberosKeytab { get; init; }

    /// <summary>
    /// Refuse NTLM as a server whose "Restrict NTLM: Incoming NTLM traffic" policy denies all accounts: the client's
    /// first TSRequest, when it carries NTLM (bare, or as SPNEGO's only or first choice without Kerberos offered), is
    /// answered with errorCode STATUS_NTLM_BLOCKED (0xC0000418) and the server closes. A SPNEGO token that offers
    /// Kerberos after NTLM is given to GSS-API, whose SPNEGO asks the client for Kerberos instead. Needs
    /// <see cref="KerberosKeytab"/>.
    /// </summary>
    public bool KerberosOnly { get; init; }

    /// <summary>What the CredSSP exchange does wrong.</summary>
    public CredSspFault CredSspFault { get; init; }

    /// <summary>HYBRID_EX: the Early User Authorization Result to send (0 success, 5 access denied).</summary>
    public uint EarlyUserAuthorizationResult { get; init; }

    /// <summary>
    /// Standard RDP Security: the encryption level the server announces in TS_UD_SC_SEC1 (MS-RDPBCGR 5.3.1).
    /// Windows defaults to CLIENT_COMPATIBLE. NONE selects ENCRYPTION_METHOD_NONE and sends neither random nor
    /// certificate; HIGH requires 128-bit RC4 and FIPS requires ENCRYPTION_METHOD_FIPS from the client.
    /// </summary>
    public EncryptionLevel StandardSecurityLevel { get; init; } = EncryptionLevel.ClientCompatible;

    /// <summary>
    /// Standard RDP Security: the methods the server may select. It selects the strongest one the client offers
    /// among these (FIPS only at the FIPS level or when nothing else is common); with none in common it answers the
    /// Connect Initial with rt-parameters-unacceptable and closes.
    /// </summary>
    public EncryptionMethod AllowedEncryptionMethods { get; init; } =
        EncryptionMethod.Bit40 | EncryptionMethod.Bit56 | EncryptionMethod.Bit128 | EncryptionMethod.Fips;

    /// <summary>Standard RDP Security: the size of the RSA key in the proprietary certificate (Windows uses 512 bits).</summary>
    public int StandardSecurityKeyBits { get; init; } = 512;

    /// <summary>
    /// The dwErrorCode of the License Error PDU that ends licensing. STATUS_VALID_CLIENT (the default) lets the
    /// client go on; any other code is sent with <see cref="LicenseStateTransition"/> and the server then closes, as
    /// a server without client access licenses does.
    /// </summary>
    public LicenseErrorCode LicenseErrorCode { get; init; } = LicenseErrorCode.StatusValidClient;

    /// <summary>The dwStateTransition sent with <see cref="LicenseErrorCode"/> (ST_NO_TRANSITION by default).</summary>
    public LicenseStateTransition LicenseStateTransition { get; init; } = LicenseStateTransition.NoTransition;

    /// <summary>
    /// The errorInfo of the Set Error Info PDU the <c>error-info</c> fault sends (MS-RDPBCGR 2.2.5.1.1); by default
    /// 0x00000007 ERRINFO_SERVER_DENIED_CONNECTION.
    /// </summary>
    public uint ErrorInfo { get; init; } = 0x0000_0007;

    /// <summary>The version in TS_UD_SC_CORE (MS-RDPBCGR 2.2.1.4.2); 0x0008000C is RDP 10.7.</summary>
    public uint RdpVersion { get; init; } = 0x0008_000C;

    /// <summary>
    /// The earlyCapabilityFlags of TS_UD_SC_CORE: RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V1 (0x1) and
    /// RNS_UD_SC_DYNAMIC_DST_SUPPORTED (0x2) by default. RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED (0x8) is left out: the
    /// server serves the channel joins.
    /// </summary>
    public uint ServerEarlyCapabilityFlags { get; init; } = 0x0000_0003;

    /// <summary>Whether to send TS_UD_SC_MCS_MSGCHANNEL, giving the client a message channel to join.</summary>
    public bool SendMessageChannel { get; init; }

    /// <summary>The shareId of the Demand Active and every later Share PDU (Windows: 0x000103EA and up).</summary>
    public uint ShareId { get; init; } = 0x0001_03EA;

    /// <summary>
    /// When set, the server behaves as a connection broker: after licensing it sends this Server Redirection
    /// PDU instead of the Demand Active, then closes.
    /// </summary>
    public Protocol.Rdp.ServerRedirectionPacket? Redirection { get; init; }

    /// <summary>Faults to inject, by step.</summary>
    public IReadOnlyList<Fault> Faults { get; init; } = [];

    /// <summary>How long the server waits for each client PDU before it gives up on the connection.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The seed of the pseudo-random garbage bytes, so a garbage fault is reproducible.</summary>
    public int GarbageSeed { get; init; } = 0x5EED;

    public Fault? FaultAt(string step) => Faults.FirstOrDefault(f => f.Step == step);
}
