namespace RdpHandshake.TestServer;

/// <summary>
/// The TSRequest errorCodes (MS-CSSP 2.2.1) the test server refuses Kerberos and NTLM-blocked clients with. What a
/// Windows server sends in these cases is not in MS-CSSP and was not observed; these are this server's choices, each
/// the status Windows names the failure with (MS-ERREF 2.3.1, winerror.h).
/// </summary>
public static class CredSspErrorCodes
{
    /// <summary>STATUS_NTLM_BLOCKED: NTLM refused by a server that allows Kerberos only (<see cref="TestServerOptions.KerberosOnly"/>).</summary>
    public const uint NtlmBlocked = 0xC0000418;

    /// <summary>SEC_E_LOGON_DENIED: a Kerberos AP-REQ the server's GSS-API refused (a ticket its keys do not decrypt, a replay).</summary>
    public const uint LogonDenied = 0x8009030C;

    /// <summary>STATUS_TIME_DIFFERENCE_AT_DC: an AP-REQ refused with KRB_AP_ERR_SKEW (the clocks differ by more than the skew).</summary>
    public const uint TimeDifferenceAtDc = 0xC0000133;

    /// <summary>SEC_E_INVALID_TOKEN: a token the package cannot read, or one missing where it was due.</summary>
    public const uint InvalidToken = 0x80090308;

    /// <summary>SEC_E_BAD_BINDINGS: a pubKeyAuth that does not bind the server's public key.</summary>
    public const uint BadBindings = 0x80090346;

    /// <summary>SEC_E_INTERNAL_ERROR: the server's own Kerberos is unusable (no GSS-API library, an unreadable keytab).</summary>
    public const uint InternalError = 0x80090304;
}
