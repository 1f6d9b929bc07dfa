using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.2.5 Font Capability Set (TS_FONT_CAPABILITYSET).</summary>
public sealed class FontCapabilityTests
{
    /// <summary>Vector: the set in the shadow server's Demand Active.</summary>
    [Fact]
    public void Shadow_server_demand_active_vector() =>
        CapabilityVector.Check(
            new FontCapability(FontCapability.FontSupportFontList),
            Hex(
                "0e 00 08 00" // capabilitySetType CAPSTYPE_FONT (14), lengthCapability 8
                + "01 00" // fontSupportFlags: FONTSUPPORT_FONTLIST
                + "00 00"), // pad2octets
            CapabilityVector.Shadow);

    /// <summary>Vector: xrdp's set, the header alone: fontSupportFlags is absent, and re-encodes absent.</summary>
    [Fact]
    public void Xrdp_demand_active_vector_of_the_header_alone() =>
        CapabilityVector.Check(
            new FontCapability((ushort?)null),
            Hex("0e 00 04 00"), // capabilitySetType CAPSTYPE_FONT (14), lengthCapability 4: no body
            CapabilityVector.Xrdp);
}
