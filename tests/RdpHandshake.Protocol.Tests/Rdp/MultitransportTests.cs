using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp;

/// <summary>Initiate Multitransport Request/Response (MS-RDPBCGR 2.2.15) and auto-detect RTT messages (2.2.14).</summary>
public sealed class MultitransportTests
{
    private static void AssertCodec<T>(T expected, byte[] bytes) where T : IPdu<T>
    {
        DecodeResult<T> decoded = Pdu.Decode<T>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(expected, decoded.Value);
        Assert.Equal(bytes, Pdu.Encode(expected));
        Assert.Equal(bytes.Length, expected.Size);
        for (int length = 0; length < bytes.Length && expected is not AutoDetectRequest; length++)
        {
            Assert.False(Pdu.Decode<T>(bytes.AsSpan(0, length)).IsSuccess);
        }
    }

    [Fact]
    public void Initiate_multitransport_request()
    {
        byte[] cookie = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        AssertCodec(
            new InitiateMultitransportRequest(0x11223344, MultitransportProtocol.UdpFecReliable, new ByteString(cookie)),
            [.. Hex("44 33 22 11 01 00 00 00"), .. cookie]);
    }

    [Fact]
    public void Initiate_multitransport_response_abort_and_ok()
    {
        var abort = new InitiateMultitransportResponse(0x11223344, InitiateMultitransportResponse.EAbort);
        AssertCodec(abort, Hex("44 33 22 11 04 40 00 80"));
        Assert.Equal("E_ABORT", abort.HrResponseName);
        AssertCodec(new InitiateMultitransportResponse(7, InitiateMultitransportResponse.SOk), Hex("07 00 00 00 00 00 00 00"));
        Assert.Equal("S_OK", new InitiateMultitransportResponse(7, 0).HrResponseName);
    }

    [Fact]
    public void Rtt_measure_request_and_response()
    {
        AutoDetectRequest request = AutoDetectRequest.RttMeasure(0x0102);
        AssertCodec(request, Hex("06 00 02 01 01 10"));
        Assert.True(request.IsRttMeasureRequest);
        Assert.Equal("RDP_RTT_REQUEST_TYPE_CONNECTTIME", request.RequestTypeName);
        AssertCodec(new RttMeasureResponse(0x0102), Hex("06 01 02 01 00 00"));
    }

    [Fact]
    public void Other_requests_keep_their_body_and_name()
    {
        // Bandwidth Measure Payload: headerLength 8 (with payloadLength), then the payload.
        byte[] bytes = Hex("08 00 05 00 02 00 03 00 aa bb cc");
        var expected = new AutoDetectRequest(5, AutoDetectRequestType.BandwidthPayload, new ByteString(Hex("03 00 aa bb cc")), 8);
        AssertCodec(expected, bytes);
        Assert.Equal("RDP_BW_PAYLOAD_REQUEST_TYPE", expected.RequestTypeName);
        Assert.False(expected.IsRttMeasureRequest);
    }

    [Theory]
    [InlineData("a response where a request belongs", "06 01 02 01 01 10")]
    [InlineData("headerLength below the common header", "05 00 02 01 01 10")]
    [InlineData("headerLength past the end", "10 00 02 01 01 10")]
    [InlineData("truncated", "06 00 02 01 01")]
    public void Bad_auto_detect_requests_are_rejected(string what, string hex)
    {
        DecodeResult<AutoDetectRequest> decoded = Pdu.Decode<AutoDetectRequest>(Hex(hex));
        Assert.False(decoded.IsSuccess, what);
        Assert.NotEmpty(decoded.Error.Reason);
    }

    [Theory]
    [InlineData("06 00 02 01 00 00")]
    [InlineData("08 01 02 01 00 00")]
    [InlineData("06 01 02 01 03 00")]
    public void Bad_rtt_responses_are_rejected(string hex) => Assert.False(Pdu.Decode<RttMeasureResponse>(Hex(hex)).IsSuccess);

    [Property]
    public bool Round_trip(uint id, ushort protocol, ushort reserved, Guid cookie, uint hr, ushort sequence, ushort type, byte[] body)
    {
        var request = new InitiateMultitransportRequest(id, (MultitransportProtocol)protocol, new ByteString(cookie.ToByteArray()), reserved);
        var response = new InitiateMultitransportResponse(id, hr);
        var detect = new AutoDetectRequest(sequence, (AutoDetectRequestType)type, new ByteString(body));
        var rtt = new RttMeasureResponse(sequence);
        return request.Equals(Pdu.Decode<InitiateMultitransportRequest>(Pdu.Encode(request)).Value)
            && response.Equals(Pdu.Decode<InitiateMultitransportResponse>(Pdu.Encode(response)).Value)
            && detect.Equals(Pdu.Decode<AutoDetectRequest>(Pdu.Encode(detect)).Value)
            && rtt.Equals(Pdu.Decode<RttMeasureResponse>(Pdu.Encode(rtt)).Value);
    }

    [Property(MaxTest = 1000)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes)
    {
        _ = Pdu.Decode<InitiateMultitransportRequest>(bytes);
        _ = Pdu.Decode<InitiateMultitransportResponse>(bytes);
        _ = Pdu.Decode<RttMeasureResponse>(bytes);
        DecodeResult<AutoDetectRequest> result = Pdu.Decode<AutoDetectRequest>(bytes);
        return result.IsSuccess || result.Error.Reason.Length > 0;
    }
}
