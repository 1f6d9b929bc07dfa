using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.1.9 Offscreen Bitmap Cache Capability Set (TS_OFFSCREEN_CAPABILITYSET).</summary>
public sealed record OffscreenBitmapCacheCapability(uint OffscreenSupportLevel, ushort OffscreenCacheSize, ushort OffscreenCacheEntries)
    : IPdu<OffscreenBitmapCacheCapability>, ICapability
{
    public static string PduName => "TS_OFFSCREEN_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.OffscreenCache;

    public int Size => 4 /* offscreenSupportLevel */ + 2 /* offscreenCacheSize */ + 2 /* offscreenCacheEntries */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(OffscreenSupportLevel);
        writer.WriteUInt16Le(OffscreenCacheSize);
        writer.WriteUInt16Le(OffscreenCacheEntries);
    }

    public static DecodeResult<OffscreenBitmapCacheCapability> Decode(ref PduReader reader) =>
        reader.Ensure(8, PduName) is { } missing
            ? missing
            : new OffscreenBitmapCacheCapability(reader.ReadUInt32Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le());

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("offscreenSupportLevel", CapabilityText.Dec(OffscreenSupportLevel));
        yield return ("offscreenCacheSize", $"{OffscreenCacheSize} KB");
        yield return ("offscreenCacheEntries", CapabilityText.Dec(OffscreenCacheEntries));
    }
}
