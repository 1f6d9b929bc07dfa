using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp;

/// <summary>
/// MS-RDPBCGR 2.2.1.11.1.1 Info Packet (TS_INFO_PACKET) with 2.2.1.11.1.1.1 TS_EXTENDED_INFO_PACKET: the 4.1.10
/// vector, round trips, hostile input and the password's secrecy.
/// </summary>
[Properties(Arbitrary = [typeof(ClientInfoArbitraries)], MaxTest = 200)]
public sealed class ClientInfoTests
{
    private static readonly SystemTime FirstSundayOfApril2Am = new(0, 4, 0, 1, 2, 0, 0, 0);
    private static readonly SystemTime LastSundayOfOctober2Am = new(0, 10, 0, 5, 2, 0, 0, 0);

    private static ClientInfoPacket Vector4110 => new(
        CodePage: 0x0409_0409,
        Flags: ClientInfoPacket.WithCompression(
            ClientInfoFlags.Mouse | ClientInfoFlags.DisableCtrlAltDel | ClientInfoFlags.Unicode | ClientInfoFlags.MaximizeShell
            | ClientInfoFlags.EnableWindowsKey | ClientInfoFlags.ForceEncryptedCsPdu,
            PacketCompressionType.Type64K),
        Domain: "NTDEV",
        UserName: "eltons",
        Password: [],
        AlternateShell: "",
        WorkingDir: "",
        ExtraInfo: new ExtendedInfoPacket(
            ClientAddressFamily.Inet,
            "157.59.242.156",
            @"C:\depots\w2k3_1\termsrv\newclient\lib\win32\obj\i386\mstscax.dll",
            new TimeZoneInformation(480, "Pacific Standard Time", LastSundayOfOctober2Am, 0, "Pacific Daylight Time", FirstSundayOfApril2Am, -60),
            ClientSessionId: 0,
            PerformanceFlags: PerformanceFlags.DisableWallpaper,
            AutoReconnectCookie: ByteString.Empty));

    [Fact]
    public void Client_info_of_MS_RDPBCGR_4_1_10_decrypted()
    {
        byte[] bytes = Load("client-info-4.1.10-decrypted.hex");
        Assert.Equal(400, bytes.Length);
        ClientInfoPacket expected = Vector4110;
        Assert.Equal(0x0000_43b3u, (uint)expected.Flags);
        DecodeResult<ClientInfoPacket> decoded = Pdu.Decode<ClientInfoPacket>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(expected, decoded.Value);
        Assert.Equal(PacketCompressionType.Type64K, decoded.Value.CompressionType);
        Assert.Equal(bytes, Pdu.Encode(expected));
        Assert.Equal(bytes.Length, expected.Size);
    }

    [Fact]
    public void Ansi_variant_uses_one_byte_per_character_and_one_byte_terminators()
    {
        var packet = new ClientInfoPacket(0x0409, ClientInfoFlags.Mouse, "NTDEV", "eltons", "pw"u8.ToArray(), "", "",
            new ExtendedInfoPacket(ClientAddressFamily.Inet, "1.2.3.4", "C:\\"));
        byte[] bytes = Pdu.Encode(packet);
        Assert.Equal(Hex("09 04 00 00 01 00 00 00 05 00 06 00 02 00 00 00 00 00"), bytes[..18]);
        Assert.Equal("NTDEV\0eltons\0pw\0\0\0"u8.ToArray(), bytes[18..36]);
        Assert.Equal(Hex("02 00 08 00"), bytes[36..40]);
        Assert.Equal(packet, Pdu.Decode<ClientInfoPacket>(bytes).Value);
    }

    [Fact]
    public void The_password_is_never_printed()
    {
        byte[] password = ClientInfoPacket.UnicodePassword("S3cret-Passw0rd");
        ClientInfoPacket packet = Vector4110 with { Password = password, Flags = Vector4110.Flags | ClientInfoFlags.AutoLogon };
        string text = packet.ToString();
        Assert.Contains("Password = ***", text, StringComparison.Ordinal);
        Assert.Contains("eltons", text, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(password), text, StringComparison.OrdinalIgnoreCase);
        DecodeResult<ClientInfoPacket> decoded = Pdu.Decode<ClientInfoPacket>(Pdu.Encode(packet));
        Assert.DoesNotContain("S3cret", decoded.ToString(), StringComparison.Ordinal);
        Assert.Equal(password, decoded.Value!.Password);
    }

    [Fact]
    public void The_caller_can_wipe_the_password()
    {
        byte[] password = ClientInfoPacket.UnicodePassword("secret");
        ClientInfoPacket packet = Vector4110 with { Password = password };
        byte[] encoded = Pdu.Encode(packet);
        CryptographicOperations.ZeroMemory(password);
        Assert.All(packet.Password, b => Assert.Equal(0, b));
        Assert.True(encoded.AsSpan().IndexOf("s\0e\0c\0r\0e\0t\0\0\0"u8) > 0);
    }

    [Theory]
    [InlineData("cbDomain of 0xffff", 8, 0xff, 0xff)]
    [InlineData("cbUserName odd", 10, 0x0b, 0x00)]
    [InlineData("cbClientAddress past the end", 52, 0xff, 0x7f)]
    [InlineData("cbAutoReconnectCookie 5", 398, 0x05, 0x00)]
    public void Hostile_lengths_are_rejected(string what, int offset, byte low, byte high)
    {
        byte[] bytes = Load("client-info-4.1.10-decrypted.hex");
        bytes[offset] = low;
        bytes[offset + 1] = high;
        DecodeResult<ClientInfoPacket> decoded = Pdu.Decode<ClientInfoPacket>(bytes);
        Assert.False(decoded.IsSuccess, what);
        Assert.NotEmpty(decoded.Error.Reason);
    }

    [Fact]
    public void A_missing_terminator_is_rejected()
    {
        byte[] bytes = Load("client-info-4.1.10-decrypted.hex");
        bytes[28] = 0x41; // the NUL after "NTDEV"
        DecodeResult<ClientInfoPacket> decoded = Pdu.Decode<ClientInfoPacket>(bytes);
        Assert.False(decoded.IsSuccess);
        Assert.Equal("Domain", decoded.Error.Field);
    }

    [Fact]
    public void Every_cut_inside_a_field_is_rejected_and_none_throws()
    {
        byte[] bytes = Load("client-info-4.1.10-decrypted.hex");

        // The packet may end after WorkingDir (50, an RDP 4.0 client) and the optional fields at a field boundary: after clientDir (218), the time zone (390), the session
        // id (394) and the performance flags (398). Every other cut is an error.
        int[] boundaries = [50, 218, 390, 394, 398];
        for (int length = 0; length < bytes.Length; length++)
        {
            DecodeResult<ClientInfoPacket> result = Pdu.Decode<ClientInfoPacket>(bytes.AsSpan(0, length));
            Assert.True(boundaries.Contains(length) == result.IsSuccess, $"cut at {length}: {result}");
        }
    }

    [Property]
    public bool Round_trips(ClientInfoPacket packet)
    {
        byte[] bytes = Pdu.Encode(packet);
        DecodeResult<ClientInfoPacket> decoded = Pdu.Decode<ClientInfoPacket>(bytes);
        return decoded.IsSuccess && decoded.Value!.Equals(packet) && packet.Size == bytes.Length;
    }

    [Property]
    public bool Garbled_is_rejected_or_exact(ClientInfoPacket packet, int position, byte mask)
    {
        byte[] bytes = Pdu.Encode(packet);
        bytes[Math.Abs(position % bytes.Length)] ^= mask == 0 ? (byte)0x5A : mask;
        DecodeResult<ClientInfoPacket> result = Pdu.Decode<ClientInfoPacket>(bytes);
        return result.IsSuccess ? Pdu.Encode(result.Value!).AsSpan().SequenceEqual(bytes) : result.Error.Reason.Length > 0;
    }

    [Property(MaxTest = 1000)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes)
    {
        DecodeResult<ClientInfoPacket> result = Pdu.Decode<ClientInfoPacket>(bytes);
        return result.IsSuccess || result.Error.Reason.Length > 0;
    }
}

/// <summary>Generators of spec-valid TS_INFO_PACKETs (optional extended fields present as a prefix).</summary>
public static class ClientInfoArbitraries
{
    private static Gen<ushort> UInt16 => Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    private static Gen<string> Text(int max, bool unicode) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(1, unicode ? 0xFFFF : 0xFF).Select(c => (char)c), n)).Select(c => new string(c));

    private static Gen<SystemTime> SystemTimes =>
        Gen.ArrayOf(UInt16, 8).Select(v => new SystemTime(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]));

    private static Gen<TimeZoneInformation> TimeZones =>
        from bias in ArbMap.Default.GeneratorFor<int>()
        from standard in Text(32, true)
        from standardDate in SystemTimes
        from standardBias in ArbMap.Default.GeneratorFor<int>()
        from daylight in Text(32, true)
        from daylightDate in SystemTimes
        from daylightBias in ArbMap.Default.GeneratorFor<int>()
        select new TimeZoneInformation(bias, standard, standardDate, standardBias, daylight, daylightDate, daylightBias);

    private static Gen<ExtendedInfoPacket> Extended(bool unicode) =>
        from family in UInt16
        from hasAddress in ArbMap.Default.GeneratorFor<bool>()
        from address in Text(40, unicode)
        from dir in Text(40, unicode)
        from present in Gen.Choose(0, 9)
        from timeZone in TimeZones
        from sessionId in UInt32
        from performance in UInt32
        from hasCookie in ArbMap.Default.GeneratorFor<bool>()
        from cookie in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), ExtendedInfoPacket.AutoReconnectCookieLength)
        from reserved in Gen.Two(UInt16)
        from keyName in Text(127, true)
        from disabled in UInt16
        select new ExtendedInfoPacket(
            (ClientAddressFamily)family,
            hasAddress ? address : null,
            dir,
            present > 0 ? timeZone : null,
            present > 1 ? sessionId : null,
            present > 2 ? (PerformanceFlags)performance : null,
            present > 3 ? new ByteString(hasCookie ? cookie : []) : null,
            present > 4 ? reserved.Item1 : null,
            present > 5 ? reserved.Item2 : null,
            present > 6 ? keyName : null,
            present > 7 ? disabled : null);

    public static Arbitrary<ClientInfoPacket> Packets() =>
        (from codePage in UInt32
         from flags in UInt32
         let unicode = (flags & (uint)ClientInfoFlags.Unicode) != 0
         from domain in Text(20, unicode)
         from user in Text(20, unicode)
         from password in Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), unicode ? 2 * n : n))
         from shell in Text(20, unicode)
         from dir in Text(20, unicode)
         from hasExtra in ArbMap.Default.GeneratorFor<bool>()
         from extra in Extended(unicode)
         select new ClientInfoPacket(codePage, (ClientInfoFlags)flags, domain, user, password, shell, dir, hasExtra ? extra : null))
        .ToArbitrary();
}
