using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.X224;

/// <summary>
/// The TPKT header (T.123 8) and the X.224 PDUs of MS-RDPBCGR 2.2.1.1 and 2.2.1.2: malformed input is rejected
/// with the right kind, field and reason, never an exception.
/// </summary>
public sealed class X224DecodeErrorTests
{
    private static DecodeError Reject<T>(byte[] bytes) where T : IPdu<T>
    {
        DecodeResult<T> result = Pdu.Decode<T>(bytes);
        Assert.False(result.IsSuccess, $"expected a decode error, got {result}");
        Assert.False(string.IsNullOrWhiteSpace(result.Error.Reason));
        return result.Error;
    }

    [Fact]
    public void Wrong_tpkt_version_is_an_unsupported_version()
    {
        DecodeError error = Reject<X224ConnectionConfirm>(Hex("02 00 00 13 0e d0 00 00 12 34 00 02 00 08 00 01 00 00 00"));
        Assert.Equal(DecodeErrorKind.UnsupportedVersion, error.Kind);
        Assert.Equal("version", error.Field);
        Assert.Equal("decode X.224 Connection Confirm: TPKT header: invalid version: expected 3, got 0x02 (at offset 0)", error.ToString());
    }

    [Fact]
    public void Tpkt_length_longer_than_the_bytes_is_not_enough_bytes()
    {
        DecodeError error = Reject<X224ConnectionConfirm>(Hex("03 00 00 14 0e d0 00 00 12 34 00 02 00 08 00 01 00 00 00"));
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, error.Kind);
        Assert.Equal(20, error.Expected);
        Assert.Equal(19, error.Received);
    }

    [Fact]
    public void Length_indicator_that_disagrees_with_tpkt_is_rejected()
    {
        DecodeError error = Reject<X224ConnectionConfirm>(Hex("03 00 00 13 0d d0 00 00 12 34 00 02 00 08 00 01 00 00 00"));
        Assert.Equal(DecodeErrorKind.InvalidField, error.Kind);
        Assert.Equal("LI", error.Field);
        Assert.Equal(4, error.Offset);
    }

    [Fact]
    public void Negotiation_data_with_a_wrong_length_field_is_rejected()
    {
        DecodeError error = Reject<X224ConnectionConfirm>(Hex("03 00 00 13 0e d0 00 00 12 34 00 02 00 09 00 01 00 00 00"));
        Assert.Equal(DecodeErrorKind.InvalidField, error.Kind);
        Assert.Equal("length", error.Field);
        Assert.Equal(13, error.Offset);
        Assert.Contains("RDP_NEG_RSP", error.Context, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_negotiation_type_is_an_unexpected_message()
    {
        DecodeError error = Reject<X224ConnectionConfirm>(Hex("03 00 00 13 0e d0 00 00 12 34 00 07 00 08 00 01 00 00 00"));
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, error.Kind);
        Assert.Equal("rdpNegData.type", error.Field);
    }

    [Fact]
    public void Truncated_negotiation_data_inside_a_consistent_tpkt_is_not_enough_bytes()
    {
        DecodeError error = Reject<X224ConnectionConfirm>(Hex("03 00 00 0f 0a d0 00 00 12 34 00 02 00 08 00"));
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, error.Kind);
    }

    [Fact]
    public void Trailing_bytes_after_negotiation_data_are_rejected()
    {
        DecodeError error = Reject<X224ConnectionConfirm>(Hex("03 00 00 14 0f d0 00 00 12 34 00 02 00 08 00 01 00 00 00 ff"));
        Assert.Equal(DecodeErrorKind.TrailingBytes, error.Kind);
        Assert.Equal(19, error.Offset);
    }

    [Fact]
    public void A_connection_request_where_a_confirm_is_expected_is_an_unexpected_message()
    {
        DecodeError error = Reject<X224ConnectionConfirm>(Load("x224-connection-request-4.1.1.hex"));
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, error.Kind);
        Assert.Equal("code", error.Field);
        Assert.Contains("got X.224 Connection Request (0xe0)", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Cookie_without_crlf_is_rejected()
    {
        byte[] bytes = [.. Hex("03 00 00 22 1d e0 00 00 00 00 00"), .. "Cookie: mstshash=eltons"u8];
        DecodeError error = Reject<X224ConnectionRequest>(bytes);
        Assert.Equal("cookie", error.Field);
        Assert.Equal("not terminated by CR LF", error.Reason);
    }

    [Fact]
    public void Correlation_flag_without_correlation_info_is_not_enough_bytes()
    {
        DecodeError error = Reject<X224ConnectionRequest>(Hex("03 00 00 13 0e e0 00 00 00 00 00 01 08 08 00 01 00 00 00"));
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, error.Kind);
        Assert.Contains("RDP_NEG_CORRELATION_INFO", error.Context, StringComparison.Ordinal);
    }

    [Fact]
    public void Tpkt_shorter_than_its_minimum_is_rejected_by_the_frame_hint()
    {
        FrameSize size = TpktHeader.FindFrameSize(Hex("03 00 00 06"));
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        Assert.Equal("length", size.Error!.Value.Field);
    }

    [Fact]
    public void Tpkt_longer_than_the_bound_is_a_length_limit()
    {
        FrameSize size = TpktHeader.FindFrameSize(Hex("03 00 ff ff"), X224Framing.MaxConnectionPduSize);
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, size.Error!.Value.Kind);
        Assert.Equal(259, size.Error.Value.Expected);
        Assert.Equal(65535, size.Error.Value.Received);
    }

    [Fact]
    public void Frame_hint_needs_four_bytes_then_knows_the_length()
    {
        Assert.Equal(FrameSize.NeedMore(4), TpktHeader.FindFrameSize(Hex("03 00 00")));
        Assert.Equal(FrameSize.Complete(19), TpktHeader.FindFrameSize(Hex("03 00 00 13")));
    }

    [Fact]
    public void Encoding_a_cookie_too_long_for_the_length_indicator_throws_for_the_caller_to_fix()
    {
        var request = new X224ConnectionRequest(Cookie: new string('a', 300));
        Assert.Throws<ArgumentException>(() => Pdu.Encode(request));
    }
}
