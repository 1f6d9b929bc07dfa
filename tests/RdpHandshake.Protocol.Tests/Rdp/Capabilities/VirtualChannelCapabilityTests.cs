using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.1.10 Virtual Channel Capability Set (TS_VIRTUALCHANNEL_CAPABILITYSET).</summary>
public sealed class VirtualChannelCapabilityTests
{
    /// <summary>Vector: the set in the shadow server's Demand Active (xrdp sends none).</summary>
    [Fact]
    public void Shadow_server_demand_active_vector() =>
        CapabilityVector.Check(
            new VirtualChannelCapability(0, 1600),
            Hex(
                "14 00 0c 00" // capabilitySetType CAPSTYPE_VIRTUALCHANNEL (20), lengthCapability 12
                + "00 00 00 00" // flags: VCCAPS_NO_COMPR
                + "40 06 00 00"), // VCChunkSize: 1600
            CapabilityVector.Shadow);

    [Fact]
    public void The_four_byte_form_without_a_chunk_size_re_encodes_as_it_came() =>
        CodecAssert.Vector(new VirtualChannelCapability(1, null), Hex("01 00 00 00"));
}
