using System.Net;

namespace RdpHandshake.Analysis;

/// <summary>
/// One direction of a TCP connection, reassembled (RFC 9293 3.4, 3.10.7.4): segments in sequence order whatever
/// order they were captured in, retransmissions and overlaps dropped (the first copy wins, as a receiver keeps it),
/// holes the capture never filled marked as gaps, and the facts a diagnosis needs: SYN, FIN and RST with their times,
/// zero windows, retransmissions, and the same large segment retransmitted unacknowledged (the MTU black hole).
/// </summary>
public sealed class TcpFlow(IPEndPoint from, IPEndPoint to, long bound = TimedStream.DefaultBound)
{
    /// <summary>How many bytes may wait out of order before the hole before them is declared a gap.</summary>
    public const int MaxPending = 1024 * 1024;

    /// <summary>A segment this long or longer that is retransmitted unacknowledged is the MTU black hole's signature.</summary>
    public const int LargeSegment = 1000;

    private const int MaxTracked = 512;

    private readonly SortedDictionary<long, (byte[] Data, int Missing, DateTimeOffset Time)> _pending = [];
    private readonly Dictionary<long, Unacked> _unacked = [];
    private long _pendingBytes;
    private uint _base;
    private bool _based;
    private long _next;
    private long? _finOffset;
    private DateTimeOffset? _finTime;
    private long _finFrame;

    private sealed class Unacked(int length, DateTimeOffset first)
    {
        public int Length { get; } = length;

        public DateTimeOffset First { get; } = first;

        public int Sent { get; set; } = 1;

        public DateTimeOffset Last { get; set; } = first;
    }

    public IPEndPoint From => from;

    public IPEndPoint To => to;

    public TimedStream Stream { get; } = new(bound);

    public DateTimeOffset? SynAt { get; private set; }

    /// <summary>True when the SYN carried ACK (the server's SYN-ACK).</summary>
    public bool SynAck { get; private set; }

    public DateTimeOffset? FinAt => _finTime;

    public DateTimeOffset? RstAt { get; private set; }

    /// <summary>When the first segment of this direction was captured.</summary>
    public DateTimeOffset? FirstSeen { get; private set; }

    public DateTimeOffset? LastPayloadAt { get; private set; }

    public long Segments { get; private set; }

    public long PayloadBytes { get; private set; }

    public int Retransmissions { get; private set; }

    public int OutOfOrder { get; private set; }

    public int Overlaps { get; private set; }

    public int Gaps { get; private set; }

    public long GapBytes { get; private set; }

    public int ZeroWindows { get; private set; }

    public DateTimeOffset? FirstZeroWindow { get; private set; }

    /// <summary>Segments whose payload the snap length cut, and the most bytes any of them kept.</summary>
    public int TruncatedPayloads { get; private set; }

    public int TruncatedTo { get; private set; }

    /// <summary>The largest segment the peer acknowledged.</summary>
    public int LargestAcked { get; private set; }

    /// <summary>Set when the sequence numbers could not be anchored on a SYN: the capture started mid-connection.</summary>
    public bool MidStream => _based && SynAt is null;

    /// <summary>The MTU black hole's signature, when this direction shows it: the segment, how often it went out, and over how long.</summary>
    public (int Length, int Sent, TimeSpan Over, int LargestAcked)? BlackHole { get; private set; }

    /// <summary>True once this direction ended (FIN reached in order, or RST).</summary>
    public bool Ended => Stream.End is not null;

    /// <summary>Adds one segment sent in this direction.</summary>
    public void Add(TcpSegment segment)
    {
        Segments++;
        FirstSeen ??= segment.Time;
        if (segment.Window == 0 && !segment.Has(TcpFlags.Rst) && !segment.Has(TcpFlags.Syn))
        {
            ZeroWindows++;
            FirstZeroWindow ??= segment.Time;
        }

        if (segment.Has(TcpFlags.Syn))
        {
            if (SynAt is null || !_based)
            {
                SynAt = segment.Time;
                SynAck = segment.Has(TcpFlags.Ack);
                _base = segment.Sequence + 1;
                _based = true;
                _next = 0;
            }

            return;
        }

        if (!_based)
        {
            _base = segment.Sequence;
            _based = true;
        }

        if (segment.Has(TcpFlags.Rst))
        {
            RstAt ??= segment.Time;
            if (Stream.End is null)
            {
                FlushPending(segment.Time);
                Stream.End = new StreamEnd(StreamEndKind.Reset, segment.Time) { Frame = segment.Frame };
            }

            return;
        }

        long offset = Offset(segment.Sequence);
        int length = segment.WireLength;
        if (length > 0)
        {
            PayloadBytes += segment.Payload.Length;
            LastPayloadAt = segment.Time;
            if (segment.Missing > 0)
            {
                TruncatedPayloads++;
                TruncatedTo = Math.Max(TruncatedTo, segment.Payload.Length);
            }

            if (Stream.Retain)
            {
                Track(offset, length, segment.Time);
                Deliver(offset, segment.Payload, segment.Missing, segment.Time);
            }
            else
            {
                // Nothing of this direction is kept (not RDP, or analysed): only where it got to, for its FIN.
                Forget();
                _next = Math.Max(_next, offset + length);
            }
        }

        if (segment.Has(TcpFlags.Fin) && _finOffset is null)
        {
            _finOffset = offset + length;
            _finTime = segment.Time;
            _finFrame = segment.Frame;
            TryEnd();
        }
    }

    /// <summary>The peer acknowledged up to <paramref name="ack"/> (a sequence number of this direction).</summary>
    public void Acknowledged(uint ack)
    {
        if (!_based)
        {
            return;
        }

        long acked = Offset(ack);
        List<long>? done = null;
        foreach ((long offset, Unacked entry) in _unacked)
        {
            if (offset + entry.Length <= acked)
            {
                LargestAcked = Math.Max(LargestAcked, entry.Length);
                (done ??= []).Add(offset);
            }
        }

        foreach (long offset in done ?? [])
        {
            _unacked.Remove(offset);
        }
    }

    /// <summary>The capture ended: what still waits out of order is delivered after gaps, and an open direction is marked open.</summary>
    public void Finish(DateTimeOffset captureEnd)
    {
        FlushPending(captureEnd);
        if (Stream.End is null && _finOffset is { } fin && _next < fin)
        {
            // The FIN came, but bytes before it never did.
            Gap(fin - _next, _finTime ?? captureEnd, "bytes before the FIN are missing from the capture");
            _next = fin;
            TryEnd();
        }

        Stream.End ??= new StreamEnd(StreamEndKind.CaptureEnded, captureEnd);
        foreach ((long _, Unacked entry) in _unacked)
        {
            if (entry.Sent >= 3 && entry.Length >= LargeSegment && entry.Length > LargestAcked
                && (BlackHole is null || entry.Sent > BlackHole.Value.Sent))
            {
                BlackHole = (entry.Length, entry.Sent, entry.Last - entry.First, LargestAcked);
            }
        }
    }

    /// <summary>Drops what waits for an acknowledgement or out of order: the direction's bytes are no longer kept.</summary>
    public void Forget()
    {
        if (_unacked.Count > 0)
        {
            _unacked.Clear();
            _unacked.TrimExcess();
        }

        if (_pending.Count > 0)
        {
            _pending.Clear();
            _pendingBytes = 0;
        }
    }

    /// <summary>The offset of a sequence number from the first byte, across wraps: nearest to what is expected next.</summary>
    private long Offset(uint sequence) => _next + (int)(sequence - unchecked(_base + (uint)_next));

    private void Track(long offset, int length, DateTimeOffset time)
    {
        if (_unacked.TryGetValue(offset, out Unacked? seen))
        {
            if (seen.Length == length)
            {
                seen.Sent++;
                seen.Last = time;
            }

            return;
        }

        if (offset + length <= _next)
        {
            return;
        }

        if (_unacked.Count >= MaxTracked)
        {
            long oldest = _unacked.Keys.Min();
            _unacked.Remove(oldest);
        }

        _unacked[offset] = new Unacked(length, time);
    }

    private void Deliver(long offset, byte[] payload, int missing, DateTimeOffset time)
    {
        long end = offset + payload.Length + missing;
        if (end <= _next)
        {
            Retransmissions++;
            return;
        }

        if (offset > _next)
        {
            OutOfOrder++;
            if (_pending.TryGetValue(offset, out var there) && there.Data.Length + there.Missing >= payload.Length + missing)
            {
                Retransmissions++;
                return;
            }

            _pending[offset] = (payload, missing, time);
            _pendingBytes += payload.Length;
            if (_pendingBytes > MaxPending)
            {
                // Too much waits behind a hole: the hole is a gap in the capture.
                long first = _pending.Keys.First();
                Gap(first - _next, time, "bytes missing from the capture (a hole that never filled)");
                _next = first;
                Drain();
            }

            return;
        }

        if (offset < _next)
        {
            Overlaps++;
        }

        InOrder(offset, payload, missing, time);
        Drain();
    }

    /// <summary>Appends a segment that starts at or before the next expected byte: only what is new.</summary>
    private void InOrder(long offset, byte[] payload, int missing, DateTimeOffset time)
    {
        long skip = _next - offset;
        if (skip < payload.Length)
        {
            Stream.Append(payload.AsSpan((int)skip), time);
            _next = offset + payload.Length;
        }

        long end = offset + payload.Length + missing;
        if (end > _next)
        {
            Gap(end - _next, time, $"payloads truncated to {TruncatedTo} bytes by the capture's snap length");
            _next = end;
        }
    }

    private void Drain()
    {
        while (_pending.Count > 0)
        {
            (long offset, (byte[] data, int missing, DateTimeOffset time)) = _pending.First();
            if (offset > _next)
            {
                break;
            }

            _pending.Remove(offset);
            _pendingBytes -= data.Length;
            if (offset + data.Length + missing > _next)
            {
                InOrder(offset, data, missing, time);
            }
        }

        TryEnd();
    }

    private void FlushPending(DateTimeOffset time)
    {
        while (_pending.Count > 0)
        {
            long first = _pending.Keys.First();
            if (first > _next)
            {
                Gap(first - _next, time, "bytes missing from the capture (a hole that never filled)");
                _next = first;
            }

            Drain();
        }
    }

    private void Gap(long length, DateTimeOffset time, string why)
    {
        Gaps++;
        GapBytes += length;
        Stream.AppendGap(length, time, why);
    }

    private void TryEnd()
    {
        if (Stream.End is null && _finOffset is { } fin && _next >= fin && _pending.Count == 0)
        {
            Stream.End = new StreamEnd(StreamEndKind.Fin, _finTime!.Value) { Frame = _finFrame };
        }
    }
}
