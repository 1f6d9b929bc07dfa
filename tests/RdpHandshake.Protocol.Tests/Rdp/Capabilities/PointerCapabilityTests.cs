using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.1.5 Pointer Capability Set (TS_POINTER_CAPABILITYSET).</summary>
public sealed class PointerCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active.</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new PointerCapability(1, 25, 25),
            Hex(
                "08 00 0a 00" // capabilitySetType CAPSTYPE_POINTER (8), lengthCapability 10
                + "01 00" // colorPointerFlag: TRUE
                + "19 00" // colorPointerCacheSize: 25
                + "19 00"), // pointerCacheSize: 25
            CapabilityVector.Xrdp);

    [Fact]
    public void The_four_byte_form_without_pointer_cache_size_re_encodes_as_it_came() =>
        CodecAssert.Vector(new PointerCapability(1, 20, null), Hex("01 00 14 00"));
}
