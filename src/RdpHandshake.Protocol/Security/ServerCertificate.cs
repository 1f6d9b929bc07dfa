using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Security;

/// <summary>MS-RDPBCGR 2.2.1.4.3.1 <c>dwVersion</c> low 31 bits: which certificate variant follows.</summary>
public enum CertChainVersion : uint
{
    /// <summary>CERT_CHAIN_VERSION_1: a Proprietary Certificate (MS-RDPBCGR 2.2.1.4.3.1.1, 5.3.3.1).</summary>
    Proprietary = 0x0000_0001,

    /// <summary>CERT_CHAIN_VERSION_2: an X.509 certificate chain (MS-RDPBCGR 5.3.3.2, MS-RDPELE 2.2.1.4.2).</summary>
    X509 = 0x0000_0002,
}

/// <summary>
/// MS-RDPBCGR 2.2.1.4.3.1.1.1 RSA Public Key (RSA_PUBLIC_KEY): magic "RSA1", keylen, bitlen, datalen, pubExp and
/// the modulus, little-endian, followed by 8 bytes of padding.
/// </summary>
/// <param name="PublicExponent">pubExp.</param>
/// <param name="Modulus">The modulus as bitlen/8 little-endian bytes, without the padding.</param>
/// <param name="Padding">The 8 bytes after the modulus when they are not all zero; empty means 8 zero bytes.</param>
public sealed record RsaPublicKey(uint PublicExponent, ByteString Modulus, ByteString Padding = default) : IPdu<RsaPublicKey>
{
    /// <summary>"RSA1" read as a little-endian 32-bit integer.</summary>
    public const uint Magic = 0x3141_5352;

    /// <summary>The padding after the modulus: keylen = bitlen / 8 + 8 (MS-RDPBCGR 2.2.1.4.3.1.1.1).</summary>
    public const int ModulusPaddingSize = 8;

    /// <summary>The smallest modulus accepted: 64 bits, far below anything real, but above nonsense.</summary>
    public const int MinModulusBytes = 8;

    /// <summary>The largest modulus accepted: 16384 bits. A bigger keylen from a server is rejected before use.</summary>
    public const int MaxModulusBytes = 2048;

    public const int FixedPartSize = 4 /* magic */ + 4 /* keylen */ + 4 /* bitlen */ + 4 /* datalen */ + 4 /* pubExp */;

    public static string PduName => "RSA_PUBLIC_KEY";

    /// <summary>keylen: the modulus bytes plus the padding.</summary>
    public int KeyLength => Modulus.Length + ModulusPaddingSize;

    /// <summary>bitlen: the modulus size in bits.</summary>
    public int BitLength => Modulus.Length * 8;

    /// <summary>datalen: the most bytes the key can encrypt (bitlen / 8 - 1).</summary>
    public int DataLength => Modulus.Length - 1;

    public int Size => FixedPartSize + KeyLength;

    public void Encode(ref PduWriter writer)
    {
        if (!(Padding.IsEmpty || Padding.Length == ModulusPaddingSize))
        {
            ThrowHelper.ThrowArgument(nameof(Padding), $"the modulus padding must be {ModulusPaddingSize} bytes, not {Padding.Length}");
        }

        writer.WriteUInt32Le(Magic);
        writer.WriteUInt32Le((uint)KeyLength);
        writer.WriteUInt32Le((uint)BitLength);
        writer.WriteUInt32Le((uint)DataLength);
        writer.WriteUInt32Le(PublicExponent);
        writer.WriteBytes(Modulus.Span);
        if (Padding.IsEmpty)
        {
            writer.WriteZeros(ModulusPaddingSize);
        }
        else
        {
            writer.WriteBytes(Padding.Span);
        }
    }

    public static DecodeResult<RsaPublicKey> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        uint magic = reader.ReadUInt32Le();
        if (magic != Magic)
        {
            return DecodeError.InvalidField(PduName, "magic", "must be \"RSA1\" (0x31415352)", start, Magic, magic);
        }

        uint keyLength = reader.ReadUInt32Le();
        uint bitLength = reader.ReadUInt32Le();
        uint dataLength = reader.ReadUInt32Le();
        uint exponent = reader.ReadUInt32Le();
        if (!(bitLength % 8 == 0 && bitLength / 8 >= MinModulusBytes))
        {
            return DecodeError.InvalidField(PduName, "bitlen", $"must be a multiple of 8 and at least {MinModulusBytes * 8}", start + 8, null, bitLength);
        }

        if (bitLength / 8 > MaxModulusBytes)
        {
            return DecodeError.LengthLimit(PduName, "bitlen", start + 8, MaxModulusBytes * 8, bitLength);
        }

        int modulusLength = (int)(bitLength / 8);
        if (keyLength != (uint)(modulusLength + ModulusPaddingSize))
        {
            return DecodeError.InvalidField(PduName, "keylen", "must be bitlen / 8 + 8", start + 4, modulusLength + ModulusPaddingSize, keyLength);
        }

        if (dataLength != (uint)(modulusLength - 1))
        {
            return DecodeError.InvalidField(PduName, "datalen", "must be bitlen / 8 - 1", start + 12, modulusLength - 1, dataLength);
        }

        if (reader.Ensure(modulusLength + ModulusPaddingSize, PduName) is { } shortModulus)
        {
            return shortModulus;
        }

        var modulus = new ByteString(reader.ReadBytes(modulusLength));
        ReadOnlySpan<byte> padding = reader.ReadBytes(ModulusPaddingSize);
        return new RsaPublicKey(exponent, modulus, padding.ContainsAnyExcept((byte)0) ? new ByteString(padding) : ByteString.Empty);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.4.3.1.1 Server Proprietary Certificate (PROPRIETARYSERVERCERTIFICATE) without its leading
/// <c>dwVersion</c>, which <see cref="ServerCertificate"/> carries.
/// </summary>
/// <param name="PublicKey">PublicKeyBlob (wPublicKeyBlobType BB_RSA_KEY_BLOB).</param>
/// <param name="Signature">SignatureBlob (wSignatureBlobType BB_RSA_SIGNATURE_BLOB), MS-RDPBCGR 5.3.3.1.2.</param>
/// <param name="SignatureAlgorithmId">dwSigAlgId; the spec requires SIGNATURE_ALG_RSA (1).</param>
/// <param name="KeyAlgorithmId">dwKeyAlgId; the spec requires KEY_EXCHANGE_ALG_RSA (1).</param>
public sealed record ProprietaryCertificate(
    RsaPublicKey PublicKey,
    ByteString Signature,
    uint SignatureAlgorithmId = ProprietaryCertificate.SignatureAlgRsa,
    uint KeyAlgorithmId = ProprietaryCertificate.KeyExchangeAlgRsa)
{
    public const uint SignatureAlgRsa = 0x0000_0001;

    public const uint KeyExchangeAlgRsa = 0x0000_0001;

    /// <summary>BB_RSA_KEY_BLOB.</summary>
    public const ushort RsaKeyBlobType = 0x0006;

    /// <summary>BB_RSA_SIGNATURE_BLOB.</summary>
    public const ushort RsaSignatureBlobType = 0x0008;

    /// <summary>The size of everything after dwVersion.</summary>
    internal int BodySize =>
        4 /* dwSigAlgId */ + 4 /* dwKeyAlgId */ + 2 /* wPublicKeyBlobType */ + 2 /* wPublicKeyBlobLen */ + PublicKey.Size
        + 2 /* wSignatureBlobType */ + 2 /* wSignatureBlobLen */ + Signature.Length;
}

/// <summary>
/// MS-RDPBCGR 5.3.3.2 / MS-RDPELE 2.2.1.4.2 X.509 Certificate Chain: NumCertBlobs, then each certificate as
/// cbCert and its DER bytes, root first; the server's key is in the last one. Padding follows.
/// </summary>
/// <param name="Certificates">The DER certificates in wire order.</param>
/// <param name="Padding">The bytes after the last certificate when they are not the 8 + 4 * NumCertBlobs zero bytes the spec describes; null means those.</param>
public sealed record X509CertificateChain(IReadOnlyList<ByteString> Certificates, ByteString? Padding = null)
{
    /// <summary>The most certificates MS-RDPELE 2.2.1.4.2 allows in a chain.</summary>
    public const int MaxCertBlobs = 200;

    /// <summary>The largest single certificate accepted (64 KiB).</summary>
    public const int MaxCertificateLength = 65_536;

    /// <summary>The server certificate: the last in the chain.</summary>
    public ByteString Leaf => Certificates[^1];

    internal int DefaultPaddingSize => 8 + 4 * Certificates.Count;

    internal int BodySize => 4 /* NumCertBlobs */ + Certificates.Sum(c => 4 /* cbCert */ + c.Length)
        + (Padding?.Length ?? DefaultPaddingSize);

    public bool Equals(X509CertificateChain? other) =>
        other is not null && Padding == other.Padding && Certificates.SequenceEqual(other.Certificates);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Padding);
        foreach (ByteString certificate in Certificates)
        {
            hash.Add(certificate);
        }

        return hash.ToHashCode();
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.4.3.1 Server Certificate (SERVER_CERTIFICATE), the <c>serverCertificate</c> of the Server
/// Security Data: a <c>dwVersion</c> whose low 31 bits choose a proprietary certificate or an X.509 chain and
/// whose top bit (t) marks a temporary certificate. Exactly one of <see cref="Proprietary"/> and
/// <see cref="X509Chain"/> is set.
/// </summary>
/// <param name="Proprietary">The CERT_CHAIN_VERSION_1 body.</param>
/// <param name="X509Chain">The CERT_CHAIN_VERSION_2 body.</param>
/// <param name="IsTemporary">The t bit (0x80000000) of dwVersion.</param>
public sealed record ServerCertificate(
    ProprietaryCertificate? Proprietary = null,
    X509CertificateChain? X509Chain = null,
    bool IsTemporary = false) : IPdu<ServerCertificate>
{
    /// <summary>The t bit of dwVersion.</summary>
    public const uint TemporaryFlag = 0x8000_0000;

    public const int FixedPartSize = 4 /* dwVersion */;

    public static string PduName => "SERVER_CERTIFICATE";

    public CertChainVersion Version
    {
        get
        {
            if ((Proprietary is null) == (X509Chain is null))
            {
                ThrowHelper.ThrowInvalidState($"encoding {PduName}", "exactly one of Proprietary and X509Chain must be set");
            }

            return Proprietary is not null ? CertChainVersion.Proprietary : CertChainVersion.X509;
        }
    }

    /// <summary>dwVersion as sent: the chain version with the t bit.</summary>
    public uint DwVersion => (uint)Version | (IsTemporary ? TemporaryFlag : 0);

    public int Size => FixedPartSize + (Proprietary?.BodySize ?? X509Chain!.BodySize);

    /// <summary>
    /// MS-RDPBCGR 5.3.3.1.2: the bytes the proprietary signature covers, from dwVersion through the end of
    /// PublicKeyBlob; empty for an X.509 chain.
    /// </summary>
    public byte[] GetSignedBytes()
    {
        if (Proprietary is null)
        {
            return [];
        }

        byte[] encoded = Pdu.Encode(this);
        int signedLength = FixedPartSize + 4 /* dwSigAlgId */ + 4 /* dwKeyAlgId */ + 2 /* wPublicKeyBlobType */ + 2 /* wPublicKeyBlobLen */ + Proprietary.PublicKey.Size;
        return encoded[..signedLength];
    }

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(DwVersion);
        if (Proprietary is { } cert)
        {
            if (cert.PublicKey.Size > ushort.MaxValue || cert.Signature.Length > ushort.MaxValue)
            {
                ThrowHelper.ThrowArgument(nameof(Proprietary), "a proprietary certificate blob exceeds 65535 bytes");
            }

            writer.WriteUInt32Le(cert.SignatureAlgorithmId);
            writer.WriteUInt32Le(cert.KeyAlgorithmId);
            writer.WriteUInt16Le(ProprietaryCertificate.RsaKeyBlobType);
            writer.WriteUInt16Le((ushort)cert.PublicKey.Size);
            cert.PublicKey.Encode(ref writer);
            writer.WriteUInt16Le(ProprietaryCertificate.RsaSignatureBlobType);
            writer.WriteUInt16Le((ushort)cert.Signature.Length);
            writer.WriteBytes(cert.Signature.Span);
            return;
        }

        X509CertificateChain chain = X509Chain!;
        if (!(chain.Certificates.Count is >= 1 and <= X509CertificateChain.MaxCertBlobs))
        {
            ThrowHelper.ThrowArgument(nameof(X509Chain), $"a chain holds 1 to {X509CertificateChain.MaxCertBlobs} certificates, not {chain.Certificates.Count}");
        }

        writer.WriteUInt32Le((uint)chain.Certificates.Count);
        foreach (ByteString certificate in chain.Certificates)
        {
            writer.WriteUInt32Le((uint)certificate.Length);
            writer.WriteBytes(certificate.Span);
        }

        if (chain.Padding is { } padding)
        {
            writer.WriteBytes(padding.Span);
        }
        else
        {
            writer.WriteZeros(chain.DefaultPaddingSize);
        }
    }

    /// <summary>
    /// Decodes a server certificate. An X.509 chain's padding runs to the end of the input, so pass exactly the
    /// <c>serverCertLen</c> bytes.
    /// </summary>
    public static DecodeResult<ServerCertificate> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        uint dwVersion = reader.ReadUInt32Le();
        bool temporary = (dwVersion & TemporaryFlag) != 0;
        return (dwVersion & ~TemporaryFlag) switch
        {
            (uint)CertChainVersion.Proprietary => DecodeProprietary(ref reader, temporary),
            (uint)CertChainVersion.X509 => DecodeX509(ref reader, temporary),
            uint other => new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "dwVersion",
                $"expected CERT_CHAIN_VERSION_1 or CERT_CHAIN_VERSION_2, got {other}", start, null, other),
        };
    }

    private static DecodeResult<ServerCertificate> DecodeProprietary(ref PduReader reader, bool temporary)
    {
        const string context = "PROPRIETARYSERVERCERTIFICATE";
        const int headerSize = 4 /* dwSigAlgId */ + 4 /* dwKeyAlgId */ + 2 /* wPublicKeyBlobType */ + 2 /* wPublicKeyBlobLen */;
        if (reader.Ensure(headerSize, context) is { } missing)
        {
            return missing;
        }

        uint sigAlgId = reader.ReadUInt32Le();
        uint keyAlgId = reader.ReadUInt32Le();
        int typeOffset = reader.Position;
        ushort keyBlobType = reader.ReadUInt16Le();
        if (keyBlobType != ProprietaryCertificate.RsaKeyBlobType)
        {
            return DecodeError.InvalidField(context, "wPublicKeyBlobType", "must be BB_RSA_KEY_BLOB (0x0006)", typeOffset, ProprietaryCertificate.RsaKeyBlobType, keyBlobType);
        }

        ushort keyBlobLength = reader.ReadUInt16Le();
        if (reader.Ensure(keyBlobLength, context) is { } shortKey)
        {
            return shortKey;
        }

        int keyStart = reader.Position;
        var keyReader = new PduReader(reader.ReadBytes(keyBlobLength));
        DecodeResult<RsaPublicKey> key = RsaPublicKey.Decode(ref keyReader);
        if (!key.IsSuccess)
        {
            return key.Error with { Context = $"{context}: {key.Error.Context}", Offset = key.Error.Offset + keyStart };
        }

        if (keyReader.Remaining != 0)
        {
            return DecodeError.InvalidField(context, "wPublicKeyBlobLen", "must equal the size of the RSA_PUBLIC_KEY", typeOffset + 2, key.Value.Size, keyBlobLength);
        }

        if (reader.Ensure(2 /* wSignatureBlobType */ + 2 /* wSignatureBlobLen */, context) is { } missingSignature)
        {
            return missingSignature;
        }

        int signatureTypeOffset = reader.Position;
        ushort signatureBlobType = reader.ReadUInt16Le();
        if (signatureBlobType != ProprietaryCertificate.RsaSignatureBlobType)
        {
            return DecodeError.InvalidField(context, "wSignatureBlobType", "must be BB_RSA_SIGNATURE_BLOB (0x0008)", signatureTypeOffset, ProprietaryCertificate.RsaSignatureBlobType, signatureBlobType);
        }

        ushort signatureLength = reader.ReadUInt16Le();
        if (reader.Ensure(signatureLength, context) is { } shortSignature)
        {
            return shortSignature;
        }

        var signature = new ByteString(reader.ReadBytes(signatureLength));
        return new ServerCertificate(new ProprietaryCertificate(key.Value, signature, sigAlgId, keyAlgId), null, temporary);
    }

    private static DecodeResult<ServerCertificate> DecodeX509(ref PduReader reader, bool temporary)
    {
        const string context = "X509_CERTIFICATE_CHAIN";
        if (reader.Ensure(4 /* NumCertBlobs */, context) is { } missing)
        {
            return missing;
        }

        int countOffset = reader.Position;
        uint count = reader.ReadUInt32Le();
        if (count == 0)
        {
            return DecodeError.InvalidField(context, "NumCertBlobs", "a chain needs at least one certificate", countOffset, 2, count);
        }

        if (count > X509CertificateChain.MaxCertBlobs)
        {
            return DecodeError.LengthLimit(context, "NumCertBlobs", countOffset, X509CertificateChain.MaxCertBlobs, count);
        }

        // INVARIANT: count <= MaxCertBlobs, so the list is small whatever the input says.
        var certificates = new List<ByteString>((int)count);
        for (int i = 0; i < count; i++)
        {
            if (reader.Ensure(4 /* cbCert */, context) is { } missingLength)
            {
                return missingLength;
            }

            int lengthOffset = reader.Position;
            uint length = reader.ReadUInt32Le();
            if (length == 0)
            {
                return DecodeError.InvalidField(context, "cbCert", $"certificate {i} is empty", lengthOffset, null, 0);
            }

            if (length > X509CertificateChain.MaxCertificateLength)
            {
                return DecodeError.LengthLimit(context, "cbCert", lengthOffset, X509CertificateChain.MaxCertificateLength, length);
            }

            if (reader.Ensure((int)length, context) is { } shortCertificate)
            {
                return shortCertificate;
            }

            certificates.Add(new ByteString(reader.ReadBytes((int)length)));
        }

        ReadOnlySpan<byte> padding = reader.ReadBytes(reader.Remaining);
        bool defaultPadding = padding.Length == 8 + 4 * certificates.Count && !padding.ContainsAnyExcept((byte)0);
        return new ServerCertificate(null, new X509CertificateChain(certificates, defaultPadding ? null : new ByteString(padding)), temporary);
    }
}
