using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using RdpHandshake.Protocol.Security;

namespace RdpHandshake.Crypto.StandardSecurity;

/// <summary>
/// One direction of Standard RDP Security encryption (MS-RDPBCGR 5.3.6): RC4 with the MAC of 5.3.6.1 (or the salted
/// MAC of 5.3.6.1.1) and the key update every 4096 packets of 5.3.7, or FIPS 3DES-CBC with the HMAC-SHA1 signature of
/// 5.3.6.2. The sender's encryptor and the receiver's decryptor must see the same packets in the same order. After
/// <see cref="TryDecrypt"/> returns false the stream is out of step and the connection has to end.
/// </summary>
public sealed class RdpCipher : IPacketCipher, IDisposable
{
    /// <summary>MS-RDPBCGR 5.3.7: the number of packets one RC4 key encrypts before it is updated.</summary>
    public const int KeyUpdateInterval = 4096;

    /// <summary>MS-RDPBCGR 5.3.6.2: the fixed initial 3DES-CBC vector.</summary>
    private static ReadOnlySpan<byte> FipsIv => [0x12, 0x34, 0x56, 0x78, 0x90, 0xAB, 0xCD, 0xEF];

    private static ReadOnlySpan<byte> Pad1 =>
    [
        0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36,
        0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36,
    ];

    private static ReadOnlySpan<byte> Pad2 =>
    [
        0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C,
        0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C,
        0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C,
    ];

    private readonly EncryptionMethod _method;
    private readonly byte[] _initialKey;
    private readonly byte[] _currentKey;
    private readonly byte[] _macKey;
    private RC4Engine? _rc4;
    private readonly CbcBlockCipher? _des;
    private int _keyUseCount;
    private bool _failed;

    internal RdpCipher(EncryptionMethod method, ReadOnlySpan<byte> key, ReadOnlySpan<byte> macKey)
    {
        _method = method;
        _initialKey = key.ToArray();
        _currentKey = key.ToArray();
        _macKey = macKey.ToArray();
        if (method == EncryptionMethod.Fips)
        {
            _des = new CbcBlockCipher(new DesEdeEngine());
        }
        else
        {
            ResetRc4();
        }
    }

    /// <summary>
    /// Packets processed so far: the <c>encryptionCount</c> of the salted MAC and of the FIPS signature for the next
    /// packet. Key updates do not reset it.
    /// </summary>
    public uint EncryptionCount { get; private set; }

    /// <summary>The number of RC4 key updates so far (MS-RDPBCGR 5.3.7).</summary>
    public int KeyUpdates { get; private set; }

    private bool _desInitialized;
    private bool _desForEncryption;

    /// <summary>
    /// Signs and encrypts one packet's data. <paramref name="salted"/> selects the SEC_SECURE_CHECKSUM MAC (ignored
    /// under FIPS, whose signature always includes the count). Under FIPS the result is padded to whole 3DES blocks;
    /// its length minus <paramref name="plain"/>'s is the header's padlen.
    /// </summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plain, bool salted, out byte[] signature)
    {
        ThrowIfUnusable();
        if (_des is not null)
        {
            signature = FipsSignature(plain, EncryptionCount);
            int padLength = (8 - plain.Length % 8) % 8;
            byte[] data = new byte[plain.Length + padLength];
            plain.CopyTo(data);
            Des(data, forEncryption: true);
            EncryptionCount++;
            return data;
        }

        UpdateKeyIfDue();
        signature = MacSignature(plain, salted ? EncryptionCount : null);
        byte[] cipher = new byte[plain.Length];
        _rc4!.ProcessBytes(plain, cipher);
        _keyUseCount++;
        EncryptionCount++;
        return cipher;
    }

    /// <summary>
    /// Decrypts one packet's data and checks its signature; false (never an exception) when the signature does not
    /// match. <paramref name="fipsPadLength"/> is the FIPS header's padlen.
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> cipher, ReadOnlySpan<byte> signature, bool salted, out byte[] plain, int fipsPadLength = 0)
    {
        plain = [];
        if (_failed || signature.Length != NonFipsSignatureLength)
        {
            _failed = true;
            return false;
        }

        ThrowIfUnusable();
        if (_des is not null)
        {
            if (!(cipher.Length % 8 == 0 && fipsPadLength is >= 0 and <= 7 && fipsPadLength <= cipher.Length))
            {
                _failed = true;
                return false;
            }

            byte[] data = cipher.ToArray();
            Des(data, forEncryption: false);
            byte[] unpadded = data[..^fipsPadLength];
            CryptographicOperations.ZeroMemory(data);
            byte[] expected = FipsSignature(unpadded, EncryptionCount);
            EncryptionCount++;
            return Accept(unpadded, expected, signature, out plain);
        }

        UpdateKeyIfDue();
        byte[] decrypted = new byte[cipher.Length];
        _rc4!.ProcessBytes(cipher, decrypted);
        _keyUseCount++;
        byte[] mac = MacSignature(decrypted, salted ? EncryptionCount : null);
        EncryptionCount++;
        return Accept(decrypted, mac, signature, out plain);
    }

    private const int NonFipsSignatureLength = 8;

    private bool Accept(byte[] decrypted, byte[] expected, ReadOnlySpan<byte> signature, out byte[] plain)
    {
        if (CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            plain = decrypted;
            return true;
        }

        CryptographicOperations.ZeroMemory(decrypted);
        plain = [];
        _failed = true;
        return false;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
        {
            throw new InvalidOperationException("the cipher is out of step after a failed signature check");
        }
    }

    /// <summary>
    /// MS-RDPBCGR 5.3.6.1: MACSignature = First64Bits(MD5(MACKeyN + Pad2 + SHA(MACKeyN + Pad1 + DataLength + Data))),
    /// with the encryption count after the data for the salted MAC of 5.3.6.1.1.
    /// </summary>
    private byte[] MacSignature(ReadOnlySpan<byte> data, uint? encryptionCount)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)data.Length);
        var sha1 = new Sha1Digest();
        sha1.BlockUpdate(_macKey);
        sha1.BlockUpdate(Pad1);
        sha1.BlockUpdate(length);
        sha1.BlockUpdate(data);
        if (encryptionCount is { } count)
        {
            Span<byte> countBytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(countBytes, count);
            sha1.BlockUpdate(countBytes);
        }

        Span<byte> shaDigest = stackalloc byte[20];
        sha1.DoFinal(shaDigest);
        var md5 = new MD5Digest();
        md5.BlockUpdate(_macKey);
        md5.BlockUpdate(Pad2);
        md5.BlockUpdate(shaDigest);
        Span<byte> md5Digest = stackalloc byte[16];
        md5.DoFinal(md5Digest);
        byte[] signature = md5Digest[..NonFipsSignatureLength].ToArray();
        CryptographicOperations.ZeroMemory(shaDigest);
        CryptographicOperations.ZeroMemory(md5Digest);
        return signature;
    }

    /// <summary>MS-RDPBCGR 5.3.6.2: First64Bits(HMAC-SHA1(HMACKey, Data + EncryptionCount)).</summary>
    private byte[] FipsSignature(ReadOnlySpan<byte> data, uint encryptionCount)
    {
        var hmac = new HMac(new Sha1Digest());
        hmac.Init(new KeyParameter(_macKey));
        hmac.BlockUpdate(data);
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(count, encryptionCount);
        hmac.BlockUpdate(count);
        Span<byte> full = stackalloc byte[20];
        hmac.DoFinal(full);
        byte[] signature = full[..NonFipsSignatureLength].ToArray();
        CryptographicOperations.ZeroMemory(full);
        return signature;
    }

    /// <summary>3DES-CBC whose chaining value carries over from one packet to the next, as FreeRDP and Windows do.</summary>
    private void Des(byte[] data, bool forEncryption)
    {
        if (!_desInitialized)
        {
            _des!.Init(forEncryption, new ParametersWithIV(new DesEdeParameters(_currentKey), FipsIv.ToArray()));
            _desInitialized = true;
            _desForEncryption = forEncryption;
        }
        else if (_desForEncryption != forEncryption)
        {
            throw new InvalidOperationException("a FIPS cipher either encrypts or decrypts, not both");
        }

        for (int offset = 0; offset < data.Length; offset += 8)
        {
            _des!.ProcessBlock(data, offset, data, offset);
        }
    }

    /// <summary>
    /// MS-RDPBCGR 5.3.7: after 4096 packets, TempKey = First(keylen)(MD5(InitialKey + Pad2 + SHA(InitialKey + Pad1 +
    /// CurrentKey))), NewKey = RC4(TempKey) applied to TempKey, salted again for 40/56-bit keys, and RC4 restarts.
    /// </summary>
    private void UpdateKeyIfDue()
    {
        if (_keyUseCount < KeyUpdateInterval)
        {
            return;
        }

        var sha1 = new Sha1Digest();
        sha1.BlockUpdate(_initialKey);
        sha1.BlockUpdate(Pad1);
        sha1.BlockUpdate(_currentKey);
        Span<byte> shaDigest = stackalloc byte[20];
        sha1.DoFinal(shaDigest);
        var md5 = new MD5Digest();
        md5.BlockUpdate(_initialKey);
        md5.BlockUpdate(Pad2);
        md5.BlockUpdate(shaDigest);
        Span<byte> md5Digest = stackalloc byte[16];
        md5.DoFinal(md5Digest);
        byte[] tempKey = md5Digest[.._currentKey.Length].ToArray();
        var rc4 = new RC4Engine();
        rc4.Init(true, new KeyParameter(tempKey));
        rc4.ProcessBytes(tempKey, _currentKey);
        StandardSecurityKeys.ApplySalt(_currentKey, _method);
        CryptographicOperations.ZeroMemory(tempKey);
        CryptographicOperations.ZeroMemory(shaDigest);
        CryptographicOperations.ZeroMemory(md5Digest);
        ResetRc4();
        _keyUseCount = 0;
        KeyUpdates++;
    }

    private void ResetRc4()
    {
        _rc4 = new RC4Engine();
        _rc4.Init(true, new KeyParameter(_currentKey));
    }

    private bool _disposed;

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_initialKey);
        CryptographicOperations.ZeroMemory(_currentKey);
        CryptographicOperations.ZeroMemory(_macKey);
        _rc4?.Reset();
        _des?.Reset();
        _disposed = true;
    }
}
