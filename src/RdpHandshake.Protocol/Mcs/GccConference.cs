using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>
/// T.124 GCC Conference Create Request (PER) as RDP uses it (MS-RDPBCGR 2.2.1.3, 3.2.5.3.3): a ConnectData with
/// the T.124 object identifier, a conference named "1", and one H.221 non-standard user data item keyed
/// <c>Duca</c> that carries the client data blocks.
/// </summary>
public sealed record GccConferenceCreateRequest(ByteString UserData) : IPdu<GccConferenceCreateRequest>
{
    public static string PduName => "GCC Conference Create Request";

    /// <summary>ConnectData: t124Identifier object (choice 0), OID length 5, OID 0.0.20.124.0.1.</summary>
    internal static ReadOnlySpan<byte> T124Identifier => [0x00, 0x05, 0x00, 0x14, 0x7C, 0x00, 0x01];

    /// <summary>
    /// ConnectGCCPDU conferenceCreateRequest: choice 0 with userData present; conferenceName numeric "1";
    /// lockedConference, listedConference, conductibleConference FALSE; terminationMethod automatic; one
    /// userData item, key h221NonStandard of four octets.
    /// </summary>
    private static ReadOnlySpan<byte> RequestHeader => [0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xC0, 0x00];

    /// <summary>The H.221 key of client-to-server user data.</summary>
    private static ReadOnlySpan<byte> ClientKey => "Duca"u8;

    private int ConnectPduSize => RequestHeader.Length + ClientKey.Length + Per.LengthSize(UserData.Length) + UserData.Length;

    public int Size => T124Identifier.Length + Per.LengthSize(ConnectPduSize) + ConnectPduSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteBytes(T124Identifier);
        Per.WriteLength(ref writer, ConnectPduSize);
        writer.WriteBytes(RequestHeader);
        writer.WriteBytes(ClientKey);
        Per.WriteLength(ref writer, UserData.Length);
        writer.WriteBytes(UserData.Span);
    }

    public static DecodeResult<GccConferenceCreateRequest> Decode(ref PduReader reader)
    {
        if (Per.ExpectBytes(ref reader, T124Identifier, PduName, "t124Identifier") is { } oidError)
        {
            return oidError;
        }

        DecodeResult<int> length = Per.ReadBoundedLength(ref reader, PduName, "connectPDU length");
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        int end = reader.Position + length.Value;
        if (Per.ExpectBytes(ref reader, RequestHeader, PduName, "conferenceCreateRequest") is { } headerError)
        {
            return headerError;
        }

        if (Per.ExpectBytes(ref reader, ClientKey, PduName, "h221NonStandard key") is { } keyError)
        {
            return keyError;
        }

        DecodeResult<int> dataLength = Per.ReadBoundedLength(ref reader, PduName, "userData length");
        if (!dataLength.IsSuccess)
        {
            return dataLength.Error;
        }

        var data = new ByteString(reader.ReadBytes(dataLength.Value));
        if (reader.Position != end)
        {
            return DecodeError.InvalidField(PduName, "connectPDU length", "does not match the user data length", reader.Position, end, reader.Position);
        }

        return new GccConferenceCreateRequest(data);
    }
}

/// <summary>
/// T.124 GCC Conference Create Response (PER) as RDP uses it (MS-RDPBCGR 2.2.1.4): node ID, tag, result and
/// one H.221 user data item keyed <c>McDn</c> carrying the server data blocks.
/// </summary>
/// <remarks>
/// Servers copy the spec's example here: xrdp 0.9 always announces a ConnectPDU length of 0x2a whatever
/// follows, and writes the user data length in the two-byte form even under 128. Clients (FreeRDP, Windows)
/// ignore the ConnectPDU length, so the decoder does too, and keeps both quirks so the bytes re-encode as sent.
/// </remarks>
/// <param name="NodeId">The server's T.124 node ID (1001 or more).</param>
/// <param name="Tag">The conference tag.</param>
/// <param name="Result">The T.124 result; 0 is success.</param>
/// <param name="UserData">The server data blocks.</param>
/// <param name="AnnouncedConnectPduLength">The ConnectPDU length as sent when it is not the true length; null when it is.</param>
/// <param name="LongUserDataLength">True when the user data length used the two-byte form for a value under 128.</param>
public sealed record GccConferenceCreateResponse(ushort NodeId, uint Tag, byte Result, ByteString UserData, int? AnnouncedConnectPduLength = null, bool LongUserDataLength = false) : IPdu<GccConferenceCreateResponse>
{
    /// <summary>The lowest T.124 UserID; the node ID is sent as an offset from it.</summary>
    public const ushort MinNodeId = 1001;

    public static string PduName => "GCC Conference Create Response";

    /// <summary>ConnectGCCPDU choice conferenceCreateResponse (1) with the userData option present.</summary>
    private const byte ResponseChoice = 0x14;

    /// <summary>The H.221 key of server-to-client user data.</summary>
    private static ReadOnlySpan<byte> ServerKey => "McDn"u8;

    /// <summary>userData: a SET OF one item whose key is h221NonStandard with the value present, key length 4 (offset 4).</summary>
    private static ReadOnlySpan<byte> UserDataItemHeader => [0x01, 0xC0, 0x00];

    private int TagSize => Ber.IntegerContentSize(Tag);

    private int ConnectPduSize =>
        1 /* choice */ + 2 /* nodeID */ + 1 /* tag length */ + TagSize + 1 /* result */
        + UserDataItemHeader.Length + ServerKey.Length + UserDataLengthSize + UserData.Length;

    private int UserDataLengthSize => LongUserDataLength ? 2 : Per.LengthSize(UserData.Length);

    private int AnnouncedLength => AnnouncedConnectPduLength ?? ConnectPduSize;

    public int Size => GccConferenceCreateRequest.T124Identifier.Length + Per.LengthSize(AnnouncedLength) + ConnectPduSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteBytes(GccConferenceCreateRequest.T124Identifier);
        Per.WriteLength(ref writer, AnnouncedLength);
        writer.WriteByte(ResponseChoice);
        if (NodeId < MinNodeId)
        {
            ThrowHelper.ThrowArgument(nameof(NodeId), $"a T.124 node ID is at least {MinNodeId}, got {NodeId}");
        }

        writer.WriteUInt16Be((ushort)(NodeId - MinNodeId));
        writer.WriteByte((byte)TagSize);
        for (int shift = (TagSize - 1) * 8; shift >= 0; shift -= 8)
        {
            writer.WriteByte((byte)(Tag >> shift));
        }

        // The result ENUMERATED is extensible: its extension bit is the high bit, the index the rest.
        writer.WriteByte(Result);
        writer.WriteBytes(UserDataItemHeader);
        writer.WriteBytes(ServerKey);
        if (LongUserDataLength)
        {
            writer.WriteUInt16Be((ushort)(0x8000 | UserData.Length));
        }
        else
        {
            Per.WriteLength(ref writer, UserData.Length);
        }

        writer.WriteBytes(UserData.Span);
    }

    public static DecodeResult<GccConferenceCreateResponse> Decode(ref PduReader reader)
    {
        if (Per.ExpectBytes(ref reader, GccConferenceCreateRequest.T124Identifier, PduName, "t124Identifier") is { } oidError)
        {
            return oidError;
        }

        // The announced ConnectPDU length is kept, not trusted (see remarks): the fields are framed on their own.
        int lengthAt = reader.Position;
        DecodeResult<int> length = Per.ReadLength(ref reader, PduName, "connectPDU length");
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        int lengthSize = reader.Position - lengthAt;
        if (reader.Ensure(1 + 2 + 1, PduName) is { } missing)
        {
            return missing;
        }

        int choiceAt = reader.Position;
        byte choice = reader.ReadByte();
        if (choice != ResponseChoice)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "ConnectGCCPDU",
                $"expected conferenceCreateResponse (0x{ResponseChoice:x2}), got 0x{choice:x2}", choiceAt, ResponseChoice, choice);
        }

        int nodeId = reader.ReadUInt16Be() + MinNodeId;
        if (nodeId > ushort.MaxValue)
        {
            return DecodeError.InvalidField(PduName, "nodeID", $"{nodeId} is above the UserID range 1001..65535", choiceAt + 1, ushort.MaxValue, nodeId);
        }

        int tagAt = reader.Position;
        byte tagLength = reader.ReadByte();
        if (tagLength is < 1 or > 4)
        {
            return DecodeError.InvalidField(PduName, "tag", $"an INTEGER of {tagLength} bytes is out of range", tagAt, 4, tagLength);
        }

        if (reader.Ensure(tagLength + 1, PduName) is { } missingTag)
        {
            return missingTag;
        }

        uint tag = 0;
        for (int i = 0; i < tagLength; i++)
        {
            tag = (tag << 8) | reader.ReadByte();
        }

        byte result = reader.ReadByte();
        if (Per.ExpectBytes(ref reader, UserDataItemHeader, PduName, "userData") is { } itemError)
        {
            return itemError;
        }

        if (Per.ExpectBytes(ref reader, ServerKey, PduName, "h221NonStandard key") is { } keyError)
        {
            return keyError;
        }

        int dataLengthAt = reader.Position;
        DecodeResult<int> dataLength = Per.ReadBoundedLength(ref reader, PduName, "userData length");
        if (!dataLength.IsSuccess)
        {
            return dataLength.Error;
        }

        bool longForm = reader.Position - dataLengthAt == 2 && dataLength.Value < 0x80;
        var data = new ByteString(reader.ReadBytes(dataLength.Value));
        var response = new GccConferenceCreateResponse((ushort)nodeId, tag, result, data, LongUserDataLength: longForm);
        int trueLength = response.ConnectPduSize;
        if (length.Value == trueLength && lengthSize == Per.LengthSize(trueLength))
        {
            return response;
        }

        // Keep a wrong (or non-minimally encoded) length only if re-encoding reproduces its bytes exactly.
        return Per.LengthSize(length.Value) == lengthSize
            ? response with { AnnouncedConnectPduLength = length.Value }
            : DecodeError.InvalidField(PduName, "connectPDU length", "a length under 128 in the two-byte form", lengthAt);
    }
}
