using FsCheck.Xunit;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.2.1 Bitmap Cache Host Support Capability Set (TS_BITMAPCACHE_HOSTSUPPORT_CAPABILITYSET).</summary>
public sealed class BitmapCacheHostSupportCapabilityTests
{
    /// <summary>
    /// Property, no vector: the captures in the corpus are the Demand Actives of xrdp and the shadow server, and
    /// this is a server set neither server sent. Any valid value decodes back to itself, inside its TS_CAPS_SET too, and every
    /// strict prefix is rejected.
    /// </summary>
    [Property(Arbitrary = [typeof(CapabilityArbitraries)], MaxTest = 200)]
    public bool Round_trips(BitmapCacheHostSupportCapability set) =>
        CodecAssert.RoundTrips(set) && CodecAssert.EveryStrictPrefixIsRejected(set) && CodecAssert.RoundTrips(CapabilitySet.From(set));
}
