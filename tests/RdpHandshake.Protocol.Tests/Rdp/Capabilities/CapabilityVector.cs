using System.Buffers.Binary;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>
/// The check every capability-set vector shares: the set, TS_CAPS_SET header included, is a slice of a captured
/// Demand Active in the fuzz corpus; its typed body decodes to the value, encodes to the bytes and has their
/// length as its Size; and the set with its header does the same.
/// </summary>
internal static class CapabilityVector
{
    /// <summary>xrdp 0.9's Demand Active (TLS, 1024x768), after its licensing PDU.</summary>
    public const string Xrdp = "xrdp-valid-client-then-demand-active";

    /// <summary>FreeRDP 2's shadow server's Demand Active.</summary>
    public const string Shadow = "shadow-demand-active";

    public static void Check<T>(T expected, byte[] set, string capture) where T : IPdu<T>, ICapability
    {
        Assert.True(HexVectors.Corpus("session", capture).AsSpan().IndexOf(set) >= 0, $"the bytes are not in fuzz/corpus/session/{capture}");
        Assert.Equal((ushort)expected.Type, BinaryPrimitives.ReadUInt16LittleEndian(set));
        CodecAssert.Vector(expected, set[CapabilitySet.HeaderSize..]);
        CodecAssert.Vector(CapabilitySet.From(expected), set);
    }
}
