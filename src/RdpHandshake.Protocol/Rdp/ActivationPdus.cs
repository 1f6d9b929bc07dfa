using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>The fields Demand Active and Confirm Active share after their first fields.</summary>
internal static class ActivePduWire
{
    public const int CombinedHeaderSize = 2 /* numberCapabilities */ + 2 /* pad2Octets */;

    /// <summary>MCS channel ID of the server (1002): pduSource of server PDUs and the originatorId of Confirm Active.</summary>
    public const ushort ServerChannelId = 0x03EA;

    public static int CombinedLength(IReadOnlyList<CapabilitySet> sets) => CombinedHeaderSize + CapabilityList.Size(sets);

    public static void WriteLengths(ref PduWriter writer, ByteString sourceDescriptor, IReadOnlyList<CapabilitySet> sets)
    {
        writer.WriteUInt16Le(ShareWire.Checked16(sourceDescriptor.Length, "lengthSourceDescriptor"));
        writer.WriteUInt16Le(ShareWire.Checked16(CombinedLength(sets), "lengthCombinedCapabilities"));
    }

    public static void WriteRest(ref PduWriter writer, ByteString sourceDescriptor, IReadOnlyList<CapabilitySet> sets, ushort pad2)
    {
        writer.WriteBytes(sourceDescriptor.Span);
        writer.WriteUInt16Le(ShareWire.Checked16(sets.Count, "numberCapabilities"));
        writer.WriteUInt16Le(pad2);
        CapabilityList.Encode(ref writer, sets);
    }

    /// <summary>
    /// Reads lengthSourceDescriptor and lengthCombinedCapabilities, then sourceDescriptor, numberCapabilities,
    /// pad2Octets and the sets. <paramref name="bodyStart"/> is the offset of <paramref name="body"/> in the PDU.
    /// </summary>
    public static DecodeError? Read(ref PduReader body, int bodyStart, string context, out ByteString sourceDescriptor, out ValueList<CapabilitySet> sets, out ushort pad2)
    {
        sourceDescriptor = ByteString.Empty;
        sets = ValueList<CapabilitySet>.Empty;
        pad2 = 0;
        if (body.Ensure(2 /* lengthSourceDescriptor */ + 2 /* lengthCombinedCapabilities */, context) is { } missing)
        {
            return ShareWire.Shift(missing, context, bodyStart);
        }

        int lengthsAt = bodyStart + body.Position;
        int sourceLength = body.ReadUInt16Le();
        int combinedLength = body.ReadUInt16Le();
        if (body.Remaining < sourceLength)
        {
            return DecodeError.InvalidField(context, "lengthSourceDescriptor", "longer than the PDU", lengthsAt, body.Remaining, sourceLength);
        }

        sourceDescriptor = new ByteString(body.ReadBytes(sourceLength));
        if (combinedLength < CombinedHeaderSize)
        {
            return DecodeError.InvalidField(context, "lengthCombinedCapabilities", "smaller than numberCapabilities and pad2Octets", lengthsAt + 2, CombinedHeaderSize, combinedLength);
        }

        if (body.Remaining < combinedLength)
        {
            return DecodeError.InvalidField(context, "lengthCombinedCapabilities", "longer than the PDU", lengthsAt + 2, body.Remaining, combinedLength);
        }

        int count = body.ReadUInt16Le();
        pad2 = body.ReadUInt16Le();
        int regionStart = bodyStart + body.Position;
        return CapabilityList.Decode(body.ReadBytes(combinedLength - CombinedHeaderSize), regionStart, count, context, out sets);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.13.1.1 Demand Active PDU Data (TS_DEMAND_ACTIVE_PDU): the server's share ID, source
/// descriptor and capability sets; <c>sessionId</c> closes it.
/// </summary>
/// <param name="PduSource">The server channel (1002) in Windows' PDUs.</param>
/// <param name="ShareId">The share ID the client echoes in Confirm Active and every data PDU.</param>
/// <param name="SourceDescriptor">"RDP" plus NUL from Windows servers.</param>
/// <param name="CapabilitySets">The server's capability sets in wire order.</param>
/// <param name="SessionId">The session ID, which the client ignores; null when a server leaves it out.</param>
/// <param name="Pad2Octets">Padding, kept so received PDUs re-encode exactly.</param>
/// <seealso href="https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/bd612af5-cb54-43a2-9646-438bc3ecf5db"/>
public sealed record DemandActivePdu(
    ushort PduSource,
    uint ShareId,
    ByteString SourceDescriptor,
    ValueList<CapabilitySet> CapabilitySets,
    uint? SessionId = 0,
    ushort Pad2Octets = 0) : IPdu<DemandActivePdu>
{
    public static string PduName => "Demand Active PDU";

    /// <summary>"RDP" and its terminator, as Windows servers send.</summary>
    public static ByteString RdpSourceDescriptor { get; } = new("RDP\0"u8);

    public int Size => ShareControlHeader.FixedPartSize + 4 /* shareID */ + 2 /* lengthSourceDescriptor */ + 2 /* lengthCombinedCapabilities */
        + SourceDescriptor.Length + ActivePduWire.CombinedLength(CapabilitySets) + (SessionId is null ? 0 : 4 /* sessionId */);

    /// <summary>The first set of <paramref name="type"/>, if present.</summary>
    public CapabilitySet? Find(CapabilitySetType type) => CapabilitySets.FirstOrDefault(s => s.Type == type);

    public void Encode(ref PduWriter writer)
    {
        new ShareControlHeader(ShareWire.Checked16(Size, "totalLength"), PduType.DemandActivePdu, PduSource).Encode(ref writer);
        writer.WriteUInt32Le(ShareId);
        ActivePduWire.WriteLengths(ref writer, SourceDescriptor, CapabilitySets);
        ActivePduWire.WriteRest(ref writer, SourceDescriptor, CapabilitySets, Pad2Octets);
        if (SessionId is { } session)
        {
            writer.WriteUInt32Le(session);
        }
    }

    public static DecodeResult<DemandActivePdu> Decode(ref PduReader reader)
    {
        int start = reader.Position;
        if (ShareWire.ReadControlHeader(ref reader, PduName, PduType.DemandActivePdu, out ShareControlHeader header, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        int bodyStart = reader.Position - start;
        var body = new PduReader(reader.ReadBytes(bodyLength));
        if (body.Ensure(4, PduName) is { } missing)
        {
            return ShareWire.Shift(missing, PduName, bodyStart);
        }

        uint shareId = body.ReadUInt32Le();
        if (ActivePduWire.Read(ref body, bodyStart, PduName, out ByteString source, out ValueList<CapabilitySet> sets, out ushort pad2) is { } error)
        {
            return error;
        }

        uint? session = null;
        if (body.Remaining >= 4)
        {
            session = body.ReadUInt32Le();
        }

        if (body.Remaining != 0)
        {
            return DecodeError.Trailing(PduName, bodyStart + body.Position, body.Remaining);
        }

        return new DemandActivePdu(header.PduSource, shareId, source, sets, session, pad2);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.13.2.1 Confirm Active PDU Data (TS_CONFIRM_ACTIVE_PDU): the client's answer to Demand
/// Active with the echoed share ID, <c>originatorId</c> (the server channel, 0x03EA) and its capability sets.
/// </summary>
/// <param name="PduSource">The client's user channel ID.</param>
/// <param name="ShareId">Echo of the Demand Active share ID.</param>
/// <param name="SourceDescriptor">"MSTSC" plus NUL from mstsc.</param>
/// <param name="CapabilitySets">The client's capability sets in wire order.</param>
/// <param name="OriginatorId">MUST be the server channel ID 0x03EA (mstsc copies the Demand Active pduSource).</param>
/// <param name="Pad2Octets">Padding, kept so received PDUs re-encode exactly.</param>
/// <seealso href="https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/4e9722c3-ad83-43f5-af5a-529f73d88b48"/>
public sealed record ConfirmActivePdu(
    ushort PduSource,
    uint ShareId,
    ByteString SourceDescriptor,
    ValueList<CapabilitySet> CapabilitySets,
    ushort OriginatorId = ConfirmActivePdu.ServerChannelId,
    ushort Pad2Octets = 0) : IPdu<ConfirmActivePdu>
{
    /// <summary>The server channel ID (1002) that <c>originatorId</c> carries.</summary>
    public const ushort ServerChannelId = ActivePduWire.ServerChannelId;

    public static string PduName => "Confirm Active PDU";

    /// <summary>"MSTSC" and its terminator, as the Windows client sends.</summary>
    public static ByteString MstscSourceDescriptor { get; } = new("MSTSC\0"u8);

    public int Size => ShareControlHeader.FixedPartSize + 4 /* shareID */ + 2 /* originatorID */ + 2 /* lengthSourceDescriptor */
        + 2 /* lengthCombinedCapabilities */ + SourceDescriptor.Length + ActivePduWire.CombinedLength(CapabilitySets);

    /// <summary>The first set of <paramref name="type"/>, if present.</summary>
    public CapabilitySet? Find(CapabilitySetType type) => CapabilitySets.FirstOrDefault(s => s.Type == type);

    public void Encode(ref PduWriter writer)
    {
        new ShareControlHeader(ShareWire.Checked16(Size, "totalLength"), PduType.ConfirmActivePdu, PduSource).Encode(ref writer);
        writer.WriteUInt32Le(ShareId);
        writer.WriteUInt16Le(OriginatorId);
        ActivePduWire.WriteLengths(ref writer, SourceDescriptor, CapabilitySets);
        ActivePduWire.WriteRest(ref writer, SourceDescriptor, CapabilitySets, Pad2Octets);
    }

    public static DecodeResult<ConfirmActivePdu> Decode(ref PduReader reader)
    {
        int start = reader.Position;
        if (ShareWire.ReadControlHeader(ref reader, PduName, PduType.ConfirmActivePdu, out ShareControlHeader header, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        int bodyStart = reader.Position - start;
        var body = new PduReader(reader.ReadBytes(bodyLength));
        if (body.Ensure(4 /* shareID */ + 2 /* originatorID */, PduName) is { } missing)
        {
            return ShareWire.Shift(missing, PduName, bodyStart);
        }

        uint shareId = body.ReadUInt32Le();
        ushort originator = body.ReadUInt16Le();
        if (ActivePduWire.Read(ref body, bodyStart, PduName, out ByteString source, out ValueList<CapabilitySet> sets, out ushort pad2) is { } error)
        {
            return error;
        }

        if (body.Remaining != 0)
        {
            return DecodeError.Trailing(PduName, bodyStart + body.Position, body.Remaining);
        }

        return new ConfirmActivePdu(header.PduSource, shareId, source, sets, originator, pad2);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.3.1.1 Deactivate All PDU Data (TS_DEACTIVATE_ALL_PDU): the server ends the share, either to
/// disconnect or to run a new capabilities exchange.
/// </summary>
/// <param name="PduSource">Null for the 4-byte form (totalLength and pduType only) that some servers send.</param>
/// <param name="ShareId">Null when the PDU is a bare Share Control Header.</param>
/// <param name="SourceDescriptor">SHOULD be a single 0x00.</param>
/// <seealso href="https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/fc191c40-e688-4d5a-a550-6609cd5b8b59"/>
public sealed record DeactivateAllPdu(ushort? PduSource, uint? ShareId, ByteString SourceDescriptor) : IPdu<DeactivateAllPdu>
{
    /// <summary>totalLength of the short form without pduSource.</summary>
    public const int ShortFormLength = 2 /* totalLength */ + 2 /* pduType */;

    public static string PduName => "Deactivate All PDU";

    /// <summary>A Deactivate All as Windows sends it: the given share, a one-byte zero source descriptor.</summary>
    public static DeactivateAllPdu Create(uint shareId, ushort pduSource = ActivePduWire.ServerChannelId) =>
        new(pduSource, shareId, new ByteString([0]));

    public int Size => PduSource is null
        ? ShortFormLength
        : ShareControlHeader.FixedPartSize + (ShareId is null ? 0 : 4 /* shareID */ + 2 /* lengthSourceDescriptor */ + SourceDescriptor.Length);

    public void Encode(ref PduWriter writer)
    {
        if ((PduSource is null && (ShareId is not null || !SourceDescriptor.IsEmpty)) || (ShareId is null && !SourceDescriptor.IsEmpty))
        {
            ThrowHelper.ThrowInvalidState($"encoding {PduName}", "a short form with fields it cannot carry");
        }

        var header = new ShareControlHeader(ShareWire.Checked16(Size, "totalLength"), PduType.DeactivateAllPdu, PduSource ?? 0);
        if (PduSource is null)
        {
            writer.WriteUInt16Le(header.TotalLength);
            writer.WriteUInt16Le(header.PduTypeField);
            return;
        }

        header.Encode(ref writer);
        if (ShareId is { } shareId)
        {
            writer.WriteUInt32Le(shareId);
            writer.WriteUInt16Le(ShareWire.Checked16(SourceDescriptor.Length, "lengthSourceDescriptor"));
            writer.WriteBytes(SourceDescriptor.Span);
        }
    }

    public static DecodeResult<DeactivateAllPdu> Decode(ref PduReader reader)
    {
        if (reader.Ensure(ShortFormLength, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        if (reader.PeekByte() == ShortFormLength && reader.PeekByte(1) == 0)
        {
            // Windows XP-era servers send a Deactivate All of totalLength 4, without pduSource (FreeRDP accepts it).
            reader.Skip(2);
            ushort pduType = reader.ReadUInt16Le();
            if (pduType >> 4 != ShareControlHeader.TsProtocolVersion || (PduType)(pduType & 0x0F) != PduType.DeactivateAllPdu)
            {
                return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "pduType",
                    $"expected PDUTYPE_DEACTIVATEALLPDU, got 0x{pduType:x4}", start + 2, 0x16, pduType);
            }

            return new DeactivateAllPdu(null, null, ByteString.Empty);
        }

        if (ShareWire.ReadControlHeader(ref reader, PduName, PduType.DeactivateAllPdu, out ShareControlHeader header, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        int bodyStart = reader.Position - start;
        var body = new PduReader(reader.ReadBytes(bodyLength));
        if (body.Remaining == 0)
        {
            return new DeactivateAllPdu(header.PduSource, null, ByteString.Empty);
        }

        if (body.Ensure(4 /* shareID */ + 2 /* lengthSourceDescriptor */, PduName) is { } shortBody)
        {
            return ShareWire.Shift(shortBody, PduName, bodyStart);
        }

        uint shareId = body.ReadUInt32Le();
        int sourceLength = body.ReadUInt16Le();
        if (body.Remaining != sourceLength)
        {
            return DecodeError.InvalidField(PduName, "lengthSourceDescriptor", "does not match the bytes left in totalLength",
                bodyStart + 4, body.Remaining, sourceLength);
        }

        return new DeactivateAllPdu(header.PduSource, shareId, new ByteString(body.ReadBytes(sourceLength)));
    }
}
