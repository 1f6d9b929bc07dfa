using System.Buffers.Binary;
using System.Security.Cryptography;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Crypto.Ntlm;

/// <summary>
/// The client side of NTLMv2 (MS-NLMP 3.1.5, 3.3.2) as CredSSP's authentication package: the NEGOTIATE, the
/// server's CHALLENGE read (it names the server even without credentials), the AUTHENTICATE with a MIC, then NTLM
/// session security for pubKeyAuth and the credentials. Secrets stay in <see cref="Credentials"/> and are never shown.
/// </summary>
public sealed class NtlmPackage : IAuthenticationPackage, IDisposable
{
    private readonly Credentials? _credentials;
    private readonly string _targetSpn;
    private readonly TimeProvider _time;
    private readonly NtlmSessionSecurity _security = new();
    private byte[] _negotiateBytes = [];
    private byte[] _challengeBytes = [];

    /// <param name="credentials">Who to authenticate as; null for the first round trip only.</param>
    /// <param name="targetSpn">The service principal name put in the AUTHENTICATE's target info, <c>TERMSRV/host</c>.</param>
    /// <param name="time">The clock, for a CHALLENGE without a server timestamp.</param>
    public NtlmPackage(Credentials? credentials, string targetSpn, TimeProvider? time = null)
    {
        _credentials = credentials;
        _targetSpn = targetSpn;
        _time = time ?? TimeProvider.System;
    }

    public string Name => "NTLM";

    public IReadOnlyList<string> MechanismOids { get; } = [Spnego.NtlmOid];

    public (string FirstToken, string ServerToken, string FinalToken) StepNames => ("credssp.negotiate", "credssp.challenge", "credssp.authenticate");

    public bool HasCredentials => _credentials is not null;

    public string Principal => _credentials?.ToString() ?? "(no credentials)";

    /// <summary>The NEGOTIATE this client sends: NTLMv2 with extended session security, 128-bit, key exchange, sign and seal.</summary>
    public NtlmNegotiateMessage Negotiate { get; } = new(NtlmNegotiateMessage.CredSspClientFlags, new NtlmVersion(10, 0, 20348));

    /// <summary>The server's CHALLENGE, once it arrived.</summary>
    public NtlmChallengeMessage? Challenge { get; private set; }

    /// <summary>NTLM needs no KDC.</summary>
    public KdcExchange? PendingKdcExchange => null;

    public bool HasFinalToken => true;

    public PackageToken KdcRequest() => throw new InvalidOperationException("NTLM has no KDC exchange");

    public PackageAnswer AcceptKdcReply(ReadOnlySpan<byte> reply) => throw new InvalidOperationException("NTLM has no KDC exchange");

    public PackageAnswer KdcFailed(ProtocolFailure failure) => throw new InvalidOperationException("NTLM has no KDC exchange");

    public PackageToken FirstToken()
    {
        _negotiateBytes = Pdu.Encode(Negotiate);
        return new PackageToken(_negotiateBytes, "NTLM NEGOTIATE", [new StepField("ntlm.flags", $"0x{(uint)Negotiate.Flags:x8}")]);
    }

    public PackageAnswer AcceptServerToken(ReadOnlySpan<byte> token)
    {
        DecodeResult<NtlmChallengeMessage> challenge = Pdu.Decode<NtlmChallengeMessage>(token);
        if (!challenge.IsSuccess)
        {
            string reason = $"the server's NTLM CHALLENGE does not decode: {challenge.Error}";
            return new PackageAnswer(NtlmChallengeMessage.PduName, reason, [new StepField("error", challenge.Error.ToString())], ProtocolFailure.Malformed(reason, challenge.Error));
        }

        Challenge = challenge.Value;
        _challengeBytes = token.ToArray();
        List<StepField> fields = [.. NtlmChallengeInfo.Of(challenge.Value).Select(i => new StepField($"ntlm.{i.Key}", i.Value))];
        string windows = challenge.Value.Version is { } v ? $", Windows {v.Major}.{v.Minor}.{v.Build}" : string.Empty;
        return new PackageAnswer(NtlmChallengeMessage.PduName, $"NTLM CHALLENGE from {challenge.Value.TargetName}{windows}", fields);
    }

    public PackageToken FinalToken()
    {
        Credentials credentials = _credentials ?? throw new InvalidOperationException("the AUTHENTICATE needs credentials");
        NtlmChallengeMessage challenge = Challenge ?? throw new InvalidOperationException("the AUTHENTICATE answers a CHALLENGE");
        byte[] clientChallenge = RandomNumberGenerator.GetBytes(8);
        byte[] exportedSessionKey = RandomNumberGenerator.GetBytes(16);
        byte[] authenticate = Authenticate(_negotiateBytes, _challengeBytes, challenge, credentials, _targetSpn, clientChallenge, exportedSessionKey, _time.GetUtcNow());
        CryptographicOperations.ZeroMemory(exportedSessionKey);
        return new PackageToken(authenticate, "NTLM AUTHENTICATE", [new StepField("user", credentials.ToString()), new StepField("ntlm", "NTLMv2 with MIC, target " + _targetSpn)]);
    }

    /// <summary>
    /// Builds the AUTHENTICATE answering <paramref name="challenge"/>: the NTLMv2 response over the server's
    /// TargetInfo (plus MsvAvFlags MIC-present and the target SPN), the encrypted session key, and the MIC over
    /// the three messages; then starts session security with <paramref name="exportedSessionKey"/>. The random
    /// inputs are parameters so that tests are deterministic.
    /// </summary>
    public byte[] Authenticate(
        byte[] negotiateBytes,
        byte[] challengeBytes,
        NtlmChallengeMessage challenge,
        Credentials credentials,
        string targetSpn,
        ReadOnlySpan<byte> clientChallenge,
        ReadOnlySpan<byte> exportedSessionKey,
        DateTimeOffset now)
    {
        byte[] ntOwfV2 = NtlmCrypto.NtOwfV2(credentials.Password.Reveal(), credentials.User, credentials.Domain);
        byte[]? serverTime = challenge.TargetInfo.FirstOrDefault(p => p.Id == NtlmAvId.Timestamp)?.Value.Span.ToArray();
        byte[] time = serverTime ?? BitConverter.GetBytes(now.UtcDateTime.ToFileTimeUtc());

        var pairs = challenge.TargetInfo.Where(p => p.Id is not (NtlmAvId.Flags or NtlmAvId.TargetName or NtlmAvId.ChannelBindings)).ToList();
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(challenge.TargetInfo.FirstOrDefault(p => p.Id == NtlmAvId.Flags)?.Value.Span.ToArray() ?? new byte[4]);
        pairs.Add(new NtlmAvPair(NtlmAvId.Flags, new ByteString(BitConverter.GetBytes(flags | 0x2)))); // MIC present
        pairs.Add(NtlmAvPair.FromText(NtlmAvId.TargetName, targetSpn));
        pairs.Add(new NtlmAvPair(NtlmAvId.ChannelBindings, new ByteString(new byte[16]))); // CredSSP binds with pubKeyAuth
        byte[] avPairs = NtlmAvPairsBytes(pairs);

        byte[] blob = NtlmCrypto.NtlmV2Blob(time, clientChallenge, avPairs);
        byte[] proof = NtlmCrypto.NtProofStr(ntOwfV2, challenge.ServerChallenge.Span, blob);
        byte[] sessionBaseKey = NtlmCrypto.SessionBaseKey(ntOwfV2, proof);
        byte[] encryptedKey = NtlmCrypto.Rc4(sessionBaseKey, exportedSessionKey);

        // MS-NLMP 3.1.5.1.2: with MsvAvTimestamp the LmChallengeResponse is 24 zero bytes.
        byte[] lm = serverTime is not null ? new byte[24] : NtlmCrypto.LmV2Response(ntOwfV2, challenge.ServerChallenge.Span, clientChallenge);
        NtlmNegotiateFlags negotiated = challenge.Flags & Negotiate.Flags | NtlmNegotiateFlags.Unicode;
        var message = new NtlmAuthenticateMessage(
            negotiated,
            new ByteString(lm),
            new ByteString([.. proof, .. blob]),
            credentials.Domain,
            credentials.User,
            string.Empty,
            new ByteString(encryptedKey),
            Negotiate.Version,
            new ByteString(new byte[16]));
        byte[] bytes = Pdu.Encode(message);
        byte[] mic = HMACMD5.HashData(exportedSessionKey, [.. negotiateBytes, .. challengeBytes, .. bytes]);
        mic.CopyTo(bytes, NtlmAuthenticateMessage.MicOffset);

        _security.StartSessionSecurity(exportedSessionKey);
        CryptographicOperations.ZeroMemory(ntOwfV2);
        CryptographicOperations.ZeroMemory(sessionBaseKey);
        return bytes;
    }

    public byte[] Wrap(ReadOnlySpan<byte> message) => _security.Seal(message);

    public byte[]? Unwrap(ReadOnlySpan<byte> message) => _security.Unseal(message);

    public byte[] MechListMic(ReadOnlySpan<byte> mechTypes) => _security.MechListMic(mechTypes);

    public bool VerifyMechListMic(ReadOnlySpan<byte> mechTypes, ReadOnlySpan<byte> mic) => _security.VerifyPeerMechListMic(mechTypes, mic);

    public byte[] WrapCredentials()
    {
        Credentials credentials = _credentials ?? throw new InvalidOperationException("no credentials to delegate");
        byte[] domain = System.Text.Encoding.Unicode.GetBytes(credentials.Domain);
        byte[] user = System.Text.Encoding.Unicode.GetBytes(credentials.User);
        byte[] password = System.Text.Encoding.Unicode.GetBytes(credentials.Password.Reveal().ToArray());
        byte[] tsCredentials = TsCredentials.EncodePassword(domain, user, password);
        try
        {
            return _security.Seal(tsCredentials);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
            CryptographicOperations.ZeroMemory(tsCredentials);
        }
    }

    public void Dispose() => _security.Dispose();

    private static byte[] NtlmAvPairsBytes(IReadOnlyList<NtlmAvPair> pairs)
    {
        byte[] bytes = new byte[pairs.Sum(p => 4 + p.Value.Length) + 4];
        int at = 0;
        foreach (NtlmAvPair pair in pairs)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)pair.Id);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 2), (ushort)pair.Value.Length);
            pair.Value.Span.CopyTo(bytes.AsSpan(at + 4));
            at += 4 + pair.Value.Length;
        }

        return bytes; // ends with MsvAvEOL (four zero bytes)
    }
}
