using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.1.1 General Capability Set (TS_GENERAL_CAPABILITYSET).</summary>
public sealed class GeneralCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active (the spec's 4.1.12 dump is encrypted where it shows).</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new GeneralCapability(OsMajorType.Windows, OsMinorType.WindowsNt, GeneralExtraFlags.FastPathOutputSupported | GeneralExtraFlags.NoBitmapCompressionHdr, 1, 1),
            Hex(
                "01 00 18 00" // capabilitySetType CAPSTYPE_GENERAL (1), lengthCapability 24
                + "01 00" // osMajorType: OSMAJORTYPE_WINDOWS
                + "03 00" // osMinorType: OSMINORTYPE_WINDOWS_NT
                + "00 02" // protocolVersion: TS_CAPS_PROTOCOLVERSION (0x0200)
                + "00 00" // pad2octetsA
                + "00 00" // generalCompressionTypes: 0
                + "01 04" // extraFlags: FASTPATH_OUTPUT_SUPPORTED | NO_BITMAP_COMPRESSION_HDR
                + "00 00" // updateCapabilityFlag: 0
                + "00 00" // remoteUnshareFlag: 0
                + "00 00" // generalCompressionLevel: 0
                + "01" // refreshRectSupport: TRUE
                + "01"), // suppressOutputSupport: TRUE
            CapabilityVector.Xrdp);
}
