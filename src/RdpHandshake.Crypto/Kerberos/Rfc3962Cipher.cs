using System.Buffers.Binary;
using System.Security.Cryptography;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// aes128-cts-hmac-sha1-96 and aes256-cts-hmac-sha1-96 (RFC 3962): the RFC 3961 5.3 simplified profile with AES in
/// CBC-CTS, HMAC-SHA1 truncated to 96 bits, and keys derived per usage by DK with n-fold constants.
/// </summary>
internal sealed class Rfc3962Cipher : KerberosCipher
{
    /// <summary>RFC 3962 4: the iteration count when the KDC sends no s2kparams (00 00 10 00).</summary>
    public const int DefaultIterationCount = 4096;

    /// <summary>RFC 3962 6: HMAC output size h, 12 octets.</summary>
    private const int MacSize = 12;

    /// <summary>RFC 3961 5.3: the last byte of the derivation constant for Kc, Ke and Ki.</summary>
    internal const byte ChecksumKeyPurpose = 0x99;

    internal const byte EncryptionKeyPurpose = 0xAA;

    internal const byte IntegrityKeyPurpose = 0x55;

    /// <summary>RFC 3962 4: key = DK(tkey, "kerberos").</summary>
    private static ReadOnlySpan<byte> KerberosConstant => "kerberos"u8;

    private readonly KerberosEtype _etype;
    private readonly int _keySize;
    private readonly int _checksumType;

    public Rfc3962Cipher(KerberosEtype etype, int keySize, int checksumType)
    {
        _etype = etype;
        _keySize = keySize;
        _checksumType = checksumType;
    }

    public override KerberosEtype Etype => _etype;

    public override int KeySize => _keySize;

    public override int ChecksumType => _checksumType;

    public override int ChecksumSize => MacSize;

    public override int ConfounderSize => AesCts.BlockSize;

    public override int CiphertextOverhead => AesCts.BlockSize /* confounder */ + MacSize /* HMAC */;

    /// <summary>RFC 3962 4: tkey = random2key(PBKDF2-HMAC-SHA1(passphrase, salt, iter_count, keylength)); key = DK(tkey, "kerberos").</summary>
    public override bool TryStringToKey(ReadOnlySpan<char> password, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> s2kParams, out byte[] key)
    {
        key = [];
        if (!TryIterationCount(s2kParams, DefaultIterationCount, out int iterations))
        {
            return false;
        }

        byte[] passphrase = Utf8(password);
        byte[] tkey = Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, iterations, HashAlgorithmName.SHA1, _keySize);
        key = DeriveKey(tkey, KerberosConstant);
        CryptographicOperations.ZeroMemory(passphrase);
        CryptographicOperations.ZeroMemory(tkey);
        return true;
    }

    /// <summary>
    /// RFC 3961 5.3 encrypt: C = E(Ke, confounder ‖ plaintext), H = HMAC-SHA1(Ki, confounder ‖ plaintext)[0..12),
    /// ciphertext = C ‖ H, with Ke and Ki derived for <paramref name="usage"/> and the initial cipher state of zeros.
    /// </summary>
    public override byte[] Encrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> confounder)
    {
        CheckKeyAndUsage(key, usage);
        CheckConfounder(confounder);
        byte[] ke = DeriveKey(key, usage, EncryptionKeyPurpose);
        byte[] ki = DeriveKey(key, usage, IntegrityKeyPurpose);
        byte[] data = [.. confounder, .. plaintext];
        byte[] encrypted = AesCts.Encrypt(ke, AesCts.ZeroIv, data);
        byte[] mac = HMACSHA1.HashData(ki, data);
        byte[] ciphertext = [.. encrypted, .. mac.AsSpan(0, MacSize)];
        CryptographicOperations.ZeroMemory(ke);
        CryptographicOperations.ZeroMemory(ki);
        CryptographicOperations.ZeroMemory(data);
        return ciphertext;
    }

    public override bool TryDecrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> ciphertext, out byte[] plaintext)
    {
        CheckKeyAndUsage(key, usage);
        plaintext = [];
        if (ciphertext.Length < CiphertextOverhead)
        {
            return false;
        }

        byte[] ke = DeriveKey(key, usage, EncryptionKeyPurpose);
        byte[] ki = DeriveKey(key, usage, IntegrityKeyPurpose);
        byte[] data = AesCts.Decrypt(ke, AesCts.ZeroIv, ciphertext[..^MacSize]);
        byte[] mac = HMACSHA1.HashData(ki, data);
        bool valid = CryptographicOperations.FixedTimeEquals(mac.AsSpan(0, MacSize), ciphertext[^MacSize..]);
        if (valid)
        {
            plaintext = data[AesCts.BlockSize..];
        }

        CryptographicOperations.ZeroMemory(ke);
        CryptographicOperations.ZeroMemory(ki);
        CryptographicOperations.ZeroMemory(data);
        return valid;
    }

    /// <summary>RFC 3961 5.3 get_mic: HMAC-SHA1(Kc, data) truncated to 96 bits, Kc derived for <paramref name="usage"/>.</summary>
    public override byte[] Checksum(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> data)
    {
        CheckKeyAndUsage(key, usage);
        byte[] kc = DeriveKey(key, usage, ChecksumKeyPurpose);
        byte[] mac = HMACSHA1.HashData(kc, data);
        CryptographicOperations.ZeroMemory(kc);
        return mac[..MacSize];
    }

    /// <summary>RFC 3961 5.3: Kc, Ke or Ki = DK(base-key, usage ‖ 0x99, 0xAA or 0x55), the usage as four big-endian bytes.</summary>
    internal byte[] DeriveKey(ReadOnlySpan<byte> baseKey, int usage, byte purpose)
    {
        Span<byte> constant = stackalloc byte[4 /* usage */ + 1 /* purpose */];
        BinaryPrimitives.WriteInt32BigEndian(constant, usage);
        constant[4] = purpose;
        return DeriveKey(baseKey, constant);
    }

    /// <summary>
    /// RFC 3961 5.1 DK(Key, Constant) = random-to-key(DR(Key, Constant)), random-to-key being the identity here (RFC
    /// 3962 6). DR concatenates E(Key, n-fold(Constant)), E(Key, that block), … until it has the key size.
    /// </summary>
    private byte[] DeriveKey(ReadOnlySpan<byte> baseKey, ReadOnlySpan<byte> constant)
    {
        byte[] derived = new byte[_keySize];
        byte[] block = constant.Length == AesCts.BlockSize ? constant.ToArray() : NFold.Fold(constant, AesCts.BlockSize);
        for (int filled = 0; filled < _keySize; filled += AesCts.BlockSize)
        {
            byte[] next = AesCts.Encrypt(baseKey, AesCts.ZeroIv, block);
            CryptographicOperations.ZeroMemory(block);
            block = next;
            block.AsSpan(0, Math.Min(AesCts.BlockSize, _keySize - filled)).CopyTo(derived.AsSpan(filled));
        }

        CryptographicOperations.ZeroMemory(block);
        return derived;
    }
}
