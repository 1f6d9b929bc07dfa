using System.IO.Pipelines;
using System.Net.Sockets;

namespace RdpHandshake.Transport;

/// <summary>How the peer ended the byte stream, as far as the transport can tell.</summary>
public enum TransportEndKind
{
    /// <summary>An orderly close: the peer sent FIN (TCP end of stream).</summary>
    Closed,

    /// <summary>The peer reset the connection (TCP RST).</summary>
    Reset,

    /// <summary>Another socket error ended the stream.</summary>
    SocketError,
}

/// <summary>The end of the received stream with the socket-level evidence.</summary>
public sealed record TransportEnd(TransportEndKind Kind, SocketError? SocketError = null, string? Detail = null)
{
    /// <summary>The report name of the kind: <c>closed</c>, <c>reset</c> or <c>socket-error</c>.</summary>
    public string KindName => Kind switch
    {
        TransportEndKind.Closed => "closed",
        TransportEndKind.Reset => "reset",
        _ => "socket-error",
    };

    public string Describe() => Kind switch
    {
        TransportEndKind.Closed when Detail is not null => $"the server ended the connection ({Detail})",
        TransportEndKind.Closed => "the server closed the connection (FIN)",
        TransportEndKind.Reset => "the server reset the connection (RST)",
        _ => $"socket error {SocketError}{(Detail is null ? string.Empty : $": {Detail}")}",
    };
}

/// <summary>
/// A connected byte stream to the server. Only the engine reads and writes it; the protocol core never sees it.
/// </summary>
public interface IRdpTransport : IAsyncDisposable
{
    PipeReader Input { get; }

    PipeWriter Output { get; }

    /// <summary>The peer's address for reports, e.g. <c>127.0.0.1:3389</c>, or a name for in-memory transports.</summary>
    string RemoteDescription { get; }

    /// <summary>The local end for reports, when there is one.</summary>
    string? LocalDescription { get; }

    /// <summary>
    /// Classifies why reading ended: from the exception a read threw, or (when <paramref name="readException"/>
    /// is null) from a completed read.
    /// </summary>
    TransportEnd DescribeEnd(Exception? readException);
}

/// <summary>Maps exceptions from reads to the end of stream they mean, in one place.</summary>
public static class TransportErrors
{
    public static TransportEnd FromException(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.ConnectionAborted
                        => new TransportEnd(TransportEndKind.Reset, socket.SocketErrorCode),
                    _ => new TransportEnd(TransportEndKind.SocketError, socket.SocketErrorCode, socket.Message),
                };
            }
        }

        return new TransportEnd(TransportEndKind.SocketError, null, exception.Message);
    }
}
