using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Proxy;

/// <summary>
/// The SOCKS5 messages of RFC 1928 (sections 3, 4, 5 and 6) and RFC 1929 (section 2), byte for byte as the RFCs lay
/// them out, the reply framing, hostile inputs, and round-trip properties.
/// </summary>
[Properties(Arbitrary = [typeof(Socks5Arbitraries)], MaxTest = 300)]
public sealed class Socks5CodecTests
{
    private static Socks5Address Ip(string address, ushort port) => Socks5Address.Ip(System.Net.IPAddress.Parse(address).GetAddressBytes(), port);

    [Theory]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("fe80:0:0:1:0:0:0:1", "fe80:0:0:1::1")]
    [InlineData("::ffff:192.0.2.1", "::ffff:c000:201")]
    public void An_ipv6_address_is_written_as_rfc_5952_says(string given, string written)
    {
        // RFC 5952 4.1 to 4.3: no leading zeros, lowercase, the longest run of two or more zero groups shortened (the
        // first of equal runs), a single zero group not; the text stays one-to-one with the bytes (no dotted tail).
        Assert.Equal(written, Ip(given, 0).Host);
    }

    [Fact]
    public void The_method_request_is_ver_nmethods_methods()
    {
        CodecAssert.Vector(new Socks5MethodRequest([Socks5Methods.NoAuthentication, Socks5Methods.UsernamePassword]), Hex("05 02 00 02"));
    }

    [Fact]
    public void The_method_selection_is_ver_method()
    {
        CodecAssert.Vector(new Socks5MethodSelection(Socks5Methods.UsernamePassword), Hex("05 02"));
        CodecAssert.Vector(new Socks5MethodSelection(Socks5Methods.NoAcceptableMethods), Hex("05 ff"));
    }

    [Fact]
    public void The_username_password_request_is_ver_ulen_uname_plen_passwd()
    {
        // RFC 1929 2: VER = X'01', ULEN, UNAME, PLEN, PASSWD.
        CodecAssert.Vector(new Socks5UsernamePasswordRequest("alice"u8.ToArray(), "secret"u8.ToArray()), Hex("01 05 61 6c 69 63 65 06 73 65 63 72 65 74"));
        CodecAssert.Vector(new Socks5UsernamePasswordStatus(0), Hex("01 00"));
        Assert.False(new Socks5UsernamePasswordStatus(1).Succeeded);
    }

    [Fact]
    public void The_recorded_copy_of_the_username_password_request_overwrites_every_password_byte()
    {
        var request = new Socks5UsernamePasswordRequest("alice"u8.ToArray(), "secret"u8.ToArray());
        Assert.Equal(Hex("01 05 61 6c 69 63 65 06 2a 2a 2a 2a 2a 2a"), Pdu.Encode(request.Redacted()));
        Assert.DoesNotContain("secret", request.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_connect_request_names_a_host_by_name_for_the_proxy_to_resolve()
    {
        // RFC 1928 4 and 5: ATYP X'03', one length byte, the name without a terminating NUL, DST.PORT in network order.
        Socks5Address destination = Socks5Address.Name("rdp.example.com", 3389);
        Assert.Equal(Socks5AddressType.DomainName, destination.Type);
        CodecAssert.Vector(new Socks5Request(Socks5Command.Connect, destination),
            Hex("05 01 00 03 0f 72 64 70 2e 65 78 61 6d 70 6c 65 2e 63 6f 6d 0d 3d"));
    }

    [Fact]
    public void A_connect_request_names_an_ip_address_by_its_own_type()
    {
        CodecAssert.Vector(new Socks5Request(Socks5Command.Connect, Ip("10.0.0.5", 3389)), Hex("05 01 00 01 0a 00 00 05 0d 3d"));
        CodecAssert.Vector(new Socks5Request(Socks5Command.Connect, Ip("2001:db8::1", 3389)),
            Hex("05 01 00 04 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 0d 3d"));
    }

    [Fact]
    public void A_reply_carries_the_code_and_the_bound_address()
    {
        var reply = new Socks5Reply(0, Ip("127.0.0.1", 1080));
        CodecAssert.Vector(reply, Hex("05 00 00 01 7f 00 00 01 04 38"));
        Assert.True(reply.Succeeded);
        Assert.Equal("127.0.0.1:1080", reply.Bound.ToString());
    }

    [Theory]
    [InlineData(0x01, "general-failure", "general SOCKS server failure")]
    [InlineData(0x02, "not-allowed", "connection not allowed by ruleset")]
    [InlineData(0x03, "network-unreachable", "network unreachable")]
    [InlineData(0x04, "host-unreachable", "host unreachable")]
    [InlineData(0x05, "connection-refused", "connection refused")]
    [InlineData(0x06, "ttl-expired", "TTL expired")]
    [InlineData(0x07, "command-not-supported", "command not supported")]
    [InlineData(0x08, "address-type-not-supported", "address type not supported")]
    [InlineData(0x09, "0x09", "unassigned")]
    [InlineData(0xff, "0xff", "unassigned")]
    public void Every_reply_code_has_its_rfc_1928_name(byte code, string name, string meaning)
    {
        Assert.Equal(name, Socks5ReplyNames.Name(code));
        Assert.Equal(meaning, Socks5ReplyNames.Meaning(code));
        Assert.False(new Socks5Reply(code, Ip("0.0.0.0", 0)).Succeeded);
    }

    [Theory]
    [InlineData("05 00 00 01 7f 00 00 01 04 38", 10)]
    [InlineData("05 05 00 04", 22)]
    [InlineData("05 00 00 03 05", 12)]
    public void A_reply_is_framed_by_its_address_type(string start, int length) =>
        Assert.Equal(FrameSize.Complete(length), Socks5Reply.FindFrameSize(Hex(start)));

    [Fact]
    public void A_reply_is_not_framed_before_its_address_type_and_name_length_are_in()
    {
        Assert.Equal(FrameSizeStatus.NeedMore, Socks5Reply.FindFrameSize([]).Status);
        Assert.Equal(FrameSizeStatus.NeedMore, Socks5Reply.FindFrameSize(Hex("05 00 00")).Status);
        Assert.Equal(FrameSizeStatus.NeedMore, Socks5Reply.FindFrameSize(Hex("05 00 00 03")).Status);
    }

    [Theory]
    [InlineData("48 54 54 50 2f 31 2e 31", "ver")]
    [InlineData("04 5a 00 00", "ver")]
    [InlineData("05 00 00 02 00 00", "atyp")]
    public void A_reply_that_cannot_be_one_is_invalid_at_once(string start, string field)
    {
        FrameSize size = Socks5Reply.FindFrameSize(Hex(start));
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        Assert.Equal(field, size.Error!.Value.Field);
    }

    [Theory]
    [InlineData("04 02")]
    [InlineData("05")]
    public void A_method_selection_of_another_version_or_cut_short_is_rejected(string bytes) =>
        Assert.False(Pdu.Decode<Socks5MethodSelection>(Hex(bytes)).IsSuccess);

    [Theory]
    [InlineData("05 00 01 01 7f 00 00 01 04 38", "rsv")]
    [InlineData("05 00 00 03 00 04 38", "length")]
    [InlineData("05 00 00 03 02 41 00 04 38", "domainName")]
    [InlineData("05 00 00 07 7f 00 00 01 04 38", "atyp")]
    public void A_malformed_reply_is_rejected_with_its_field(string bytes, string field)
    {
        DecodeResult<Socks5Reply> result = Pdu.Decode<Socks5Reply>(Hex(bytes));
        Assert.False(result.IsSuccess);
        Assert.Equal(field, result.Error.Field);
    }

    [Fact]
    public void A_name_that_is_not_printable_ascii_or_too_long_is_not_encoded()
    {
        Assert.Throws<ArgumentException>(() => Pdu.Encode(new Socks5Request(Socks5Command.Connect, new Socks5Address(Socks5AddressType.DomainName, "bad name", 1))));
        Assert.Throws<ArgumentException>(() => Pdu.Encode(new Socks5Request(Socks5Command.Connect, new Socks5Address(Socks5AddressType.DomainName, new string('a', 256), 1))));
    }

    [Property]
    public bool Method_requests_round_trip(Socks5MethodRequest request) => CodecAssert.RoundTrips(request) && CodecAssert.EveryStrictPrefixIsRejected(request);

    [Property]
    public bool Method_selections_and_statuses_round_trip(byte method, byte status) =>
        CodecAssert.RoundTrips(new Socks5MethodSelection(method)) && CodecAssert.EveryStrictPrefixIsRejected(new Socks5MethodSelection(method))
        && CodecAssert.RoundTrips(new Socks5UsernamePasswordStatus(status)) && CodecAssert.EveryStrictPrefixIsRejected(new Socks5UsernamePasswordStatus(status));

    [Property]
    public bool Username_password_requests_round_trip(Socks5UsernamePasswordRequest request) =>
        CodecAssert.RoundTrips(request) && CodecAssert.EveryStrictPrefixIsRejected(request);

    [Property]
    public bool Requests_round_trip(Socks5Request request) => CodecAssert.RoundTrips(request) && CodecAssert.EveryStrictPrefixIsRejected(request);

    [Property]
    public bool Replies_round_trip_and_are_framed_to_their_length(Socks5Reply reply)
    {
        byte[] bytes = Pdu.Encode(reply);
        return CodecAssert.RoundTrips(reply) && CodecAssert.EveryStrictPrefixIsRejected(reply)
            && Socks5Reply.FindFrameSize(bytes) == FrameSize.Complete(bytes.Length);
    }

    [Property]
    public bool A_garbled_reply_is_rejected_or_exact(Socks5Reply reply, int position, byte mask) => CodecAssert.GarbledIsRejectedOrExact(reply, position, mask);

    [Property]
    public bool Any_bytes_are_framed_or_rejected_without_throwing(byte[] bytes)
    {
        FrameSize size = Socks5Reply.FindFrameSize(bytes);
        _ = Pdu.Decode<Socks5Reply>(bytes);
        _ = Pdu.Decode<Socks5MethodSelection>(bytes);
        _ = Pdu.Decode<Socks5UsernamePasswordStatus>(bytes);
        return size.Status != FrameSizeStatus.Complete || size.Length <= Socks5Reply.MaxSize;
    }
}

public static class Socks5Arbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<byte[]> Bytes(int min, int max) => Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Byte, n));

    private static Gen<Socks5Address> Addresses =>
        from type in Gen.Elements(Socks5AddressType.IPv4, Socks5AddressType.IPv6, Socks5AddressType.DomainName)
        from raw in Gen.ArrayOf(Byte, type == Socks5AddressType.IPv4 ? 4 : 16)
        from nameLength in Gen.Choose(1, 255)
        from name in Gen.ArrayOf(Gen.Choose(0x21, 0x7E).Select(c => (char)c), nameLength)
        from port in Gen.Choose(0, 65535)
        select type == Socks5AddressType.DomainName
            ? new Socks5Address(type, new string(name), (ushort)port)
            : Socks5Address.Ip(raw, (ushort)port);

    public static Arbitrary<Socks5MethodRequest> MethodRequests() => Bytes(1, 255).Select(m => new Socks5MethodRequest(m)).ToArbitrary();

    public static Arbitrary<Socks5UsernamePasswordRequest> UsernamePasswordRequests() =>
        (from user in Bytes(1, 255)
         from password in Bytes(1, 255)
         select new Socks5UsernamePasswordRequest(user, password)).ToArbitrary();

    public static Arbitrary<Socks5Request> Requests() =>
        (from command in Gen.Elements(Socks5Command.Connect, Socks5Command.Bind, Socks5Command.UdpAssociate)
         from address in Addresses
         select new Socks5Request(command, address)).ToArbitrary();

    public static Arbitrary<Socks5Reply> Replies() =>
        (from code in Byte
         from address in Addresses
         select new Socks5Reply(code, address)).ToArbitrary();
}
