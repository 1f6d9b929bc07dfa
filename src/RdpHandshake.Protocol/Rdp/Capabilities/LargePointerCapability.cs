using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.2.7 Large Pointer Capability Set (TS_LARGE_POINTER_CAPABILITYSET).</summary>
public sealed record LargePointerCapability(ushort LargePointerSupportFlags) : IPdu<LargePointerCapability>, ICapability
{
    public const int FixedPartSize = 2 /* largePointerSupportFlags */;

    public static string PduName => "TS_LARGE_POINTER_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.LargePointer;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer) => writer.WriteUInt16Le(LargePointerSupportFlags);

    public static DecodeResult<LargePointerCapability> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing ? missing : new LargePointerCapability(reader.ReadUInt16Le());

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("largePointerSupportFlags", CapabilityNames.Flags(LargePointerSupportFlags,
            (0x1, "LARGE_POINTER_FLAG_96x96"), (0x2, "LARGE_POINTER_FLAG_384x384")));
    }
}
