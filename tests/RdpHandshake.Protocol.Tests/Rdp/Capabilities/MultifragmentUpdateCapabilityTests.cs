using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.2.6 Multifragment Update Capability Set (TS_MULTIFRAGMENTUPDATE_CAPABILITYSET).</summary>
public sealed class MultifragmentUpdateCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active.</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new MultifragmentUpdateCapability(0x00304000),
            Hex(
                "1a 00 08 00" // capabilitySetType CAPSETTYPE_MULTIFRAGMENTUPDATE (26), lengthCapability 8
                + "00 40 30 00"), // MaxRequestSize: 3162112 (1024 x 768 x 4, plus 16 KiB)
            CapabilityVector.Xrdp);
}
