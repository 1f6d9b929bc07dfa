using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Gateway;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.Gateway;

/// <summary>Generators of MS-TSGU HTTP transport packets with every optional field present or absent.</summary>
public static class TsguArbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ushort> UInt16 => Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    private static Gen<ByteString> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Byte, n)).Select(b => new ByteString(b));

    private static Gen<T?> Maybe<T>(Gen<T> gen) where T : struct =>
        ArbMap.Default.GeneratorFor<bool>().SelectMany(present => present ? gen.Select(v => (T?)v) : Gen.Constant((T?)null));

    public static Arbitrary<TsguHandshakeRequest> HandshakeRequests() =>
        (from auth in UInt16 from major in Byte from minor in Byte from client in UInt16
         select new TsguHandshakeRequest((TsguExtendedAuth)auth, major, minor, client)).ToArbitrary();

    public static Arbitrary<TsguHandshakeResponse> HandshakeResponses() =>
        (from code in UInt32 from auth in UInt16 from major in Byte from minor in Byte from server in UInt16
         select new TsguHandshakeResponse(code, (TsguExtendedAuth)auth, major, minor, server)).ToArbitrary();

    public static Arbitrary<TsguTunnelCreate> TunnelCreates() =>
        (from caps in UInt32 from cookie in Maybe(Bytes(64)) select new TsguTunnelCreate((TsguCapabilities)caps, cookie)).ToArbitrary();

    public static Arbitrary<TsguTunnelResponse> TunnelResponses() =>
        (from status in UInt32
         from id in Maybe(UInt32)
         from caps in Maybe(UInt32)
         from soh in ArbMap.Default.GeneratorFor<bool>()
         from nonce in Gen.ArrayOf(Byte, TsguTunnelResponse.NonceLength)
         from cert in Bytes(40)
         from consent in Maybe(Bytes(40))
         from version in UInt16
         select new TsguTunnelResponse(status, id, (TsguCapabilities?)caps, soh ? new ByteString(nonce) : null, soh ? cert : null, consent, version)).ToArbitrary();

    public static Arbitrary<TsguTunnelAuth> TunnelAuths() =>
        (from name in Bytes(40) from soh in Maybe(Bytes(40)) select new TsguTunnelAuth(name, soh)).ToArbitrary();

    public static Arbitrary<TsguTunnelAuthResponse> TunnelAuthResponses() =>
        (from code in UInt32 from redir in Maybe(UInt32) from idle in Maybe(UInt32) from soh in Maybe(Bytes(40))
         select new TsguTunnelAuthResponse(code, redir, idle, soh)).ToArbitrary();

    public static Arbitrary<TsguChannelCreate> ChannelCreates() =>
        (from count in Gen.Choose(1, 4)
         from names in Gen.ArrayOf(Bytes(30), count)
         from alternatives in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Bytes(30), n))
         from port in UInt16
         from protocol in UInt16
         select new TsguChannelCreate(new ValueList<ByteString>(names), new ValueList<ByteString>(alternatives), port, protocol)).ToArbitrary();

    public static Arbitrary<TsguChannelResponse> ChannelResponses() =>
        (from code in UInt32 from id in Maybe(UInt32) from udp in Maybe(UInt16) from cookie in Maybe(Bytes(30))
         select new TsguChannelResponse(code, id, udp, cookie)).ToArbitrary();

    public static Arbitrary<TsguData> Datas() => Bytes(2000).Select(b => new TsguData(b)).ToArbitrary();

    public static Arbitrary<TsguClose> Closes() =>
        (from status in UInt32 from response in ArbMap.Default.GeneratorFor<bool>() select new TsguClose(status, response)).ToArbitrary();

    public static Arbitrary<WebSocketFrame> Frames() =>
        (from opcode in Gen.Elements(WebSocketOpcode.Binary, WebSocketOpcode.Text, WebSocketOpcode.Continuation)
         from payload in Gen.Choose(0, 3).SelectMany(kind => Bytes(kind switch { 0 => 125, 1 => 300, _ => TsguPacketHeader.MaxPacketLength }))
         from fin in ArbMap.Default.GeneratorFor<bool>()
         from key in Maybe(UInt32)
         select new WebSocketFrame(opcode, payload, fin, key)).ToArbitrary();
}

/// <summary>
/// The MS-TSGU packet codecs round-trip, reject every strict prefix with a reason, and never throw on any bytes; the
/// WebSocket framing round-trips masked and unmasked frames of every length class.
/// </summary>
[Properties(Arbitrary = [typeof(TsguArbitraries)], MaxTest = 200)]
public sealed class TsguPropertyTests
{
    [Property]
    public bool Handshake_request_round_trips(TsguHandshakeRequest pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Handshake_response_round_trips(TsguHandshakeResponse pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Tunnel_create_round_trips(TsguTunnelCreate pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Tunnel_response_round_trips(TsguTunnelResponse pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Tunnel_auth_round_trips(TsguTunnelAuth pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Tunnel_auth_response_round_trips(TsguTunnelAuthResponse pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Channel_create_round_trips(TsguChannelCreate pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Channel_response_round_trips(TsguChannelResponse pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Data_round_trips(TsguData pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Close_round_trips(TsguClose pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Packets_frame_at_their_length(TsguData pdu)
    {
        byte[] bytes = Pdu.Encode(pdu);
        return TsguPacketHeader.FindFrameSize(bytes) == FrameSize.Complete(bytes.Length);
    }

    [Property]
    public bool No_bytes_make_a_decoder_throw(byte[] bytes)
    {
        _ = Pdu.Decode<TsguHandshakeResponse>(bytes);
        _ = Pdu.Decode<TsguTunnelResponse>(bytes);
        _ = Pdu.Decode<TsguTunnelAuthResponse>(bytes);
        _ = Pdu.Decode<TsguChannelResponse>(bytes);
        _ = Pdu.Decode<TsguChannelCreate>(bytes);
        _ = Pdu.Decode<TsguTunnelCreate>(bytes);
        _ = Pdu.Decode<TsguTunnelAuth>(bytes);
        _ = Pdu.Decode<TsguData>(bytes);
        _ = Pdu.Decode<TsguClose>(bytes);
        _ = Pdu.Decode<TsguServiceMessage>(bytes);
        _ = TsguPacketHeader.FindFrameSize(bytes);
        _ = WebSocketFrame.FindFrameSize(bytes);
        _ = WebSocketFrame.Decode(bytes);
        _ = HttpResponseHead.Parse(bytes);
        _ = new ChunkedDecoder().Feed(bytes, []);
        return true;
    }

    [Property]
    public bool Websocket_frames_round_trip(WebSocketFrame frame)
    {
        byte[] bytes = frame.Encode();
        DecodeResult<WebSocketFrame> decoded = WebSocketFrame.Decode(bytes);
        return decoded.IsSuccess && decoded.Value.Payload == frame.Payload && decoded.Value.Opcode == frame.Opcode
            && decoded.Value.Fin == frame.Fin && decoded.Value.MaskingKey == frame.MaskingKey
            && WebSocketFrame.FindFrameSize(bytes) == FrameSize.Complete(bytes.Length);
    }

    [Property]
    public bool Chunked_encoding_round_trips(byte[][] chunks)
    {
        var decoder = new ChunkedDecoder();
        var data = new List<byte>();
        byte[] wire = [.. chunks.Where(c => c.Length > 0).SelectMany(c => ChunkedDecoder.Chunk(c)), .. "0\r\n\r\n"u8.ToArray()];
        // Fed one byte at a time: a chunk boundary anywhere in a read must not matter.
        foreach (byte b in wire)
        {
            if (decoder.Feed([b], data) is not null)
            {
                return false;
            }
        }

        return decoder.Ended && data.SequenceEqual(chunks.SelectMany(c => c));
    }
}
