using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Gateway;

namespace RdpHandshake.Fuzz;

/// <summary>
/// The RD Gateway's HTTP transport (MS-TSGU 2.2.10): every packet codec as a decode/encode fixed point, the packet and
/// WebSocket frame sizes within their bounds, and the HTTP head and chunked body readers, which take the gateway's
/// bytes before any packet does, never throw and never give out more than they were given.
/// </summary>
public static class TsguOracle
{
    public static void Run(byte[] input)
    {
        Oracles.Stable<TsguPacketHeader>(input.AsSpan(0, Math.Min(input.Length, TsguPacketHeader.FixedPartSize)));
        Oracles.Stable<TsguHandshakeRequest>(input);
        Oracles.Stable<TsguHandshakeResponse>(input);
        Oracles.Stable<TsguTunnelCreate>(input);
        Oracles.Stable<TsguTunnelResponse>(input);
        Oracles.Stable<TsguTunnelAuth>(input);
        Oracles.Stable<TsguTunnelAuthResponse>(input);
        Oracles.Stable<TsguChannelCreate>(input);
        Oracles.Stable<TsguChannelResponse>(input);
        Oracles.Stable<TsguData>(input);
        Oracles.Stable<TsguKeepAlive>(input);
        Oracles.Stable<TsguClose>(input);
        Oracles.Stable<TsguServiceMessage>(input);

        FrameSize packet = TsguPacketHeader.FindFrameSize(input);
        if (packet.Status == FrameSizeStatus.Complete && packet.Length > TsguPacketHeader.MaxPacketLength)
        {
            throw new InvalidOperationException($"a gateway packet of {packet.Length} bytes passed the size bound");
        }

        FrameSize frame = WebSocketFrame.FindFrameSize(input);
        if (frame.Status == FrameSizeStatus.Complete)
        {
            if (frame.Length > WebSocketFrame.MaxFrameLength)
            {
                throw new InvalidOperationException($"a WebSocket frame of {frame.Length} bytes passed the size bound");
            }

            if (input.Length >= frame.Length)
            {
                DecodeResult<WebSocketFrame> decoded = WebSocketFrame.Decode(input.AsSpan(0, frame.Length));
                if (!decoded.IsSuccess)
                {
                    throw new InvalidOperationException($"a frame FindFrameSize framed does not decode: {decoded.Error}");
                }

                byte[] again = decoded.Value.Encode();
                DecodeResult<WebSocketFrame> second = WebSocketFrame.Decode(again);
                if (!second.IsSuccess || second.Value.Payload != decoded.Value.Payload || second.Value.Opcode != decoded.Value.Opcode)
                {
                    throw new InvalidOperationException("a WebSocket frame does not survive encode and decode");
                }
            }
        }

        FrameSize head = HttpResponseHead.FindHeadLength(input);
        if (head.Status == FrameSizeStatus.Complete)
        {
            DecodeResult<HttpResponseHead> parsed = HttpResponseHead.Parse(input.AsSpan(0, head.Length));
            if (!parsed.IsSuccess && string.IsNullOrEmpty(parsed.Error.Reason))
            {
                throw new InvalidOperationException("an HTTP head was rejected without a reason");
            }
        }

        var body = new List<byte>();
        DecodeError? chunked = new ChunkedDecoder().Feed(input, body);
        if (body.Count > input.Length || (chunked is { } error && string.IsNullOrEmpty(error.Reason)))
        {
            throw new InvalidOperationException("the chunked reader gave out more than it was given, or rejected without a reason");
        }
    }
}
