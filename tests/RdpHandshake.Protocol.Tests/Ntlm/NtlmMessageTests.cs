using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Ntlm;

/// <summary>
/// MS-NLMP 2.2.1 NEGOTIATE, CHALLENGE and AUTHENTICATE messages: the 4.2.4.3 CHALLENGE byte for byte, fields
/// that point outside the message, and what fuzzing found. The AUTHENTICATE of 4.2.4.3, built from the engine's
/// NTLMv2 computations, is tested with them in RdpHandshake.Tests.
/// </summary>
public sealed class NtlmMessageTests
{
    /// <summary>The server challenge of the MS-NLMP 4.2.4 (NTLMv2) examples.</summary>
    private static readonly byte[] ServerChallenge = Hex("0123456789abcdef");

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
