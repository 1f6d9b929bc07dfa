using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Pipelines.Sockets.Unofficial;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Transport;

/// <summary>A TCP connection wrapped as pipes by Pipelines.Sockets.Unofficial.</summary>
public sealed class SocketTransport : IRdpTransport
{
    /// <summary>
    /// Buffered receive bytes are bounded: the socket reader pauses once this many received bytes wait to be
    /// consumed, so a server that floods us costs at most this window (plus one <see cref="ReceiveSegment"/>).
    /// It is the largest frame any step accepts (a TPKT packet of 65535 bytes) plus one: a whole frame always
    /// fits, and a frame is never waited for while the reader is paused.
    /// </summary>
    internal const long ReceiveWindow = TpktHeader.MaxPacketLength + 1;

    /// <summary>The size of one receive buffer; the window is checked after each receive, so it may be exceeded by this.</summary>
    internal const int ReceiveSegment = 4096;

    private readonly SocketConnection _connection;

    private SocketTransport(SocketConnection connection, EndPoint remote, EndPoint? local)
    {
        _connection = connection;
        RemoteEndPoint = remote as IPEndPoint;
        LocalEndPoint = local as IPEndPoint;
        RemoteDescription = remote.ToString() ?? "unknown";
        LocalDescription = local?.ToString();
    }

    public PipeReader Input => _connection.Input;

    public PipeWriter Output => _connection.Output;

    public string RemoteDescription { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    public IPEndPoint? LocalEndPoint { get; }

    public string? LocalDescription { get; }

    /// <summary>Wraps a socket that is already connected to <paramref name="remote"/>.</summary>
    public static SocketTransport Create(Socket connected, EndPoint remote)
    {
        try
        {
            connected.NoDelay = true;
        }
        catch (SocketException)
        {
            // The peer already reset the connection; the first read will report it in the step it belongs to.
        }

        var pipeOptions = new PipeOptions(
            pauseWriterThreshold: ReceiveWindow,
            resumeWriterThreshold: ReceiveWindow / 2,
            minimumSegmentSize: ReceiveSegment,
            useSynchronizationContext: false);
        SocketConnection connection = SocketConnection.Create(connected, pipeOptions, SocketConnectionOptions.None, "rdphs");
        // The peer may already have reset the connection; the addresses are evidence, not a reason to fail here.
        EndPoint? local;
        try
        {
            local = connected.LocalEndPoint;
        }
        catch (SocketException)
        {
            local = null;
        }

        return new SocketTransport(connection, remote, local);
    }

    public TransportEnd DescribeEnd(Exception? readException)
    {
        if (readException is not null)
        {
            TransportEnd fromException = TransportErrors.FromException(readException);
            if (fromException.SocketError is not null)
            {
                return fromException;
            }
        }

        // The receive loop records why it stopped; a clean FIN is ReadEndOfStream, a reset is a socket error.
        SocketError error = _connection.SocketError;
        if (error is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return new TransportEnd(TransportEndKind.Reset, error);
        }

        if (error != SocketError.Success)
        {
            return new TransportEnd(TransportEndKind.SocketError, error, _connection.ShutdownKind.ToString());
        }

        return _connection.ShutdownKind switch
        {
            PipeShutdownKind.ReadEndOfStream or PipeShutdownKind.None => new TransportEnd(TransportEndKind.Closed),
            PipeShutdownKind.ReadSocketError or PipeShutdownKind.InputReaderCompleted when readException is not null
                => TransportErrors.FromException(readException),
            var kind => new TransportEnd(TransportEndKind.Closed, null, kind.ToString()),
        };
    }

    /// <summary>
    /// Closes the connection once what was written last (our TLS Finished, the Disconnect Provider Ultimatum) has left
    /// for the socket: the send loop runs on its own, and disposing at once would drop it. A peer that stopped reading
    /// gets at most <see cref="DrainTimeout"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        long deadline = Environment.TickCount64 + (long)DrainTimeout.TotalMilliseconds;
        while (_connection.GetCounters().BytesWaitingToBeSent > 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }

        _connection.Dispose();
    }

    /// <summary>How long closing waits for unsent bytes to leave.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMilliseconds(500);
}
