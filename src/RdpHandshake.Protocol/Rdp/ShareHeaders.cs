using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.8.1.1.1.1 the 4-bit <c>type</c> subfield of <c>pduType</c>.</summary>
public enum PduType : byte
{
    /// <summary>PDUTYPE_DEMANDACTIVEPDU.</summary>
    DemandActivePdu = 0x1,

    /// <summary>PDUTYPE_CONFIRMACTIVEPDU.</summary>
    ConfirmActivePdu = 0x3,

    /// <summary>PDUTYPE_DEACTIVATEALLPDU.</summary>
    DeactivateAllPdu = 0x6,

    /// <summary>PDUTYPE_DATAPDU: the real type is the Share Data Header's <c>pduType2</c>.</summary>
    DataPdu = 0x7,

    /// <summary>PDUTYPE_SERVER_REDIR_PKT: Enhanced Security Server Redirection PDU (2.2.13.3.1).</summary>
    ServerRedirPkt = 0xA,
}

/// <summary>MS-RDPBCGR 2.2.8.1.1.1.2 <c>pduType2</c> of a Share Data Header.</summary>
public enum PduType2 : byte
{
    Update = 0x02,
    Control = 0x14,
    Pointer = 0x1B,
    Input = 0x1C,
    Synchronize = 0x1F,
    RefreshRect = 0x21,
    PlaySound = 0x22,
    SuppressOutput = 0x23,
    ShutdownRequest = 0x24,
    ShutdownDenied = 0x25,
    SaveSessionInfo = 0x26,
    FontList = 0x27,
    FontMap = 0x28,
    SetKeyboardIndicators = 0x29,
    BitmapCachePersistentList = 0x2B,
    BitmapCacheErrorPdu = 0x2C,
    SetKeyboardImeStatus = 0x2D,
    OffscrCacheErrorPdu = 0x2E,
    SetErrorInfoPdu = 0x2F,
    DrawNineGridErrorPdu = 0x30,
    DrawGdiPlusErrorPdu = 0x31,
    ArcStatusPdu = 0x32,
    StatusInfoPdu = 0x36,
    MonitorLayoutPdu = 0x37,

    /// <summary>MS-RDPRFX 2.2.3.1 TS_FRAME_ACKNOWLEDGE_PDU.</summary>
    FrameAcknowledge = 0x38,
}

/// <summary>MS-RDPBCGR 2.2.8.1.1.1.2 <c>streamId</c>.</summary>
public enum StreamId : byte
{
    Undefined = 0x00,
    Low = 0x01,
    Medium = 0x02,
    High = 0x04,
}

/// <summary>The specification's names for share-layer codes, for reports and the timeline.</summary>
public static class ShareNames
{
    public static string Name(PduType type) => type switch
    {
        PduType.DemandActivePdu => "PDUTYPE_DEMANDACTIVEPDU",
        PduType.ConfirmActivePdu => "PDUTYPE_CONFIRMACTIVEPDU",
        PduType.DeactivateAllPdu => "PDUTYPE_DEACTIVATEALLPDU",
        PduType.DataPdu => "PDUTYPE_DATAPDU",
        PduType.ServerRedirPkt => "PDUTYPE_SERVER_REDIR_PKT",
        _ => $"pduType 0x{(byte)type:x}",
    };

    public static string Name(PduType2 type) => type switch
    {
        PduType2.Update => "PDUTYPE2_UPDATE",
        PduType2.Control => "PDUTYPE2_CONTROL",
        PduType2.Pointer => "PDUTYPE2_POINTER",
        PduType2.Input => "PDUTYPE2_INPUT",
        PduType2.Synchronize => "PDUTYPE2_SYNCHRONIZE",
        PduType2.RefreshRect => "PDUTYPE2_REFRESH_RECT",
        PduType2.PlaySound => "PDUTYPE2_PLAY_SOUND",
        PduType2.SuppressOutput => "PDUTYPE2_SUPPRESS_OUTPUT",
        PduType2.ShutdownRequest => "PDUTYPE2_SHUTDOWN_REQUEST",
        PduType2.ShutdownDenied => "PDUTYPE2_SHUTDOWN_DENIED",
        PduType2.SaveSessionInfo => "PDUTYPE2_SAVE_SESSION_INFO",
        PduType2.FontList => "PDUTYPE2_FONTLIST",
        PduType2.FontMap => "PDUTYPE2_FONTMAP",
        PduType2.SetKeyboardIndicators => "PDUTYPE2_SET_KEYBOARD_INDICATORS",
        PduType2.BitmapCachePersistentList => "PDUTYPE2_BITMAPCACHE_PERSISTENT_LIST",
        PduType2.BitmapCacheErrorPdu => "PDUTYPE2_BITMAPCACHE_ERROR_PDU",
        PduType2.SetKeyboardImeStatus => "PDUTYPE2_SET_KEYBOARD_IME_STATUS",
        PduType2.OffscrCacheErrorPdu => "PDUTYPE2_OFFSCRCACHE_ERROR_PDU",
        PduType2.SetErrorInfoPdu => "PDUTYPE2_SET_ERROR_INFO_PDU",
        PduType2.DrawNineGridErrorPdu => "PDUTYPE2_DRAWNINEGRID_ERROR_PDU",
        PduType2.DrawGdiPlusErrorPdu => "PDUTYPE2_DRAWGDIPLUS_ERROR_PDU",
        PduType2.ArcStatusPdu => "PDUTYPE2_ARC_STATUS_PDU",
        PduType2.StatusInfoPdu => "PDUTYPE2_STATUS_INFO_PDU",
        PduType2.MonitorLayoutPdu => "PDUTYPE2_MONITOR_LAYOUT_PDU",
        PduType2.FrameAcknowledge => "PDUTYPE2_FRAME_ACKNOWLEDGE",
        _ => $"pduType2 0x{(byte)type:x2}",
    };

    public static string Name(StreamId stream) => stream switch
    {
        StreamId.Undefined => "STREAM_UNDEFINED",
        StreamId.Low => "STREAM_LOW",
        StreamId.Medium => "STREAM_MED",
        StreamId.High => "STREAM_HI",
        _ => $"streamId 0x{(byte)stream:x2}",
    };
}

/// <summary>
/// MS-RDPBCGR 2.2.8.1.1.1.1 Share Control Header (TS_SHARECONTROLHEADER): <c>totalLength</c>, <c>pduType</c>
/// (4-bit type, 12-bit PDUVersion) and <c>pduSource</c>.
/// </summary>
/// <param name="TotalLength">Length of the whole PDU including this header.</param>
/// <param name="PduType">The type subfield.</param>
/// <param name="PduSource">MCS channel ID of the sender.</param>
/// <param name="PduVersion">The 12-bit PDUVersion subfield; MUST be TS_PROTOCOL_VERSION (1).</param>
/// <seealso href="https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/73d01865-2eae-407f-9b2c-87e31daac471"/>
public sealed record ShareControlHeader(ushort TotalLength, PduType PduType, ushort PduSource, ushort PduVersion = ShareControlHeader.TsProtocolVersion)
    : IPdu<ShareControlHeader>
{
    /// <summary>TS_PROTOCOL_VERSION, the PDUVersion every PDU carries.</summary>
    public const ushort TsProtocolVersion = 0x1;

    /// <summary>A <c>totalLength</c> of 0x8000 marks a T.128 FlowPDU, which MUST be ignored.</summary>
    public const ushort FlowPduMarker = 0x8000;

    public const int FixedPartSize = 2 /* totalLength */ + 2 /* pduType */ + 2 /* pduSource */;

    public static string PduName => "Share Control Header";

    public int Size => FixedPartSize;

    /// <summary>The <c>pduType</c> field as sent: type in bits 0-3, PDUVersion in bits 4-15.</summary>
    public ushort PduTypeField => (ushort)(((PduVersion & 0x0FFF) << 4) | ((byte)PduType & 0x0F));

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(TotalLength);
        writer.WriteUInt16Le(PduTypeField);
        writer.WriteUInt16Le(PduSource);
    }

    public static DecodeResult<ShareControlHeader> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        ushort totalLength = reader.ReadUInt16Le();
        ushort pduType = reader.ReadUInt16Le();
        ushort source = reader.ReadUInt16Le();
        ushort version = (ushort)(pduType >> 4);
        if (version != TsProtocolVersion)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "pduType.PDUVersion",
                $"expected TS_PROTOCOL_VERSION (1), got {version}", start + 2, TsProtocolVersion, version);
        }

        return new ShareControlHeader(totalLength, (PduType)(pduType & 0x0F), source, version);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.8.1.1.1.2 Share Data Header (TS_SHAREDATAHEADER): a Share Control Header of type
/// PDUTYPE_DATAPDU followed by <c>shareId</c>, <c>pad1</c>, <c>streamId</c>, <c>uncompressedLength</c>,
/// <c>pduType2</c>, <c>compressedType</c> and <c>compressedLength</c>.
/// </summary>
/// <seealso href="https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/4b5d4c0d-a657-41e9-9c69-d58632f46d31"/>
public sealed record ShareDataHeader(
    ShareControlHeader Control,
    uint ShareId,
    StreamId StreamId,
    ushort UncompressedLength,
    PduType2 PduType2,
    byte CompressedType = 0,
    ushort CompressedLength = 0,
    byte Pad1 = 0) : IPdu<ShareDataHeader>
{
    /// <summary>PACKET_COMPRESSED in <c>compressedType</c> (2.2.8.1.1.1.2): the body is bulk-compressed.</summary>
    public const byte PacketCompressed = 0x20;

    public const int FixedPartSize = ShareControlHeader.FixedPartSize + 4 /* shareId */ + 1 /* pad1 */ + 1 /* streamId */
        + 2 /* uncompressedLength */ + 1 /* pduType2 */ + 1 /* compressedType */ + 2 /* compressedLength */;

    public static string PduName => "Share Data Header";

    public int Size => FixedPartSize;

    /// <summary>Whether the body is compressed (and so cannot be decoded without the bulk decompressor).</summary>
    public bool IsCompressed => (CompressedType & PacketCompressed) != 0;

    public void Encode(ref PduWriter writer)
    {
        Control.Encode(ref writer);
        writer.WriteUInt32Le(ShareId);
        writer.WriteByte(Pad1);
        writer.WriteByte((byte)StreamId);
        writer.WriteUInt16Le(UncompressedLength);
        writer.WriteByte((byte)PduType2);
        writer.WriteByte(CompressedType);
        writer.WriteUInt16Le(CompressedLength);
    }

    public static DecodeResult<ShareDataHeader> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        DecodeResult<ShareControlHeader> control = ShareControlHeader.Decode(ref reader);
        if (!control.IsSuccess)
        {
            return control.Error;
        }

        if (control.Value.PduType != PduType.DataPdu)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "pduType.type",
                $"expected PDUTYPE_DATAPDU (7), got {ShareNames.Name(control.Value.PduType)}", start + 2, (long)PduType.DataPdu, (long)control.Value.PduType);
        }

        uint shareId = reader.ReadUInt32Le();
        byte pad1 = reader.ReadByte();
        var stream = (StreamId)reader.ReadByte();
        ushort uncompressed = reader.ReadUInt16Le();
        var type2 = (PduType2)reader.ReadByte();
        byte compressedType = reader.ReadByte();
        ushort compressedLength = reader.ReadUInt16Le();
        return new ShareDataHeader(control.Value, shareId, stream, uncompressed, type2, compressedType, compressedLength, pad1);
    }
}

/// <summary>Shared helpers of the share-layer codecs.</summary>
internal static class ShareWire
{
    /// <summary>Re-bases an error from a sub-reader onto the enclosing buffer and prefixes its context.</summary>
    public static DecodeError Shift(DecodeError error, string context, int by) =>
        error with { Context = error.Context == context ? context : $"{context}: {error.Context}", Offset = error.Offset + by };

    /// <summary>
    /// Reads a Share Control Header whose type must be <paramref name="expected"/> and whose <c>totalLength</c>
    /// must fit in what remains; returns the header and the length of what follows it.
    /// </summary>
    public static DecodeError? ReadControlHeader(ref PduReader reader, string context, PduType expected, out ShareControlHeader header, out int bodyLength)
    {
        header = null!;
        bodyLength = 0;
        int start = reader.Position;
        DecodeResult<ShareControlHeader> decoded = ShareControlHeader.Decode(ref reader);
        if (!decoded.IsSuccess)
        {
            return Shift(decoded.Error, context, 0);
        }

        header = decoded.Value;
        if (header.PduType != expected)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, context, "pduType.type",
                $"expected {ShareNames.Name(expected)}, got {ShareNames.Name(header.PduType)}", start + 2, (long)expected, (long)header.PduType);
        }

        if (header.TotalLength < ShareControlHeader.FixedPartSize)
        {
            return DecodeError.InvalidField(context, "totalLength", "smaller than the Share Control Header", start, ShareControlHeader.FixedPartSize, header.TotalLength);
        }

        bodyLength = header.TotalLength - ShareControlHeader.FixedPartSize;
        if (reader.Remaining < bodyLength)
        {
            return DecodeError.NotEnoughBytes(context, reader.Position, bodyLength, reader.Remaining);
        }

        return null;
    }

    /// <summary>Checks an encoded length fits the 16-bit field that carries it; our own values, so misuse throws.</summary>
    public static ushort Checked16(int value, string field)
    {
        if (!(value <= ushort.MaxValue))
        {
            ThrowHelper.ThrowArgument(field, $"{field} {value} does not fit in 16 bits");
        }

        return (ushort)value;
    }
}
