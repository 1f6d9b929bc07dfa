using System.Security.Cryptography;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;

namespace RdpHandshake.TestServer;

/// <summary>What the test server's CredSSP does wrong, on purpose.</summary>
public enum CredSspFault
{
    None,

    /// <summary>Answer the AUTHENTICATE with a pubKeyAuth that binds another key (a man in the middle's view).</summary>
    WrongPubKeyAuth,

    /// <summary>Close the connection after the AUTHENTICATE without an errorCode, as CredSSP version 2 servers do.</summary>
    CloseAfterAuthenticate,

    /// <summary>Answer the NEGOTIATE with bytes that are not a TSRequest.</summary>
    MalformedTsRequest,

    /// <summary>
    /// Answer the NEGOTIATE with a TSRequest whose outer DER length claims 2 GB (30 84 7f ff ff ff) and a few bytes
    /// of content: a client must refuse the length at once, not wait for the rest or allocate for it.
    /// </summary>
    HugeLength,

    /// <summary>Finish SPNEGO with a mechListMIC that does not verify (signed over another mechanism list).</summary>
    WrongMechListMic,

    /// <summary>
    /// Kerberos: answer the AP-REQ with an AP-REP whose encrypted part is corrupted (one ciphertext byte flipped), in a
    /// well-formed NegTokenResp accept-completed: the client's check of the AP-REP (mutual authentication) fails.
    /// </summary>
    GarbledApRep,
}

/// <summary>One account the test server accepts.</summary>
public sealed record TestAccount(string User, string Domain, string Password);

/// <summary>
/// The server side of CredSSP with NTLM (MS-CSSP 3.2.5, MS-NLMP 3.2.5): it checks the client's NTLMv2 proof
/// against its accounts, unseals and checks pubKeyAuth, answers with its own binding, and reads the sealed
/// credentials. With a keytab it serves Kerberos as well (CredSspServer.Kerberos.cs). Each instance serves one
/// connection.
/// </summary>
internal sealed partial class CredSspServer(TestServerOptions options, byte[] serverPublicKey) : IDisposable
{
    private readonly NtlmSessionSecurity _security = new();
    private byte[] _negotiate = [];
    private byte[] _challengeBytes = [];
    private NtlmChallengeMessage? _challenge;
    private bool _spnego;
    private byte[] _mechTypes = [];
    private int _version;

    /// <summary>The errorCode FreeRDP 2 answers a SPNEGO-wrapped NEGOTIATE with: NTSTATUS_FROM_WIN32(ERROR_MORE_DATA).</summary>
    public const uint SpnegoRefusalCode = 0xC00700EA;

    /// <summary>The errorCode a server that requires the version 5+ nonce binding answers a version 2-4 AUTHENTICATE with.</summary>
    public const uint LegacyBindingRefusalCode = 0x80090302; // SEC_E_UNSUPPORTED_FUNCTION

    /// <summary>
    /// Whether the answer to the NEGOTIATE was an errorCode refusing SPNEGO or, with
    /// <see cref="TestServerOptions.KerberosOnly"/>, NTLM (the server closes after it).
    /// </summary>
    public bool NegotiateRefused { get; private set; }

    /// <summary>The errorCode of the last refusal sent, if the server sent one.</summary>
    public uint? ErrorCodeSent { get; private set; }

    /// <summary>The user the client authenticated as, once it did.</summary>
    public string? AuthenticatedUser { get; private set; }

    /// <summary>Whether the client's SPNEGO mechListMIC arrived and verified.</summary>
    public bool ClientMechListMicVerified { get; private set; }

    /// <summary>Whether the client's sealed TSCredentials arrived and unsealed.</summary>
    public bool CredentialsReceived { get; private set; }

    /// <summary>Answers the NEGOTIATE TSRequest with the CHALLENGE; null when the request is not one.</summary>
    public byte[]? AnswerNegotiate(TsRequest request, NtlmIdentity identity)
    {
        if (request.NegoTokens.Count == 0)
        {
            return null;
        }

        ByteString token = request.NegoTokens[0];
        _spnego = !token.Span.StartsWith("NTLMSSP\0"u8);
        if (options.KerberosOnly)
        {
            // What Windows answers is not in MS-CSSP; the NTSTATUS of the refused NTLM logon is what this server sends.
            _version = Math.Min(identity.CredSspVersion, request.Version);
            NegotiateRefused = true;
            return Error(CredSspErrorCodes.NtlmBlocked);
        }

        if (_spnego && options.RefuseSpnego)
        {
            // FreeRDP 2's NTLM reads the SPNEGO token as a malformed NEGOTIATE; the server then answers
            // NTSTATUS_FROM_WIN32(GetLastError()), which is ERROR_MORE_DATA (234) there, and closes.
            _version = Math.Min(identity.CredSspVersion, request.Version);
            NegotiateRefused = true;
            return Error(SpnegoRefusalCode);
        }

        if (_spnego)
        {
            var init = Pdu.Decode<SpnegoNegTokenInit>(token.Span);
            if (!init.IsSuccess)
            {
                return null;
            }

            token = init.Value.MechToken;
            _mechTypes = Spnego.MechTypesBytes(request.NegoTokens[0].Span) is { IsSuccess: true } mechTypes ? mechTypes.Value.Span.ToArray() : [];
        }

        if (!Pdu.Decode<NtlmNegotiateMessage>(token.Span).IsSuccess)
        {
            return null;
        }

        if (options.CredSspFault == CredSspFault.MalformedTsRequest)
        {
            return [0x30, 0x03, 0x02, 0x01, 0x06]; // a well-framed SEQUENCE whose version is not in its [0] tag
        }

        if (options.CredSspFault == CredSspFault.HugeLength)
        {
            return [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0xA0, 0x03, 0x02, 0x01, 0x06];
        }

        _negotiate = token.Span.ToArray();
        _version = Math.Min(identity.CredSspVersion, request.Version);
        _challenge = NtlmAcceptor.NewChallenge(identity);
        _challengeBytes = Pdu.Encode(_challenge);
        byte[] negoToken = _spnego ? Pdu.Encode(new SpnegoNegTokenResp(SpnegoNegState.AcceptIncomplete, Spnego.NtlmOid, new ByteString(_challengeBytes))) : _challengeBytes;
        return Pdu.Encode(new TsRequest(_version, [new ByteString(negoToken)]));
    }

    /// <summary>
    /// Checks the AUTHENTICATE and pubKeyAuth. Returns the answer to send (pubKeyAuth, or an errorCode), or
    /// null to close the connection without one.
    /// </summary>
    public byte[]? AnswerAuthenticate(TsRequest request)
    {
        if (_challenge is null || request.NegoTokens.Count == 0)
        {
            return Error(0x80090308); // SEC_E_INVALID_TOKEN
        }

        ByteString token = request.NegoTokens[0];
        ByteString clientMic = default;
        if (_spnego)
        {
            var resp = Pdu.Decode<SpnegoNegTokenResp>(token.Span);
            if (!resp.IsSuccess)
            {
                return Error(0x80090308);
            }

            token = resp.Value.ResponseToken;
            clientMic = resp.Value.MechListMic;
        }

        DecodeResult<NtlmAuthenticateMessage> decoded = Pdu.Decode<NtlmAuthenticateMessage>(token.Span);
        if (!decoded.IsSuccess || decoded.Value.NtChallengeResponse.Length < 16 + 28)
        {
            return Error(0x80090308);
        }

        NtlmAuthenticateMessage authenticate = decoded.Value;
        TestAccount? account = options.Accounts.FirstOrDefault(a =>
            string.Equals(a.User, authenticate.UserName, StringComparison.OrdinalIgnoreCase)
            && (a.Domain.Length == 0 || string.Equals(a.Domain, authenticate.DomainName, StringComparison.OrdinalIgnoreCase)));
        if (options.ForcedErrorCode is { } forced)
        {
            return Error(forced);
        }

        if (account is null)
        {
            return Error(0xC000006D); // STATUS_LOGON_FAILURE: unknown users look like wrong passwords
        }

        ReadOnlySpan<byte> response = authenticate.NtChallengeResponse.Span;
        byte[] ntOwfV2 = NtlmCrypto.NtOwfV2(account.Password, authenticate.UserName, authenticate.DomainName);
        byte[] proof = NtlmCrypto.NtProofStr(ntOwfV2, _challenge.ServerChallenge.Span, response[16..]);
        if (!CryptographicOperations.FixedTimeEquals(proof, response[..16]))
        {
            CryptographicOperations.ZeroMemory(ntOwfV2);
            return options.CredSspFault == CredSspFault.CloseAfterAuthenticate ? null : Error(0xC000006D);
        }

        if (options.CredSspFault == CredSspFault.CloseAfterAuthenticate)
        {
            return null;
        }

        if (options.RequireNonceBinding && request.Version < TsRequest.FirstNonceVersion)
        {
            // CVE-2018-0886 "Force Updated Clients": a client with the legacy binding is refused. Windows' exact answer
            // is not in MS-CSSP; SEC_E_UNSUPPORTED_FUNCTION is the status mstsc names for this mismatch ("The function
            // requested is not supported ... CredSSP encryption oracle remediation").
            CryptographicOperations.ZeroMemory(ntOwfV2);
            return Error(LegacyBindingRefusalCode);
        }

        byte[] sessionBaseKey = NtlmCrypto.SessionBaseKey(ntOwfV2, proof);
        byte[] exportedKey = NtlmCrypto.Rc4(sessionBaseKey, authenticate.EncryptedRandomSessionKey.Span);
        CryptographicOperations.ZeroMemory(ntOwfV2);
        CryptographicOperations.ZeroMemory(sessionBaseKey);

        // MS-NLMP 3.2.5.1.2: the MIC covers the three messages with its own field zeroed.
        if (!authenticate.Mic.IsEmpty)
        {
            byte[] message = token.Span.ToArray();
            message.AsSpan(NtlmAuthenticateMessage.MicOffset, 16).Clear();
            byte[] mic = HMACMD5.HashData(exportedKey, (byte[])[.. _negotiate, .. _challengeBytes, .. message]);
            if (!CryptographicOperations.FixedTimeEquals(mic, authenticate.Mic.Span))
            {
                return Error(0xC000006D);
            }
        }

        _security.StartSessionSecurity(exportedKey, asServer: true);
        CryptographicOperations.ZeroMemory(exportedKey);

        // MS-SPNG 3.3.5.1: with a MIC in the AUTHENTICATE, the client's NegTokenResp carries the mechListMIC.
        if (_spnego && !clientMic.IsEmpty)
        {
            ClientMechListMicVerified = _security.VerifyPeerMechListMic(_mechTypes, clientMic.Span);
            if (!ClientMechListMicVerified)
            {
                return Error(0x8009030F); // SEC_E_MESSAGE_ALTERED
            }
        }
        else if (_spnego && options.RequireMechListMic)
        {
            return Error(0x80090308); // SEC_E_INVALID_TOKEN: the mechListMIC RFC 4178 requires here is missing
        }

        byte[]? clientBinding = request.PubKeyAuth.IsEmpty ? null : _security.Unseal(request.PubKeyAuth.Span);
        if (!ClientBindingMatches(clientBinding, request))
        {
            return Error(CredSspErrorCodes.BadBindings);
        }

        AuthenticatedUser = $"{authenticate.DomainName}\\{authenticate.UserName}";
        byte[] pubKeyAuth = _security.Seal(ServerBinding(request));
        if (!_spnego || clientMic.IsEmpty)
        {
            return Pdu.Encode(new TsRequest(_version, [], PubKeyAuth: new ByteString(pubKeyAuth)));
        }

        // The last SPNEGO token, with the server's own mechListMIC, travels with the pubKeyAuth.
        byte[] signed = options.CredSspFault == CredSspFault.WrongMechListMic ? [.. _mechTypes, 0] : _mechTypes;
        byte[] finalToken = Pdu.Encode(new SpnegoNegTokenResp(SpnegoNegState.AcceptCompleted, null, default, new ByteString(_security.MechListMic(signed))));
        return Pdu.Encode(new TsRequest(_version, [new ByteString(finalToken)], PubKeyAuth: new ByteString(pubKeyAuth)));
    }

    /// <summary>
    /// MS-CSSP 3.1.5: whether the client's decrypted pubKeyAuth binds this server's public key: from version 5 on
    /// SHA-256("CredSSP Client-To-Server Binding Hash\0" || clientNonce || key), before it the key itself.
    /// </summary>
    private bool ClientBindingMatches(byte[]? clientBinding, TsRequest request)
    {
        byte[] expected = _version >= TsRequest.FirstNonceVersion
            ? SHA256.HashData([.. "CredSSP Client-To-Server Binding Hash\0"u8, .. request.ClientNonce.Span, .. serverPublicKey])
            : serverPublicKey;
        return clientBinding is not null && clientBinding.AsSpan().SequenceEqual(expected);
    }

    /// <summary>
    /// MS-CSSP 3.1.5: the server's binding, to be encrypted: SHA-256("CredSSP Server-To-Client Binding Hash\0" ||
    /// clientNonce || key) from version 5 on, before it the key with its first byte plus one. The wrong-pubkeyauth
    /// fault binds a random key instead.
    /// </summary>
    private byte[] ServerBinding(TsRequest request)
    {
        byte[] key = options.CredSspFault == CredSspFault.WrongPubKeyAuth ? RandomNumberGenerator.GetBytes(serverPublicKey.Length) : serverPublicKey;
        return _version >= TsRequest.FirstNonceVersion
            ? SHA256.HashData([.. "CredSSP Server-To-Client Binding Hash\0"u8, .. request.ClientNonce.Span, .. key])
            : [(byte)(key[0] + 1), .. key[1..]];
    }

    /// <summary>Reads the client's last TSRequest: the encrypted TSCredentials.</summary>
    public void ReceiveCredentials(TsRequest request)
    {
        byte[]? credentials = request.AuthInfo.IsEmpty ? null
            : _gss is not null ? _gss.Unwrap(request.AuthInfo.Span, out _)
            : _security.Unseal(request.AuthInfo.Span);
        CredentialsReceived = credentials is not null;
        if (credentials is not null)
        {
            CryptographicOperations.ZeroMemory(credentials);
        }
    }

    public void Dispose()
    {
        _security.Dispose();
        _gss?.Dispose();
    }

    /// <summary>A TSRequest refusing with <paramref name="code"/> (errorCode needs version 3), with the package's error token if there is one.</summary>
    private byte[] Error(uint code, byte[]? negoToken = null)
    {
        ErrorCodeSent = code;
        return Pdu.Encode(new TsRequest(Math.Max(_version, 3), negoToken is { Length: > 0 } ? [new ByteString(negoToken)] : [], ErrorCode: code));
    }
}
