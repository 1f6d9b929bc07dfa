using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Http;

namespace RdpHandshake.Protocol.Tests.Proxy;

/// <summary>
/// HTTP/1.1 message heads (RFC 9112 sections 2 to 5) as CONNECT uses them: the request rdphs writes, the proxy's
/// response head it reads, its framing under a size bound, and hostile inputs.
/// </summary>
[Properties(Arbitrary = [typeof(HttpHeadArbitraries)], MaxTest = 300)]
public sealed class HttpHeadTests
{
    private static byte[] Ascii(string text) => System.Text.Encoding.ASCII.GetBytes(text);

    [Fact]
    public void A_connect_request_is_method_authority_version_then_fields_then_an_empty_line()
    {
        var head = new HttpRequestHead("CONNECT", "rdp.example.com:3389", "HTTP/1.1",
            [new HttpHeader("Host", "rdp.example.com:3389"), new HttpHeader("Proxy-Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")]);
        Assert.Equal(Ascii("CONNECT rdp.example.com:3389 HTTP/1.1\r\nHost: rdp.example.com:3389\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"), Pdu.Encode(head));
    }

    [Fact]
    public void A_407_response_head_decodes_with_its_challenge()
    {
        byte[] bytes = Ascii("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n");
        DecodeResult<HttpResponseHead> decoded = Pdu.Decode<HttpResponseHead>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(("HTTP/1.1", 407, "Proxy Authentication Required"), (decoded.Value.Version, decoded.Value.StatusCode, decoded.Value.Reason));
        Assert.Equal("Basic realm=\"proxy\"", decoded.Value["proxy-authenticate"]);
        Assert.Equal(FrameSize.Complete(bytes.Length), HttpResponseHead.FindFrameSize(bytes));
    }

    [Fact]
    public void A_200_without_a_reason_phrase_decodes()
    {
        DecodeResult<HttpResponseHead> decoded = Pdu.Decode<HttpResponseHead>(Ascii("HTTP/1.0 200 \r\n\r\n"));
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(200, decoded.Value.StatusCode);
        Assert.Equal(string.Empty, decoded.Value.Reason);
    }

    [Fact]
    public void A_head_is_framed_at_its_empty_line_and_not_before()
    {
        byte[] bytes = Ascii("HTTP/1.1 200 Connection established\r\n\r\nRDP bytes after the head");
        Assert.Equal(FrameSize.Complete(39), HttpResponseHead.FindFrameSize(bytes));
        Assert.Equal(FrameSizeStatus.NeedMore, HttpResponseHead.FindFrameSize(bytes.AsSpan(0, 30)).Status);
    }

    [Fact]
    public void A_head_longer_than_the_bound_is_invalid_without_waiting_for_its_end()
    {
        byte[] bytes = Ascii("HTTP/1.1 200 OK\r\nX-Padding: " + new string('a', HttpHead.MaxLength));
        FrameSize size = HttpResponseHead.FindFrameSize(bytes.AsSpan(0, HttpHead.MaxLength));
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, size.Error!.Value.Kind);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n")]
    [InlineData("\u0005\u0000")]
    public void Bytes_that_cannot_begin_an_http_response_are_invalid_at_once(string start) =>
        Assert.Equal(FrameSizeStatus.Invalid, HttpResponseHead.FindFrameSize(System.Text.Encoding.Latin1.GetBytes(start)).Status);

    [Theory]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 abc OK\r\n\r\n")]
    [InlineData("HTTP/1 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad\u0001Name: x\r\n\r\n")]
    public void A_malformed_status_line_or_field_is_rejected_with_a_reason(string text)
    {
        DecodeResult<HttpResponseHead> decoded = Pdu.Decode<HttpResponseHead>(System.Text.Encoding.Latin1.GetBytes(text));
        Assert.False(decoded.IsSuccess);
        Assert.False(string.IsNullOrEmpty(decoded.Error.Reason));
    }

    [Property]
    public bool Response_heads_round_trip_and_are_framed_to_their_length(HttpResponseHead head)
    {
        byte[] bytes = Pdu.Encode(head);
        DecodeResult<HttpResponseHead> decoded = Pdu.Decode<HttpResponseHead>(bytes);
        return decoded.IsSuccess && decoded.Value.Equals(head) && head.Size == bytes.Length
            && HttpResponseHead.FindFrameSize(bytes) == FrameSize.Complete(bytes.Length);
    }

    [Property]
    public bool Any_bytes_are_framed_or_rejected_without_throwing(byte[] bytes)
    {
        FrameSize size = HttpResponseHead.FindFrameSize(bytes);
        DecodeResult<HttpResponseHead> decoded = Pdu.Decode<HttpResponseHead>(bytes);
        return (size.Status != FrameSizeStatus.Complete || size.Length <= HttpHead.MaxLength) && (decoded.IsSuccess || decoded.Error.Reason.Length > 0);
    }
}

public static class HttpHeadArbitraries
{
    private static Gen<string> Token(int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~".ToCharArray()), n)).Select(c => new string(c));

    private static Gen<string> Text(int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0x21, 0x7E).Select(c => (char)c), n)).Select(c => new string(c));

    public static Arbitrary<HttpResponseHead> ResponseHeads() =>
        (from version in Gen.Elements("HTTP/1.0", "HTTP/1.1")
         from status in Gen.Choose(100, 599)
         from reason in Gen.OneOf(Gen.Constant(string.Empty), from a in Text(1, 12) from b in Text(1, 12) select $"{a} {b}")
         from count in Gen.Choose(0, 6)
         from fields in Gen.ListOf(from name in Token(1, 16) from value in Text(1, 40) select new HttpHeader(name, value), count)
         select new HttpResponseHead(version, status, reason, fields.ToList())).ToArbitrary();
}
