using System.Buffers.Binary;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace RdpHandshake.Analysis;

/// <summary>How a cipher suite protects records, from its registry name.</summary>
public sealed record TlsSuiteCipher(string Kind, int KeyLength, int FixedIvLength, int MacLength, string Hash)
{
    public bool IsAead => Kind is "gcm" or "chacha" or "ccm";

    /// <summary>The protection of <paramref name="suiteName"/> (e.g. <c>TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384</c>), or null when it is not one this reader decrypts.</summary>
    public static TlsSuiteCipher? Of(string suiteName)
    {
        string hash = suiteName.EndsWith("_SHA384", StringComparison.Ordinal) ? "sha384" : suiteName.EndsWith("_SHA256", StringComparison.Ordinal) ? "sha256" : "sha1";
        if (suiteName.Contains("AES_128_GCM", StringComparison.Ordinal))
        {
            return new("gcm", 16, 4, 0, hash);
        }

        if (suiteName.Contains("AES_256_GCM", StringComparison.Ordinal))
        {
            return new("gcm", 32, 4, 0, hash);
        }

        if (suiteName.Contains("CHACHA20_POLY1305", StringComparison.Ordinal))
        {
            return new("chacha", 32, 12, 0, "sha256");
        }

        if (suiteName.Contains("AES_128_CCM", StringComparison.Ordinal) && !suiteName.Contains("CCM_8", StringComparison.Ordinal))
        {
            return new("ccm", 16, 4, 0, "sha256");
        }

        int mac = hash switch { "sha384" => 48, "sha256" => 32, _ => 20 };
        // CBC suites use the TLS 1.2 PRF with SHA-256 unless their name says SHA-384.
        string prf = hash == "sha384" ? "sha384" : "sha256";
        if (suiteName.Contains("AES_128_CBC", StringComparison.Ordinal))
        {
            return new("aes-cbc", 16, 16, mac, prf) { MacHash = hash };
        }

        if (suiteName.Contains("AES_256_CBC", StringComparison.Ordinal))
        {
            return new("aes-cbc", 32, 16, mac, prf) { MacHash = hash };
        }

        if (suiteName.Contains("3DES_EDE_CBC", StringComparison.Ordinal))
        {
            return new("3des-cbc", 24, 8, mac, prf) { MacHash = hash };
        }

        return null;
    }

    /// <summary>The HMAC hash of a CBC suite.</summary>
    public string MacHash { get; init; } = "sha256";

    public static IDigest Digest(string hash) => hash switch
    {
        "sha384" => new Sha384Digest(),
        "sha256" => new Sha256Digest(),
        "md5" => new MD5Digest(),
        _ => new Sha1Digest(),
    };
}

/// <summary>
/// Decrypts the records of one direction of a TLS connection with keys from a key log, with BouncyCastle's
/// primitives: AES-GCM, ChaCha20-Poly1305 and AES-CCM (TLS 1.2 and 1.3), and AES or 3DES in CBC mode with HMAC
/// (TLS 1.0 to 1.2, MAC-then-encrypt or encrypt-then-MAC). Each record's sequence number is counted here.
/// </summary>
public sealed class TlsRecordCipher
{
    private readonly TlsSuiteCipher _suite;
    private readonly byte[] _key;
    private readonly byte[] _iv;
    private readonly byte[] _macKey;
    private readonly bool _tls13;
    private readonly bool _encryptThenMac;
    private readonly bool _explicitIv;
    private ulong _sequence;

    private TlsRecordCipher(TlsSuiteCipher suite, byte[] key, byte[] iv, byte[] macKey, bool tls13, bool encryptThenMac, bool explicitIv)
    {
        _suite = suite;
        _key = key;
        _iv = iv;
        _macKey = macKey;
        _tls13 = tls13;
        _encryptThenMac = encryptThenMac;
        _explicitIv = explicitIv;
    }

    /// <summary>TLS 1.3: the write key and IV of a traffic secret (RFC 8446 7.3).</summary>
    public static TlsRecordCipher ForTls13(TlsSuiteCipher suite, byte[] trafficSecret)
    {
        byte[] key = ExpandLabel(suite.Hash, trafficSecret, "key", suite.KeyLength);
        byte[] iv = ExpandLabel(suite.Hash, trafficSecret, "iv", 12);
        return new TlsRecordCipher(suite, key, iv, [], tls13: true, encryptThenMac: false, explicitIv: false);
    }

    /// <summary>TLS 1.2 and earlier: one side's keys from the master secret's key block (RFC 5246 6.3).</summary>
    public static TlsRecordCipher ForTls12(TlsSuiteCipher suite, byte[] masterSecret, byte[] clientRandom, byte[] serverRandom, bool client, ushort version, bool encryptThenMac)
    {
        int macLength = suite.IsAead ? 0 : suite.MacLength;
        int ivLength = suite.IsAead ? suite.FixedIvLength : version >= 0x0302 ? 0 : suite.FixedIvLength;
        int total = (2 * macLength) + (2 * suite.KeyLength) + (2 * ivLength);
        byte[] block = Prf(version, suite.Hash, masterSecret, "key expansion", [.. serverRandom, .. clientRandom], total);
        int offset = 0;
        byte[] Take(int n)
        {
            byte[] part = block[offset..(offset + n)];
            offset += n;
            return part;
        }

        byte[] clientMac = Take(macLength);
        byte[] serverMac = Take(macLength);
        byte[] clientKey = Take(suite.KeyLength);
        byte[] serverKey = Take(suite.KeyLength);
        byte[] clientIv = Take(ivLength);
        byte[] serverIv = Take(ivLength);
        return client
            ? new TlsRecordCipher(suite, clientKey, clientIv, clientMac, false, encryptThenMac, version >= 0x0302)
            : new TlsRecordCipher(suite, serverKey, serverIv, serverMac, false, encryptThenMac, version >= 0x0302);
    }

    /// <summary>
    /// Decrypts one record (its 5-byte header included); returns the plaintext and, for TLS 1.3, the inner content
    /// type; null when the record does not decrypt with these keys.
    /// </summary>
    public (byte[] Plain, byte ContentType)? Decrypt(ReadOnlySpan<byte> record)
    {
        if (record.Length < 5)
        {
            return null;
        }

        byte type = record[0];
        ReadOnlySpan<byte> body = record[5..];
        try
        {
            (byte[] Plain, byte ContentType)? result = _suite.IsAead ? DecryptAead(record[..5], body, type) : DecryptCbc(record[..5], body, type);
            _sequence++;
            return result;
        }
        catch (InvalidCipherTextException)
        {
            _sequence++;
            return null;
        }
    }

    private (byte[], byte)? DecryptAead(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, byte type)
    {
        byte[] nonce;
        byte[] aad;
        ReadOnlySpan<byte> cipher;
        if (_tls13 || _suite.Kind == "chacha")
        {
            nonce = [.. _iv];
            for (int i = 0; i < 8; i++)
            {
                nonce[nonce.Length - 1 - i] ^= (byte)(_sequence >> (8 * i));
            }

            cipher = body;
            aad = _tls13 ? header.ToArray() : Aad12(type, header, cipher.Length - 16);
        }
        else
        {
            if (body.Length < 8 + 16)
            {
                return null;
            }

            nonce = [.. _iv, .. body[..8]];
            cipher = body[8..];
            aad = Aad12(type, header, cipher.Length - 16);
        }

        if (cipher.Length < 16)
        {
            return null;
        }

        IAeadCipher aead = _suite.Kind switch
        {
            "chacha" => new ChaCha20Poly1305(),
            "ccm" => new CcmBlockCipher(new AesEngine()),
            _ => new GcmBlockCipher(new AesEngine()),
        };
        aead.Init(false, new AeadParameters(new KeyParameter(_key), 128, nonce, aad));
        byte[] plain = new byte[aead.GetOutputSize(cipher.Length)];
        int n = aead.ProcessBytes(cipher.ToArray(), 0, cipher.Length, plain, 0);
        n += aead.DoFinal(plain, n);
        plain = plain[..n];
        if (!_tls13)
        {
            return (plain, type);
        }

        // TLS 1.3 inner plaintext: content, the real type, then zero padding (RFC 8446 5.2).
        int end = plain.Length - 1;
        while (end >= 0 && plain[end] == 0)
        {
            end--;
        }

        return end < 0 ? null : (plain[..end], plain[end]);
    }

    private byte[] Aad12(byte type, ReadOnlySpan<byte> header, int plainLength)
    {
        byte[] aad = new byte[13];
        BinaryPrimitives.WriteUInt64BigEndian(aad, _sequence);
        aad[8] = type;
        aad[9] = header[1];
        aad[10] = header[2];
        BinaryPrimitives.WriteUInt16BigEndian(aad.AsSpan(11), (ushort)Math.Max(0, plainLength));
        return aad;
    }

    private byte[]? _chainIv;

    private (byte[], byte)? DecryptCbc(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, byte type)
    {
        int block = _suite.Kind == "3des-cbc" ? 8 : 16;
        int mac = _suite.MacLength;
        ReadOnlySpan<byte> cipher = body;
        if (_encryptThenMac)
        {
            if (cipher.Length < mac)
            {
                return null;
            }

            cipher = cipher[..^mac];
        }

        byte[] iv;
        if (_explicitIv)
        {
            if (cipher.Length < block)
            {
                return null;
            }

            iv = cipher[..block].ToArray();
            cipher = cipher[block..];
        }
        else
        {
            iv = _chainIv ?? _iv;
        }

        if (cipher.Length == 0 || cipher.Length % block != 0)
        {
            return null;
        }

        IBlockCipher engine = _suite.Kind == "3des-cbc" ? new DesEdeEngine() : new AesEngine();
        var cbc = new CbcBlockCipher(engine);
        cbc.Init(false, new ParametersWithIV(new KeyParameter(_key), iv));
        byte[] plain = new byte[cipher.Length];
        byte[] input = cipher.ToArray();
        for (int i = 0; i < input.Length; i += block)
        {
            cbc.ProcessBlock(input, i, plain, i);
        }

        _chainIv = input[^block..];
        int pad = plain[^1];
        int length = plain.Length - pad - 1 - (_encryptThenMac ? 0 : mac);
        return length < 0 ? null : (plain[..length], type);
    }

    /// <summary>HKDF-Expand-Label (RFC 8446 7.1) with an empty context.</summary>
    public static byte[] ExpandLabel(string hash, byte[] secret, string label, int length)
    {
        byte[] full = System.Text.Encoding.ASCII.GetBytes("tls13 " + label);
        byte[] info = [(byte)(length >> 8), (byte)length, (byte)full.Length, .. full, 0];
        var hkdf = new Org.BouncyCastle.Crypto.Generators.HkdfBytesGenerator(TlsSuiteCipher.Digest(hash));
        hkdf.Init(HkdfParameters.SkipExtractParameters(secret, info));
        byte[] output = new byte[length];
        hkdf.GenerateBytes(output, 0, length);
        return output;
    }

    /// <summary>The TLS PRF: P_SHA256/P_SHA384 for TLS 1.2 (RFC 5246 5), MD5 XOR SHA-1 for TLS 1.0 and 1.1 (RFC 2246 5).</summary>
    public static byte[] Prf(ushort version, string hash, byte[] secret, string label, byte[] seed, int length)
    {
        byte[] labelSeed = [.. System.Text.Encoding.ASCII.GetBytes(label), .. seed];
        if (version >= 0x0303)
        {
            return PHash(hash, secret, labelSeed, length);
        }

        int half = (secret.Length + 1) / 2;
        byte[] md5 = PHash("md5", secret[..half], labelSeed, length);
        byte[] sha1 = PHash("sha1", secret[(secret.Length - half)..], labelSeed, length);
        for (int i = 0; i < length; i++)
        {
            md5[i] ^= sha1[i];
        }

        return md5;
    }

    private static byte[] PHash(string hash, byte[] secret, byte[] seed, int length)
    {
        var hmac = new HMac(TlsSuiteCipher.Digest(hash));
        hmac.Init(new KeyParameter(secret));
        int size = hmac.GetMacSize();
        byte[] output = new byte[length];
        byte[] a = seed;
        int written = 0;
        while (written < length)
        {
            a = Mac(hmac, a, size);
            byte[] chunk = Mac(hmac, [.. a, .. seed], size);
            int take = Math.Min(size, length - written);
            Array.Copy(chunk, 0, output, written, take);
            written += take;
        }

        return output;
    }

    private static byte[] Mac(HMac hmac, byte[] data, int size)
    {
        hmac.BlockUpdate(data, 0, data.Length);
        byte[] result = new byte[size];
        hmac.DoFinal(result, 0);
        return result;
    }
}
