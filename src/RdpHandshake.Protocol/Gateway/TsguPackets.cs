using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;

namespace RdpHandshake.Protocol.Gateway;

/// <summary>
/// HTTP_HANDSHAKE_REQUEST_PACKET (MS-TSGU 2.2.10.10): <c>hdr(8) verMajor(1)=1 verMinor(1)=0 clientVersion(2)=0
/// extendedAuth(2)</c>, 14 bytes.
/// </summary>
public readonly record struct TsguHandshakeRequest(TsguExtendedAuth ExtendedAuth, byte VersionMajor = 1, byte VersionMinor = 0, ushort ClientVersion = 0)
    : IPdu<TsguHandshakeRequest>
{
    public const int PacketSize = TsguPacketHeader.FixedPartSize + 1 + 1 + 2 + 2;

    public static string PduName => "HTTP_HANDSHAKE_REQUEST_PACKET";

    public int Size => PacketSize;

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.HandshakeRequest, PacketSize);
        writer.WriteByte(VersionMajor);
        writer.WriteByte(VersionMinor);
        writer.WriteUInt16Le(ClientVersion);
        writer.WriteUInt16Le((ushort)ExtendedAuth);
    }

    public static DecodeResult<TsguHandshakeRequest> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.HandshakeRequest, PduName, PacketSize, out int end) is { } error)
        {
            return error;
        }

        byte major = reader.ReadByte();
        byte minor = reader.ReadByte();
        ushort client = reader.ReadUInt16Le();
        var auth = (TsguExtendedAuth)reader.ReadUInt16Le();
        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguHandshakeRequest(auth, major, minor, client);
    }
}

/// <summary>
/// HTTP_HANDSHAKE_RESPONSE_PACKET (MS-TSGU 2.2.10.11): <c>hdr(8) errorCode(4) verMajor(1) verMinor(1) serverVersion(2)
/// extendedAuth(2)</c>, 18 bytes. A failing <c>errorCode</c> (an HRESULT, see <see cref="TsguStatus"/>) refuses the tunnel.
/// </summary>
public readonly record struct TsguHandshakeResponse(uint ErrorCode, TsguExtendedAuth ExtendedAuth, byte VersionMajor = 1, byte VersionMinor = 0, ushort ServerVersion = 0)
    : IPdu<TsguHandshakeResponse>
{
    public const int PacketSize = TsguPacketHeader.FixedPartSize + 4 + 1 + 1 + 2 + 2;

    public static string PduName => "HTTP_HANDSHAKE_RESPONSE_PACKET";

    public int Size => PacketSize;

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.HandshakeResponse, PacketSize);
        writer.WriteUInt32Le(ErrorCode);
        writer.WriteByte(VersionMajor);
        writer.WriteByte(VersionMinor);
        writer.WriteUInt16Le(ServerVersion);
        writer.WriteUInt16Le((ushort)ExtendedAuth);
    }

    public static DecodeResult<TsguHandshakeResponse> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.HandshakeResponse, PduName, PacketSize, out int end) is { } error)
        {
            return error;
        }

        uint code = reader.ReadUInt32Le();
        byte major = reader.ReadByte();
        byte minor = reader.ReadByte();
        ushort server = reader.ReadUInt16Le();
        var auth = (TsguExtendedAuth)reader.ReadUInt16Le();
        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguHandshakeResponse(code, auth, major, minor, server);
    }
}

/// <summary>
/// HTTP_TUNNEL_PACKET (MS-TSGU 2.2.10.18): <c>hdr(8) capsFlags(4) fieldsPresent(2) reserved(2)</c>, then
/// HTTP_TUNNEL_PACKET_OPTIONAL (2.2.10.19): the PAA cookie as an HTTP_UNICODE_STRING when
/// HTTP_TUNNEL_PACKET_FIELD_PAA_COOKIE (0x1) is set. rdphs sends no re-authentication context (0x2) and rejects one.
/// </summary>
public readonly record struct TsguTunnelCreate(TsguCapabilities Capabilities, ByteString? PaaCookie = null) : IPdu<TsguTunnelCreate>
{
    /// <summary>HTTP_TUNNEL_PACKET_FIELD_PAA_COOKIE (MS-TSGU 2.2.5.3.6).</summary>
    public const ushort FieldPaaCookie = 0x1;

    public const int FixedSize = TsguPacketHeader.FixedPartSize + 4 + 2 + 2;

    public static string PduName => "HTTP_TUNNEL_PACKET";

    public int Size => FixedSize + TsguBody.CountedSize(PaaCookie);

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.TunnelCreate, Size);
        writer.WriteUInt32Le((uint)Capabilities);
        TsguOptionalFields.Write(ref writer, TsguOptionalFields.Flag(PaaCookie is not null, FieldPaaCookie), reserved: true);
        TsguOptionalFields.WriteCounted(ref writer, PaaCookie);
    }

    public static DecodeResult<TsguTunnelCreate> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.TunnelCreate, PduName, FixedSize, out int end) is { } error)
        {
            return error;
        }

        var caps = (TsguCapabilities)reader.ReadUInt32Le();
        if (TsguOptionalFields.Read(ref reader, end, PduName, FieldPaaCookie, reserved: true, out TsguOptionalFields fields, "names fields other than the PAA cookie") is { } badFields)
        {
            return badFields;
        }

        if (fields.Counted(ref reader, FieldPaaCookie, "paaCookie", out ByteString? cookie) is { } bad)
        {
            return bad;
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguTunnelCreate(caps, cookie);
    }
}

/// <summary>
/// HTTP_TUNNEL_RESPONSE (MS-TSGU 2.2.10.20): <c>hdr(8) serverVersion(2) statusCode(4) fieldsPresent(2) reserved(2)</c>,
/// then HTTP_TUNNEL_RESPONSE_OPTIONAL (2.2.10.21) in the order of HTTP_TUNNEL_RESPONSE_FIELDS_PRESENT_FLAGS (2.2.5.3.8):
/// tunnelId(4) for 0x1, capsFlags(4) for 0x2, nonce(20) and serverCert (HTTP_UNICODE_STRING) for 0x4, consentMsg
/// (HTTP_UNICODE_STRING) for 0x10.
/// </summary>
public readonly record struct TsguTunnelResponse(
    uint StatusCode,
    uint? TunnelId = null,
    TsguCapabilities? Capabilities = null,
    ByteString? SohNonce = null,
    ByteString? SohServerCertificate = null,
    ByteString? ConsentMessage = null,
    ushort ServerVersion = 1) : IPdu<TsguTunnelResponse>
{
    public const ushort FieldTunnelId = 0x1;
    public const ushort FieldCapabilities = 0x2;
    public const ushort FieldSohRequest = 0x4;
    public const ushort FieldConsentMessage = 0x10;
    public const int NonceLength = 20;
    public const int FixedSize = TsguPacketHeader.FixedPartSize + 2 + 4 + 2 + 2;

    private const ushort KnownFields = FieldTunnelId | FieldCapabilities | FieldSohRequest | FieldConsentMessage;

    public static string PduName => "HTTP_TUNNEL_RESPONSE";

    /// <summary>The fieldsPresent flags the optional fields set.</summary>
    public ushort FieldsPresent => (ushort)((TunnelId is null ? 0 : FieldTunnelId) | (Capabilities is null ? 0 : FieldCapabilities)
        | (SohNonce is null ? 0 : FieldSohRequest) | (ConsentMessage is null ? 0 : FieldConsentMessage));

    public int Size => FixedSize + (TunnelId is null ? 0 : 4) + (Capabilities is null ? 0 : 4)
        + (SohNonce is null ? 0 : NonceLength + TsguBody.CountedSize(SohServerCertificate ?? ByteString.Empty)) + TsguBody.CountedSize(ConsentMessage);

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.TunnelResponse, Size);
        writer.WriteUInt16Le(ServerVersion);
        writer.WriteUInt32Le(StatusCode);
        TsguOptionalFields.Write(ref writer, FieldsPresent, reserved: true);
        TsguOptionalFields.WriteUInt32(ref writer, TunnelId);
        TsguOptionalFields.WriteUInt32(ref writer, (uint?)Capabilities);
        if (SohNonce is { } nonce)
        {
            writer.WriteBytes(nonce.Span);
            TsguBody.WriteCounted(ref writer, SohServerCertificate ?? ByteString.Empty);
        }

        TsguOptionalFields.WriteCounted(ref writer, ConsentMessage);
    }

    public static DecodeResult<TsguTunnelResponse> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.TunnelResponse, PduName, FixedSize, out int end) is { } error)
        {
            return error;
        }

        ushort version = reader.ReadUInt16Le();
        uint status = reader.ReadUInt32Le();
        if (TsguOptionalFields.Read(ref reader, end, PduName, KnownFields, reserved: true, out TsguOptionalFields fields) is { } badFields)
        {
            return badFields;
        }

        if (fields.UInt32(ref reader, FieldTunnelId, "tunnelId", out uint? tunnelId) is { } e1)
        {
            return e1;
        }

        if (fields.UInt32(ref reader, FieldCapabilities, "capsFlags", out uint? caps) is { } e2)
        {
            return e2;
        }

        if (fields.Bytes(ref reader, FieldSohRequest, NonceLength, "nonce", out ByteString? nonce) is { } e3)
        {
            return e3;
        }

        if (fields.Counted(ref reader, FieldSohRequest, "serverCert", out ByteString? certificate) is { } e4)
        {
            return e4;
        }

        if (fields.Counted(ref reader, FieldConsentMessage, "consentMsg", out ByteString? consent) is { } e5)
        {
            return e5;
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing
            ? trailing
            : new TsguTunnelResponse(status, tunnelId, (TsguCapabilities?)caps, nonce, certificate, consent, version);
    }
}

/// <summary>
/// HTTP_TUNNEL_AUTH_PACKET (MS-TSGU 2.2.10.14): <c>hdr(8) fieldsPresent(2) cbClientName(2) clientName</c>, then
/// HTTP_TUNNEL_AUTH_PACKET_OPTIONAL (2.2.10.15): a statement of health (<c>cbStatementOfHealth(2)</c> and its bytes)
/// when HTTP_TUNNEL_AUTH_FIELD_SOH (0x1, 2.2.5.3.4) is set.
/// </summary>
public readonly record struct TsguTunnelAuth(ByteString ClientName, ByteString? StatementOfHealth = null) : IPdu<TsguTunnelAuth>
{
    public const ushort FieldSoh = 0x1;
    public const int FixedSize = TsguPacketHeader.FixedPartSize + 2 + 2;

    public static string PduName => "HTTP_TUNNEL_AUTH_PACKET";

    public int Size => FixedSize + ClientName.Length + TsguBody.CountedSize(StatementOfHealth);

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.TunnelAuth, Size);
        TsguOptionalFields.Write(ref writer, TsguOptionalFields.Flag(StatementOfHealth is not null, FieldSoh), reserved: false);
        TsguBody.WriteCounted(ref writer, ClientName);
        TsguOptionalFields.WriteCounted(ref writer, StatementOfHealth);
    }

    public static DecodeResult<TsguTunnelAuth> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.TunnelAuth, PduName, FixedSize, out int end) is { } error)
        {
            return error;
        }

        if (TsguOptionalFields.Read(ref reader, end, PduName, FieldSoh, reserved: false, out TsguOptionalFields fields) is { } badFields)
        {
            return badFields;
        }

        if (TsguBody.ReadCounted(ref reader, end, PduName, "clientName", out ByteString name) is { } badName)
        {
            return badName;
        }

        if (fields.Counted(ref reader, FieldSoh, "statementOfHealth", out ByteString? soh) is { } bad)
        {
            return bad;
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguTunnelAuth(name, soh);
    }
}

/// <summary>
/// HTTP_TUNNEL_AUTH_RESPONSE (MS-TSGU 2.2.10.16): <c>hdr(8) errorCode(4) fieldsPresent(2) reserved(2)</c>, then
/// HTTP_TUNNEL_AUTH_RESPONSE_OPTIONAL (2.2.10.17): redirFlags(4) for 0x1, idleTimeout(4) for 0x2, and a statement of
/// health response (<c>cbSohResponse(2)</c> and its bytes) for 0x4 (HTTP_TUNNEL_AUTH_RESPONSE_FIELDS_PRESENT_FLAGS, 2.2.5.3.5).
/// </summary>
public readonly record struct TsguTunnelAuthResponse(uint ErrorCode, uint? RedirectionFlags = null, uint? IdleTimeoutMinutes = null, ByteString? SohResponse = null)
    : IPdu<TsguTunnelAuthResponse>
{
    public const ushort FieldRedirectionFlags = 0x1;
    public const ushort FieldIdleTimeout = 0x2;
    public const ushort FieldSohResponse = 0x4;
    public const int FixedSize = TsguPacketHeader.FixedPartSize + 4 + 2 + 2;

    private const ushort KnownFields = FieldRedirectionFlags | FieldIdleTimeout | FieldSohResponse;

    public static string PduName => "HTTP_TUNNEL_AUTH_RESPONSE";

    public ushort FieldsPresent => (ushort)((RedirectionFlags is null ? 0 : FieldRedirectionFlags) | (IdleTimeoutMinutes is null ? 0 : FieldIdleTimeout) | (SohResponse is null ? 0 : FieldSohResponse));

    public int Size => FixedSize + (RedirectionFlags is null ? 0 : 4) + (IdleTimeoutMinutes is null ? 0 : 4) + TsguBody.CountedSize(SohResponse);

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.TunnelAuthResponse, Size);
        writer.WriteUInt32Le(ErrorCode);
        TsguOptionalFields.Write(ref writer, FieldsPresent, reserved: true);
        TsguOptionalFields.WriteUInt32(ref writer, RedirectionFlags);
        TsguOptionalFields.WriteUInt32(ref writer, IdleTimeoutMinutes);
        TsguOptionalFields.WriteCounted(ref writer, SohResponse);
    }

    public static DecodeResult<TsguTunnelAuthResponse> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.TunnelAuthResponse, PduName, FixedSize, out int end) is { } error)
        {
            return error;
        }

        uint code = reader.ReadUInt32Le();
        if (TsguOptionalFields.Read(ref reader, end, PduName, KnownFields, reserved: true, out TsguOptionalFields fields) is { } badFields)
        {
            return badFields;
        }

        if (fields.UInt32(ref reader, FieldRedirectionFlags, "redirFlags", out uint? redirection) is { } e1)
        {
            return e1;
        }

        if (fields.UInt32(ref reader, FieldIdleTimeout, "idleTimeout", out uint? idle) is { } e2)
        {
            return e2;
        }

        if (fields.Counted(ref reader, FieldSohResponse, "sohResponse", out ByteString? soh) is { } e3)
        {
            return e3;
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguTunnelAuthResponse(code, redirection, idle, soh);
    }
}

/// <summary>
/// HTTP_CHANNEL_PACKET (MS-TSGU 2.2.10.1): <c>hdr(8) numResources(1) numAltResources(1) port(2) protocol(2)=3</c>, then
/// HTTP_CHANNEL_PACKET_VARIABLE (2.2.10.2): each resource name and each alternative resource name as an
/// HTTP_UNICODE_STRING.
/// </summary>
public sealed record TsguChannelCreate(ValueList<ByteString> Resources, ValueList<ByteString> AlternativeResources, ushort Port, ushort Protocol = TsguChannelCreate.ProtocolRdp)
    : IPdu<TsguChannelCreate>
{
    /// <summary>The protocol number of RDP in the channel create packet.</summary>
    public const ushort ProtocolRdp = 3;

    public const int FixedSize = TsguPacketHeader.FixedPartSize + 1 + 1 + 2 + 2;

    public static string PduName => "HTTP_CHANNEL_PACKET";

    /// <summary>A channel to one host name and port.</summary>
    public static TsguChannelCreate To(string host, ushort port) => new(new ValueList<ByteString>([TsguText.Encode(host)]), ValueList<ByteString>.Empty, port);

    public int Size => FixedSize + Resources.Sum(TsguBody.CountedSize) + AlternativeResources.Sum(TsguBody.CountedSize);

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.ChannelCreate, Size);
        writer.WriteByte((byte)Resources.Count);
        writer.WriteByte((byte)AlternativeResources.Count);
        writer.WriteUInt16Le(Port);
        writer.WriteUInt16Le(Protocol);
        foreach (ByteString name in Resources)
        {
            TsguBody.WriteCounted(ref writer, name);
        }

        foreach (ByteString name in AlternativeResources)
        {
            TsguBody.WriteCounted(ref writer, name);
        }
    }

    public static DecodeResult<TsguChannelCreate> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.ChannelCreate, PduName, FixedSize, out int end) is { } error)
        {
            return error;
        }

        int at = reader.Position;
        byte count = reader.ReadByte();
        byte alternatives = reader.ReadByte();
        ushort port = reader.ReadUInt16Le();
        ushort protocol = reader.ReadUInt16Le();
        if (count == 0)
        {
            return DecodeError.InvalidField(PduName, "numResources", "must name at least one resource", at, 1, 0);
        }

        var names = new List<ByteString>(count);
        for (int i = 0; i < count + alternatives; i++)
        {
            if (TsguBody.ReadCounted(ref reader, end, PduName, i < count ? "resourceName" : "altResourceName", out ByteString name) is { } bad)
            {
                return bad;
            }

            names.Add(name);
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing
            ? trailing
            : new TsguChannelCreate(new ValueList<ByteString>(names.Take(count)), new ValueList<ByteString>(names.Skip(count)), port, protocol);
    }
}

/// <summary>
/// HTTP_CHANNEL_RESPONSE (MS-TSGU 2.2.10.3): <c>hdr(8) errorCode(4) fieldsPresent(2) reserved(2)</c>, then
/// HTTP_CHANNEL_RESPONSE_OPTIONAL (2.2.10.4): channelId(4) for 0x1, udpPort(2) for 0x4, and the UDP authentication
/// cookie (<c>cbAuthnCookie(2)</c> and its bytes) for 0x2 (HTTP_CHANNEL_RESPONSE_FIELDS_PRESENT_FLAGS, 2.2.5.3.7).
/// </summary>
public readonly record struct TsguChannelResponse(uint ErrorCode, uint? ChannelId = null, ushort? UdpPort = null, ByteString? AuthnCookie = null)
    : IPdu<TsguChannelResponse>
{
    public const ushort FieldChannelId = 0x1;
    public const ushort FieldAuthnCookie = 0x2;
    public const ushort FieldUdpPort = 0x4;
    public const int FixedSize = TsguPacketHeader.FixedPartSize + 4 + 2 + 2;

    private const ushort KnownFields = FieldChannelId | FieldAuthnCookie | FieldUdpPort;

    public static string PduName => "HTTP_CHANNEL_RESPONSE";

    public ushort FieldsPresent => (ushort)((ChannelId is null ? 0 : FieldChannelId) | (UdpPort is null ? 0 : FieldUdpPort) | (AuthnCookie is null ? 0 : FieldAuthnCookie));

    public int Size => FixedSize + (ChannelId is null ? 0 : 4) + (UdpPort is null ? 0 : 2) + TsguBody.CountedSize(AuthnCookie);

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.ChannelResponse, Size);
        writer.WriteUInt32Le(ErrorCode);
        TsguOptionalFields.Write(ref writer, FieldsPresent, reserved: true);
        TsguOptionalFields.WriteUInt32(ref writer, ChannelId);
        TsguOptionalFields.WriteUInt16(ref writer, UdpPort);
        TsguOptionalFields.WriteCounted(ref writer, AuthnCookie);
    }

    public static DecodeResult<TsguChannelResponse> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.ChannelResponse, PduName, FixedSize, out int end) is { } error)
        {
            return error;
        }

        uint code = reader.ReadUInt32Le();
        if (TsguOptionalFields.Read(ref reader, end, PduName, KnownFields, reserved: true, out TsguOptionalFields fields) is { } badFields)
        {
            return badFields;
        }

        if (fields.UInt32(ref reader, FieldChannelId, "channelId", out uint? channel) is { } e1)
        {
            return e1;
        }

        if (fields.UInt16(ref reader, FieldUdpPort, "udpPort", out ushort? udp) is { } e2)
        {
            return e2;
        }

        if (fields.Counted(ref reader, FieldAuthnCookie, "authnCookie", out ByteString? cookie) is { } e3)
        {
            return e3;
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguChannelResponse(code, channel, udp, cookie);
    }
}

/// <summary>HTTP_DATA_PACKET (MS-TSGU 2.2.10.6): <c>hdr(8) cbDataLen(2) data</c>: tunnelled bytes, at most 65535 per packet.</summary>
public readonly record struct TsguData(ByteString Payload) : IPdu<TsguData>
{
    public const int FixedSize = TsguPacketHeader.FixedPartSize + 2;

    /// <summary>The most a DATA packet carries: what its 16-bit <c>cbDataLen</c> can say.</summary>
    public const int MaxPayload = ushort.MaxValue;

    public static string PduName => "HTTP_DATA_PACKET";

    public int Size => FixedSize + Payload.Length;

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.Data, Size);
        TsguBody.WriteCounted(ref writer, Payload);
    }

    public static DecodeResult<TsguData> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.Data, PduName, FixedSize, out int end) is { } error)
        {
            return error;
        }

        if (TsguBody.ReadCounted(ref reader, end, PduName, "cbDataLen", out ByteString data) is { } bad)
        {
            return bad;
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguData(data);
    }
}

/// <summary>HTTP_KEEPALIVE_PACKET (MS-TSGU 2.2.10.8): the header alone, 8 bytes.</summary>
public readonly record struct TsguKeepAlive : IPdu<TsguKeepAlive>
{
    public static string PduName => "HTTP_KEEPALIVE_PACKET";

    public int Size => TsguPacketHeader.FixedPartSize;

    public void Encode(ref PduWriter writer) => TsguBody.WriteHeader(ref writer, TsguPacketType.KeepAlive, Size);

    public static DecodeResult<TsguKeepAlive> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.KeepAlive, PduName, TsguPacketHeader.FixedPartSize, out int end) is { } error)
        {
            return error;
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguKeepAlive();
    }
}

/// <summary>
/// HTTP_CLOSE_PACKET (MS-TSGU 2.2.10.5): <c>hdr(8) statusCode(4)</c>, 12 bytes, as PKT_TYPE_CLOSE_CHANNEL (either side
/// ends the channel) or PKT_TYPE_CLOSE_CHANNEL_RESPONSE (the answer).
/// </summary>
public readonly record struct TsguClose(uint StatusCode, bool Response = false) : IPdu<TsguClose>
{
    public const int PacketSize = TsguPacketHeader.FixedPartSize + 4;

    public static string PduName => "HTTP_CLOSE_PACKET";

    public int Size => PacketSize;

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, Response ? TsguPacketType.CloseChannelResponse : TsguPacketType.CloseChannel, PacketSize);
        writer.WriteUInt32Le(StatusCode);
    }

    public static DecodeResult<TsguClose> Decode(ref PduReader reader)
    {
        bool response = reader.Remaining >= 2 && TsguPacketHeader.PeekType(reader.RemainingSpan) == TsguPacketType.CloseChannelResponse;
        if (TsguBody.ReadHeader(ref reader, response ? TsguPacketType.CloseChannelResponse : TsguPacketType.CloseChannel, PduName, PacketSize, out int end) is { } error)
        {
            return error;
        }

        uint status = reader.ReadUInt32Le();
        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguClose(status, response);
    }
}

/// <summary>HTTP_SERVICE_MESSAGE (MS-TSGU 2.2.10.13): <c>hdr(8)</c> and an HTTP_UNICODE_STRING the gateway's administrator wrote.</summary>
public readonly record struct TsguServiceMessage(ByteString Message) : IPdu<TsguServiceMessage>
{
    public static string PduName => "HTTP_SERVICE_MESSAGE";

    public int Size => TsguPacketHeader.FixedPartSize + TsguBody.CountedSize(Message);

    public void Encode(ref PduWriter writer)
    {
        TsguBody.WriteHeader(ref writer, TsguPacketType.ServiceMessage, Size);
        TsguBody.WriteCounted(ref writer, Message);
    }

    public static DecodeResult<TsguServiceMessage> Decode(ref PduReader reader)
    {
        if (TsguBody.ReadHeader(ref reader, TsguPacketType.ServiceMessage, PduName, TsguPacketHeader.FixedPartSize + 2, out int end) is { } error)
        {
            return error;
        }

        if (TsguBody.ReadCounted(ref reader, end, PduName, "message", out ByteString message) is { } bad)
        {
            return bad;
        }

        return TsguBody.Finish(ref reader, end, PduName) is { } trailing ? trailing : new TsguServiceMessage(message);
    }
}
