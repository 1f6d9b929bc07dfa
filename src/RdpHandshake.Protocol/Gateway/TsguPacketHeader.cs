using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Gateway;

/// <summary>
/// The packet types of the RD Gateway HTTP transport (MS-TSGU 2.2.5.3.3 HTTP_PACKET_TYPE). Every value travels in
/// the <c>packetType</c> field of an <see cref="TsguPacketHeader"/>.
/// </summary>
public enum TsguPacketType : ushort
{
    /// <summary>PKT_TYPE_HANDSHAKE_REQUEST: the client's first packet (MS-TSGU 2.2.10.10).</summary>
    HandshakeRequest = 0x1,

    /// <summary>PKT_TYPE_HANDSHAKE_RESPONSE (MS-TSGU 2.2.10.11).</summary>
    HandshakeResponse = 0x2,

    /// <summary>PKT_TYPE_EXTENDED_AUTH_MSG: smart card or PAA exchange (MS-TSGU 2.2.10.7).</summary>
    ExtendedAuthMessage = 0x3,

    /// <summary>PKT_TYPE_TUNNEL_CREATE (MS-TSGU 2.2.10.18).</summary>
    TunnelCreate = 0x4,

    /// <summary>PKT_TYPE_TUNNEL_RESPONSE (MS-TSGU 2.2.10.20).</summary>
    TunnelResponse = 0x5,

    /// <summary>PKT_TYPE_TUNNEL_AUTH (MS-TSGU 2.2.10.14).</summary>
    TunnelAuth = 0x6,

    /// <summary>PKT_TYPE_TUNNEL_AUTH_RESPONSE (MS-TSGU 2.2.10.16).</summary>
    TunnelAuthResponse = 0x7,

    /// <summary>PKT_TYPE_CHANNEL_CREATE (MS-TSGU 2.2.10.1).</summary>
    ChannelCreate = 0x8,

    /// <summary>PKT_TYPE_CHANNEL_RESPONSE (MS-TSGU 2.2.10.3).</summary>
    ChannelResponse = 0x9,

    /// <summary>PKT_TYPE_DATA: tunnelled bytes (MS-TSGU 2.2.10.6).</summary>
    Data = 0xA,

    /// <summary>PKT_TYPE_SERVICE_MESSAGE: an administrator's message (MS-TSGU 2.2.10.13).</summary>
    ServiceMessage = 0xB,

    /// <summary>PKT_TYPE_REAUTH_MESSAGE (MS-TSGU 2.2.10.12).</summary>
    ReauthMessage = 0xC,

    /// <summary>PKT_TYPE_KEEPALIVE: header only (MS-TSGU 2.2.10.8).</summary>
    KeepAlive = 0xD,

    /// <summary>PKT_TYPE_CLOSE_CHANNEL (MS-TSGU 2.2.10.5).</summary>
    CloseChannel = 0x10,

    /// <summary>PKT_TYPE_CLOSE_CHANNEL_RESPONSE (MS-TSGU 2.2.10.5).</summary>
    CloseChannelResponse = 0x11,
}

/// <summary>Names of <see cref="TsguPacketType"/> as the specification spells them.</summary>
public static class TsguPacketTypeNames
{
    /// <summary><c>PKT_TYPE_TUNNEL_RESPONSE</c>; an unknown value as <c>packet type 0x0042</c>.</summary>
    public static string Name(TsguPacketType type) => type switch
    {
        TsguPacketType.HandshakeRequest => "PKT_TYPE_HANDSHAKE_REQUEST",
        TsguPacketType.HandshakeResponse => "PKT_TYPE_HANDSHAKE_RESPONSE",
        TsguPacketType.ExtendedAuthMessage => "PKT_TYPE_EXTENDED_AUTH_MSG",
        TsguPacketType.TunnelCreate => "PKT_TYPE_TUNNEL_CREATE",
        TsguPacketType.TunnelResponse => "PKT_TYPE_TUNNEL_RESPONSE",
        TsguPacketType.TunnelAuth => "PKT_TYPE_TUNNEL_AUTH",
        TsguPacketType.TunnelAuthResponse => "PKT_TYPE_TUNNEL_AUTH_RESPONSE",
        TsguPacketType.ChannelCreate => "PKT_TYPE_CHANNEL_CREATE",
        TsguPacketType.ChannelResponse => "PKT_TYPE_CHANNEL_RESPONSE",
        TsguPacketType.Data => "PKT_TYPE_DATA",
        TsguPacketType.ServiceMessage => "PKT_TYPE_SERVICE_MESSAGE",
        TsguPacketType.ReauthMessage => "PKT_TYPE_REAUTH_MESSAGE",
        TsguPacketType.KeepAlive => "PKT_TYPE_KEEPALIVE",
        TsguPacketType.CloseChannel => "PKT_TYPE_CLOSE_CHANNEL",
        TsguPacketType.CloseChannelResponse => "PKT_TYPE_CLOSE_CHANNEL_RESPONSE",
        _ => $"packet type 0x{(ushort)type:x4}",
    };
}

/// <summary>
/// HTTP_PACKET_HEADER (MS-TSGU 2.2.10.9): <c>packetType(2) reserved(2) packetLength(4)</c>, little-endian, where
/// <c>packetLength</c> counts the whole packet including these eight bytes.
/// </summary>
public readonly record struct TsguPacketHeader(TsguPacketType Type, uint PacketLength, ushort Reserved = 0) : IPdu<TsguPacketHeader>
{
    /// <summary>2 /* packetType */ + 2 /* reserved */ + 4 /* packetLength */.</summary>
    public const int FixedPartSize = 8;

    /// <summary>
    /// The largest packet rdphs accepts: a PKT_TYPE_DATA packet carrying the most its 16-bit <c>cbDataLen</c> can
    /// say (8 + 2 + 65535 bytes). No control packet comes near it.
    /// </summary>
    public const int MaxPacketLength = FixedPartSize + 2 + ushort.MaxValue;

    public static string PduName => "HTTP_PACKET_HEADER";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)Type);
        writer.WriteUInt16Le(Reserved);
        writer.WriteUInt32Le(PacketLength);
    }

    public static DecodeResult<TsguPacketHeader> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        var type = (TsguPacketType)reader.ReadUInt16Le();
        ushort reserved = reader.ReadUInt16Le();
        uint length = reader.ReadUInt32Le();
        if (length < FixedPartSize)
        {
            return DecodeError.InvalidField(PduName, "packetLength", $"{length} is smaller than the header's {FixedPartSize} bytes", start + 4, FixedPartSize, length);
        }

        return new TsguPacketHeader(type, length, reserved);
    }

    /// <summary>
    /// Frames one gateway packet from the first bytes of the stream: its whole size once the header is in, "need
    /// more" before, or an error for a length below the header or above <paramref name="maxPacketLength"/>.
    /// </summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered, int maxPacketLength = MaxPacketLength)
    {
        if (buffered.Length < FixedPartSize)
        {
            return FrameSize.NeedMore(FixedPartSize);
        }

        var reader = new PduReader(buffered[..FixedPartSize]);
        DecodeResult<TsguPacketHeader> header = Decode(ref reader);
        if (!header.IsSuccess)
        {
            return FrameSize.Invalid(header.Error);
        }

        if (header.Value.PacketLength > (uint)maxPacketLength)
        {
            return FrameSize.Invalid(DecodeError.LengthLimit(PduName, "packetLength", 4, maxPacketLength, header.Value.PacketLength));
        }

        return FrameSize.Complete((int)header.Value.PacketLength);
    }

    /// <summary>The type of the packet that starts <paramref name="packet"/>, or null when fewer than two bytes are there.</summary>
    public static TsguPacketType? PeekType(ReadOnlySpan<byte> packet) =>
        packet.Length < 2 ? null : (TsguPacketType)(packet[0] | (packet[1] << 8));
}
