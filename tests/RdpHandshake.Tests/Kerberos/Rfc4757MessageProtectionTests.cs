using RdpHandshake.Crypto.Kerberos;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// RFC 4757 7 rc4-hmac GSS tokens against MIT krb5's src/tests/gssapi/t_invalid.c, whose ENCTYPE_ARCFOUR_HMAC case
/// holds a context key, a MIC token over "message", an integrity-only and a sealed Wrap token of "message", and a
/// sealed token that is valid except that its padding octet is 100 instead of 1. All four were made by an initiator;
/// their decrypted sequence numbers are 0 (MIC and integrity-only Wrap), 1 (sealed Wrap) and 0x2dec9da6 (bad padding).
/// </summary>
public sealed class Rfc4757MessageProtectionTests
{
    private static readonly byte[] Key = Hex("66644164557821D0D0FD056AFF6FE809");

    private static readonly byte[] Mic = Hex(
        "6023 0609 2A864886F712010202" + "0101 1100 FFFFFFFF 5DE751F6FB6C255B 23935A302057DCB5");

    private static readonly byte[] IntegrityOnlyWrap = Hex(
        "6033 0609 2A864886F712010202" + "0201 1100 FFFF FFFF ADB51D01397BA216 4C1B6818ECACD9E5 9ED1417A89E8CB24 6D657373616765 01");

    private static readonly byte[] SealedWrap = Hex(
        "6033 0609 2A864886F712010202" + "0201 1100 1000 FFFF DD6D04EA645CE731 50D009449E67A430 ECFBFFC0F7161E14 1A8242DD26232B02");

    private static readonly byte[] BadPaddingWrap = Hex(
        "6033 0609 2A864886F712010202" + "0201 1100 1000 FFFF 35D479F38C478F6E 236F3ECC5E575C6A 89F0A2034F0B5111 EE897ED6F6B5D651");

    [Fact]
    public void The_sealed_Wrap_token_of_MIT_t_invalid_opens_to_message()
    {
        using var acceptor = new Rfc4757MessageProtection(Key, isInitiator: false, 0, initialReceiveSequence: 1);
        Assert.Equal("message"u8.ToArray(), acceptor.Unwrap(SealedWrap));
        Assert.Equal(2u, acceptor.ReceiveSequence);
        Assert.Null(acceptor.Unwrap(SealedWrap));
    }

    [Fact]
    public void The_MIT_tokens_are_refused_in_the_wrong_direction_or_out_of_sequence()
    {
        using var initiator = new Rfc4757MessageProtection(Key, isInitiator: true, 0, 1);
        Assert.Null(initiator.Unwrap(SealedWrap));
        using var early = new Rfc4757MessageProtection(Key, isInitiator: false, 0, 0);
        Assert.Null(early.Unwrap(SealedWrap));
        Assert.Equal(0u, early.ReceiveSequence);
    }

    [Fact]
    public void The_MIC_token_of_MIT_t_invalid_verifies_over_message_only()
    {
        using var acceptor = new Rfc4757MessageProtection(Key, false, 0, 0);
        Assert.False(acceptor.VerifyMic("messagf"u8, Mic));
        Assert.True(acceptor.VerifyMic("message"u8, Mic));
        Assert.False(acceptor.VerifyMic("message"u8, Mic));
    }

    [Fact]
    public void The_integrity_only_Wrap_token_opens_only_when_allowed()
    {
        using var acceptor = new Rfc4757MessageProtection(Key, false, 0, 0);
        Assert.Null(acceptor.Unwrap(IntegrityOnlyWrap));
        Assert.Equal("message"u8.ToArray(), acceptor.Unwrap(IntegrityOnlyWrap, allowIntegrityOnly: true));
    }

    [Fact]
    public void The_token_padded_with_100_is_refused()
    {
        // Its checksum and sequence number are right; only the padding octet (100, more than the data) is wrong.
        using var acceptor = new Rfc4757MessageProtection(Key, false, 0, 0x2dec9da6);
        Assert.Null(acceptor.Unwrap(BadPaddingWrap));
        Assert.Equal(0x2dec9da6u, acceptor.ReceiveSequence);
    }

    [Fact]
    public void An_initiator_makes_the_MIC_token_of_MIT_t_invalid()
    {
        // The MIC has no confounder, so it is deterministic: sequence number 0 from the initiator.
        using var initiator = new Rfc4757MessageProtection(Key, true, 0, 0);
        Assert.Equal(Mic, initiator.GetMic("message"u8));
        Assert.Equal(1u, initiator.SendSequence);
    }

    [Fact]
    public void An_initiator_makes_the_sealed_Wrap_token_of_MIT_t_invalid_from_its_confounder()
    {
        // The confounder is the decryption of the token's eight octets after SGN_CKSUM: 30 5e af 0f 7c 96 7b 9c.
        using var initiator = new Rfc4757MessageProtection(Key, true, 1, 0);
        Assert.Equal(SealedWrap, initiator.Wrap("message"u8, Hex("305eaf0f7c967b9c")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(44)]
    [InlineData(45)]
    public void Short_or_unframed_tokens_are_refused_without_throwing(int length)
    {
        using var acceptor = new Rfc4757MessageProtection(Key, false, 0, 1);
        byte[] token = SealedWrap[..Math.Min(length, SealedWrap.Length)];
        Assert.Null(acceptor.Unwrap(token));
        Assert.False(acceptor.VerifyMic("message"u8, token));
    }

    [Fact]
    public void A_framing_length_that_disagrees_with_the_token_is_refused()
    {
        using var acceptor = new Rfc4757MessageProtection(Key, false, 0, 1);
        byte[] longer = SealedWrap.ToArray();
        longer[1]++;
        Assert.Null(acceptor.Unwrap(longer));
        Assert.Null(acceptor.Unwrap([.. SealedWrap, 0x00]));
        byte[] otherMechanism = SealedWrap.ToArray();
        otherMechanism[12] = 0x03;
        Assert.Null(acceptor.Unwrap(otherMechanism));
        Assert.Equal("message"u8.ToArray(), acceptor.Unwrap(SealedWrap));
    }

    [Fact]
    public void Long_messages_use_the_long_form_framing_length()
    {
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Rc4Hmac);
        using var initiator = new Rfc4757MessageProtection(key, true, 5, 0);
        using var acceptor = new Rfc4757MessageProtection(key, false, 0, 5);
        byte[] message = new byte[300];
        byte[] token = initiator.Wrap(message);
        int content = 11 /* OID */ + 32 /* token header */ + 300 /* message */ + 1 /* padding */;
        Assert.Equal(Hex("60 82"), token[..2]);
        Assert.Equal(content, (token[2] << 8) | token[3]);
        Assert.Equal(message, acceptor.Unwrap(token));
    }

    [Fact]
    public void Caller_bugs_throw()
    {
        Assert.Throws<ArgumentException>(() => new Rfc4757MessageProtection(new byte[15], true, 0, 0));
        var protection = new Rfc4757MessageProtection(Key, true, 0, 0);
        Assert.Throws<ArgumentException>(() => protection.Wrap("x"u8, new byte[7]));
        protection.Dispose();
        Assert.Throws<ObjectDisposedException>(() => protection.GetMic("x"u8));
    }
}
