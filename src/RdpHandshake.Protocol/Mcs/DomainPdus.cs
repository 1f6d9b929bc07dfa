using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>T.125 DomainMCSPDU CHOICE indices used by RDP (PER: the index is the top six bits of the first byte).</summary>
public enum DomainMcsPduType : byte
{
    ErectDomainRequest = 1,
    DisconnectProviderUltimatum = 8,
    AttachUserRequest = 10,
    AttachUserConfirm = 11,
    ChannelJoinRequest = 14,
    ChannelJoinConfirm = 15,
    SendDataRequest = 25,
    SendDataIndication = 26,
}

/// <summary>Shared PER pieces of the domain PDUs.</summary>
public static class DomainPdu
{
    /// <summary>MCS user IDs are sent as an offset from 1001 (T.125 UserId ::= DynamicChannelId (1001..65535)).</summary>
    public const ushort BaseChannelId = 1001;

    /// <summary>The DomainMCSPDU choice of the first byte, or null for an empty span.</summary>
    public static DomainMcsPduType? PeekType(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? null : (DomainMcsPduType)(bytes[0] >> 2);

    /// <summary>The T.125 name of a choice, e.g. <c>attachUserConfirm</c>.</summary>
    public static string Name(DomainMcsPduType type) => type switch
    {
        DomainMcsPduType.ErectDomainRequest => "erectDomainRequest",
        DomainMcsPduType.DisconnectProviderUltimatum => "disconnectProviderUltimatum",
        DomainMcsPduType.AttachUserRequest => "attachUserRequest",
        DomainMcsPduType.AttachUserConfirm => "attachUserConfirm",
        DomainMcsPduType.ChannelJoinRequest => "channelJoinRequest",
        DomainMcsPduType.ChannelJoinConfirm => "channelJoinConfirm",
        DomainMcsPduType.SendDataRequest => "sendDataRequest",
        DomainMcsPduType.SendDataIndication => "sendDataIndication",
        _ => $"DomainMCSPDU choice {(byte)type}",
    };

    /// <summary>
    /// Reads the choice byte; its two low bits are the PDU's optional-field bits, and any bit outside
    /// <paramref name="optionBits"/> must be zero (X.691 padding).
    /// </summary>
    internal static DecodeError? ExpectChoice(ref PduReader reader, DomainMcsPduType type, string context, out byte options, byte optionBits = 0)
    {
        options = 0;
        if (reader.Ensure(1, context) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte first = reader.ReadByte();
        if (first >> 2 != (byte)type)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, context, "DomainMCSPDU",
                $"expected {Name(type)} (choice {(byte)type}), got {Name((DomainMcsPduType)(first >> 2))}", start, (byte)type, first >> 2);
        }

        options = (byte)(first & 0x03);
        if ((options & ~optionBits) != 0)
        {
            return DecodeError.InvalidField(context, "padding", $"bits 0x{options & ~optionBits:x1} of the choice byte must be zero", start, 0, options & ~optionBits);
        }

        return null;
    }

    internal static void WriteUserId(ref PduWriter writer, ushort userId, string context)
    {
        if (userId < BaseChannelId)
        {
            ThrowHelper.ThrowArgument(context, $"an MCS user ID is at least {BaseChannelId}, got {userId}");
        }

        writer.WriteUInt16Be((ushort)(userId - BaseChannelId));
    }

    internal static DecodeResult<ushort> ReadUserId(ref PduReader reader, string context, string field)
    {
        int start = reader.Position;
        int value = reader.ReadUInt16Be() + BaseChannelId;
        return value > ushort.MaxValue
            ? DecodeError.InvalidField(context, field, $"{value} is above the UserId range 1001..65535", start, ushort.MaxValue, value)
            : (ushort)value;
    }

    internal static DecodeResult<McsResult> ReadResult(ref PduReader reader, string context)
    {
        int start = reader.Position;
        byte raw = reader.ReadByte();
        // The 4-bit Result enumeration is octet-aligned here: its value sits in the high nibble's low bits as
        // Windows and FreeRDP send it, i.e. the byte is the enumeration index.
        return raw > (byte)McsResult.UserRejected
            ? DecodeError.InvalidField(context, "result", $"{raw} is not a T.125 Result", start, (byte)McsResult.UserRejected, raw)
            : (McsResult)raw;
    }
}

/// <summary>Erect-Domain-Request (MS-RDPBCGR 2.2.1.5): <c>04 01 00 01 00</c> for subHeight 0, subInterval 0.</summary>
public sealed record ErectDomainRequest(byte SubHeight = 0, byte SubInterval = 0) : IPdu<ErectDomainRequest>
{
    public static string PduName => "MCS Erect Domain Request";

    public int Size => 1 /* choice */ + 2 /* subHeight */ + 2 /* subInterval */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte((byte)DomainMcsPduType.ErectDomainRequest << 2);
        writer.WriteByte(1);
        writer.WriteByte(SubHeight);
        writer.WriteByte(1);
        writer.WriteByte(SubInterval);
    }

    public static DecodeResult<ErectDomainRequest> Decode(ref PduReader reader)
    {
        if (DomainPdu.ExpectChoice(ref reader, DomainMcsPduType.ErectDomainRequest, PduName, out _) is { } error)
        {
            return error;
        }

        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte heightLength = reader.ReadByte();
        byte height = reader.ReadByte();
        byte intervalLength = reader.ReadByte();
        byte interval = reader.ReadByte();
        if (heightLength != 1 || intervalLength != 1)
        {
            return DecodeError.InvalidField(PduName, "subHeight/subInterval", "only one-byte integers are supported", start);
        }

        return new ErectDomainRequest(height, interval);
    }
}

/// <summary>Attach-User-Request (MS-RDPBCGR 2.2.1.6): the single byte <c>28</c>.</summary>
public sealed record AttachUserRequest : IPdu<AttachUserRequest>
{
    public static string PduName => "MCS Attach User Request";

    public int Size => 1;

    public void Encode(ref PduWriter writer) => writer.WriteByte((byte)DomainMcsPduType.AttachUserRequest << 2);

    public static DecodeResult<AttachUserRequest> Decode(ref PduReader reader) =>
        DomainPdu.ExpectChoice(ref reader, DomainMcsPduType.AttachUserRequest, PduName, out _) is { } error ? error : new AttachUserRequest();
}

/// <summary>Attach-User-Confirm (MS-RDPBCGR 2.2.1.7): the result and, on success, the user's channel ID.</summary>
public sealed record AttachUserConfirm(McsResult Result, ushort? Initiator) : IPdu<AttachUserConfirm>
{
    public static string PduName => "MCS Attach User Confirm";

    public int Size => 1 /* choice and initiator-present bit */ + 1 /* result */ + (Initiator is null ? 0 : 2);

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte((byte)(((byte)DomainMcsPduType.AttachUserConfirm << 2) | (Initiator is null ? 0 : 0x02)));
        writer.WriteByte((byte)Result);
        if (Initiator is { } initiator)
        {
            DomainPdu.WriteUserId(ref writer, initiator, nameof(Initiator));
        }
    }

    public static DecodeResult<AttachUserConfirm> Decode(ref PduReader reader)
    {
        if (DomainPdu.ExpectChoice(ref reader, DomainMcsPduType.AttachUserConfirm, PduName, out byte options, optionBits: 0x02) is { } error)
        {
            return error;
        }

        bool hasInitiator = (options & 0x02) != 0;
        if (reader.Ensure(1 + (hasInitiator ? 2 : 0), PduName) is { } missing)
        {
            return missing;
        }

        DecodeResult<McsResult> result = DomainPdu.ReadResult(ref reader, PduName);
        if (!result.IsSuccess)
        {
            return result.Error;
        }

        if (!hasInitiator)
        {
            return new AttachUserConfirm(result.Value, null);
        }

        DecodeResult<ushort> initiator = DomainPdu.ReadUserId(ref reader, PduName, "initiator");
        return initiator.IsSuccess ? new AttachUserConfirm(result.Value, initiator.Value) : initiator.Error;
    }
}

/// <summary>Channel-Join-Request (MS-RDPBCGR 2.2.1.8): e.g. <c>38 00 06 03 eb</c> (user 1007 joins 1003).</summary>
public sealed record ChannelJoinRequest(ushort Initiator, ushort ChannelId) : IPdu<ChannelJoinRequest>
{
    public static string PduName => "MCS Channel Join Request";

    public int Size => 1 /* choice */ + 2 /* initiator */ + 2 /* channelId */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte((byte)DomainMcsPduType.ChannelJoinRequest << 2);
        DomainPdu.WriteUserId(ref writer, Initiator, nameof(Initiator));
        writer.WriteUInt16Be(ChannelId);
    }

    public static DecodeResult<ChannelJoinRequest> Decode(ref PduReader reader)
    {
        if (DomainPdu.ExpectChoice(ref reader, DomainMcsPduType.ChannelJoinRequest, PduName, out _) is { } error)
        {
            return error;
        }

        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        DecodeResult<ushort> initiator = DomainPdu.ReadUserId(ref reader, PduName, "initiator");
        return initiator.IsSuccess ? new ChannelJoinRequest(initiator.Value, reader.ReadUInt16Be()) : initiator.Error;
    }
}

/// <summary>Channel-Join-Confirm (MS-RDPBCGR 2.2.1.9): e.g. <c>3e 00 00 06 03 ef 03 ef</c>.</summary>
public sealed record ChannelJoinConfirm(McsResult Result, ushort Initiator, ushort Requested, ushort? ChannelId) : IPdu<ChannelJoinConfirm>
{
    public static string PduName => "MCS Channel Join Confirm";

    public int Size => 1 /* choice and channelId-present bit */ + 1 /* result */ + 2 /* initiator */ + 2 /* requested */ + (ChannelId is null ? 0 : 2);

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte((byte)(((byte)DomainMcsPduType.ChannelJoinConfirm << 2) | (ChannelId is null ? 0 : 0x02)));
        writer.WriteByte((byte)Result);
        DomainPdu.WriteUserId(ref writer, Initiator, nameof(Initiator));
        writer.WriteUInt16Be(Requested);
        if (ChannelId is { } channel)
        {
            writer.WriteUInt16Be(channel);
        }
    }

    public static DecodeResult<ChannelJoinConfirm> Decode(ref PduReader reader)
    {
        if (DomainPdu.ExpectChoice(ref reader, DomainMcsPduType.ChannelJoinConfirm, PduName, out byte options, optionBits: 0x02) is { } error)
        {
            return error;
        }

        bool hasChannel = (options & 0x02) != 0;
        if (reader.Ensure(1 + 2 + 2 + (hasChannel ? 2 : 0), PduName) is { } missing)
        {
            return missing;
        }

        DecodeResult<McsResult> result = DomainPdu.ReadResult(ref reader, PduName);
        if (!result.IsSuccess)
        {
            return result.Error;
        }

        DecodeResult<ushort> initiator = DomainPdu.ReadUserId(ref reader, PduName, "initiator");
        if (!initiator.IsSuccess)
        {
            return initiator.Error;
        }

        ushort requested = reader.ReadUInt16Be();
        ushort? channel = hasChannel ? reader.ReadUInt16Be() : null;
        return new ChannelJoinConfirm(result.Value, initiator.Value, requested, channel);
    }
}

/// <summary>
/// Send-Data-Request (client to server, choice 25) and Send-Data-Indication (server to client, choice 26),
/// MS-RDPBCGR 2.2.1.10 and later: initiator, channel, priority and segmentation, then the PER-length-prefixed
/// user data that carries every RDP PDU after the channel joins.
/// </summary>
public sealed record SendData(DomainMcsPduType Type, ushort Initiator, ushort ChannelId, ByteString UserData, byte PriorityAndSegmentation = SendData.HighPriorityWhole) : IPdu<SendData>
{
    /// <summary>dataPriority high, segmentation begin | end: <c>0x70</c>.</summary>
    public const byte HighPriorityWhole = 0x70;

    public static string PduName => "MCS Send Data";

    public static SendData Request(ushort initiator, ushort channelId, ReadOnlySpan<byte> userData) =>
        new(DomainMcsPduType.SendDataRequest, initiator, channelId, new ByteString(userData));

    public static SendData Indication(ushort initiator, ushort channelId, ReadOnlySpan<byte> userData) =>
        new(DomainMcsPduType.SendDataIndication, initiator, channelId, new ByteString(userData));

    public int Size => 1 /* choice */ + 2 /* initiator */ + 2 /* channelId */ + 1 /* priority, segmentation */ + Per.LengthSize(UserData.Length) + UserData.Length;

    public void Encode(ref PduWriter writer)
    {
        if (Type is not (DomainMcsPduType.SendDataRequest or DomainMcsPduType.SendDataIndication))
        {
            ThrowHelper.ThrowArgument(nameof(Type), $"{Type} is not a Send Data PDU");
        }

        writer.WriteByte((byte)((byte)Type << 2));
        DomainPdu.WriteUserId(ref writer, Initiator, nameof(Initiator));
        writer.WriteUInt16Be(ChannelId);
        writer.WriteByte(PriorityAndSegmentation);
        Per.WriteLength(ref writer, UserData.Length);
        writer.WriteBytes(UserData.Span);
    }

    public static DecodeResult<SendData> Decode(ref PduReader reader)
    {
        if (reader.Ensure(1 + 2 + 2 + 1 + 1, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte first = reader.ReadByte();
        var type = (DomainMcsPduType)(first >> 2);
        if ((first & 0x03) != 0)
        {
            return DecodeError.InvalidField(PduName, "padding", "the two low bits of the choice byte must be zero", start, 0, first & 0x03);
        }

        if (type is not (DomainMcsPduType.SendDataRequest or DomainMcsPduType.SendDataIndication))
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "DomainMCSPDU",
                $"expected sendDataRequest or sendDataIndication, got {DomainPdu.Name(type)}", start, (byte)DomainMcsPduType.SendDataIndication, (byte)type);
        }

        DecodeResult<ushort> initiator = DomainPdu.ReadUserId(ref reader, PduName, "initiator");
        if (!initiator.IsSuccess)
        {
            return initiator.Error;
        }

        ushort channel = reader.ReadUInt16Be();
        byte priority = reader.ReadByte();
        DecodeResult<int> length = Per.ReadBoundedLength(ref reader, PduName, "userData length");
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        return new SendData(type, initiator.Value, channel, new ByteString(reader.ReadBytes(length.Value)), priority);
    }
}
