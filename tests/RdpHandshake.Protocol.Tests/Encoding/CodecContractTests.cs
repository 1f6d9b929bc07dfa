using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.Encoding;

/// <summary>
/// No spec section: the codec contract every PDU follows (IPdu&lt;T&gt;, Pdu, PduReader, PduWriter, DecodeError,
/// DecodeResult, ByteString). One PDU spans what Pdu.Decode is given; Size is what Encode writes; a short
/// buffer is a decode error with offsets, but our own encoder overrunning its buffer is an exception.
/// </summary>
public sealed class CodecContractTests
{
    /// <summary>A two-byte PDU whose Size can be told to lie, to see Pdu catch it.</summary>
    private sealed record TwoBytes(byte First, byte Second, int? ClaimedSize = null) : IPdu<TwoBytes>
    {
        public static string PduName => "two bytes";

        public int Size => ClaimedSize ?? 2;

        public void Encode(ref PduWriter writer)
        {
            writer.WriteByte(First);
            writer.WriteByte(Second);
        }

        public static DecodeResult<TwoBytes> Decode(ref PduReader reader) =>
            reader.Ensure(2, PduName) is { } missing ? missing : new TwoBytes(reader.ReadByte(), reader.ReadByte());
    }

    [Fact]
    public void Pdu_decode_wants_the_pdu_to_span_every_byte()
    {
        DecodeResult<TwoBytes> decoded = Pdu.Decode<TwoBytes>([1, 2, 3, 4]);
        Assert.False(decoded.IsSuccess);
        Assert.Equal(DecodeErrorKind.TrailingBytes, decoded.Error.Kind);
        Assert.Equal((2, 2L), (decoded.Error.Offset, decoded.Error.Received));
        Assert.Equal("decode two bytes: 2 unexpected trailing byte(s) (at offset 2)", decoded.Error.ToString());

        var reader = new PduReader([1, 2, 3, 4]);
        Assert.Equal(new TwoBytes(1, 2), TwoBytes.Decode(ref reader).Value);
        Assert.Equal(new TwoBytes(3, 4), TwoBytes.Decode(ref reader).Value);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void A_short_buffer_is_not_enough_bytes_with_where_and_how_many()
    {
        DecodeResult<TwoBytes> decoded = Pdu.Decode<TwoBytes>([7]);
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, decoded.Error.Kind);
        Assert.Equal((0, 2L, 1L), (decoded.Error.Offset, decoded.Error.Expected, decoded.Error.Received));
        Assert.Equal("decode two bytes: not enough bytes: need 2, have 1 (at offset 0)", decoded.Error.ToString());
    }

    [Fact]
    public void An_error_with_a_field_names_it()
    {
        var error = DecodeError.InvalidField("X.224 Connection Confirm", "length", "smaller than the TPKT header", 3);
        Assert.Equal("decode X.224 Connection Confirm: invalid length: smaller than the TPKT header (at offset 3)", error.ToString());
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, DecodeError.LengthLimit("TSRequest", "length", 1, 10, 11).Kind);
    }

    [Fact]
    public void Encoding_checks_that_size_told_the_truth()
    {
        Assert.Equal([1, 2], Pdu.Encode(new TwoBytes(1, 2)));
        Assert.Throws<InvalidOperationException>(() => Pdu.Encode(new TwoBytes(1, 2, ClaimedSize: 3)));
        Assert.Throws<ArgumentException>(() => Pdu.Encode(new TwoBytes(1, 2, ClaimedSize: 1)));
    }

    [Fact]
    public void Encoding_into_a_buffer_writer_advances_it_by_size()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(2, Pdu.Encode(new TwoBytes(5, 6), output));
        Assert.Equal(2, Pdu.Encode(new TwoBytes(7, 8), output));
        Assert.Equal([5, 6, 7, 8], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Byte_strings_compare_by_content_and_the_empty_one_is_the_default()
    {
        Assert.Equal(new ByteString([1, 2, 3]), new ByteString([1, 2, 3]));
        Assert.NotEqual(new ByteString([1, 2, 3]), new ByteString([1, 2, 4]));
        Assert.Equal(ByteString.Empty, new ByteString([]));
        Assert.Equal(default, new ByteString([]));
        Assert.Equal("0a0bff", new ByteString([0x0A, 0x0B, 0xFF]).ToHex());
        Assert.Equal(new ByteString([9]).GetHashCode(), new ByteString([9]).GetHashCode());
    }

    [Fact]
    public void A_result_holds_a_value_or_an_error()
    {
        DecodeResult<TwoBytes> ok = new TwoBytes(1, 2);
        Assert.True(ok.TryGetValue(out TwoBytes? value, out _));
        Assert.Equal(new TwoBytes(1, 2), value);

        DecodeResult<TwoBytes> failed = DecodeError.NotEnoughBytes("two bytes", 0, 2, 0);
        Assert.False(failed.TryGetValue(out _, out DecodeError error));
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, error.Kind);
        Assert.StartsWith("Failure(decode two bytes", failed.ToString(), StringComparison.Ordinal);
    }
}
