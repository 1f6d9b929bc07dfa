using System.Net;

namespace RdpHandshake.Capture;

/// <summary>Which way bytes went on the wire.</summary>
public enum WireDirection
{
    ToServer,
    ToClient,
}

/// <summary>How the connection ended on the wire, for the closing segments of a capture.</summary>
public enum WireEnding
{
    /// <summary>We closed it (FIN from the client).</summary>
    ClientClosed,

    /// <summary>The server closed it (FIN from the server).</summary>
    ServerClosed,

    /// <summary>The server reset it (RST from the server).</summary>
    ServerReset,
}

/// <summary>One chunk of payload, in the order it crossed the wire.</summary>
public sealed record WireEvent(TimeSpan At, WireDirection Direction, byte[] Payload);

/// <summary>
/// The payload bytes of one connection in wire order, with the endpoints and times: what a capture of the
/// attempt needs, recorded by the engine as it sends and receives.
/// </summary>
public sealed class WireLog
{
    private readonly List<WireEvent> _events = [];
    private readonly Lock _gate = new();

    public WireLog(DateTimeOffset startedAt) => StartedAt = startedAt;

    public DateTimeOffset StartedAt { get; }

    public IPEndPoint? Client { get; set; }

    public IPEndPoint? Server { get; set; }

    /// <summary>
    /// What the capture shows when it is not simply the connection as made (a stream tunnelled through an RD Gateway):
    /// written as the pcapng section's comment (opt_comment), which Wireshark shows in its capture file properties.
    /// </summary>
    public string? Comment { get; set; }

    /// <summary>When the TCP connection was established, as an offset from <see cref="StartedAt"/>.</summary>
    public TimeSpan? ConnectedAt { get; set; }

    public (TimeSpan At, WireEnding How)? Ending { get; set; }

    public IReadOnlyList<WireEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public void Add(TimeSpan at, WireDirection direction, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            _events.Add(new WireEvent(at, direction, payload.ToArray()));
        }
    }
}
