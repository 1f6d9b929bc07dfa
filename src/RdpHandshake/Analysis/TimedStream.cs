namespace RdpHandshake.Analysis;

/// <summary>How one direction of a connection ended, as far as the capture shows.</summary>
public enum StreamEndKind
{
    /// <summary>The sender closed its side (FIN), or inside TLS sent close_notify or a fatal alert.</summary>
    Fin,

    /// <summary>The sender reset the connection (RST).</summary>
    Reset,

    /// <summary>The capture stops while the direction is still open.</summary>
    CaptureEnded,
}

/// <summary>The end of a direction: how, when, and what the sender said (a TLS alert) if anything.</summary>
public sealed record StreamEnd(StreamEndKind Kind, DateTimeOffset Time, string? Detail = null)
{
    /// <summary>The capture's frame number of the FIN or RST, which orders two endings captured at the same time.</summary>
    public long Frame { get; init; }

    /// <summary>True when this ending came before <paramref name="other"/> in the capture.</summary>
    public bool Before(StreamEnd other) => Time < other.Time || (Time == other.Time && Frame != 0 && Frame < other.Frame);

    public string Describe(string who) => Kind switch
    {
        StreamEndKind.Fin => Detail ?? $"{who} closed the connection (FIN)",
        StreamEndKind.Reset => $"{who} reset the connection (RST)",
        StreamEndKind.CaptureEnded => "the capture ends",
    };
}

/// <summary>
/// One direction's bytes in order, each run of bytes with the time it arrived, with the places where bytes are
/// missing from the capture marked as gaps (never filled in), and how the direction ended. It keeps at most
/// <see cref="Bound"/> bytes; past that it only counts.
/// </summary>
public sealed class TimedStream(long bound = TimedStream.DefaultBound)
{
    /// <summary>What one direction keeps: far more than a connection sequence needs (the handshake is tens of KiB).</summary>
    public const long DefaultBound = 2 * 1024 * 1024;

    private readonly List<Chunk> _chunks = [];

    /// <summary>A run of bytes (or of missing bytes, <see cref="Data"/> null) starting at <see cref="Offset"/>.</summary>
    public readonly record struct Chunk(long Offset, byte[]? Data, int Length, DateTimeOffset Time, string? Why = null)
    {
        public long End => Offset + Length;

        public bool IsGap => Data is null;
    }

    public long Bound => bound;

    public IReadOnlyList<Chunk> Chunks => _chunks;

    /// <summary>Bytes delivered so far, gaps included.</summary>
    public long Length { get; private set; }

    /// <summary>Bytes kept (not past the bound).</summary>
    public long Kept { get; private set; }

    /// <summary>Set once the bound was reached: bytes from this offset on were only counted.</summary>
    public long? ClippedAt { get; private set; }

    public StreamEnd? End { get; set; }

    /// <summary>False once the stream was found to be of no interest: nothing more is kept.</summary>
    public bool Retain { get; set; } = true;

    public void Append(ReadOnlySpan<byte> data, DateTimeOffset time)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (Retain && ClippedAt is null)
        {
            if (Kept + data.Length > bound)
            {
                ClippedAt = Length;
            }
            else
            {
                _chunks.Add(new Chunk(Length, data.ToArray(), data.Length, time));
                Kept += data.Length;
            }
        }

        Length += data.Length;
    }

    /// <summary>Marks <paramref name="length"/> bytes the capture does not hold.</summary>
    public void AppendGap(long length, DateTimeOffset time, string why)
    {
        if (length <= 0)
        {
            return;
        }

        if (Retain && ClippedAt is null)
        {
            _chunks.Add(new Chunk(Length, null, (int)Math.Min(length, int.MaxValue), time, why));
        }

        Length += length;
    }

    /// <summary>Drops everything kept (the connection is not RDP, or it was analysed).</summary>
    public void Release()
    {
        Retain = false;
        _chunks.Clear();
        _chunks.TrimExcess();
        Kept = 0;
    }

    /// <summary>A stream of the given pieces, for tests and for TLS application data.</summary>
    public static TimedStream Of(IEnumerable<(byte[] Data, DateTimeOffset Time)> pieces, StreamEnd? end = null)
    {
        var stream = new TimedStream(long.MaxValue);
        foreach ((byte[] data, DateTimeOffset time) in pieces)
        {
            stream.Append(data, time);
        }

        stream.End = end;
        return stream;
    }
}

/// <summary>What reading a frame from a <see cref="StreamCursor"/> gave.</summary>
public enum CursorStatus
{
    /// <summary>A whole frame.</summary>
    Frame,

    /// <summary>The bytes cannot be framed as the hint asks.</summary>
    Invalid,

    /// <summary>The direction ended (FIN, RST, alert) before the frame was whole.</summary>
    Ended,

    /// <summary>Bytes are missing from the capture where the frame is.</summary>
    Gap,

    /// <summary>The capture (or what the analysis keeps of it) ends before the frame is whole.</summary>
    CaptureEnded,
}

/// <summary>A frame read from a direction, or why none could be.</summary>
public sealed record CursorRead(CursorStatus Status, byte[] Bytes, DateTimeOffset? Time, int? ExpectedLength = null, Protocol.Encoding.DecodeError? Error = null)
{
    /// <summary>When the first byte of <see cref="Bytes"/> arrived.</summary>
    public DateTimeOffset? FirstByte { get; init; }
}

/// <summary>Reads one direction of a connection frame by frame, as the driver reads a socket: by the frame hint's sizing.</summary>
public sealed class StreamCursor(TimedStream stream)
{
    private int _chunk;
    private int _inChunk;

    public TimedStream Stream => stream;

    /// <summary>The offset of the next byte.</summary>
    public long Position => _chunk < stream.Chunks.Count ? stream.Chunks[_chunk].Offset + _inChunk : stream.Chunks.Count == 0 ? 0 : stream.Chunks[^1].End;

    /// <summary>True when nothing is left to read (a gap counts as something).</summary>
    public bool AtEnd => _chunk >= stream.Chunks.Count;

    /// <summary>The next chunk is a gap: bytes missing from the capture.</summary>
    public bool AtGap => _chunk < stream.Chunks.Count && stream.Chunks[_chunk].IsGap;

    /// <summary>When the next byte arrived (or the gap was found); null at the end.</summary>
    public DateTimeOffset? NextTime => _chunk < stream.Chunks.Count ? stream.Chunks[_chunk].Time : null;

    /// <summary>Copies up to <paramref name="count"/> contiguous bytes from the position, stopping at a gap or the end.</summary>
    public byte[] Peek(int count, out DateTimeOffset? lastTime)
    {
        var buffer = new List<byte>(Math.Min(count, 4096));
        lastTime = null;
        int chunk = _chunk;
        int inChunk = _inChunk;
        while (buffer.Count < count && chunk < stream.Chunks.Count)
        {
            TimedStream.Chunk c = stream.Chunks[chunk];
            if (c.IsGap)
            {
                break;
            }

            int take = Math.Min(count - buffer.Count, c.Length - inChunk);
            buffer.AddRange(c.Data.AsSpan(inChunk, take));
            lastTime = c.Time;
            inChunk += take;
            if (inChunk == c.Length)
            {
                chunk++;
                inChunk = 0;
            }
        }

        return [.. buffer];
    }

    /// <summary>Moves past <paramref name="count"/> bytes (a gap is passed whole).</summary>
    public void Advance(long count)
    {
        while (count > 0 && _chunk < stream.Chunks.Count)
        {
            TimedStream.Chunk c = stream.Chunks[_chunk];
            long left = c.Length - _inChunk;
            if (count < left)
            {
                _inChunk += (int)count;
                return;
            }

            count -= left;
            _chunk++;
            _inChunk = 0;
        }
    }

    /// <summary>Passes the gap at the position, if there is one; returns its chunk.</summary>
    public TimedStream.Chunk? SkipGap()
    {
        if (!AtGap)
        {
            return null;
        }

        TimedStream.Chunk gap = stream.Chunks[_chunk];
        _chunk++;
        _inChunk = 0;
        return gap;
    }

    /// <summary>
    /// Reads one frame as <paramref name="hint"/> sizes it. The frame is consumed only when whole (or when it cannot
    /// be framed: then what was looked at is consumed too, as the driver does).
    /// </summary>
    public CursorRead Read(Protocol.Sequence.FrameHint hint)
    {
        int want = Math.Max(hint.HeaderLength, 1);
        DateTimeOffset? first = NextTime;
        while (true)
        {
            byte[] buffered = Peek(want, out DateTimeOffset? last);
            Protocol.Encoding.FrameSize size = hint.FindSize(buffered);
            switch (size.Status)
            {
                case Protocol.Encoding.FrameSizeStatus.Invalid:
                    byte[] seen = buffered.Length > hint.HeaderLength && hint.HeaderLength > 0 ? buffered[..hint.HeaderLength] : buffered;
                    Advance(seen.Length);
                    return new CursorRead(CursorStatus.Invalid, seen, last, Error: size.Error) { FirstByte = first };
                case Protocol.Encoding.FrameSizeStatus.Complete when buffered.Length >= size.Length:
                    byte[] frame = buffered.Length == size.Length ? buffered : buffered[..size.Length];
                    Peek(size.Length, out DateTimeOffset? done);
                    Advance(size.Length);
                    return new CursorRead(CursorStatus.Frame, frame, done, size.Length) { FirstByte = first };
                case Protocol.Encoding.FrameSizeStatus.Complete when buffered.Length == want && want < size.Length:
                    want = size.Length;
                    continue;
                case Protocol.Encoding.FrameSizeStatus.Complete:
                    return Short(buffered, last, size.Length, first);
                default:
                    if (buffered.Length == want && want < size.Length)
                    {
                        want = size.Length;
                        continue;
                    }

                    return Short(buffered, last, null, first);
            }
        }
    }

    /// <summary>The bytes ran out before the frame was whole: a gap, the end of the direction, or the end of the capture.</summary>
    private CursorRead Short(byte[] buffered, DateTimeOffset? last, int? expected, DateTimeOffset? first)
    {
        // Where the contiguous bytes stop: at a gap, or at the end of what the capture holds.
        int chunk = _chunk;
        long left = buffered.Length + _inChunk;
        while (chunk < stream.Chunks.Count && !stream.Chunks[chunk].IsGap && left >= stream.Chunks[chunk].Length)
        {
            left -= stream.Chunks[chunk].Length;
            chunk++;
        }

        if (chunk < stream.Chunks.Count && stream.Chunks[chunk].IsGap)
        {
            return new CursorRead(CursorStatus.Gap, buffered, stream.Chunks[chunk].Time, expected) { FirstByte = first };
        }

        bool ended = stream.End is { Kind: StreamEndKind.Fin or StreamEndKind.Reset } && stream.ClippedAt is null;
        return new CursorRead(ended ? CursorStatus.Ended : CursorStatus.CaptureEnded, buffered, ended ? stream.End!.Time : last, expected) { FirstByte = first };
    }
}
