namespace RdpHandshake.Protocol.CredSsp;

/// <summary>NTSTATUS codes a CredSSP server reports in the TSRequest errorCode (MS-ERREF 2.3), with their meaning.</summary>
public static class NtStatus
{
    /// <summary>SEC_E_UNSUPPORTED_FUNCTION: how a server that forces updated CredSSP clients refuses a version 2-4 one.</summary>
    public const uint UnsupportedFunction = 0x80090302;

    /// <summary>STATUS_NTLM_BLOCKED: NTLM is refused by policy (Restrict NTLM), so only Kerberos can authenticate.</summary>
    public const uint NtlmBlocked = 0xC0000418;

    private static readonly Dictionary<uint, (string Name, string Meaning)> Codes = new()
    {
        [0xC000006D] = ("STATUS_LOGON_FAILURE", "the user name or password is wrong"),
        [0xC000006A] = ("STATUS_WRONG_PASSWORD", "the password is wrong"),
        [0xC0000064] = ("STATUS_NO_SUCH_USER", "there is no such user"),
        [0xC000006E] = ("STATUS_ACCOUNT_RESTRICTION", "an account restriction applies (for example a blank password, or logon restrictions)"),
        [0xC000006F] = ("STATUS_INVALID_LOGON_HOURS", "the account may not log on at this time"),
        [0xC0000070] = ("STATUS_INVALID_WORKSTATION", "the account may not log on from this workstation"),
        [0xC0000071] = ("STATUS_PASSWORD_EXPIRED", "the password has expired"),
        [0xC0000072] = ("STATUS_ACCOUNT_DISABLED", "the account is disabled"),
        [0xC0000193] = ("STATUS_ACCOUNT_EXPIRED", "the account has expired"),
        [0xC0000224] = ("STATUS_PASSWORD_MUST_CHANGE", "the password must be changed before the first logon"),
        [0xC0000234] = ("STATUS_ACCOUNT_LOCKED_OUT", "the account is locked out"),
        [0xC0000022] = ("STATUS_ACCESS_DENIED", "access is denied"),
        [0xC000015B] = ("STATUS_LOGON_TYPE_NOT_GRANTED", "the user lacks the right to log on through Remote Desktop Services"),
        [0xC0000155] = ("STATUS_LOGON_NOT_GRANTED", "the logon is not granted"),
        [0xC000005E] = ("STATUS_NO_LOGON_SERVERS", "no domain controller is available"),
        [0xC000018D] = ("STATUS_TRUSTED_RELATIONSHIP_FAILURE", "the trust relationship with the domain failed"),
        [0xC0000133] = ("STATUS_TIME_DIFFERENCE_AT_DC", "the clocks differ too much (Kerberos)"),
        [0xC0000388] = ("STATUS_DOWNGRADE_DETECTED", "a downgrade was detected"),
        [0xC0000413] = ("STATUS_AUTHENTICATION_FIREWALL_FAILED", "the authentication firewall refused the logon"),
        [0xC0000418] = ("STATUS_NTLM_BLOCKED", "NTLM is refused by policy (Restrict NTLM): only Kerberos can authenticate"),
        [0x80090311] = ("SEC_E_NO_AUTHENTICATING_AUTHORITY", "no authority could be contacted for authentication (no KDC or domain controller)"),
        [0x80090322] = ("SEC_E_WRONG_PRINCIPAL", "the target principal name is incorrect (the service ticket is for another SPN, or its key is stale)"),
        [0x80090324] = ("SEC_E_TIME_SKEW", "the clocks of the client and the server differ too much"),
        [0xC00002FA] = ("STATUS_SMARTCARD_LOGON_REQUIRED", "the account requires a smart card"),
        [0x80090308] = ("SEC_E_INVALID_TOKEN", "the server could not parse the authentication token"),
        [0x8009030C] = ("SEC_E_LOGON_DENIED", "the logon was denied"),
        [0x80090302] = ("SEC_E_UNSUPPORTED_FUNCTION", "the server does not support the requested function"),
    };

    public static string Name(uint code) => Codes.TryGetValue(code, out var entry) ? entry.Name : $"0x{code:x8}";

    public static string Meaning(uint code) => Codes.TryGetValue(code, out var entry) ? entry.Meaning : "a status rdphs does not know";
}
