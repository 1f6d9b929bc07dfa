using System.Net;
using System.Net.Sockets;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Transport;

namespace RdpHandshake.Kerberos;

/// <summary>
/// The frames of the steps on <see cref="FrameLayer.Kdc"/>: each request goes to the realm's KDC on a connection of
/// its own (a TCP connection, or a connected UDP socket), trying the KDCs in order until one accepts it, and the
/// reply is read from that connection under the step's deadline and size bound. The KDC connections are not the
/// server's: the capture of the run does not show them.
/// </summary>
internal sealed class KdcChannel(TimeSpan connectTimeout) : IFrameChannel, IAsyncDisposable
{
    private readonly Dictionary<string, KdcLocation> _located = new(StringComparer.OrdinalIgnoreCase);
    private SocketTransport? _tcp;
    private Socket? _udp;

    /// <summary>For a request sent over UDP: the datagram and the KDCs not asked yet, should the one asked turn out not to listen.</summary>
    private (byte[] Frame, Queue<KdcEndpoint> Untried)? _udpRequest;

    public Action<byte[]>? OnWireReceived { get; set; }

    public Action<byte[]>? OnWireSent { get; set; }

    /// <summary>The KDC the next request goes to: set by the driver from the step's plan.</summary>
    public KdcTarget? Target { get; set; }

    /// <summary>Resolves a KDC's name to its addresses; the system's resolver unless a test gives another.</summary>
    internal Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = Dns.GetHostAddressesAsync;

    /// <summary>The KDC that took the last request, for the step's fields.</summary>
    public string? Peer { get; private set; }

    public bool IsLocated(string realm) => _located.ContainsKey(realm);

    public void Located(KdcLocation location) => _located[location.Realm] = location;

    public async ValueTask<TransportEnd?> SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await CloseAsync().ConfigureAwait(false);
        KdcTarget target = Target ?? throw new InvalidOperationException("a KDC request without a target");
        KdcLocation location = _located[target.Realm];
        TransportEnd? last = null;
        var untried = new Queue<KdcEndpoint>(location.Endpoints);
        while (untried.TryDequeue(out KdcEndpoint? endpoint))
        {
            last = await TrySendAsync(endpoint, target.Transport, frame, cancellationToken).ConfigureAwait(false);
            if (last is null)
            {
                _udpRequest = target.Transport == KdcTransport.Udp ? (frame, untried) : null;
                OnWireSent?.Invoke(frame);
                return null;
            }
        }

        return last ?? new TransportEnd(TransportEndKind.SocketError, null, $"no KDC address for {target.Realm}");
    }

    public async ValueTask<FrameReadResult> ReadFrameAsync(FrameHint hint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_tcp is not null)
        {
            FrameReadResult read = await FrameReader.ReadFrameAsync(_tcp, hint, timeout, cancellationToken).ConfigureAwait(false);
            OnWireReceived?.Invoke(read.Bytes);
            return read;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        // One byte more than the bound: a datagram that fills it is too big, not cut to size.
        byte[] buffer = new byte[hint.MaxFrameLength + 1];
        int received;
        while (true)
        {
            Socket udp = _udp ?? throw new InvalidOperationException("a KDC reply awaited before a request was sent");
            try
            {
                received = await udp.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused && _udpRequest is { Untried.Count: > 0 })
            {
                // No KDC listens where the datagram went (ICMP port unreachable): it goes to the next KDC, as after a
                // refused TCP connection, and the reply is awaited from there under the same deadline.
                TransportEnd? end;
                try
                {
                    end = await NextDatagramKdcAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return new FrameReadResult(cancellationToken.IsCancellationRequested ? FrameReadStatus.Cancelled : FrameReadStatus.Timeout, [], null);
                }

                if (end is not null)
                {
                    return new FrameReadResult(FrameReadStatus.Ended, [], null, End: end);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new FrameReadResult(FrameReadStatus.Cancelled, [], null);
            }
            catch (OperationCanceledException)
            {
                return new FrameReadResult(FrameReadStatus.Timeout, [], null);
            }
            catch (SocketException ex)
            {
                return new FrameReadResult(FrameReadStatus.Ended, [], null, End: TransportErrors.FromException(ex));
            }
        }

        byte[] datagram = buffer[..received];
        OnWireReceived?.Invoke(datagram);
        FrameSize size = hint.FindSize(datagram);
        return size.Status == FrameSizeStatus.Complete
            ? new FrameReadResult(FrameReadStatus.Frame, datagram, received) { PeakBuffered = received }
            : new FrameReadResult(FrameReadStatus.Invalid, datagram[..Math.Min(datagram.Length, 64)], null, size.Error) { PeakBuffered = received };
    }

    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    /// <summary>Sends the pending UDP request to the next KDCs not asked yet, until one takes it; how the last ended when none does.</summary>
    private async ValueTask<TransportEnd?> NextDatagramKdcAsync(CancellationToken cancellationToken)
    {
        (byte[] frame, Queue<KdcEndpoint> untried) = _udpRequest!.Value;
        _udp?.Dispose();
        _udp = null;
        TransportEnd? last = null;
        while (untried.TryDequeue(out KdcEndpoint? endpoint))
        {
            last = await TrySendAsync(endpoint, KdcTransport.Udp, frame, cancellationToken).ConfigureAwait(false);
            if (last is null)
            {
                OnWireSent?.Invoke(frame);
                return null;
            }
        }

        return last;
    }

    /// <summary>Sends to the first of the endpoint's addresses that takes the request (a name may resolve to IPv6 and IPv4 addresses).</summary>
    private async ValueTask<TransportEnd?> TrySendAsync(KdcEndpoint endpoint, KdcTransport transport, byte[] frame, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(endpoint.Host, out IPAddress? literal))
        {
            addresses = [literal];
        }
        else
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(connectTimeout);
            try
            {
                addresses = await Resolve(endpoint.Host, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new TransportEnd(TransportEndKind.SocketError, SocketError.TimedOut, $"resolving {endpoint.Host} took longer than {connectTimeout.TotalSeconds:0.###} s");
            }
            catch (SocketException ex)
            {
                return TransportErrors.FromException(ex);
            }
        }

        TransportEnd? last = new(TransportEndKind.SocketError, SocketError.HostNotFound, $"{endpoint.Host} resolved to no address");
        foreach (IPAddress address in addresses)
        {
            last = await TrySendAsync(new IPEndPoint(address, endpoint.Port), transport, frame, cancellationToken).ConfigureAwait(false);
            if (last is null)
            {
                return null;
            }
        }

        return last;
    }

    private async ValueTask<TransportEnd?> TrySendAsync(IPEndPoint remote, KdcTransport transport, byte[] frame, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(connectTimeout);
        Socket? socket = null;
        try
        {
            Peer = $"{(transport == KdcTransport.Tcp ? "tcp" : "udp")}/{remote}";
            socket = new Socket(remote.AddressFamily, transport == KdcTransport.Tcp ? SocketType.Stream : SocketType.Dgram,
                transport == KdcTransport.Tcp ? ProtocolType.Tcp : ProtocolType.Udp);
            await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
            if (transport == KdcTransport.Udp)
            {
                await socket.SendAsync(frame, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                _udp = socket;
                return null;
            }

            _tcp = SocketTransport.Create(socket, remote);
            await _tcp.Output.WriteAsync(frame, deadline.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket?.Dispose();
            return new TransportEnd(TransportEndKind.SocketError, SocketError.TimedOut, $"no answer to the connection attempt within {connectTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            socket?.Dispose();
            await CloseAsync().ConfigureAwait(false);
            return TransportErrors.FromException(ex);
        }
    }

    private async ValueTask CloseAsync()
    {
        if (_tcp is not null)
        {
            await _tcp.DisposeAsync().ConfigureAwait(false);
            _tcp = null;
        }

        _udp?.Dispose();
        _udp = null;
        _udpRequest = null;
    }

    /// <summary>
    /// Why the KDC gave no answer (<paramref name="end"/> null: nothing within <paramref name="readTimeout"/>), as
    /// <see cref="CauseId.KdcUnreachable"/> with how: <c>refused</c>, <c>timeout</c>, <c>closed</c>, <c>reset</c>,
    /// <c>truncated</c>, <c>unreachable</c>, <c>name-not-resolved</c> or <c>socket-error</c>; the session host's Kerberos
    /// and the gateway's both say it this way.
    /// </summary>
    public ProtocolFailure Unreachable(TransportEnd? end, int partial, string expecting, TimeSpan readTimeout, bool connecting = false)
    {
        string peer = Peer ?? "the KDC";
        (string how, string what) = end switch
        {
            null when partial > 0 => ("timeout", $"{peer} sent {partial} byte(s) of the {expecting} and then nothing within {readTimeout.TotalSeconds:0.###} s"),
            null => ("timeout", $"{peer} did not answer within {readTimeout.TotalSeconds:0.###} s"),
            { SocketError: SocketError.ConnectionRefused } => ("refused", $"{peer} refused the connection: no KDC listens there"),
            { SocketError: SocketError.TimedOut } => ("timeout", connecting ? $"{peer} did not accept the connection: {end.Detail}" : $"{peer} did not answer"),
            { SocketError: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } => ("name-not-resolved", $"the KDC's name does not resolve ({end.Describe()})"),
            { SocketError: SocketError.NetworkUnreachable or SocketError.HostUnreachable } => ("unreachable", $"{peer} is unreachable ({end.Describe()})"),
            { Kind: TransportEndKind.Closed } when partial > 0 => ("truncated", $"{peer} closed the connection after {partial} byte(s) of the {expecting}"),
            { Kind: TransportEndKind.Closed } => ("closed", $"{peer} closed the connection without answering"),
            { Kind: TransportEndKind.Reset } => ("reset", $"{peer} reset the connection"),
            _ => ("socket-error", $"{peer}: {end.Describe()}"),
        };
        return new ProtocolFailure(CauseId.KdcUnreachable, what) { Detail = how };
    }
}
