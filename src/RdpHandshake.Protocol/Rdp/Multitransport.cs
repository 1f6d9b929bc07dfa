using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.15.1 <c>requestedProtocol</c> (the spec spells the names INITITATE_…).</summary>
public enum MultitransportProtocol : ushort
{
    /// <summary>INITITATE_REQUEST_PROTOCOL_UDPFECR: RDP-UDP reliable (MS-RDPEUDP 1.3.2.2).</summary>
    UdpFecReliable = 0x0001,

    /// <summary>INITITATE_REQUEST_PROTOCOL_UDPFECL: RDP-UDP lossy (MS-RDPEUDP 1.3.2.2).</summary>
    UdpFecLossy = 0x0004,
}

/// <summary>
/// MS-RDPBCGR 2.2.15.1 Initiate Multitransport Request PDU (server to client, on the message channel, security
/// header flag SEC_TRANSPORT_REQ): the fields after the security header.
/// </summary>
/// <param name="RequestId">Identifies the request; the client echoes it in its response and in the tunnel.</param>
/// <param name="RequestedProtocol">Which RDP-UDP transport to set up.</param>
/// <param name="SecurityCookie">16 random bytes the client sends back in the tunnel's Create Request (MS-RDPEMT).</param>
/// <param name="Reserved">reserved (2 bytes), kept raw.</param>
public sealed record InitiateMultitransportRequest(uint RequestId, MultitransportProtocol RequestedProtocol, ByteString SecurityCookie, ushort Reserved = 0)
    : IPdu<InitiateMultitransportRequest>
{
    public const int CookieLength = 16;

    public const int FixedPartSize = 4 /* requestId */ + 2 /* requestedProtocol */ + 2 /* reserved */ + CookieLength /* securityCookie */;

    public static string PduName => "Initiate Multitransport Request";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        if (SecurityCookie.Length != CookieLength)
        {
            ThrowHelper.ThrowArgument(nameof(SecurityCookie), $"the security cookie is {CookieLength} bytes");
        }

        writer.WriteUInt32Le(RequestId);
        writer.WriteUInt16Le((ushort)RequestedProtocol);
        writer.WriteUInt16Le(Reserved);
        writer.WriteBytes(SecurityCookie.Span);
    }

    public static DecodeResult<InitiateMultitransportRequest> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        uint id = reader.ReadUInt32Le();
        var protocol = (MultitransportProtocol)reader.ReadUInt16Le();
        ushort reserved = reader.ReadUInt16Le();
        return new InitiateMultitransportRequest(id, protocol, new ByteString(reader.ReadBytes(CookieLength)), reserved);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.15.2 Initiate Multitransport Response PDU (client to server, security header flag
/// SEC_TRANSPORT_RSP): the fields after the security header. A client that will not set up the transport answers
/// E_ABORT.
/// </summary>
/// <param name="RequestId">The request's id.</param>
/// <param name="HrResponse">S_OK (0x00000000) or E_ABORT (0x80004004).</param>
public sealed record InitiateMultitransportResponse(uint RequestId, uint HrResponse) : IPdu<InitiateMultitransportResponse>
{
    /// <summary>S_OK: the client set up the transport.</summary>
    public const uint SOk = 0x0000_0000;

    /// <summary>E_ABORT: the client will not use the transport.</summary>
    public const uint EAbort = 0x8000_4004;

    public const int FixedPartSize = 4 /* requestId */ + 4 /* hrResponse */;

    public static string PduName => "Initiate Multitransport Response";

    public int Size => FixedPartSize;

    /// <summary>The name of <see cref="HrResponse"/>: S_OK, E_ABORT or its hex value.</summary>
    public string HrResponseName => HrResponse switch
    {
        SOk => "S_OK",
        EAbort => "E_ABORT",
        _ => $"0x{HrResponse:x8}",
    };

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(RequestId);
        writer.WriteUInt32Le(HrResponse);
    }

    public static DecodeResult<InitiateMultitransportResponse> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing
            ? missing
            : new InitiateMultitransportResponse(reader.ReadUInt32Le(), reader.ReadUInt32Le());
}
