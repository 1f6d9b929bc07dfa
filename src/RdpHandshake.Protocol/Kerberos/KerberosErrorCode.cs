using System.Diagnostics.CodeAnalysis;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 7.5.9 error codes (the error-code of a KRB-ERROR), named as the RFC spells them, and the four of
/// RFC 6113 5.4.5 (FAST). <see cref="KerberosNames.ErrorMeaning"/> gives a one-line lowercase meaning each.
/// </summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "the names RFC 4120 7.5.9 gives")]
public enum KerberosErrorCode
{
    /// <summary>0: no error.</summary>
    KDC_ERR_NONE = 0,

    /// <summary>1: the client's entry in the database has expired.</summary>
    KDC_ERR_NAME_EXP = 1,

    /// <summary>2: the server's entry in the database has expired.</summary>
    KDC_ERR_SERVICE_EXP = 2,

    /// <summary>3: the requested protocol version number is not supported.</summary>
    KDC_ERR_BAD_PVNO = 3,

    /// <summary>4: the client's key is encrypted in an old master key.</summary>
    KDC_ERR_C_OLD_MAST_KVNO = 4,

    /// <summary>5: the server's key is encrypted in an old master key.</summary>
    KDC_ERR_S_OLD_MAST_KVNO = 5,

    /// <summary>6: the client is not found in the kerberos database.</summary>
    KDC_ERR_C_PRINCIPAL_UNKNOWN = 6,

    /// <summary>7: the server is not found in the kerberos database.</summary>
    KDC_ERR_S_PRINCIPAL_UNKNOWN = 7,

    /// <summary>8: the principal has multiple entries in the database.</summary>
    KDC_ERR_PRINCIPAL_NOT_UNIQUE = 8,

    /// <summary>9: the client or server has a null key.</summary>
    KDC_ERR_NULL_KEY = 9,

    /// <summary>10: the ticket is not eligible for postdating.</summary>
    KDC_ERR_CANNOT_POSTDATE = 10,

    /// <summary>11: the requested start time is later than the end time.</summary>
    KDC_ERR_NEVER_VALID = 11,

    /// <summary>12: the kdc policy rejects the request.</summary>
    KDC_ERR_POLICY = 12,

    /// <summary>13: the kdc cannot accommodate a requested option.</summary>
    KDC_ERR_BADOPTION = 13,

    /// <summary>14: the kdc has no support for the encryption type.</summary>
    KDC_ERR_ETYPE_NOSUPP = 14,

    /// <summary>15: the kdc has no support for the checksum type.</summary>
    KDC_ERR_SUMTYPE_NOSUPP = 15,

    /// <summary>16: the kdc has no support for the padata type.</summary>
    KDC_ERR_PADATA_TYPE_NOSUPP = 16,

    /// <summary>17: the kdc has no support for the transited type.</summary>
    KDC_ERR_TRTYPE_NOSUPP = 17,

    /// <summary>18: the client's credentials have been revoked (disabled, locked out or expired account).</summary>
    KDC_ERR_CLIENT_REVOKED = 18,

    /// <summary>19: the credentials for the server have been revoked.</summary>
    KDC_ERR_SERVICE_REVOKED = 19,

    /// <summary>20: the tgt has been revoked.</summary>
    KDC_ERR_TGT_REVOKED = 20,

    /// <summary>21: the client is not yet valid; try again later.</summary>
    KDC_ERR_CLIENT_NOTYET = 21,

    /// <summary>22: the server is not yet valid; try again later.</summary>
    KDC_ERR_SERVICE_NOTYET = 22,

    /// <summary>23: the password has expired; change it to reset.</summary>
    KDC_ERR_KEY_EXPIRED = 23,

    /// <summary>24: the pre-authentication information was invalid (wrong password).</summary>
    KDC_ERR_PREAUTH_FAILED = 24,

    /// <summary>25: additional pre-authentication is required.</summary>
    KDC_ERR_PREAUTH_REQUIRED = 25,

    /// <summary>26: the requested server and the ticket do not match.</summary>
    KDC_ERR_SERVER_NOMATCH = 26,

    /// <summary>27: the server principal is valid for user-to-user only.</summary>
    KDC_ERR_MUST_USE_USER2USER = 27,

    /// <summary>28: the kdc policy rejects the transited path.</summary>
    KDC_ERR_PATH_NOT_ACCEPTED = 28,

    /// <summary>29: a service is not available.</summary>
    KDC_ERR_SVC_UNAVAILABLE = 29,

    /// <summary>31: the integrity check on a decrypted field failed.</summary>
    KRB_AP_ERR_BAD_INTEGRITY = 31,

    /// <summary>32: the ticket has expired.</summary>
    KRB_AP_ERR_TKT_EXPIRED = 32,

    /// <summary>33: the ticket is not yet valid.</summary>
    KRB_AP_ERR_TKT_NYV = 33,

    /// <summary>34: the request is a replay.</summary>
    KRB_AP_ERR_REPEAT = 34,

    /// <summary>35: the ticket is not for us.</summary>
    KRB_AP_ERR_NOT_US = 35,

    /// <summary>36: the ticket and the authenticator do not match.</summary>
    KRB_AP_ERR_BADMATCH = 36,

    /// <summary>37: the clock skew is too great.</summary>
    KRB_AP_ERR_SKEW = 37,

    /// <summary>38: the network address is incorrect.</summary>
    KRB_AP_ERR_BADADDR = 38,

    /// <summary>39: the protocol version does not match.</summary>
    KRB_AP_ERR_BADVERSION = 39,

    /// <summary>40: the message type is invalid.</summary>
    KRB_AP_ERR_MSG_TYPE = 40,

    /// <summary>41: the message stream was modified (or the service key is not the one the ticket was made for).</summary>
    KRB_AP_ERR_MODIFIED = 41,

    /// <summary>42: the message is out of order.</summary>
    KRB_AP_ERR_BADORDER = 42,

    /// <summary>44: the specified version of the key is not available.</summary>
    KRB_AP_ERR_BADKEYVER = 44,

    /// <summary>45: the service key is not available.</summary>
    KRB_AP_ERR_NOKEY = 45,

    /// <summary>46: mutual authentication failed.</summary>
    KRB_AP_ERR_MUT_FAIL = 46,

    /// <summary>47: the message direction is incorrect.</summary>
    KRB_AP_ERR_BADDIRECTION = 47,

    /// <summary>48: an alternative authentication method is required.</summary>
    KRB_AP_ERR_METHOD = 48,

    /// <summary>49: the sequence number in the message is incorrect.</summary>
    KRB_AP_ERR_BADSEQ = 49,

    /// <summary>50: the type of checksum in the message is inappropriate.</summary>
    KRB_AP_ERR_INAPP_CKSUM = 50,

    /// <summary>51: the policy rejects the transited path.</summary>
    KRB_AP_PATH_NOT_ACCEPTED = 51,

    /// <summary>52: the response is too big for udp; retry with tcp.</summary>
    KRB_ERR_RESPONSE_TOO_BIG = 52,

    /// <summary>60: a generic error (the e-text may say more).</summary>
    KRB_ERR_GENERIC = 60,

    /// <summary>61: a field is too long for this implementation.</summary>
    KRB_ERR_FIELD_TOOLONG = 61,

    /// <summary>62: the client is not trusted (pkinit).</summary>
    KDC_ERROR_CLIENT_NOT_TRUSTED = 62,

    /// <summary>63: the kdc is not trusted (pkinit).</summary>
    KDC_ERROR_KDC_NOT_TRUSTED = 63,

    /// <summary>64: the signature is invalid (pkinit).</summary>
    KDC_ERROR_INVALID_SIG = 64,

    /// <summary>65: the key is too weak (pkinit key parameters not accepted).</summary>
    KDC_ERR_KEY_TOO_WEAK = 65,

    /// <summary>66: the certificate does not match (pkinit).</summary>
    KDC_ERR_CERTIFICATE_MISMATCH = 66,

    /// <summary>67: no tgt is available to validate a user-to-user exchange.</summary>
    KRB_AP_ERR_NO_TGT = 67,

    /// <summary>68: the request belongs to another realm (referral).</summary>
    KDC_ERR_WRONG_REALM = 68,

    /// <summary>69: the ticket must be for user-to-user.</summary>
    KRB_AP_ERR_USER_TO_USER_REQUIRED = 69,

    /// <summary>70: the certificate cannot be verified (pkinit).</summary>
    KDC_ERR_CANT_VERIFY_CERTIFICATE = 70,

    /// <summary>71: the certificate is invalid (pkinit).</summary>
    KDC_ERR_INVALID_CERTIFICATE = 71,

    /// <summary>72: the certificate is revoked (pkinit).</summary>
    KDC_ERR_REVOKED_CERTIFICATE = 72,

    /// <summary>73: the revocation status is unknown (pkinit).</summary>
    KDC_ERR_REVOCATION_STATUS_UNKNOWN = 73,

    /// <summary>74: the revocation status is unavailable (pkinit).</summary>
    KDC_ERR_REVOCATION_STATUS_UNAVAILABLE = 74,

    /// <summary>75: the client name does not match the certificate (pkinit).</summary>
    KDC_ERR_CLIENT_NAME_MISMATCH = 75,

    /// <summary>76: the kdc name does not match the certificate (pkinit).</summary>
    KDC_ERR_KDC_NAME_MISMATCH = 76,

    /// <summary>90: the pre-authentication data has expired (rfc 6113).</summary>
    KDC_ERR_PREAUTH_EXPIRED = 90,

    /// <summary>91: more pre-authentication data is required (rfc 6113).</summary>
    KDC_ERR_MORE_PREAUTH_DATA_REQUIRED = 91,

    /// <summary>92: the authentication set is not acceptable (rfc 6113).</summary>
    KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET = 92,

    /// <summary>93: unknown critical fast options (rfc 6113).</summary>
    KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS = 93,
}
