using System.Security.Cryptography;
using Org.BouncyCastle.Security;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Security;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace RdpHandshake.Crypto.StandardSecurity;

/// <summary>
/// The raw, unpadded, little-endian RSA of Standard RDP Security (MS-RDPBCGR 5.3.4.1): <c>c = r^e mod n</c> with
/// every integer read and written least significant byte first. There is no PKCS #1 padding anywhere.
/// </summary>
public static class RdpRsa
{
    /// <summary>The size of the client random (MS-RDPBCGR 5.3.4).</summary>
    public const int ClientRandomLength = 32;

    /// <summary>Reads unsigned little-endian bytes as a positive integer.</summary>
    internal static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes)
    {
        byte[] bigEndian = bytes.ToArray();
        Array.Reverse(bigEndian);
        return new BigInteger(1, bigEndian);
    }

    /// <summary>Writes a non-negative integer as exactly <paramref name="length"/> little-endian bytes.</summary>
    internal static byte[] ToLittleEndian(BigInteger value, int length)
    {
        byte[] bigEndian = value.ToByteArrayUnsigned();
        if (bigEndian.Length > length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"the value needs {bigEndian.Length} bytes, more than {length}");
        }

        byte[] result = new byte[length];
        for (int i = 0; i < bigEndian.Length; i++)
        {
            result[i] = bigEndian[bigEndian.Length - 1 - i];
        }

        CryptographicOperations.ZeroMemory(bigEndian);
        return result;
    }

    /// <summary><c>value^exponent mod modulus</c> over little-endian byte strings, written in <paramref name="outputLength"/> bytes.</summary>
    public static byte[] ModPow(ReadOnlySpan<byte> valueLe, ReadOnlySpan<byte> exponentLe, ReadOnlySpan<byte> modulusLe, int outputLength)
    {
        BigInteger modulus = FromLittleEndian(modulusLe);
        if (modulus.SignValue <= 0)
        {
            throw new ArgumentException("the modulus is zero", nameof(modulusLe));
        }

        BigInteger value = FromLittleEndian(valueLe);
        return ToLittleEndian(value.ModPow(FromLittleEndian(exponentLe), modulus), outputLength);
    }

    /// <summary>
    /// MS-RDPBCGR 5.3.4.1: encrypts the client random with the server's public key. The result is keylen bytes
    /// (the modulus length plus 8 zero bytes), ready for <see cref="SecurityExchangePdu.EncryptedClientRandom"/>.
    /// </summary>
    public static byte[] EncryptClientRandom(ReadOnlySpan<byte> clientRandom, RsaPublicKey serverKey)
    {
        ArgumentNullException.ThrowIfNull(serverKey);
        if (clientRandom.Length > serverKey.DataLength)
        {
            throw new ArgumentException($"the server key encrypts at most {serverKey.DataLength} bytes", nameof(clientRandom));
        }

        Span<byte> exponent = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(exponent, serverKey.PublicExponent);
        return ModPow(clientRandom, exponent, serverKey.Modulus.Span, serverKey.KeyLength);
    }
}

/// <summary>
/// An RSA key pair for the server side of Standard RDP Security: the test server generates one, publishes it in a
/// proprietary certificate signed with the Terminal Services key, and decrypts the client random with it.
/// </summary>
public sealed class RdpServerKeyPair : IDisposable
{
    private readonly byte[] _privateExponentLe;

    private RdpServerKeyPair(RsaPublicKey publicKey, byte[] privateExponentLe)
    {
        PublicKey = publicKey;
        _privateExponentLe = privateExponentLe;
    }

    /// <summary>The public half as an RSA_PUBLIC_KEY.</summary>
    public RsaPublicKey PublicKey { get; }

    /// <summary>
    /// Generates a key pair with public exponent 65537. Windows uses 512-bit keys in proprietary certificates;
    /// 2048 bits is the default here.
    /// </summary>
    public static RdpServerKeyPair Generate(int bits = 2048, SecureRandom? random = null)
    {
        if (!(bits % 8 == 0 && bits >= 512 && bits <= RsaPublicKey.MaxModulusBytes * 8))
        {
            throw new ArgumentOutOfRangeException(nameof(bits), "the key size must be a multiple of 8 from 512 bits up");
        }

        var generator = new Org.BouncyCastle.Crypto.Generators.RsaKeyPairGenerator();
        generator.Init(new Org.BouncyCastle.Crypto.Parameters.RsaKeyGenerationParameters(BigInteger.ValueOf(65537), random ?? new SecureRandom(), bits, 80));
        while (true)
        {
            var pair = generator.GenerateKeyPair();
            var publicKey = (Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters)pair.Public;
            var privateKey = (Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters)pair.Private;

            // INVARIANT: the modulus fills exactly bits / 8 bytes, so bitlen in the certificate is exact.
            if (publicKey.Modulus.BitLength != bits)
            {
                continue;
            }

            return FromComponents(
                RdpRsa.ToLittleEndian(publicKey.Modulus, bits / 8),
                (uint)publicKey.Exponent.IntValue,
                RdpRsa.ToLittleEndian(privateKey.Exponent, bits / 8));
        }
    }

    /// <summary>Builds a key pair from little-endian modulus and private exponent bytes.</summary>
    public static RdpServerKeyPair FromComponents(ReadOnlySpan<byte> modulusLe, uint publicExponent, ReadOnlySpan<byte> privateExponentLe) =>
        new(new RsaPublicKey(publicExponent, new ByteString(modulusLe)), privateExponentLe.ToArray());

    /// <summary>
    /// A CERT_CHAIN_VERSION_1 certificate for this key, signed with the Terminal Services signing key so that
    /// clients that check the signature (MS-RDPBCGR 5.3.3.1.2) accept it.
    /// </summary>
    public ServerCertificate CreateProprietaryCertificate(bool temporary = false) =>
        TerminalServicesKey.SignCertificate(new ServerCertificate(new ProprietaryCertificate(PublicKey, ByteString.Empty), null, temporary));

    /// <summary>
    /// Decrypts an encryptedClientRandom (padding included). False when the value is not below the modulus or does
    /// not decrypt to a 32-byte client random.
    /// </summary>
    public bool TryDecryptClientRandom(ReadOnlySpan<byte> encryptedClientRandom, out byte[] clientRandom)
    {
        clientRandom = [];
        ObjectDisposedException.ThrowIf(_disposed, this);
        BigInteger modulus = RdpRsa.FromLittleEndian(PublicKey.Modulus.Span);
        BigInteger cipher = RdpRsa.FromLittleEndian(encryptedClientRandom);
        if (cipher.CompareTo(modulus) >= 0)
        {
            return false;
        }

        byte[] plain = RdpRsa.ToLittleEndian(cipher.ModPow(RdpRsa.FromLittleEndian(_privateExponentLe), modulus), PublicKey.Modulus.Length);
        try
        {
            if (plain.AsSpan(RdpRsa.ClientRandomLength).ContainsAnyExcept((byte)0))
            {
                return false;
            }

            clientRandom = plain[..RdpRsa.ClientRandomLength];
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private bool _disposed;

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_privateExponentLe);
        _disposed = true;
    }
}
