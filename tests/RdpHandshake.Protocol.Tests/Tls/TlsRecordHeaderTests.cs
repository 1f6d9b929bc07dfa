using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Tls;

/// <summary>
/// The TLS record header (RFC 8446 5.1, RFC 5246 6.2.1) by which the engine frames what a server sends once
/// negotiation chose TLS or CredSSP (MS-RDPBCGR 5.4.5.1): captured headers, the size bound of RFC 5246 6.2.3,
/// and what a server that did not start TLS sends instead.
/// </summary>
public sealed class TlsRecordHeaderTests
{
    [Theory]
    [InlineData("tls-session", "xrdp-tls12-server-hello", TlsContentType.Handshake, 0x5d)]
    [InlineData("tls-session", "xrdp-tls13-server-hello", TlsContentType.Handshake, 0x7a)]
    [InlineData("tls-record", "alert-handshake-failure", TlsContentType.Alert, 0x02)]
    public void Captured_record_headers_decode_and_size_their_record(string target, string capture, TlsContentType type, ushort length)
    {
        byte[] record = Corpus(target, capture);
        // type, legacy_record_version 0x0303 (TLS 1.2, which TLS 1.3 records carry too), length
        CodecAssert.Vector(new TlsRecordHeader(type, 0x0303, length), record[..TlsRecordHeader.FixedPartSize]);
        Assert.Equal(FrameSize.Complete(record.Length), TlsRecordHeader.FindFrameSize(record));
    }

    [Fact]
    public void An_x224_answer_where_tls_was_expected_names_what_it_looks_like()
    {
        // xrdp refuses a protocol it does not know with an MCS Disconnect Provider Ultimatum in a TPKT: 03 00 00 09.
        DecodeResult<TlsRecordHeader> decoded = Pdu.Decode<TlsRecordHeader>(Corpus("tls-record", "xrdp-ultimatum")[..5]);
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, decoded.Error.Kind);
        Assert.Equal("type", decoded.Error.Field);
        Assert.Contains("TPKT header", decoded.Error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("16 02 00 00 05", DecodeErrorKind.UnsupportedVersion, "legacy_record_version")]
    [InlineData("17 03 03 48 01", DecodeErrorKind.LengthLimitExceeded, "length")]
    [InlineData("18 03 03 00 05", DecodeErrorKind.UnexpectedMessageType, "type")]
    [InlineData("48 54 54 50 2f", DecodeErrorKind.UnexpectedMessageType, "type")]
    public void Headers_no_tls_peer_sends_are_rejected(string hex, DecodeErrorKind kind, string field)
    {
        FrameSize size = TlsRecordHeader.FindFrameSize(Hex(hex));
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        Assert.Equal(kind, size.Error!.Value.Kind);
        Assert.Equal(field, size.Error.Value.Field);
    }

    [Fact]
    public void The_largest_record_rfc_5246_allows_is_framed_and_one_byte_more_is_not()
    {
        // TLSCiphertext.length is at most 2^14 + 2048 = 18432 (0x4800).
        Assert.Equal(FrameSize.Complete(5 + 18432), TlsRecordHeader.FindFrameSize(Hex("17 03 03 48 00")));
        Assert.Equal(FrameSizeStatus.Invalid, TlsRecordHeader.FindFrameSize(Hex("17 03 03 48 01")).Status);
    }

    [Fact]
    public void Fewer_than_five_bytes_ask_for_five()
    {
        byte[] header = Hex("16 03 03 00 5d");
        for (int length = 0; length < header.Length; length++)
        {
            Assert.Equal(FrameSize.NeedMore(TlsRecordHeader.FixedPartSize), TlsRecordHeader.FindFrameSize(header.AsSpan(0, length)));
        }
    }

    public static Arbitrary<TlsRecordHeader> Headers() =>
        (from type in Gen.Elements(TlsContentType.ChangeCipherSpec, TlsContentType.Alert, TlsContentType.Handshake, TlsContentType.ApplicationData)
         from minor in Gen.Choose(0, 255)
         from length in Gen.Choose(0, TlsRecordHeader.MaxLength)
         select new TlsRecordHeader(type, (ushort)(0x0300 | minor), (ushort)length)).ToArbitrary();

    /// <summary>Property: any header a TLS peer may send round-trips, and no strict prefix decodes.</summary>
    [Property(Arbitrary = [typeof(TlsRecordHeaderTests)], MaxTest = 300)]
    public bool Valid_headers_round_trip(TlsRecordHeader header) =>
        CodecAssert.RoundTrips(header) && CodecAssert.EveryStrictPrefixIsRejected(header);
}
