using System.Globalization;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// What a KRB-ERROR means for the attempt, in words that name the user, the principal and the clocks involved: the
/// failure carries <see cref="CauseId.KerberosError"/> with the RFC 4120 error name as detail and its number as code.
/// </summary>
public static class KerberosVerdicts
{
    /// <summary>Which exchange the error answers.</summary>
    public enum Exchange
    {
        As,
        Tgs,
        Ap,
    }

    /// <summary>What the request was about, for the words of the verdict.</summary>
    /// <param name="Exchange">The exchange the error answers.</param>
    /// <param name="Client">The user, <c>alice@REALM</c>.</param>
    /// <param name="Service">The server principal asked for, <c>TERMSRV/host@REALM</c>.</param>
    /// <param name="Offered">The encryption types offered, by name.</param>
    /// <param name="RequestTime">When the request was made, by this machine's clock.</param>
    public sealed record RequestContext(Exchange Exchange, string Client, string Service, string Offered, DateTimeOffset RequestTime);

    /// <summary>Whether Windows' Negotiate would go on with NTLM after this Kerberos failure: no KDC, no such principal, no common type.</summary>
    public static bool NegotiateFallsBack(ProtocolFailure failure) => failure.Cause switch
    {
        CauseId.KdcNotFound or CauseId.KdcUnreachable => true,
        CauseId.KerberosError => failure.Code is (uint)KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN or (uint)KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN
            or (uint)KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP or (uint)KerberosErrorCode.KDC_ERR_WRONG_REALM,
        _ => false,
    };

    /// <summary>A KRB-ERROR from the KDC, in answer to an AS-REQ or a TGS-REQ.</summary>
    public static ProtocolFailure ForKdcError(KrbError error, RequestContext context)
    {
        string kdc = $"the KDC of {error.Realm}";
        string reason = error.ErrorCode switch
        {
            KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN => $"{kdc} does not know the user {context.Client}",
            KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN => $"{kdc} has no principal {context.Service}: no account holds this service principal name",
            KerberosErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE => $"{kdc} has {context.Service} on more than one account: the service principal name is duplicated",
            KerberosErrorCode.KDC_ERR_PREAUTH_FAILED => $"{kdc} refused the pre-authentication of {context.Client}: the password is wrong",
            KerberosErrorCode.KDC_ERR_CLIENT_REVOKED => $"{kdc} refuses {context.Client}: the account is locked out, disabled or expired",
            KerberosErrorCode.KDC_ERR_KEY_EXPIRED => $"the password of {context.Client} has expired: it must be changed before it can be used",
            KerberosErrorCode.KDC_ERR_NAME_EXP => $"the account {context.Client} has expired",
            KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP => $"{kdc} and rdphs share no encryption type for {(context.Exchange == Exchange.As ? context.Client : context.Service)}: rdphs offered {context.Offered}{KdcEtypes(error)}",
            KerberosErrorCode.KRB_AP_ERR_SKEW => $"{kdc} refuses the request because the clocks differ: {Skew(error, context)}",
            KerberosErrorCode.KDC_ERR_WRONG_REALM => WrongRealm(error, context, kdc),
            KerberosErrorCode.KDC_ERR_POLICY => $"{kdc}'s policy refuses the request for {(context.Exchange == Exchange.As ? context.Client : context.Service)}",
            KerberosErrorCode.KDC_ERR_SERVICE_REVOKED => $"{kdc} refuses tickets for {context.Service}: the service account is disabled",
            KerberosErrorCode.KDC_ERR_TGT_REVOKED => $"{kdc} no longer accepts the TGT of {context.Client}",
            KerberosErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP => $"{kdc} does not support the pre-authentication rdphs sent",
            KerberosErrorCode.KDC_ERR_BADOPTION => $"{kdc} cannot grant an option rdphs asked for",
            _ => $"{kdc} answered {KerberosNames.ErrorCode((int)error.ErrorCode)} ({KerberosNames.ErrorMeaning(error.ErrorCode) ?? "an error number RFC 4120 does not assign"})",
        };
        return Failure(error, reason);
    }

    /// <summary>A KRB-ERROR from the server, in answer to the AP-REQ.</summary>
    public static ProtocolFailure ForServerError(KrbError error, RequestContext context)
    {
        string reason = error.ErrorCode switch
        {
            KerberosErrorCode.KRB_AP_ERR_MODIFIED or KerberosErrorCode.KRB_AP_ERR_BAD_INTEGRITY =>
                $"the server could not decrypt the service ticket for {context.Service}: the key it holds is not the one the KDC used (a stale keytab or machine password, or the name registered on two accounts)",
            KerberosErrorCode.KRB_AP_ERR_BADKEYVER or KerberosErrorCode.KRB_AP_ERR_NOKEY =>
                $"the server has no key of the version the KDC used for {context.Service}: its keytab or machine password is out of date",
            KerberosErrorCode.KRB_AP_ERR_NOT_US => $"the server is not {context.Service}: the ticket is for another principal",
            KerberosErrorCode.KRB_AP_ERR_SKEW => $"the server refuses the AP-REQ because the clocks differ: {Skew(error, context)}",
            KerberosErrorCode.KRB_AP_ERR_TKT_EXPIRED => $"the server says the service ticket for {context.Service} has expired",
            KerberosErrorCode.KRB_AP_ERR_TKT_NYV => $"the server says the service ticket for {context.Service} is not valid yet (the clocks differ)",
            KerberosErrorCode.KRB_AP_ERR_REPEAT => "the server saw this authenticator before: it takes the AP-REQ for a replay",
            _ => $"the server answered the AP-REQ with {KerberosNames.ErrorCode((int)error.ErrorCode)} ({KerberosNames.ErrorMeaning(error.ErrorCode) ?? "an error number RFC 4120 does not assign"})",
        };
        return Failure(error, reason);
    }

    /// <summary>
    /// KDC_ERR_WRONG_REALM: in the AS exchange with a crealm other than the user's, a client referral (RFC 6806 7) the
    /// package did not follow because it followed one already; otherwise the KDC does not serve the realm asked for,
    /// which is what an MIT KDC answers a request for a realm it does not hold (a --kdc or krb5.conf entry that names
    /// another realm's KDC).
    /// </summary>
    private static string WrongRealm(KrbError error, RequestContext context, string kdc)
    {
        string asked = context.Exchange == Exchange.As ? context.Client : context.Service;
        string realm = asked[(asked.LastIndexOf('@') + 1)..];
        return context.Exchange == Exchange.As && error.CRealm is { } referred && !string.Equals(referred, realm, StringComparison.OrdinalIgnoreCase)
            ? $"{kdc} says {context.Client} belongs to another realm ({referred}), and rdphs already followed one referral"
            : $"{kdc} does not serve the realm {realm} of {asked}: the KDC asked (--kdc, krb5.conf or DNS) is another realm's";
    }

    private static ProtocolFailure Failure(KrbError error, string reason)
    {
        string text = error.EText is { Length: > 0 } etext ? $" (e-text: \"{etext}\")" : string.Empty;
        string status = error.FindNtStatus() is { } code ? $" ({NtStatus.Name(code)})" : string.Empty;
        return new ProtocolFailure(CauseId.KerberosError, reason + status + text)
        {
            Detail = KerberosNames.ErrorCode((int)error.ErrorCode),
            Code = (uint)error.ErrorCode,
        };
    }

    /// <summary>The clock difference measured from the error's stime: Kerberos allows five minutes by default.</summary>
    private static string Skew(KrbError error, RequestContext context)
    {
        DateTimeOffset peer = error.STime.Value.AddTicks(error.SUsec * 10L);
        TimeSpan offset = peer - context.RequestTime;
        string direction = offset >= TimeSpan.Zero ? "ahead of" : "behind";
        string seconds = Math.Abs(offset.TotalSeconds).ToString("0", CultureInfo.InvariantCulture);
        return $"its clock ({error.STime}) is {seconds} s {direction} this machine's, and Kerberos allows 300 s by default";
    }

    private static string KdcEtypes(KrbError error) => error.FindEtypeInfo2() is { } info
        ? $"; the KDC has {string.Join(", ", info.Entries.Select(e => KerberosNames.EncryptionType(e.EType)))}"
        : "; the KDC did not say which it has (the account's keys may be of types rdphs did not offer, or the KDC allows none of those offered)";
}
