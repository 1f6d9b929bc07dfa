using System.Buffers.Binary;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;

namespace RdpHandshake.Protocol.Licensing;

/// <summary>
/// MS-RDPELE 2.2.2.1 Server License Request (SERVER_LICENSE_REQUEST), bMsgType LICENSE_REQUEST: starts the
/// licensing handshake when the server wants to license the client.
/// </summary>
/// <param name="ServerRandom">32 random bytes, an input of the licensing keys (MS-RDPELE 5.1.3).</param>
/// <param name="ProductInfo">The product the license is for.</param>
/// <param name="KeyExchangeList">BB_KEY_EXCHG_ALG_BLOB: 32-bit key exchange algorithm ids (see <see cref="KeyExchangeAlgorithms"/>).</param>
/// <param name="ServerCertificate">
/// BB_CERTIFICATE_BLOB: a proprietary certificate (MS-RDPBCGR 2.2.1.4.3.1) or an X.509 chain
/// (2.2.1.4.2), whose RSA key encrypts the pre-master secret. Kept opaque here.
/// </param>
/// <param name="ScopeList">The BB_SCOPE_BLOBs of the SCOPE_LIST, each an ANSI null-terminated issuer name.</param>
public sealed record ServerLicenseRequest(
    ByteString ServerRandom,
    ProductInfo ProductInfo,
    LicenseBinaryBlob KeyExchangeList,
    LicenseBinaryBlob ServerCertificate,
    IReadOnlyList<LicenseBinaryBlob> ScopeList) : LicensingMessage, IPdu<ServerLicenseRequest>
{
    public const int RandomLength = 32;

    public const int FixedPartSize = RandomLength /* ServerRandom */ + ProductInfo.FixedPartSize /* ProductInfo */
        + LicenseBinaryBlob.FixedPartSize /* KeyExchangeList */ + LicenseBinaryBlob.FixedPartSize /* ServerCertificate */
        + 4 /* ScopeCount */;

    public static string PduName => "SERVER_LICENSE_REQUEST";

    public override LicenseMessageType MessageType => LicenseMessageType.LicenseRequest;

    public override int Size =>
        RandomLength + ProductInfo.Size + KeyExchangeList.Size + ServerCertificate.Size + 4 /* ScopeCount */ + ScopeList.Sum(s => s.Size);

    /// <summary>The key exchange algorithm ids of <see cref="KeyExchangeList"/> (trailing bytes short of an id are ignored).</summary>
    public IReadOnlyList<uint> KeyExchangeAlgorithms
    {
        get
        {
            ReadOnlySpan<byte> data = KeyExchangeList.Data.Span;
            var ids = new uint[data.Length / 4];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = BinaryPrimitives.ReadUInt32LittleEndian(data[(4 * i)..]);
            }

            return ids;
        }
    }

    /// <summary>The scope names (issuers), ANSI text up to the first NUL.</summary>
    public IReadOnlyList<string> Scopes =>
        ScopeList.Select(s =>
        {
            ReadOnlySpan<byte> data = s.Data.Span;
            int nul = data.IndexOf((byte)0);
            return RdpText.DecodeAnsi(nul < 0 ? data : data[..nul]);
        }).ToArray();

    /// <summary>A SCOPE as servers send it: a BB_SCOPE_BLOB holding the name and its NUL.</summary>
    public static LicenseBinaryBlob Scope(string name)
    {
        byte[] bytes = new byte[name.Length + 1];
        RdpText.WriteAnsi(bytes, name);
        return new LicenseBinaryBlob(LicenseBlobType.Scope, new ByteString(bytes));
    }

    public override void Encode(ref PduWriter writer)
    {
        if (ServerRandom.Length != RandomLength)
        {
            ThrowHelper.ThrowArgument(nameof(ServerRandom), $"the server random is {RandomLength} bytes");
        }

        writer.WriteBytes(ServerRandom.Span);
        ProductInfo.Encode(ref writer);
        KeyExchangeList.Encode(ref writer);
        ServerCertificate.Encode(ref writer);
        writer.WriteUInt32Le((uint)ScopeList.Count);
        foreach (LicenseBinaryBlob scope in ScopeList)
        {
            scope.Encode(ref writer);
        }
    }

    public static DecodeResult<ServerLicenseRequest> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var random = new ByteString(reader.ReadBytes(RandomLength));
        DecodeResult<ProductInfo> product = ProductInfo.Decode(ref reader);
        if (!product.IsSuccess)
        {
            return product.Error with { Context = $"{PduName}: {product.Error.Context}" };
        }

        DecodeResult<LicenseBinaryBlob> keyExchange = LicenseBinaryBlob.DecodeField(ref reader, PduName, "KeyExchangeList");
        if (!keyExchange.IsSuccess)
        {
            return keyExchange.Error;
        }

        DecodeResult<LicenseBinaryBlob> certificate = LicenseBinaryBlob.DecodeField(ref reader, PduName, "ServerCertificate");
        if (!certificate.IsSuccess)
        {
            return certificate.Error;
        }

        if (reader.Ensure(4 /* ScopeCount */, PduName) is { } noCount)
        {
            return noCount;
        }

        int countAt = reader.Position;
        uint count = reader.ReadUInt32Le();

        // Each SCOPE is at least a blob header: a count the remaining bytes cannot hold is rejected before any
        // list is sized from it.
        if (reader.Remaining / LicenseBinaryBlob.FixedPartSize < count)
        {
            return DecodeError.InvalidField(PduName, "ScopeCount", "more scopes than the remaining bytes can hold",
                countAt, reader.Remaining / LicenseBinaryBlob.FixedPartSize, count);
        }

        var scopes = new List<LicenseBinaryBlob>((int)count);
        for (uint i = 0; i < count; i++)
        {
            DecodeResult<LicenseBinaryBlob> scope = LicenseBinaryBlob.DecodeField(ref reader, PduName, $"ScopeArray[{i}]");
            if (!scope.IsSuccess)
            {
                return scope.Error;
            }

            scopes.Add(scope.Value);
        }

        return new ServerLicenseRequest(random, product.Value, keyExchange.Value, certificate.Value, scopes);
    }

    public bool Equals(ServerLicenseRequest? other) =>
        other is not null
        && ServerRandom == other.ServerRandom
        && ProductInfo == other.ProductInfo
        && KeyExchangeList == other.KeyExchangeList
        && ServerCertificate == other.ServerCertificate
        && ScopeList.SequenceEqual(other.ScopeList);

    public override int GetHashCode() => HashCode.Combine(ServerRandom, ProductInfo, KeyExchangeList, ServerCertificate, ScopeList.Count);
}

/// <summary>
/// MS-RDPELE 2.2.2.1.1 Product Information (PRODUCT_INFO). The names are UTF-16LE and null-terminated; the
/// <c>cb*</c> counts include the terminator.
/// </summary>
/// <param name="Version">dwVersion: the product version (0x00060000 in a Windows Server 2003 License Request).</param>
/// <param name="CompanyName">pbCompanyName without the terminator, e.g. "Microsoft Corporation".</param>
/// <param name="ProductId">pbProductId without the terminator, e.g. "A02".</param>
public sealed record ProductInfo(uint Version, string CompanyName, string ProductId) : IPdu<ProductInfo>
{
    public const int FixedPartSize = 4 /* dwVersion */ + 4 /* cbCompanyName */ + 4 /* cbProductId */;

    public static string PduName => "PRODUCT_INFO";

    public int Size => FixedPartSize + 2 * CompanyName.Length + 2 + 2 * ProductId.Length + 2;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(Version);
        writer.WriteUInt32Le((uint)(2 * CompanyName.Length + 2));
        RdpText.Write(ref writer, CompanyName, unicode: true);
        writer.WriteZeros(2);
        writer.WriteUInt32Le((uint)(2 * ProductId.Length + 2));
        RdpText.Write(ref writer, ProductId, unicode: true);
        writer.WriteZeros(2);
    }

    public static DecodeResult<ProductInfo> Decode(ref PduReader reader)
    {
        if (reader.Ensure(4 /* dwVersion */ + 4 /* cbCompanyName */, PduName) is { } missing)
        {
            return missing;
        }

        uint version = reader.ReadUInt32Le();
        DecodeResult<string> company = ReadName(ref reader, "cbCompanyName");
        if (!company.IsSuccess)
        {
            return company.Error;
        }

        if (reader.Ensure(4 /* cbProductId */, PduName) is { } noProductId)
        {
            return noProductId;
        }

        DecodeResult<string> product = ReadName(ref reader, "cbProductId");
        return product.IsSuccess ? new ProductInfo(version, company.Value!, product.Value!) : product.Error;
    }

    private static DecodeResult<string> ReadName(ref PduReader reader, string field)
    {
        int at = reader.Position;
        uint count = reader.ReadUInt32Le();
        if ((uint)reader.Remaining < count)
        {
            return DecodeError.NotEnoughBytes(PduName, at, count, reader.Remaining);
        }

        if (count < 2 || count % 2 != 0)
        {
            return DecodeError.InvalidField(PduName, field, "must be even and include the UTF-16 null terminator", at, null, count);
        }

        ReadOnlySpan<byte> bytes = reader.ReadBytes((int)count);
        if (bytes[^2..].ContainsAnyExcept((byte)0))
        {
            return DecodeError.InvalidField(PduName, field, "the name is not null-terminated", at);
        }

        return RdpText.DecodeUtf16(bytes[..^2]);
    }
}
