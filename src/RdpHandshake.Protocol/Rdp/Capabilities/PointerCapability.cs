using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.1.5 Pointer Capability Set (TS_POINTER_CAPABILITYSET).</summary>
/// <remarks>PointerCacheSize: Absent in the 4-byte body older peers send.</remarks>
public sealed record PointerCapability(ushort ColorPointerFlag, ushort ColorPointerCacheSize, ushort? PointerCacheSize) : IPdu<PointerCapability>, ICapability
{
    public const int FixedPartSize = 2 /* colorPointerFlag */ + 2 /* colorPointerCacheSize */;

    public static string PduName => "TS_POINTER_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Pointer;

    public int Size => FixedPartSize + (PointerCacheSize is null ? 0 : 2 /* pointerCacheSize */);

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(ColorPointerFlag);
        writer.WriteUInt16Le(ColorPointerCacheSize);
        if (PointerCacheSize is { } size)
        {
            writer.WriteUInt16Le(size);
        }
    }

    public static DecodeResult<PointerCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ushort flag = reader.ReadUInt16Le();
        ushort color = reader.ReadUInt16Le();
        ushort? cache = reader.Remaining >= 2 ? reader.ReadUInt16Le() : null;
        return new PointerCapability(flag, color, cache);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("colorPointerFlag", CapabilityText.Dec(ColorPointerFlag));
        yield return ("colorPointerCacheSize", CapabilityText.Dec(ColorPointerCacheSize));
        if (PointerCacheSize is { } size)
        {
            yield return ("pointerCacheSize", CapabilityText.Dec(size));
        }
    }
}
