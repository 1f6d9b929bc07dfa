namespace RdpHandshake.Protocol.Gateway;

/// <summary>One status code an RD Gateway sends in a response packet, by its MS-TSGU name.</summary>
/// <param name="Code">The 32-bit value of the <c>errorCode</c> or <c>statusCode</c> field.</param>
/// <param name="Name">Its name, e.g. <c>E_PROXY_RAP_ACCESSDENIED</c>.</param>
/// <param name="Meaning">What the gateway says by it, in a few words.</param>
public sealed record TsguStatusEntry(uint Code, string Name, string Meaning);

/// <summary>
/// The status codes of the RD Gateway (MS-TSGU 2.2.6, Error Codes): HRESULTs in facility 7 (0x8007xxxx), and the
/// same numbers as plain Win32 codes (0x0000xxxx) in some packets. A value with the top bit clear and not in the
/// table is a success (S_OK is 0).
/// </summary>
public static class TsguStatus
{
    public const uint Ok = 0;

    public const uint InternalError = 0x800759D8;
    public const uint RapAccessDenied = 0x800759DA;
    public const uint NapAccessDenied = 0x800759DB;
    public const uint TsConnectFailed = 0x800759DD;
    public const uint AlreadyDisconnected = 0x800759DF;
    public const uint CapabilityMismatch = 0x800759E9;
    public const uint QuarantineAccessDenied = 0x800759ED;
    public const uint NoCertificateAvailable = 0x800759EE;
    public const uint CookieBadPacket = 0x800759F7;
    public const uint CookieAuthenticationAccessDenied = 0x800759F8;
    public const uint UnsupportedAuthenticationMethod = 0x800759F9;

    /// <summary>The table, in the order MS-TSGU 2.2.6 lists the codes.</summary>
    public static IReadOnlyList<TsguStatusEntry> All { get; } =
    [
        new(InternalError, "E_PROXY_INTERNALERROR", "the gateway hit an internal error"),
        new(RapAccessDenied, "E_PROXY_RAP_ACCESSDENIED", "the resource authorization policy (RD RAP) does not let this user reach this computer"),
        new(NapAccessDenied, "E_PROXY_NAP_ACCESSDENIED", "the connection authorization policy (RD CAP, which the gateway reports under this NAP code) refused this user or this client"),
        new(TsConnectFailed, "E_PROXY_TS_CONNECTFAILED", "the gateway could not connect to the target computer"),
        new(AlreadyDisconnected, "E_PROXY_ALREADYDISCONNECTED", "the gateway had already disconnected the tunnel"),
        new(CapabilityMismatch, "E_PROXY_CAPABILITYMISMATCH", "the client does not have the capabilities the gateway requires"),
        new(QuarantineAccessDenied, "E_PROXY_QUARANTINE_ACCESSDENIED", "the client's statement of health did not satisfy the gateway's quarantine policy"),
        new(NoCertificateAvailable, "E_PROXY_NOCERTAVAILABLE", "the gateway has no server authentication certificate"),
        new(CookieBadPacket, "E_PROXY_COOKIE_BADPACKET", "the PAA cookie the client sent is malformed"),
        new(CookieAuthenticationAccessDenied, "E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED", "the PAA cookie was refused"),
        new(UnsupportedAuthenticationMethod, "E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD", "the gateway does not support the authentication the client asked for"),
        new(0x000059E8, "E_PROXY_NOTSUPPORTED", "the gateway does not support the request"),
        new(0x000059DD, "HRESULT_CODE(E_PROXY_TS_CONNECTFAILED)", "the gateway could not connect to the target computer"),
        new(0x000059E6, "E_PROXY_MAXCONNECTIONSREACHED", "the gateway has reached its maximum number of connections"),
        new(0x000059D8, "HRESULT_CODE(E_PROXY_INTERNALERROR)", "the gateway hit an internal error"),
        new(0x000059F6, "E_PROXY_SESSIONTIMEOUT", "the gateway's session timeout ended the connection"),
        new(0x000059FA, "E_PROXY_REAUTH_AUTHN_FAILED", "re-authentication to the gateway failed"),
        new(0x000059FB, "E_PROXY_REAUTH_CAP_FAILED", "re-authorization by the connection authorization policy failed"),
        new(0x000059FC, "E_PROXY_REAUTH_RAP_FAILED", "re-authorization by the resource authorization policy failed"),
        new(0x000059FD, "E_PROXY_SDR_NOT_SUPPORTED_BY_TS", "the target does not support the gateway's session-disconnect notification"),
        new(0x00005A00, "E_PROXY_REAUTH_NAP_FAILED", "re-authorization by network access protection failed"),
        new(0x000004D4, "E_PROXY_CONNECTIONABORTED", "the connection was aborted"),
    ];

    private static readonly Dictionary<uint, TsguStatusEntry> ByCode = All.ToDictionary(e => e.Code);

    /// <summary>The entry of <paramref name="code"/>, or null for a code MS-TSGU does not list.</summary>
    public static TsguStatusEntry? Lookup(uint code) => ByCode.GetValueOrDefault(code);

    /// <summary><c>E_PROXY_RAP_ACCESSDENIED</c>, <c>S_OK</c>, or the hex value of a code not in the table.</summary>
    public static string Name(uint code) => code == Ok ? "S_OK" : Lookup(code)?.Name ?? $"0x{code:x8}";

    /// <summary>Whether <paramref name="code"/> refuses: an HRESULT with the severity bit, or a listed Win32 error code.</summary>
    public static bool IsFailure(uint code) => (code & 0x80000000) != 0 || (code != Ok && Lookup(code) is not null);
}
