using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// The client side of Kerberos (RFC 4120, with MS-KILE's habits) as CredSSP's authentication package: the AS
/// exchange with the pre-authentication round trip (the salt from ETYPE-INFO2), the TGS exchange for the server's
/// principal (following one referral), the AP-REQ with mutual authentication in a GSS-API token (RFC 4121 4.1), the
/// AP-REP checked, then RFC 4121 (or RFC 4757 for rc4-hmac) Wrap tokens for pubKeyAuth and the credentials.
/// </summary>
/// <remarks>
/// Every KDC or server refusal becomes a typed failure (<see cref="CauseId.KerberosError"/> with the RFC 4120 error
/// name, and what the KRB-ERROR says: e-text, the KDC's time, its encryption types, an NTSTATUS). The password, the
/// keys and the tickets never reach a field or a summary.
/// </remarks>
public sealed class KerberosPackage : IAuthenticationPackage, IDisposable
{
    /// <summary>RFC 4120 5.4.1: the till Windows clients ask for, the end of 32-bit time (20370913024805Z).</summary>
    private static readonly KerberosTime Forever = new(new DateTimeOffset(2037, 9, 13, 2, 48, 5, TimeSpan.Zero));

    private const int AsStepId = 1;
    private const KdcOptions AsOptions = KdcOptions.Forwardable | KdcOptions.Renewable | KdcOptions.Canonicalize | KdcOptions.RenewableOk;
    private const KdcOptions TgsOptions = KdcOptions.Forwardable | KdcOptions.Renewable | KdcOptions.Canonicalize;
    private const GssContextFlags ContextFlags = GssContextFlags.GSS_C_MUTUAL_FLAG | GssContextFlags.GSS_C_REPLAY_FLAG | GssContextFlags.GSS_C_SEQUENCE_FLAG
        | GssContextFlags.GSS_C_CONF_FLAG | GssContextFlags.GSS_C_INTEG_FLAG;

    private readonly Credentials _credentials;
    private readonly KerberosOptions _options;
    private readonly TimeProvider _time;
    private Stage _stage = Stage.AsRequest;
    private KdcExchange? _exchange;
    private int _exchangeId = AsStepId;
    private KdcTransport _transport;
    private string _clientRealm;
    private bool _followedReferral;
    private bool _followedClientReferral;
    private uint _nonce;
    private DateTimeOffset _requestTime;
    private EncryptionKey? _userKey;
    private string? _salt;
    private KdcRep? _tgt;
    private EncryptionKey? _tgtKey;
    private string _tgsRealm;
    private KdcRep? _serviceTicket;
    private EncryptionKey? _serviceKey;
    private Authenticator? _authenticator;
    private MessageProtection? _protection;

    /// <param name="credentials">Who authenticates: user, realm and password.</param>
    /// <param name="options">The realm, the server principal, the encryption types and the transport.</param>
    /// <param name="time">The clock: Kerberos timestamps every request.</param>
    public KerberosPackage(Credentials credentials, KerberosOptions options, TimeProvider? time = null)
    {
        _credentials = credentials;
        _options = options;
        _time = time ?? TimeProvider.System;
        _transport = options.Transport;
        _clientRealm = options.Realm;
        _tgsRealm = options.Realm;
    }

    private enum Stage
    {
        AsRequest,
        AsPreauthenticated,
        TgsRequest,
        ApRequest,
        AwaitApReply,
        Established,
    }

    public string Name => "Kerberos";

    /// <summary>As Windows lists them: the Microsoft OID first, then the standard one (the token itself carries the standard one).</summary>
    public IReadOnlyList<string> MechanismOids { get; } = [KerberosMechanism.MicrosoftKerberosV5Oid, KerberosMechanism.KerberosV5Oid];

    public (string FirstToken, string ServerToken, string FinalToken) StepNames => ("credssp.ap-request", "credssp.ap-reply", "credssp.pubkey-auth");

    public bool HasCredentials => true;

    public string Principal => $"{_credentials.User}@{_clientRealm}";

    /// <summary>The principal asked for in the TGS exchange, <c>TERMSRV/host</c>.</summary>
    public PrincipalName Service => _options.Service;

    public bool HasFinalToken => false;

    public KdcExchange? PendingKdcExchange => _stage switch
    {
        Stage.AsRequest or Stage.AsPreauthenticated => _exchange ??= new KdcExchange(_exchangeId, "kerberos.as-exchange", _clientRealm, _transport, "Kerberos AS-REP"),
        Stage.TgsRequest => _exchange ??= new KdcExchange(_exchangeId, "kerberos.tgs-exchange", _tgsRealm, _transport, "Kerberos TGS-REP"),
        Stage.ApRequest or Stage.AwaitApReply or Stage.Established => null,
    };

    public PackageToken KdcRequest() => _stage switch
    {
        Stage.AsRequest or Stage.AsPreauthenticated => AsRequest(),
        Stage.TgsRequest => TgsRequest(),
        Stage.ApRequest or Stage.AwaitApReply or Stage.Established => throw new InvalidOperationException($"no KDC request is due at {_stage}"),
    };

    public PackageAnswer AcceptKdcReply(ReadOnlySpan<byte> reply)
    {
        if (reply.IsEmpty)
        {
            return Failed("Kerberos reply", ProtocolFailure.Malformed("the KDC answered with an empty message", DecodeError.NotEnoughBytes(KdcRep.PduName, 0, 1, 0)));
        }

        // The first byte is the APPLICATION tag: 0x7E a KRB-ERROR, else the reply asked for.
        if (reply[0] == 0x60 + (int)KerberosMessageType.KrbError)
        {
            DecodeResult<KrbError> error = Pdu.Decode<KrbError>(reply);
            return error.IsSuccess
                ? KdcError(error.Value)
                : Failed(KrbError.PduName, ProtocolFailure.Malformed($"the KDC's KRB-ERROR does not decode: {error.Error}", error.Error));
        }

        return _stage switch
        {
            Stage.AsRequest or Stage.AsPreauthenticated => AsReply(reply),
            Stage.TgsRequest => TgsReply(reply),
            Stage.ApRequest or Stage.AwaitApReply or Stage.Established => throw new InvalidOperationException($"no KDC reply is due at {_stage}"),
        };
    }

    public PackageAnswer KdcFailed(ProtocolFailure failure) => Failed("Kerberos reply", failure);

    /// <summary>The AP-REQ with the service ticket, a fresh subkey and sequence number, and the GSS checksum asking for mutual authentication.</summary>
    public PackageToken FirstToken()
    {
        if (_stage != Stage.ApRequest || _serviceTicket is null || _serviceKey is null)
        {
            throw new InvalidOperationException($"the AP-REQ needs a service ticket (the package is at {_stage})");
        }

        DateTimeOffset now = _time.GetUtcNow();
        var etype = (KerberosEtype)_serviceKey.KeyType;
        byte[] subkey = KerberosCipher.RandomKey(etype);
        uint sequence = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4)) & 0x3FFF_FFFF;
        _authenticator = new Authenticator(_serviceTicket.CRealm, _serviceTicket.CName, new GssChecksum(GssChecksum.NoChannelBindings, ContextFlags).ToChecksum(),
            KerberosTime.Microseconds(now), KerberosTime.FromInstant(now), new EncryptionKey(_serviceKey.KeyType, new ByteString(subkey)), sequence);
        byte[] plain = Pdu.Encode(_authenticator);
        byte[] cipher = KerberosCipher.For(etype).Encrypt(_serviceKey.KeyValue.Span, KeyUsage.ApReqAuthenticator, plain);
        CryptographicOperations.ZeroMemory(plain);
        var apReq = new ApReq(ApOptions.MutualRequired, _serviceTicket.Ticket, new EncryptedData(_serviceKey.KeyType, null, new ByteString(cipher)));
        _stage = Stage.AwaitApReply;
        return new PackageToken(Pdu.Encode(KerberosGssToken.ForApReq(apReq)), "Kerberos AP-REQ",
        [
            new("kerberos.service", $"{_serviceTicket.Ticket.SName}@{_serviceTicket.Ticket.Realm}"),
            new("kerberos.ticket-etype", KerberosNames.EncryptionType(_serviceTicket.Ticket.EncPart.EType)),
            new("kerberos.ap-options", KerberosNames.Flags(ApOptions.MutualRequired)),
            new("gss.flags", "mutual, replay, sequence, confidentiality, integrity"),
        ])
        { BytesWithheld = "the AP-REQ carries the service ticket" };
    }

    /// <summary>The server's AP-REP (mutual authentication), or the KRB-ERROR it answered the AP-REQ with.</summary>
    public PackageAnswer AcceptServerToken(ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty)
        {
            return Failed("Kerberos AP-REP", new ProtocolFailure(CauseId.KerberosMutualAuthFailed,
                "the server accepted the AP-REQ without an AP-REP: it did not prove that it holds the service key (mutual authentication was required)"));
        }

        DecodeResult<KerberosGssToken> gss = Pdu.Decode<KerberosGssToken>(token);
        if (!gss.IsSuccess)
        {
            return Failed(KerberosGssToken.PduName, ProtocolFailure.Malformed($"the server's answer to the AP-REQ is not a Kerberos token: {gss.Error}", gss.Error));
        }

        if (gss.Value.TokenId == GssTokenId.KrbError)
        {
            DecodeResult<KrbError> error = gss.Value.DecodeKrbError();
            return error.IsSuccess
                ? ServerError(error.Value)
                : Failed(KrbError.PduName, ProtocolFailure.Malformed($"the server's KRB-ERROR does not decode: {error.Error}", error.Error));
        }

        DecodeResult<ApRep> apRep = gss.Value.DecodeApRep();
        if (!apRep.IsSuccess)
        {
            return Failed(ApRep.PduName, ProtocolFailure.Malformed($"the server's answer is not an AP-REP: {apRep.Error}", apRep.Error));
        }

        return ApReply(apRep.Value);
    }

    public PackageToken FinalToken() => throw new InvalidOperationException("Kerberos has no final token: the AP-REP completes the context");

    public byte[] Wrap(ReadOnlySpan<byte> message) => Protection.Wrap(message);

    public byte[]? Unwrap(ReadOnlySpan<byte> message) => Protection.Unwrap(message);

    public byte[] MechListMic(ReadOnlySpan<byte> mechTypes) => Protection.GetMic(mechTypes);

    public bool VerifyMechListMic(ReadOnlySpan<byte> mechTypes, ReadOnlySpan<byte> mic) => Protection.VerifyMic(mechTypes, mic);

    public byte[] WrapCredentials()
    {
        byte[] domain = System.Text.Encoding.Unicode.GetBytes(_credentials.Domain);
        byte[] user = System.Text.Encoding.Unicode.GetBytes(_credentials.User);
        byte[] password = System.Text.Encoding.Unicode.GetBytes(_credentials.Password.Reveal().ToArray());
        byte[] tsCredentials = TsCredentials.EncodePassword(domain, user, password);
        try
        {
            return Protection.Wrap(tsCredentials);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
            CryptographicOperations.ZeroMemory(tsCredentials);
        }
    }

    public void Dispose()
    {
        _protection?.Dispose();
        Clear(_userKey);
        Clear(_tgtKey);
        Clear(_serviceKey);
    }

    private MessageProtection Protection => _protection ?? throw new InvalidOperationException("the Kerberos context is not established");

    /// <summary>Zeroes a key once it is no longer needed (the ByteString owns its array, so nothing else sees the change).</summary>
    private static void Clear(EncryptionKey? key)
    {
        if (key is { KeyValue.IsEmpty: false })
        {
            ReadOnlySpan<byte> bytes = key.KeyValue.Span;
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(bytes), bytes.Length));
        }
    }

    private SequenceOf<EncryptionType> OfferedEtypes => new(_options.Etypes.Select(e => (EncryptionType)e));

    private string OfferedNames => string.Join(", ", _options.Etypes.Select(e => e.RfcName()));

    /// <summary>
    /// An AS-REQ for krbtgt/REALM: first without pre-authentication, as Windows sends it (the KDC answers with the
    /// salt and types it wants), then with PA-ENC-TIMESTAMP under the key derived from the password.
    /// </summary>
    private PackageToken AsRequest()
    {
        _nonce = NewNonce();
        _requestTime = _time.GetUtcNow();
        var body = new KdcReqBody(AsOptions, PrincipalName.User(_credentials.User), _clientRealm, PrincipalName.Krbtgt(_clientRealm), null, Forever, Forever, _nonce, OfferedEtypes);
        List<PaData> padata = [PaData.Of(PaDataType.PacRequest, new PaPacRequest(true))];
        List<StepField> fields = [new("kerberos.cname", $"{_credentials.User}@{_clientRealm}"), new("kerberos.etypes-offered", OfferedNames)];
        if (_stage == Stage.AsPreauthenticated && _userKey is { } key)
        {
            byte[] timestamp = Pdu.Encode(PaEncTsEnc.At(_requestTime));
            byte[] cipher = KerberosCipher.For((KerberosEtype)key.KeyType).Encrypt(key.KeyValue.Span, KeyUsage.PaEncTimestamp, timestamp);
            padata.Insert(0, PaData.Of(PaDataType.EncTimestamp, new EncryptedData(key.KeyType, null, new ByteString(cipher))));
            fields.Add(new StepField("kerberos.pre-authentication", $"PA-ENC-TIMESTAMP, {KerberosNames.EncryptionType(key.KeyType)}, salt \"{_salt}\""));
        }

        byte[] request = Pdu.Encode(KdcReq.AsReq(new SequenceOf<PaData>(padata), body));
        string pdu = _stage == Stage.AsPreauthenticated ? "Kerberos AS-REQ (pre-authenticated)" : "Kerberos AS-REQ";
        return new PackageToken(request, pdu, fields);
    }

    /// <summary>A TGS-REQ for the server's principal, authenticated with the TGT (PA-TGS-REQ, RFC 4120 5.4.1 and 7.5.1 usages 6 and 7).</summary>
    private PackageToken TgsRequest()
    {
        KdcRep tgt = _tgt!;
        EncryptionKey sessionKey = _tgtKey!;
        _nonce = NewNonce();
        _requestTime = _time.GetUtcNow();
        var body = new KdcReqBody(TgsOptions, null, _tgsRealm, _options.Service, null, Forever, null, _nonce, OfferedEtypes);
        var cipher = KerberosCipher.For((KerberosEtype)sessionKey.KeyType);
        byte[] checksum = cipher.Checksum(sessionKey.KeyValue.Span, KeyUsage.TgsReqAuthenticatorChecksum, Pdu.Encode(body));
        var authenticator = new Authenticator(tgt.CRealm, tgt.CName, new Checksum((ChecksumType)cipher.ChecksumType, new ByteString(checksum)),
            KerberosTime.Microseconds(_requestTime), KerberosTime.FromInstant(_requestTime));
        byte[] plain = Pdu.Encode(authenticator);
        byte[] encrypted = cipher.Encrypt(sessionKey.KeyValue.Span, KeyUsage.TgsReqAuthenticator, plain);
        CryptographicOperations.ZeroMemory(plain);
        var apReq = new ApReq(ApOptions.None, tgt.Ticket, new EncryptedData(sessionKey.KeyType, null, new ByteString(encrypted)));
        byte[] request = Pdu.Encode(KdcReq.TgsReq(apReq, body));
        return new PackageToken(request, "Kerberos TGS-REQ",
        [
            new("kerberos.sname", $"{_options.Service}@{_tgsRealm}"),
            new("kerberos.tgt", $"{tgt.Ticket.SName}@{tgt.Ticket.Realm}"),
            new("kerberos.etypes-offered", OfferedNames),
        ]);
    }

    private PackageAnswer AsReply(ReadOnlySpan<byte> reply)
    {
        DecodeResult<KdcRep> decoded = DecodeReply(reply, KerberosMessageType.AsRep);
        if (!decoded.IsSuccess)
        {
            return Failed("Kerberos AS-REP", ProtocolFailure.Malformed($"the KDC's answer to the AS-REQ is not an AS-REP: {decoded.Error}", decoded.Error));
        }

        KdcRep rep = decoded.Value;
        bool preauthenticated = _stage == Stage.AsPreauthenticated;
        if (_userKey is null || (int)_userKey.KeyType != (int)rep.EncPart.EType)
        {
            // A KDC that does not require pre-authentication answers the first AS-REQ: the key follows from the reply's
            // ETYPE-INFO2 (or the default salt) and the type of its encrypted part.
            EtypeInfo2Entry? info = rep.PaData is { } padata
                && padata.FirstOrDefault(p => p.Type == PaDataType.EtypeInfo2) is { } entry
                && entry.DecodeValue<EtypeInfo2>() is { IsSuccess: true } etypeInfo
                    ? etypeInfo.Value.Entries.FirstOrDefault(e => e.EType == rep.EncPart.EType)
                    : null;
            if (!TryDeriveKey(rep.EncPart.EType, info?.Salt, info?.S2kParams, out string? refusal))
            {
                return Failed("Kerberos AS-REP", new ProtocolFailure(CauseId.KerberosReplyInvalid, $"the AS-REP is encrypted with {KerberosNames.EncryptionType(rep.EncPart.EType)}: {refusal}"));
            }
        }

        if (!TryDecryptPart(_userKey!, rep.EncPart, KeyUsage.AsRepEncPart, out EncKdcRepPart? part))
        {
            string why = preauthenticated
                ? "the AS-REP's encrypted part does not decrypt with the key the KDC just accepted: the reply was altered, or does not come from that KDC"
                : "the AS-REP does not decrypt with the key derived from the password: the password is wrong (this KDC does not require pre-authentication, so it could not say so)";
            return Failed("Kerberos AS-REP", new ProtocolFailure(CauseId.KerberosReplyInvalid, why));
        }

        if (ReplyMismatch(part!, PrincipalName.Krbtgt(_clientRealm)) is { } mismatch)
        {
            return Failed("Kerberos AS-REP", mismatch);
        }

        _tgt = rep;
        _tgtKey = part!.Key;
        _tgsRealm = rep.Ticket.Realm;
        _clientRealm = rep.CRealm;
        NextExchange(Stage.TgsRequest);
        List<StepField> fields =
        [
            new("kerberos.as-rep", $"TGT for {rep.CName}@{rep.CRealm} from {rep.Ticket.SName}@{rep.Ticket.Realm}"),
            new("kerberos.session-etype", KerberosNames.EncryptionType(part.Key.KeyType)),
            new("kerberos.tgt-valid-until", part.EndTime.ToString()),
            new("kerberos.flags", KerberosNames.Flags(part.Flags)),
        ];
        if (part.KeyExpiration is { } expires)
        {
            fields.Add(new StepField("kerberos.password-expires", expires.ToString()));
        }

        string how = preauthenticated ? "after pre-authentication" : "without pre-authentication";
        return new PackageAnswer("Kerberos AS-REP", $"a TGT for {rep.CName}@{rep.CRealm} {how}, {KerberosNames.EncryptionType(part.Key.KeyType)}", fields);
    }

    private PackageAnswer TgsReply(ReadOnlySpan<byte> reply)
    {
        DecodeResult<KdcRep> decoded = DecodeReply(reply, KerberosMessageType.TgsRep);
        if (!decoded.IsSuccess)
        {
            return Failed("Kerberos TGS-REP", ProtocolFailure.Malformed($"the KDC's answer to the TGS-REQ is not a TGS-REP: {decoded.Error}", decoded.Error));
        }

        KdcRep rep = decoded.Value;
        if (!TryDecryptPart(_tgtKey!, rep.EncPart, KeyUsage.TgsRepEncPartSessionKey, out EncKdcRepPart? part))
        {
            return Failed("Kerberos TGS-REP", new ProtocolFailure(CauseId.KerberosReplyInvalid,
                "the TGS-REP's encrypted part does not decrypt with the TGT's session key: the reply was altered, or does not come from the KDC that issued the TGT"));
        }

        // RFC 4120 3.3.5: a referral answers the request too, so it must echo its nonce before it is followed.
        if (NonceMismatch(part!) is { } replay)
        {
            return Failed("Kerberos TGS-REP", replay);
        }

        bool referral = rep.Ticket.SName.NameString.Count == 2 && rep.Ticket.SName.NameString[0] == PrincipalName.KrbtgtService
            && !string.Equals(rep.Ticket.SName.NameString[1], _tgsRealm, StringComparison.OrdinalIgnoreCase);
        if (referral)
        {
            string target = rep.Ticket.SName.NameString[1];
            if (_followedReferral)
            {
                return Failed("Kerberos TGS-REP", new ProtocolFailure(CauseId.KerberosError,
                    $"the KDC of {_tgsRealm} refers the request for {_options.Service} on to {target}, a second referral: rdphs follows one") { Detail = nameof(KerberosErrorCode.KDC_ERR_WRONG_REALM), Code = (uint)KerberosErrorCode.KDC_ERR_WRONG_REALM });
            }

            _followedReferral = true;
            string from = _tgsRealm;
            _tgt = rep;
            _tgtKey = part!.Key;
            _tgsRealm = target;
            NextExchange(Stage.TgsRequest);
            return new PackageAnswer("Kerberos TGS-REP", $"a referral from {from} to {target} for {_options.Service}",
                [new("kerberos.referral", $"{from} -> {target}"), new("kerberos.ticket", $"{rep.Ticket.SName}@{rep.Ticket.Realm}")]);
        }

        if (ReplyMismatch(part!, _options.Service) is { } mismatch)
        {
            return Failed("Kerberos TGS-REP", mismatch);
        }

        _serviceTicket = rep;
        _serviceKey = part!.Key;
        _stage = Stage.ApRequest;
        _exchange = null;
        return new PackageAnswer("Kerberos TGS-REP", $"a service ticket for {rep.Ticket.SName}@{rep.Ticket.Realm}, {KerberosNames.EncryptionType(rep.Ticket.EncPart.EType)}",
        [
            new("kerberos.ticket", $"{rep.Ticket.SName}@{rep.Ticket.Realm}"),
            new("kerberos.ticket-etype", KerberosNames.EncryptionType(rep.Ticket.EncPart.EType) + (rep.Ticket.EncPart.Kvno is { } kvno ? $", kvno {kvno}" : string.Empty)),
            new("kerberos.session-etype", KerberosNames.EncryptionType(part.Key.KeyType)),
            new("kerberos.ticket-valid-until", part.EndTime.ToString()),
            new("kerberos.flags", KerberosNames.Flags(part.Flags)),
        ]);
    }

    /// <summary>The AP-REP: its encrypted part must decrypt with the service session key and echo our authenticator's time.</summary>
    private PackageAnswer ApReply(ApRep apRep)
    {
        EncryptionKey sessionKey = _serviceKey!;
        Authenticator sent = _authenticator!;
        if (!KerberosCipher.TryFor((int)apRep.EncPart.EType, out KerberosCipher? cipher) || apRep.EncPart.EType != sessionKey.KeyType
            || !cipher.TryDecrypt(sessionKey.KeyValue.Span, KeyUsage.ApRepEncPart, apRep.EncPart.Cipher.Span, out byte[] plain))
        {
            return Failed(ApRep.PduName, new ProtocolFailure(CauseId.KerberosMutualAuthFailed,
                "the server's AP-REP does not decrypt with the service ticket's session key: whoever answered does not hold the key of " + $"{_options.Service}"));
        }

        DecodeResult<EncApRepPart> part = Pdu.Decode<EncApRepPart>(plain);
        CryptographicOperations.ZeroMemory(plain);
        if (!part.IsSuccess)
        {
            return Failed(ApRep.PduName, ProtocolFailure.Malformed($"the AP-REP's encrypted part does not decode: {part.Error}", part.Error));
        }

        EncApRepPart rep = part.Value;
        if (rep.CTime != sent.CTime || rep.Cusec != sent.Cusec)
        {
            return Failed(ApRep.PduName, new ProtocolFailure(CauseId.KerberosMutualAuthFailed,
                $"the server's AP-REP names the time {rep.CTime}.{rep.Cusec:D6}, not the authenticator's {sent.CTime}.{sent.Cusec:D6}: it is a replay, not an answer to this AP-REQ"));
        }

        EncryptionKey contextKey = rep.Subkey ?? sent.Subkey!;
        _protection = MessageProtection.Create(contextKey, acceptorSubkey: rep.Subkey is not null, sent.SeqNumber ?? 0, rep.SeqNumber ?? 0);
        _stage = Stage.Established;
        return new PackageAnswer(ApRep.PduName, $"the server proved it holds the key of {_options.Service} (mutual authentication)",
        [
            new("kerberos.mutual-authentication", "verified"),
            new("gss.context-key", rep.Subkey is not null ? $"the server's subkey, {KerberosNames.EncryptionType(contextKey.KeyType)}" : $"our subkey, {KerberosNames.EncryptionType(contextKey.KeyType)}"),
        ]);
    }

    /// <summary>What a KRB-ERROR from the KDC means at this stage: another round trip, another transport or realm, or the end.</summary>
    private PackageAnswer KdcError(KrbError error)
    {
        List<StepField> fields = ErrorFields(error);
        switch (error.ErrorCode)
        {
            case KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED when _stage == Stage.AsRequest:
                EtypeInfo2? info = error.FindEtypeInfo2();
                EtypeInfo2Entry? chosen = info?.Entries.FirstOrDefault(e => _options.Etypes.Contains((KerberosEtype)e.EType) && KerberosCipher.TryFor((int)e.EType, out _));
                if (chosen is null)
                {
                    // The KDC names the types it would take the pre-authentication in; none of them is one offered (MIT names
                    // none at all when the account has no key of an offered type): no common type, said as KDC_ERR_ETYPE_NOSUPP.
                    string kdc = info is null || info.Entries.Count == 0
                        ? "the KDC asks for pre-authentication and names no type it would take it in (the account has no key of a type offered)"
                        : $"the KDC would take the pre-authentication in {string.Join(", ", info.Entries.Select(e => KerberosNames.EncryptionType(e.EType)))}";
                    return Failed(KrbError.PduName, new ProtocolFailure(CauseId.KerberosError,
                        $"the KDC of {error.Realm} and rdphs share no encryption type for {_credentials.User}@{_clientRealm}: rdphs offered {OfferedNames}; {kdc}")
                    {
                        Detail = nameof(KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP),
                        Code = (uint)KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP,
                    }, fields);
                }

                if (!TryDeriveKey(chosen.EType, chosen.Salt, chosen.S2kParams, out string? refusal))
                {
                    return Failed(KrbError.PduName, new ProtocolFailure(CauseId.KerberosReplyInvalid, $"the KDC's ETYPE-INFO2 cannot be used: {refusal}"), fields);
                }

                _stage = Stage.AsPreauthenticated;
                fields.Add(new StepField("kerberos.preauth-etype", KerberosNames.EncryptionType(chosen.EType)));
                return new PackageAnswer(KrbError.PduName, $"the KDC asks for pre-authentication ({KerberosNames.EncryptionType(chosen.EType)})", fields);

            case KerberosErrorCode.KRB_ERR_RESPONSE_TOO_BIG when _transport == KdcTransport.Udp:
                // RFC 4120 7.2.1: the same request again, over TCP.
                _transport = KdcTransport.Tcp;
                _exchange = _exchange! with { Transport = KdcTransport.Tcp };
                return new PackageAnswer(KrbError.PduName, "the reply is too big for UDP: asking again over TCP", fields);

            case KerberosErrorCode.KDC_ERR_WRONG_REALM when _stage is Stage.AsRequest or Stage.AsPreauthenticated && !_followedClientReferral
                && error.CRealm is { } realm && !string.Equals(realm, _clientRealm, StringComparison.OrdinalIgnoreCase):
                // RFC 6806 7: a client referral names the user's realm; ask its KDC (once). It is counted apart from a TGS
                // referral, so that a user of one domain still reaches a server of another (alice of CHILD, TERMSRV/host of PARENT).
                string from = _clientRealm;
                _followedClientReferral = true;
                _clientRealm = realm;
                _tgsRealm = realm;
                _userKey = null;
                NextExchange(Stage.AsRequest);
                fields.Add(new StepField("kerberos.referral", $"{from} -> {realm}"));
                return new PackageAnswer(KrbError.PduName, $"the KDC of {from} refers {_credentials.User} to the realm {realm}", fields);

            default:
                return Failed(KrbError.PduName, KerberosVerdicts.ForKdcError(error, Context()), fields);
        }
    }

    /// <summary>A KRB-ERROR the server answered the AP-REQ with (a stale service key, a skewed clock, a replay).</summary>
    private PackageAnswer ServerError(KrbError error) =>
        Failed(KrbError.PduName, KerberosVerdicts.ForServerError(error, Context()), ErrorFields(error));

    private KerberosVerdicts.RequestContext Context() => new(
        _stage switch
        {
            Stage.AsRequest or Stage.AsPreauthenticated => KerberosVerdicts.Exchange.As,
            Stage.TgsRequest => KerberosVerdicts.Exchange.Tgs,
            Stage.ApRequest or Stage.AwaitApReply or Stage.Established => KerberosVerdicts.Exchange.Ap,
        },
        $"{_credentials.User}@{_clientRealm}",
        $"{_options.Service}@{_tgsRealm}",
        OfferedNames,
        _stage is Stage.AwaitApReply ? _authenticator?.CTime.Value ?? _requestTime : _requestTime);

    private static List<StepField> ErrorFields(KrbError error)
    {
        List<StepField> fields =
        [
            new("kerberos.error", $"{KerberosNames.ErrorCode((int)error.ErrorCode)} ({(int)error.ErrorCode})"),
            new("kerberos.error-from", $"{error.SName}@{error.Realm}"),
            new("kerberos.server-time", $"{error.STime}"),
        ];
        if (error.EText is { Length: > 0 } text)
        {
            fields.Add(new StepField("kerberos.e-text", text));
        }

        if (error.FindNtStatus() is { } status)
        {
            fields.Add(new StepField("kerberos.ntstatus", $"{NtStatus.Name(status)} (0x{status:x8})"));
        }

        if (error.FindEtypeInfo2() is { } info)
        {
            fields.Add(new StepField("kerberos.etype-info2", string.Join(", ", info.Entries.Select(e =>
                e.Salt is null ? KerberosNames.EncryptionType(e.EType) : $"{KerberosNames.EncryptionType(e.EType)} (salt \"{e.Salt}\")"))));
        }

        return fields;
    }

    /// <summary>Derives the user's key for <paramref name="etype"/>: the salt given, else RFC 4120 4's default (realm, then the name's components).</summary>
    private bool TryDeriveKey(EncryptionType etype, string? salt, ByteString? parameters, out string? refusal)
    {
        if (!_options.Etypes.Contains((KerberosEtype)etype) || !KerberosCipher.TryFor((int)etype, out KerberosCipher? cipher))
        {
            refusal = $"rdphs did not offer {KerberosNames.EncryptionType(etype)} (it offered {OfferedNames})";
            return false;
        }

        _salt = salt ?? _clientRealm + _credentials.User;
        ReadOnlySpan<byte> s2kParams = parameters is { } given ? given.Span : [];
        if (!cipher.TryStringToKey(_credentials.Password.Reveal(), System.Text.Encoding.UTF8.GetBytes(_salt), s2kParams, out byte[] key))
        {
            refusal = $"its string-to-key parameters ({Convert.ToHexStringLower(s2kParams)}) are not a usable iteration count";
            return false;
        }

        Clear(_userKey);
        _userKey = new EncryptionKey(etype, new ByteString(key));
        refusal = null;
        return true;
    }

    private static bool TryDecryptPart(EncryptionKey key, EncryptedData data, int usage, out EncKdcRepPart? part)
    {
        part = null;
        if (data.EType != key.KeyType || !KerberosCipher.TryFor((int)data.EType, out KerberosCipher? cipher)
            || !cipher.TryDecrypt(key.KeyValue.Span, usage, data.Cipher.Span, out byte[] plain))
        {
            return false;
        }

        DecodeResult<EncKdcRepPart> decoded = Pdu.Decode<EncKdcRepPart>(plain);
        CryptographicOperations.ZeroMemory(plain);
        part = decoded.IsSuccess ? decoded.Value : null;
        return decoded.IsSuccess;
    }

    /// <summary>The decrypted part must echo our nonce and name the principal asked for (RFC 4120 3.1.5); a mismatch is not an answer to our request.</summary>
    private ProtocolFailure? ReplyMismatch(EncKdcRepPart part, PrincipalName asked)
    {
        if (NonceMismatch(part) is { } replay)
        {
            return replay;
        }

        bool canonical = part.SName.NameString.Count == asked.NameString.Count
            && part.SName.NameString.Zip(asked.NameString).All(p => string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase));
        return canonical
            ? null
            : new ProtocolFailure(CauseId.KerberosReplyInvalid, $"the reply is for {part.SName}@{part.SRealm}, not for {asked}: it answers another request");
    }

    private ProtocolFailure? NonceMismatch(EncKdcRepPart part) => part.Nonce == _nonce
        ? null
        : new ProtocolFailure(CauseId.KerberosReplyInvalid, $"the reply's nonce {part.Nonce} is not the request's {_nonce}: it answers another request (a replay)");

    private static DecodeResult<KdcRep> DecodeReply(ReadOnlySpan<byte> reply, KerberosMessageType expected)
    {
        var reader = new PduReader(reply);
        DecodeResult<KdcRep> result = KdcRep.Decode(ref reader, expected);
        return result.IsSuccess && reader.Remaining != 0 ? DecodeError.Trailing(KdcRep.PduName, reader.Position, reader.Remaining) : result;
    }

    private void NextExchange(Stage stage)
    {
        _stage = stage;
        _exchangeId++;
        _exchange = null;
    }

    private PackageAnswer Failed(string pdu, ProtocolFailure failure, IReadOnlyList<StepField>? fields = null) =>
        new(pdu, failure.Reason, fields ?? [], failure);

    private static uint NewNonce() => BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4)) & 0x7FFF_FFFF;

    /// <summary>RFC 4120 7.5.1 key usage numbers.</summary>
    private static class KeyUsage
    {
        public const int PaEncTimestamp = 1;
        public const int AsRepEncPart = 3;
        public const int TgsReqAuthenticatorChecksum = 6;
        public const int TgsReqAuthenticator = 7;
        public const int TgsRepEncPartSessionKey = 8;
        public const int ApReqAuthenticator = 11;
        public const int ApRepEncPart = 12;
    }
}
