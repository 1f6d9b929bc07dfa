using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.2.7 Large Pointer Capability Set (TS_LARGE_POINTER_CAPABILITYSET).</summary>
public sealed class LargePointerCapabilityTests
{
    /// <summary>Vector: the set in the shadow server's Demand Active (xrdp sends none).</summary>
    [Fact]
    public void Shadow_server_demand_active_vector() =>
        CapabilityVector.Check(
            new LargePointerCapability(0x0003),
            Hex(
                "1b 00 06 00" // capabilitySetType CAPSETTYPE_LARGE_POINTER (27), lengthCapability 6
                + "03 00"), // largePointerSupportFlags: LARGE_POINTER_FLAG_96x96 | LARGE_POINTER_FLAG_384x384
            CapabilityVector.Shadow);
}
