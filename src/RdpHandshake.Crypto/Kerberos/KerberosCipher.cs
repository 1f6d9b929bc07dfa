using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// One Kerberos encryption type as RFC 3961 3 describes an encryption profile, with its keyed checksum (RFC 3961 4):
/// string-to-key, encryption with a confounder and integrity protection, and checksums, all keyed by a key usage
/// number (RFC 4120 7.5.1). One instance per etype, stateless and safe to share; <see cref="For"/> and
/// <see cref="TryFor"/> hand them out.
/// </summary>
/// <remarks>
/// Keys are the etype's protocol keys, exactly <see cref="KeySize"/> bytes; a key that arrived from the network (a
/// session key or subkey in a decrypted KDC or AP reply) is checked against <see cref="KeySize"/> before use, and a key
/// of another length is a caller bug that throws. Ciphertexts and checksums from the network never throw: a failed
/// integrity check, a short or malformed ciphertext is <c>false</c>. Intermediate keys are cleared after use; the
/// caller's keys and the returned plaintexts are the caller's to clear.
/// </remarks>
public abstract class KerberosCipher
{
    /// <summary>
    /// The largest PBKDF2 iteration count string-to-key accepts (2^24). RFC 3962 4 lets a spoofed KDC reply ask for up
    /// to 2^32 iterations and asks implementations that bound it to allow at least 50,000; MIT krb5 bounds it at the
    /// same order.
    /// </summary>
    public const uint MaxIterationCount = 1u << 24;

    private static readonly KerberosCipher Aes128Sha1 = new Rfc3962Cipher(KerberosEtype.Aes128CtsHmacSha196, keySize: 16, checksumType: 15);
    private static readonly KerberosCipher Aes256Sha1 = new Rfc3962Cipher(KerberosEtype.Aes256CtsHmacSha196, keySize: 32, checksumType: 16);
    private static readonly KerberosCipher Aes128Sha256 = new Rfc8009Cipher(KerberosEtype.Aes128CtsHmacSha256128);
    private static readonly KerberosCipher Aes256Sha384 = new Rfc8009Cipher(KerberosEtype.Aes256CtsHmacSha384192);
    private static readonly KerberosCipher Rc4 = new Rfc4757Cipher();

    private protected KerberosCipher()
    {
    }

    public abstract KerberosEtype Etype { get; }

    /// <summary>Length of a protocol key in bytes.</summary>
    public abstract int KeySize { get; }

    /// <summary>
    /// The etype's required keyed checksum type (RFC 3961 4): 15 hmac-sha1-96-aes128, 16 hmac-sha1-96-aes256 (RFC 3962
    /// 7), 19 hmac-sha256-128-aes128, 20 hmac-sha384-192-aes256 (RFC 8009 5), -138 hmac-md5 (RFC 4757 4).
    /// </summary>
    public abstract int ChecksumType { get; }

    /// <summary>Length in bytes of the checksum <see cref="Checksum"/> produces.</summary>
    public abstract int ChecksumSize { get; }

    /// <summary>Length in bytes of the random confounder that encryption puts before the plaintext: 16 for AES, 8 for RC4.</summary>
    public abstract int ConfounderSize { get; }

    /// <summary>How many bytes longer a ciphertext is than its plaintext: the confounder and the integrity tag.</summary>
    public abstract int CiphertextOverhead { get; }

    /// <summary>The cipher of <paramref name="etype"/>.</summary>
    public static KerberosCipher For(KerberosEtype etype) => etype switch
    {
        KerberosEtype.Aes128CtsHmacSha196 => Aes128Sha1,
        KerberosEtype.Aes256CtsHmacSha196 => Aes256Sha1,
        KerberosEtype.Aes128CtsHmacSha256128 => Aes128Sha256,
        KerberosEtype.Aes256CtsHmacSha384192 => Aes256Sha384,
        KerberosEtype.Rc4Hmac => Rc4,
        _ => throw new ArgumentOutOfRangeException(nameof(etype), etype, "not an etype this library implements"),
    };

    /// <summary>The cipher of an etype number as the network carries it; false for etypes this library lacks.</summary>
    public static bool TryFor(int etype, [NotNullWhen(true)] out KerberosCipher? cipher)
    {
        cipher = etype switch
        {
            (int)KerberosEtype.Aes128CtsHmacSha196 => Aes128Sha1,
            (int)KerberosEtype.Aes256CtsHmacSha196 => Aes256Sha1,
            (int)KerberosEtype.Aes128CtsHmacSha256128 => Aes128Sha256,
            (int)KerberosEtype.Aes256CtsHmacSha384192 => Aes256Sha384,
            (int)KerberosEtype.Rc4Hmac => Rc4,
            _ => null,
        };
        return cipher is not null;
    }

    /// <summary>
    /// A fresh random protocol key, for session subkeys (RFC 4120 5.5.1). For every etype here random-to-key is the
    /// identity (RFC 3962 6, RFC 8009 5, RFC 4757), so the key is <see cref="KeySize"/> random bytes.
    /// </summary>
    public static byte[] RandomKey(KerberosEtype etype) => RandomNumberGenerator.GetBytes(For(etype).KeySize);

    /// <summary>
    /// The etype's string-to-key (RFC 3961 3): PBKDF2 and key derivation for the AES etypes (RFC 3962 4, RFC 8009 4),
    /// MD4 of the UTF-16LE password for rc4-hmac (RFC 4757 2), which ignores the salt and parameters.
    /// <paramref name="s2kParams"/> is the four-byte big-endian iteration count of ETYPE-INFO2, or empty for the
    /// etype's default.
    /// </summary>
    /// <exception cref="ArgumentException">The parameters are unusable; <see cref="TryStringToKey"/> reports that as false.</exception>
    public byte[] StringToKey(ReadOnlySpan<char> password, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> s2kParams) =>
        TryStringToKey(password, salt, s2kParams, out byte[] key)
            ? key
            : throw new ArgumentException("string-to-key parameters are not a usable iteration count", nameof(s2kParams));

    /// <summary>
    /// <see cref="StringToKey"/> for parameters straight from the KDC: false when they are not four bytes, or ask for
    /// 0 (2^32) or more than <see cref="MaxIterationCount"/> iterations.
    /// </summary>
    public abstract bool TryStringToKey(ReadOnlySpan<char> password, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> s2kParams, out byte[] key);

    /// <summary>
    /// Encrypts with a given confounder (RFC 3961 3 encrypt, the confounder being the random block the profile puts
    /// before the plaintext), so that published vectors can be reproduced; <see cref="Encrypt(ReadOnlySpan{byte}, int, ReadOnlySpan{byte})"/>
    /// draws it at random, which the protocol requires.
    /// </summary>
    public abstract byte[] Encrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> confounder);

    /// <summary>Encrypts <paramref name="plaintext"/> with a fresh random confounder (RFC 3961 3 encrypt).</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> confounder = stackalloc byte[ConfounderSize];
        RandomNumberGenerator.Fill(confounder);
        byte[] ciphertext = Encrypt(key, usage, plaintext, confounder);
        CryptographicOperations.ZeroMemory(confounder);
        return ciphertext;
    }

    /// <summary>
    /// Decrypts and checks integrity (RFC 3961 3 decrypt). False, with an empty plaintext, for a ciphertext too short
    /// to hold the confounder and tag or whose integrity check fails.
    /// </summary>
    public abstract bool TryDecrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> ciphertext, out byte[] plaintext);

    /// <summary>The etype's keyed checksum (<see cref="ChecksumType"/>) of <paramref name="data"/> (RFC 3961 4 get_mic).</summary>
    public abstract byte[] Checksum(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> data);

    /// <summary>Whether <paramref name="checksum"/> is the keyed checksum of <paramref name="data"/> (RFC 3961 4 verify_mic), compared in constant time.</summary>
    public bool VerifyChecksum(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> data, ReadOnlySpan<byte> checksum)
    {
        byte[] expected = Checksum(key, usage, data);
        bool valid = checksum.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, checksum);
        CryptographicOperations.ZeroMemory(expected);
        return valid;
    }

    /// <summary>Key and usage checks shared by every operation: both come from the caller, so both throw.</summary>
    private protected void CheckKeyAndUsage(ReadOnlySpan<byte> key, int usage)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"a {Etype.RfcName()} key is {KeySize} bytes, not {key.Length}", nameof(key));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(usage);
    }

    private protected void CheckConfounder(ReadOnlySpan<byte> confounder)
    {
        if (confounder.Length != ConfounderSize)
        {
            throw new ArgumentException($"a {Etype.RfcName()} confounder is {ConfounderSize} bytes, not {confounder.Length}", nameof(confounder));
        }
    }

    /// <summary>
    /// The iteration count of RFC 3962 4 (also RFC 8009 4) from s2kparams: four bytes, big-endian; absent means
    /// <paramref name="defaultCount"/>. Zero (meaning 2^32) and counts above <see cref="MaxIterationCount"/> are refused.
    /// </summary>
    private protected static bool TryIterationCount(ReadOnlySpan<byte> s2kParams, int defaultCount, out int iterations)
    {
        iterations = 0;
        if (s2kParams.IsEmpty)
        {
            iterations = defaultCount;
            return true;
        }

        if (s2kParams.Length != 4 /* iteration count */)
        {
            return false;
        }

        uint count = BinaryPrimitives.ReadUInt32BigEndian(s2kParams);
        if (!(count is >= 1 and <= MaxIterationCount))
        {
            return false;
        }

        iterations = (int)count;
        return true;
    }

    /// <summary>The UTF-8 bytes of a password (RFC 3962 4 and RFC 8009 4 take the passphrase as UTF-8); the caller clears them.</summary>
    private protected static byte[] Utf8(ReadOnlySpan<char> password)
    {
        byte[] bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(password)];
        System.Text.Encoding.UTF8.GetBytes(password, bytes);
        return bytes;
    }
}
