using System.IO.Pipelines;

namespace RdpHandshake.Transport;

/// <summary>
/// An in-memory transport over a pair of pipes, for running the engine against the test server without a
/// socket. A peer that completes its writer with a <see cref="System.Net.Sockets.SocketException"/> simulates
/// a reset; completing it without one simulates FIN.
/// </summary>
public sealed class PipeTransport(IDuplexPipe pipe, string remoteDescription = "in-memory") : IRdpTransport
{
    public PipeReader Input => pipe.Input;

    public PipeWriter Output => pipe.Output;

    public string RemoteDescription { get; } = remoteDescription;

    public string? LocalDescription => null;

    public TransportEnd DescribeEnd(Exception? readException) =>
        readException is null ? new TransportEnd(TransportEndKind.Closed) : TransportErrors.FromException(readException);

    public async ValueTask DisposeAsync()
    {
        await pipe.Output.CompleteAsync().ConfigureAwait(false);
        await pipe.Input.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Creates two connected ends: what one writes, the other reads.</summary>
    public static (IDuplexPipe Client, IDuplexPipe Server) CreatePair()
    {
        var options = new PipeOptions(
            pauseWriterThreshold: SocketTransport.ReceiveWindow,
            resumeWriterThreshold: SocketTransport.ReceiveWindow / 2,
            minimumSegmentSize: SocketTransport.ReceiveSegment);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        return (new DuplexPipe(toClient.Reader, toServer.Writer), new DuplexPipe(toServer.Reader, toClient.Writer));
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
