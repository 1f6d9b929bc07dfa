using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Gateway;

/// <summary>HTTP_EXTENDED_AUTH (MS-TSGU 2.2.5.3.2): the extended authentication the client asks for in the handshake.</summary>
[Flags]
public enum TsguExtendedAuth : ushort
{
    /// <summary>HTTP_EXTENDED_AUTH_NONE: HTTP authentication only.</summary>
    None = 0x0,

    /// <summary>HTTP_EXTENDED_AUTH_SC: smart card.</summary>
    SmartCard = 0x1,

    /// <summary>HTTP_EXTENDED_AUTH_PAA: pluggable authentication, a cookie in the tunnel create packet.</summary>
    Paa = 0x2,

    /// <summary>HTTP_EXTENDED_AUTH_SSPI_NTLM.</summary>
    SspiNtlm = 0x4,
}

/// <summary>HTTP_CAPABILITY_TYPE (MS-TSGU 2.2.5.3.1): what the client and the gateway can do.</summary>
[Flags]
public enum TsguCapabilities : uint
{
    None = 0,

    /// <summary>HTTP_CAPABILITY_TYPE_QUAR_SOH: statement-of-health quarantine (NAP).</summary>
    QuarantineSoh = 0x1,

    /// <summary>HTTP_CAPABILITY_IDLE_TIMEOUT.</summary>
    IdleTimeout = 0x2,

    /// <summary>HTTP_CAPABILITY_MESSAGING_CONSENT_SIGN.</summary>
    ConsentMessage = 0x4,

    /// <summary>HTTP_CAPABILITY_MESSAGING_SERVICE_MSG.</summary>
    ServiceMessage = 0x8,

    /// <summary>HTTP_CAPABILITY_REAUTH.</summary>
    Reauthentication = 0x10,

    /// <summary>HTTP_CAPABILITY_UDP_TRANSPORT.</summary>
    UdpTransport = 0x20,
}

/// <summary>
/// HTTP_UNICODE_STRING (MS-TSGU 2.2.10.x): <c>cbLen(2)</c> then that many bytes of UTF-16LE, which senders usually end
/// with a NUL. The bytes are kept as received, so a packet re-encodes exactly; <see cref="Text"/> reads them.
/// </summary>
public static class TsguText
{
    /// <summary>UTF-16LE of <paramref name="text"/>, NUL-terminated as Windows and FreeRDP send it.</summary>
    public static ByteString Encode(string text) => new(System.Text.Encoding.Unicode.GetBytes(text + "\0"));

    /// <summary>The text of a UTF-16LE string without its terminating NULs (an odd last byte is dropped).</summary>
    public static string Text(ByteString bytes)
    {
        ReadOnlySpan<byte> span = bytes.Span;
        return System.Text.Encoding.Unicode.GetString(span[..(span.Length & ~1)]).TrimEnd('\0');
    }
}

/// <summary>The reading and writing every gateway packet shares: its header, its bounds, its strings.</summary>
internal static class TsguBody
{
    /// <summary>
    /// Reads the header of a packet of type <paramref name="expected"/> and checks that all of it is there;
    /// <paramref name="end"/> is the offset just after it.
    /// </summary>
    public static DecodeError? ReadHeader(ref PduReader reader, TsguPacketType expected, string context, int minimumLength, out int end)
    {
        end = 0;
        int start = reader.Position;
        DecodeResult<TsguPacketHeader> header = TsguPacketHeader.Decode(ref reader);
        if (!header.IsSuccess)
        {
            return header.Error with { Context = context };
        }

        if (header.Value.Type != expected)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, context, "packetType",
                $"expected {TsguPacketTypeNames.Name(expected)}, got {TsguPacketTypeNames.Name(header.Value.Type)}", start, (ushort)expected, (ushort)header.Value.Type);
        }

        uint length = header.Value.PacketLength;
        if (length < minimumLength)
        {
            return DecodeError.InvalidField(context, "packetLength", $"{length} is smaller than the {minimumLength} bytes this packet needs", start + 4, minimumLength, length);
        }

        if (length > TsguPacketHeader.MaxPacketLength)
        {
            return DecodeError.LengthLimit(context, "packetLength", start + 4, TsguPacketHeader.MaxPacketLength, length);
        }

        if (reader.Ensure((int)length - TsguPacketHeader.FixedPartSize, context) is { } missing)
        {
            return missing;
        }

        end = start + (int)length;
        return null;
    }

    /// <summary>An error unless <paramref name="count"/> more bytes lie before <paramref name="end"/>.</summary>
    public static DecodeError? Need(ref PduReader reader, int end, int count, string context, string field) =>
        reader.Position + count <= end
            ? null
            : DecodeError.InvalidField(context, field, $"needs {count} byte(s) and only {end - reader.Position} remain inside packetLength", reader.Position, count, end - reader.Position);

    /// <summary>An error unless the packet's body ended exactly at <paramref name="end"/>.</summary>
    public static DecodeError? Finish(ref PduReader reader, int end, string context) =>
        reader.Position == end
            ? null
            : DecodeError.InvalidField(context, "packetLength", $"{end - reader.Position} byte(s) inside packetLength belong to no field", reader.Position, reader.Position, end);

    /// <summary>A <c>cbLen(2)</c>-prefixed byte string inside the packet.</summary>
    public static DecodeError? ReadCounted(ref PduReader reader, int end, string context, string field, out ByteString value)
    {
        value = ByteString.Empty;
        if (Need(ref reader, end, 2, context, field) is { } noLength)
        {
            return noLength;
        }

        int at = reader.Position;
        ushort count = reader.ReadUInt16Le();
        if (reader.Position + count > end)
        {
            return DecodeError.InvalidField(context, field, $"says {count} byte(s) and only {end - reader.Position} remain inside packetLength", at, count, end - reader.Position);
        }

        value = new ByteString(reader.ReadBytes(count));
        return null;
    }

    public static void WriteHeader(ref PduWriter writer, TsguPacketType type, int size) =>
        new TsguPacketHeader(type, (uint)size).Encode(ref writer);

    public static void WriteCounted(ref PduWriter writer, ByteString value)
    {
        writer.WriteUInt16Le((ushort)value.Length);
        writer.WriteBytes(value.Span);
    }

    public static int CountedSize(ByteString value) => 2 + value.Length;

    public static int CountedSize(ByteString? value) => value is { } present ? 2 + present.Length : 0;
}

/// <summary>
/// The <c>fieldsPresent(2)</c> block several gateway packets carry (MS-TSGU 2.2.5.3.4 to 2.2.5.3.8): the flags, in most
/// packets a <c>reserved(2)</c> that must be 0, then each optional field whose flag is set, in the order the packet's
/// section gives. Each packet keeps its own layout; this reads and writes the shared parts and refuses flags the packet
/// does not define.
/// </summary>
internal readonly struct TsguOptionalFields
{
    private readonly int end;
    private readonly string context;

    private TsguOptionalFields(ushort present, int end, string context)
    {
        Present = present;
        this.end = end;
        this.context = context;
    }

    /// <summary>The flags as received.</summary>
    public ushort Present { get; }

    /// <summary>
    /// Reads <c>fieldsPresent(2)</c> and, when <paramref name="reserved"/>, the <c>reserved(2)</c> after it; an error when
    /// a flag outside <paramref name="known"/> is set (<paramref name="unknownMeaning"/> says how) or reserved is not 0.
    /// </summary>
    public static DecodeError? Read(
        ref PduReader reader, int end, string context, ushort known, bool reserved, out TsguOptionalFields fields,
        string unknownMeaning = "names fields MS-TSGU does not define")
    {
        fields = default;
        int at = reader.Position;
        ushort present = reader.ReadUInt16Le();
        if ((present & ~known) != 0)
        {
            return DecodeError.InvalidField(context, "fieldsPresent", $"0x{present:x4} {unknownMeaning}", at, known, present);
        }

        if (reserved && reader.ReadUInt16Le() is var value and not 0)
        {
            return DecodeError.InvalidField(context, "reserved", $"must be 0, got 0x{value:x4}", at + 2, 0, value);
        }

        fields = new TsguOptionalFields(present, end, context);
        return null;
    }

    /// <summary>Writes <c>fieldsPresent(2)</c> and, when <paramref name="reserved"/>, a zero <c>reserved(2)</c>.</summary>
    public static void Write(ref PduWriter writer, ushort present, bool reserved)
    {
        writer.WriteUInt16Le(present);
        if (reserved)
        {
            writer.WriteUInt16Le(0);
        }
    }

    /// <summary>Whether <paramref name="flag"/> is set.</summary>
    public bool Has(ushort flag) => (Present & flag) != 0;

    /// <summary>A 4-byte field, read when <paramref name="flag"/> is set.</summary>
    public DecodeError? UInt32(ref PduReader reader, ushort flag, string field, out uint? value)
    {
        value = null;
        if (!Has(flag))
        {
            return null;
        }

        if (TsguBody.Need(ref reader, end, 4, context, field) is { } short4)
        {
            return short4;
        }

        value = reader.ReadUInt32Le();
        return null;
    }

    /// <summary>A 2-byte field, read when <paramref name="flag"/> is set.</summary>
    public DecodeError? UInt16(ref PduReader reader, ushort flag, string field, out ushort? value)
    {
        value = null;
        if (!Has(flag))
        {
            return null;
        }

        if (TsguBody.Need(ref reader, end, 2, context, field) is { } short2)
        {
            return short2;
        }

        value = reader.ReadUInt16Le();
        return null;
    }

    /// <summary>A fixed-size byte field, read when <paramref name="flag"/> is set.</summary>
    public DecodeError? Bytes(ref PduReader reader, ushort flag, int count, string field, out ByteString? value)
    {
        value = null;
        if (!Has(flag))
        {
            return null;
        }

        if (TsguBody.Need(ref reader, end, count, context, field) is { } tooShort)
        {
            return tooShort;
        }

        value = new ByteString(reader.ReadBytes(count));
        return null;
    }

    /// <summary>A <c>cbLen(2)</c>-prefixed field, read when <paramref name="flag"/> is set.</summary>
    public DecodeError? Counted(ref PduReader reader, ushort flag, string field, out ByteString? value)
    {
        value = null;
        if (!Has(flag))
        {
            return null;
        }

        if (TsguBody.ReadCounted(ref reader, end, context, field, out ByteString read) is { } bad)
        {
            return bad;
        }

        value = read;
        return null;
    }

    /// <summary>Writes a 4-byte field when present.</summary>
    public static void WriteUInt32(ref PduWriter writer, uint? value)
    {
        if (value is { } present)
        {
            writer.WriteUInt32Le(present);
        }
    }

    /// <summary>Writes a 2-byte field when present.</summary>
    public static void WriteUInt16(ref PduWriter writer, ushort? value)
    {
        if (value is { } present)
        {
            writer.WriteUInt16Le(present);
        }
    }

    /// <summary>Writes a <c>cbLen(2)</c>-prefixed field when present.</summary>
    public static void WriteCounted(ref PduWriter writer, ByteString? value)
    {
        if (value is { } present)
        {
            TsguBody.WriteCounted(ref writer, present);
        }
    }

    /// <summary>The flag when the value is present, else 0.</summary>
    public static ushort Flag(bool present, ushort flag) => present ? flag : (ushort)0;
}
