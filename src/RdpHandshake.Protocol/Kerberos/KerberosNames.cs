using System.Globalization;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// The names the RFCs give Kerberos numbers, for reports and decode errors: message types (RFC 4120 7.5.7),
/// PA-DATA types (7.5.2, RFC 6113 7.1, MS-KILE 3.1.5.1), name types (6.2), encryption types (RFC 3961 8,
/// RFC 3962, RFC 8009, RFC 4757), error meanings (7.5.9) and flag names (5.2.8, 5.3, 5.4.1, 5.5.1). A number
/// without a name is shown as the number.
/// </summary>
public static class KerberosNames
{
    public static string MessageType(int type) => type switch
    {
        10 => "AS-REQ",
        11 => "AS-REP",
        12 => "TGS-REQ",
        13 => "TGS-REP",
        14 => "AP-REQ",
        15 => "AP-REP",
        20 => "KRB-SAFE",
        21 => "KRB-PRIV",
        22 => "KRB-CRED",
        30 => "KRB-ERROR",
        _ => type.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>What an APPLICATION tag number stands for in RFC 4120 5 (messages and their encrypted parts).</summary>
    public static string? ApplicationTag(int number) => number switch
    {
        1 => "Ticket",
        2 => "Authenticator",
        3 => "EncTicketPart",
        25 => "EncASRepPart",
        26 => "EncTGSRepPart",
        27 => "EncAPRepPart",
        28 => "EncKrbPrivPart",
        29 => "EncKrbCredPart",
        10 or 11 or 12 or 13 or 14 or 15 or 20 or 21 or 22 or 30 => MessageType(number),
        _ => null,
    };

    internal static string ApplicationTagSuffix(int number) => ApplicationTag(number) is { } name ? $" ({name})" : "";

    public static string PaDataType(int type) => type switch
    {
        1 => "PA-TGS-REQ",
        2 => "PA-ENC-TIMESTAMP",
        3 => "PA-PW-SALT",
        11 => "PA-ETYPE-INFO",
        14 => "PA-PK-AS-REQ_OLD",
        15 => "PA-PK-AS-REP_OLD",
        16 => "PA-PK-AS-REQ",
        17 => "PA-PK-AS-REP",
        19 => "PA-ETYPE-INFO2",
        20 => "PA-SVR-REFERRAL-INFO",
        128 => "PA-PAC-REQUEST",
        129 => "PA-FOR-USER",
        133 => "PA-FX-COOKIE",
        136 => "PA-FX-FAST",
        137 => "PA-FX-ERROR",
        138 => "PA-ENCRYPTED-CHALLENGE",
        149 => "PA-REQ-ENC-PA-REP",
        150 => "PA-AS-FRESHNESS",
        151 => "PA-SPAKE",
        161 => "KERB-KEY-LIST-REQ",
        162 => "KERB-KEY-LIST-REP",
        165 => "PA-SUPPORTED-ENCTYPES",
        167 => "PA-PAC-OPTIONS",
        _ => type.ToString(CultureInfo.InvariantCulture),
    };

    public static string NameType(int type) => type switch
    {
        0 => "NT-UNKNOWN",
        1 => "NT-PRINCIPAL",
        2 => "NT-SRV-INST",
        3 => "NT-SRV-HST",
        4 => "NT-SRV-XHST",
        5 => "NT-UID",
        6 => "NT-X500-PRINCIPAL",
        7 => "NT-SMTP-NAME",
        10 => "NT-ENTERPRISE",
        11 => "NT-WELLKNOWN",
        _ => type.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The encryption type's name as RFC 3961 8 and its successors list it (the DES types by name only: nothing here implements them).</summary>
    public static string EncryptionType(int etype) => etype switch
    {
        1 => "des-cbc-crc",
        2 => "des-cbc-md4",
        3 => "des-cbc-md5",
        16 => "des3-cbc-sha1-kd",
        17 => "aes128-cts-hmac-sha1-96",
        18 => "aes256-cts-hmac-sha1-96",
        19 => "aes128-cts-hmac-sha256-128",
        20 => "aes256-cts-hmac-sha384-192",
        23 => "rc4-hmac",
        24 => "rc4-hmac-exp",
        25 => "camellia128-cts-cmac",
        26 => "camellia256-cts-cmac",
        _ => etype.ToString(CultureInfo.InvariantCulture),
    };

    public static string EncryptionType(EncryptionType etype) => EncryptionType((int)etype);

    /// <summary>The RFC 4120 7.5.9 name of an error code, e.g. <c>KDC_ERR_PREAUTH_REQUIRED</c>, or the number.</summary>
    public static string ErrorCode(int code) =>
        Enum.IsDefined((KerberosErrorCode)code) ? ((KerberosErrorCode)code).ToString() : code.ToString(CultureInfo.InvariantCulture);

    /// <summary>A one-line lowercase meaning of an error code (RFC 4120 7.5.9), or null for a number the RFCs do not assign.</summary>
    public static string? ErrorMeaning(KerberosErrorCode code) => ErrorMeanings.GetValueOrDefault(code);

    /// <summary>The RFC names of the set bits, e.g. <c>forwardable renewable canonicalize</c>; unnamed bits as <c>bitN</c>.</summary>
    public static string Flags(KdcOptions options) => FlagNames((uint)options, KdcOptionNames);

    public static string Flags(TicketFlags flags) => FlagNames((uint)flags, TicketFlagNames);

    public static string Flags(ApOptions options) => FlagNames((uint)options, ApOptionNames);

    private static string FlagNames(uint value, string?[] names)
    {
        var parts = new List<string>();
        for (int bit = 0; bit < 32; bit++)
        {
            if ((value & (1u << (31 - bit))) != 0)
            {
                parts.Add(bit < names.Length && names[bit] is { } name ? name : $"bit{bit}");
            }
        }

        return string.Join(' ', parts);
    }

    private static readonly string?[] KdcOptionNames =
    [
        "reserved", "forwardable", "forwarded", "proxiable", "proxy", "allow-postdate", "postdated", null,
        "renewable", null, null, "opt-hardware-auth", null, null, "cname-in-addl-tkt", "canonicalize",
        "request-anonymous", null, null, null, null, null, null, null,
        null, null, "disable-transited-check", "renewable-ok", "enc-tkt-in-skey", null, "renew", "validate",
    ];

    private static readonly string?[] TicketFlagNames =
    [
        "reserved", "forwardable", "forwarded", "proxiable", "proxy", "may-postdate", "postdated", "invalid",
        "renewable", "initial", "pre-authent", "hw-authent", "transited-policy-checked", "ok-as-delegate", null, "enc-pa-rep",
        "anonymous",
    ];

    private static readonly string?[] ApOptionNames = ["reserved", "use-session-key", "mutual-required"];

    private static readonly Dictionary<KerberosErrorCode, string> ErrorMeanings = new()
    {
        [KerberosErrorCode.KDC_ERR_NONE] = "no error",
        [KerberosErrorCode.KDC_ERR_NAME_EXP] = "the client's entry in the database has expired",
        [KerberosErrorCode.KDC_ERR_SERVICE_EXP] = "the server's entry in the database has expired",
        [KerberosErrorCode.KDC_ERR_BAD_PVNO] = "the requested protocol version number is not supported",
        [KerberosErrorCode.KDC_ERR_C_OLD_MAST_KVNO] = "the client's key is encrypted in an old master key",
        [KerberosErrorCode.KDC_ERR_S_OLD_MAST_KVNO] = "the server's key is encrypted in an old master key",
        [KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN] = "the client is not found in the kerberos database",
        [KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN] = "the server is not found in the kerberos database",
        [KerberosErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE] = "the principal has multiple entries in the database",
        [KerberosErrorCode.KDC_ERR_NULL_KEY] = "the client or server has a null key",
        [KerberosErrorCode.KDC_ERR_CANNOT_POSTDATE] = "the ticket is not eligible for postdating",
        [KerberosErrorCode.KDC_ERR_NEVER_VALID] = "the requested start time is later than the end time",
        [KerberosErrorCode.KDC_ERR_POLICY] = "the kdc policy rejects the request",
        [KerberosErrorCode.KDC_ERR_BADOPTION] = "the kdc cannot accommodate a requested option",
        [KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP] = "the kdc has no support for the encryption type",
        [KerberosErrorCode.KDC_ERR_SUMTYPE_NOSUPP] = "the kdc has no support for the checksum type",
        [KerberosErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP] = "the kdc has no support for the padata type",
        [KerberosErrorCode.KDC_ERR_TRTYPE_NOSUPP] = "the kdc has no support for the transited type",
        [KerberosErrorCode.KDC_ERR_CLIENT_REVOKED] = "the client's credentials have been revoked (disabled, locked out or expired account)",
        [KerberosErrorCode.KDC_ERR_SERVICE_REVOKED] = "the credentials for the server have been revoked",
        [KerberosErrorCode.KDC_ERR_TGT_REVOKED] = "the tgt has been revoked",
        [KerberosErrorCode.KDC_ERR_CLIENT_NOTYET] = "the client is not yet valid; try again later",
        [KerberosErrorCode.KDC_ERR_SERVICE_NOTYET] = "the server is not yet valid; try again later",
        [KerberosErrorCode.KDC_ERR_KEY_EXPIRED] = "the password has expired; change it to reset",
        [KerberosErrorCode.KDC_ERR_PREAUTH_FAILED] = "the pre-authentication information was invalid (wrong password)",
        [KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED] = "additional pre-authentication is required",
        [KerberosErrorCode.KDC_ERR_SERVER_NOMATCH] = "the requested server and the ticket do not match",
        [KerberosErrorCode.KDC_ERR_MUST_USE_USER2USER] = "the server principal is valid for user-to-user only",
        [KerberosErrorCode.KDC_ERR_PATH_NOT_ACCEPTED] = "the kdc policy rejects the transited path",
        [KerberosErrorCode.KDC_ERR_SVC_UNAVAILABLE] = "a service is not available",
        [KerberosErrorCode.KRB_AP_ERR_BAD_INTEGRITY] = "the integrity check on a decrypted field failed",
        [KerberosErrorCode.KRB_AP_ERR_TKT_EXPIRED] = "the ticket has expired",
        [KerberosErrorCode.KRB_AP_ERR_TKT_NYV] = "the ticket is not yet valid",
        [KerberosErrorCode.KRB_AP_ERR_REPEAT] = "the request is a replay",
        [KerberosErrorCode.KRB_AP_ERR_NOT_US] = "the ticket is not for us",
        [KerberosErrorCode.KRB_AP_ERR_BADMATCH] = "the ticket and the authenticator do not match",
        [KerberosErrorCode.KRB_AP_ERR_SKEW] = "the clock skew is too great",
        [KerberosErrorCode.KRB_AP_ERR_BADADDR] = "the network address is incorrect",
        [KerberosErrorCode.KRB_AP_ERR_BADVERSION] = "the protocol version does not match",
        [KerberosErrorCode.KRB_AP_ERR_MSG_TYPE] = "the message type is invalid",
        [KerberosErrorCode.KRB_AP_ERR_MODIFIED] = "the message stream was modified (or the service key is not the one the ticket was made for)",
        [KerberosErrorCode.KRB_AP_ERR_BADORDER] = "the message is out of order",
        [KerberosErrorCode.KRB_AP_ERR_BADKEYVER] = "the specified version of the key is not available",
        [KerberosErrorCode.KRB_AP_ERR_NOKEY] = "the service key is not available",
        [KerberosErrorCode.KRB_AP_ERR_MUT_FAIL] = "mutual authentication failed",
        [KerberosErrorCode.KRB_AP_ERR_BADDIRECTION] = "the message direction is incorrect",
        [KerberosErrorCode.KRB_AP_ERR_METHOD] = "an alternative authentication method is required",
        [KerberosErrorCode.KRB_AP_ERR_BADSEQ] = "the sequence number in the message is incorrect",
        [KerberosErrorCode.KRB_AP_ERR_INAPP_CKSUM] = "the type of checksum in the message is inappropriate",
        [KerberosErrorCode.KRB_AP_PATH_NOT_ACCEPTED] = "the policy rejects the transited path",
        [KerberosErrorCode.KRB_ERR_RESPONSE_TOO_BIG] = "the response is too big for udp; retry with tcp",
        [KerberosErrorCode.KRB_ERR_GENERIC] = "a generic error (the e-text may say more)",
        [KerberosErrorCode.KRB_ERR_FIELD_TOOLONG] = "a field is too long for this implementation",
        [KerberosErrorCode.KDC_ERROR_CLIENT_NOT_TRUSTED] = "the client is not trusted (pkinit)",
        [KerberosErrorCode.KDC_ERROR_KDC_NOT_TRUSTED] = "the kdc is not trusted (pkinit)",
        [KerberosErrorCode.KDC_ERROR_INVALID_SIG] = "the signature is invalid (pkinit)",
        [KerberosErrorCode.KDC_ERR_KEY_TOO_WEAK] = "the key is too weak (pkinit key parameters not accepted)",
        [KerberosErrorCode.KDC_ERR_CERTIFICATE_MISMATCH] = "the certificate does not match (pkinit)",
        [KerberosErrorCode.KRB_AP_ERR_NO_TGT] = "no tgt is available to validate a user-to-user exchange",
        [KerberosErrorCode.KDC_ERR_WRONG_REALM] = "the request belongs to another realm (referral)",
        [KerberosErrorCode.KRB_AP_ERR_USER_TO_USER_REQUIRED] = "the ticket must be for user-to-user",
        [KerberosErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE] = "the certificate cannot be verified (pkinit)",
        [KerberosErrorCode.KDC_ERR_INVALID_CERTIFICATE] = "the certificate is invalid (pkinit)",
        [KerberosErrorCode.KDC_ERR_REVOKED_CERTIFICATE] = "the certificate is revoked (pkinit)",
        [KerberosErrorCode.KDC_ERR_REVOCATION_STATUS_UNKNOWN] = "the revocation status is unknown (pkinit)",
        [KerberosErrorCode.KDC_ERR_REVOCATION_STATUS_UNAVAILABLE] = "the revocation status is unavailable (pkinit)",
        [KerberosErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH] = "the client name does not match the certificate (pkinit)",
        [KerberosErrorCode.KDC_ERR_KDC_NAME_MISMATCH] = "the kdc name does not match the certificate (pkinit)",
        [KerberosErrorCode.KDC_ERR_PREAUTH_EXPIRED] = "the pre-authentication data has expired (rfc 6113)",
        [KerberosErrorCode.KDC_ERR_MORE_PREAUTH_DATA_REQUIRED] = "more pre-authentication data is required (rfc 6113)",
        [KerberosErrorCode.KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET] = "the authentication set is not acceptable (rfc 6113)",
        [KerberosErrorCode.KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS] = "unknown critical fast options (rfc 6113)",
    };
}
