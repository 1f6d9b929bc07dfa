using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Licensing;

/// <summary>
/// MS-RDPBCGR 2.2.1.12.1.1 Licensing Preamble (LICENSE_PREAMBLE), which precedes every licensing message.
/// </summary>
/// <param name="MsgType">bMsgType.</param>
/// <param name="Flags">Protocol version (low nibble) and EXTENDED_ERROR_MSG_SUPPORTED.</param>
/// <param name="MsgSize">wMsgSize: the size of the whole licensing message, this preamble included.</param>
public sealed record LicensePreamble(LicenseMessageType MsgType, LicensePreambleFlags Flags, ushort MsgSize) : IPdu<LicensePreamble>
{
    public const int FixedPartSize = 1 /* bMsgType */ + 1 /* flags */ + 2 /* wMsgSize */;

    public static string PduName => "LICENSE_PREAMBLE";

    /// <summary>The protocol version of the low nibble: 2 (RDP 4.0) or 3 (RDP 5.0 and later).</summary>
    public int Version => (int)(Flags & LicensePreambleFlags.VersionMask);

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte((byte)MsgType);
        writer.WriteByte((byte)Flags);
        writer.WriteUInt16Le(MsgSize);
    }

    public static DecodeResult<LicensePreamble> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var type = (LicenseMessageType)reader.ReadByte();
        var flags = (LicensePreambleFlags)reader.ReadByte();
        return new LicensePreamble(type, flags, reader.ReadUInt16Le());
    }
}

/// <summary>MS-RDPBCGR 2.2.1.12.1.2 Licensing Binary Blob (LICENSE_BINARY_BLOB).</summary>
/// <param name="BlobType">wBlobType, kept raw (the spec says to ignore it when the blob is empty).</param>
/// <param name="Data">blobData; its length is wBlobLen.</param>
public sealed record LicenseBinaryBlob(LicenseBlobType BlobType, ByteString Data) : IPdu<LicenseBinaryBlob>
{
    public const int FixedPartSize = 2 /* wBlobType */ + 2 /* wBlobLen */;

    public static string PduName => "LICENSE_BINARY_BLOB";

    /// <summary>An empty blob of the given type.</summary>
    public static LicenseBinaryBlob Empty(LicenseBlobType type) => new(type, ByteString.Empty);

    public int Size => FixedPartSize + Data.Length;

    public void Encode(ref PduWriter writer)
    {
        if (ushort.MaxValue < Data.Length)
        {
            ThrowHelper.ThrowArgument(nameof(Data), "a licensing blob holds at most 65535 bytes");
        }

        writer.WriteUInt16Le((ushort)BlobType);
        writer.WriteUInt16Le((ushort)Data.Length);
        writer.WriteBytes(Data.Span);
    }

    public static DecodeResult<LicenseBinaryBlob> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var type = (LicenseBlobType)reader.ReadUInt16Le();
        int length = reader.ReadUInt16Le();
        if (reader.Ensure(length, PduName) is { } shortData)
        {
            return shortData;
        }

        return new LicenseBinaryBlob(type, new ByteString(reader.ReadBytes(length)));
    }

    public override string ToString() => $"{LicenseNames.Name(BlobType)} ({Data.Length} bytes)";

    /// <summary>Decodes a blob inside a message, naming the message and field on failure.</summary>
    internal static DecodeResult<LicenseBinaryBlob> DecodeField(ref PduReader reader, string context, string field)
    {
        int at = reader.Position;
        DecodeResult<LicenseBinaryBlob> blob = Decode(ref reader);
        return blob.IsSuccess ? blob : blob.Error with { Context = $"{context}: {field}", Field = blob.Error.Field ?? field, Offset = blob.Error.Offset };
    }
}
