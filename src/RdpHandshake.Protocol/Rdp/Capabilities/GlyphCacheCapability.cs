using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.1.8 Glyph Cache Capability Set (TS_GLYPHCACHE_CAPABILITYSET).</summary>
/// <remarks>GlyphCache: Ten TS_CACHE_DEFINITION values: CacheEntries in the low 16 bits, CacheMaximumCellSize in the high.</remarks>
/// <remarks>GlyphSupportLevel: GLYPH_SUPPORT_NONE 0, PARTIAL 1, FULL 2, ENCODE 3.</remarks>
public sealed record GlyphCacheCapability(ValueList<uint> GlyphCache, uint FragCache, ushort GlyphSupportLevel) : IPdu<GlyphCacheCapability>, ICapability
{
    public const int CacheCount = 10;

    public static string PduName => "TS_GLYPHCACHE_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.GlyphCache;

    public int Size => CacheCount * 4 /* GlyphCache */ + 4 /* FragCache */ + 2 /* GlyphSupportLevel */ + 2 /* pad2octets */;

    public void Encode(ref PduWriter writer)
    {
        if (GlyphCache.Count != CacheCount)
        {
            ThrowHelper.ThrowArgument(nameof(GlyphCache), "ten cache definitions");
        }

        foreach (uint entry in GlyphCache)
        {
            writer.WriteUInt32Le(entry);
        }

        writer.WriteUInt32Le(FragCache);
        writer.WriteUInt16Le(GlyphSupportLevel);
        writer.WriteZeros(2);
    }

    public static DecodeResult<GlyphCacheCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(CacheCount * 4 + 8, PduName) is { } missing)
        {
            return missing;
        }

        uint[] caches = new uint[CacheCount];
        for (int i = 0; i < caches.Length; i++)
        {
            caches[i] = reader.ReadUInt32Le();
        }

        uint frag = reader.ReadUInt32Le();
        ushort level = reader.ReadUInt16Le();
        reader.Skip(2);
        return new GlyphCacheCapability(caches, frag, level);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("GlyphSupportLevel", GlyphSupportLevel switch
        {
            0 => "GLYPH_SUPPORT_NONE",
            1 => "GLYPH_SUPPORT_PARTIAL",
            2 => "GLYPH_SUPPORT_FULL",
            3 => "GLYPH_SUPPORT_ENCODE",
            _ => CapabilityText.Dec(GlyphSupportLevel),
        });
    }
}
