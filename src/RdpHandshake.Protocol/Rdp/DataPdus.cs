using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>The body of a Share Data PDU, after its 18-byte Share Data Header; the type decides the layout.</summary>
public abstract record ShareDataBody
{
    /// <summary>The <c>pduType2</c> this body is sent under.</summary>
    public abstract PduType2 PduType2 { get; }

    /// <summary>Encoded length of the body alone.</summary>
    public abstract int Size { get; }

    public abstract void Encode(ref PduWriter writer);

    /// <summary>Decodes a body of a type this library knows; any other type is kept as <see cref="RawDataBody"/>.</summary>
    public static DecodeResult<ShareDataBody> Decode(PduType2 type, ReadOnlySpan<byte> body) => type switch
    {
        PduType2.Synchronize => Up(Pdu.Decode<SynchronizePdu>(body)),
        PduType2.Control => Up(Pdu.Decode<ControlPdu>(body)),
        PduType2.FontList => Up(Pdu.Decode<FontListPdu>(body)),
        PduType2.FontMap => Up(Pdu.Decode<FontMapPdu>(body)),
        PduType2.SetErrorInfoPdu => Up(Pdu.Decode<SetErrorInfoPdu>(body)),
        PduType2.SaveSessionInfo => Up(Pdu.Decode<SaveSessionInfoPdu>(body)),
        PduType2.ShutdownRequest => Up(Pdu.Decode<ShutdownRequestPdu>(body)),
        PduType2.ShutdownDenied => Up(Pdu.Decode<ShutdownDeniedPdu>(body)),
        PduType2.MonitorLayoutPdu => Up(Pdu.Decode<MonitorLayoutPdu>(body)),
        PduType2.StatusInfoPdu => Up(Pdu.Decode<StatusInfoPdu>(body)),
        _ => new RawDataBody(type, new ByteString(body)),
    };

    private static DecodeResult<ShareDataBody> Up<T>(DecodeResult<T> result) where T : ShareDataBody =>
        result.IsSuccess ? result.Value! : DecodeResult<ShareDataBody>.Failure(result.Error);
}

/// <summary>A data PDU body kept as bytes: an unknown or undecoded type, or a compressed body.</summary>
public sealed record RawDataBody(PduType2 Type, ByteString Bytes) : ShareDataBody
{
    public override PduType2 PduType2 => Type;

    public override int Size => Bytes.Length;

    public override void Encode(ref PduWriter writer) => writer.WriteBytes(Bytes.Span);
}

/// <summary>
/// A Share Data PDU (MS-RDPBCGR 2.2.8.1.1.1.2): the Share Data Header and its typed body. <c>totalLength</c>
/// is computed; <c>uncompressedLength</c> is kept as sent because peers fill it differently (see
/// <see cref="Create"/> and <see cref="CreateServer"/>).
/// </summary>
public sealed record ShareDataPdu(
    ushort PduSource,
    uint ShareId,
    ShareDataBody Body,
    StreamId StreamId,
    ushort UncompressedLength,
    byte CompressedType = 0,
    ushort CompressedLength = 0,
    byte Pad1 = 0) : IPdu<ShareDataPdu>
{
    /// <summary>The bytes after the <c>uncompressedLength</c> field that precede the body.</summary>
    private const int AfterUncompressedLength = 1 /* pduType2 */ + 1 /* compressedType */ + 2 /* compressedLength */;

    public static string PduName => "Share Data PDU";

    public PduType2 PduType2 => Body.PduType2;

    public int Size => ShareDataHeader.FixedPartSize + Body.Size;

    /// <summary>
    /// A PDU as mstsc fills it: <c>uncompressedLength</c> counts the bytes after that field (the body plus
    /// pduType2, compressedType and compressedLength), e.g. 4 for the body-less Shutdown Request of 4.2.1.
    /// </summary>
    public static ShareDataPdu Create(ushort pduSource, uint shareId, ShareDataBody body, StreamId streamId = StreamId.Low) =>
        new(pduSource, shareId, body, streamId, ShareWire.Checked16(body.Size + AfterUncompressedLength, "uncompressedLength"));

    /// <summary>
    /// A PDU as the Windows server fills it: <c>uncompressedLength</c> equals <c>totalLength</c>, e.g. 22 for
    /// the Synchronize of 4.1.19 and 18 for the Shutdown Request Denied of 4.2.2.
    /// </summary>
    public static ShareDataPdu CreateServer(uint shareId, ShareDataBody body, StreamId streamId = StreamId.Medium, ushort pduSource = ActivePduWire.ServerChannelId) =>
        new(pduSource, shareId, body, streamId, ShareWire.Checked16(ShareDataHeader.FixedPartSize + body.Size, "uncompressedLength"));

    public ShareDataHeader Header => new(
        new ShareControlHeader(ShareWire.Checked16(Size, "totalLength"), PduType.DataPdu, PduSource),
        ShareId, StreamId, UncompressedLength, Body.PduType2, CompressedType, CompressedLength, Pad1);

    public void Encode(ref PduWriter writer)
    {
        Header.Encode(ref writer);
        Body.Encode(ref writer);
    }

    public static DecodeResult<ShareDataPdu> Decode(ref PduReader reader)
    {
        int start = reader.Position;
        DecodeResult<ShareDataHeader> decoded = ShareDataHeader.Decode(ref reader);
        if (!decoded.IsSuccess)
        {
            return ShareWire.Shift(decoded.Error, PduName, 0);
        }

        ShareDataHeader header = decoded.Value;
        int totalLength = header.Control.TotalLength;
        if (totalLength < ShareDataHeader.FixedPartSize)
        {
            return DecodeError.InvalidField(PduName, "totalLength", "smaller than the Share Data Header", start, ShareDataHeader.FixedPartSize, totalLength);
        }

        int bodyLength = totalLength - ShareDataHeader.FixedPartSize;
        if (reader.Remaining < bodyLength)
        {
            return DecodeError.NotEnoughBytes(PduName, reader.Position, bodyLength, reader.Remaining);
        }

        ReadOnlySpan<byte> bytes = reader.ReadBytes(bodyLength);
        DecodeResult<ShareDataBody> body = header.IsCompressed
            ? new RawDataBody(header.PduType2, new ByteString(bytes))
            : ShareDataBody.Decode(header.PduType2, bytes);
        if (!body.IsSuccess)
        {
            return ShareWire.Shift(body.Error, $"{PduName} {ShareNames.Name(header.PduType2)}", ShareDataHeader.FixedPartSize);
        }

        return new ShareDataPdu(header.Control.PduSource, header.ShareId, body.Value, header.StreamId, header.UncompressedLength,
            header.CompressedType, header.CompressedLength, header.Pad1);
    }
}

/// <summary>MS-RDPBCGR 2.2.1.14.1 Synchronize PDU Data (TS_SYNCHRONIZE_PDU).</summary>
/// <param name="TargetUser">MCS channel ID of the target user (the server sends 0 or, per 4.1.19, garbage).</param>
/// <param name="MessageType">MUST be SYNCMSGTYPE_SYNC (1).</param>
public sealed record SynchronizePdu(ushort TargetUser, ushort MessageType = SynchronizePdu.SyncMsgTypeSync) : ShareDataBody, IPdu<SynchronizePdu>
{
    /// <summary>SYNCMSGTYPE_SYNC.</summary>
    public const ushort SyncMsgTypeSync = 1;

    public const int FixedPartSize = 2 /* messageType */ + 2 /* targetUser */;

    public static string PduName => "TS_SYNCHRONIZE_PDU";

    public override PduType2 PduType2 => PduType2.Synchronize;

    public override int Size => FixedPartSize;

    public override void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(MessageType);
        writer.WriteUInt16Le(TargetUser);
    }

    public static DecodeResult<SynchronizePdu> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ushort type = reader.ReadUInt16Le();
        if (type != SyncMsgTypeSync)
        {
            return DecodeError.InvalidField(PduName, "messageType", $"expected SYNCMSGTYPE_SYNC (1), got {type}", reader.Position - 2, SyncMsgTypeSync, type);
        }

        return new SynchronizePdu(reader.ReadUInt16Le(), type);
    }
}

/// <summary>MS-RDPBCGR 2.2.1.15.1 <c>action</c> of a Control PDU.</summary>
public enum ControlAction : ushort
{
    /// <summary>CTRLACTION_REQUEST_CONTROL.</summary>
    RequestControl = 0x0001,

    /// <summary>CTRLACTION_GRANTED_CONTROL.</summary>
    GrantedControl = 0x0002,

    /// <summary>CTRLACTION_DETACH.</summary>
    Detach = 0x0003,

    /// <summary>CTRLACTION_COOPERATE.</summary>
    Cooperate = 0x0004,
}

/// <summary>MS-RDPBCGR 2.2.1.15.1 Control PDU Data (TS_CONTROL_PDU).</summary>
/// <param name="Action">The action code.</param>
/// <param name="GrantId">With GRANTED_CONTROL: the client's user channel ID.</param>
/// <param name="ControlId">With GRANTED_CONTROL: the server channel ID (0x03EA).</param>
public sealed record ControlPdu(ControlAction Action, ushort GrantId = 0, uint ControlId = 0) : ShareDataBody, IPdu<ControlPdu>
{
    public const int FixedPartSize = 2 /* action */ + 2 /* grantId */ + 4 /* controlId */;

    public static string PduName => "TS_CONTROL_PDU";

    public override PduType2 PduType2 => PduType2.Control;

    public override int Size => FixedPartSize;

    public string ActionName => Action switch
    {
        ControlAction.RequestControl => "CTRLACTION_REQUEST_CONTROL",
        ControlAction.GrantedControl => "CTRLACTION_GRANTED_CONTROL",
        ControlAction.Detach => "CTRLACTION_DETACH",
        ControlAction.Cooperate => "CTRLACTION_COOPERATE",
        _ => $"action 0x{(ushort)Action:x4}",
    };

    public override void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)Action);
        writer.WriteUInt16Le(GrantId);
        writer.WriteUInt32Le(ControlId);
    }

    public static DecodeResult<ControlPdu> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ushort action = reader.ReadUInt16Le();
        if (action is < (ushort)ControlAction.RequestControl or > (ushort)ControlAction.Cooperate)
        {
            return DecodeError.InvalidField(PduName, "action", $"0x{action:x4} is not a CTRLACTION_* value", reader.Position - 2, null, action);
        }

        return new ControlPdu((ControlAction)action, reader.ReadUInt16Le(), reader.ReadUInt32Le());
    }
}

/// <summary>MS-RDPBCGR 2.2.1.18.1 Font List PDU Data (TS_FONT_LIST_PDU).</summary>
public sealed record FontListPdu(ushort NumberFonts = 0, ushort TotalNumFonts = 0, ushort ListFlags = FontListPdu.FirstAndLast, ushort EntrySize = 0x0032)
    : ShareDataBody, IPdu<FontListPdu>
{
    /// <summary>FONTLIST_FIRST | FONTLIST_LAST.</summary>
    public const ushort FirstAndLast = 0x0003;

    public const int FixedPartSize = 2 /* numberFonts */ + 2 /* totalNumFonts */ + 2 /* listFlags */ + 2 /* entrySize */;

    public static string PduName => "TS_FONT_LIST_PDU";

    public override PduType2 PduType2 => PduType2.FontList;

    public override int Size => FixedPartSize;

    public override void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(NumberFonts);
        writer.WriteUInt16Le(TotalNumFonts);
        writer.WriteUInt16Le(ListFlags);
        writer.WriteUInt16Le(EntrySize);
    }

    public static DecodeResult<FontListPdu> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing
            ? missing
            : new FontListPdu(reader.ReadUInt16Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le());
}

/// <summary>MS-RDPBCGR 2.2.1.22.1 Font Map PDU Data (TS_FONT_MAP_PDU): the last PDU of the connection sequence.</summary>
public sealed record FontMapPdu(ushort NumberEntries = 0, ushort TotalNumEntries = 0, ushort MapFlags = FontMapPdu.FirstAndLast, ushort EntrySize = 0x0004)
    : ShareDataBody, IPdu<FontMapPdu>
{
    /// <summary>FONTMAP_FIRST | FONTMAP_LAST.</summary>
    public const ushort FirstAndLast = 0x0003;

    public const int FixedPartSize = 2 /* numberEntries */ + 2 /* totalNumEntries */ + 2 /* mapFlags */ + 2 /* entrySize */;

    public static string PduName => "TS_FONT_MAP_PDU";

    public override PduType2 PduType2 => PduType2.FontMap;

    public override int Size => FixedPartSize;

    public override void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(NumberEntries);
        writer.WriteUInt16Le(TotalNumEntries);
        writer.WriteUInt16Le(MapFlags);
        writer.WriteUInt16Le(EntrySize);
    }

    public static DecodeResult<FontMapPdu> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing
            ? missing
            : new FontMapPdu(reader.ReadUInt16Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le());
}

/// <summary>
/// MS-RDPBCGR 2.2.5.1.1 Set Error Info PDU Data (TS_SET_ERROR_INFO_PDU): why the server is about to end the
/// session (ERRINFO_* codes; the Diagnostics layer names them).
/// </summary>
public sealed record SetErrorInfoPdu(uint ErrorInfo) : ShareDataBody, IPdu<SetErrorInfoPdu>
{
    public const int FixedPartSize = 4 /* errorInfo */;

    public static string PduName => "TS_SET_ERROR_INFO_PDU";

    public override PduType2 PduType2 => PduType2.SetErrorInfoPdu;

    public override int Size => FixedPartSize;

    public override void Encode(ref PduWriter writer) => writer.WriteUInt32Le(ErrorInfo);

    public static DecodeResult<SetErrorInfoPdu> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing ? missing : new SetErrorInfoPdu(reader.ReadUInt32Le());
}

/// <summary>MS-RDPBCGR 2.2.2.1.1 Shutdown Request PDU Data (TS_SHUTDOWN_REQ_PDU): a Share Data Header with no body.</summary>
public sealed record ShutdownRequestPdu : ShareDataBody, IPdu<ShutdownRequestPdu>
{
    public static string PduName => "TS_SHUTDOWN_REQ_PDU";

    public override PduType2 PduType2 => PduType2.ShutdownRequest;

    public override int Size => 0;

    public override void Encode(ref PduWriter writer)
    {
    }

    public static DecodeResult<ShutdownRequestPdu> Decode(ref PduReader reader) => new ShutdownRequestPdu();
}

/// <summary>MS-RDPBCGR 2.2.2.2.1 Shutdown Request Denied PDU Data (TS_SHUTDOWN_DENIED_PDU): a Share Data Header with no body.</summary>
public sealed record ShutdownDeniedPdu : ShareDataBody, IPdu<ShutdownDeniedPdu>
{
    public static string PduName => "TS_SHUTDOWN_DENIED_PDU";

    public override PduType2 PduType2 => PduType2.ShutdownDenied;

    public override int Size => 0;

    public override void Encode(ref PduWriter writer)
    {
    }

    public static DecodeResult<ShutdownDeniedPdu> Decode(ref PduReader reader) => new ShutdownDeniedPdu();
}

/// <summary>MS-RDPBCGR 2.2.1.3.6.1 Monitor Definition (TS_MONITOR_DEF); flags TS_MONITOR_PRIMARY is 0x1.</summary>
public sealed record MonitorDef(int Left, int Top, int Right, int Bottom, uint Flags)
{
    public const int Size = 4 /* left */ + 4 /* top */ + 4 /* right */ + 4 /* bottom */ + 4 /* flags */;
}

/// <summary>MS-RDPBCGR 2.2.12.1 Monitor Layout PDU (TS_MONITOR_LAYOUT_PDU): the server's monitor layout.</summary>
public sealed record MonitorLayoutPdu(ValueList<MonitorDef> Monitors) : ShareDataBody, IPdu<MonitorLayoutPdu>
{
    public static string PduName => "TS_MONITOR_LAYOUT_PDU";

    public override PduType2 PduType2 => PduType2.MonitorLayoutPdu;

    public override int Size => 4 /* monitorCount */ + Monitors.Count * MonitorDef.Size;

    public override void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le((uint)Monitors.Count);
        foreach (MonitorDef m in Monitors)
        {
            writer.WriteUInt32Le((uint)m.Left);
            writer.WriteUInt32Le((uint)m.Top);
            writer.WriteUInt32Le((uint)m.Right);
            writer.WriteUInt32Le((uint)m.Bottom);
            writer.WriteUInt32Le(m.Flags);
        }
    }

    public static DecodeResult<MonitorLayoutPdu> Decode(ref PduReader reader)
    {
        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        uint count = reader.ReadUInt32Le();
        if (!(count <= (uint)(reader.Remaining / MonitorDef.Size)))
        {
            return DecodeError.InvalidField(PduName, "monitorCount", "more monitors than the bytes can hold", reader.Position - 4, reader.Remaining / MonitorDef.Size, count);
        }

        var monitors = new List<MonitorDef>((int)count);
        for (int i = 0; i < count; i++)
        {
            monitors.Add(new MonitorDef((int)reader.ReadUInt32Le(), (int)reader.ReadUInt32Le(), (int)reader.ReadUInt32Le(), (int)reader.ReadUInt32Le(), reader.ReadUInt32Le()));
        }

        return new MonitorLayoutPdu(monitors);
    }
}

/// <summary>MS-RDPBCGR 2.2.5.2 Status Info PDU (TS_STATUS_INFO_PDU): progress of a brokered or VM connection.</summary>
public sealed record StatusInfoPdu(uint StatusCode) : ShareDataBody, IPdu<StatusInfoPdu>
{
    public const int FixedPartSize = 4 /* statusCode */;

    public static string PduName => "TS_STATUS_INFO_PDU";

    public override PduType2 PduType2 => PduType2.StatusInfoPdu;

    public override int Size => FixedPartSize;

    public string StatusName => StatusCode switch
    {
        0x0401 => "TS_STATUS_FINDING_DESTINATION",
        0x0402 => "TS_STATUS_LOADING_DESTINATION",
        0x0403 => "TS_STATUS_BRINGING_SESSION_ONLINE",
        0x0404 => "TS_STATUS_REDIRECTING_TO_DESTINATION",
        0x0501 => "TS_STATUS_VM_LOADING",
        0x0502 => "TS_STATUS_VM_WAKING",
        0x0503 => "TS_STATUS_VM_STARTING",
        0x0504 => "TS_STATUS_VM_STARTING_MONITORING",
        0x0505 => "TS_STATUS_VM_RETRYING_MONITORING",
        _ => $"status 0x{StatusCode:x}",
    };

    public override void Encode(ref PduWriter writer) => writer.WriteUInt32Le(StatusCode);

    public static DecodeResult<StatusInfoPdu> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing ? missing : new StatusInfoPdu(reader.ReadUInt32Le());
}
