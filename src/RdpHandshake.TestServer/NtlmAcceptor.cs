using System.Security.Cryptography;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;

namespace RdpHandshake.TestServer;

/// <summary>
/// The server side of bare NTLM (MS-NLMP 3.2.5) for HTTP authentication (the RD Gateway's <c>WWW-Authenticate:
/// NTLM</c>): a CHALLENGE for the NEGOTIATE, then the NTLMv2 proof and the MIC of the AUTHENTICATE checked against the
/// accounts. One instance serves one exchange.
/// </summary>
public sealed class NtlmAcceptor(IReadOnlyList<TestAccount> accounts, NtlmIdentity identity)
{
    private byte[] _negotiate = [];
    private byte[] _challengeBytes = [];
    private NtlmChallengeMessage? _challenge;

    /// <summary>The CHALLENGE for <paramref name="negotiate"/>, or null when it is not an NTLM NEGOTIATE message.</summary>
    public byte[]? Challenge(ReadOnlySpan<byte> negotiate)
    {
        if (!Pdu.Decode<NtlmNegotiateMessage>(negotiate).IsSuccess)
        {
            return null;
        }

        _negotiate = negotiate.ToArray();
        _challenge = NewChallenge(identity);
        _challengeBytes = Pdu.Encode(_challenge);
        return _challengeBytes;
    }

    /// <summary>
    /// A CHALLENGE as Windows sends it (MS-NLMP 2.2.1.2): NTLMv2 with extended session security, signing, sealing and
    /// key exchange, a random server challenge, the server's names and the time in its target information.
    /// </summary>
    internal static NtlmChallengeMessage NewChallenge(NtlmIdentity identity) => new(
        NtlmNegotiateFlags.Unicode | NtlmNegotiateFlags.RequestTarget | NtlmNegotiateFlags.Sign | NtlmNegotiateFlags.Seal | NtlmNegotiateFlags.Ntlm
            | NtlmNegotiateFlags.AlwaysSign | NtlmNegotiateFlags.TargetTypeDomain | NtlmNegotiateFlags.ExtendedSessionSecurity | NtlmNegotiateFlags.TargetInfo
            | NtlmNegotiateFlags.Version | NtlmNegotiateFlags.Negotiate128 | NtlmNegotiateFlags.KeyExchange | NtlmNegotiateFlags.Negotiate56,
        new ByteString(RandomNumberGenerator.GetBytes(8)),
        identity.NetBiosDomain,
        [
            NtlmAvPair.FromText(NtlmAvId.NbDomainName, identity.NetBiosDomain),
            NtlmAvPair.FromText(NtlmAvId.NbComputerName, identity.NetBiosComputer),
            NtlmAvPair.FromText(NtlmAvId.DnsDomainName, identity.DnsDomain),
            NtlmAvPair.FromText(NtlmAvId.DnsComputerName, identity.DnsComputer),
            NtlmAvPair.FromText(NtlmAvId.DnsTreeName, identity.DnsTree),
            new NtlmAvPair(NtlmAvId.Timestamp, new ByteString(BitConverter.GetBytes(DateTime.UtcNow.ToFileTimeUtc()))),
        ],
        identity.Version);

    /// <summary>
    /// Checks the AUTHENTICATE against the challenge sent and the accounts: the user as <c>DOMAIN\user</c> when its
    /// proof (and MIC, when it carries one) verifies, else null.
    /// </summary>
    public string? Authenticate(ReadOnlySpan<byte> message)
    {
        DecodeResult<NtlmAuthenticateMessage> decoded = Pdu.Decode<NtlmAuthenticateMessage>(message);
        if (_challenge is null || !decoded.IsSuccess || decoded.Value.NtChallengeResponse.Length < 16 + 28)
        {
            return null;
        }

        NtlmAuthenticateMessage authenticate = decoded.Value;
        TestAccount? account = accounts.FirstOrDefault(a =>
            string.Equals(a.User, authenticate.UserName, StringComparison.OrdinalIgnoreCase)
            && (a.Domain.Length == 0 || string.Equals(a.Domain, authenticate.DomainName, StringComparison.OrdinalIgnoreCase)));
        if (account is null)
        {
            return null;
        }

        ReadOnlySpan<byte> response = authenticate.NtChallengeResponse.Span;
        byte[] ntOwfV2 = NtlmCrypto.NtOwfV2(account.Password, authenticate.UserName, authenticate.DomainName);
        byte[] proof = NtlmCrypto.NtProofStr(ntOwfV2, _challenge.ServerChallenge.Span, response[16..]);
        try
        {
            if (!CryptographicOperations.FixedTimeEquals(proof, response[..16]))
            {
                return null;
            }

            if (!authenticate.Mic.IsEmpty)
            {
                byte[] sessionBaseKey = NtlmCrypto.SessionBaseKey(ntOwfV2, proof);
                byte[] exportedKey = authenticate.EncryptedRandomSessionKey.IsEmpty ? sessionBaseKey : NtlmCrypto.Rc4(sessionBaseKey, authenticate.EncryptedRandomSessionKey.Span);
                byte[] copy = message.ToArray();
                copy.AsSpan(NtlmAuthenticateMessage.MicOffset, 16).Clear();
                byte[] mic = HMACMD5.HashData(exportedKey, (byte[])[.. _negotiate, .. _challengeBytes, .. copy]);
                CryptographicOperations.ZeroMemory(sessionBaseKey);
                CryptographicOperations.ZeroMemory(exportedKey);
                if (!CryptographicOperations.FixedTimeEquals(mic, authenticate.Mic.Span))
                {
                    return null;
                }
            }

            return authenticate.DomainName.Length == 0 ? authenticate.UserName : $"{authenticate.DomainName}\\{authenticate.UserName}";
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ntOwfV2);
        }
    }
}
