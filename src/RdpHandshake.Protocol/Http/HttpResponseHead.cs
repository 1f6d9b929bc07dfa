using System.Globalization;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Http;

/// <summary>
/// The head of an HTTP/1.x response (RFC 9112 section 4): <c>HTTP/1.1 407 Proxy Authentication Required</c>, the header
/// fields, the empty line. What follows the head (a body, a tunnel, a WebSocket) is not part of it.
/// </summary>
public sealed record HttpResponseHead(string Version, int StatusCode, string Reason, IReadOnlyList<HttpHeader> Fields) : IPdu<HttpResponseHead>
{
    public static string PduName => "HTTP response head";

    public int Size => HttpHead.Size(StartLine, Fields);

    private string StartLine => Reason.Length == 0 ? $"{Version} {StatusCode:D3} " : $"{Version} {StatusCode:D3} {Reason}";

    /// <summary>The first value of a header field, or null.</summary>
    public string? this[string name] => HttpHead.Find(Fields, name);

    public void Encode(ref PduWriter writer) => HttpHead.Write(ref writer, StartLine, Fields);

    public static DecodeResult<HttpResponseHead> Decode(ref PduReader reader)
    {
        DecodeResult<(string StartLine, IReadOnlyList<HttpHeader> Fields, int Length)> split = HttpHead.Split(reader.RemainingSpan, PduName);
        if (!split.IsSuccess)
        {
            return split.Error;
        }

        (string line, IReadOnlyList<HttpHeader> fields, int length) = split.Value;
        // RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
        if (line.Length < 12 || !line.StartsWith("HTTP/", StringComparison.Ordinal) || !char.IsAsciiDigit(line[5]) || line[6] != '.' || !char.IsAsciiDigit(line[7]) || line[8] != ' ')
        {
            return DecodeError.InvalidField(PduName, "status-line", "not HTTP/x.y followed by a status code", 0);
        }

        if (!int.TryParse(line.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int status) || status < 100 || (line.Length > 12 && line[12] != ' '))
        {
            return DecodeError.InvalidField(PduName, "status-code", $"'{line[9..Math.Min(line.Length, 12)]}' is not a three-digit status code", 9);
        }

        reader.Skip(length);
        return new HttpResponseHead(line[..8], status, line.Length > 13 ? line[13..] : string.Empty, fields);
    }

    /// <summary>Frames a response head: see <see cref="HttpHead.FindFrameSize"/>.</summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered, int maxLength = HttpHead.MaxLength) =>
        HttpHead.FindFrameSize(buffered, PduName, "HTTP/"u8, maxLength);

    public bool Equals(HttpResponseHead? other) =>
        other is not null && Version == other.Version && StatusCode == other.StatusCode && Reason == other.Reason && Fields.SequenceEqual(other.Fields);

    public override int GetHashCode() => HashCode.Combine(Version, StatusCode, Reason, Fields.Count);

    public override string ToString() => $"{StartLine.TrimEnd()} ({Fields.Count} field(s))";
}

/// <summary>
/// The head of an HTTP/1.1 request (RFC 9112 section 3): <c>CONNECT host:3389 HTTP/1.1</c>, <c>RDG_OUT_DATA
/// /remoteDesktopGateway/ HTTP/1.1</c>, the header fields, the empty line.
/// </summary>
public sealed record HttpRequestHead(string Method, string Target, string Version, IReadOnlyList<HttpHeader> Fields) : IPdu<HttpRequestHead>
{
    public static string PduName => "HTTP request head";

    public int Size => HttpHead.Size(StartLine, Fields);

    private string StartLine => $"{Method} {Target} {Version}";

    /// <summary>The first value of a header field, or null.</summary>
    public string? this[string name] => HttpHead.Find(Fields, name);

    public void Encode(ref PduWriter writer) => HttpHead.Write(ref writer, StartLine, Fields);

    public static DecodeResult<HttpRequestHead> Decode(ref PduReader reader)
    {
        DecodeResult<(string StartLine, IReadOnlyList<HttpHeader> Fields, int Length)> split = HttpHead.Split(reader.RemainingSpan, PduName);
        if (!split.IsSuccess)
        {
            return split.Error;
        }

        (string line, IReadOnlyList<HttpHeader> fields, int length) = split.Value;
        string[] parts = line.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || !parts[0].All(c => c < 0x80 && HttpHead.IsTokenChar((byte)c)))
        {
            return DecodeError.InvalidField(PduName, "request-line", "not METHOD SP TARGET SP VERSION", 0);
        }

        if (parts[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "version", $"'{parts[2]}' is not HTTP/1.1 or HTTP/1.0", line.Length - parts[2].Length);
        }

        reader.Skip(length);
        return new HttpRequestHead(parts[0], parts[1], parts[2], fields);
    }

    /// <summary>Frames a request head: complete at its empty line, invalid past <paramref name="maxLength"/>.</summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered, int maxLength = HttpHead.MaxLength) =>
        HttpHead.FindFrameSize(buffered, PduName, ReadOnlySpan<byte>.Empty, maxLength);

    public bool Equals(HttpRequestHead? other) =>
        other is not null && Method == other.Method && Target == other.Target && Version == other.Version && Fields.SequenceEqual(other.Fields);

    public override int GetHashCode() => HashCode.Combine(Method, Target, Version, Fields.Count);

    public override string ToString() => $"{StartLine} ({Fields.Count} field(s))";
}
