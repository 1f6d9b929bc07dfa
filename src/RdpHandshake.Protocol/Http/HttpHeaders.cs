using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Http;

/// <summary>One header field of an HTTP/1.1 message head (RFC 9112 section 5).</summary>
public readonly record struct HttpHeader(string Name, string Value)
{
    public override string ToString() => $"{Name}: {Value}";
}

/// <summary>
/// What HTTP/1.1 message heads share (RFC 9112 sections 2 to 5): lines ending in CR LF, header fields <c>name: value</c>,
/// an empty line at the end; bounded in size and in the number of fields, decoded without throwing.
/// </summary>
public static class HttpHead
{
    /// <summary>The largest head rdphs reads or writes (8 KiB, the common default of web servers for a request head).</summary>
    public const int MaxLength = 8192;

    /// <summary>The most header fields one head may carry.</summary>
    public const int MaxFields = 100;

    private static ReadOnlySpan<byte> End => "\r\n\r\n"u8;

    /// <summary>
    /// Frames a message head from the first bytes of a stream: complete once the empty line is in, invalid once
    /// <paramref name="maxLength"/> bytes hold none, or as soon as the bytes cannot begin <paramref name="start"/>
    /// (<c>HTTP/</c> for a response): another protocol answered.
    /// </summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered, string context, ReadOnlySpan<byte> start, int maxLength = MaxLength)
    {
        int prefix = Math.Min(buffered.Length, start.Length);
        if (!buffered[..prefix].SequenceEqual(start[..prefix]))
        {
            return FrameSize.Invalid(DecodeError.InvalidField(context, "start-line", $"does not begin with {System.Text.Encoding.ASCII.GetString(start)}", 0));
        }

        int end = buffered.IndexOf(End);
        if (end >= 0)
        {
            return end + End.Length <= maxLength
                ? FrameSize.Complete(end + End.Length)
                : FrameSize.Invalid(DecodeError.LengthLimit(context, "head", 0, maxLength, end + End.Length));
        }

        return buffered.Length >= maxLength
            ? FrameSize.Invalid(DecodeError.LengthLimit(context, "head", 0, maxLength, buffered.Length))
            : FrameSize.NeedMore(buffered.Length + 1);
    }

    /// <summary>Splits a whole head (ending in the empty line) into its start line and its fields.</summary>
    internal static DecodeResult<(string StartLine, IReadOnlyList<HttpHeader> Fields, int Length)> Split(ReadOnlySpan<byte> bytes, string context)
    {
        int end = bytes.IndexOf(End);
        if (end < 0)
        {
            return DecodeError.NotEnoughBytes(context, bytes.Length, bytes.Length + 1, bytes.Length);
        }

        if (end + End.Length > MaxLength)
        {
            return DecodeError.LengthLimit(context, "head", 0, MaxLength, end + End.Length);
        }

        ReadOnlySpan<byte> head = bytes[..(end + 2)];
        int lineEnd = head.IndexOf("\r\n"u8);
        if (Text(head[..lineEnd]) is not { } startLine)
        {
            return BadByte(head[..lineEnd], 0, context, "start-line");
        }

        var fields = new List<HttpHeader>();
        int offset = lineEnd + 2;
        while (offset < head.Length)
        {
            ReadOnlySpan<byte> rest = head[offset..];
            int length = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = rest[..length];
            if (line.Length > 0 && line[0] is (byte)' ' or (byte)'\t')
            {
                // RFC 9112 5.2: obs-fold; a recipient may reject it, and this one does.
                return DecodeError.InvalidField(context, "field-line", "a folded line (obs-fold)", offset);
            }

            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                return DecodeError.InvalidField(context, "field-line", "no field name before ':'", offset);
            }

            foreach (byte b in line[..colon])
            {
                if (!IsTokenChar(b))
                {
                    return DecodeError.InvalidField(context, "field-name", $"byte 0x{b:x2} is not a token character", offset);
                }
            }

            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
            if (Text(value) is not { } valueText)
            {
                return BadByte(value, offset + colon + 1, context, "field-value");
            }

            if (fields.Count == MaxFields)
            {
                return DecodeError.LengthLimit(context, "fields", offset, MaxFields, fields.Count + 1);
            }

            fields.Add(new HttpHeader(System.Text.Encoding.ASCII.GetString(line[..colon]), valueText));
            offset += length + 2;
        }

        return (startLine, fields, end + End.Length);
    }

    /// <summary>Writes the start line, the fields and the empty line.</summary>
    internal static void Write(ref PduWriter writer, string startLine, IReadOnlyList<HttpHeader> fields)
    {
        WriteText(ref writer, startLine);
        writer.WriteBytes("\r\n"u8);
        foreach (HttpHeader field in fields)
        {
            WriteText(ref writer, field.Name);
            writer.WriteBytes(": "u8);
            WriteText(ref writer, field.Value);
            writer.WriteBytes("\r\n"u8);
        }

        writer.WriteBytes("\r\n"u8);
    }

    internal static int Size(string startLine, IReadOnlyList<HttpHeader> fields) =>
        startLine.Length + 2 + fields.Sum(f => f.Name.Length + 2 + f.Value.Length + 2) + 2;

    /// <summary>The first value of the field <paramref name="name"/> (case-insensitive), or null.</summary>
    public static string? Find(IReadOnlyList<HttpHeader> fields, string name)
    {
        foreach (HttpHeader field in fields)
        {
            if (string.Equals(field.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return field.Value;
            }
        }

        return null;
    }

    /// <summary>Every value of the field <paramref name="name"/>, in order.</summary>
    public static IEnumerable<string> FindAll(IReadOnlyList<HttpHeader> fields, string name) =>
        fields.Where(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)).Select(f => f.Value);

    /// <summary>Whether a comma-separated field (Connection, Upgrade) names <paramref name="token"/>, case-insensitively.</summary>
    public static bool HasToken(IReadOnlyList<HttpHeader> fields, string name, string token) =>
        FindAll(fields, name).SelectMany(v => v.Split(',')).Any(t => string.Equals(t.Trim(), token, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether <paramref name="text"/> can be written as a header field value or start line: Latin-1 without controls but tab.</summary>
    public static bool IsWritable(string text) => text.All(c => c is '\t' or >= ' ' and not '\x7f' and <= '\xff');

    internal static bool IsTokenChar(byte b) => b is > 0x20 and < 0x7F && !"\"(),/:;<=>?@[\\]{}"u8.Contains(b);

    private static string? Text(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b is < 0x20 and not (byte)'\t' or 0x7F)
            {
                return null;
            }
        }

        return System.Text.Encoding.Latin1.GetString(bytes);
    }

    private static DecodeError BadByte(ReadOnlySpan<byte> bytes, int offset, string context, string field)
    {
        int at = 0;
        while (at < bytes.Length && !(bytes[at] is < 0x20 and not (byte)'\t' or 0x7F))
        {
            at++;
        }

        return DecodeError.InvalidField(context, field, $"control byte 0x{bytes[at]:x2}", offset + at);
    }

    private static void WriteText(ref PduWriter writer, string text)
    {
        Span<byte> bytes = text.Length <= 256 ? stackalloc byte[text.Length] : new byte[text.Length];
        System.Text.Encoding.Latin1.GetBytes(text, bytes);
        writer.WriteBytes(bytes);
    }
}
