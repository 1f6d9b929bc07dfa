using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.2.9 Surface Commands Capability Set (TS_SURFCMDS_CAPABILITYSET).</summary>
public sealed class SurfaceCommandsCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active.</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new SurfaceCommandsCapability(SurfaceCommandsCapability.SetSurfaceBits | SurfaceCommandsCapability.FrameMarker | SurfaceCommandsCapability.StreamSurfaceBits),
            Hex(
                "1c 00 0c 00" // capabilitySetType CAPSETTYPE_SURFACE_COMMANDS (28), lengthCapability 12
                + "52 00 00 00" // cmdFlags: SURFCMDS_SETSURFACEBITS | SURFCMDS_FRAMEMARKER | SURFCMDS_STREAMSURFACEBITS
                + "00 00 00 00"), // reserved
            CapabilityVector.Xrdp);
}
