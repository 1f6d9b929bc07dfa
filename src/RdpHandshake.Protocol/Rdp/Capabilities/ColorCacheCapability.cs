using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>
/// MS-RDPEGDI 2.2.1.1 Color Table Cache Capability Set (TS_COLORTABLECACHE_CAPABILITYSET), carried in Demand and
/// Confirm Active as CAPSTYPE_COLORCACHE (MS-RDPBCGR 2.2.1.13.1.1.1).
/// </summary>
public sealed record ColorCacheCapability(ushort ColorTableCacheSize = 6) : IPdu<ColorCacheCapability>, ICapability
{
    public static string PduName => "TS_COLORTABLECACHE_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.ColorCache;

    public int Size => 2 /* colorTableCacheSize */ + 2 /* pad2octets */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(ColorTableCacheSize);
        writer.WriteZeros(2);
    }

    public static DecodeResult<ColorCacheCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        ushort size = reader.ReadUInt16Le();
        reader.Skip(2);
        return new ColorCacheCapability(size);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("colorTableCacheSize", CapabilityText.Dec(ColorTableCacheSize));
    }
}
