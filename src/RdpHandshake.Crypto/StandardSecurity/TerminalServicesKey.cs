using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Security;

namespace RdpHandshake.Crypto.StandardSecurity;

/// <summary>
/// MS-RDPBCGR 5.3.3.1.1 Terminal Services Signing Key: the published 512-bit key pair that signs proprietary
/// server certificates, and the signature scheme of 5.3.3.1.2. Because the private half is public, a valid
/// signature proves nothing about the server; checking it only tells a well-formed certificate from a corrupt one.
/// </summary>
public static class TerminalServicesKey
{
    /// <summary>The modulus n, little-endian, as printed in MS-RDPBCGR 5.3.3.1.1.</summary>
    public static ReadOnlySpan<byte> Modulus =>
    [
        0x3d, 0x3a, 0x5e, 0xbd, 0x72, 0x43, 0x3e, 0xc9, 0x4d, 0xbb, 0xc1, 0x1e, 0x4a, 0xba, 0x5f, 0xcb,
        0x3e, 0x88, 0x20, 0x87, 0xef, 0xf5, 0xc1, 0xe2, 0xd7, 0xb7, 0x6b, 0x9a, 0xf2, 0x52, 0x45, 0x95,
        0xce, 0x63, 0x65, 0x6b, 0x58, 0x3a, 0xfe, 0xef, 0x7c, 0xe7, 0xbf, 0xfe, 0x3d, 0xf6, 0x5c, 0x7d,
        0x6c, 0x5e, 0x06, 0x09, 0x1a, 0xf5, 0x61, 0xbb, 0x20, 0x93, 0x09, 0x5f, 0x05, 0x6d, 0xea, 0x87,
    ];

    /// <summary>The public exponent e, little-endian (0xC0887B5B).</summary>
    public static ReadOnlySpan<byte> PublicExponent => [0x5b, 0x7b, 0x88, 0xc0];

    /// <summary>The private exponent d, little-endian, as published in MS-RDPBCGR 5.3.3.1.1.</summary>
    public static ReadOnlySpan<byte> PrivateExponent =>
    [
        0x87, 0xa7, 0x19, 0x32, 0xda, 0x11, 0x87, 0x55, 0x58, 0x00, 0x16, 0x16, 0x25, 0x65, 0x68, 0xf8,
        0x24, 0x3e, 0xe6, 0xfa, 0xe9, 0x67, 0x49, 0x94, 0xcf, 0x92, 0xcc, 0x33, 0x99, 0xe8, 0x08, 0x60,
        0x17, 0x9a, 0x12, 0x9f, 0x24, 0xdd, 0xb1, 0x24, 0x99, 0xc7, 0x3a, 0xb8, 0x0a, 0x7b, 0x0d, 0xdd,
        0x35, 0x07, 0x79, 0x17, 0x0b, 0x51, 0x9b, 0xb3, 0xc7, 0x10, 0x01, 0x13, 0xe7, 0x3f, 0xf3, 0x5f,
    ];

    /// <summary>The modulus size in bytes (64).</summary>
    public const int ModulusLength = 64;

    /// <summary>The SignatureBlob size: the 64-byte signature and 8 zero bytes.</summary>
    public const int SignatureBlobLength = ModulusLength + 8;

    /// <summary>
    /// MS-RDPBCGR 5.3.3.1.2: the block the private key signs, little-endian: MD5 of the signed bytes, 0x00, 45 bytes
    /// of 0xFF and 0x01 (63 bytes), then a zero top byte. The signature of MS-RDPBCGR 4.1.4 decrypts to exactly this.
    /// </summary>
    internal static byte[] SignatureBlock(ReadOnlySpan<byte> signedBytes)
    {
        byte[] block = new byte[ModulusLength];
        var md5 = new MD5Digest();
        md5.BlockUpdate(signedBytes);
        md5.DoFinal(block, 0);
        block[16] = 0x00;
        block.AsSpan(17, 45).Fill(0xFF);
        block[62] = 0x01;
        return block;
    }

    /// <summary>Signs <paramref name="signedBytes"/> and returns the 72-byte SignatureBlob.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> signedBytes)
    {
        byte[] block = SignatureBlock(signedBytes);
        byte[] signature = RdpRsa.ModPow(block, PrivateExponent, Modulus, SignatureBlobLength);
        return signature;
    }

    /// <summary>True when <paramref name="signatureBlob"/> is the Terminal Services signature of <paramref name="signedBytes"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> signedBytes, ReadOnlySpan<byte> signatureBlob)
    {
        // The blob is the signature followed by zero padding; anything longer than 72 bytes is not one.
        if (!(signatureBlob.Length >= ModulusLength && signatureBlob.Length <= SignatureBlobLength)
            || signatureBlob[ModulusLength..].ContainsAnyExcept((byte)0))
        {
            return false;
        }

        ReadOnlySpan<byte> signature = signatureBlob[..ModulusLength];
        if (RdpRsa.FromLittleEndian(signature).CompareTo(RdpRsa.FromLittleEndian(Modulus)) >= 0)
        {
            return false;
        }

        byte[] recovered = RdpRsa.ModPow(signature, PublicExponent, Modulus, ModulusLength);
        byte[] expected = SignatureBlock(signedBytes);
        return CryptographicOperations.FixedTimeEquals(recovered, expected);
    }

    /// <summary>MS-RDPBCGR 5.3.3.1.2: checks the signature of a proprietary certificate; false for an X.509 chain.</summary>
    public static bool VerifyCertificate(ServerCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.Proprietary is { } proprietary && Verify(certificate.GetSignedBytes(), proprietary.Signature.Span);
    }

    /// <summary>Returns the proprietary certificate with its SignatureBlob replaced by a valid signature.</summary>
    public static ServerCertificate SignCertificate(ServerCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ProprietaryCertificate proprietary = certificate.Proprietary
            ?? throw new ArgumentException("only a proprietary certificate carries a Terminal Services signature", nameof(certificate));
        return certificate with { Proprietary = proprietary with { Signature = new ByteString(Sign(certificate.GetSignedBytes())) } };
    }
}
