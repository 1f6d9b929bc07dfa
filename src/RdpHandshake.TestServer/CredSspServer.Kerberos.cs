using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.TestServer;

/// <summary>What one answer of the Kerberos exchange is, and so what the server does after sending it.</summary>
internal enum KerberosAnswerKind
{
    /// <summary>A SPNEGO token (the AP-REP, or SPNEGO asking for another mechanism): the client answers it.</summary>
    Token,

    /// <summary>The server's pubKeyAuth (with the last SPNEGO token when it had not gone out yet): credentials come next.</summary>
    PubKeyAuth,

    /// <summary>An errorCode (with the SPNEGO reject and KRB-ERROR GSS-API made, if any): the server closes after it.</summary>
    Refusal,
}

/// <summary>One TSRequest of the Kerberos exchange, the step whose fault may replace it, and what it is.</summary>
internal sealed record KerberosAnswer(KerberosAnswerKind Kind, byte[] Bytes, string Step, string What);

/// <summary>
/// CredSSP with Kerberos (MS-CSSP 3.1.5, MS-KILE, RFC 4121) through the system GSS-API: the client's whole SPNEGO
/// token goes to <see cref="GssapiAcceptor"/>, whose answer (a NegTokenResp accept-completed with the AP-REP, or a
/// reject with the KRB-ERROR) goes back as the TSRequest's negoToken; pubKeyAuth and authInfo are gss_unwrap'ed and the
/// server's pubKeyAuth gss_wrap'ed. The bindings and the refusals are those of the NTLM path. None of the project's
/// own Kerberos code is involved, so this side can check it.
/// </summary>
internal sealed partial class CredSspServer
{
    /// <summary>Kerberos V5 (RFC 4121) and the OID Windows sends first for it (MS-KILE 1.9, "MS KRB5").</summary>
    public static readonly IReadOnlyList<string> KerberosOids = ["1.2.840.113554.1.2.2", "1.2.840.48018.1.2.2"];

    /// <summary>KRB_AP_ERR_SKEW (RFC 4120 7.5.9).</summary>
    private const int KrbApErrSkew = 37;

    private GssapiAcceptor? _gss;
    private byte[]? _pendingToken;
    private bool _kerberosStarted;

    /// <summary>The package that served the client: <c>Kerberos</c> or <c>NTLM</c>, once chosen.</summary>
    public string Package => _kerberosStarted ? "Kerberos" : "NTLM";

    /// <summary>Why the acceptor refused the client's token (GSS-API's words), when it did.</summary>
    public string? KerberosError { get; private set; }

    /// <summary>The error-code of the KRB-ERROR the server sent (e.g. 31 KRB_AP_ERR_BAD_INTEGRITY), when it sent one.</summary>
    public int? KerberosErrorCode { get; private set; }

    /// <summary>
    /// Whether the client's first TSRequest goes to Kerberos: the server has a keytab, the token is a SPNEGO
    /// NegTokenInit, and Kerberos is its first mechanism (whose optimistic token it carries) or, when the server
    /// refuses NTLM, any of its mechanisms.
    /// </summary>
    public bool SelectsKerberos(TsRequest request)
    {
        if (options.KerberosKeytab is null || request.NegoTokens.Count == 0 || request.NegoTokens[0].Span.StartsWith("NTLMSSP\0"u8))
        {
            return false;
        }

        DecodeResult<SpnegoNegTokenInit> init = Pdu.Decode<SpnegoNegTokenInit>(request.NegoTokens[0].Span);
        if (!init.IsSuccess || init.Value.MechTypes.Count == 0)
        {
            return false;
        }

        return KerberosOids.Contains(init.Value.MechTypes[0]) || (options.KerberosOnly && init.Value.MechTypes.Any(KerberosOids.Contains));
    }

    /// <summary>
    /// Answers one TSRequest of the Kerberos exchange: the SPNEGO token goes to GSS-API; once the context is complete,
    /// a pubKeyAuth (in the same TSRequest or the next) is checked and answered with the server's.
    /// </summary>
    public KerberosAnswer AnswerKerberos(TsRequest request)
    {
        if (!_kerberosStarted)
        {
            _kerberosStarted = true;
            _version = Math.Min(options.Ntlm.CredSspVersion, request.Version);
            if (options.ForcedErrorCode is { } forced)
            {
                return Refuse(forced, null, FaultSteps.CredSspApReply);
            }

            _gss = GssapiAcceptor.TryCreate(options.KerberosKeytab!, out string? unusable);
            if (_gss is null)
            {
                KerberosError = unusable;
                return Refuse(CredSspErrorCodes.InternalError, null, FaultSteps.CredSspApReply);
            }
        }

        GssapiAcceptor gss = _gss!;
        if (!gss.IsComplete)
        {
            if (request.NegoTokens.Count == 0)
            {
                return Refuse(CredSspErrorCodes.InvalidToken, null, FaultSteps.CredSspApReply);
            }

            GssAcceptResult result = gss.Accept(request.NegoTokens[0].Span);
            switch (result.Status)
            {
                case GssAcceptStatus.Failed:
                    KerberosError = result.Message;
                    KerberosErrorCode = ResponseToken(result.Output) is { } errorToken ? GssapiAcceptor.KerberosErrorCode(errorToken) : null;
                    return Refuse(KerberosRefusalCode(result, KerberosErrorCode), result.Output, FaultSteps.CredSspApReply);
                case GssAcceptStatus.ContinueNeeded:
                    return new KerberosAnswer(KerberosAnswerKind.Token, Pdu.Encode(new TsRequest(_version, [new ByteString(result.Output)])), FaultSteps.CredSspApReply, "SPNEGO answer");
                case GssAcceptStatus.Complete:
                    byte[] token = options.CredSspFault == CredSspFault.GarbledApRep ? Garbled(result.Output) : result.Output;
                    if (request.PubKeyAuth.IsEmpty)
                    {
                        return new KerberosAnswer(KerberosAnswerKind.Token, Pdu.Encode(new TsRequest(_version, token.Length > 0 ? [new ByteString(token)] : [])), FaultSteps.CredSspApReply, "Kerberos AP-REP");
                    }

                    // The client finished first (no mutual authentication) and sent its pubKeyAuth with the AP-REQ.
                    _pendingToken = token;
                    break;
            }
        }

        if (request.PubKeyAuth.IsEmpty)
        {
            return Refuse(CredSspErrorCodes.InvalidToken, null, FaultSteps.CredSspPubKey);
        }

        if (options.RequireNonceBinding && request.Version < TsRequest.FirstNonceVersion)
        {
            return Refuse(LegacyBindingRefusalCode, null, FaultSteps.CredSspPubKey);
        }

        byte[]? clientBinding = gss.Unwrap(request.PubKeyAuth.Span, out string? unwrapError);
        if (!ClientBindingMatches(clientBinding, request))
        {
            KerberosError = unwrapError;
            return Refuse(CredSspErrorCodes.BadBindings, null, FaultSteps.CredSspPubKey);
        }

        AuthenticatedUser = gss.ClientName;
        byte[] pubKeyAuth = gss.Wrap(ServerBinding(request), out string? wrapError) ?? throw new InvalidOperationException($"gss_wrap failed on an established context: {wrapError}");
        byte[][] tokens = _pendingToken is { Length: > 0 } pending ? [pending] : [];
        return new KerberosAnswer(KerberosAnswerKind.PubKeyAuth, Pdu.Encode(new TsRequest(_version, [.. tokens.Select(t => new ByteString(t))], PubKeyAuth: new ByteString(pubKeyAuth))), FaultSteps.CredSspPubKey, "pubKeyAuth");
    }

    /// <summary>The answer of the <c>reject</c> fault at <see cref="FaultSteps.CredSspApReply"/>: negState reject, nothing else.</summary>
    public byte[] SpnegoReject() => Pdu.Encode(new TsRequest(Math.Max(_version, 2), [new ByteString(Pdu.Encode(new SpnegoNegTokenResp(SpnegoNegState.Reject, null, default)))]));

    /// <summary>
    /// The errorCode sent with a refused AP-REQ. What Windows sends here is not in MS-CSSP and was not observed; this
    /// server sends STATUS_TIME_DIFFERENCE_AT_DC for KRB_AP_ERR_SKEW, SEC_E_INVALID_TOKEN for a token GSS-API cannot
    /// read (GSS_S_DEFECTIVE_TOKEN) and SEC_E_LOGON_DENIED for every other refusal (a ticket the service keys do not
    /// decrypt, an expired ticket, a replay), and in every case the SPNEGO reject with the KRB-ERROR MIT produced.
    /// </summary>
    internal static uint KerberosRefusalCode(GssAcceptResult result, int? kerberosError)
    {
        const uint routineErrorMask = 0x00FF0000; // RFC 2744 3.9.1: the routine error field of a major status
        const uint defectiveToken = 9u << 16;     // GSS_S_DEFECTIVE_TOKEN
        if (kerberosError == KrbApErrSkew)
        {
            return CredSspErrorCodes.TimeDifferenceAtDc;
        }

        return (result.Major & routineErrorMask) == defectiveToken && kerberosError is null ? CredSspErrorCodes.InvalidToken : CredSspErrorCodes.LogonDenied;
    }

    private KerberosAnswer Refuse(uint code, byte[]? negoToken, string step) =>
        new(KerberosAnswerKind.Refusal, Error(code, negoToken), step, $"errorCode 0x{code:x8}");

    /// <summary>The responseToken of a SPNEGO NegTokenResp, or the token itself when it is not one (a raw Kerberos token).</summary>
    private static byte[]? ResponseToken(byte[] token)
    {
        if (token.Length == 0)
        {
            return null;
        }

        DecodeResult<SpnegoNegTokenResp> resp = Pdu.Decode<SpnegoNegTokenResp>(token);
        return resp.IsSuccess ? (resp.Value.ResponseToken.IsEmpty ? null : resp.Value.ResponseToken.Span.ToArray()) : token;
    }

    /// <summary>
    /// The NegTokenResp with one byte flipped near the end of its AP-REP: inside the enc-part ciphertext (RFC 4120
    /// 5.5.2), whose integrity check then fails on the client. The DER around it stays valid.
    /// </summary>
    private static byte[] Garbled(byte[] negTokenResp)
    {
        DecodeResult<SpnegoNegTokenResp> resp = Pdu.Decode<SpnegoNegTokenResp>(negTokenResp);
        if (!resp.IsSuccess || resp.Value.ResponseToken.Length < 16)
        {
            return negTokenResp;
        }

        byte[] apRep = resp.Value.ResponseToken.Span.ToArray();
        apRep[^8] ^= 0x5A;
        return Pdu.Encode(resp.Value with { ResponseToken = new ByteString(apRep) });
    }
}
