using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Crypto.StandardSecurity;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests;

/// <summary>
/// Standard RDP Security engine: RSA for the client random, session key derivation, RC4/3DES with MACs, key update.
/// The known answers below were computed with an independent script (Python hashlib and a textbook RC4, OpenSSL for
/// 3DES, and FreeRDP's byte-reversing form of the DES key expansion) from the formulas of MS-RDPBCGR 5.3.5 to 5.3.7,
/// with ClientRandom = 00 01 .. 1f and ServerRandom = 80 81 .. 9f; they guard against slips, not against a shared
/// misreading of the spec.
/// </summary>
public sealed class StandardSecurityTests
{
    private static readonly byte[] ClientRandom = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] ServerRandom = Enumerable.Range(0x80, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Plain = "Standard RDP Security"u8.ToArray();

    [Fact]
    public void Derivation_of_128_bit_keys_matches_the_known_answer()
    {
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, EncryptionMethod.Bit128);
        Assert.Equal(Hex("67a9be9347180b6a49918713db69f2c5"), keys.Client.MacKey);
        Assert.Equal(Hex("4574ee59314b292dc2fbd69d00aa7331"), keys.Client.DecryptKey);
        Assert.Equal(Hex("818177cb8ddc9011780552cb3d140abb"), keys.Client.EncryptKey);
        Assert.Equal(keys.Client.EncryptKey, keys.Server.DecryptKey);
        Assert.Equal(keys.Client.DecryptKey, keys.Server.EncryptKey);
        Assert.Equal(keys.Client.MacKey, keys.Server.MacKey);
    }

    [Theory]
    [InlineData(EncryptionMethod.Bit40, "d1269ecb8ddc9011", "d1269e9347180b6a")]
    [InlineData(EncryptionMethod.Bit56, "d18177cb8ddc9011", "d1a9be9347180b6a")]
    public void Reduced_keys_take_8_bytes_and_the_salt(EncryptionMethod method, string encryptKey, string macKey)
    {
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, method);
        Assert.Equal(Hex(encryptKey), keys.Client.EncryptKey);
        Assert.Equal(Hex(macKey), keys.Client.MacKey);
        Assert.Equal(8, keys.Client.DecryptKey.Length);
    }

    [Fact]
    public void First_packet_mac_and_rc4_match_the_known_answer()
    {
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, EncryptionMethod.Bit128);
        using RdpCipher encryptor = keys.Client.CreateEncryptor();
        byte[] cipher = encryptor.Encrypt(Plain, salted: false, out byte[] signature);
        Assert.Equal(Hex("ec2fa0eb26a72ba745d49a15e77805eb7f4b21c3cf"), cipher);
        Assert.Equal(Hex("4b61e6b4b2e9d710"), signature);

        using RdpCipher salted = keys.Client.CreateEncryptor();
        salted.Encrypt(Plain, salted: true, out byte[] saltedSignature);
        Assert.Equal(Hex("4c491604b638c42e"), saltedSignature);

        using RdpCipher decryptor = keys.Server.CreateDecryptor();
        Assert.True(decryptor.TryDecrypt(cipher, signature, salted: false, out byte[] plain));
        Assert.Equal(Plain, plain);
    }

    [Fact]
    public void Fips_keys_signature_and_3des_match_the_known_answer()
    {
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, EncryptionMethod.Fips);
        Assert.Equal(Hex("51760d26514904733e4a190238456b733d192f5d316d6e68"), keys.Client.EncryptKey);
        Assert.Equal(Hex("7976524c166b2f7f2076340d750d4013643d261626437a3d"), keys.Client.DecryptKey);
        Assert.Equal(Hex("e35f4e098fa513f150b10898ea97347778de1bbe"), keys.Client.MacKey);
        using RdpCipher encryptor = keys.Client.CreateEncryptor();
        byte[] cipher = encryptor.Encrypt(Plain, salted: false, out byte[] signature);
        Assert.Equal(Hex("1227cde3ca0886005f7579fb61a041f38e154ec19038c46a"), cipher);
        Assert.Equal(Hex("cd936bf0e92e68dc"), signature);
        using RdpCipher decryptor = keys.Server.CreateDecryptor();
        Assert.True(decryptor.TryDecrypt(cipher, signature, salted: false, out byte[] plain, fipsPadLength: cipher.Length - Plain.Length));
        Assert.Equal(Plain, plain);
    }

    [Theory]
    [InlineData(EncryptionMethod.Bit40, false)]
    [InlineData(EncryptionMethod.Bit56, true)]
    [InlineData(EncryptionMethod.Bit128, false)]
    [InlineData(EncryptionMethod.Bit128, true)]
    [InlineData(EncryptionMethod.Fips, false)]
    public void Client_and_server_stay_in_step_across_10000_packets_both_ways(EncryptionMethod method, bool salted)
    {
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, method);
        using RdpCipher clientOut = keys.Client.CreateEncryptor();
        using RdpCipher serverIn = keys.Server.CreateDecryptor();
        using RdpCipher serverOut = keys.Server.CreateEncryptor();
        using RdpCipher clientIn = keys.Client.CreateDecryptor();
        var random = new Random(42);
        for (int i = 0; i < 10_000; i++)
        {
            byte[] data = new byte[random.Next(0, 64)];
            random.NextBytes(data);
            Assert.True(Exchange(clientOut, serverIn, data, salted), $"client to server packet {i}");
            Assert.True(Exchange(serverOut, clientIn, data, salted), $"server to client packet {i}");
        }

        int expectedUpdates = method == EncryptionMethod.Fips ? 0 : (10_000 - 1) / RdpCipher.KeyUpdateInterval;
        Assert.Equal(expectedUpdates, clientOut.KeyUpdates);
        Assert.Equal(expectedUpdates, serverIn.KeyUpdates);
        Assert.Equal(10_000u, clientIn.EncryptionCount);
    }

    private static bool Exchange(RdpCipher sender, RdpCipher receiver, byte[] data, bool salted)
    {
        byte[] cipher = sender.Encrypt(data, salted, out byte[] signature);
        return receiver.TryDecrypt(cipher, signature, salted, out byte[] plain, cipher.Length - data.Length) && plain.AsSpan().SequenceEqual(data);
    }

    [Fact]
    public void The_first_key_update_matches_the_known_answer()
    {
        // After 4096 packets the 4097th is encrypted with NewKey; with the same key a fresh RC4 gives the same stream.
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, EncryptionMethod.Bit128);
        using RdpCipher encryptor = keys.Client.CreateEncryptor();
        for (int i = 0; i < RdpCipher.KeyUpdateInterval; i++)
        {
            encryptor.Encrypt([0], salted: false, out _);
        }

        Assert.Equal(0, encryptor.KeyUpdates);
        byte[] afterUpdate = encryptor.Encrypt(new byte[16], salted: false, out _);
        Assert.Equal(1, encryptor.KeyUpdates);
        var rc4 = new Org.BouncyCastle.Crypto.Engines.RC4Engine();
        rc4.Init(true, new Org.BouncyCastle.Crypto.Parameters.KeyParameter(Hex("1c9b61d5eab51e57d20cc5aaa3dac495")));
        byte[] expected = new byte[16];
        rc4.ProcessBytes(new byte[16], 0, 16, expected, 0);
        Assert.Equal(expected, afterUpdate);
    }

    [Fact]
    public void A_40_bit_key_update_is_salted_again()
    {
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, EncryptionMethod.Bit40);
        using RdpCipher encryptor = keys.Client.CreateEncryptor();
        for (int i = 0; i < RdpCipher.KeyUpdateInterval; i++)
        {
            encryptor.Encrypt([0], salted: false, out _);
        }

        byte[] afterUpdate = encryptor.Encrypt(new byte[8], salted: false, out _);
        var rc4 = new Org.BouncyCastle.Crypto.Engines.RC4Engine();
        rc4.Init(true, new Org.BouncyCastle.Crypto.Parameters.KeyParameter(Hex("d1269e9a2eb790bf")));
        byte[] expected = new byte[8];
        rc4.ProcessBytes(new byte[8], 0, 8, expected, 0);
        Assert.Equal(expected, afterUpdate);
    }

    [Theory]
    [InlineData(EncryptionMethod.Bit128, true)]
    [InlineData(EncryptionMethod.Bit128, false)]
    [InlineData(EncryptionMethod.Fips, false)]
    public void Tampered_ciphertext_or_signature_is_refused_without_an_exception(EncryptionMethod method, bool tamperCipher)
    {
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, method);
        using RdpCipher encryptor = keys.Client.CreateEncryptor();
        using RdpCipher decryptor = keys.Server.CreateDecryptor();
        byte[] cipher = encryptor.Encrypt(Plain, salted: false, out byte[] signature);
        if (tamperCipher)
        {
            cipher[3] ^= 0x40;
        }
        else
        {
            signature[7] ^= 0x01;
        }

        Assert.False(decryptor.TryDecrypt(cipher, signature, salted: false, out byte[] plain, cipher.Length - Plain.Length));
        Assert.Empty(plain);
        Assert.False(decryptor.TryDecrypt(cipher, signature, salted: false, out _), "a failed cipher stays failed");
    }

    [Fact]
    public void A_salted_mac_does_not_verify_as_a_plain_one_and_depends_on_the_count()
    {
        using var keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, EncryptionMethod.Bit128);
        using RdpCipher encryptor = keys.Client.CreateEncryptor();
        using RdpCipher decryptor = keys.Server.CreateDecryptor();
        byte[] cipher = encryptor.Encrypt(Plain, salted: true, out byte[] signature);
        Assert.False(decryptor.TryDecrypt(cipher, signature, salted: false, out _));

        using RdpCipher second = keys.Client.CreateEncryptor();
        second.Encrypt([], salted: true, out byte[] first);
        second.Encrypt([], salted: true, out byte[] next);
        Assert.NotEqual(first, next);
    }

    [Fact]
    public void The_client_random_survives_rsa_with_a_generated_key_and_a_signed_certificate()
    {
        using RdpServerKeyPair server = RdpServerKeyPair.Generate(512, new Org.BouncyCastle.Security.SecureRandom());
        ServerCertificate certificate = server.CreateProprietaryCertificate();
        Assert.True(TerminalServicesKey.VerifyCertificate(certificate));
        ServerCertificate decoded = Pdu.Decode<ServerCertificate>(Pdu.Encode(certificate)).Value!;
        Assert.Equal(certificate, decoded);

        byte[] encrypted = RdpRsa.EncryptClientRandom(ClientRandom, decoded.Proprietary!.PublicKey);
        Assert.Equal(decoded.Proprietary.PublicKey.KeyLength, encrypted.Length);
        Assert.False(encrypted.AsSpan(encrypted.Length - 8).ContainsAnyExcept((byte)0));
        var exchange = new SecurityExchangePdu(new ByteString(encrypted));
        SecurityExchangePdu received = Pdu.Decode<SecurityExchangePdu>(Pdu.Encode(exchange)).Value!;
        Assert.True(server.TryDecryptClientRandom(received.EncryptedClientRandom.Span, out byte[] clientRandom));
        Assert.Equal(ClientRandom, clientRandom);

        byte[] tooBig = Enumerable.Repeat((byte)0xFF, encrypted.Length).ToArray();
        Assert.False(server.TryDecryptClientRandom(tooBig, out _));
    }

    [Fact]
    public void Raw_rsa_with_the_4_1_4_key_is_little_endian_textbook_rsa()
    {
        // 2^e mod n computed independently (Python pow) for the 4.1.4 modulus and exponent 0x10001.
        ServerCertificate certificate = Pdu.Decode<ServerCertificate>(Load("server-certificate-4.1.4.hex")).Value!;
        byte[] two = new byte[32];
        two[0] = 2;
        byte[] encrypted = RdpRsa.EncryptClientRandom(two, certificate.Proprietary!.PublicKey);
        Assert.Equal(72, encrypted.Length);
        var modulus = new System.Numerics.BigInteger(certificate.Proprietary.PublicKey.Modulus.Span, isUnsigned: true, isBigEndian: false);
        var expected = System.Numerics.BigInteger.ModPow(2, 0x10001, modulus);
        Assert.Equal(expected, new System.Numerics.BigInteger(encrypted, isUnsigned: true, isBigEndian: false));
    }

    [Fact]
    public void Deriving_keys_for_no_encryption_is_a_usage_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StandardSecurityKeys.Derive(ClientRandom, ServerRandom, EncryptionMethod.None));
        Assert.Throws<ArgumentException>(() => StandardSecurityKeys.Derive(ClientRandom[..16], ServerRandom, EncryptionMethod.Bit128));
    }
}
