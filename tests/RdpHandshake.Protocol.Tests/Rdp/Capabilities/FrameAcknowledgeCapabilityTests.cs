using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>
/// MS-RDPRFX 2.2.1.3 Frame Acknowledge Capability Set (TS_FRAME_ACKNOWLEDGE_CAPABILITYSET), carried as
/// CAPSETTYPE_FRAME_ACKNOWLEDGE (MS-RDPBCGR 2.2.1.13.1.1.1).
/// </summary>
public sealed class FrameAcknowledgeCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active.</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new FrameAcknowledgeCapability(2),
            Hex(
                "1e 00 08 00" // capabilitySetType CAPSETTYPE_FRAME_ACKNOWLEDGE (30), lengthCapability 8
                + "02 00 00 00"), // maxUnacknowledgedFrameCount: 2
            CapabilityVector.Xrdp);
}
