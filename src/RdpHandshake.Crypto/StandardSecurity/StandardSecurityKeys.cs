using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using RdpHandshake.Protocol.Security;

namespace RdpHandshake.Crypto.StandardSecurity;

/// <summary>
/// The session keys of one endpoint for one connection. The client's encrypt key is the server's decrypt key and
/// the other way round; the MAC (or FIPS HMAC) key is shared.
/// </summary>
public sealed class SessionKeys : IDisposable
{
    internal SessionKeys(EncryptionMethod method, byte[] encryptKey, byte[] decryptKey, byte[] macKey)
    {
        Method = method;
        EncryptKey = encryptKey;
        DecryptKey = decryptKey;
        MacKey = macKey;
    }

    public EncryptionMethod Method { get; }

    /// <summary>The key this side encrypts with: 8 bytes (40/56-bit, salted), 16 (128-bit) or 24 (FIPS 3DES).</summary>
    public byte[] EncryptKey { get; }

    /// <summary>The key this side decrypts with (the peer's encrypt key).</summary>
    public byte[] DecryptKey { get; }

    /// <summary>The MAC key: MACKey40/56/128 (8 or 16 bytes), or the 20-byte FIPS HMAC key.</summary>
    public byte[] MacKey { get; }

    /// <summary>A cipher for what this side sends.</summary>
    public RdpCipher CreateEncryptor() => new(Method, EncryptKey, MacKey);

    /// <summary>A cipher for what this side receives.</summary>
    public RdpCipher CreateDecryptor() => new(Method, DecryptKey, MacKey);

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(EncryptKey);
        CryptographicOperations.ZeroMemory(DecryptKey);
        CryptographicOperations.ZeroMemory(MacKey);
    }
}

/// <summary>
/// MS-RDPBCGR 5.3.5 session key generation from the client and server randoms: non-FIPS (5.3.5.1) RC4 keys with
/// the 40/56-bit reductions, or FIPS (5.3.5.2) 3DES and HMAC-SHA1 keys.
/// </summary>
public sealed class StandardSecurityKeys : IDisposable
{
    /// <summary>The 40-bit and 56-bit salt (MS-RDPBCGR 5.3.5.1): 40-bit keys take all three bytes, 56-bit keys the first.</summary>
    internal static ReadOnlySpan<byte> ReductionSalt => [0xD1, 0x26, 0x9E];

    private StandardSecurityKeys(SessionKeys client, SessionKeys server)
    {
        Client = client;
        Server = server;
    }

    /// <summary>The client's view: it encrypts with InitialClientEncryptKey and decrypts with InitialClientDecryptKey.</summary>
    public SessionKeys Client { get; }

    /// <summary>The server's view: the same keys with the directions swapped.</summary>
    public SessionKeys Server { get; }

    /// <summary>Derives both sides' keys for the method the server selected (a single method, not a mask).</summary>
    public static StandardSecurityKeys Derive(ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, EncryptionMethod method)
    {
        if (clientRandom.Length != RdpRsa.ClientRandomLength || serverRandom.Length != RdpRsa.ClientRandomLength)
        {
            throw new ArgumentException("the client and server randoms are 32 bytes each");
        }

        return method switch
        {
            EncryptionMethod.Bit40 or EncryptionMethod.Bit56 or EncryptionMethod.Bit128 => DeriveNonFips(clientRandom, serverRandom, method),
            EncryptionMethod.Fips => DeriveFips(clientRandom, serverRandom),
            _ => throw new ArgumentOutOfRangeException(nameof(method), $"{EncryptionNames.Method(method)} has no session keys"),
        };
    }

    private static StandardSecurityKeys DeriveNonFips(ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, EncryptionMethod method)
    {
        // PreMasterSecret = First192Bits(ClientRandom) + First192Bits(ServerRandom)
        byte[] preMasterSecret = [.. clientRandom[..24], .. serverRandom[..24]];
        byte[] masterSecret = SaltedHashTriple(preMasterSecret, "A"u8, "BB"u8, "CCC"u8, clientRandom, serverRandom);
        byte[] sessionKeyBlob = SaltedHashTriple(masterSecret, "X"u8, "YY"u8, "ZZZ"u8, clientRandom, serverRandom);
        try
        {
            // MACKey128 = First128Bits(SessionKeyBlob); the client decrypts with FinalHash(Second128Bits) and
            // encrypts with FinalHash(Third128Bits).
            byte[] macKey = sessionKeyBlob[..16];
            byte[] clientDecrypt = FinalHash(sessionKeyBlob.AsSpan(16, 16), clientRandom, serverRandom);
            byte[] clientEncrypt = FinalHash(sessionKeyBlob.AsSpan(32, 16), clientRandom, serverRandom);
            if (method != EncryptionMethod.Bit128)
            {
                macKey = Reduce(macKey, method);
                clientDecrypt = Reduce(clientDecrypt, method);
                clientEncrypt = Reduce(clientEncrypt, method);
            }

            return new StandardSecurityKeys(
                new SessionKeys(method, clientEncrypt, clientDecrypt, macKey),
                new SessionKeys(method, clientDecrypt.ToArray(), clientEncrypt.ToArray(), macKey.ToArray()));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(preMasterSecret);
            CryptographicOperations.ZeroMemory(masterSecret);
            CryptographicOperations.ZeroMemory(sessionKeyBlob);
        }
    }

    /// <summary>MS-RDPBCGR 5.3.5.1: the first 64 bits of a 128-bit key with the 40-bit or 56-bit salt over its first bytes.</summary>
    internal static byte[] Reduce(byte[] key128, EncryptionMethod method)
    {
        byte[] reduced = key128[..8];
        CryptographicOperations.ZeroMemory(key128);
        ApplySalt(reduced, method);
        return reduced;
    }

    internal static void ApplySalt(Span<byte> key, EncryptionMethod method)
    {
        if (method == EncryptionMethod.Bit40)
        {
            ReductionSalt.CopyTo(key);
        }
        else if (method == EncryptionMethod.Bit56)
        {
            key[0] = ReductionSalt[0];
        }
    }

    /// <summary>SaltedHash(S, I) = MD5(S + SHA(I + S + ClientRandom + ServerRandom)), three times, concatenated.</summary>
    private static byte[] SaltedHashTriple(byte[] salt, ReadOnlySpan<byte> i1, ReadOnlySpan<byte> i2, ReadOnlySpan<byte> i3, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom)
    {
        byte[] output = new byte[48];
        SaltedHash(salt, i1, clientRandom, serverRandom, output.AsSpan(0, 16));
        SaltedHash(salt, i2, clientRandom, serverRandom, output.AsSpan(16, 16));
        SaltedHash(salt, i3, clientRandom, serverRandom, output.AsSpan(32, 16));
        return output;
    }

    private static void SaltedHash(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> input, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, Span<byte> output)
    {
        Span<byte> sha = stackalloc byte[20];
        Digest(new Sha1Digest(), sha, input, salt, clientRandom, serverRandom);
        Digest(new MD5Digest(), output, salt, sha);
        CryptographicOperations.ZeroMemory(sha);
    }

    /// <summary>FinalHash(K) = MD5(K + ClientRandom + ServerRandom).</summary>
    private static byte[] FinalHash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom)
    {
        byte[] output = new byte[16];
        Digest(new MD5Digest(), output, key, clientRandom, serverRandom);
        return output;
    }

    private static StandardSecurityKeys DeriveFips(ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom)
    {
        // ClientEncryptKeyT = SHA(Last128Bits(ClientRandom) + Last128Bits(ServerRandom)), its first byte appended;
        // ClientDecryptKeyT likewise over the first 128 bits; the HMAC key is SHA(DecryptKeyT + EncryptKeyT) over the
        // 20-byte hashes.
        byte[] encryptT = new byte[21];
        byte[] decryptT = new byte[21];
        Digest(new Sha1Digest(), encryptT.AsSpan(0, 20), clientRandom[16..], serverRandom[16..]);
        Digest(new Sha1Digest(), decryptT.AsSpan(0, 20), clientRandom[..16], serverRandom[..16]);
        encryptT[20] = encryptT[0];
        decryptT[20] = decryptT[0];
        byte[] hmacKey = new byte[20];
        Digest(new Sha1Digest(), hmacKey, decryptT.AsSpan(0, 20), encryptT.AsSpan(0, 20));
        byte[] clientEncrypt = ExpandDesKey(encryptT);
        byte[] clientDecrypt = ExpandDesKey(decryptT);
        CryptographicOperations.ZeroMemory(encryptT);
        CryptographicOperations.ZeroMemory(decryptT);
        return new StandardSecurityKeys(
            new SessionKeys(EncryptionMethod.Fips, clientEncrypt, clientDecrypt, hmacKey),
            new SessionKeys(EncryptionMethod.Fips, clientDecrypt.ToArray(), clientEncrypt.ToArray(), hmacKey.ToArray()));
    }

    /// <summary>
    /// MS-RDPBCGR 5.3.5.2: spreads 168 key bits over the 24 bytes of a 3DES key, 7 bits a byte, and gives each byte
    /// odd parity. The bit order is the one Windows and FreeRDP use: the input is read least significant bit first,
    /// each 7-bit group is stored bit-reversed, and the parity bit is the least significant bit.
    /// </summary>
    internal static byte[] ExpandDesKey(ReadOnlySpan<byte> key168)
    {
        byte[] output = new byte[24];
        for (int i = 0; i < 24; i++)
        {
            // Bit b of the stream is bit (b % 8) of byte b / 8, counted from the least significant bit.
            int value = 0;
            for (int j = 0; j < 7; j++)
            {
                int b = i * 7 + j;
                int bit = (key168[b / 8] >> (b % 8)) & 1;
                value |= bit << j;
            }

            // The 7 stream bits sit in bits 0..6; the parity rule then overwrites bit 0 (DES ignores it anyway).
            int parityFree = value & 0xFE;
            int ones = System.Numerics.BitOperations.PopCount((uint)parityFree);
            output[i] = (byte)(parityFree | (ones % 2 == 0 ? 1 : 0));
        }

        return output;
    }

    internal static void Digest(IDigest digest, Span<byte> output, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        digest.BlockUpdate(a);
        digest.BlockUpdate(b);
        FinishDigest(digest, output);
    }

    internal static void Digest(IDigest digest, Span<byte> output, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        digest.BlockUpdate(a);
        digest.BlockUpdate(b);
        digest.BlockUpdate(c);
        FinishDigest(digest, output);
    }

    internal static void Digest(IDigest digest, Span<byte> output, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d)
    {
        digest.BlockUpdate(a);
        digest.BlockUpdate(b);
        digest.BlockUpdate(c);
        digest.BlockUpdate(d);
        FinishDigest(digest, output);
    }

    private static void FinishDigest(IDigest digest, Span<byte> output)
    {
        Span<byte> full = stackalloc byte[digest.GetDigestSize()];
        digest.DoFinal(full);
        full[..output.Length].CopyTo(output);
        CryptographicOperations.ZeroMemory(full);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
