using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.TestServer;

public sealed partial class RdpTestServer
{
    /// <summary>How a frame read ended.</summary>
    private enum FrameEnd
    {
        Frame,
        Closed,
        Reset,
        Timeout,
        Invalid,
    }

    /// <summary>One frame, or why there is none.</summary>
    private readonly record struct FrameRead(byte[]? Frame, FrameEnd End, string? Detail = null)
    {
        public string Describe() => End switch
        {
            FrameEnd.Closed => "the client closed the connection",
            FrameEnd.Reset => $"the connection failed ({Detail})",
            FrameEnd.Timeout => "the client sent nothing (server read timeout)",
            FrameEnd.Invalid => $"the client sent bytes that frame as neither TPKT nor fast-path ({Detail})",
            _ => "a frame arrived",
        };
    }

    /// <summary>
    /// The RDP frames after the security layer is set: on the raw TCP stream for Standard RDP Security, inside TLS
    /// application data otherwise. Frames are TPKT packets or fast-path PDUs.
    /// </summary>
    private interface IFrameStream
    {
        /// <summary>Reads one whole frame, waiting at most <paramref name="timeout"/>.</summary>
        Task<FrameRead> ReadAsync(TimeSpan timeout, CancellationToken cancellationToken);

        /// <summary>Sends bytes as they are (a frame, part of one, or garbage).</summary>
        Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

        /// <summary>
        /// Sends a fatal TLS alert: inside the TLS session when there is one, otherwise as a plaintext alert record
        /// on the raw stream. Returns a description for the connection record.
        /// </summary>
        Task<string> SendFatalAlertAsync(short description, CancellationToken cancellationToken);
    }

    private static readonly RdpFrameHint AnyFrame = new("server", "an RDP frame");

    /// <summary>Sizes the frame at the start of <paramref name="buffered"/>.</summary>
    private static FrameSize SizeFrame(ReadOnlySpan<byte> buffered) =>
        AnyFrame.FindSize(buffered[..Math.Min(buffered.Length, AnyFrame.HeaderLength)]);

    /// <summary>Frames on the raw TCP stream (PROTOCOL_RDP).</summary>
    private sealed class RawFrameStream(IDuplexPipe pipe) : IFrameStream
    {
        public async Task<FrameRead> ReadAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            PipeReader input = pipe.Input;
            try
            {
                while (true)
                {
                    ReadResult read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                    ReadOnlySequence<byte> buffer = read.Buffer;
                    if (!buffer.IsEmpty)
                    {
                        byte[] head = buffer.Slice(0, Math.Min(buffer.Length, AnyFrame.HeaderLength)).ToArray();
                        FrameSize size = SizeFrame(head);
                        if (size.Status == FrameSizeStatus.Invalid)
                        {
                            input.AdvanceTo(buffer.End);
                            return new FrameRead(null, FrameEnd.Invalid, size.Error?.ToString());
                        }

                        if (size.Status == FrameSizeStatus.Complete && buffer.Length >= size.Length)
                        {
                            byte[] frame = buffer.Slice(0, size.Length).ToArray();
                            input.AdvanceTo(buffer.GetPosition(size.Length));
                            return new FrameRead(frame, FrameEnd.Frame);
                        }
                    }

                    if (read.IsCompleted)
                    {
                        input.AdvanceTo(buffer.End);
                        return new FrameRead(null, FrameEnd.Closed);
                    }

                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new FrameRead(null, FrameEnd.Timeout);
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                return new FrameRead(null, FrameEnd.Reset, ex.Message);
            }
        }

        public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
            await pipe.Output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);

        public async Task<string> SendFatalAlertAsync(short description, CancellationToken cancellationToken)
        {
            // Content type alert (21), TLS 1.2 record version, length 2, level fatal (2), the description.
            await pipe.Output.WriteAsync(new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, (byte)description }, cancellationToken).ConfigureAwait(false);
            return $"a plaintext TLS fatal alert record ({AlertDescription.GetText(description)}) on a connection without TLS";
        }
    }

    /// <summary>Frames inside TLS application data (PROTOCOL_SSL, HYBRID, HYBRID_EX).</summary>
    private sealed class TlsFrameStream(IDuplexPipe pipe, AlertingTlsServerProtocol tls, IEnumerable<byte> plaintext) : IFrameStream
    {
        private readonly List<byte> _plaintext = [.. plaintext];
        private bool _closed;

        public async Task<FrameRead> ReadAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            PipeReader input = pipe.Input;
            try
            {
                while (true)
                {
                    if (_plaintext.Count > 0)
                    {
                        FrameSize size = SizeFrame(_plaintext.Take(AnyFrame.HeaderLength).ToArray());
                        if (size.Status == FrameSizeStatus.Invalid)
                        {
                            return new FrameRead(null, FrameEnd.Invalid, size.Error?.ToString());
                        }

                        if (size.Status == FrameSizeStatus.Complete && _plaintext.Count >= size.Length)
                        {
                            byte[] frame = [.. _plaintext.Take(size.Length)];
                            _plaintext.RemoveRange(0, size.Length);
                            return new FrameRead(frame, FrameEnd.Frame);
                        }
                    }

                    if (_closed)
                    {
                        return new FrameRead(null, FrameEnd.Closed);
                    }

                    ReadResult read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                    byte[] chunk = read.Buffer.ToArray();
                    input.AdvanceTo(read.Buffer.End);
                    if (chunk.Length > 0)
                    {
                        tls.OfferInput(chunk);
                        byte[] answer = DrainTls(tls);
                        if (answer.Length > 0)
                        {
                            await pipe.Output.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
                        }

                        int available = tls.GetAvailableInputBytes();
                        if (available > 0)
                        {
                            byte[] data = new byte[available];
                            tls.ReadInput(data, 0, available);
                            _plaintext.AddRange(data);
                        }
                    }

                    _closed = read.IsCompleted || tls.IsClosed;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new FrameRead(null, FrameEnd.Timeout);
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                // TlsFatalAlertReceived and friends are IOExceptions too.
                return new FrameRead(null, FrameEnd.Reset, ex.Message);
            }
        }

        public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            byte[] plain = bytes.ToArray();
            tls.WriteApplicationData(plain, 0, plain.Length);
            await pipe.Output.WriteAsync(DrainTls(tls), cancellationToken).ConfigureAwait(false);
        }

        public async Task<string> SendFatalAlertAsync(short description, CancellationToken cancellationToken)
        {
            tls.SendFatalAlert(description);
            await pipe.Output.WriteAsync(DrainTls(tls), cancellationToken).ConfigureAwait(false);
            return $"a fatal TLS alert ({AlertDescription.GetText(description)}) inside the TLS session";
        }
    }

    /// <summary>A TLS server protocol that can raise a fatal alert on demand, after the handshake.</summary>
    private sealed class AlertingTlsServerProtocol : TlsServerProtocol
    {
        /// <summary>Sends a fatal alert record (encrypted under the session keys) and fails the connection.</summary>
        public void SendFatalAlert(short description) => RaiseAlertFatal(description, "test server fault", null);
    }
}
