using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.1.13.1.1.1 <c>capabilitySetType</c> (CAPSTYPE_*, CAPSETTYPE_*).</summary>
public enum CapabilitySetType : ushort
{
    General = 0x0001,
    Bitmap = 0x0002,
    Order = 0x0003,
    BitmapCache = 0x0004,
    Control = 0x0005,
    Activation = 0x0007,
    Pointer = 0x0008,
    Share = 0x0009,
    ColorCache = 0x000A,
    Sound = 0x000C,
    Input = 0x000D,
    Font = 0x000E,
    Brush = 0x000F,
    GlyphCache = 0x0010,
    OffscreenCache = 0x0011,
    BitmapCacheHostSupport = 0x0012,
    BitmapCacheRev2 = 0x0013,
    VirtualChannel = 0x0014,
    DrawNineGridCache = 0x0015,
    DrawGdiPlus = 0x0016,
    Rail = 0x0017,
    Window = 0x0018,
    CompDesk = 0x0019,
    MultifragmentUpdate = 0x001A,
    LargePointer = 0x001B,
    SurfaceCommands = 0x001C,
    BitmapCodecs = 0x001D,

    /// <summary>MS-RDPRFX 2.2.1.3 CAPSETTYPE_FRAME_ACKNOWLEDGE.</summary>
    FrameAcknowledge = 0x001E,
}

/// <summary>The specification's names of capability set types.</summary>
public static class CapabilityNames
{
    public static string Name(CapabilitySetType type) => type switch
    {
        CapabilitySetType.General => "CAPSTYPE_GENERAL",
        CapabilitySetType.Bitmap => "CAPSTYPE_BITMAP",
        CapabilitySetType.Order => "CAPSTYPE_ORDER",
        CapabilitySetType.BitmapCache => "CAPSTYPE_BITMAPCACHE",
        CapabilitySetType.Control => "CAPSTYPE_CONTROL",
        CapabilitySetType.Activation => "CAPSTYPE_ACTIVATION",
        CapabilitySetType.Pointer => "CAPSTYPE_POINTER",
        CapabilitySetType.Share => "CAPSTYPE_SHARE",
        CapabilitySetType.ColorCache => "CAPSTYPE_COLORCACHE",
        CapabilitySetType.Sound => "CAPSTYPE_SOUND",
        CapabilitySetType.Input => "CAPSTYPE_INPUT",
        CapabilitySetType.Font => "CAPSTYPE_FONT",
        CapabilitySetType.Brush => "CAPSTYPE_BRUSH",
        CapabilitySetType.GlyphCache => "CAPSTYPE_GLYPHCACHE",
        CapabilitySetType.OffscreenCache => "CAPSTYPE_OFFSCREENCACHE",
        CapabilitySetType.BitmapCacheHostSupport => "CAPSTYPE_BITMAPCACHE_HOSTSUPPORT",
        CapabilitySetType.BitmapCacheRev2 => "CAPSTYPE_BITMAPCACHE_REV2",
        CapabilitySetType.VirtualChannel => "CAPSTYPE_VIRTUALCHANNEL",
        CapabilitySetType.DrawNineGridCache => "CAPSTYPE_DRAWNINEGRIDCACHE",
        CapabilitySetType.DrawGdiPlus => "CAPSTYPE_DRAWGDIPLUS",
        CapabilitySetType.Rail => "CAPSTYPE_RAIL",
        CapabilitySetType.Window => "CAPSTYPE_WINDOW",
        CapabilitySetType.CompDesk => "CAPSETTYPE_COMPDESK",
        CapabilitySetType.MultifragmentUpdate => "CAPSETTYPE_MULTIFRAGMENTUPDATE",
        CapabilitySetType.LargePointer => "CAPSETTYPE_LARGE_POINTER",
        CapabilitySetType.SurfaceCommands => "CAPSETTYPE_SURFACE_COMMANDS",
        CapabilitySetType.BitmapCodecs => "CAPSETTYPE_BITMAP_CODECS",
        CapabilitySetType.FrameAcknowledge => "CAPSSETTYPE_FRAME_ACKNOWLEDGE",
        _ => $"capabilitySetType 0x{(ushort)type:x4}",
    };

    /// <summary>Names of the set bits of <paramref name="value"/> per <paramref name="names"/>, plus any unnamed rest in hex.</summary>
    internal static string Flags(uint value, params (uint Bit, string Name)[] names)
    {
        List<string> parts = [];
        uint rest = value;
        foreach ((uint bit, string name) in names)
        {
            if (bit != 0 && (value & bit) == bit)
            {
                parts.Add(name);
                rest &= ~bit;
            }
        }

        if (rest != 0)
        {
            parts.Add($"0x{rest:x}");
        }

        return parts.Count == 0 ? "0" : $"0x{value:x} ({string.Join(" | ", parts)})";
    }
}

/// <summary>
/// A decoded capability set that can say what it means for a report. Each typed set (one file per set under
/// <c>Rdp/Capabilities/</c>) is the body only: the four-byte TS_CAPS_SET header is <see cref="CapabilitySet"/>'s.
/// Pad fields are written as zero and not kept, so a typed view of a set with non-zero padding re-encodes with
/// zeros; <see cref="CapabilitySet"/> keeps the exact bytes.
/// </summary>
public interface ICapability
{
    /// <summary>The capability set type this structure is carried under.</summary>
    CapabilitySetType Type { get; }

    /// <summary>(name, value) pairs of the fields a report should show.</summary>
    IEnumerable<(string Name, string Value)> Describe();
}

/// <summary>
/// MS-RDPBCGR 2.2.1.13.1.1.1 Capability Set (TS_CAPS_SET): <c>capabilitySetType</c>, <c>lengthCapability</c>
/// (including this 4-byte header) and the type-specific body, kept as bytes so any set round-trips exactly;
/// <see cref="Decode{T}"/> and <see cref="Describe"/> interpret the known ones.
/// </summary>
/// <seealso href="https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/d705c3b6-a392-4b32-9610-391f6af62323"/>
public sealed record CapabilitySet(CapabilitySetType Type, ByteString Body) : IPdu<CapabilitySet>
{
    public const int HeaderSize = 2 /* capabilitySetType */ + 2 /* lengthCapability */;

    public static string PduName => "Capability Set";

    public int Size => HeaderSize + Body.Length;

    /// <summary>Wraps a typed capability in its header.</summary>
    public static CapabilitySet From<T>(T capability) where T : IPdu<T>, ICapability =>
        new(capability.Type, new ByteString(Pdu.Encode(capability)));

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)Type);
        writer.WriteUInt16Le(ShareWire.Checked16(Size, "lengthCapability"));
        writer.WriteBytes(Body.Span);
    }

    public static DecodeResult<CapabilitySet> Decode(ref PduReader reader)
    {
        if (reader.Ensure(HeaderSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        var type = (CapabilitySetType)reader.ReadUInt16Le();
        ushort length = reader.ReadUInt16Le();
        if (length < HeaderSize)
        {
            return DecodeError.InvalidField(PduName, "lengthCapability", "smaller than the capability set header", start + 2, HeaderSize, length);
        }

        int bodyLength = length - HeaderSize;
        if (reader.Remaining < bodyLength)
        {
            return DecodeError.NotEnoughBytes(PduName, reader.Position, bodyLength, reader.Remaining);
        }

        return new CapabilitySet(type, new ByteString(reader.ReadBytes(bodyLength)));
    }

    /// <summary>Decodes the body as <typeparamref name="T"/>; the body must be exactly that structure.</summary>
    public DecodeResult<T> Decode<T>() where T : IPdu<T>, ICapability
    {
        DecodeResult<T> result = Pdu.Decode<T>(Body.Span);
        return result.IsSuccess ? result : ShareWire.Shift(result.Error, $"{PduName} {CapabilityNames.Name(Type)}", HeaderSize);
    }

    /// <summary>The typed view of this set, when its type is one this library decodes.</summary>
    public DecodeResult<ICapability>? Typed() => Type switch
    {
        CapabilitySetType.General => Cast(Decode<GeneralCapability>()),
        CapabilitySetType.Bitmap => Cast(Decode<BitmapCapability>()),
        CapabilitySetType.Order => Cast(Decode<OrderCapability>()),
        CapabilitySetType.BitmapCacheRev2 => Cast(Decode<BitmapCacheRev2Capability>()),
        CapabilitySetType.Pointer => Cast(Decode<PointerCapability>()),
        CapabilitySetType.Input => Cast(Decode<InputCapability>()),
        CapabilitySetType.VirtualChannel => Cast(Decode<VirtualChannelCapability>()),
        CapabilitySetType.Share => Cast(Decode<ShareCapability>()),
        CapabilitySetType.Font => Cast(Decode<FontCapability>()),
        CapabilitySetType.MultifragmentUpdate => Cast(Decode<MultifragmentUpdateCapability>()),
        CapabilitySetType.LargePointer => Cast(Decode<LargePointerCapability>()),
        CapabilitySetType.SurfaceCommands => Cast(Decode<SurfaceCommandsCapability>()),
        CapabilitySetType.BitmapCodecs => Cast(Decode<BitmapCodecsCapability>()),
        CapabilitySetType.FrameAcknowledge => Cast(Decode<FrameAcknowledgeCapability>()),
        CapabilitySetType.Brush => Cast(Decode<BrushCapability>()),
        CapabilitySetType.GlyphCache => Cast(Decode<GlyphCacheCapability>()),
        CapabilitySetType.OffscreenCache => Cast(Decode<OffscreenBitmapCacheCapability>()),
        CapabilitySetType.Sound => Cast(Decode<SoundCapability>()),
        CapabilitySetType.ColorCache => Cast(Decode<ColorCacheCapability>()),
        CapabilitySetType.BitmapCacheHostSupport => Cast(Decode<BitmapCacheHostSupportCapability>()),
        _ => (DecodeResult<ICapability>?)null,
    };

    /// <summary>
    /// (name, value) pairs for the timeline: the typed fields when the set is known and well formed, otherwise
    /// its length and leading bytes (and the decode error, when it is malformed).
    /// </summary>
    public IReadOnlyList<(string Name, string Value)> Describe()
    {
        DecodeResult<ICapability>? typed = Typed();
        if (typed is { IsSuccess: true } ok)
        {
            return ok.Value!.Describe().ToList();
        }

        List<(string Name, string Value)> fields = [("lengthCapability", Size.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        if (typed is { } failed)
        {
            fields.Add(("malformed", failed.Error.ToString()));
        }

        if (!Body.IsEmpty)
        {
            string hex = Convert.ToHexStringLower(Body.Span[..Math.Min(Body.Length, 32)]);
            fields.Add(("body", Body.Length <= 32 ? hex : $"{hex}…"));
        }

        return fields;
    }

    private static DecodeResult<ICapability> Cast<T>(DecodeResult<T> result) where T : ICapability =>
        result.IsSuccess ? DecodeResult<ICapability>.Success(result.Value!) : DecodeResult<ICapability>.Failure(result.Error);
}

/// <summary>Reads and writes the capability-set arrays of Demand Active and Confirm Active.</summary>
internal static class CapabilityList
{
    public static int Size(IReadOnlyList<CapabilitySet> sets) => sets.Sum(s => s.Size);

    public static void Encode(ref PduWriter writer, IReadOnlyList<CapabilitySet> sets)
    {
        foreach (CapabilitySet set in sets)
        {
            set.Encode(ref writer);
        }
    }

    /// <summary>
    /// Reads exactly <paramref name="count"/> sets that must fill <paramref name="region"/>; the count is bounded
    /// by the bytes (every set has a 4-byte header) before anything is allocated from it.
    /// </summary>
    public static DecodeError? Decode(ReadOnlySpan<byte> region, int regionOffset, int count, string context, out ValueList<CapabilitySet> sets)
    {
        sets = ValueList<CapabilitySet>.Empty;
        if (!(count <= region.Length / CapabilitySet.HeaderSize))
        {
            return DecodeError.InvalidField(context, "numberCapabilities", "more capability sets than the bytes can hold",
                regionOffset, region.Length / CapabilitySet.HeaderSize, count);
        }

        var list = new List<CapabilitySet>(count);
        var reader = new PduReader(region);
        for (int i = 0; i < count; i++)
        {
            DecodeResult<CapabilitySet> set = CapabilitySet.Decode(ref reader);
            if (!set.IsSuccess)
            {
                return ShareWire.Shift(set.Error, $"{context}: capabilitySets[{i}]", regionOffset);
            }

            list.Add(set.Value);
        }

        if (reader.Remaining != 0)
        {
            return DecodeError.InvalidField(context, "lengthCombinedCapabilities",
                $"{reader.Remaining} byte(s) left after numberCapabilities ({count}) sets", regionOffset + reader.Position);
        }

        sets = new ValueList<CapabilitySet>(list);
        return null;
    }
}
