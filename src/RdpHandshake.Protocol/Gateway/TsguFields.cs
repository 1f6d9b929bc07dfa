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
