using RdpHandshake.Crypto.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>The shape of <see cref="KerberosCipher"/>: the registry, the per-etype sizes, and which inputs throw.</summary>
public sealed class KerberosCipherTests
{
    /// <summary>Etype, RFC name, key size, checksum type, checksum size, ciphertext overhead.</summary>
    public static TheoryData<KerberosEtype, string, int, int, int, int> Profiles => new()
    {
        // RFC 3962 6-7: 16-byte confounder, 12-byte HMAC.
        { KerberosEtype.Aes128CtsHmacSha196, "aes128-cts-hmac-sha1-96", 16, 15, 12, 28 },
        { KerberosEtype.Aes256CtsHmacSha196, "aes256-cts-hmac-sha1-96", 32, 16, 12, 28 },

        // RFC 8009 5: 16-byte confounder, HMAC truncated to 128 or 192 bits.
        { KerberosEtype.Aes128CtsHmacSha256128, "aes128-cts-hmac-sha256-128", 16, 19, 16, 32 },
        { KerberosEtype.Aes256CtsHmacSha384192, "aes256-cts-hmac-sha384-192", 32, 20, 24, 40 },

        // RFC 4757 4-5: 16-byte checksum, 8-byte confounder.
        { KerberosEtype.Rc4Hmac, "rc4-hmac", 16, -138, 16, 24 },
    };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Each_etype_has_the_sizes_its_RFC_gives(KerberosEtype etype, string name, int keySize, int checksumType, int checksumSize, int overhead)
    {
        KerberosCipher cipher = KerberosCipher.For(etype);
        Assert.Equal(etype, cipher.Etype);
        Assert.Equal(name, etype.RfcName());
        Assert.Equal(keySize, cipher.KeySize);
        Assert.Equal(checksumType, cipher.ChecksumType);
        Assert.Equal(checksumSize, cipher.ChecksumSize);
        Assert.Equal(overhead, cipher.CiphertextOverhead);

        byte[] key = KerberosCipher.RandomKey(etype);
        Assert.Equal(keySize, key.Length);
        Assert.Equal(overhead + 5, cipher.Encrypt(key, 1, "hello"u8).Length);
        Assert.Equal(checksumSize, cipher.Checksum(key, 1, "hello"u8).Length);

        Assert.True(KerberosCipher.TryFor((int)etype, out KerberosCipher? found));
        Assert.Same(cipher, found);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(-128)]
    public void Unknown_etype_numbers_are_not_found(int etype)
    {
        Assert.False(KerberosCipher.TryFor(etype, out KerberosCipher? cipher));
        Assert.Null(cipher);
        Assert.Throws<ArgumentOutOfRangeException>(() => KerberosCipher.For((KerberosEtype)etype));
    }

    [Fact]
    public void Random_keys_differ()
    {
        Assert.NotEqual(KerberosCipher.RandomKey(KerberosEtype.Aes256CtsHmacSha196), KerberosCipher.RandomKey(KerberosEtype.Aes256CtsHmacSha196));
    }

    [Fact]
    public void Encryption_draws_a_fresh_confounder_each_time()
    {
        KerberosCipher cipher = KerberosCipher.For(KerberosEtype.Aes128CtsHmacSha196);
        byte[] key = KerberosCipher.RandomKey(KerberosEtype.Aes128CtsHmacSha196);
        Assert.NotEqual(cipher.Encrypt(key, 7, "same"u8), cipher.Encrypt(key, 7, "same"u8));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x00, 0x10 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x10, 0x00 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x01, 0x00, 0x00, 0x01 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    public void Unusable_iteration_counts_are_refused_before_any_work(byte[] s2kParams)
    {
        // RFC 3962 4: 00 00 00 00 means 2^32 iterations; a spoofed KDC reply must not pin the client's CPU.
        foreach (KerberosEtype etype in new[] { KerberosEtype.Aes128CtsHmacSha196, KerberosEtype.Aes256CtsHmacSha384192 })
        {
            KerberosCipher cipher = KerberosCipher.For(etype);
            Assert.False(cipher.TryStringToKey("password", "salt"u8, s2kParams, out byte[] key));
            Assert.Empty(key);
            Assert.Throws<ArgumentException>(() => cipher.StringToKey("password", "salt"u8, s2kParams));
        }
    }

    [Theory]
    [InlineData(KerberosEtype.Aes128CtsHmacSha196)]
    [InlineData(KerberosEtype.Aes256CtsHmacSha384192)]
    [InlineData(KerberosEtype.Rc4Hmac)]
    public void Wrong_key_lengths_negative_usages_and_wrong_confounders_are_caller_bugs(KerberosEtype etype)
    {
        KerberosCipher cipher = KerberosCipher.For(etype);
        byte[] key = KerberosCipher.RandomKey(etype);
        byte[] shortKey = key[..^1];
        Assert.Throws<ArgumentException>(() => cipher.Encrypt(shortKey, 1, "x"u8));
        Assert.Throws<ArgumentException>(() => cipher.TryDecrypt(shortKey, 1, new byte[64], out _));
        Assert.Throws<ArgumentException>(() => cipher.Checksum(shortKey, 1, "x"u8));
        Assert.Throws<ArgumentOutOfRangeException>(() => cipher.Encrypt(key, -1, "x"u8));
        Assert.Throws<ArgumentException>(() => cipher.Encrypt(key, 1, "x"u8, new byte[cipher.ConfounderSize + 1]));
    }
}
