using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.1.2 Bitmap Capability Set (TS_BITMAP_CAPABILITYSET).</summary>
public sealed class BitmapCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active.</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new BitmapCapability(24, 1024, 768, DesktopResizeFlag: 1, DrawingFlags: 0, Receive1BitPerPixel: 1, Receive4BitsPerPixel: 1,
                Receive8BitsPerPixel: 1, BitmapCompressionFlag: 1, HighColorFlags: 0, MultipleRectangleSupport: 0),
            Hex(
                "02 00 1c 00" // capabilitySetType CAPSTYPE_BITMAP (2), lengthCapability 28
                + "18 00" // preferredBitsPerPixel: 24
                + "01 00" // receive1BitPerPixel: 1
                + "01 00" // receive4BitsPerPixel: 1
                + "01 00" // receive8BitsPerPixel: 1
                + "00 04" // desktopWidth: 1024
                + "00 03" // desktopHeight: 768
                + "00 00" // pad2octets
                + "01 00" // desktopResizeFlag: TRUE
                + "01 00" // bitmapCompressionFlag: TRUE
                + "00" // highColorFlags: 0
                + "00" // drawingFlags: 0
                + "00 00" // multipleRectangleSupport: FALSE
                + "00 00"), // pad2octetsB
            CapabilityVector.Xrdp);
}
