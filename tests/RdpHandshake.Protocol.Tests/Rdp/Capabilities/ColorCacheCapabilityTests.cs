using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>
/// MS-RDPEGDI 2.2.1.1 Color Table Cache Capability Set (TS_COLORTABLECACHE_CAPABILITYSET), carried as
/// CAPSTYPE_COLORCACHE (MS-RDPBCGR 2.2.1.13.1.1.1).
/// </summary>
public sealed class ColorCacheCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active.</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new ColorCacheCapability(6),
            Hex(
                "0a 00 08 00" // capabilitySetType CAPSTYPE_COLORCACHE (10), lengthCapability 8
                + "06 00" // colorTableCacheSize: 6
                + "00 00"), // pad2octets
            CapabilityVector.Xrdp);
}
