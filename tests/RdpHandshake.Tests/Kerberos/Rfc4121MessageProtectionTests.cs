using System.Buffers.Binary;
using RdpHandshake.Crypto.Kerberos;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// RFC 4121 4.2 per-message tokens. Published tokens with their key come from gokrb5 (jcmturner/gokrb5,
/// v8/gssapi/MICToken_test.go and v8/gssapi/wrapToken_test.go: an aes128-cts-hmac-sha1-96 session key, MIC tokens
/// over de ad be ef and integrity-only Wrap tokens over 01 01 00 00, from each side). No published sealed Wrap token
/// with its key was found (MIT krb5 and Heimdal test sealing only by round trips), so the sealed layout is checked
/// against the cipher: decrypting the body must give the message followed by the header.
/// </summary>
public sealed class Rfc4121MessageProtectionTests
{
    /// <summary>gokrb5 wrapToken_test.go: sessionKey, keytype 17.</summary>
    private static readonly byte[] GokrbKey = Hex("14f9bde6b50ec508201a97f74c4e5bd3");

    /// <summary>gokrb5: the SND_SEQ of the acceptor's tokens.</summary>
    private const ulong GokrbAcceptorSequence = 0x575e85d6;

    private static readonly KerberosCipher Aes128 = KerberosCipher.For(KerberosEtype.Aes128CtsHmacSha196);

    [Fact]
    public void Initiator_MIC_token_matches_gokrb5()
    {
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, GokrbKey, isInitiator: true, acceptorSubkey: false, 0, 0);
        Assert.Equal(
            Hex("0404 00 ffffffffff 0000000000000000" + "9649ca09d2f1bc51ff6e5ca3"),
            initiator.GetMic(Hex("deadbeef")));
        Assert.Equal(1ul, initiator.SendSequence);
    }

    [Fact]
    public void Acceptor_MIC_token_of_gokrb5_verifies_once_and_only_from_the_acceptor()
    {
        byte[] token = Hex("0404 01 ffffffffff 00000000575e85d6" + "c34d12ba3e5b1b1310cd9cb3");
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, GokrbKey, true, false, 0, GokrbAcceptorSequence);
        Assert.False(initiator.VerifyMic(Hex("deadbeee"), token));
        Assert.True(initiator.VerifyMic(Hex("deadbeef"), token));
        Assert.Equal(GokrbAcceptorSequence + 1, initiator.ReceiveSequence);
        Assert.False(initiator.VerifyMic(Hex("deadbeef"), token));

        // The acceptor itself must not take its own token back: the SentByAcceptor flag is the direction.
        using var acceptor = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, GokrbKey, false, false, 0, GokrbAcceptorSequence);
        Assert.False(acceptor.VerifyMic(Hex("deadbeef"), token));
    }

    [Fact]
    public void Initiator_integrity_only_Wrap_token_matches_gokrb5()
    {
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, GokrbKey, true, false, 0, 0);
        Assert.Equal(
            Hex("0504 00 ff 000c 0000 0000000000000000" + "01010000" + "79a033510b6f127212242b97"),
            initiator.WrapIntegrityOnly(Hex("01010000")));
    }

    [Fact]
    public void Acceptor_integrity_only_Wrap_token_of_gokrb5_opens_only_when_integrity_only_is_allowed()
    {
        byte[] token = Hex("0504 01 ff 000c 0000 00000000575e85d6" + "01010000" + "853b728d5268525a1386c19f");
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, GokrbKey, true, false, 0, GokrbAcceptorSequence);
        Assert.Null(initiator.Unwrap(token));
        Assert.Equal(GokrbAcceptorSequence, initiator.ReceiveSequence);
        Assert.Equal(Hex("01010000"), initiator.Unwrap(token, allowIntegrityOnly: true));
        Assert.Equal(GokrbAcceptorSequence + 1, initiator.ReceiveSequence);
    }

    [Theory]
    [InlineData(KerberosEtype.Aes128CtsHmacSha196, true, false, 0)]
    [InlineData(KerberosEtype.Aes256CtsHmacSha196, true, true, 28)]
    [InlineData(KerberosEtype.Aes256CtsHmacSha196, false, true, 28)]
    [InlineData(KerberosEtype.Aes128CtsHmacSha256128, false, false, 3)]
    [InlineData(KerberosEtype.Aes256CtsHmacSha384192, true, false, 1000)]
    public void A_sealed_Wrap_token_is_the_header_then_the_rotated_encryption_of_message_and_header(KerberosEtype etype, bool isInitiator, bool acceptorSubkey, int rrc)
    {
        KerberosCipher cipher = KerberosCipher.For(etype);
        byte[] key = KerberosCipher.RandomKey(etype);
        byte[] confounder = Enumerable.Range(0, 16).Select(i => (byte)(0xA0 + i)).ToArray();
        byte[] message = "the public key of the TLS server"u8.ToArray();
        using var sender = new Rfc4121MessageProtection(etype, key, isInitiator, acceptorSubkey, 0x0102030405060708, 0);

        byte[] token = sender.Wrap(message, rrc, confounder);

        byte flags = (byte)((isInitiator ? 0 : 0x01) | 0x02 | (acceptorSubkey ? 0x04 : 0));
        byte[] header = [0x05, 0x04, flags, 0xFF, 0x00, 0x00 /* EC */, (byte)(rrc >> 8), (byte)rrc, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
        byte[] encryptedHeader = [.. header[..6], 0x00, 0x00, .. header[8..]];
        int usage = isInitiator ? 24 : 22;
        byte[] ciphertext = cipher.Encrypt(key, usage, [.. message, .. encryptedHeader], confounder);
        int shift = rrc % ciphertext.Length;
        byte[] expected = [.. header, .. ciphertext[^shift..], .. ciphertext[..^shift]];
        Assert.Equal(expected, token);
        Assert.Equal(0x0102030405060709ul, sender.SendSequence);
    }

    [Fact]
    public void The_SSPI_form_has_the_header_and_size_Windows_sends()
    {
        // A WinRM capture of Windows' Kerberos sealing shows a token buffer of 60 bytes starting 05 04 06 ff 00 00 00 1c:
        // sent by the initiator, Sealed and AcceptorSubkey, EC 0, RRC 28.
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes256CtsHmacSha196);
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes256CtsHmacSha196, key, true, true, 0, 0);
        Assert.Equal(28, initiator.SspiRightRotationCount);
        byte[] token = initiator.Wrap(new byte[270], initiator.SspiRightRotationCount);
        Assert.Equal(Hex("0504 06 ff 0000 001c"), token[..8]);
        Assert.Equal(270 + 60, token.Length);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(0, true)]
    [InlineData(28, false)]
    [InlineData(28, true)]
    [InlineData(5, true)]
    public void A_token_with_filler_opens_whether_the_sender_rotated_by_RRC_or_by_RRC_plus_EC(int rrc, bool rotateByRrcPlusEc)
    {
        // RFC 4121 4.2.4 lets the sender put EC filler octets between the data and the header copy; MS-KILE 3.4.5.4.1
        // says Windows then rotates by RRC + EC rather than RRC.
        const int ec = 16;
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes128CtsHmacSha196);
        byte[] header = [0x05, 0x04, 0x03 /* SentByAcceptor, Sealed */, 0xFF, 0x00, ec, (byte)(rrc >> 8), (byte)rrc, 0, 0, 0, 0, 0, 0, 0, 9];
        byte[] encryptedHeader = [.. header[..6], 0x00, 0x00, .. header[8..]];
        byte[] message = "pubKeyAuth"u8.ToArray();
        byte[] ciphertext = Aes128.Encrypt(key, 22, [.. message, .. new byte[ec], .. encryptedHeader]);
        int shift = (rotateByRrcPlusEc ? rrc + ec : rrc) % ciphertext.Length;
        byte[] token = [.. header, .. ciphertext[^shift..], .. ciphertext[..^shift]];

        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, key, true, false, 0, 9);
        Assert.Equal(message, initiator.Unwrap(token));
    }

    [Fact]
    public void A_header_copy_that_disagrees_with_the_clear_header_is_refused()
    {
        // The encrypted copy binds EC, the flags and the sequence number (RFC 4121 4.2.4); here the clear header
        // claims EC 1, which would cut the last message byte, while the copy says 0.
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes128CtsHmacSha196);
        byte[] encryptedHeader = [0x05, 0x04, 0x03, 0xFF, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] ciphertext = Aes128.Encrypt(key, 22, [.. "truncate me"u8, .. encryptedHeader]);
        byte[] token = [0x05, 0x04, 0x03, 0xFF, 0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, .. ciphertext];
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, key, true, false, 0, 0);
        Assert.Null(initiator.Unwrap(token));
        Assert.Equal(0ul, initiator.ReceiveSequence);
    }

    /// <summary>Header edits that make an otherwise valid acceptor token unacceptable to the initiator: byte index, new value.</summary>
    public static TheoryData<int, byte> HeaderEdits => new()
    {
        { 0, 0x04 }, // TOK_ID of a MIC token
        { 1, 0x05 },
        { 2, 0x02 }, // SentByAcceptor cleared
        { 2, 0x07 }, // AcceptorSubkey set though the context has none
        { 2, 0x01 }, // Sealed cleared: integrity only is not accepted by default
        { 3, 0x00 }, // Filler
        { 15, 0x01 }, // another sequence number
    };

    [Theory]
    [MemberData(nameof(HeaderEdits))]
    public void A_token_with_a_wrong_header_is_refused_and_changes_nothing(int index, byte value)
    {
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes256CtsHmacSha196);
        using var acceptor = new Rfc4121MessageProtection(KerberosEtype.Aes256CtsHmacSha196, key, false, false, 0, 0);
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes256CtsHmacSha196, key, true, false, 0, 0);
        byte[] token = acceptor.Wrap("credentials"u8);
        byte[] edited = token.ToArray();
        edited[index] = value;
        Assert.Null(initiator.Unwrap(edited));
        Assert.Equal(0ul, initiator.ReceiveSequence);
        Assert.Equal("credentials"u8.ToArray(), initiator.Unwrap(token));
    }

    [Fact]
    public void A_MIC_token_with_the_Sealed_flag_or_a_wrong_length_is_refused()
    {
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes128CtsHmacSha256128);
        using var acceptor = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha256128, key, false, true, 0, 0);
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha256128, key, true, true, 0, 0);
        byte[] mic = acceptor.GetMic("mechTypes"u8);
        Assert.Equal(16 + 16, mic.Length);

        byte[] sealedFlag = mic.ToArray();
        sealedFlag[2] |= 0x02;
        Assert.False(initiator.VerifyMic("mechTypes"u8, sealedFlag));
        Assert.False(initiator.VerifyMic("mechTypes"u8, mic[..^1]));
        Assert.False(initiator.VerifyMic("mechTypes"u8, [.. mic, 0]));
        Assert.True(initiator.VerifyMic("mechTypes"u8, mic));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(43)]
    public void Short_tokens_are_refused_without_throwing(int length)
    {
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes128CtsHmacSha196);
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, key, true, false, 0, 0);
        byte[] token = new byte[length];
        Hex("0504 03 ff 0000 0000 0000000000000000").AsSpan(0, Math.Min(16, length)).CopyTo(token);
        Assert.Null(initiator.Unwrap(token));
        Assert.Null(initiator.Unwrap(token, allowIntegrityOnly: true));
        Assert.False(initiator.VerifyMic([], token));
    }

    [Fact]
    public void Sequence_numbers_are_64_bit_and_wrap_around()
    {
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes128CtsHmacSha196);
        using var initiator = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, key, true, false, ulong.MaxValue, 0);
        using var acceptor = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, key, false, false, 0, ulong.MaxValue);
        byte[] first = initiator.Wrap("a"u8);
        Assert.Equal(ulong.MaxValue, BinaryPrimitives.ReadUInt64BigEndian(first.AsSpan(8)));
        Assert.Equal("a"u8.ToArray(), acceptor.Unwrap(first));
        Assert.Equal("b"u8.ToArray(), acceptor.Unwrap(initiator.Wrap("b"u8)));
        Assert.Equal(1ul, acceptor.ReceiveSequence);
    }

    [Fact]
    public void Caller_bugs_throw()
    {
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes128CtsHmacSha196);
        Assert.Throws<ArgumentException>(() => new Rfc4121MessageProtection(KerberosEtype.Rc4Hmac, new byte[16], true, false, 0, 0));
        Assert.Throws<ArgumentException>(() => new Rfc4121MessageProtection(KerberosEtype.Aes256CtsHmacSha196, key, true, false, 0, 0));
        var protection = new Rfc4121MessageProtection(KerberosEtype.Aes128CtsHmacSha196, key, true, false, 0, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => protection.Wrap("x"u8, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => protection.Wrap("x"u8, 65536));
        protection.Dispose();
        Assert.Throws<ObjectDisposedException>(() => protection.Wrap("x"u8));
        Assert.Throws<ObjectDisposedException>(() => protection.Unwrap(new byte[64]));
    }
}
