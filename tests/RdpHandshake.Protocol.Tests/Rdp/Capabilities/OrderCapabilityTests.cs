using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.1.3 Order Capability Set (TS_ORDER_CAPABILITYSET).</summary>
public sealed class OrderCapabilityTests
{
    /// <summary>
    /// Vector: the set in the shadow server's Demand Active. xrdp's carries non-zero pad fields, which the typed
    /// view does not keep (see the next test), so it cannot be a byte-for-byte vector.
    /// </summary>
    [Fact]
    public void Shadow_server_demand_active_vector() =>
        CapabilityVector.Check(
            new OrderCapability(
                OrderFlags: OrderCapability.NegotiateOrderSupport | OrderCapability.ZeroBoundsDeltasSupport | OrderCapability.ColorIndexSupport | OrderCapability.OrderFlagsExtraFlags,
                OrderSupport: new ByteString(Hex("01 01 01 00 00 00 00 00 01 00 01 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 00 00")),
                TextAnsiCodePage: 0,
                DesktopSaveSize: 0x38400,
                OrderSupportExFlags: 0x0006,
                TextFlags: 0,
                NumberFonts: 0,
                MaximumOrderLevel: 1,
                DesktopSaveXGranularity: 1,
                DesktopSaveYGranularity: 20),
            Hex(
                "03 00 58 00" // capabilitySetType CAPSTYPE_ORDER (3), lengthCapability 88
                + "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" // terminalDescriptor: zeros
                + "00 00 00 00" // pad4octetsA
                + "01 00" // desktopSaveXGranularity: 1
                + "14 00" // desktopSaveYGranularity: 20
                + "00 00" // pad2octetsA
                + "01 00" // maximumOrderLevel: ORD_LEVEL_1_ORDERS
                + "00 00" // numberFonts: 0
                + "aa 00" // orderFlags: NEGOTIATEORDERSUPPORT | ZEROBOUNDSDELTASSUPPORT | COLORINDEXSUPPORT | ORDERFLAGS_EXTRA_FLAGS
                + "01 01 01 00 00 00 00 00 01 00 01 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 00 00" // orderSupport: indices 0x00-0x02, 0x08, 0x0a, 0x12, 0x16
                + "00 00" // textFlags: 0
                + "06 00" // orderSupportExFlags: CACHE_BITMAP_REV3_SUPPORT | ALTSEC_FRAME_MARKER_SUPPORT
                + "00 00 00 00" // pad4octetsB
                + "00 84 03 00" // desktopSaveSize: 230400
                + "00 00" // pad2octetsC
                + "00 00" // pad2octetsD
                + "00 00" // textANSICodePage: 0
                + "00 00"), // pad2octetsE
            CapabilityVector.Shadow);

    [Fact]
    public void Xrdp_pad_fields_are_read_past_and_written_as_zero()
    {
        // xrdp's set: pad4octetsA and pad4octetsB hold 1000000 (its desktopSaveSize), pad2octetsC holds 1.
        byte[] set = Hex(
            "03 00 58 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 40 42 0f 00 01 00 14 00 00 00 01 00 2f 00 22 00"
            + "01 01 01 01 00 00 00 00 01 00 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 01 00 00 00 00"
            + "a1 06 02 00 40 42 0f 00 40 42 0f 00 01 00 00 00 00 00 00 00");
        Assert.True(Corpus("session", CapabilityVector.Xrdp).AsSpan().IndexOf(set) >= 0);
        CapabilitySet container = Pdu.Decode<CapabilitySet>(set).Value!;
        OrderCapability order = container.Decode<OrderCapability>().Value!;
        Assert.Equal((47, (ushort)0x22, 1_000_000u), (order.NumberFonts, order.OrderFlags, order.DesktopSaveSize));
        Assert.Equal(set, Pdu.Encode(container));
        byte[] rewritten = Pdu.Encode(CapabilitySet.From(order));
        Assert.Equal(Hex("00 00 00 00"), rewritten[20..24]);
        Assert.Equal(set[24..72], rewritten[24..72]);
    }
}
