using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Gateway;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Recording;
using RdpHandshake.Tls;
using RdpHandshake.Transport;

namespace RdpHandshake.Gateway;

/// <summary>
/// One TLS connection to the RD Gateway: records in and out through the engine's TLS client (the same one, and the
/// same certificate analysis, as the session host's TLS), decrypted bytes buffered with a bound. Reads and writes
/// may come from two tasks once the tunnel runs: the TLS session is used under one lock, and what is encrypted is
/// sent in the order it was encrypted.
/// </summary>
internal sealed class GatewayConnection(SocketTransport transport, ProbeTlsSession tls, TimeProvider time) : IAsyncDisposable
{
    /// <summary>The most decrypted bytes held unread: two of the largest WebSocket frames.</summary>
    public const int MaxBuffered = 2 * WebSocketFrame.MaxFrameLength;

    /// <summary>
    /// The most received bytes this connection holds at once: <see cref="MaxBuffered"/> decrypted bytes, the plaintext
    /// of one more TLS record (the bound is checked before a read), and what the socket's receive window buffers.
    /// </summary>
    public const int HeldBound = MaxBuffered + TlsRecordHeader.MaxRecordSize + (int)SocketTransport.ReceiveWindow;

    private readonly Lock _tlsGate = new();
    private readonly SemaphoreSlim _sending = new(1, 1);

    /// <summary>Decrypted bytes not yet consumed.</summary>
    public List<byte> Buffer { get; } = [];

    public ProbeTlsSession Tls => tls;

    public SocketTransport Transport => transport;

    /// <summary>The step the bytes read now belong to: every read counts what is held against it. Null between steps.</summary>
    public StepRecord? Step { get; set; }

    /// <summary>Received bytes held beyond this connection's buffer (the packet stream decoded from it), counted with it.</summary>
    public int HeldElsewhere { get; set; }

    /// <summary>The bound <see cref="HeldElsewhere"/> adds to <see cref="HeldBound"/>.</summary>
    public int ElsewhereBound { get; set; }

    /// <summary>
    /// The TLS handshake within <paramref name="timeout"/>: null when it completed, else the read that ended it (or a
    /// TLS failure as an ended read whose end names the alert).
    /// </summary>
    public async Task<FrameReadResult?> HandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        byte[] hello;
        lock (_tlsGate)
        {
            hello = tls.Start();
        }

        if (await SendRawAsync(hello, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return new FrameReadResult(FrameReadStatus.Ended, [], End: failed);
        }

        while (!tls.Session.IsConnected)
        {
            TimeSpan left = timeout - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return new FrameReadResult(FrameReadStatus.Timeout, []);
            }

            if (await FillAsync(left, cancellationToken).ConfigureAwait(false) is { } ended)
            {
                return ended;
            }
        }

        return null;
    }

    /// <summary>
    /// Reads one TLS record and adds what it decrypts to <see cref="Buffer"/>: null when it did, else the read that
    /// ended it (timeout, FIN, RST, a record that cannot be framed, a TLS alert, or the bound reached).
    /// </summary>
    public async Task<FrameReadResult?> FillAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Buffer.Count >= MaxBuffered)
        {
            return new FrameReadResult(FrameReadStatus.Invalid, [], Error: DecodeError.LengthLimit("gateway stream", "buffered", 0, MaxBuffered, Buffer.Count));
        }

        FrameReadResult read = await FrameReader.ReadFrameAsync(transport, new TlsRecordFrameHint("gateway", "a TLS record from the RD Gateway"), timeout, cancellationToken).ConfigureAwait(false);
        Step?.NoteHeld(Buffer.Count + HeldElsewhere + read.PeakBuffered, HeldBound + ElsewhereBound);
        if (read.Status != FrameReadStatus.Frame)
        {
            return read;
        }

        TlsReceiveResult received;
        byte[] plaintext;
        lock (_tlsGate)
        {
            received = tls.Receive(read.Bytes);
            plaintext = tls.ReadApplicationData();
        }

        if (received.Output.Length > 0)
        {
            await SendRawAsync(received.Output, cancellationToken).ConfigureAwait(false);
        }

        Buffer.AddRange(plaintext);
        Step?.NoteHeld(Buffer.Count + HeldElsewhere, HeldBound + ElsewhereBound);
        if (received.Failure is { } failure)
        {
            string detail = $"TLS {(failure.Kind == TlsFailureKind.AlertReceived ? "alert from the gateway" : "failure")}: {failure.Alert?.DisplayName ?? failure.Message}";
            return new FrameReadResult(FrameReadStatus.Ended, [], End: new TransportEnd(TransportEndKind.Closed, null, detail));
        }

        return null;
    }

    /// <summary>Encrypts and sends <paramref name="plaintext"/>; how the connection ended when it could not.</summary>
    public async Task<TransportEnd?> WriteAsync(byte[] plaintext, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] records;
            lock (_tlsGate)
            {
                records = tls.Encrypt(plaintext);
            }

            return await Wire.SendAsync(transport, records, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task<TransportEnd?> SendRawAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Wire.SendAsync(transport, bytes, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Takes the first <paramref name="count"/> buffered bytes.</summary>
    public byte[] Take(int count)
    {
        byte[] taken = [.. Buffer.Take(count)];
        Buffer.RemoveRange(0, count);
        return taken;
    }

    public async ValueTask DisposeAsync()
    {
        await transport.DisposeAsync().ConfigureAwait(false);
        _sending.Dispose();
    }
}
