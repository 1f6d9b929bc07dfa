using System.Net;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Analysis;

/// <summary>What a connection is to the analysis.</summary>
public enum ConnectionKind
{
    /// <summary>Not decided yet: the client has not sent a whole first frame.</summary>
    Unknown,

    /// <summary>The client's first payload is a TPKT + X.224 Connection Request.</summary>
    Rdp,

    /// <summary>Something else.</summary>
    Other,
}

/// <summary>One TCP connection of the capture: its two directions, which side is the client, and whether it is RDP.</summary>
public sealed class TcpConnection
{
    internal TcpConnection(int index, IPEndPoint a, IPEndPoint b, long bound)
    {
        Index = index;
        A = new TcpFlow(a, b, bound);
        B = new TcpFlow(b, a, bound);
    }

    /// <summary>1-based, in the order connections first appear in the capture (<c>--stream N</c>).</summary>
    public int Index { get; }

    internal TcpFlow A { get; }

    internal TcpFlow B { get; }

    /// <summary>The side that sent the SYN, or (without one) the side whose first payload is a Connection Request.</summary>
    public TcpFlow? Client { get; private set; }

    public TcpFlow? Server => Client is null ? null : ReferenceEquals(Client, A) ? B : A;

    public ConnectionKind Kind { get; internal set; }

    public DateTimeOffset FirstSeen { get; internal set; }

    public DateTimeOffset LastSeen { get; internal set; }

    /// <summary>True once both directions ended, or one reset.</summary>
    public bool Over => (A.Ended && B.Ended) || A.RstAt is not null || B.RstAt is not null;

    /// <summary>Set once the analysis took it: late segments are counted, not kept.</summary>
    internal bool Analysed { get; set; }

    internal TcpFlow Flow(IPEndPoint from) => A.From.Equals(from) ? A : B;

    internal void Add(TcpSegment segment)
    {
        LastSeen = segment.Time;
        TcpFlow flow = Flow(segment.Source);
        TcpFlow peer = ReferenceEquals(flow, A) ? B : A;
        if (Client is null && segment.Has(TcpFlags.Syn))
        {
            Client = segment.Has(TcpFlags.Ack) ? peer : flow;
        }

        flow.Add(segment);
        if (segment.Has(TcpFlags.Ack))
        {
            peer.Acknowledged(segment.Acknowledgement);
        }

        if (Kind == ConnectionKind.Unknown)
        {
            Classify();
        }
    }

    /// <summary>Decides whether the connection is RDP from the client's first frame; without a SYN, from whichever side spoke first.</summary>
    internal void Classify()
    {
        // An RDP client speaks first, and its Connection Request is small: a server that sends before its client did,
        // or a side that sent more than any Connection Request without one being found, is not RDP, and nothing of it
        // is kept (a server-first protocol or a bulk transfer would otherwise be held until the connection ends).
        if ((Client is not null && Client.Stream.Length == 0 && Server!.Stream.Length > 0)
            || (Client is null && (A.Stream.Length > UndecidedLimit || B.Stream.Length > UndecidedLimit)))
        {
            Kind = ConnectionKind.Other;
            A.Stream.Release();
            B.Stream.Release();
            A.Forget();
            B.Forget();
            return;
        }

        TcpFlow[] candidates = Client is not null ? [Client] : [A, B];
        foreach (TcpFlow flow in candidates)
        {
            ConnectionKind kind = KindOf(flow.Stream);
            if (kind == ConnectionKind.Unknown)
            {
                continue;
            }

            if (kind == ConnectionKind.Rdp)
            {
                Client = flow;
                Kind = ConnectionKind.Rdp;
                return;
            }

            if (Client is not null || candidates.All(c => c.Stream.Length > 0))
            {
                Kind = ConnectionKind.Other;
                A.Stream.Release();
                B.Stream.Release();
                A.Forget();
                B.Forget();
                return;
            }
        }
    }

    /// <summary>How many bytes a side may send before the connection is decided (far more than any Connection Request).</summary>
    internal const int UndecidedLimit = 64 * 1024;

    /// <summary>Whether a client's first bytes are a Connection Request: unknown until the first TPKT is whole.</summary>
    internal static ConnectionKind KindOf(TimedStream stream)
    {
        if (stream.Length == 0)
        {
            return ConnectionKind.Unknown;
        }

        if (stream.Chunks.Count == 0 || stream.Chunks[0].IsGap)
        {
            return ConnectionKind.Other;
        }

        var cursor = new StreamCursor(stream);
        CursorRead read = cursor.Read(new Protocol.Sequence.TpktFrameHint("rdp?", X224ConnectionRequest.PduName, X224Framing.MaxConnectionPduSize));
        return read.Status switch
        {
            CursorStatus.Frame => Pdu.Decode<X224ConnectionRequest>(read.Bytes).IsSuccess ? ConnectionKind.Rdp : ConnectionKind.Other,
            CursorStatus.Invalid or CursorStatus.Gap => ConnectionKind.Other,
            _ => ConnectionKind.Unknown,
        };
    }

    /// <summary>Ends both directions at the end of the capture.</summary>
    internal void Finish(DateTimeOffset captureEnd)
    {
        A.Finish(captureEnd);
        B.Finish(captureEnd);
        if (Kind == ConnectionKind.Unknown)
        {
            Classify();
            if (Kind == ConnectionKind.Unknown)
            {
                Kind = ConnectionKind.Other;
            }
        }
    }
}

/// <summary>
/// Follows every TCP connection of a capture, segment by segment, and hands each RDP connection to
/// <see cref="Completed"/> as soon as it is over (or at the end of the capture), then forgets its bytes: memory stays
/// bounded by the connections open at once, whatever the capture's size.
/// </summary>
public sealed class TcpTracker(long bound = TimedStream.DefaultBound)
{
    /// <summary>Connections followed at once; past that the oldest finished ones are forgotten.</summary>
    public const int MaxTracked = 100_000;

    private readonly Dictionary<(IPEndPoint, IPEndPoint), TcpConnection> _open = [];
    private int _next;

    /// <summary>Called with each RDP connection once it is over; its bytes are released after.</summary>
    public Action<TcpConnection>? Completed { get; init; }

    /// <summary>How many connections appeared, RDP or not.</summary>
    public int Connections => _next;

    public int RdpConnections { get; private set; }

    public DateTimeOffset? LastTime { get; private set; }

    public void Add(TcpSegment segment)
    {
        LastTime = segment.Time;
        (IPEndPoint, IPEndPoint) key = Key(segment.Source, segment.Destination);
        bool opening = segment.Has(TcpFlags.Syn) && !segment.Has(TcpFlags.Ack);
        if (_open.TryGetValue(key, out TcpConnection? connection) && opening && connection.Over && connection.Client?.SynAt is { } synAt && synAt != segment.Time)
        {
            // The ports were reused for a new connection.
            Close(connection);
            _open.Remove(key);
            connection = null;
        }

        if (connection is null && !_open.TryGetValue(key, out connection))
        {
            if (_open.Count >= MaxTracked)
            {
                Evict();
            }

            connection = new TcpConnection(++_next, segment.Source, segment.Destination, bound) { FirstSeen = segment.Time };
            _open[key] = connection;
        }

        if (connection.Analysed)
        {
            connection.LastSeen = segment.Time;
            return;
        }

        ConnectionKind before = connection.Kind;
        connection.Add(segment);
        if (before != ConnectionKind.Rdp && connection.Kind == ConnectionKind.Rdp)
        {
            RdpConnections++;
        }

        if (connection.Over && connection.Kind != ConnectionKind.Unknown)
        {
            Close(connection);
        }
    }

    /// <summary>The capture ended: every connection still open is finished and handed over.</summary>
    public void Finish()
    {
        DateTimeOffset end = LastTime ?? DateTimeOffset.UnixEpoch;
        foreach (TcpConnection connection in _open.Values.OrderBy(c => c.Index))
        {
            if (!connection.Analysed)
            {
                ConnectionKind before = connection.Kind;
                connection.Finish(end);
                if (before != ConnectionKind.Rdp && connection.Kind == ConnectionKind.Rdp)
                {
                    RdpConnections++;
                }

                Close(connection);
            }
        }

        _open.Clear();
    }

    private void Close(TcpConnection connection)
    {
        if (connection.Analysed)
        {
            return;
        }

        if (connection.Kind == ConnectionKind.Rdp)
        {
            // Late ACKs and retransmissions may still come: what is kept is final now.
            connection.A.Finish(connection.LastSeen);
            connection.B.Finish(connection.LastSeen);
            Completed?.Invoke(connection);
        }

        connection.Analysed = true;
        connection.A.Stream.Release();
        connection.B.Stream.Release();
        connection.A.Forget();
        connection.B.Forget();
    }

    private void Evict()
    {
        foreach ((IPEndPoint, IPEndPoint) key in _open.Where(p => p.Value.Analysed).Select(p => p.Key).ToList())
        {
            _open.Remove(key);
        }
    }

    private static (IPEndPoint, IPEndPoint) Key(IPEndPoint a, IPEndPoint b)
    {
        int order = Compare(a, b);
        return order <= 0 ? (a, b) : (b, a);
    }

    private static int Compare(IPEndPoint a, IPEndPoint b)
    {
        ReadOnlySpan<byte> x = a.Address.GetAddressBytes();
        ReadOnlySpan<byte> y = b.Address.GetAddressBytes();
        int c = x.SequenceCompareTo(y);
        return c != 0 ? c : a.Port.CompareTo(b.Port);
    }
}
