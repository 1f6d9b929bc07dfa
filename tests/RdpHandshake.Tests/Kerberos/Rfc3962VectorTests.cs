using System.Text;
using RdpHandshake.Crypto.Kerberos;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// aes128-cts-hmac-sha1-96 and aes256-cts-hmac-sha1-96 (RFC 3962). String-to-key against every sample of RFC 3962
/// Appendix B. RFC 3962 publishes no key-derivation, encryption or checksum samples, so those come from public
/// implementations' test data, each cited: MIT krb5's src/lib/crypto/crypto_tests/t_derive.c (Kc, Ke, Ki),
/// t_decrypt.c (known ciphertexts) and t_cksums.c (checksums), and impacket's tests/misc/test_krb5_crypto.py, which
/// gives the confounders of two of MIT's ciphertexts so that encryption can be checked byte for byte.
/// </summary>
public sealed class Rfc3962VectorTests
{
    private static readonly KerberosCipher Aes128 = KerberosCipher.For(KerberosEtype.Aes128CtsHmacSha196);
    private static readonly KerberosCipher Aes256 = KerberosCipher.For(KerberosEtype.Aes256CtsHmacSha196);

    /// <summary>RFC 3962 Appendix B: iteration count, pass phrase, salt (hex), 128-bit AES key, 256-bit AES key.</summary>
    public static TheoryData<uint, string, string, string, string> StringToKeySamples => new()
    {
        {
            1, "password", Ascii("ATHENA.MIT.EDUraeburn"),
            "42 26 3c 6e 89 f4 fc 28 b8 df 68 ee 09 79 9f 15",
            "fe 69 7b 52 bc 0d 3c e1 44 32 ba 03 6a 92 e6 5b bb 52 28 09 90 a2 fa 27 88 39 98 d7 2a f3 01 61"
        },
        {
            2, "password", Ascii("ATHENA.MIT.EDUraeburn"),
            "c6 51 bf 29 e2 30 0a c2 7f a4 69 d6 93 bd da 13",
            "a2 e1 6d 16 b3 60 69 c1 35 d5 e9 d2 e2 5f 89 61 02 68 56 18 b9 59 14 b4 67 c6 76 22 22 58 24 ff"
        },
        {
            1200, "password", Ascii("ATHENA.MIT.EDUraeburn"),
            "4c 01 cd 46 d6 32 d0 1e 6d be 23 0a 01 ed 64 2a",
            "55 a6 ac 74 0a d1 7b 48 46 94 10 51 e1 e8 b0 a7 54 8d 93 b0 ab 30 a8 bc 3f f1 62 80 38 2b 8c 2a"
        },
        {
            5, "password", "12 34 56 78 78 56 34 12",
            "e9 b2 3d 52 27 37 47 dd 5c 35 cb 55 be 61 9d 8e",
            "97 a4 e7 86 be 20 d8 1a 38 2d 5e bc 96 d5 90 9c ab cd ad c8 7c a4 8f 57 45 04 15 9f 16 c3 6e 31"
        },
        {
            1200, new string('X', 64), Ascii("pass phrase equals block size"),
            "59 d1 bb 78 9a 82 8b 1a a5 4e f9 c2 88 3f 69 ed",
            "89 ad ee 36 08 db 8b c7 1f 1b fb fe 45 94 86 b0 56 18 b7 0c ba e2 20 92 53 4e 56 c5 53 ba 4b 34"
        },
        {
            1200, new string('X', 65), Ascii("pass phrase exceeds block size"),
            "cb 80 05 dc 5f 90 17 9a 7f 02 10 4c 00 18 75 1d",
            "d7 8c 5c 9c b8 72 a8 c9 da d4 69 7f 0b b5 b2 d2 14 96 c8 2b eb 2c ae da 21 12 fc ee a0 57 40 1b"
        },
        {
            // The pass phrase is U+1D11E MUSICAL SYMBOL G CLEF, UTF-8 f0 9d 84 9e.
            50, "\U0001D11E", Ascii("EXAMPLE.COMpianist"),
            "f1 49 c1 f2 e1 54 a7 34 52 d4 3e 7f e6 2a 56 e5",
            "4b 6d 98 39 f8 44 06 df 1f 09 cc 16 6d b4 b8 3c 57 18 48 b7 84 a3 d6 bd c3 46 58 9a 3e 39 3f 9e"
        },
    };

    [Theory]
    [MemberData(nameof(StringToKeySamples))]
    public void String_to_key_matches_RFC_3962_appendix_B(uint iterations, string password, string salt, string aes128Key, string aes256Key)
    {
        byte[] parameters = IterationCount(iterations);
        Assert.Equal(Hex(aes128Key), Aes128.StringToKey(password, Hex(salt), parameters));
        Assert.Equal(Hex(aes256Key), Aes256.StringToKey(password, Hex(salt), parameters));
    }

    [Fact]
    public void Without_parameters_string_to_key_iterates_4096_times()
    {
        // RFC 3962 4: "If the string-to-key parameters are not supplied, the value used is 00 00 10 00".
        byte[] salt = Encoding.ASCII.GetBytes("ATHENA.MIT.EDUraeburn");
        Assert.Equal(Aes128.StringToKey("password", salt, IterationCount(4096)), Aes128.StringToKey("password", salt, []));
        Assert.NotEqual(Aes128.StringToKey("password", salt, IterationCount(4095)), Aes128.StringToKey("password", salt, []));
    }

    /// <summary>MIT krb5 t_derive.c: base key, constant (usage 2 ‖ purpose), derived key; the base keys are RFC 3962 B's iteration-1 keys.</summary>
    public static TheoryData<KerberosEtype, string, byte, string> DerivedKeys => new()
    {
        { KerberosEtype.Aes128CtsHmacSha196, "42263C6E89F4FC28B8DF68EE09799F15", 0x99, "34280A382BC92769B2DA2F9EF066854B" },
        { KerberosEtype.Aes128CtsHmacSha196, "42263C6E89F4FC28B8DF68EE09799F15", 0xAA, "5B14FC4E250E14DDF9DCCF1AF6674F53" },
        { KerberosEtype.Aes128CtsHmacSha196, "42263C6E89F4FC28B8DF68EE09799F15", 0x55, "4ED31063621684F09AE8D89991AF3E8F" },
        {
            KerberosEtype.Aes256CtsHmacSha196, "FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161", 0x99,
            "BFAB388BDCB238E9F9C98D6A878304F04D30C82556375AC507A7A852790F4674"
        },
        {
            KerberosEtype.Aes256CtsHmacSha196, "FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161", 0xAA,
            "C7CFD9CD75FE793A586A542D87E0D1396F1134A104BB1A9190B8C90ADA3DDF37"
        },
        {
            KerberosEtype.Aes256CtsHmacSha196, "FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161", 0x55,
            "97151B4C76945063E2EB0529DC067D97D7BBA90776D8126D91F34F3101AEA8BA"
        },
    };

    [Theory]
    [MemberData(nameof(DerivedKeys))]
    public void Key_derivation_matches_MIT_t_derive(KerberosEtype etype, string baseKey, byte purpose, string expected)
    {
        var cipher = (Rfc3962Cipher)KerberosCipher.For(etype);
        Assert.Equal(Hex(expected), cipher.DeriveKey(Hex(baseKey), 2, purpose));
    }

    /// <summary>impacket tests/misc/test_krb5_crypto.py test_AES128 and test_AES256: key, confounder, usage, plaintext, ciphertext.</summary>
    public static TheoryData<KerberosEtype, string, string, int, string, string> ConfounderSamples => new()
    {
        {
            KerberosEtype.Aes128CtsHmacSha196, "9062430C8CDA3388922E6D6A509F5B7A", "94B491F481485B9A0678CD3C4EA386AD", 2, "9 bytesss",
            "68FB9679601F45C78857B2BF820FD6E53ECA8D42FD4B1D7024A09205ABB7CD2EC26C355D2F"
        },
        {
            KerberosEtype.Aes256CtsHmacSha196, "F1C795E9248A09338D82C3F8D5B567040B0110736845041347235B1404231398", "E45CA518B42E266AD98E165E706FFB60", 4,
            "30 bytes bytes bytes bytes byt",
            "D1137A4D634CFECE924DBC3BF6790648BD5CFF7DE0E7B99460211D0DAEF3D79A295C688858F3B34B9CBD6EEBAE81DAF6B734D4D498B6714F1C1D"
        },
    };

    [Theory]
    [MemberData(nameof(ConfounderSamples))]
    public void Encryption_with_a_known_confounder_matches_impacket(KerberosEtype etype, string key, string confounder, int usage, string plaintext, string ciphertext)
    {
        KerberosCipher cipher = KerberosCipher.For(etype);
        Assert.Equal(Hex(ciphertext), cipher.Encrypt(Hex(key), usage, Encoding.ASCII.GetBytes(plaintext), Hex(confounder)));
    }

    /// <summary>MIT krb5 t_decrypt.c, the aes128-cts-hmac-sha1-96 and aes256-cts-hmac-sha1-96 cases: etype, plaintext, usage, key, ciphertext.</summary>
    public static TheoryData<KerberosEtype, string, int, string, string> KnownCiphertexts => new()
    {
        { KerberosEtype.Aes128CtsHmacSha196, "", 0, "5a5c0f0ba54f3828b2195e66ca24a289", "49ff8e11c173d9583a3254fbe7b1f1df36c538e8416784a1672e6676" },
        { KerberosEtype.Aes128CtsHmacSha196, "1", 1, "98450e3f3baa13f5c99beb936981b06f", "f86742f537b35dc2174a4dbaa920faf9042090b065e1ebb1cad9a65394" },
        { KerberosEtype.Aes128CtsHmacSha196, "9 bytesss", 2, "9062430c8cda3388922e6d6a509f5b7a", "68fb9679601f45c78857b2bf820fd6e53eca8d42fd4b1d7024a09205abb7cd2ec26c355d2f" },
        {
            KerberosEtype.Aes128CtsHmacSha196, "13 bytes byte", 3, "033ee6502c54fd23e27791e987983827",
            "ec366d0327a933bf49330e650e49bc6b974637fe80bf532fe51795b4809718e6194724db948d1fd637"
        },
        {
            KerberosEtype.Aes128CtsHmacSha196, "30 bytes bytes bytes bytes byt", 4, "dceeb70b3de76562e689226c76429148",
            "c96081032d5d8eeb7e32b4089f789d0faa481dea74c0f97cbf3146ddfcf8e800156ecb532fc203e30ff600b63b350939fece510f02d7ff1e7bac"
        },
        {
            KerberosEtype.Aes256CtsHmacSha196, "", 0, "17f275f2954f2ed1f90c377ba7f4d6a369aa0136e0bf0c927ad6133c693759a9",
            "e5094c55ee7b38262e2b044280b069379a95bf95bd8376fb3281b435"
        },
        {
            KerberosEtype.Aes256CtsHmacSha196, "1", 1, "b9477e1ff0329c0050e20ce6c72d2dff27e8fe541ab0954429a9cb5b4f7b1e2a",
            "406150b97aeb76d43b36b62cc1ecdfbe6f40e95755e0beb5c27825f3a4"
        },
        {
            KerberosEtype.Aes256CtsHmacSha196, "9 bytesss", 2, "b1ae4cd8462aff1677053cc9279aac30b796fb81ce21474dd3ddbcfea4ec76d7",
            "09957aa25fcaf88f7b39e4406e633012d5fea21853f6478da7065caef41fd454a40824eec5"
        },
        {
            KerberosEtype.Aes256CtsHmacSha196, "13 bytes byte", 3, "e5a72be9b7926c1225bafef9c1872e7ba4cdb2b17893d84abd90acdd8764d966",
            "d8f1aafeec84587cc3e700a774e56651a6d693e174ec4473b5e6d96f80297a653fb818ad893e719f96"
        },
        {
            KerberosEtype.Aes256CtsHmacSha196, "30 bytes bytes bytes bytes byt", 4, "f1c795e9248a09338d82c3f8d5b567040b0110736845041347235b1404231398",
            "d1137a4d634cfece924dbc3bf6790648bd5cff7de0e7b99460211d0daef3d79a295c688858f3b34b9cbd6eebae81daf6b734d4d498b6714f1c1d"
        },
    };

    [Theory]
    [MemberData(nameof(KnownCiphertexts))]
    public void Decrypts_the_MIT_t_decrypt_ciphertexts(KerberosEtype etype, string plaintext, int usage, string key, string ciphertext)
    {
        KerberosCipher cipher = KerberosCipher.For(etype);
        Assert.True(cipher.TryDecrypt(Hex(key), usage, Hex(ciphertext), out byte[] decrypted));
        Assert.Equal(Encoding.ASCII.GetBytes(plaintext), decrypted);

        // The same ciphertext under the neighbouring usage must fail: the usage is part of the key derivation.
        Assert.False(cipher.TryDecrypt(Hex(key), usage + 1, Hex(ciphertext), out byte[] wrong));
        Assert.Empty(wrong);
    }

    /// <summary>MIT krb5 t_cksums.c (also impacket's test_AES128_checksum and test_AES256_checksum): etype, usage, key, data, checksum.</summary>
    public static TheoryData<KerberosEtype, int, string, string, string> Checksums => new()
    {
        { KerberosEtype.Aes128CtsHmacSha196, 3, "9062430C8CDA3388922E6D6A509F5B7A", "eight nine ten eleven twelve thirteen", "01A4B088D45628F6946614E3" },
        {
            KerberosEtype.Aes256CtsHmacSha196, 4, "B1AE4CD8462AFF1677053CC9279AAC30B796FB81CE21474DD3DDBCFEA4EC76D7", "fourteen",
            "E08739E3279E2903EC8E3836"
        },
    };

    [Theory]
    [MemberData(nameof(Checksums))]
    public void Checksums_match_MIT_t_cksums(KerberosEtype etype, int usage, string key, string data, string checksum)
    {
        KerberosCipher cipher = KerberosCipher.For(etype);
        byte[] bytes = Encoding.ASCII.GetBytes(data);
        Assert.Equal(Hex(checksum), cipher.Checksum(Hex(key), usage, bytes));
        Assert.True(cipher.VerifyChecksum(Hex(key), usage, bytes, Hex(checksum)));
        Assert.False(cipher.VerifyChecksum(Hex(key), usage + 1, bytes, Hex(checksum)));
    }

    private static string Ascii(string text) => Convert.ToHexString(Encoding.ASCII.GetBytes(text));

    private static byte[] IterationCount(uint iterations) =>
        [(byte)(iterations >> 24), (byte)(iterations >> 16), (byte)(iterations >> 8), (byte)iterations];
}
