using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.2.1 Bitmap Cache Host Support Capability Set (TS_BITMAPCACHE_HOSTSUPPORT_CAPABILITYSET).</summary>
/// <remarks>CacheVersion: TS_BITMAPCACHE_REV2 (1).</remarks>
public sealed record BitmapCacheHostSupportCapability(byte CacheVersion = 1) : IPdu<BitmapCacheHostSupportCapability>, ICapability
{
    public static string PduName => "TS_BITMAPCACHE_HOSTSUPPORT_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.BitmapCacheHostSupport;

    public int Size => 1 /* cacheVersion */ + 1 /* pad1 */ + 2 /* pad2 */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(CacheVersion);
        writer.WriteZeros(3);
    }

    public static DecodeResult<BitmapCacheHostSupportCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        byte version = reader.ReadByte();
        reader.Skip(3);
        return new BitmapCacheHostSupportCapability(version);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("cacheVersion", CacheVersion == 1 ? "TS_BITMAPCACHE_REV2" : CapabilityText.Dec(CacheVersion));
    }
}
