using System.Text;
using RdpHandshake.Crypto.Kerberos;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// rc4-hmac (RFC 4757). RFC 4757 publishes no test vectors; string-to-key is checked against the MD4 value for "foo"
/// of impacket's tests/misc/test_krb5_crypto.py (test_RC4_string_to_key), encryption against impacket's test_RC4 (key, confounder and ciphertext), decryption against MIT krb5's
/// src/lib/crypto/crypto_tests/t_decrypt.c, and the hmac-md5 checksum against MIT's t_cksums.c and impacket's
/// test_RC4_checksum.
/// </summary>
public sealed class Rfc4757VectorTests
{
    private static readonly KerberosCipher Rc4 = KerberosCipher.For(KerberosEtype.Rc4Hmac);

    [Fact]
    public void String_to_key_is_MD4_of_the_UTF16LE_password()
    {
        Assert.Equal(Hex("ac8e657f83df82beea5d43bdaf7800cc"), Rc4.StringToKey("foo", [], []));

        // RFC 4757 2: salt and parameters play no part.
        Assert.Equal(Hex("ac8e657f83df82beea5d43bdaf7800cc"), Rc4.StringToKey("foo", "EXAMPLE.COMfoo"u8, [0, 0, 0, 0]));
    }

    [Fact]
    public void Encryption_with_a_known_confounder_matches_impacket()
    {
        byte[] ciphertext = Rc4.Encrypt(
            Hex("68F263DB3FCE15D031C9EAB02D67107A"), 4, Encoding.ASCII.GetBytes("30 bytes bytes bytes bytes byt"), Hex("37245E73A45FBF72"));
        Assert.Equal(
            Hex("95F9047C3AD75891C2E9B04B16566DC8B6EB9CE4231AFB2542EF87A7B5A0F260A99F0460508DE0CECC632D07C354124E46C5D2234EB8"),
            ciphertext);
    }

    /// <summary>MIT krb5 t_decrypt.c, the ENCTYPE_ARCFOUR_HMAC cases: plaintext, usage, key, ciphertext.</summary>
    public static TheoryData<string, int, string, string> KnownCiphertexts => new()
    {
        { "", 0, "f81fec39255f5784e850c4377c88bd85", "02c1eb15586144122ec717763dd348bf00434ddc6585954c" },
        { "1", 1, "67d1300d281223867f9647ff48721273", "6156e0cc04e0a0874f9fda008f498a7adbbc80b70b14dddbc0" },
        { "9 bytesss", 2, "3e40ab6093695281b3ac1a9304224d98", "0f9ad121d99d4a09448e4f1f718c4f5cbe6096262c66f29df232a87c9f98755d55" },
        { "13 bytes byte", 3, "4ba2fbf0379faed87a254d3b353d5a7e", "612c57568b17a70352bae8cf26fb9459a6f3353cd35fd439db3107cbec765d326dfc04c1dd" },
        {
            "30 bytes bytes bytes bytes byt", 4, "68f263db3fce15d031c9eab02d67107a",
            "95f9047c3ad75891c2e9b04b16566dc8b6eb9ce4231afb2542ef87a7b5a0f260a99f0460508de0cecc632d07c354124e46c5d2234eb8"
        },
    };

    [Theory]
    [MemberData(nameof(KnownCiphertexts))]
    public void Decrypts_the_MIT_t_decrypt_ciphertexts(string plaintext, int usage, string key, string ciphertext)
    {
        Assert.True(Rc4.TryDecrypt(Hex(key), usage, Hex(ciphertext), out byte[] decrypted));
        Assert.Equal(Encoding.ASCII.GetBytes(plaintext), decrypted);
        Assert.False(Rc4.TryDecrypt(Hex(key), usage + 1, Hex(ciphertext), out _));
    }

    [Fact]
    public void Usage_3_is_sent_as_message_type_8()
    {
        // RFC 4757 3: the AS-REP encrypted part (usage 3) is salted with T = 8. MIT's usage-3 ciphertext above opens
        // under usage 8 too, and under no other.
        byte[] key = Hex("4ba2fbf0379faed87a254d3b353d5a7e");
        byte[] ciphertext = Hex("612c57568b17a70352bae8cf26fb9459a6f3353cd35fd439db3107cbec765d326dfc04c1dd");
        Assert.True(Rc4.TryDecrypt(key, 8, ciphertext, out byte[] decrypted));
        Assert.Equal("13 bytes byte"u8.ToArray(), decrypted);
        Assert.False(Rc4.TryDecrypt(key, 9, ciphertext, out _));
    }

    [Fact]
    public void Usage_9_keeps_its_number()
    {
        // RFC 4757 3 lists usage 9 with T = 8; MIT krb5 and Heimdal send it as 9 (see Rfc4757Cipher.MessageType).
        byte[] key = Hex("68f263db3fce15d031c9eab02d67107a");
        byte[] confounder = Hex("37245E73A45FBF72");
        Assert.NotEqual(Rc4.Encrypt(key, 8, "data"u8, confounder), Rc4.Encrypt(key, 9, "data"u8, confounder));
    }

    [Theory]
    [InlineData(6, "seventeen eighteen nineteen twenty", "EB38CC97E2230F59DA4117DC5859D7EC")]
    public void Hmac_md5_checksum_matches_MIT_t_cksums(int usage, string data, string expected)
    {
        byte[] key = Hex("F7D3A155AF5E238A0B7A871A96BA2AB2");
        byte[] bytes = Encoding.ASCII.GetBytes(data);
        Assert.Equal(-138, Rc4.ChecksumType);
        Assert.Equal(Hex(expected), Rc4.Checksum(key, usage, bytes));
        Assert.True(Rc4.VerifyChecksum(key, usage, bytes, Hex(expected)));
        Assert.False(Rc4.VerifyChecksum(key, usage, bytes, Hex(expected)[..8]));
    }
}
