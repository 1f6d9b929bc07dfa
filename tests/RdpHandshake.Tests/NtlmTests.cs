using RdpHandshake.CredSsp;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests;

/// <summary>MS-NLMP 4.2.4 (NTLMv2) vectors, byte for byte: the messages and the computations.</summary>
public sealed class NtlmVectorTests
{
    private static readonly byte[] ServerChallenge = Hex("0123456789abcdef");
    private static readonly byte[] ClientChallenge = Hex("aaaaaaaaaaaaaaaa");
    private static readonly byte[] Time = new byte[8];
    private static readonly byte[] RandomSessionKey = Hex("55555555555555555555555555555555");
    private static readonly byte[] TargetInfo = Hex("02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000");

    [Fact]
    public void Challenge_message_decodes_and_encodes_byte_for_byte()
    {
        byte[] bytes = Load("ntlm-challenge-4.2.4.3.hex");
        DecodeResult<NtlmChallengeMessage> decoded = Pdu.Decode<NtlmChallengeMessage>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        NtlmChallengeMessage challenge = decoded.Value;
        Assert.Equal((NtlmNegotiateFlags)0xE28A8233, challenge.Flags);
        Assert.Equal(ServerChallenge, challenge.ServerChallenge.Span.ToArray());
        Assert.Equal("Server", challenge.TargetName);
        Assert.Equal("Domain", challenge.Find(NtlmAvId.NbDomainName));
        Assert.Equal("Server", challenge.Find(NtlmAvId.NbComputerName));
        Assert.Equal(new NtlmVersion(6, 0, 6000), challenge.Version);
        Assert.Equal(bytes, Pdu.Encode(challenge));
        Assert.Equal(bytes.Length, challenge.Size);
    }

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

    [Fact]
    public void A_challenge_whose_fields_point_outside_the_message_is_rejected()
    {
        byte[] bytes = Load("ntlm-challenge-4.2.4.3.hex");
        bytes[44] = 0xFF; // TargetInfoFields.BufferOffset low byte
        DecodeResult<NtlmChallengeMessage> decoded = Pdu.Decode<NtlmChallengeMessage>(bytes);
        Assert.False(decoded.IsSuccess);
        Assert.Equal("TargetInfoFields", decoded.Error.Field);
    }

    [Fact]
    public void A_target_info_without_eol_is_rejected()
    {
        byte[] bytes = Load("ntlm-challenge-4.2.4.3.hex")[..^4]; // drop MsvAvEOL
        bytes[40] = 0x20; // TargetInfoFields.Len 36 -> 32
        bytes[42] = 0x20;
        DecodeResult<NtlmChallengeMessage> decoded = Pdu.Decode<NtlmChallengeMessage>(bytes);
        Assert.False(decoded.IsSuccess);
        Assert.Contains("MsvAvEOL", decoded.Error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negotiate_message_round_trips()
    {
        var negotiate = new NtlmNegotiateMessage(NtlmNegotiateMessage.CredSspClientFlags, new NtlmVersion(10, 0, 20348));
        byte[] bytes = Pdu.Encode(negotiate);
        Assert.Equal(40, bytes.Length);
        Assert.Equal(negotiate, Pdu.Decode<NtlmNegotiateMessage>(bytes).Value);
    }

    [Fact]
    public void Names_are_oem_when_the_unicode_flag_is_clear()
    {
        // Found by fuzzing: the encoder wrote UTF-16 names under OEM flags, which the decoder then read as ASCII.
        var authenticate = new NtlmAuthenticateMessage(NtlmNegotiateFlags.Oem | NtlmNegotiateFlags.Ntlm, default, default, "DOM", "USER", "WS", default);
        byte[] bytes = Pdu.Encode(authenticate);
        Assert.Equal(64 + "DOMUSERWS".Length, bytes.Length);
        Assert.Equal("DOMUSERWS"u8.ToArray(), bytes[64..]);
        NtlmAuthenticateMessage decoded = Pdu.Decode<NtlmAuthenticateMessage>(bytes).Value!;
        Assert.Equal(("DOM", "USER", "WS"), (decoded.DomainName, decoded.UserName, decoded.Workstation));
    }

    [Fact]
    public void A_version_flag_with_the_payload_where_the_version_would_be_reads_no_version()
    {
        // Found by fuzzing: NEGOTIATE_VERSION set, TargetName right after the 48-byte fixed part. Those bytes are
        // the name, not a Version; reading them as both made the decode depend on where we put the payload.
        var challenge = new NtlmChallengeMessage(NtlmNegotiateFlags.Version | NtlmNegotiateFlags.Unicode, new ByteString(new byte[8]), "SERVER", []);
        byte[] bytes = Pdu.Encode(challenge);
        Assert.Equal(48, BitConverter.ToInt32(bytes, 16)); // TargetNameFields.BufferOffset
        NtlmChallengeMessage decoded = Pdu.Decode<NtlmChallengeMessage>(bytes).Value!;
        Assert.Null(decoded.Version);
        Assert.Equal("SERVER", decoded.TargetName);
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
