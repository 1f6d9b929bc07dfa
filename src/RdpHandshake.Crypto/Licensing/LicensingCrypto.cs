using System.Numerics;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace RdpHandshake.Crypto.Licensing;

/// <summary>
/// An RSA public key for the licensing key exchange, held as unsigned integers. The License Request's
/// certificate gives it little-endian (proprietary certificate, MS-RDPBCGR 2.2.1.4.3.1.1.1 RSA_PUBLIC_KEY) or
/// big-endian (the subject public key of an X.509 certificate); use the matching factory.
/// </summary>
public sealed record LicensingRsaKey(BigInteger Modulus, BigInteger Exponent)
{
    /// <summary>The modulus length in bytes, the length of every ciphertext.</summary>
    public int ModulusLength => (int)((Modulus.GetBitLength() + 7) / 8);

    public static LicensingRsaKey FromLittleEndian(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent) =>
        new(new BigInteger(modulus, isUnsigned: true, isBigEndian: false), new BigInteger(exponent, isUnsigned: true, isBigEndian: false));

    public static LicensingRsaKey FromBigEndian(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent) =>
        new(new BigInteger(modulus, isUnsigned: true, isBigEndian: true), new BigInteger(exponent, isUnsigned: true, isBigEndian: true));
}

/// <summary>The two keys licensing uses after the key exchange (MS-RDPELE 5.1.3); cleared on dispose.</summary>
public sealed class LicensingKeys(byte[] macSaltKey, byte[] licensingEncryptionKey) : IDisposable
{
    /// <summary>MAC-salt key: the first 16 bytes of the session key blob.</summary>
    public ReadOnlySpan<byte> MacSaltKey => macSaltKey;

    /// <summary>Licensing encryption key: MD5(SessionKeyBlob[16..32] ‖ ClientRandom ‖ ServerRandom), the RC4 key.</summary>
    public ReadOnlySpan<byte> LicensingEncryptionKey => licensingEncryptionKey;

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(macSaltKey);
        CryptographicOperations.ZeroMemory(licensingEncryptionKey);
    }

    public override string ToString() => "(licensing keys)";
}

/// <summary>
/// The licensing computations of MS-RDPELE 5.1: key exchange (5.1.2), key derivation (5.1.3), encryption and
/// MAC of licensing data (5.1.4, with the MAC of MS-RDPBCGR 5.3.6.1 but all 16 bytes kept). MD5 and SHA-1 come
/// from .NET, RC4 from BouncyCastle.
/// </summary>
public static class LicensingCrypto
{
    public const int RandomLength = 32;

    public const int PreMasterSecretLength = 48;

    public const int MacLength = 16;

    /// <summary>Zero bytes after the RSA ciphertext in the EncryptedPreMasterSecret blob (MS-RDPELE 2.2.2.2).</summary>
    public const int EncryptedPreMasterSecretPadding = 8;

    private static ReadOnlySpan<byte> Pad1 => [
        0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36,
        0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36];

    private static ReadOnlySpan<byte> Pad2 => [
        0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C,
        0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C,
        0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C];

    /// <summary>
    /// MasterSecret = SaltedHash(PreMasterSecret, "A") ‖ SaltedHash(…, "BB") ‖ SaltedHash(…, "CCC"), with
    /// SaltedHash(S, I) = MD5(S ‖ SHA1(I ‖ S ‖ ClientRandom ‖ ServerRandom)).
    /// </summary>
    public static byte[] MasterSecret(ReadOnlySpan<byte> preMasterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom)
    {
        CheckLength(preMasterSecret, PreMasterSecretLength, nameof(preMasterSecret));
        CheckRandoms(clientRandom, serverRandom);
        return TripleSaltedHash(preMasterSecret, clientRandom, serverRandom);
    }

    /// <summary>
    /// SessionKeyBlob = the same three salted hashes of the MasterSecret, with the randoms in the other order:
    /// SaltedHash(S, I) = MD5(S ‖ SHA1(I ‖ S ‖ ServerRandom ‖ ClientRandom)).
    /// </summary>
    public static byte[] SessionKeyBlob(ReadOnlySpan<byte> masterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom)
    {
        CheckLength(masterSecret, PreMasterSecretLength, nameof(masterSecret));
        CheckRandoms(clientRandom, serverRandom);
        return TripleSaltedHash(masterSecret, serverRandom, clientRandom);
    }

    /// <summary>Derives the MAC-salt key and the licensing encryption key from the pre-master secret and both randoms.</summary>
    public static LicensingKeys DeriveKeys(ReadOnlySpan<byte> preMasterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom)
    {
        byte[] master = MasterSecret(preMasterSecret, clientRandom, serverRandom);
        byte[] blob = SessionKeyBlob(master, clientRandom, serverRandom);
        try
        {
            byte[] macSalt = blob[..16];
            byte[] encryption = MD5.HashData([.. blob.AsSpan(16, 16), .. clientRandom, .. serverRandom]);
            return new LicensingKeys(macSalt, encryption);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(master);
            CryptographicOperations.ZeroMemory(blob);
        }
    }

    /// <summary>
    /// MACData = MD5(MacSaltKey ‖ Pad2 ‖ SHA1(MacSaltKey ‖ Pad1 ‖ length32LE(data) ‖ data)), all 16 bytes.
    /// </summary>
    public static byte[] Mac(ReadOnlySpan<byte> macSaltKey, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)data.Length);
        byte[] inner = SHA1.HashData([.. macSaltKey, .. Pad1, .. length, .. data]);
        return MD5.HashData([.. macSaltKey, .. Pad2, .. inner]);
    }

    /// <summary>RC4 of <paramref name="data"/> from a fresh key stream: each licensing message starts its own.</summary>
    public static byte[] Rc4(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var rc4 = new RC4Engine();
        rc4.Init(forEncryption: true, new KeyParameter(key));
        byte[] output = new byte[data.Length];
        rc4.ProcessBytes(data, output);
        return output;
    }

    /// <summary>
    /// Raw RSA as RDP uses it (MS-RDPBCGR 5.3.4.1, MS-RDPELE 5.1.2): the data read as a little-endian integer,
    /// raised to the exponent, written little-endian in exactly <see cref="LicensingRsaKey.ModulusLength"/> bytes.
    /// No padding scheme.
    /// </summary>
    public static byte[] RsaEncrypt(ReadOnlySpan<byte> data, LicensingRsaKey key)
    {
        var message = new BigInteger(data, isUnsigned: true, isBigEndian: false);
        if (key.Modulus <= message)
        {
            ThrowArgument(nameof(data), "the data is not smaller than the RSA modulus");
        }

        return ToLittleEndian(BigInteger.ModPow(message, key.Exponent, key.Modulus), key.ModulusLength);
    }

    /// <summary>Inverse of <see cref="RsaEncrypt"/> with the private exponent, for the test server.</summary>
    public static byte[] RsaDecrypt(ReadOnlySpan<byte> ciphertext, BigInteger modulus, BigInteger privateExponent, int length)
    {
        var value = new BigInteger(ciphertext, isUnsigned: true, isBigEndian: false);
        return ToLittleEndian(BigInteger.ModPow(value, privateExponent, modulus), length);
    }

    /// <summary>The EncryptedPreMasterSecret blob data: the RSA ciphertext followed by 8 zero bytes.</summary>
    public static byte[] EncryptPreMasterSecret(ReadOnlySpan<byte> preMasterSecret, LicensingRsaKey serverKey)
    {
        CheckLength(preMasterSecret, PreMasterSecretLength, nameof(preMasterSecret));
        byte[] encrypted = RsaEncrypt(preMasterSecret, serverKey);
        return [.. encrypted, .. new byte[EncryptedPreMasterSecretPadding]];
    }

    private static byte[] TripleSaltedHash(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        byte[] output = new byte[3 * 16];
        SaltedHash(secret, "A"u8, first, second).CopyTo(output, 0);
        SaltedHash(secret, "BB"u8, first, second).CopyTo(output, 16);
        SaltedHash(secret, "CCC"u8, first, second).CopyTo(output, 32);
        return output;
    }

    private static byte[] SaltedHash(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        byte[] inner = SHA1.HashData([.. salt, .. secret, .. first, .. second]);
        return MD5.HashData([.. secret, .. inner]);
    }

    private static byte[] ToLittleEndian(BigInteger value, int length)
    {
        byte[] output = new byte[length];
        if (!value.TryWriteBytes(output, out _, isUnsigned: true, isBigEndian: false))
        {
            ThrowArgument(nameof(value), "the result does not fit the modulus length");
        }

        return output;
    }

    private static void CheckRandoms(ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom)
    {
        CheckLength(clientRandom, RandomLength, nameof(clientRandom));
        CheckLength(serverRandom, RandomLength, nameof(serverRandom));
    }

    private static void CheckLength(ReadOnlySpan<byte> value, int length, string name)
    {
        if (value.Length != length)
        {
            ThrowArgument(name, $"{name} must be {length} bytes, got {value.Length}");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowArgument(string name, string reason) => throw new ArgumentException(reason, name);
}
