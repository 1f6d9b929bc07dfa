using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.1.4.2 Revision 2 Bitmap Cache Capability Set (TS_BITMAPCACHE_CAPABILITYSET_REV2).</summary>
/// <remarks>CellInfo: Five TS_BITMAPCACHE_CELL_CACHE_INFO values: numEntries in bits 0-30, k (persistent) in bit 31.</remarks>
public sealed record BitmapCacheRev2Capability(ushort CacheFlags, byte NumCellCaches, ValueList<uint> CellInfo) : IPdu<BitmapCacheRev2Capability>, ICapability
{
    public const int CellCacheCount = 5;

    public const int FixedPartSize = 2 /* CacheFlags */ + 1 /* Pad2 */ + 1 /* NumCellCaches */ + CellCacheCount * 4 /* BitmapCache0..4CellInfo */ + 12 /* Pad3 */;

    public static string PduName => "TS_BITMAPCACHE_CAPABILITYSET_REV2";

    public CapabilitySetType Type => CapabilitySetType.BitmapCacheRev2;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        if (CellInfo.Count != CellCacheCount)
        {
            ThrowHelper.ThrowArgument(nameof(CellInfo), "five cell cache infos");
        }

        writer.WriteUInt16Le(CacheFlags);
        writer.WriteByte(0);
        writer.WriteByte(NumCellCaches);
        foreach (uint info in CellInfo)
        {
            writer.WriteUInt32Le(info);
        }

        writer.WriteZeros(12);
    }

    public static DecodeResult<BitmapCacheRev2Capability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ushort flags = reader.ReadUInt16Le();
        reader.Skip(1);
        byte count = reader.ReadByte();
        uint[] cells = new uint[CellCacheCount];
        for (int i = 0; i < cells.Length; i++)
        {
            cells[i] = reader.ReadUInt32Le();
        }

        reader.Skip(12);
        return new BitmapCacheRev2Capability(flags, count, cells);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("CacheFlags", CapabilityNames.Flags(CacheFlags, (0x0001, "PERSISTENT_KEYS_EXPECTED_FLAG"), (0x0002, "ALLOW_CACHE_WAITING_LIST_FLAG")));
        yield return ("NumCellCaches", CapabilityText.Dec(NumCellCaches));
        yield return ("cellEntries", string.Join(",", CellInfo.Take(NumCellCaches).Select(c => CapabilityText.Dec(c & 0x7FFFFFFF))));
    }
}
