using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp;

/// <summary>Server Redirection packet (MS-RDPBCGR 2.2.13.1) and its Enhanced Security wrapper (2.2.13.3.1).</summary>
[Properties(Arbitrary = [typeof(RedirectionArbitraries)], MaxTest = 200)]
public sealed class ServerRedirectionTests
{
    private static readonly ByteString SecretCookie = new("TopSecretCookie!"u8);

    private static ServerRedirectionPacket Sample => new(
        SessionId: 2,
        RedirFlags: RedirectionFlags.TargetNetAddress | RedirectionFlags.LoadBalanceInfo | RedirectionFlags.UserName
            | RedirectionFlags.Domain | RedirectionFlags.Password | RedirectionFlags.TargetCertificate | RedirectionFlags.TargetNetAddresses,
        TargetNetAddress: ServerRedirectionPacket.Text("10.0.0.7"),
        LoadBalanceInfo: new ByteString("Cookie: msts=3640205228.15629.0000\r\n"u8),
        UserName: ServerRedirectionPacket.Text("alice"),
        Domain: ServerRedirectionPacket.Text("CONTOSO"),
        Password: SecretCookie,
        TargetCertificate: new ByteString(Hex("30 82 01 0a 02 82 01 01 00 c8 90")),
        TargetNetAddresses: ServerRedirectionPacket.AddressList(["10.0.0.7", "fe80::1"]),
        Pad: new ByteString(new byte[8]));

    [Fact]
    public void Fields_go_in_spec_order_with_their_lengths()
    {
        var packet = new ServerRedirectionPacket(7, RedirectionFlags.TargetNetAddress | RedirectionFlags.UserName,
            TargetNetAddress: ServerRedirectionPacket.Text("A"), UserName: ServerRedirectionPacket.Text("u"));
        Assert.Equal(
            Hex("00 04 1c 00 07 00 00 00 05 00 00 00 04 00 00 00 41 00 00 00 04 00 00 00 75 00 00 00"),
            Pdu.Encode(packet));
    }

    [Fact]
    public void Sample_round_trips_and_reads_back()
    {
        byte[] bytes = Pdu.Encode(Sample);
        ServerRedirectionPacket decoded = Pdu.Decode<ServerRedirectionPacket>(bytes).Value!;
        Assert.Equal(Sample, decoded);
        Assert.Equal("10.0.0.7", decoded.TargetNetAddressText);
        Assert.Equal("alice", decoded.UserNameText);
        Assert.Equal(["10.0.0.7", "fe80::1"], decoded.TargetNetAddressList);
    }

    [Fact]
    public void The_password_and_certificate_are_never_printed()
    {
        IReadOnlyList<(string Name, string Value)> described = Sample.Describe();
        Assert.Contains(described, p => p.Name == "UserName" && p.Value == "alice");
        Assert.Contains(described, p => p.Name == "LoadBalanceInfo" && p.Value.StartsWith("Cookie: msts=", StringComparison.Ordinal));
        Assert.DoesNotContain(described, p => p.Value.Contains("TopSecret", StringComparison.Ordinal));
        Assert.Contains(described, p => p.Name == "Password" && p.Value == "(16 bytes, not shown)");
        Assert.Contains(described, p => p.Name == "TargetCertificate" && !p.Value.Contains("c890", StringComparison.Ordinal));
        string text = Sample.ToString();
        Assert.DoesNotContain("TopSecret", text, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretCookie.ToHex(), text, StringComparison.Ordinal);
        Assert.DoesNotContain("c890", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Enhanced_security_wrapper_has_the_share_control_header_and_pads()
    {
        var pdu = new EnhancedSecurityServerRedirection(0x03EA, Sample, new ByteString([0]));
        byte[] bytes = Pdu.Encode(pdu);
        Assert.Equal((ushort)bytes.Length, (ushort)(bytes[0] | bytes[1] << 8));
        Assert.Equal(Hex("1a 00 ea 03 00 00 00 04"), bytes[2..10]);
        Assert.Equal(pdu, Pdu.Decode<EnhancedSecurityServerRedirection>(bytes).Value);
    }

    [Theory]
    [InlineData("Flags not SEC_REDIRECTION_PKT", "00 08 0c 00 00 00 00 00 00 00 00 00")]
    [InlineData("Length below the fixed part", "00 04 0b 00 00 00 00 00 00 00 00 00")]
    [InlineData("Length past the end", "00 04 40 00 00 00 00 00 00 00 00 00")]
    [InlineData("field length past the packet", "00 04 10 00 00 00 00 00 01 00 00 00 ff ff ff 7f")]
    [InlineData("flag without its length", "00 04 0e 00 00 00 00 00 01 00 00 00 00 00")]
    public void Hostile_packets_are_rejected(string what, string hex)
    {
        DecodeResult<ServerRedirectionPacket> decoded = Pdu.Decode<ServerRedirectionPacket>(Hex(hex));
        Assert.False(decoded.IsSuccess, what);
        Assert.NotEmpty(decoded.Error.Reason);
    }

    [Property]
    public bool Round_trips(ServerRedirectionPacket packet)
    {
        byte[] bytes = Pdu.Encode(packet);
        DecodeResult<ServerRedirectionPacket> decoded = Pdu.Decode<ServerRedirectionPacket>(bytes);
        return decoded.IsSuccess && decoded.Value!.Equals(packet) && packet.Size == bytes.Length;
    }

    [Property]
    public bool Every_strict_prefix_is_rejected(ServerRedirectionPacket packet)
    {
        byte[] bytes = Pdu.Encode(packet);
        for (int length = 0; length < bytes.Length; length++)
        {
            if (Pdu.Decode<ServerRedirectionPacket>(bytes.AsSpan(0, length)).IsSuccess)
            {
                return false;
            }
        }

        return true;
    }

    [Property]
    public bool Garbled_is_rejected_or_exact(ServerRedirectionPacket packet, int position, byte mask)
    {
        byte[] bytes = Pdu.Encode(new EnhancedSecurityServerRedirection(0x03EA, packet));
        bytes[Math.Abs(position % bytes.Length)] ^= mask == 0 ? (byte)0x5A : mask;
        DecodeResult<EnhancedSecurityServerRedirection> result = Pdu.Decode<EnhancedSecurityServerRedirection>(bytes);
        return result.IsSuccess ? Pdu.Encode(result.Value!).AsSpan().SequenceEqual(bytes) : result.Error.Reason.Length > 0;
    }

    [Property(MaxTest = 1000)]
    public bool Arbitrary_bytes_never_throw(byte[] tail, uint flags)
    {
        byte[] bytes = [0x00, 0x04, (byte)(12 + tail.Length), (byte)((12 + tail.Length) >> 8), 0, 0, 0, 0, (byte)flags, (byte)(flags >> 8), (byte)(flags >> 16), 0, .. tail];
        DecodeResult<ServerRedirectionPacket> a = Pdu.Decode<ServerRedirectionPacket>(bytes);
        DecodeResult<EnhancedSecurityServerRedirection> b = Pdu.Decode<EnhancedSecurityServerRedirection>(tail);
        if (a.IsSuccess)
        {
            _ = a.Value!.Describe();
            _ = a.Value.TargetNetAddressList;
        }

        return (a.IsSuccess || a.Error.Reason.Length > 0) && (b.IsSuccess || b.Error.Reason.Length > 0);
    }
}

/// <summary>Generators of redirection packets whose fields match their flags.</summary>
public static class RedirectionArbitraries
{
    private static Gen<ByteString> Bytes(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)).Select(b => new ByteString(b));

    public static Arbitrary<ServerRedirectionPacket> Packets() =>
        (from session in ArbMap.Default.GeneratorFor<uint>()
         from flags in Gen.Choose(0, 0x1FFFF)
         from fields in Gen.ArrayOf(Bytes(24), 11)
         from pad in Gen.Elements(0, 8)
         let f = (RedirectionFlags)flags
         select new ServerRedirectionPacket(session, f,
             Pick(f, RedirectionFlags.TargetNetAddress, fields[0]),
             Pick(f, RedirectionFlags.LoadBalanceInfo, fields[1]),
             Pick(f, RedirectionFlags.UserName, fields[2]),
             Pick(f, RedirectionFlags.Domain, fields[3]),
             Pick(f, RedirectionFlags.Password, fields[4]),
             Pick(f, RedirectionFlags.TargetFqdn, fields[5]),
             Pick(f, RedirectionFlags.TargetNetBiosName, fields[6]),
             Pick(f, RedirectionFlags.ClientTsvUrl, fields[7]),
             Pick(f, RedirectionFlags.RedirectionGuid, fields[8]),
             Pick(f, RedirectionFlags.TargetCertificate, fields[9]),
             Pick(f, RedirectionFlags.TargetNetAddresses, fields[10]),
             new ByteString(new byte[pad])))
        .ToArbitrary();

    private static ByteString? Pick(RedirectionFlags flags, RedirectionFlags flag, ByteString value) => (flags & flag) != 0 ? value : null;
}
