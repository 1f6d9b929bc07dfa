using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.X224;

/// <summary>MS-RDPBCGR 2.2.1.1.1 RDP Negotiation Request (RDP_NEG_REQ).</summary>
public sealed record RdpNegotiationRequest(SecurityProtocols RequestedProtocols, NegotiationRequestFlags Flags = NegotiationRequestFlags.None)
    : IPdu<RdpNegotiationRequest>
{
    /// <summary>TYPE_RDP_NEG_REQ.</summary>
    public const byte TypeCode = 0x01;

    public const int FixedPartSize = 1 /* type */ + 1 /* flags */ + 2 /* length */ + 4 /* requestedProtocols */;

    public static string PduName => "RDP_NEG_REQ";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(TypeCode);
        writer.WriteByte((byte)Flags);
        writer.WriteUInt16Le(FixedPartSize);
        writer.WriteUInt32Le((uint)RequestedProtocols);
    }

    public static DecodeResult<RdpNegotiationRequest> Decode(ref PduReader reader)
    {
        if (NegotiationStructure.ReadHeader(ref reader, PduName, TypeCode, out byte flags) is { } error)
        {
            return error;
        }

        return new RdpNegotiationRequest((SecurityProtocols)reader.ReadUInt32Le(), (NegotiationRequestFlags)flags);
    }
}

/// <summary>MS-RDPBCGR 2.2.1.2.1 RDP Negotiation Response (RDP_NEG_RSP).</summary>
public sealed record RdpNegotiationResponse(SecurityProtocols SelectedProtocol, NegotiationResponseFlags Flags = NegotiationResponseFlags.None)
    : IPdu<RdpNegotiationResponse>
{
    /// <summary>TYPE_RDP_NEG_RSP.</summary>
    public const byte TypeCode = 0x02;

    public const int FixedPartSize = 1 /* type */ + 1 /* flags */ + 2 /* length */ + 4 /* selectedProtocol */;

    public static string PduName => "RDP_NEG_RSP";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(TypeCode);
        writer.WriteByte((byte)Flags);
        writer.WriteUInt16Le(FixedPartSize);
        writer.WriteUInt32Le((uint)SelectedProtocol);
    }

    public static DecodeResult<RdpNegotiationResponse> Decode(ref PduReader reader)
    {
        if (NegotiationStructure.ReadHeader(ref reader, PduName, TypeCode, out byte flags) is { } error)
        {
            return error;
        }

        return new RdpNegotiationResponse((SecurityProtocols)reader.ReadUInt32Le(), (NegotiationResponseFlags)flags);
    }
}

/// <summary>MS-RDPBCGR 2.2.1.2.2 RDP Negotiation Failure (RDP_NEG_FAILURE).</summary>
/// <param name="FailureCode">Why the server refused the requested protocols.</param>
/// <param name="Flags">The spec says 0; kept raw so a non-conforming server is visible in the report.</param>
public sealed record RdpNegotiationFailure(NegotiationFailureCode FailureCode, byte Flags = 0) : IPdu<RdpNegotiationFailure>
{
    /// <summary>TYPE_RDP_NEG_FAILURE.</summary>
    public const byte TypeCode = 0x03;

    public const int FixedPartSize = 1 /* type */ + 1 /* flags */ + 2 /* length */ + 4 /* failureCode */;

    public static string PduName => "RDP_NEG_FAILURE";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(TypeCode);
        writer.WriteByte(Flags);
        writer.WriteUInt16Le(FixedPartSize);
        writer.WriteUInt32Le((uint)FailureCode);
    }

    public static DecodeResult<RdpNegotiationFailure> Decode(ref PduReader reader)
    {
        if (NegotiationStructure.ReadHeader(ref reader, PduName, TypeCode, out byte flags) is { } error)
        {
            return error;
        }

        return new RdpNegotiationFailure((NegotiationFailureCode)reader.ReadUInt32Le(), flags);
    }
}

/// <summary>MS-RDPBCGR 2.2.1.1.2 RDP Correlation Info (RDP_NEG_CORRELATION_INFO).</summary>
/// <param name="CorrelationId">
/// The 16 bytes of <c>correlationId</c>, kept in wire order as the little-endian layout of a <see cref="Guid"/>.
/// The spec says its first byte should not be 0x00 or 0xF4 and no byte should be 0x0D.
/// </param>
public sealed record RdpCorrelationInfo(Guid CorrelationId) : IPdu<RdpCorrelationInfo>
{
    /// <summary>TYPE_RDP_CORRELATION_INFO.</summary>
    public const byte TypeCode = 0x06;

    public const int FixedPartSize = 1 /* type */ + 1 /* flags */ + 2 /* length */ + 16 /* correlationId */ + 16 /* reserved */;

    public static string PduName => "RDP_NEG_CORRELATION_INFO";

    public int Size => FixedPartSize;

    /// <summary>True when the id follows the SHOULD rules of 2.2.1.1.2 (servers may otherwise ignore it).</summary>
    public bool IsWellFormedId
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            CorrelationId.TryWriteBytes(bytes);
            return bytes[0] is not (0x00 or 0xF4) && !bytes.Contains((byte)0x0D);
        }
    }

    public void Encode(ref PduWriter writer)
    {
        Span<byte> id = stackalloc byte[16];
        CorrelationId.TryWriteBytes(id);
        writer.WriteByte(TypeCode);
        writer.WriteByte(0);
        writer.WriteUInt16Le(FixedPartSize);
        writer.WriteBytes(id);
        writer.WriteZeros(16);
    }

    public static DecodeResult<RdpCorrelationInfo> Decode(ref PduReader reader)
    {
        if (NegotiationStructure.ReadHeader(ref reader, PduName, TypeCode, out byte flags, FixedPartSize) is { } error)
        {
            return error;
        }

        if (flags != 0)
        {
            return DecodeError.InvalidField(PduName, "flags", "must be zero", reader.Position - 3, 0, flags);
        }

        var id = new Guid(reader.ReadBytes(16));
        int reservedAt = reader.Position;
        if (reader.ReadBytes(16).ContainsAnyExcept((byte)0))
        {
            return DecodeError.InvalidField(PduName, "reserved", "must be zero", reservedAt);
        }

        return new RdpCorrelationInfo(id);
    }
}

/// <summary>The common <c>type(1) flags(1) length(2)</c> prefix of the RDP_NEG_* structures.</summary>
internal static class NegotiationStructure
{
    public const int DefaultLength = 8;

    /// <summary>
    /// Checks that <paramref name="length"/> bytes remain, reads and checks the type and the length field,
    /// and leaves the reader after the length field.
    /// </summary>
    public static DecodeError? ReadHeader(ref PduReader reader, string context, byte expectedType, out byte flags, int length = DefaultLength)
    {
        flags = 0;
        if (reader.Ensure(length, context) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte type = reader.ReadByte();
        if (type != expectedType)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, context, "type",
                $"expected 0x{expectedType:x2}, got 0x{type:x2}", start, expectedType, type);
        }

        flags = reader.ReadByte();
        ushort declared = reader.ReadUInt16Le();
        if (declared != length)
        {
            return DecodeError.InvalidField(context, "length", $"must be {length}, got {declared}", start + 2, length, declared);
        }

        return null;
    }
}
