using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// CredSSP (MS-CSSP 3.1.5) inside TLS, for HYBRID and HYBRID_EX: the authentication package's round trip in
/// TSRequests, wrapped in SPNEGO as Windows clients send it (or bare); the public-key binding that proves both ends
/// see the same TLS key; the delegated credentials; and for HYBRID_EX the Early User Authorization Result
/// (MS-RDPBCGR 2.2.10.2). Everything package-specific goes through <see cref="IAuthenticationPackage"/>, including
/// the exchanges with a KDC that a Kerberos package needs before its first token: they are steps of this sequence
/// on <see cref="FrameLayer.Kdc"/>, framed here (RFC 4120 7.2.2 on TCP) and read by the package.
/// </summary>
public sealed class CredSspSequence : Sequence<CredSspSequence.Steps>
{
    public const string PubKeyStep = "credssp.pubkey";
    public const string CredentialsStep = "credssp.credentials";
    public const string EarlyAuthStep = "credssp.early-user-auth";

    private static ReadOnlySpan<byte> ClientToServerMagic => "CredSSP Client-To-Server Binding Hash\0"u8;

    private static ReadOnlySpan<byte> ServerToClientMagic => "CredSSP Server-To-Client Binding Hash\0"u8;

    /// <summary>Why the steps with a KDC record no bytes.</summary>
    public const string KdcBytesWithheld = "a Kerberos exchange carries tickets and data encrypted with keys derived from the password";

    private readonly ConnectionState connection;
    private readonly List<StepField> _kdcFields = [];
    private readonly List<ProtocolFailure> _setbacks = [];
    private KdcExchange? _exchange;
    private byte[] _mechTypes = [];
    private byte[] _nonce = [];
    private byte[] _publicKey = [];
    private int _version;
    private bool _sendMechListMic;
    private bool _serverMicVerified;

    public CredSspSequence(ConnectionState connection)
        : base(Steps.SendFirstToken)
    {
        this.connection = connection;
        if (connection.Services.Authentication?.PendingKdcExchange is not null)
        {
            State = Steps.SendKdcRequest;
        }
    }

    public enum Steps
    {
        SendKdcRequest,
        AwaitKdcReply,
        SendFirstToken,
        AwaitServerToken,
        SendFinalToken,
        AwaitPubKeyAuth,
        SendCredentials,
        AwaitEarlyUserAuthorization,
    }

    private IAuthenticationPackage Package => connection.Services.Authentication
        ?? throw new InvalidOperationException("the server selected CredSSP and the connector was given no authentication package");

    private bool Spnego => connection.Options.UseSpnego;

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendKdcRequest => KdcPlan(Package.PendingKdcExchange ?? throw new InvalidOperationException("no KDC exchange is pending"), read: false),
        Steps.AwaitKdcReply => KdcPlan(_exchange!, read: true),
        Steps.SendFirstToken => new StepPlan(Package.StepNames.FirstToken, ConnectionPhase.CredSsp, null, FrameLayer.Tls),
        Steps.AwaitServerToken => new StepPlan(Package.StepNames.ServerToken, ConnectionPhase.CredSsp, new TsRequestFrameHint(Package.StepNames.ServerToken, TsRequest.PduName), FrameLayer.Tls),
        Steps.SendFinalToken => new StepPlan(Package.StepNames.FinalToken, ConnectionPhase.CredSsp, null, FrameLayer.Tls),
        // A server that closes after the final token, without an errorCode, most likely refused the credentials.
        Steps.AwaitPubKeyAuth => new StepPlan(PubKeyStep, ConnectionPhase.CredSsp, new TsRequestFrameHint(PubKeyStep, TsRequest.PduName), FrameLayer.Tls)
        {
            WhenClosed = CauseId.ClosedAfterAuthenticate,
            WhenReset = CauseId.ClosedAfterAuthenticate,
        },
        Steps.SendCredentials => new StepPlan(CredentialsStep, ConnectionPhase.CredSsp, null, FrameLayer.Tls),
        Steps.AwaitEarlyUserAuthorization => new StepPlan(EarlyAuthStep, ConnectionPhase.CredSsp, new FixedLengthFrameHint(EarlyAuthStep, "Early User Authorization Result", 4), FrameLayer.Tls),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendKdcRequest => SendKdcRequest(output),
        Steps.AwaitKdcReply => ReceiveKdcReply(input),
        Steps.SendFirstToken => SendFirstToken(output),
        Steps.AwaitServerToken => ReceiveServerToken(input),
        Steps.SendFinalToken => SendFinalToken(output),
        Steps.AwaitPubKeyAuth => ReceivePubKeyAuth(input),
        Steps.SendCredentials => SendCredentials(output),
        Steps.AwaitEarlyUserAuthorization => ReceiveEarlyUserAuthorization(input),
    };

    /// <summary>The KDC could not be found, reached, or did not answer: the package says whether that ends the run.</summary>
    public override StepResult EndpointFailed(ProtocolFailure failure) => State switch
    {
        Steps.SendKdcRequest or Steps.AwaitKdcReply => AfterKdc(_exchange ??= Package.PendingKdcExchange!, Package.KdcFailed(failure)),
        Steps.SendFirstToken or Steps.AwaitServerToken or Steps.SendFinalToken or Steps.AwaitPubKeyAuth or Steps.SendCredentials
            or Steps.AwaitEarlyUserAuthorization => base.EndpointFailed(failure),
    };

    /// <summary>A KDC reply that cannot even be framed goes to the package like any unusable reply; other frames end the sequence.</summary>
    public override StepResult RejectFrame(DecodeError error, ReadOnlySpan<byte> received) => State == Steps.AwaitKdcReply
        ? AfterKdc(_exchange!, Package.KdcFailed(ProtocolFailure.Malformed($"the KDC's answer is not a {_exchange!.Expecting}: {error}", error)))
        : base.RejectFrame(error, received);

    private static StepPlan KdcPlan(KdcExchange exchange, bool read)
    {
        FrameHint? hint = !read ? null
            : exchange.Transport == KdcTransport.Tcp ? new KdcTcpFrameHint(exchange.StepName, exchange.Expecting)
            : new KdcDatagramHint(exchange.StepName, exchange.Expecting);
        // A KDC that closes, resets or stays silent is told to the package (EndpointFailed), not diagnosed by these.
        return new StepPlan(exchange.StepName, ConnectionPhase.CredSsp, hint, FrameLayer.Kdc) { Kdc = new KdcTarget(exchange.Realm, exchange.Transport) };
    }

    /// <summary>A request to the KDC (AS-REQ, TGS-REQ), with the four-byte length in front on TCP; its bytes are not recorded.</summary>
    private StepResult SendKdcRequest(IBufferWriter<byte> output)
    {
        KdcExchange exchange = _exchange = Package.PendingKdcExchange!;
        PackageToken request = Package.KdcRequest();
        if (exchange.Transport == KdcTransport.Tcp)
        {
            Pdu.Encode(new KdcTcpFrame(new ByteString(request.Token)), output);
        }
        else
        {
            output.Write(request.Token);
        }

        // A second round trip of the same exchange repeats what the first showed: only what is new is added.
        _kdcFields.AddRange(request.Fields.Where(f => !_kdcFields.Contains(f)));
        State = Steps.AwaitKdcReply;
        string transport = exchange.Transport == KdcTransport.Tcp ? "TCP" : "UDP";
        return new StepResult(exchange.StepName, ConnectionPhase.CredSsp, request.Pdu, [.. _kdcFields], $"{request.Pdu} to the KDC of {exchange.Realm} over {transport}")
        {
            Continues = true,
            BytesWithheld = KdcBytesWithheld,
        };
    }

    /// <summary>The KDC's reply, unframed, read by the package.</summary>
    private StepResult ReceiveKdcReply(ReadOnlySpan<byte> frame)
    {
        KdcExchange exchange = _exchange!;
        if (exchange.Transport == KdcTransport.Udp)
        {
            return AfterKdc(exchange, Package.AcceptKdcReply(frame));
        }

        DecodeResult<KdcTcpFrame> unframed = Pdu.Decode<KdcTcpFrame>(frame);
        return unframed.IsSuccess
            ? AfterKdc(exchange, Package.AcceptKdcReply(unframed.Value.Message.Span))
            : AfterKdc(exchange, Package.KdcFailed(ProtocolFailure.Malformed($"the KDC's answer is not a {exchange.Expecting}: {unframed.Error}", unframed.Error)));
    }

    /// <summary>
    /// Goes on after the package read a KDC reply (or heard that none came): the same exchange again (the
    /// pre-authentication round trip), the next exchange, the first token, or the end of the run. One step records
    /// one exchange, with the fields of all its round trips.
    /// </summary>
    private StepResult AfterKdc(KdcExchange exchange, PackageAnswer answer)
    {
        _kdcFields.AddRange(answer.Fields);
        List<StepField> fields = [.. _kdcFields];
        if (answer.Failure is { } failure)
        {
            _kdcFields.Clear();
            return Fail(exchange.StepName, new Rejection(answer.Pdu, fields, failure with { Reason = WithSetbacks(failure.Reason) })) with { BytesWithheld = KdcBytesWithheld };
        }

        string summary = answer.Setback is { } recovered && answer.Summary.Length == 0 ? recovered.Reason : answer.Summary;
        var result = new StepResult(exchange.StepName, ConnectionPhase.CredSsp, answer.Pdu, fields, summary) { BytesWithheld = KdcBytesWithheld };
        KdcExchange? next = Package.PendingKdcExchange;
        if (answer.Setback is null && next is not null && next.Id == exchange.Id)
        {
            State = Steps.SendKdcRequest;
            return result with { Continues = true };
        }

        _kdcFields.Clear();
        _exchange = null;
        State = next is null ? Steps.SendFirstToken : Steps.SendKdcRequest;
        if (answer.Setback is { } setback)
        {
            _setbacks.Add(setback);
            return result with { Setback = setback };
        }

        return result;
    }

    /// <summary>A failure's reason, with what went wrong earlier and was recovered from: why Negotiate did not use Kerberos.</summary>
    private string WithSetbacks(string reason) =>
        _setbacks.Count == 0 ? reason : $"{reason} (Kerberos was not used: {string.Join("; ", _setbacks.Select(s => s.Reason))})";

    /// <summary>The first TSRequest: the package's first token in a SPNEGO NegTokenInit (no user name, no secret).</summary>
    private StepResult SendFirstToken(IBufferWriter<byte> output)
    {
        PackageToken first = Package.FirstToken();
        IReadOnlyList<string> mechanisms = Package.MechanismOids;
        byte[] token = first.Token;
        if (Spnego)
        {
            token = Pdu.Encode(new SpnegoNegTokenInit(mechanisms, new ByteString(first.Token)));
            _mechTypes = CredSsp.Spnego.MechTypesBytes(token).Value.Span.ToArray();
        }

        Pdu.Encode(new TsRequest(connection.Options.CredSspVersion, [new ByteString(token)]), output);
        State = Steps.AwaitServerToken;
        var fields = new List<StepField>
        {
            new("tsRequest.version", connection.Options.CredSspVersion.ToString(CultureInfo.InvariantCulture)),
            new("negoToken", Spnego ? $"SPNEGO NegTokenInit, mechTypes {string.Join(", ", mechanisms.Select(CredSsp.Spnego.MechName))}" : $"bare {Package.Name}"),
        };
        fields.AddRange(first.Fields);
        string summary = Spnego ? $"TSRequest with SPNEGO NegTokenInit ({first.Pdu})" : $"TSRequest with a bare {first.Pdu}";
        return new StepResult(Package.StepNames.FirstToken, ConnectionPhase.CredSsp, TsRequest.PduName, fields, summary) { BytesWithheld = first.BytesWithheld };
    }

    /// <summary>
    /// The server's first TSRequest: its answer token (NTLM: the CHALLENGE, which names the server; Kerberos: the
    /// AP-REP, which proves it holds the service key), or an errorCode, or a SPNEGO refusal.
    /// </summary>
    private StepResult ReceiveServerToken(ReadOnlySpan<byte> frame)
    {
        string step = Package.StepNames.ServerToken;
        DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(frame);
        if (!decoded.IsSuccess)
        {
            return Fail(step, Rejection.Malformed(TsRequest.PduName, decoded.Error));
        }

        TsRequest answer = decoded.Value;
        var fields = new List<StepField> { new("tsRequest.version", answer.Version.ToString(CultureInfo.InvariantCulture)) };
        if (answer.ErrorCode is { } code)
        {
            fields.Add(new StepField("errorCode", $"{NtStatus.Name(code)} (0x{code:x8})"));
            connection.CredSspRefusedWith = code;
            if (KerberosRefusal(answer, fields) is { } kerberos)
            {
                return Fail(step, new Rejection(TsRequest.PduName, fields, kerberos with { Reason = WithSetbacks(kerberos.Reason) }));
            }

            ProtocolFailure refused = code == NtStatus.NtlmBlocked
                ? new ProtocolFailure(CauseId.NtlmBlocked, WithSetbacks($"the server refuses NTLM ({NtStatus.Name(code)}): it authenticates with Kerberos only")) { Code = code }
                : new ProtocolFailure(CauseId.ServerError, WithSetbacks($"the server refused the CredSSP negotiation with error 0x{code:x8} ({NtStatus.Meaning(code)})")) { Detail = $"0x{code:x8}", Code = code };
            return Fail(step, new Rejection(TsRequest.PduName, fields, refused));
        }

        if (answer.NegoTokens.Count == 0)
        {
            return Fail(step, new Rejection(TsRequest.PduName, fields, new ProtocolFailure(CauseId.MalformedResponse, "the server's TSRequest carries no negoToken")));
        }

        ByteString token = answer.NegoTokens[0];
        string? mech = null;
        SpnegoNegState? negState = null;
        ByteString serverMic = default;
        // A NegTokenResp is the [1] choice of NegotiationToken (RFC 4178 4.2); a bare package token starts otherwise.
        if (!token.IsEmpty && token.Span[0] == NegTokenRespTag)
        {
            DecodeResult<SpnegoNegTokenResp> resp = Pdu.Decode<SpnegoNegTokenResp>(token.Span);
            if (!resp.IsSuccess)
            {
                return Fail(step, Rejection.Malformed(SpnegoNegTokenResp.PduName, resp.Error, fields));
            }

            (negState, mech, token, serverMic) = resp.Value;
            fields.Add(new StepField("spnego.negState", negState?.ToString() ?? "absent"));
            if (mech is not null)
            {
                fields.Add(new StepField("spnego.supportedMech", CredSsp.Spnego.MechName(mech)));
            }

            if (negState == SpnegoNegState.Reject)
            {
                // The refusal may carry the mechanism's own error (a Kerberos KRB-ERROR); the package reads it.
                PackageAnswer error = token.IsEmpty ? new PackageAnswer(SpnegoNegTokenResp.PduName, string.Empty, []) : Package.AcceptServerToken(token.Span);
                fields.AddRange(error.Fields);
                return Fail(step, new Rejection(SpnegoNegTokenResp.PduName, fields, error.Failure ?? SpnegoRefusal()));
            }
        }

        PackageAnswer accepted = Package.AcceptServerToken(token.Span);
        fields.AddRange(accepted.Fields);
        if (accepted.Failure is { } failure)
        {
            return Fail(step, new Rejection(accepted.Pdu, fields, failure));
        }

        if (Spnego && !serverMic.IsEmpty)
        {
            // A server that finishes SPNEGO with this answer (Kerberos, accept-completed) may sign the mechanism list now.
            if (!Package.VerifyMechListMic(_mechTypes, serverMic.Span))
            {
                return Fail(step, MechListMicMismatch(serverMic));
            }

            _serverMicVerified = true;
            fields.Add(new StepField("spnego.mechListMIC", "verified"));
        }

        // NTLM's AUTHENTICATE carries a MIC, so its SPNEGO token carries the mechListMIC (MS-SPNG 3.3.5.1); a package
        // without a final token signs the list when the server asks for it (RFC 4178 5) or signed it itself.
        _sendMechListMic = Spnego && (Package.HasFinalToken || negState is SpnegoNegState.AcceptIncomplete or SpnegoNegState.RequestMic || _serverMicVerified);
        connection.CredSsp = new CredSspFacts(answer.Version, mech, Spnego);
        var result = new StepResult(step, ConnectionPhase.CredSsp, accepted.Pdu, fields, $"{accepted.Summary}, CredSSP version {answer.Version}");
        if (Package.HasCredentials && !connection.Tls!.ServerPublicKey.IsEmpty)
        {
            State = Steps.SendFinalToken;
        }
        else if (connection.Options.Until >= ConnectionPhase.Mcs && !connection.Options.StopWhereCredentialsAreNeeded)
        {
            FailAfter(new ProtocolFailure(CauseId.CredentialsRequired,
                $"the server requires NLA ({NegotiationNames.SpecNames(connection.Selected)}): reaching {connection.Options.Until.Name()} needs credentials"));
        }
        else
        {
            // Without credentials nothing after the server's answer can run: the run ends here, successfully.
            Stop();
        }

        return result;
    }

    /// <summary>
    /// The KRB-ERROR a server sends beside its errorCode, in a SPNEGO reject (a GSS-API acceptor refusing the AP-REQ:
    /// a stale key, skewed clocks, a replay): it says more than the NTSTATUS, so it is the cause; null when there is none.
    /// </summary>
    private ProtocolFailure? KerberosRefusal(TsRequest answer, List<StepField> fields)
    {
        if (!Package.MechanismOids.Any(KerberosMechanism.IsKerberos) || answer.NegoTokens.Count == 0 || answer.NegoTokens[0].IsEmpty
            || answer.NegoTokens[0].Span[0] != NegTokenRespTag || Pdu.Decode<SpnegoNegTokenResp>(answer.NegoTokens[0].Span) is not { IsSuccess: true } resp
            || resp.Value.ResponseToken.IsEmpty)
        {
            return null;
        }

        PackageAnswer error = Package.AcceptServerToken(resp.Value.ResponseToken.Span);
        if (error.Failure is not { Cause: CauseId.KerberosError } failure)
        {
            return null;
        }

        fields.Add(new StepField("spnego.negState", resp.Value.State?.ToString() ?? "absent"));
        fields.AddRange(error.Fields);
        return failure;
    }

    /// <summary>A SPNEGO reject without the mechanism's own error: the server accepts none of the mechanisms offered.</summary>
    private ProtocolFailure SpnegoRefusal() => Package.MechanismOids.Any(KerberosMechanism.IsKerberos)
        ? new ProtocolFailure(CauseId.KerberosRejected, WithSetbacks("the server's SPNEGO answer rejects the Kerberos token without saying why (it may not accept Kerberos for this name, or hold no key for it)"))
        : new ProtocolFailure(CauseId.NtlmRejected, WithSetbacks("the server's SPNEGO answer rejects NTLM (it may accept Kerberos only)"));

    private static Rejection MechListMicMismatch(ByteString mic) =>
        new(TsRequest.PduName, [new StepField("spnego.mechListMIC", Convert.ToHexStringLower(mic.Span))],
            new ProtocolFailure(CauseId.MechListMicMismatch, "the server's SPNEGO mechListMIC does not verify: the mechanism list was altered, or the server holds another session key"));

    /// <summary>
    /// pubKeyAuth: the server's public key, or from version 5 its SHA-256 binding with a client nonce (the
    /// CVE-2018-0886 fix), protected by the package; with NTLM's final token (the AUTHENTICATE) when the package has
    /// one, and in SPNEGO with the mechListMIC when it is due.
    /// </summary>
    private StepResult SendFinalToken(IBufferWriter<byte> output)
    {
        _version = Math.Min(connection.Options.CredSspVersion, connection.CredSsp!.ServerVersion);
        _publicKey = connection.Tls!.ServerPublicKey.ToArray();
        _nonce = new byte[_version >= TsRequest.FirstNonceVersion ? 32 : 0];
        connection.Services.Random.Fill(_nonce);
        byte[] binding = _version >= TsRequest.FirstNonceVersion ? SHA256.HashData([.. ClientToServerMagic, .. _nonce, .. _publicKey]) : _publicKey;

        PackageToken? final = Package.HasFinalToken ? Package.FinalToken() : null;
        // The MIC comes before the wrapped binding: both use the package's sequence numbers, in this order.
        byte[] mechListMic = _sendMechListMic ? Package.MechListMic(_mechTypes) : [];
        List<ByteString> negoTokens = [];
        if (Spnego && (final is not null || mechListMic.Length > 0))
        {
            negoTokens.Add(new ByteString(Pdu.Encode(new SpnegoNegTokenResp(null, null, new ByteString(final?.Token ?? []), new ByteString(mechListMic)))));
        }
        else if (!Spnego && final is not null)
        {
            negoTokens.Add(new ByteString(final.Token));
        }

        Pdu.Encode(new TsRequest(_version, negoTokens, PubKeyAuth: new ByteString(Package.Wrap(binding)), ClientNonce: new ByteString(_nonce)), output);
        State = Steps.AwaitPubKeyAuth;

        var fields = new List<StepField> { new("tsRequest.version", _version.ToString(CultureInfo.InvariantCulture)) };
        fields.AddRange(final?.Fields ?? []);
        fields.Add(new StepField("pubKeyAuth", _version >= TsRequest.FirstNonceVersion
            ? "SHA-256 binding of the server public key with a client nonce (version 5+)"
            : "the server public key, sealed (versions 2-4)"));
        if (mechListMic.Length > 0)
        {
            fields.Add(new StepField("spnego.mechListMIC", Convert.ToHexStringLower(mechListMic)));
        }

        string summary = final is not null ? $"TSRequest with the {final.Pdu} and pubKeyAuth" : "TSRequest with pubKeyAuth";
        return new StepResult(Package.StepNames.FinalToken, ConnectionPhase.CredSsp, TsRequest.PduName, fields, summary);
    }

    /// <summary>The server's pubKeyAuth, checked against the certificate's key; or the errorCode of a refused logon.</summary>
    private StepResult ReceivePubKeyAuth(ReadOnlySpan<byte> frame)
    {
        DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(frame);
        if (!decoded.IsSuccess)
        {
            return Fail(PubKeyStep, Rejection.Malformed(TsRequest.PduName, decoded.Error));
        }

        TsRequest answer = decoded.Value;
        if (answer.ErrorCode is { } code)
        {
            string name = NtStatus.Name(code);
            List<StepField> refused = [new("errorCode", $"{name} (0x{code:x8})"), new("meaning", NtStatus.Meaning(code))];
            // A server updated for CVE-2018-0886 and set to force updated clients refuses the legacy binding of a
            // version 2-4 client as an unsupported function: mstsc's "CredSSP encryption oracle" error.
            ProtocolFailure failure = _version < TsRequest.FirstNonceVersion && code == NtStatus.UnsupportedFunction
                ? new ProtocolFailure(CauseId.CredSspVersionMismatch,
                    $"the server refused CredSSP version {_version} ({name}): it requires version {TsRequest.FirstNonceVersion} or later, with the nonce binding") { Code = code }
                : new ProtocolFailure(CauseId.AuthFailed, WithSetbacks($"the server refused the credentials of {Package.Principal}: {name}, {NtStatus.Meaning(code)}")) { Detail = name, Code = code };
            return Fail(PubKeyStep, new Rejection(TsRequest.PduName, refused, failure));
        }

        // The server may finish SPNEGO here: a NegTokenResp (accept-completed) with its own mechListMIC.
        string? serverMic = null;
        if (Spnego && !_serverMicVerified && answer.NegoTokens.Count > 0 && Pdu.Decode<SpnegoNegTokenResp>(answer.NegoTokens[0].Span) is { IsSuccess: true } serverResp && !serverResp.Value.MechListMic.IsEmpty)
        {
            if (!Package.VerifyMechListMic(_mechTypes, serverResp.Value.MechListMic.Span))
            {
                return Fail(PubKeyStep, MechListMicMismatch(serverResp.Value.MechListMic));
            }

            serverMic = "verified";
        }

        byte[]? serverBinding = answer.PubKeyAuth.IsEmpty ? null : Package.Unwrap(answer.PubKeyAuth.Span);
        byte[] expected = _version >= TsRequest.FirstNonceVersion
            ? SHA256.HashData([.. ServerToClientMagic, .. _nonce, .. _publicKey])
            : [(byte)(_publicKey[0] + 1), .. _publicKey.AsSpan(1)];
        if (serverBinding is null || !serverBinding.AsSpan().SequenceEqual(expected))
        {
            string why = serverBinding is null ? "its pubKeyAuth is missing or its signature does not verify" : "its pubKeyAuth does not match the certificate's public key";
            return Fail(PubKeyStep, new Rejection(TsRequest.PduName, [new StepField("expected", Convert.ToHexStringLower(expected))],
                new ProtocolFailure(CauseId.PubKeyBindingMismatch, $"the server's CredSSP answer does not bind the TLS certificate: {why}")));
        }

        State = Steps.SendCredentials;
        connection.CredSsp = connection.CredSsp! with { AuthenticatedVersion = _version };
        List<StepField> fields = [new("tsRequest.version", answer.Version.ToString(CultureInfo.InvariantCulture)), new("binding", "verified")];
        if (serverMic is not null)
        {
            fields.Add(new StepField("spnego.mechListMIC", serverMic));
        }

        return new StepResult(PubKeyStep, ConnectionPhase.CredSsp, TsRequest.PduName, fields, "the server proved it holds the TLS key (pubKeyAuth verified)");
    }

    /// <summary>The delegated credentials (TSCredentials with TSPasswordCreds), protected by the package: never shown.</summary>
    private StepResult SendCredentials(IBufferWriter<byte> output)
    {
        Pdu.Encode(new TsRequest(_version, [], AuthInfo: new ByteString(Package.WrapCredentials())), output);
        if (connection.Selected == SecurityProtocols.HybridEx)
        {
            State = Steps.AwaitEarlyUserAuthorization;
        }
        else
        {
            Authenticated();
        }

        return new StepResult(CredentialsStep, ConnectionPhase.CredSsp, TsRequest.PduName, [new StepField("authInfo", "TSPasswordCreds, sealed")], "TSRequest with the sealed TSCredentials");
    }

    /// <summary>MS-RDPBCGR 2.2.10.2 Early User Authorization Result PDU: four bytes inside TLS, 0 success, 5 access denied.</summary>
    private StepResult ReceiveEarlyUserAuthorization(ReadOnlySpan<byte> frame)
    {
        const string pdu = "Early User Authorization Result PDU";
        uint result = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (result != 0)
        {
            return Fail(EarlyAuthStep, new Rejection(pdu, [new StepField("authorizationResult", result == 5 ? "AUTHZ_ACCESS_DENIED (5)" : $"0x{result:x8}")],
                new ProtocolFailure(CauseId.AccessDenied, "the credentials are valid, but the user may not log on to this server (Early User Authorization: access denied)")));
        }

        Authenticated();
        return new StepResult(EarlyAuthStep, ConnectionPhase.CredSsp, pdu, [new StepField("authorizationResult", "AUTHZ_SUCCESS (0)")], "AUTHZ_SUCCESS");
    }

    private void Authenticated()
    {
        connection.CredSsp = connection.CredSsp! with { Authenticated = true };
        connection.Reach(ConnectionPhase.CredSsp);
        Complete();
    }

    private StepResult Fail(string step, Rejection rejection) => Fail(step, ConnectionPhase.CredSsp, rejection);

    /// <summary>The first byte of a NegTokenResp: the [1] context tag of NegotiationToken, constructed.</summary>
    private const byte NegTokenRespTag = 0xA1;
}
