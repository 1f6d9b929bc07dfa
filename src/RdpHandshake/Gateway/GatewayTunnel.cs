using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Gateway;
using RdpHandshake.Recording;
using RdpHandshake.Transport;

namespace RdpHandshake.Gateway;

/// <summary>How reading one gateway packet ended.</summary>
/// <param name="Packet">The packet, when one arrived whole.</param>
/// <param name="Ended">The read that ended the wait otherwise (timeout, FIN, RST, TLS failure).</param>
/// <param name="Invalid">Bytes that are not a packet, a WebSocket frame or a chunk: why.</param>
/// <param name="Partial">The bytes of the packet that did arrive.</param>
internal sealed record PacketRead(byte[]? Packet, FrameReadResult? Ended = null, DecodeError? Invalid = null, byte[]? Partial = null);

/// <summary>
/// MS-TSGU packets over the chosen transport: in WebSocket binary frames both ways on one connection (client frames
/// masked, RFC 6455 5.3), or in the chunked or plain body of RDG_OUT_DATA from the gateway and chunks of the
/// RDG_IN_DATA body to it. The decoded packet stream is bounded like every read.
/// </summary>
internal sealed class GatewayChannel(GatewayConnection outChannel, GatewayConnection? inChannel, bool webSocket, ChunkedDecoder? chunked, TimeProvider time, byte[]? initial = null)
    : IAsyncDisposable
{
    /// <summary>
    /// The most bytes the decoded packet stream holds: one packet short of complete, and all that one extraction moves
    /// from the connection's buffer (at most its bound).
    /// </summary>
    public const int PacketsBound = TsguPacketHeader.MaxPacketLength + GatewayConnection.MaxBuffered + Protocol.Tls.TlsRecordHeader.MaxRecordSize;

    private readonly List<byte> _packets = [.. initial ?? []];
    private bool _closed;

    /// <summary>The step the packets read now belong to (its held bytes are counted); null once the hop is done.</summary>
    public StepRecord? Step
    {
        get => outChannel.Step;
        set
        {
            outChannel.Step = value;
            outChannel.ElsewhereBound = PacketsBound;
        }
    }

    public bool WebSocket => webSocket;

    public GatewayConnection Out => outChannel;

    /// <summary>Reads one whole packet within <paramref name="timeout"/>.</summary>
    public async Task<PacketRead> ReadPacketAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        while (true)
        {
            FrameSize size = TsguPacketHeader.FindFrameSize(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_packets));
            if (size.Status == FrameSizeStatus.Invalid)
            {
                return new PacketRead(null, Invalid: size.Error, Partial: [.. _packets.Take(TsguPacketHeader.FixedPartSize)]);
            }

            if (size.Status == FrameSizeStatus.Complete && _packets.Count >= size.Length)
            {
                byte[] packet = [.. _packets.Take(size.Length)];
                _packets.RemoveRange(0, size.Length);
                return new PacketRead(packet);
            }

            int before = _packets.Count;
            DecodeError? invalid = Extract();
            outChannel.HeldElsewhere = _packets.Count;
            outChannel.Step?.NoteHeld(_packets.Count + outChannel.Buffer.Count, GatewayConnection.HeldBound + PacketsBound);
            if (invalid is not null)
            {
                return new PacketRead(null, Invalid: invalid, Partial: [.. _packets]);
            }

            if (_packets.Count > before)
            {
                continue;
            }

            if (_closed)
            {
                return new PacketRead(null, new FrameReadResult(FrameReadStatus.Ended, [.. _packets], End: new TransportEnd(TransportEndKind.Closed, null, "the gateway closed the WebSocket")), Partial: [.. _packets]);
            }

            TimeSpan left = timeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : timeout - time.GetElapsedTime(started);
            if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
            {
                return new PacketRead(null, new FrameReadResult(FrameReadStatus.Timeout, [.. _packets], size.Status == FrameSizeStatus.Complete ? size.Length : null), Partial: [.. _packets]);
            }

            if (await outChannel.FillAsync(left, cancellationToken).ConfigureAwait(false) is { } ended)
            {
                return new PacketRead(null, ended with { Bytes = [.. _packets] }, Partial: [.. _packets]);
            }
        }
    }

    /// <summary>Moves what the OUT connection decrypted into the packet stream: WebSocket payloads, or body bytes.</summary>
    private DecodeError? Extract()
    {
        List<byte> raw = outChannel.Buffer;
        if (!webSocket)
        {
            if (raw.Count == 0)
            {
                return null;
            }

            byte[] bytes = outChannel.Take(raw.Count);
            if (chunked is null)
            {
                _packets.AddRange(bytes);
                return null;
            }

            return chunked.Feed(bytes, _packets);
        }

        while (raw.Count > 0)
        {
            FrameSize size = WebSocketFrame.FindFrameSize(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(raw));
            if (size.Status == FrameSizeStatus.Invalid)
            {
                return size.Error;
            }

            if (size.Status == FrameSizeStatus.NeedMore || raw.Count < size.Length)
            {
                return null;
            }

            DecodeResult<WebSocketFrame> frame = WebSocketFrame.Decode(outChannel.Take(size.Length));
            if (!frame.IsSuccess)
            {
                return frame.Error;
            }

            switch (frame.Value.Opcode)
            {
                case WebSocketOpcode.Binary or WebSocketOpcode.Continuation:
                    _packets.AddRange(frame.Value.Payload.Span);
                    break;
                case WebSocketOpcode.Ping:
                    _ = outChannel.WriteAsync(Masked(WebSocketOpcode.Pong, frame.Value.Payload), CancellationToken.None);
                    break;
                case WebSocketOpcode.Close:
                    _closed = true;
                    return null;
                case WebSocketOpcode.Pong or WebSocketOpcode.Text:
                    break;
            }
        }

        return null;
    }

    /// <summary>Sends one packet: a masked binary frame, or a chunk of the RDG_IN_DATA body.</summary>
    public Task<TransportEnd?> SendPacketAsync(byte[] packet, CancellationToken cancellationToken) => webSocket
        ? outChannel.WriteAsync(Masked(WebSocketOpcode.Binary, new ByteString(packet)), cancellationToken)
        : inChannel!.WriteAsync(ChunkedDecoder.Chunk(packet), cancellationToken);

    private static byte[] Masked(WebSocketOpcode opcode, ByteString payload) =>
        new WebSocketFrame(opcode, payload, MaskingKey: BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4))).Encode();

    public async ValueTask DisposeAsync()
    {
        await outChannel.DisposeAsync().ConfigureAwait(false);
        if (inChannel is not null)
        {
            await inChannel.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>
/// The tunnel as the transport the RDP sequence runs over: the bytes written go out in PKT_TYPE_DATA packets, the
/// DATA packets that arrive are the bytes read. Keep-alives are answered; the gateway's PKT_TYPE_CLOSE_CHANNEL ends
/// the stream with its status; <see cref="CloseChannelAsync"/> ends it from this side.
/// </summary>
internal sealed class TunnelTransport : IRdpTransport
{
    /// <summary>Bytes written are sent in DATA packets of at most this many bytes.</summary>
    private const int DataChunk = 16 * 1024;

    private readonly GatewayChannel _channel;
    private readonly Pipe _received = new(new PipeOptions(pauseWriterThreshold: SocketTransport.ReceiveWindow, resumeWriterThreshold: SocketTransport.ReceiveWindow / 2, useSynchronizationContext: false));
    private readonly Pipe _sent = new(new PipeOptions(useSynchronizationContext: false));
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<uint> _closeResponse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;
    private readonly Task _writing;
    private TransportEnd? _end;

    public TunnelTransport(GatewayChannel channel, string remote, string? local)
    {
        _channel = channel;
        RemoteDescription = remote;
        LocalDescription = local;
        _reading = Task.Run(ReadLoopAsync);
        _writing = Task.Run(WriteLoopAsync);
    }

    public PipeReader Input => _received.Reader;

    public PipeWriter Output => _sent.Writer;

    public string RemoteDescription { get; }

    public string? LocalDescription { get; }

    /// <summary>The local end of the connection to the gateway (its OUT channel).</summary>
    public IPEndPoint? LocalEndPoint { get; init; }

    /// <summary>The gateway's end of that connection.</summary>
    public IPEndPoint? GatewayEndPoint { get; init; }

    /// <summary>The status of the gateway's PKT_TYPE_CLOSE_CHANNEL, once it sent one.</summary>
    public uint? ClosedByGateway { get; private set; }

    public TransportEnd DescribeEnd(Exception? readException) =>
        _end ?? (readException is null ? new TransportEnd(TransportEndKind.Closed) : TransportErrors.FromException(readException));

    private async Task ReadLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                PacketRead read = await _channel.ReadPacketAsync(Timeout.InfiniteTimeSpan, _stop.Token).ConfigureAwait(false);
                if (read.Packet is not { } packet)
                {
                    _end = read.Ended?.End ?? new TransportEnd(TransportEndKind.SocketError, null, read.Invalid is { } invalid ? $"the gateway sent bytes that are no tunnel packet: {invalid}" : "the tunnel ended");
                    break;
                }

                switch (TsguPacketHeader.PeekType(packet))
                {
                    case TsguPacketType.Data when Pdu.Decode<TsguData>(packet) is { IsSuccess: true } data:
                        await _received.Writer.WriteAsync(data.Value.Payload.Span.ToArray(), _stop.Token).ConfigureAwait(false);
                        break;
                    case TsguPacketType.KeepAlive:
                        await _channel.SendPacketAsync(Pdu.Encode(new TsguKeepAlive()), _stop.Token).ConfigureAwait(false);
                        break;
                    case TsguPacketType.CloseChannel when Pdu.Decode<TsguClose>(packet) is { IsSuccess: true } close:
                        ClosedByGateway = close.Value.StatusCode;
                        _end = new TransportEnd(TransportEndKind.Closed, null, $"the RD Gateway closed the channel to the target (PKT_TYPE_CLOSE_CHANNEL, {TsguStatus.Name(close.Value.StatusCode)})");
                        await _channel.SendPacketAsync(Pdu.Encode(new TsguClose(0, Response: true)), _stop.Token).ConfigureAwait(false);
                        _closeResponse.TrySetResult(close.Value.StatusCode);
                        return;
                    case TsguPacketType.CloseChannelResponse when Pdu.Decode<TsguClose>(packet) is { IsSuccess: true } answer:
                        _closeResponse.TrySetResult(answer.Value.StatusCode);
                        _end = new TransportEnd(TransportEndKind.Closed, null, "the channel was closed");
                        return;
                    case TsguPacketType.ServiceMessage or TsguPacketType.ReauthMessage:
                        break;
                    default:
                        _end = new TransportEnd(TransportEndKind.SocketError, null, $"the gateway sent a {TsguPacketTypeNames.Name(TsguPacketHeader.PeekType(packet) ?? 0)} inside the open channel");
                        return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            _end ??= new TransportEnd(TransportEndKind.Closed, null, "the tunnel was closed");
        }
        finally
        {
            _closeResponse.TrySetResult(uint.MaxValue);
            await _received.Writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                ReadResult result = await _sent.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    for (int at = 0; at < segment.Length; at += DataChunk)
                    {
                        ReadOnlyMemory<byte> part = segment.Slice(at, Math.Min(DataChunk, segment.Length - at));
                        if (await _channel.SendPacketAsync(Pdu.Encode(new TsguData(new ByteString(part.Span))), _stop.Token).ConfigureAwait(false) is { } end)
                        {
                            _end ??= end;
                            throw new IOException(end.Describe());
                        }
                    }
                }

                _sent.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            await _sent.Reader.CompleteAsync(ex is IOException ? ex : null).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends PKT_TYPE_CLOSE_CHANNEL and waits (at most <paramref name="timeout"/>) for the gateway's answer: its
    /// status, or null when none came (the channel was already closed, or the gateway did not answer).
    /// </summary>
    public async Task<(bool Sent, uint? Answer)> CloseChannelAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_closeResponse.Task.IsCompleted)
        {
            return (false, null);
        }

        if (await _channel.SendPacketAsync(Pdu.Encode(new TsguClose(0)), cancellationToken).ConfigureAwait(false) is not null)
        {
            return (false, null);
        }

        try
        {
            uint status = await _closeResponse.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return (true, status == uint.MaxValue ? null : status);
        }
        catch (TimeoutException)
        {
            return (true, null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sent.Writer.CompleteAsync().ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_reading, _writing).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // The loops end with the connections; nothing more to wait for.
        }

        _stop.Dispose();
    }
}
