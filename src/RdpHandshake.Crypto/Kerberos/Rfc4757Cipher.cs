using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// rc4-hmac (RFC 4757): RC4 with an HMAC-MD5 integrity check, keys salted per message with the Microsoft message type
/// that the Kerberos usage maps to. MD4 and RC4 come from BouncyCastle (the platform may refuse them), MD5 and
/// HMAC-MD5 from .NET.
/// </summary>
internal sealed class Rfc4757Cipher : KerberosCipher
{
    /// <summary>RFC 4757 5: the checksum field of the encrypted data, an HMAC-MD5.</summary>
    private const int MacSize = 16;

    /// <summary>RFC 4757 5: the confounder is eight octets.</summary>
    private const int RandomConfounderSize = 8;

    /// <summary>RFC 4757 4: Ksign = HMAC(K, "signaturekey"), the terminating zero included.</summary>
    internal static ReadOnlySpan<byte> SignatureKeyConstant => "signaturekey\0"u8;

    public override KerberosEtype Etype => KerberosEtype.Rc4Hmac;

    public override int KeySize => 16;

    /// <summary>RFC 4757 4: KERB_CHECKSUM_HMAC_MD5, -138.</summary>
    public override int ChecksumType => -138;

    public override int ChecksumSize => MacSize;

    public override int ConfounderSize => RandomConfounderSize;

    public override int CiphertextOverhead => MacSize /* checksum */ + RandomConfounderSize /* confounder */;

    /// <summary>
    /// RFC 4757 2: K = MD4(UNICODE(password)), the UTF-16LE password without a terminating zero. The salt and the
    /// string-to-key parameters play no part, so they are never refused.
    /// </summary>
    public override bool TryStringToKey(ReadOnlySpan<char> password, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> s2kParams, out byte[] key)
    {
        byte[] unicode = new byte[System.Text.Encoding.Unicode.GetByteCount(password)];
        System.Text.Encoding.Unicode.GetBytes(password, unicode);
        var md4 = new MD4Digest();
        md4.BlockUpdate(unicode, 0, unicode.Length);
        key = new byte[md4.GetDigestSize()];
        md4.DoFinal(key, 0);
        CryptographicOperations.ZeroMemory(unicode);
        return true;
    }

    /// <summary>
    /// RFC 4757 5 ENCRYPT: K1 = HMAC(K, T), checksum = HMAC(K1, confounder ‖ data), K3 = HMAC(K1, checksum),
    /// ciphertext = checksum ‖ RC4(K3, confounder ‖ data), T being the message type of <see cref="MessageType"/>.
    /// </summary>
    public override byte[] Encrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> confounder)
    {
        CheckKeyAndUsage(key, usage);
        CheckConfounder(confounder);
        byte[] k1 = UsageKey(key, usage);
        byte[] data = [.. confounder, .. plaintext];
        byte[] checksum = HMACMD5.HashData(k1, data);
        byte[] k3 = HMACMD5.HashData(k1, checksum);
        byte[] ciphertext = [.. checksum, .. Rc4(k3, data)];
        CryptographicOperations.ZeroMemory(k1);
        CryptographicOperations.ZeroMemory(k3);
        CryptographicOperations.ZeroMemory(data);
        return ciphertext;
    }

    /// <summary>RFC 4757 5 DECRYPT, then the checksum recomputed over the decrypted confounder and data and compared.</summary>
    public override bool TryDecrypt(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> ciphertext, out byte[] plaintext)
    {
        CheckKeyAndUsage(key, usage);
        plaintext = [];
        if (ciphertext.Length < CiphertextOverhead)
        {
            return false;
        }

        ReadOnlySpan<byte> checksum = ciphertext[..MacSize];
        byte[] k1 = UsageKey(key, usage);
        byte[] k3 = HMACMD5.HashData(k1, checksum);
        byte[] data = Rc4(k3, ciphertext[MacSize..]);
        byte[] expected = HMACMD5.HashData(k1, data);
        bool valid = CryptographicOperations.FixedTimeEquals(expected, checksum);
        if (valid)
        {
            plaintext = data[RandomConfounderSize..];
        }

        CryptographicOperations.ZeroMemory(k1);
        CryptographicOperations.ZeroMemory(k3);
        CryptographicOperations.ZeroMemory(data);
        return valid;
    }

    /// <summary>
    /// RFC 4757 4 CHKSUM(K, T, data): Ksign = HMAC(K, "signaturekey\0"), tmp = MD5(T ‖ data), HMAC(Ksign, tmp).
    /// </summary>
    public override byte[] Checksum(ReadOnlySpan<byte> key, int usage, ReadOnlySpan<byte> data)
    {
        CheckKeyAndUsage(key, usage);
        return HmacMd5Checksum(key, MessageType(usage), data);
    }

    /// <summary>The hmac-md5 checksum with the message type given directly, as the RFC 4757 7 GSS tokens use it.</summary>
    internal static byte[] HmacMd5Checksum(ReadOnlySpan<byte> key, int messageType, ReadOnlySpan<byte> data)
    {
        byte[] ksign = HMACMD5.HashData(key, SignatureKeyConstant);
        byte[] salted = new byte[4 /* T */ + data.Length];
        BinaryPrimitives.WriteInt32LittleEndian(salted, messageType);
        data.CopyTo(salted.AsSpan(4));
        byte[] tmp = MD5.HashData(salted);
        byte[] checksum = HMACMD5.HashData(ksign, tmp);
        CryptographicOperations.ZeroMemory(ksign);
        CryptographicOperations.ZeroMemory(salted);
        return checksum;
    }

    /// <summary>
    /// The Microsoft message type T for a Kerberos key usage (RFC 4757 3). Only usage 3, the AS-REP encrypted part,
    /// differs: it is sent as 8. RFC 4757 3 also lists usage 9 (TGS-REP encrypted part under the authenticator subkey)
    /// with T = 8, but MIT krb5 (krb5int_arcfour_translate_usage, src/lib/crypto/krb/enc_rc4.c) and Heimdal
    /// (_krb5_usage2arcfour, lib/krb5/crypto-arcfour.c) send 9 as 9, and so do we. The GSS usages that those two map
    /// to 13 and 15 are not mapped: RFC 4121 tokens are never made with rc4-hmac, and the RFC 4757 7 tokens of
    /// <see cref="Rfc4757MessageProtection"/> use their message types directly.
    /// </summary>
    internal static int MessageType(int usage) => usage == 3 ? 8 : usage;

    /// <summary>K1 = HMAC-MD5(K, T), T as four little-endian bytes (RFC 4757 5).</summary>
    internal static byte[] UsageKey(ReadOnlySpan<byte> key, int usage)
    {
        Span<byte> messageType = stackalloc byte[4 /* T */];
        BinaryPrimitives.WriteInt32LittleEndian(messageType, MessageType(usage));
        return HMACMD5.HashData(key, messageType);
    }

    /// <summary>RC4 of <paramref name="data"/> from a fresh key stream under <paramref name="key"/>.</summary>
    internal static byte[] Rc4(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        byte[] keyCopy = key.ToArray();
        var rc4 = new RC4Engine();
        rc4.Init(true, new KeyParameter(keyCopy));
        byte[] output = new byte[data.Length];
        rc4.ProcessBytes(data, output);
        CryptographicOperations.ZeroMemory(keyCopy);
        return output;
    }
}
