using System.Buffers.Binary;
using System.Security.Cryptography;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// aes128-cts-hmac-sha256-128 and aes256-cts-hmac-sha384-192 (RFC 8009): AES in CBC-CTS, keys derived per usage by
/// KDF-HMAC-SHA2 (the NIST SP 800-108 counter-mode KDF), and encrypt-then-MAC with the HMAC over the initial vector
/// and the ciphertext.
/// </summary>
internal sealed class Rfc8009Cipher : KerberosCipher
{
    /// <summary>RFC 8009 4: the iteration count when the KDC sends no s2kparams (00 00 80 00).</summary>
    public const int DefaultIterationCount = 32768;

    /// <summary>RFC 8009 4: base-key = KDF-HMAC-SHA2(tkey, "kerberos", keylength).</summary>
    private static ReadOnlySpan<byte> KerberosLabel => "kerberos"u8;

    private readonly KerberosEtype _etype;
    private readonly HashAlgorithmName _hash;
    private readonly int _keySize;
    private readonly int _macSize;

    public Rfc8009Cipher(KerberosEtype etype)
    {
        _etype = etype;
        (_hash, _keySize, _macSize) = etype switch
        {
            // RFC 8009 5: the key size and the truncated HMAC length (h) of each etype.
            KerberosEtype.Aes128CtsHmacSha256128 => (HashAlgorithmName.SHA256, 16, 16),
            KerberosEtype.Aes256CtsHmacSha384192 => (HashAlgorithmName.SHA384, 32, 24),
            _ => throw new ArgumentOutOfRangeException(nameof(etype), etype, "not an RFC 8009 etype"),
        };
    }

    public override KerberosEtype Etype => _etype;

    public override int KeySize => _keySize;

    /// <summary>RFC 8009 5: 19 hmac-sha256-128-aes128, 20 hmac-sha384-192-aes256.</summary>
    public override int ChecksumType => _etype == KerberosEtype.Aes128CtsHmacSha256128 ? 19 : 20;

    public override int ChecksumSize => _macSize;

    public override int ConfounderSize => AesCts.BlockSize;

    public override int CiphertextOverhead => AesCts.BlockSize /* confounder */ + _macSize /* HMAC */;

    /// <summary>
    /// RFC 8009 4: saltp = enctype-name ‖ 0x00 ‖ salt; tkey = random-to-key(PBKDF2-HMAC-SHA2(passphrase, saltp,
    /// iter_count, keylength)); base-key = random-to-key(KDF-HMAC-SHA2(tkey, "kerberos", keylength)). The PBKDF2 hash
    /// is SHA-256 for etype 19 and SHA-384 for etype 20.
    /// </summary>
    public override bool TryStringToKey(ReadOnlySpan<char> password, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> s2kParams, out byte[] key)
    {
        key = [];
        if (!TryIterationCount(s2kParams, DefaultIterationCount, out int iterations))
        {
            return false;
        }

        byte[] saltp = [.. System.Text.Encoding.ASCII.GetBytes(_etype.RfcName()), 0x00, .. salt];
        byte[] passphrase = Utf8(password);
        byte[] tkey = Rfc2898DeriveBytes.Pbkdf2(passphrase, saltp, iterations, _hash, _keySize);
        key = Kdf(tkey, KerberosLabel, _keySize);
        CryptographicOperations.ZeroMemory(passphrase);
        CryptographicOperations.ZeroMemory(tkey);
        return true;
    }

    /// <summary>
    /// RFC 8009 5 encryption: C = E(Ke, N ‖ plaintext, IV), H = HMAC(Ki, IV ‖ C) truncated to h, ciphertext = C ‖ H,
    /// with N the confounder and IV the initial cipher state, a block of zeros.
    /// </summary>
    public override byte[] Encrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> confounder)
    {
        CheckKeyAndUsage(key, usage);
        CheckConfounder(confounder);
        byte[] ke = DeriveKey(key, usage, Rfc3962Cipher.EncryptionKeyPurpose);
        byte[] ki = DeriveKey(key, usage, Rfc3962Cipher.IntegrityKeyPurpose);
        byte[] data = [.. confounder, .. plaintext];
        byte[] encrypted = AesCts.Encrypt(ke, AesCts.ZeroIv, data);
        byte[] mac = Mac(ki, encrypted);
        byte[] ciphertext = [.. encrypted, .. mac];
        CryptographicOperations.ZeroMemory(ke);
        CryptographicOperations.ZeroMemory(ki);
        CryptographicOperations.ZeroMemory(data);
        return ciphertext;
    }

    /// <summary>RFC 8009 5 decryption: the HMAC over IV ‖ C is checked before anything is decrypted.</summary>
    public override bool TryDecrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> ciphertext, out byte[] plaintext)
    {
        CheckKeyAndUsage(key, usage);
        plaintext = [];
        if (ciphertext.Length < CiphertextOverhead)
        {
            return false;
        }

        ReadOnlySpan<byte> encrypted = ciphertext[..^_macSize];
        byte[] ki = DeriveKey(key, usage, Rfc3962Cipher.IntegrityKeyPurpose);
        byte[] mac = Mac(ki, encrypted);
        CryptographicOperations.ZeroMemory(ki);
        if (!CryptographicOperations.FixedTimeEquals(mac, ciphertext[^_macSize..]))
        {
            return false;
        }

        byte[] ke = DeriveKey(key, usage, Rfc3962Cipher.EncryptionKeyPurpose);
        byte[] data = AesCts.Decrypt(ke, AesCts.ZeroIv, encrypted);
        plaintext = data[AesCts.BlockSize..];
        CryptographicOperations.ZeroMemory(ke);
        CryptographicOperations.ZeroMemory(data);
        return true;
    }

    /// <summary>RFC 8009 5 checksum: HMAC(Kc, data) truncated to h, Kc derived for <paramref name="usage"/>.</summary>
    public override byte[] Checksum(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> data)
    {
        CheckKeyAndUsage(key, usage);
        byte[] kc = DeriveKey(key, usage, Rfc3962Cipher.ChecksumKeyPurpose);
        byte[] mac = CryptographicOperations.HmacData(_hash, kc, data);
        CryptographicOperations.ZeroMemory(kc);
        return mac[.._macSize];
    }

    /// <summary>
    /// RFC 8009 5: Kc = KDF-HMAC-SHA2(base-key, usage ‖ 0x99, h bits), Ke = KDF(base-key, usage ‖ 0xAA, key bits),
    /// Ki = KDF(base-key, usage ‖ 0x55, h bits), the usage as four big-endian bytes.
    /// </summary>
    internal byte[] DeriveKey(ReadOnlySpan<byte> baseKey, int usage, byte purpose)
    {
        Span<byte> label = stackalloc byte[4 /* usage */ + 1 /* purpose */];
        BinaryPrimitives.WriteInt32BigEndian(label, usage);
        label[4] = purpose;
        return Kdf(baseKey, label, purpose == Rfc3962Cipher.EncryptionKeyPurpose ? _keySize : _macSize);
    }

    /// <summary>
    /// RFC 8009 3: KDF-HMAC-SHA2(key, label, k) = k-truncate(K1), K1 = HMAC-SHA-256 or -384(key, 00 00 00 01 ‖ label ‖
    /// 0x00 ‖ k), k the output length in bits as four big-endian bytes. One HMAC block always suffices here.
    /// </summary>
    private byte[] Kdf(ReadOnlySpan<byte> key, ReadOnlySpan<byte> label, int outputBytes)
    {
        byte[] input = new byte[4 /* counter */ + label.Length + 1 /* separator */ + 4 /* length in bits */];
        BinaryPrimitives.WriteInt32BigEndian(input, 1);
        label.CopyTo(input.AsSpan(4));
        BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(4 + label.Length + 1), outputBytes * 8);
        byte[] k1 = CryptographicOperations.HmacData(_hash, key, input);
        byte[] output = k1[..outputBytes];
        CryptographicOperations.ZeroMemory(k1);
        return output;
    }

    /// <summary>HMAC(Ki, IV ‖ C) truncated to h, IV being the zero initial cipher state.</summary>
    private byte[] Mac(ReadOnlySpan<byte> ki, ReadOnlySpan<byte> encrypted)
    {
        byte[] input = [.. AesCts.ZeroIv, .. encrypted];
        byte[] mac = CryptographicOperations.HmacData(_hash, ki, input);
        return mac[.._macSize];
    }
}
