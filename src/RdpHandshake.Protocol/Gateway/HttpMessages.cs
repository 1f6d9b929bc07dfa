using System.Globalization;
using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Gateway;

/// <summary>
/// The status line and header fields of an HTTP/1.1 response (RFC 9112 4 and 5), as an RD Gateway answers
/// RDG_OUT_DATA and RDG_IN_DATA (MS-TSGU 3.3.5.1).
/// </summary>
public sealed record HttpResponseHead(int StatusCode, string Reason, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The largest response head rdphs reads: status line and header fields, 16 KiB.</summary>
    public const int MaxHeadLength = 16 * 1024;

    public const string PduName = "HTTP response";

    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Every value of header <paramref name="name"/>.</summary>
    public IEnumerable<string> AllHeaders(string name) => Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    /// <summary>Whether the body is sent in chunks (<c>Transfer-Encoding: chunked</c>).</summary>
    public bool IsChunked => Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The Content-Length, when there is a valid one.</summary>
    public long? ContentLength => long.TryParse(Header("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out long length) ? length : null;

    /// <summary>The length of the head that starts <paramref name="buffered"/>, through its empty line; need more, or too long.</summary>
    public static FrameSize FindHeadLength(ReadOnlySpan<byte> buffered, int maxHeadLength = MaxHeadLength)
    {
        int end = buffered.IndexOf("\r\n\r\n"u8);
        if (end >= 0 && end + 4 <= maxHeadLength)
        {
            return FrameSize.Complete(end + 4);
        }

        if ((end < 0 && buffered.Length >= maxHeadLength) || end + 4 > maxHeadLength)
        {
            return FrameSize.Invalid(DecodeError.LengthLimit(PduName, "head", 0, maxHeadLength, Math.Max(buffered.Length, end + 4)));
        }

        return FrameSize.NeedMore(buffered.Length + 1);
    }

    /// <summary>Parses a whole head (through its empty line): <c>HTTP/1.x SP status SP reason</c> then <c>name: value</c> lines.</summary>
    public static DecodeResult<HttpResponseHead> Parse(ReadOnlySpan<byte> head)
    {
        if (head.Length > MaxHeadLength)
        {
            return DecodeError.LengthLimit(PduName, "head", 0, MaxHeadLength, head.Length);
        }

        string text = System.Text.Encoding.Latin1.GetString(head);
        string[] lines = text.Split("\r\n");
        string status = lines[0];
        if (!status.StartsWith("HTTP/1.", StringComparison.Ordinal) || status.Length < 12 || status[8] != ' '
            || !int.TryParse(status.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int code) || (status.Length > 12 && status[12] != ' '))
        {
            string shown = status.Length > 40 ? status[..40] + "..." : status;
            return DecodeError.InvalidField(PduName, "status line", $"\"{shown}\" is not an HTTP/1.x status line", 0);
        }

        var headers = new List<KeyValuePair<string, string>>();
        int offset = status.Length + 2;
        foreach (string line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                break;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return DecodeError.InvalidField(PduName, "header field", "a header line without a name and a colon", offset);
            }

            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
            offset += line.Length + 2;
        }

        return new HttpResponseHead(code, status.Length > 13 ? status[13..] : string.Empty, headers);
    }
}

/// <summary>
/// Reads a body sent with <c>Transfer-Encoding: chunked</c> (RFC 9112 7.1): hex size line, data, CRLF, until the
/// zero-size chunk. Bytes in, data out; a size line longer than 18 bytes or a chunk over the bound is an error.
/// </summary>
public sealed class ChunkedDecoder(int maxChunk = TsguPacketHeader.MaxPacketLength * 4)
{
    private enum State
    {
        Size,
        Data,
        DataEnd,
        Done,
    }

    private readonly StringBuilder _sizeLine = new();
    private State _state = State.Size;
    private long _left;
    private int _consumed;

    /// <summary>The zero-size chunk was read: the body ended.</summary>
    public bool Ended => _state == State.Done;

    /// <summary>Feeds received body bytes; the data they carry is appended to <paramref name="data"/>. An error ends the body.</summary>
    public DecodeError? Feed(ReadOnlySpan<byte> bytes, List<byte> data)
    {
        int i = 0;
        while (i < bytes.Length && _state != State.Done)
        {
            switch (_state)
            {
                case State.Size:
                    byte b = bytes[i++];
                    _consumed++;
                    if (b == '\n')
                    {
                        string line = _sizeLine.ToString().TrimEnd('\r');
                        int extension = line.IndexOf(';', StringComparison.Ordinal);
                        string hex = (extension >= 0 ? line[..extension] : line).Trim();
                        if (!long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long size) || size < 0)
                        {
                            return DecodeError.InvalidField("HTTP chunked body", "chunk-size", $"\"{line}\" is not a hexadecimal chunk size", _consumed);
                        }

                        if (size > maxChunk)
                        {
                            return DecodeError.LengthLimit("HTTP chunked body", "chunk-size", _consumed, maxChunk, size);
                        }

                        _sizeLine.Clear();
                        _left = size;
                        _state = size == 0 ? State.Done : State.Data;
                    }
                    else
                    {
                        if (_sizeLine.Length >= 18)
                        {
                            return DecodeError.LengthLimit("HTTP chunked body", "chunk-size line", _consumed, 18, _sizeLine.Length + 1);
                        }

                        _sizeLine.Append((char)b);
                    }

                    break;
                case State.Data:
                    int take = (int)Math.Min(_left, bytes.Length - i);
                    for (int k = 0; k < take; k++)
                    {
                        data.Add(bytes[i + k]);
                    }

                    i += take;
                    _consumed += take;
                    _left -= take;
                    if (_left == 0)
                    {
                        _state = State.DataEnd;
                        _left = 2;
                    }

                    break;
                case State.DataEnd:
                    byte c = bytes[i++];
                    _consumed++;
                    if ((_left == 2 && c != '\r') || (_left == 1 && c != '\n'))
                    {
                        return DecodeError.InvalidField("HTTP chunked body", "chunk", "a chunk's data is not followed by CRLF", _consumed - 1);
                    }

                    if (--_left == 0)
                    {
                        _state = State.Size;
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>One chunk carrying <paramref name="data"/>: <c>HEX CRLF data CRLF</c>.</summary>
    public static byte[] Chunk(ReadOnlySpan<byte> data)
    {
        byte[] size = System.Text.Encoding.ASCII.GetBytes(data.Length.ToString("X", CultureInfo.InvariantCulture) + "\r\n");
        byte[] chunk = new byte[size.Length + data.Length + 2];
        size.CopyTo(chunk, 0);
        data.CopyTo(chunk.AsSpan(size.Length));
        chunk[^2] = (byte)'\r';
        chunk[^1] = (byte)'\n';
        return chunk;
    }
}
