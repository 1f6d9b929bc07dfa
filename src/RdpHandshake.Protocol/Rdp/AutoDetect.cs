using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.14.1 auto-detect request <c>requestType</c> values.</summary>
public enum AutoDetectRequestType : ushort
{
    /// <summary>RDP_RTT_REQUEST_TYPE_CONTINUOUS: RTT Measure Request after the connection is up (2.2.14.1.1).</summary>
    RttContinuous = 0x0001,

    /// <summary>RDP_RTT_REQUEST_TYPE_CONNECTTIME: RTT Measure Request during the connection sequence (2.2.14.1.1).</summary>
    RttConnectTime = 0x1001,

    /// <summary>RDP_BW_START_REQUEST_TYPE_CONTINUOUS: Bandwidth Measure Start (2.2.14.1.2).</summary>
    BandwidthStartContinuous = 0x0014,

    /// <summary>RDP_BW_START_REQUEST_TYPE_TUNNEL: Bandwidth Measure Start over a UDP tunnel (2.2.14.1.2).</summary>
    BandwidthStartTunnel = 0x0114,

    /// <summary>RDP_BW_START_REQUEST_TYPE_CONNECTTIME: Bandwidth Measure Start during connection (2.2.14.1.2).</summary>
    BandwidthStartConnectTime = 0x1014,

    /// <summary>RDP_BW_PAYLOAD_REQUEST_TYPE: Bandwidth Measure Payload (2.2.14.1.3).</summary>
    BandwidthPayload = 0x0002,

    /// <summary>RDP_BW_STOP_REQUEST_TYPE_CONNECTTIME: Bandwidth Measure Stop during connection (2.2.14.1.4).</summary>
    BandwidthStopConnectTime = 0x002B,

    /// <summary>RDP_BW_STOP_REQUEST_TYPE_CONTINUOUS: Bandwidth Measure Stop (2.2.14.1.4).</summary>
    BandwidthStopContinuous = 0x0429,

    /// <summary>RDP_BW_STOP_REQUEST_TYPE_TUNNEL: Bandwidth Measure Stop over a UDP tunnel (2.2.14.1.4).</summary>
    BandwidthStopTunnel = 0x0629,

    /// <summary>RDP_NETCHAR_RESULT with baseRTT and averageRTT (2.2.14.1.5).</summary>
    NetworkCharacteristicsBaseRttAverageRtt = 0x0840,

    /// <summary>RDP_NETCHAR_RESULT with bandwidth and averageRTT (2.2.14.1.5).</summary>
    NetworkCharacteristicsBandwidthAverageRtt = 0x0880,

    /// <summary>RDP_NETCHAR_RESULT with baseRTT, bandwidth and averageRTT (2.2.14.1.5).</summary>
    NetworkCharacteristicsAll = 0x08C0,
}

/// <summary>
/// MS-RDPBCGR 2.2.14.3 Auto-Detect Request PDU data (the bytes after the SEC_AUTODETECT_REQ security header): the
/// common request header of 2.2.14.1 — headerLength, headerTypeId (TYPE_ID_AUTODETECT_REQUEST), sequenceNumber,
/// requestType — and the rest of the request kept as bytes. An RTT Measure Request (2.2.14.1.1) is exactly the
/// 6-byte header; the other requests carry fields in <see cref="Body"/>.
/// </summary>
/// <param name="SequenceNumber">Echoed in the response.</param>
/// <param name="RequestType">Which measurement; see <see cref="AutoDetectRequestType"/>.</param>
/// <param name="Body">The bytes after the 6-byte common header (e.g. payloadLength and payload).</param>
/// <param name="HeaderLength">headerLength: 6 for RTT and start requests, 8 when a payloadLength follows, 14 for results.</param>
public sealed record AutoDetectRequest(ushort SequenceNumber, AutoDetectRequestType RequestType, ByteString Body = default, byte HeaderLength = AutoDetectRequest.CommonHeaderSize)
    : IPdu<AutoDetectRequest>
{
    /// <summary>TYPE_ID_AUTODETECT_REQUEST.</summary>
    public const byte TypeIdRequest = 0x00;

    public const byte CommonHeaderSize = 1 /* headerLength */ + 1 /* headerTypeId */ + 2 /* sequenceNumber */ + 2 /* requestType */;

    public const int FixedPartSize = CommonHeaderSize;

    public static string PduName => "Auto-Detect Request";

    public int Size => CommonHeaderSize + Body.Length;

    /// <summary>True for an RTT Measure Request (2.2.14.1.1), continuous or at connect time.</summary>
    public bool IsRttMeasureRequest => RequestType is AutoDetectRequestType.RttContinuous or AutoDetectRequestType.RttConnectTime;

    /// <summary>The spec's name of <see cref="RequestType"/>.</summary>
    public string RequestTypeName => RequestType switch
    {
        AutoDetectRequestType.RttContinuous => "RDP_RTT_REQUEST_TYPE_CONTINUOUS",
        AutoDetectRequestType.RttConnectTime => "RDP_RTT_REQUEST_TYPE_CONNECTTIME",
        AutoDetectRequestType.BandwidthStartContinuous => "RDP_BW_START_REQUEST_TYPE_CONTINUOUS",
        AutoDetectRequestType.BandwidthStartTunnel => "RDP_BW_START_REQUEST_TYPE_TUNNEL",
        AutoDetectRequestType.BandwidthStartConnectTime => "RDP_BW_START_REQUEST_TYPE_CONNECTTIME",
        AutoDetectRequestType.BandwidthPayload => "RDP_BW_PAYLOAD_REQUEST_TYPE",
        AutoDetectRequestType.BandwidthStopConnectTime => "RDP_BW_STOP_REQUEST_TYPE_CONNECTTIME",
        AutoDetectRequestType.BandwidthStopContinuous => "RDP_BW_STOP_REQUEST_TYPE_CONTINUOUS",
        AutoDetectRequestType.BandwidthStopTunnel => "RDP_BW_STOP_REQUEST_TYPE_TUNNEL",
        AutoDetectRequestType.NetworkCharacteristicsBaseRttAverageRtt => "RDP_NETCHAR_RESULT (baseRTT, averageRTT)",
        AutoDetectRequestType.NetworkCharacteristicsBandwidthAverageRtt => "RDP_NETCHAR_RESULT (bandwidth, averageRTT)",
        AutoDetectRequestType.NetworkCharacteristicsAll => "RDP_NETCHAR_RESULT (baseRTT, bandwidth, averageRTT)",
        _ => $"requestType 0x{(ushort)RequestType:x4}",
    };

    /// <summary>An RTT Measure Request (2.2.14.1.1).</summary>
    public static AutoDetectRequest RttMeasure(ushort sequenceNumber, bool connectTime = true) =>
        new(sequenceNumber, connectTime ? AutoDetectRequestType.RttConnectTime : AutoDetectRequestType.RttContinuous);

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(HeaderLength);
        writer.WriteByte(TypeIdRequest);
        writer.WriteUInt16Le(SequenceNumber);
        writer.WriteUInt16Le((ushort)RequestType);
        writer.WriteBytes(Body.Span);
    }

    /// <summary>Decodes the request; everything after the common header up to the end of the input is <see cref="Body"/>.</summary>
    public static DecodeResult<AutoDetectRequest> Decode(ref PduReader reader)
    {
        if (reader.Ensure(CommonHeaderSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte headerLength = reader.ReadByte();
        byte typeId = reader.ReadByte();
        if (typeId != TypeIdRequest)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "headerTypeId",
                $"expected TYPE_ID_AUTODETECT_REQUEST (0x00), got 0x{typeId:x2}", start + 1, TypeIdRequest, typeId);
        }

        ushort sequence = reader.ReadUInt16Le();
        var type = (AutoDetectRequestType)reader.ReadUInt16Le();
        if (headerLength < CommonHeaderSize || reader.Remaining + CommonHeaderSize < headerLength)
        {
            return DecodeError.InvalidField(PduName, "headerLength", "outside the common header and the bytes received", start,
                CommonHeaderSize, headerLength);
        }

        return new AutoDetectRequest(sequence, type, new ByteString(reader.ReadBytes(reader.Remaining)), headerLength);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.14.2.1 RTT Measure Response (RDP_RTT_RESPONSE), the client's answer to an RTT Measure Request:
/// headerLength 6, headerTypeId TYPE_ID_AUTODETECT_RESPONSE, the request's sequence number, responseType 0x0000.
/// It goes after a security header with SEC_AUTODETECT_RSP (2.2.14.4).
/// </summary>
public sealed record RttMeasureResponse(ushort SequenceNumber) : IPdu<RttMeasureResponse>
{
    /// <summary>TYPE_ID_AUTODETECT_RESPONSE.</summary>
    public const byte TypeIdResponse = 0x01;

    /// <summary>RDP_RTT_RESPONSE_TYPE.</summary>
    public const ushort ResponseType = 0x0000;

    public const int FixedPartSize = 1 /* headerLength */ + 1 /* headerTypeId */ + 2 /* sequenceNumber */ + 2 /* responseType */;

    public static string PduName => "RTT Measure Response";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(FixedPartSize);
        writer.WriteByte(TypeIdResponse);
        writer.WriteUInt16Le(SequenceNumber);
        writer.WriteUInt16Le(ResponseType);
    }

    public static DecodeResult<RttMeasureResponse> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte headerLength = reader.ReadByte();
        byte typeId = reader.ReadByte();
        ushort sequence = reader.ReadUInt16Le();
        ushort responseType = reader.ReadUInt16Le();
        if (headerLength != FixedPartSize)
        {
            return DecodeError.InvalidField(PduName, "headerLength", $"must be {FixedPartSize}", start, FixedPartSize, headerLength);
        }

        if (typeId != TypeIdResponse)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "headerTypeId",
                $"expected TYPE_ID_AUTODETECT_RESPONSE (0x01), got 0x{typeId:x2}", start + 1, TypeIdResponse, typeId);
        }

        if (responseType != ResponseType)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "responseType",
                $"expected RDP_RTT_RESPONSE_TYPE (0x0000), got 0x{responseType:x4}", start + 4, ResponseType, responseType);
        }

        return new RttMeasureResponse(sequence);
    }
}
