using RdpHandshake.CredSsp;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests;

/// <summary>
/// MS-NLMP 4.2.4 (NTLMv2) vectors computed by the engine's NTLM code: the 4.2.4.3 AUTHENTICATE built from its
/// parts, and the computations. The messages' codecs are tested in RdpHandshake.Protocol.Tests (Ntlm/).
/// </summary>
public sealed class NtlmVectorTests
{
    private static readonly byte[] ServerChallenge = Hex("0123456789abcdef");
    private static readonly byte[] ClientChallenge = Hex("aaaaaaaaaaaaaaaa");
    private static readonly byte[] Time = new byte[8];
    private static readonly byte[] RandomSessionKey = Hex("55555555555555555555555555555555");
    private static readonly byte[] TargetInfo = Hex("02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000");

    [Fact]
    public void Authenticate_message_encodes_byte_for_byte_from_its_parts()
    {
        byte[] blob = NtlmCrypto.NtlmV2Blob(Time, ClientChallenge, TargetInfo);
        var message = new NtlmAuthenticateMessage(
            (NtlmNegotiateFlags)0xE2888235,
            new ByteString(Hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")),
            new ByteString([.. Hex("68cd0ab851e51c96aabc927bebef6a1c"), .. blob]),
            "Domain",
            "User",
            "COMPUTER",
            new ByteString(Hex("c5dad2544fc9799094ce1ce90bc9d03e")),
            new NtlmVersion(5, 1, 2600));
        byte[] expected = Load("ntlm-authenticate-4.2.4.3.hex");
        Assert.Equal(expected, Pdu.Encode(message));

        DecodeResult<NtlmAuthenticateMessage> decoded = Pdu.Decode<NtlmAuthenticateMessage>(expected);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal("User", decoded.Value.UserName);
        Assert.Equal("COMPUTER", decoded.Value.Workstation);
        Assert.True(decoded.Value.Mic.IsEmpty);
        Assert.Equal(message.NtChallengeResponse, decoded.Value.NtChallengeResponse);
    }

    [Fact]
    public void Ntlmv2_computations_match_4_2_4()
    {
        byte[] ntOwfV2 = NtlmCrypto.NtOwfV2("Password", "User", "Domain");
        Assert.Equal("0c868a403bfd7a93a3001ef22ef02e3f", Convert.ToHexStringLower(ntOwfV2));
        Assert.Equal("a4f49c406510bdcab6824ee7c30fd852", Convert.ToHexStringLower(NtlmCrypto.NtOwfV1("Password")));

        Assert.Equal("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
            Convert.ToHexStringLower(NtlmCrypto.LmV2Response(ntOwfV2, ServerChallenge, ClientChallenge)));

        byte[] blob = NtlmCrypto.NtlmV2Blob(Time, ClientChallenge, TargetInfo);
        Assert.Equal("01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000",
            Convert.ToHexStringLower(blob));
        byte[] proof = NtlmCrypto.NtProofStr(ntOwfV2, ServerChallenge, blob);
        Assert.Equal("68cd0ab851e51c96aabc927bebef6a1c", Convert.ToHexStringLower(proof));

        byte[] sessionBaseKey = NtlmCrypto.SessionBaseKey(ntOwfV2, proof);
        Assert.Equal("8de40ccadbc14a82f15cb0ad0de95ca3", Convert.ToHexStringLower(sessionBaseKey));
        Assert.Equal("c5dad2544fc9799094ce1ce90bc9d03e", Convert.ToHexStringLower(NtlmCrypto.Rc4(sessionBaseKey, RandomSessionKey)));

        Assert.Equal("59f600973cc4960a25480a7c196e4c58", Convert.ToHexStringLower(NtlmCrypto.ClientSealingKey(RandomSessionKey)));
        Assert.Equal("4788dc861b4782f35d43fd98fe1a2d39", Convert.ToHexStringLower(NtlmCrypto.ClientSigningKey(RandomSessionKey)));
    }
}

public sealed class NtlmSealingTests
{
    [Fact]
    public void Sealing_matches_MS_NLMP_4_2_4_4()
    {
        using var client = new NtlmSessionSecurity();
        client.StartSessionSecurity(Hex("55555555555555555555555555555555"));
        byte[] sealedMessage = client.Seal("Plaintext"u8.ToArray().SelectMany(b => new[] { b, (byte)0 }).ToArray());
        Assert.Equal("010000007fb38ec5c55d497600000000" + "54e50165bf1936dc996020c1811b0f06fb5f", Convert.ToHexStringLower(sealedMessage));
    }
}
