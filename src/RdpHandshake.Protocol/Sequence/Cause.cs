namespace RdpHandshake.Protocol.Sequence;

/// <summary>
/// Every reason a connection attempt can end short of its goal. Each id has exactly one row in the engine's
/// diagnosis catalogue (explanation, remedy, mstsc code) and one stable name (<see cref="CauseNames.Name"/>)
/// that reports, checks and scripts use.
/// </summary>
public enum CauseId
{
    // The transport, in any phase.
    NameNotResolved,
    ConnectionRefused,
    Unreachable,
    ConnectTimeout,
    SocketError,

    /// <summary>FIN while waiting for an answer, nothing of it received.</summary>
    ClosedByPeer,

    /// <summary>FIN part-way through an answer.</summary>
    TruncatedResponse,
    Reset,
    Timeout,

    /// <summary>Part of an answer arrived, then nothing more before the deadline.</summary>
    TimeoutMidAnswer,
    Interrupted,
    InternalError,

    /// <summary>A scan's per-host deadline passed.</summary>
    HostTimeout,

    /// <summary>The exporter's deadline for a probe passed: the scrape timeout less its offset, or the module's timeout.</summary>
    ScrapeTimeout,

    /// <summary>In a capture: the client ended the connection (FIN, RST, an MCS or X.224 disconnect) where the sequence needed it to go on.</summary>
    ClientClosed,

    // The bytes, in any phase.
    MalformedResponse,
    UnexpectedPdu,

    /// <summary>Hundreds of PDUs without the one the step waits for.</summary>
    NoProgress,

    /// <summary>An MCS Disconnect Provider Ultimatum; detail: its T.125 reason, e.g. <c>rn-provider-initiated</c>.</summary>
    DisconnectUltimatum,

    /// <summary>Set Error Info, then the end of the connection; detail: the ERRINFO name, code: its value.</summary>
    ServerErrorInfo,

    /// <summary>A Server Redirection PDU (a connection broker).</summary>
    Redirected,

    // A proxy in front of the server (SOCKS5, HTTP CONNECT).

    /// <summary>A SOCKS5 reply other than succeeded (RFC 1928 section 6); detail: the reply's name, code: REP.</summary>
    SocksReply,

    /// <summary>The proxy asks for credentials and none were given: SOCKS5 selecting username/password, HTTP 407.</summary>
    ProxyAuthRequired,

    /// <summary>The proxy refused the credentials: an RFC 1929 status other than 0, HTTP 407 after Basic credentials.</summary>
    ProxyAuthFailed,

    /// <summary>The SOCKS5 proxy accepts none of the methods offered (X'FF') or selects one that was not offered.</summary>
    ProxyNoAcceptableMethod,

    /// <summary>An HTTP proxy's status other than 2xx and 407 in answer to CONNECT; detail: the status code.</summary>
    ProxyHttpStatus,

    /// <summary>The proxy port answered another protocol than the one asked for; detail: its name (HTTP, SOCKS5, SOCKS4, TLS, ...).</summary>
    ProxyProtocolMismatch,

    // X.224 negotiation.

    /// <summary>RDP_NEG_FAILURE; detail: the failure code's name, code: its value.</summary>
    NegotiationFailure,

    /// <summary>RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER: the server demands NLA.</summary>
    NlaRequired,
    ProtocolNotRequested,
    X224DisconnectRequest,

    /// <summary>Another protocol's answer in place of the Connection Confirm; detail: its name (HTTP, SSH, SMB, VNC, TLS).</summary>
    NotRdp,

    // The RD Gateway hop (MS-TSGU).

    /// <summary>The gateway answered the tunnel request with an HTTP status that refuses it; detail: the status (401, 403, 404, 503, ...).</summary>
    GatewayHttpStatus,

    /// <summary>The gateway refused the credentials in HTTP authentication (a 401 after the NTLM AUTHENTICATE or Basic credentials).</summary>
    GatewayAuthFailed,

    /// <summary>A gateway response packet carried a failing status; detail: its MS-TSGU name (E_PROXY_*), code: its value.</summary>
    GatewayRefused,

    /// <summary>The gateway does not serve the transport asked for; detail: <c>websocket</c> or <c>http</c>.</summary>
    GatewayTransportUnsupported,

    /// <summary>The gateway closed the channel to the target (PKT_TYPE_CLOSE_CHANNEL) during the RDP sequence; detail: its status name.</summary>
    GatewayChannelClosed,

    // TLS.
    ClosedAfterClientHello,
    ResetAfterClientHello,

    /// <summary>An RDP packet instead of a ServerHello: the server's TLS could not start.</summary>
    ServerTlsSetupFailed,
    NoCommonVersion,
    NoCommonCipherSuite,

    /// <summary>A fatal alert from the server; detail: its name.</summary>
    ServerAlert,

    /// <summary>Our TLS client aborted; detail: the alert it raised.</summary>
    LocalAlert,
    MalformedRecord,

    /// <summary>A certificate finding the policy makes fatal; detail: the finding's code.</summary>
    CertificateRejected,

    // CredSSP.

    /// <summary>An errorCode in answer to the first token; detail: <c>0xCODE</c>, code: its value.</summary>
    ServerError,

    /// <summary>SPNEGO negState reject.</summary>
    NtlmRejected,

    /// <summary>An errorCode after the credentials; detail: the NTSTATUS name, code: its value.</summary>
    AuthFailed,
    ClosedAfterAuthenticate,
    PubKeyBindingMismatch,
    MechListMicMismatch,
    CredSspVersionMismatch,
    AccessDenied,
    CredentialsRequired,

    /// <summary>An errorCode STATUS_NTLM_BLOCKED in answer to NTLM: the server (or its domain) refuses NTLM.</summary>
    NtlmBlocked,

    // Kerberos, inside CredSSP.

    /// <summary>No KDC is known for the realm: none given, none in krb5.conf, no DNS SRV record.</summary>
    KdcNotFound,

    /// <summary>The KDC could not be reached or did not answer; detail: how (<c>refused</c>, <c>timeout</c>, ...).</summary>
    KdcUnreachable,

    /// <summary>A KRB-ERROR from the KDC or the server; detail: the error's RFC 4120 name, code: its number.</summary>
    KerberosError,

    /// <summary>A KDC reply that does not answer the request: it does not decrypt, or its nonce, names or realm differ.</summary>
    KerberosReplyInvalid,

    /// <summary>The server's SPNEGO answer refuses the Kerberos token without a KRB-ERROR, or selects another mechanism.</summary>
    KerberosRejected,

    /// <summary>The server's AP-REP does not prove it holds the service key: it does not decrypt, or names another time.</summary>
    KerberosMutualAuthFailed,

    // MCS.

    /// <summary>detail: the T.125 result name.</summary>
    ConnectResponseResult,

    /// <summary>detail: the T.125 result name.</summary>
    AttachUserResult,

    /// <summary>detail: the T.125 result name.</summary>
    ChannelJoinResult,
    RequestedProtocolsMismatch,

    // Standard RDP Security.
    NoCommonEncryptionMethod,
    FipsRequired,
    ServerCertificateInvalid,
    DecryptFailed,
    StandardSecurityUnavailable,

    // Licensing.

    /// <summary>A licensing error other than STATUS_VALID_CLIENT; detail: its name, code: its value.</summary>
    LicenseError,
    LicenseRequestUnanswered,
    PlatformChallengeFailed,

    // Client profiles.

    /// <summary>
    /// The server answered, but the client a profile describes would refuse what it chose; detail: what
    /// (<c>tls-version</c>, <c>cipher-suite</c>, <c>certificate-key</c>, <c>certificate-signature</c>,
    /// <c>credssp-version</c>, <c>standard-security</c>, <c>security-protocol</c>).
    /// </summary>
    ClientRefused,
}

/// <summary>The stable names of <see cref="CauseId"/>: what the JSON report, <c>--expect cause=</c> and the docs use.</summary>
public static class CauseNames
{
    public static string Name(this CauseId id) => id switch
    {
        CauseId.NameNotResolved => "name-not-resolved",
        CauseId.ConnectionRefused => "connection-refused",
        CauseId.Unreachable => "unreachable",
        CauseId.ConnectTimeout => "connect-timeout",
        CauseId.SocketError => "socket-error",
        CauseId.ClosedByPeer => "closed-by-peer",
        CauseId.TruncatedResponse => "truncated-response",
        CauseId.Reset => "reset",
        CauseId.Timeout => "timeout",
        CauseId.TimeoutMidAnswer => "timeout-mid-answer",
        CauseId.Interrupted => "interrupted",
        CauseId.InternalError => "internal-error",
        CauseId.HostTimeout => "host-timeout",
        CauseId.ScrapeTimeout => "scrape-timeout",
        CauseId.ClientClosed => "client-closed",
        CauseId.MalformedResponse => "malformed-response",
        CauseId.UnexpectedPdu => "unexpected-pdu",
        CauseId.NoProgress => "no-progress",
        CauseId.DisconnectUltimatum => "disconnect-ultimatum",
        CauseId.ServerErrorInfo => "server-error-info",
        CauseId.Redirected => "redirected",
        CauseId.SocksReply => "socks-reply",
        CauseId.ProxyAuthRequired => "proxy-auth-required",
        CauseId.ProxyAuthFailed => "proxy-auth-failed",
        CauseId.ProxyNoAcceptableMethod => "proxy-no-acceptable-method",
        CauseId.ProxyHttpStatus => "proxy-http-status",
        CauseId.ProxyProtocolMismatch => "proxy-protocol-mismatch",
        CauseId.NegotiationFailure => "negotiation-failure",
        CauseId.NlaRequired => "nla-required",
        CauseId.ProtocolNotRequested => "protocol-not-requested",
        CauseId.X224DisconnectRequest => "x224-disconnect-request",
        CauseId.NotRdp => "not-rdp",
        CauseId.GatewayHttpStatus => "gateway-http-status",
        CauseId.GatewayAuthFailed => "gateway-auth-failed",
        CauseId.GatewayRefused => "gateway-refused",
        CauseId.GatewayTransportUnsupported => "gateway-transport-unsupported",
        CauseId.GatewayChannelClosed => "gateway-channel-closed",
        CauseId.ClosedAfterClientHello => "closed-after-client-hello",
        CauseId.ResetAfterClientHello => "reset-after-client-hello",
        CauseId.ServerTlsSetupFailed => "server-tls-setup-failed",
        CauseId.NoCommonVersion => "no-common-version",
        CauseId.NoCommonCipherSuite => "no-common-cipher-suite",
        CauseId.ServerAlert => "server-alert",
        CauseId.LocalAlert => "local-alert",
        CauseId.MalformedRecord => "malformed-record",
        CauseId.CertificateRejected => "certificate-rejected",
        CauseId.ServerError => "server-error",
        CauseId.NtlmRejected => "ntlm-rejected",
        CauseId.AuthFailed => "auth-failed",
        CauseId.ClosedAfterAuthenticate => "closed-after-authenticate",
        CauseId.PubKeyBindingMismatch => "pubkey-binding-mismatch",
        CauseId.MechListMicMismatch => "mechlistmic-mismatch",
        CauseId.CredSspVersionMismatch => "credssp-version-mismatch",
        CauseId.AccessDenied => "access-denied",
        CauseId.CredentialsRequired => "credentials-required",
        CauseId.NtlmBlocked => "ntlm-blocked",
        CauseId.KdcNotFound => "kdc-not-found",
        CauseId.KdcUnreachable => "kdc-unreachable",
        CauseId.KerberosError => "kerberos-error",
        CauseId.KerberosReplyInvalid => "kerberos-reply-invalid",
        CauseId.KerberosRejected => "kerberos-rejected",
        CauseId.KerberosMutualAuthFailed => "kerberos-mutual-auth-failed",
        CauseId.ConnectResponseResult => "connect-response-result",
        CauseId.AttachUserResult => "attach-user-result",
        CauseId.ChannelJoinResult => "channel-join-result",
        CauseId.RequestedProtocolsMismatch => "requested-protocols-mismatch",
        CauseId.NoCommonEncryptionMethod => "no-common-encryption-method",
        CauseId.FipsRequired => "fips-required",
        CauseId.ServerCertificateInvalid => "server-certificate-invalid",
        CauseId.DecryptFailed => "decrypt-failed",
        CauseId.StandardSecurityUnavailable => "standard-security-unavailable",
        CauseId.LicenseError => "license-error",
        CauseId.LicenseRequestUnanswered => "license-request-unanswered",
        CauseId.PlatformChallengeFailed => "platform-challenge-failed",
        CauseId.ClientRefused => "client-refused",
    };

    /// <summary>
    /// What the detail of a cause names, as the docs write it (<c>auth-failed:STATUS</c>), or null for a cause that
    /// carries none.
    /// </summary>
    public static string? DetailPlaceholder(this CauseId id) => id switch
    {
        CauseId.NegotiationFailure => "CODE",
        CauseId.ServerAlert or CauseId.LocalAlert => "ALERT",
        CauseId.CertificateRejected => "FINDING",
        CauseId.ServerError => "0xCODE",
        CauseId.AuthFailed => "STATUS",
        CauseId.ConnectResponseResult or CauseId.AttachUserResult or CauseId.ChannelJoinResult => "RESULT",
        CauseId.LicenseError => "ERROR",
        CauseId.ServerErrorInfo => "ERRINFO",
        CauseId.DisconnectUltimatum => "REASON",
        CauseId.KdcUnreachable => "HOW",
        CauseId.KerberosError => "ERROR",
        CauseId.NotRdp or CauseId.ProxyProtocolMismatch => "PROTOCOL",
        CauseId.SocksReply => "REPLY",
        CauseId.ProxyHttpStatus => "STATUS",
        CauseId.ClientRefused => "WHAT",
        CauseId.GatewayHttpStatus => "STATUS",
        CauseId.GatewayRefused or CauseId.GatewayChannelClosed => "E_PROXY_NAME",
        CauseId.GatewayTransportUnsupported => "TRANSPORT",
        CauseId.NameNotResolved or CauseId.ConnectionRefused or CauseId.Unreachable or CauseId.ConnectTimeout or CauseId.SocketError
            or CauseId.ClosedByPeer or CauseId.TruncatedResponse or CauseId.Reset or CauseId.Timeout or CauseId.TimeoutMidAnswer
            or CauseId.Interrupted or CauseId.InternalError or CauseId.HostTimeout or CauseId.ClientClosed or CauseId.ScrapeTimeout or CauseId.MalformedResponse or CauseId.UnexpectedPdu
            or CauseId.NoProgress or CauseId.Redirected or CauseId.NlaRequired or CauseId.ProtocolNotRequested or CauseId.X224DisconnectRequest
            or CauseId.ClosedAfterClientHello or CauseId.ResetAfterClientHello or CauseId.ServerTlsSetupFailed or CauseId.NoCommonVersion
            or CauseId.NoCommonCipherSuite or CauseId.MalformedRecord or CauseId.NtlmRejected or CauseId.ClosedAfterAuthenticate
            or CauseId.PubKeyBindingMismatch or CauseId.MechListMicMismatch or CauseId.CredSspVersionMismatch or CauseId.AccessDenied
            or CauseId.CredentialsRequired or CauseId.RequestedProtocolsMismatch or CauseId.NoCommonEncryptionMethod or CauseId.FipsRequired
            or CauseId.ServerCertificateInvalid or CauseId.DecryptFailed or CauseId.StandardSecurityUnavailable
            or CauseId.LicenseRequestUnanswered or CauseId.PlatformChallengeFailed or CauseId.NtlmBlocked or CauseId.KdcNotFound
            or CauseId.KerberosReplyInvalid or CauseId.KerberosRejected or CauseId.KerberosMutualAuthFailed or CauseId.GatewayAuthFailed
            or CauseId.ProxyAuthRequired or CauseId.ProxyAuthFailed or CauseId.ProxyNoAcceptableMethod => null,
    };

    /// <summary>The id whose name is <paramref name="name"/> (the part before any detail), for parsing checks.</summary>
    public static bool TryParse(string name, out CauseId id)
    {
        foreach (CauseId candidate in Enum.GetValues<CauseId>())
        {
            if (candidate.Name() == name)
            {
                id = candidate;
                return true;
            }
        }

        id = default;
        return false;
    }
}

/// <summary>
/// Why an attempt ended: the phase of the step in which it ended, the cause, and for causes that carry one a
/// detail (an alert, NTSTATUS, ERRINFO or licensing error name) and the numeric code behind it.
/// </summary>
/// <param name="Phase">The phase of the step where the attempt ended (docs/report-format.md, "the phase rule").</param>
/// <param name="Id">What happened.</param>
/// <param name="Detail">The name that refines it, rendered after a colon: <c>auth-failed:STATUS_LOGON_FAILURE</c>.</param>
/// <param name="Code">The number the detail names (an NTSTATUS, ERRINFO, failure or error code), when there is one.</param>
public readonly record struct Cause(ConnectionPhase Phase, CauseId Id, string? Detail = null, uint? Code = null)
{
    /// <summary>The stable text of the cause: its name and, after a colon, its detail.</summary>
    public string Name => Detail is null ? Id.Name() : $"{Id.Name()}:{Detail}";

    public override string ToString() => Name;
}
