using FsCheck;
using FsCheck.Fluent;
using RdpHandshake.Protocol.Rdp;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>Generators of spec-valid capability sets for those no capture in the corpus carries.</summary>
public static class CapabilityArbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ushort> UInt16 => Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    public static Arbitrary<BitmapCacheRev2Capability> BitmapCacheRev2() =>
        (from flags in UInt16
         from count in Gen.Choose(0, BitmapCacheRev2Capability.CellCacheCount).Select(n => (byte)n)
         from cells in Gen.ArrayOf(UInt32, BitmapCacheRev2Capability.CellCacheCount)
         select new BitmapCacheRev2Capability(flags, count, cells)).ToArbitrary();

    public static Arbitrary<BrushCapability> Brush() => UInt32.Select(level => new BrushCapability(level)).ToArbitrary();

    public static Arbitrary<GlyphCacheCapability> GlyphCache() =>
        (from caches in Gen.ArrayOf(UInt32, GlyphCacheCapability.CacheCount)
         from frag in UInt32
         from level in UInt16
         select new GlyphCacheCapability(caches, frag, level)).ToArbitrary();

    public static Arbitrary<OffscreenBitmapCacheCapability> OffscreenBitmapCache() =>
        (from level in UInt32 from size in UInt16 from entries in UInt16 select new OffscreenBitmapCacheCapability(level, size, entries)).ToArbitrary();

    public static Arbitrary<SoundCapability> Sound() => UInt16.Select(flags => new SoundCapability(flags)).ToArbitrary();

    public static Arbitrary<BitmapCacheHostSupportCapability> BitmapCacheHostSupport() =>
        Byte.Select(version => new BitmapCacheHostSupportCapability(version)).ToArbitrary();
}
