using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp;

/// <summary>
/// MS-RDPBCGR 2.2.1.13.1.1.1 Capability Set (TS_CAPS_SET) and the 2.2.7 sets: the generic container, the typed
/// views and what they describe, and the builders of the sets mstsc and Windows send. Each set's own vector or
/// property is in Rdp/Capabilities/.
/// </summary>
public sealed class CapabilityTests
{
    private static T Typed<T>(CapabilitySet set) where T : IPdu<T>, ICapability
    {
        DecodeResult<T> decoded = set.Decode<T>();
        Assert.True(decoded.IsSuccess, decoded.ToString());
        return decoded.Value!;
    }

    [Fact]
    public void General_capability_of_a_windows_server_describes_its_extra_flags()
    {
        // A Windows server's TS_GENERAL_CAPABILITYSET: Windows NT, protocol 0x0200, extraFlags 0x041d, refresh and suppress 1.
        byte[] bytes = Hex("01 00 18 00 01 00 03 00 00 02 00 00 00 00 1d 04 00 00 00 00 00 00 01 01");
        DecodeResult<CapabilitySet> set = Pdu.Decode<CapabilitySet>(bytes);
        Assert.True(set.IsSuccess);
        GeneralCapability general = Typed<GeneralCapability>(set.Value);
        Assert.Equal(OsMajorType.Windows, general.OsMajorType);
        Assert.Equal(OsMinorType.WindowsNt, general.OsMinorType);
        Assert.Equal(bytes, Pdu.Encode(CapabilitySet.From(general)));

        Dictionary<string, string> described = set.Value.Describe().ToDictionary(f => f.Name, f => f.Value);
        Assert.Equal("1 (OSMAJORTYPE_WINDOWS)", described["osMajorType"]);
        Assert.Contains("FASTPATH_OUTPUT_SUPPORTED", described["extraFlags"], StringComparison.Ordinal);
        Assert.Contains("LONG_CREDENTIALS_SUPPORTED", described["extraFlags"], StringComparison.Ordinal);
        Assert.Contains("NO_BITMAP_COMPRESSION_HDR", described["extraFlags"], StringComparison.Ordinal);
    }

    [Fact]
    public void Bitmap_capability_shows_depth_size_and_resize()
    {
        byte[] bytes = Hex("02 00 1c 00 18 00 01 00 01 00 01 00 00 05 00 04 00 00 01 00 01 00 00 00 01 00 00 00");
        CapabilitySet set = Pdu.Decode<CapabilitySet>(bytes).Value!;
        BitmapCapability bitmap = Typed<BitmapCapability>(set);
        Assert.Equal(24, bitmap.PreferredBitsPerPixel);
        Assert.Equal((1280, 1024), (bitmap.DesktopWidth, bitmap.DesktopHeight));
        Assert.Equal(bytes, Pdu.Encode(CapabilitySet.From(bitmap)));
        Assert.Contains(("desktopSize", "1280x1024"), set.Describe());
        Assert.Contains(("desktopResizeFlag", "1"), set.Describe());
    }

    [Fact]
    public void Virtual_channel_pointer_and_font_accept_their_short_forms()
    {
        Assert.Null(Typed<VirtualChannelCapability>(new CapabilitySet(CapabilitySetType.VirtualChannel, new ByteString(Hex("01 00 00 00")))).VcChunkSize);
        Assert.Equal(1600u, Typed<VirtualChannelCapability>(new CapabilitySet(CapabilitySetType.VirtualChannel, new ByteString(Hex("02 00 00 00 40 06 00 00")))).VcChunkSize);
        Assert.Null(Typed<PointerCapability>(new CapabilitySet(CapabilitySetType.Pointer, new ByteString(Hex("01 00 14 00")))).PointerCacheSize);
        Assert.Null(Typed<FontCapability>(new CapabilitySet(CapabilitySetType.Font, ByteString.Empty)).FontSupportFlags);
    }

    [Fact]
    public void Bitmap_codecs_are_named_by_guid()
    {
        var codecs = new BitmapCodecsCapability(new[]
        {
            new BitmapCodec(BitmapCodec.NsCodec, 1, new ByteString(Hex("01 01 03"))),
            new BitmapCodec(BitmapCodec.RemoteFx, 3, ByteString.Empty),
        });
        byte[] body = Pdu.Encode(codecs);
        // CODEC_GUID_NSCODEC {0xCA8D1BB9, 0x000F, 0x154F, 0x58, 0x9F, ...} on the wire, little-endian first fields.
        Assert.Equal(Hex("02 b9 1b 8d ca 0f 00 4f 15 58 9f ae 2d 1a 87 e2 d6 01 03 00 01 01 03"), body[..23]);
        var set = CapabilitySet.From(codecs);
        Assert.Equal(codecs, Typed<BitmapCodecsCapability>(set));
        Assert.Contains(set.Describe(), f => f.Value.StartsWith("CODEC_GUID_NSCODEC", StringComparison.Ordinal));
        Assert.Contains(set.Describe(), f => f.Value.StartsWith("CODEC_GUID_REMOTEFX", StringComparison.Ordinal));
    }

    [Fact]
    public void Malformed_and_unknown_sets_describe_themselves_without_throwing()
    {
        var shortGeneral = new CapabilitySet(CapabilitySetType.General, new ByteString(Hex("01 00")));
        Assert.Contains(shortGeneral.Describe(), f => f.Name == "malformed" && f.Value.Contains("not enough bytes", StringComparison.Ordinal));
        var rail = new CapabilitySet(CapabilitySetType.Rail, new ByteString(Hex("00 00 00 00")));
        Assert.Contains(("lengthCapability", "8"), rail.Describe());
        Assert.Equal("CAPSTYPE_RAIL", CapabilityNames.Name(rail.Type));
        Assert.Equal("CAPSSETTYPE_FRAME_ACKNOWLEDGE", CapabilityNames.Name(CapabilitySetType.FrameAcknowledge));
    }

    [Fact]
    public void Every_capability_type_has_its_spec_name()
    {
        foreach (CapabilitySetType type in Enum.GetValues<CapabilitySetType>())
        {
            Assert.Matches("^(CAPSTYPE|CAPSETTYPE|CAPSSETTYPE)_", CapabilityNames.Name(type));
        }
    }

    [Fact]
    public void Client_capabilities_are_the_set_mstsc_sends_and_all_typed_ones_decode()
    {
        ValueList<CapabilitySet> sets = ClientCapabilities.Create(1920, 1080, 32);
        Assert.Equal(
            [
                CapabilitySetType.General, CapabilitySetType.Bitmap, CapabilitySetType.Order, CapabilitySetType.BitmapCacheRev2,
                CapabilitySetType.ColorCache, CapabilitySetType.Activation, CapabilitySetType.Control, CapabilitySetType.Pointer,
                CapabilitySetType.Share, CapabilitySetType.Input, CapabilitySetType.Sound, CapabilitySetType.Font,
                CapabilitySetType.GlyphCache, CapabilitySetType.Brush, CapabilitySetType.OffscreenCache, CapabilitySetType.VirtualChannel,
                CapabilitySetType.MultifragmentUpdate, CapabilitySetType.LargePointer, CapabilitySetType.SurfaceCommands,
                CapabilitySetType.FrameAcknowledge,
            ],
            sets.Select(s => s.Type));
        foreach (CapabilitySet set in sets)
        {
            Assert.True(set.Typed() is null or { IsSuccess: true }, $"{set.Type}: {set.Typed()}");
        }

        // Sizes the specification fixes (lengthCapability, header included).
        Assert.Equal(24, sets[0].Size);
        Assert.Equal(28, sets[1].Size);
        Assert.Equal(88, sets[2].Size);
        Assert.Equal(40, sets[3].Size);
        Assert.Equal(88, sets.Single(s => s.Type == CapabilitySetType.Input).Size);
        Assert.Equal(52, sets.Single(s => s.Type == CapabilitySetType.GlyphCache).Size);

        BitmapCapability bitmap = Typed<BitmapCapability>(sets[1]);
        Assert.Equal((1920, 1080, 32), (bitmap.DesktopWidth, bitmap.DesktopHeight, bitmap.PreferredBitsPerPixel));
        Assert.True(Typed<GeneralCapability>(sets[0]).ExtraFlags.HasFlag(GeneralExtraFlags.FastPathOutputSupported));
    }

    [Fact]
    public void Confirm_active_from_the_builder_round_trips_and_echoes_the_share()
    {
        DemandActivePdu demand = ServerCapabilities.CreateDemandActive(0x000103ea, ServerCapabilities.Create(1280, 720, 16));
        ConfirmActivePdu confirm = ClientCapabilities.CreateConfirmActive(demand, 1007, ClientCapabilities.Create(1280, 720, 16));
        Assert.Equal(0x03EA, confirm.OriginatorId);
        Assert.Equal(demand.ShareId, confirm.ShareId);
        foreach (byte[] bytes in new[] { Pdu.Encode(demand), Pdu.Encode(confirm) })
        {
            Assert.Equal(bytes.Length, bytes[0] | (bytes[1] << 8));
        }

        Assert.Equal(confirm, Pdu.Decode<ConfirmActivePdu>(Pdu.Encode(confirm)).Value);
        Assert.Equal(demand, Pdu.Decode<DemandActivePdu>(Pdu.Encode(demand)).Value);
        Assert.NotNull(demand.Find(CapabilitySetType.Share));
        Assert.Equal(0x03EA, Typed<ShareCapability>(demand.Find(CapabilitySetType.Share)!).NodeId);
    }

    [Fact]
    public void Builders_reject_impossible_desktops()
    {
        Assert.Throws<ArgumentException>(() => ClientCapabilities.Create(1024, 768, 12));
        Assert.Throws<ArgumentException>(() => ServerCapabilities.Create(10, 768, 32));
    }
}
