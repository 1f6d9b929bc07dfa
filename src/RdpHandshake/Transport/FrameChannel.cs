using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;

namespace RdpHandshake.Transport;

/// <summary>
/// Where the frames of a sequence come from and go to: the raw TCP stream, or the application data inside
/// TLS. Steps record the plaintext frames; the wire log sees the bytes actually on the wire.
/// </summary>
internal interface IFrameChannel
{
    /// <summary>Reads one whole frame as sized by <paramref name="hint"/>, within <paramref name="timeout"/> for all of it.</summary>
    ValueTask<FrameReadResult> ReadFrameAsync(FrameHint hint, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Puts one frame on the wire (encrypted under TLS); how the transport ended when it could not.</summary>
    ValueTask<TransportEnd?> SendAsync(byte[] frame, CancellationToken cancellationToken);

    /// <summary>Receives each chunk of wire bytes read (for the capture).</summary>
    Action<byte[]>? OnWireReceived { get; set; }

    /// <summary>Receives the bytes the channel itself sends (TLS answers), for the capture.</summary>
    Action<byte[]>? OnWireSent { get; set; }
}

/// <summary>Frames read straight from the TCP stream.</summary>
internal sealed class RawFrameChannel(IRdpTransport transport) : IFrameChannel
{
    public Action<byte[]>? OnWireReceived { get; set; }

    public Action<byte[]>? OnWireSent { get; set; }

    public async ValueTask<FrameReadResult> ReadFrameAsync(FrameHint hint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        FrameReadResult read = await FrameReader.ReadFrameAsync(transport, hint, timeout, cancellationToken).ConfigureAwait(false);
        OnWireReceived?.Invoke(read.Bytes);
        return read;
    }

    public ValueTask<TransportEnd?> SendAsync(byte[] frame, CancellationToken cancellationToken) => Wire.SendAsync(transport, frame, OnWireSent, cancellationToken);
}

/// <summary>Writing to a transport, with a failed write described as the end of the transport.</summary>
internal static class Wire
{
    public static async ValueTask<TransportEnd?> SendAsync(IRdpTransport transport, byte[] bytes, Action<byte[]>? sent, CancellationToken cancellationToken)
    {
        try
        {
            await transport.Output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            return TransportErrors.FromException(ex);
        }

        sent?.Invoke(bytes);
        return null;
    }
}

/// <summary>
/// Frames carried as TLS application data: TLS records are read and decrypted until the plaintext holds one
/// whole frame. The plaintext buffered never exceeds the hint's bound plus one record.
/// </summary>
internal sealed class TlsFrameChannel(IRdpTransport transport, ITlsRecordLayer session, TimeProvider time) : IFrameChannel
{
    private readonly List<byte> _plaintext = [];

    public Action<byte[]>? OnWireReceived { get; set; }

    public Action<byte[]>? OnWireSent { get; set; }

    /// <summary>The TLS failure (an alert) that ended the last read, if any.</summary>
    public TlsFailure? LastFailure { get; private set; }

    public ValueTask<TransportEnd?> SendAsync(byte[] frame, CancellationToken cancellationToken) => Wire.SendAsync(transport, session.Encrypt(frame), OnWireSent, cancellationToken);

    public async ValueTask<FrameReadResult> ReadFrameAsync(FrameHint hint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        int? expected = null;
        long peak = _plaintext.Count;
        while (true)
        {
            if (_plaintext.Count > 0)
            {
                byte[] header = [.. _plaintext.Take(hint.HeaderLength)];
                Protocol.Encoding.FrameSize size = hint.FindSize(header);
                switch (size.Status)
                {
                    case Protocol.Encoding.FrameSizeStatus.Invalid:
                        return new FrameReadResult(FrameReadStatus.Invalid, header, null, size.Error) { PeakBuffered = peak };
                    case Protocol.Encoding.FrameSizeStatus.Complete when _plaintext.Count >= size.Length:
                        byte[] frame = [.. _plaintext.Take(size.Length)];
                        _plaintext.RemoveRange(0, size.Length);
                        return new FrameReadResult(FrameReadStatus.Frame, frame, size.Length) { PeakBuffered = peak };
                    case Protocol.Encoding.FrameSizeStatus.Complete:
                        expected = size.Length;
                        break;
                }
            }

            TimeSpan left = timeout - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return new FrameReadResult(FrameReadStatus.Timeout, [.. _plaintext], expected) { PeakBuffered = peak };
            }

            FrameReadResult record = await FrameReader.ReadFrameAsync(transport, new TlsRecordFrameHint(hint.StepName, hint.Expecting), left, cancellationToken).ConfigureAwait(false);
            OnWireReceived?.Invoke(record.Bytes);
            peak = Math.Max(peak, _plaintext.Count + record.PeakBuffered);
            if (record.Status != FrameReadStatus.Frame)
            {
                // An invalid frame here is a TLS record that cannot be framed, not the PDU inside it.
                return record with { Bytes = record.Status == FrameReadStatus.Invalid ? record.Bytes : [.. _plaintext], ExpectedLength = expected, PeakBuffered = peak, RecordLayer = true };
            }

            (byte[] answer, TlsFailure? failure) = session.Receive(record.Bytes);
            if (answer.Length > 0)
            {
                await transport.Output.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
                OnWireSent?.Invoke(answer);
            }

            if (failure is not null)
            {
                LastFailure = failure;
                string detail = $"TLS {(failure.Kind == TlsFailureKind.AlertReceived ? "alert from the server" : "failure")}: {failure.Alert?.DisplayName ?? failure.Message}";
                return new FrameReadResult(FrameReadStatus.Ended, [.. _plaintext], expected, End: new TransportEnd(TransportEndKind.Closed, null, detail)) { PeakBuffered = peak };
            }

            _plaintext.AddRange(session.ReadApplicationData());
            peak = Math.Max(peak, _plaintext.Count);
        }
    }
}
