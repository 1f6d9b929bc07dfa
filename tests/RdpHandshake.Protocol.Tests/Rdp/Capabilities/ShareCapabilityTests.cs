using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.2.4 Share Capability Set (TS_SHARE_CAPABILITYSET).</summary>
public sealed class ShareCapabilityTests
{
    /// <summary>Vector: the set in the shadow server's Demand Active (xrdp's pad is not zero, see the next test).</summary>
    [Fact]
    public void Shadow_server_demand_active_vector() =>
        CapabilityVector.Check(
            new ShareCapability(0x03EA),
            Hex(
                "09 00 08 00" // capabilitySetType CAPSTYPE_SHARE (9), lengthCapability 8
                + "ea 03" // nodeId: 0x03ea, the server channel
                + "00 00"), // pad2octets
            CapabilityVector.Shadow);

    [Fact]
    public void Xrdp_pad_is_read_past_and_written_as_zero()
    {
        byte[] set = Hex("09 00 08 00 ec 03 b5 e2"); // nodeId 0x03ec, pad2octets 0xe2b5
        Assert.True(Corpus("session", CapabilityVector.Xrdp).AsSpan().IndexOf(set) >= 0);
        CapabilitySet container = Pdu.Decode<CapabilitySet>(set).Value!;
        Assert.Equal(new ShareCapability(0x03EC), container.Decode<ShareCapability>().Value);
        Assert.Equal(set, Pdu.Encode(container));
        Assert.Equal(Hex("09 00 08 00 ec 03 00 00"), Pdu.Encode(CapabilitySet.From(new ShareCapability(0x03EC))));
    }
}
