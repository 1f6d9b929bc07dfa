using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Gateway;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.Gateway;

/// <summary>
/// The RD Gateway HTTP transport packets of MS-TSGU 2.2.10, byte for byte as the specification lays them out (and as
/// FreeRDP's rdg.c writes them), and the WebSocket framing of RFC 6455 with the examples of its section 5.7.
/// </summary>
public sealed class TsguVectorTests
{
    [Fact]
    public void Handshake_request_is_fourteen_bytes_version_1_0() =>
        CodecAssert.Vector(new TsguHandshakeRequest(TsguExtendedAuth.None), HexVectors.Hex("0100 0000 0e000000 01 00 0000 0000"));

    [Fact]
    public void Handshake_request_asking_for_paa() =>
        CodecAssert.Vector(new TsguHandshakeRequest(TsguExtendedAuth.Paa), HexVectors.Hex("0100 0000 0e000000 01 00 0000 0200"));

    [Fact]
    public void Handshake_response_with_s_ok() =>
        CodecAssert.Vector(new TsguHandshakeResponse(0, TsguExtendedAuth.None, 1, 0, 0), HexVectors.Hex("0200 0000 12000000 00000000 01 00 0000 0000"));

    [Fact]
    public void Tunnel_create_with_the_capabilities_freerdp_sends() =>
        CodecAssert.Vector(
            new TsguTunnelCreate(TsguCapabilities.QuarantineSoh | TsguCapabilities.ConsentMessage | TsguCapabilities.ServiceMessage),
            HexVectors.Hex("0400 0000 10000000 0d000000 0000 0000"));

    [Fact]
    public void Tunnel_create_with_a_paa_cookie_sets_field_0x1_and_counts_the_string() =>
        CodecAssert.Vector(
            new TsguTunnelCreate(TsguCapabilities.QuarantineSoh, TsguText.Encode("c")),
            HexVectors.Hex("0400 0000 16000000 01000000 0100 0000 0400 6300 0000"));

    [Fact]
    public void Tunnel_response_with_tunnel_id_and_capabilities() =>
        CodecAssert.Vector(
            new TsguTunnelResponse(0, TunnelId: 1, Capabilities: TsguCapabilities.QuarantineSoh | TsguCapabilities.ConsentMessage | TsguCapabilities.ServiceMessage),
            HexVectors.Hex("0500 0000 1a000000 0100 00000000 0300 0000 01000000 0d000000"));

    [Fact]
    public void Tunnel_auth_carries_the_client_name_as_counted_utf16() =>
        CodecAssert.Vector(new TsguTunnelAuth(TsguText.Encode("ab")), HexVectors.Hex("0600 0000 12000000 0000 0600 6100 6200 0000"));

    [Fact]
    public void Tunnel_auth_response_refused_by_the_resource_policy()
    {
        byte[] bytes = HexVectors.Hex("0700 0000 10000000 da590780 0000 0000");
        CodecAssert.Vector(new TsguTunnelAuthResponse(TsguStatus.RapAccessDenied), bytes);
        Assert.Equal("E_PROXY_RAP_ACCESSDENIED", TsguStatus.Name(Pdu.Decode<TsguTunnelAuthResponse>(bytes).Value!.ErrorCode));
    }

    [Fact]
    public void Tunnel_auth_response_with_redirection_flags_and_idle_timeout() =>
        CodecAssert.Vector(new TsguTunnelAuthResponse(0, 0x80000000, 30), HexVectors.Hex("0700 0000 18000000 00000000 0300 0000 00000080 1e000000"));

    [Fact]
    public void Channel_create_names_one_resource_its_port_and_protocol_3() =>
        CodecAssert.Vector(TsguChannelCreate.To("h", 3389), HexVectors.Hex("0800 0000 14000000 01 00 3d0d 0300 0400 6800 0000"));

    [Fact]
    public void Channel_response_with_a_channel_id() =>
        CodecAssert.Vector(new TsguChannelResponse(0, ChannelId: 7), HexVectors.Hex("0900 0000 14000000 00000000 0100 0000 07000000"));

    [Fact]
    public void Data_counts_its_bytes_after_the_header() =>
        CodecAssert.Vector(new TsguData(new ByteString("abc"u8)), HexVectors.Hex("0a00 0000 0d000000 0300 616263"));

    [Fact]
    public void Keepalive_is_the_header_alone() => CodecAssert.Vector(new TsguKeepAlive(), HexVectors.Hex("0d00 0000 08000000"));

    [Fact]
    public void Close_channel_and_its_response() 
    {
        CodecAssert.Vector(new TsguClose(0), HexVectors.Hex("1000 0000 0c000000 00000000"));
        CodecAssert.Vector(new TsguClose(0, Response: true), HexVectors.Hex("1100 0000 0c000000 00000000"));
    }

    [Fact]
    public void Service_message_is_a_counted_string() =>
        CodecAssert.Vector(new TsguServiceMessage(TsguText.Encode("hi")), HexVectors.Hex("0b00 0000 10000000 0600 6800 6900 0000"));

    [Fact]
    public void Header_frames_a_packet_by_its_length_and_bounds_it()
    {
        Assert.Equal(FrameSize.NeedMore(8), TsguPacketHeader.FindFrameSize(HexVectors.Hex("0a00 0000")));
        Assert.Equal(FrameSize.Complete(13), TsguPacketHeader.FindFrameSize(HexVectors.Hex("0a00 0000 0d000000 03")));
        FrameSize huge = TsguPacketHeader.FindFrameSize(HexVectors.Hex("0a00 0000 ffffff7f"));
        Assert.Equal(FrameSizeStatus.Invalid, huge.Status);
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, huge.Error!.Value.Kind);
        Assert.Equal(4, huge.Error.Value.Offset);
        FrameSize tiny = TsguPacketHeader.FindFrameSize(HexVectors.Hex("0a00 0000 04000000"));
        Assert.Equal(FrameSizeStatus.Invalid, tiny.Status);
        Assert.Equal("packetLength", tiny.Error!.Value.Field);
    }

    [Fact]
    public void Another_packet_type_is_rejected_with_both_names()
    {
        DecodeResult<TsguTunnelResponse> result = Pdu.Decode<TsguTunnelResponse>(HexVectors.Hex("0700 0000 10000000 da590780 0000 0000"));
        Assert.False(result.IsSuccess);
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, result.Error.Kind);
        Assert.Contains("expected PKT_TYPE_TUNNEL_RESPONSE, got PKT_TYPE_TUNNEL_AUTH_RESPONSE", result.Error.Reason, StringComparison.Ordinal);
        Assert.Equal(0, result.Error.Offset);
    }

    [Fact]
    public void A_string_longer_than_its_packet_is_rejected_at_its_length_field()
    {
        // Channel create whose resource name says 0x40 bytes where 4 remain.
        DecodeResult<TsguChannelCreate> result = Pdu.Decode<TsguChannelCreate>(HexVectors.Hex("0800 0000 14000000 01 00 3d0d 0300 4000 6800 0000"));
        Assert.False(result.IsSuccess);
        Assert.Equal("resourceName", result.Error.Field);
        Assert.Equal(14, result.Error.Offset);
    }

    [Fact]
    public void Unknown_fields_present_are_rejected_at_their_offset()
    {
        DecodeResult<TsguChannelResponse> result = Pdu.Decode<TsguChannelResponse>(HexVectors.Hex("0900 0000 10000000 00000000 0800 0000"));
        Assert.False(result.IsSuccess);
        Assert.Equal("fieldsPresent", result.Error.Field);
        Assert.Equal(12, result.Error.Offset);
    }

    [Fact]
    public void Bytes_inside_packet_length_that_no_field_uses_are_rejected()
    {
        DecodeResult<TsguKeepAlive> result = Pdu.Decode<TsguKeepAlive>(HexVectors.Hex("0d00 0000 0a000000 0000"));
        Assert.False(result.IsSuccess);
        Assert.Equal("packetLength", result.Error.Field);
        Assert.Equal(8, result.Error.Offset);
    }

    [Fact]
    public void Status_codes_have_their_ms_tsgu_names()
    {
        Assert.Equal("E_PROXY_NAP_ACCESSDENIED", TsguStatus.Name(0x800759DB));
        Assert.Equal("E_PROXY_TS_CONNECTFAILED", TsguStatus.Name(0x800759DD));
        Assert.Equal("E_PROXY_INTERNALERROR", TsguStatus.Name(0x800759D8));
        Assert.Equal("S_OK", TsguStatus.Name(0));
        Assert.Equal("0x80004005", TsguStatus.Name(0x80004005));
        Assert.True(TsguStatus.IsFailure(0x80004005));
        Assert.True(TsguStatus.IsFailure(0x000059E6));
        Assert.False(TsguStatus.IsFailure(0));
    }

    [Fact]
    public void Websocket_unmasked_and_masked_hello_of_rfc_6455_5_7()
    {
        byte[] unmasked = HexVectors.Hex("81 05 48656c6c6f");
        byte[] masked = HexVectors.Hex("81 85 37fa213d 7f9f4d5158");
        Assert.Equal(unmasked, new WebSocketFrame(WebSocketOpcode.Text, new ByteString("Hello"u8)).Encode());
        Assert.Equal(masked, new WebSocketFrame(WebSocketOpcode.Text, new ByteString("Hello"u8), MaskingKey: 0x37fa213d).Encode());
        DecodeResult<WebSocketFrame> decoded = WebSocketFrame.Decode(masked);
        Assert.True(decoded.IsSuccess);
        Assert.Equal("Hello"u8.ToArray(), decoded.Value.Payload.Span.ToArray());
        Assert.Equal(FrameSize.Complete(11), WebSocketFrame.FindFrameSize(masked));
    }

    [Fact]
    public void Websocket_256_byte_frame_uses_the_16_bit_length()
    {
        byte[] frame = new WebSocketFrame(WebSocketOpcode.Binary, new ByteString(new byte[256])).Encode();
        Assert.Equal(HexVectors.Hex("82 7e 0100"), frame[..4]);
        Assert.Equal(FrameSize.Complete(260), WebSocketFrame.FindFrameSize(frame));
    }

    [Fact]
    public void Websocket_accept_of_the_rfc_6455_example_key() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketFrame.AcceptFor("dGhlIHNhbXBsZSBub25jZQ=="));

    [Fact]
    public void Websocket_frames_over_the_bound_or_with_reserved_bits_are_invalid()
    {
        Assert.Equal(FrameSizeStatus.Invalid, WebSocketFrame.FindFrameSize(HexVectors.Hex("82 7f 0000000100000000")).Status);
        Assert.Equal("RSV", WebSocketFrame.FindFrameSize(HexVectors.Hex("c2 00")).Error!.Value.Field);
        Assert.Equal(FrameSizeStatus.Invalid, WebSocketFrame.FindFrameSize(HexVectors.Hex("89 7e 0100")).Status);
    }

    [Fact]
    public void Http_response_head_is_parsed_and_bounded()
    {
        byte[] head = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM\r\nWWW-Authenticate: Basic realm=\"gw\"\r\nContent-Length: 0\r\n\r\n"u8.ToArray();
        Assert.Equal(FrameSize.Complete(head.Length), HttpResponseHead.FindHeadLength([.. head, .. "xyz"u8.ToArray()]));
        DecodeResult<HttpResponseHead> parsed = HttpResponseHead.Parse(head);
        Assert.True(parsed.IsSuccess);
        Assert.Equal(401, parsed.Value.StatusCode);
        Assert.Equal(["NTLM", "Basic realm=\"gw\""], parsed.Value.AllHeaders("www-authenticate"));
        Assert.Equal(0, parsed.Value.ContentLength);
        Assert.False(HttpResponseHead.Parse("SSH-2.0-OpenSSH_9.2\r\n\r\n"u8).IsSuccess);
        Assert.Equal(FrameSizeStatus.Invalid, HttpResponseHead.FindHeadLength(new byte[HttpResponseHead.MaxHeadLength]).Status);
    }

    [Fact]
    public void Chunked_body_is_decoded_across_feeds_and_bounded()
    {
        var decoder = new ChunkedDecoder(maxChunk: 16);
        var data = new List<byte>();
        Assert.Null(decoder.Feed("3\r\nab"u8, data));
        Assert.Null(decoder.Feed("c\r\n0\r\n\r\n"u8, data));
        Assert.Equal("abc"u8.ToArray(), data.ToArray());
        Assert.True(decoder.Ended);
        Assert.Equal(ChunkedDecoder.Chunk("abc"u8), "3\r\nabc\r\n"u8.ToArray());
        DecodeError? tooBig = new ChunkedDecoder(maxChunk: 16).Feed("11\r\n"u8, []);
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, tooBig!.Value.Kind);
        Assert.NotNull(new ChunkedDecoder().Feed("zz\r\n"u8, []));
    }
}
