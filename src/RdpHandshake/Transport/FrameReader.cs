using System.Buffers;
using System.IO.Pipelines;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Transport;

/// <summary>How waiting for one frame ended.</summary>
public enum FrameReadStatus
{
    /// <summary>A whole frame arrived.</summary>
    Frame,

    /// <summary>The first bytes cannot start the expected frame (wrong header, length over the bound).</summary>
    Invalid,

    /// <summary>The peer ended the stream before the frame was complete.</summary>
    Ended,

    /// <summary>The frame did not arrive completely before the deadline.</summary>
    Timeout,

    /// <summary>The caller cancelled (Ctrl-C).</summary>
    Cancelled,
}

/// <summary>The outcome of <see cref="FrameReader.ReadFrameAsync"/>.</summary>
/// <param name="Status">How the wait ended.</param>
/// <param name="Bytes">The frame, or the partial bytes buffered when the wait ended otherwise.</param>
/// <param name="ExpectedLength">The frame length once the header was seen, else null.</param>
/// <param name="Error">For <see cref="FrameReadStatus.Invalid"/>: why the header was rejected.</param>
/// <param name="End">For <see cref="FrameReadStatus.Ended"/>: FIN, RST or another socket error.</param>
public sealed record FrameReadResult(
    FrameReadStatus Status,
    byte[] Bytes,
    int? ExpectedLength = null,
    DecodeError? Error = null,
    TransportEnd? End = null)
{
    /// <summary>
    /// The most received bytes held at once while waiting: everything buffered by the transport and not yet
    /// consumed (this frame and whatever followed it), plus, inside TLS, the decrypted bytes not yet framed.
    /// </summary>
    public long PeakBuffered { get; init; }

    /// <summary>
    /// Inside TLS: the read ended in the TLS record layer (a record that cannot be framed, a TLS failure), not in
    /// the frame it carries.
    /// </summary>
    public bool RecordLayer { get; init; }
}

/// <summary>
/// Reads exactly one frame as sized by a <see cref="FrameHint"/>, with a deadline for the whole frame (so a
/// server dripping one byte a second cannot hold us past it) and never buffering more than the hint's bound.
/// </summary>
public static class FrameReader
{
    public static async ValueTask<FrameReadResult> ReadFrameAsync(
        IRdpTransport transport,
        FrameHint hint,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        PipeReader input = transport.Input;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        int? expected = null;
        // A copy of the bytes of the unfinished frame, kept for the evidence when the wait ends without it (after a
        // cancelled or failed read the pipe's buffer can no longer be looked at). Only new bytes are appended, so a
        // server sending one byte per segment costs linear, not quadratic, copying.
        var partial = new ArrayBufferWriter<byte>();
        long peak = 0;

        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new FrameReadResult(FrameReadStatus.Cancelled, partial.WrittenSpan.ToArray(), expected) { PeakBuffered = peak };
            }
            catch (OperationCanceledException)
            {
                return new FrameReadResult(FrameReadStatus.Timeout, partial.WrittenSpan.ToArray(), expected) { PeakBuffered = peak };
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return new FrameReadResult(FrameReadStatus.Ended, partial.WrittenSpan.ToArray(), expected, End: transport.DescribeEnd(ex)) { PeakBuffered = peak };
            }

            ReadOnlySequence<byte> buffer = read.Buffer;
            peak = Math.Max(peak, buffer.Length);
            FrameSize size = SizeFrame(hint, buffer);
            switch (size.Status)
            {
                case FrameSizeStatus.Invalid:
                    byte[] rejected = buffer.Slice(0, Math.Min(buffer.Length, hint.HeaderLength)).ToArray();
                    input.AdvanceTo(buffer.Start, buffer.End);
                    return new FrameReadResult(FrameReadStatus.Invalid, rejected, null, size.Error) { PeakBuffered = peak };
                case FrameSizeStatus.Complete when buffer.Length >= size.Length:
                    byte[] frame = buffer.Slice(0, size.Length).ToArray();
                    input.AdvanceTo(buffer.GetPosition(size.Length));
                    return new FrameReadResult(FrameReadStatus.Frame, frame, size.Length) { PeakBuffered = peak };
                case FrameSizeStatus.Complete:
                    expected = size.Length;
                    break;
            }

            // INVARIANT: at most MaxFrameLength bytes of this frame are buffered; a longer frame is Invalid above.
            if (buffer.Length > partial.WrittenCount)
            {
                ReadOnlySequence<byte> fresh = buffer.Slice(partial.WrittenCount);
                fresh.CopyTo(partial.GetSpan((int)fresh.Length));
                partial.Advance((int)fresh.Length);
            }

            if (read.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return new FrameReadResult(FrameReadStatus.Ended, partial.WrittenSpan.ToArray(), expected, End: transport.DescribeEnd(null)) { PeakBuffered = peak };
            }

            if (read.IsCanceled)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                return new FrameReadResult(FrameReadStatus.Cancelled, partial.WrittenSpan.ToArray(), expected) { PeakBuffered = peak };
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static FrameSize SizeFrame(FrameHint hint, ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return FrameSize.NeedMore(hint.HeaderLength);
        }

        int headerBytes = (int)Math.Min(buffer.Length, hint.HeaderLength);
        Span<byte> header = stackalloc byte[headerBytes];
        buffer.Slice(0, headerBytes).CopyTo(header);
        return hint.FindSize(header);
    }
}
