using System.Globalization;
using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

// Typed bodies of the capability sets a report shows and a client or server sends. Each is the body only (the
// 4-byte TS_CAPS_SET header is CapabilitySet's); pad fields are written as zero and not kept, so a typed view
// of a set with non-zero padding re-encodes with zeros: CapabilitySet keeps the exact bytes.

/// <summary>MS-RDPBCGR 2.2.7.1.1 <c>osMajorType</c>.</summary>
public enum OsMajorType : ushort
{
    Unspecified = 0, Windows = 1, Os2 = 2, Macintosh = 3, Unix = 4, Ios = 5, OsX = 6, Android = 7, ChromeOs = 8,
}

/// <summary>MS-RDPBCGR 2.2.7.1.1 <c>osMinorType</c>.</summary>
public enum OsMinorType : ushort
{
    Unspecified = 0, Windows31X = 1, Windows95 = 2, WindowsNt = 3, Os2V21 = 4, PowerPc = 5, Macintosh = 6,
    NativeXServer = 7, PseudoXServer = 8, WindowsRt = 9,
}

/// <summary>MS-RDPBCGR 2.2.7.1.1 <c>extraFlags</c>.</summary>
[Flags]
public enum GeneralExtraFlags : ushort
{
    None = 0,
    FastPathOutputSupported = 0x0001,
    LongCredentialsSupported = 0x0004,
    AutoReconnectSupported = 0x0008,
    EncSaltedChecksum = 0x0010,
    NoBitmapCompressionHdr = 0x0400,
}

internal static class CapabilityText
{
    public static string Dec(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Hex(uint value) => $"0x{value:x}";

    /// <summary>A fixed-size, NUL-padded UTF-16LE field as text (up to the first NUL).</summary>
    public static string Utf16Fixed(ReadOnlySpan<byte> field)
    {
        string text = System.Text.Encoding.Unicode.GetString(field[..(field.Length & ~1)]);
        int nul = text.IndexOf('\0', StringComparison.Ordinal);
        return nul < 0 ? text : text[..nul];
    }

    /// <summary>Writes <paramref name="text"/> as UTF-16LE into exactly <paramref name="size"/> bytes, NUL-padded.</summary>
    public static void WriteUtf16Fixed(ref PduWriter writer, string text, int size)
    {
        byte[] bytes = System.Text.Encoding.Unicode.GetBytes(text);
        if (!(bytes.Length < size))
        {
            ThrowHelper.ThrowArgument(nameof(text), $"'{text}' does not fit in {size} bytes with its terminator");
        }

        writer.WriteBytes(bytes);
        writer.WriteZeros(size - bytes.Length);
    }
}

/// <summary>MS-RDPBCGR 2.2.7.1.1 General Capability Set (TS_GENERAL_CAPABILITYSET).</summary>
/// <remarks>RefreshRectSupport: Absent in the 18-byte body of early RDP versions.</remarks>
/// <remarks>SuppressOutputSupport: Absent in the 18-byte body of early RDP versions.</remarks>
public sealed record GeneralCapability(
    OsMajorType OsMajorType,
    OsMinorType OsMinorType,
    GeneralExtraFlags ExtraFlags,
    byte? RefreshRectSupport = 1,
    byte? SuppressOutputSupport = 1,
    ushort ProtocolVersion = GeneralCapability.TsCapsProtocolVersion,
    ushort GeneralCompressionTypes = 0,
    ushort UpdateCapabilityFlag = 0,
    ushort RemoteUnshareFlag = 0,
    ushort GeneralCompressionLevel = 0) : IPdu<GeneralCapability>, ICapability
{
    /// <summary>TS_CAPS_PROTOCOLVERSION.</summary>
    public const ushort TsCapsProtocolVersion = 0x0200;

    public const int FixedPartSize = 2 /* osMajorType */ + 2 /* osMinorType */ + 2 /* protocolVersion */ + 2 /* pad2octetsA */
        + 2 /* generalCompressionTypes */ + 2 /* extraFlags */ + 2 /* updateCapabilityFlag */ + 2 /* remoteUnshareFlag */
        + 2 /* generalCompressionLevel */;

    public static string PduName => "TS_GENERAL_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.General;

    public int Size => FixedPartSize + (RefreshRectSupport is null ? 0 : 1 /* refreshRectSupport */ + 1 /* suppressOutputSupport */);

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)OsMajorType);
        writer.WriteUInt16Le((ushort)OsMinorType);
        writer.WriteUInt16Le(ProtocolVersion);
        writer.WriteZeros(2);
        writer.WriteUInt16Le(GeneralCompressionTypes);
        writer.WriteUInt16Le((ushort)ExtraFlags);
        writer.WriteUInt16Le(UpdateCapabilityFlag);
        writer.WriteUInt16Le(RemoteUnshareFlag);
        writer.WriteUInt16Le(GeneralCompressionLevel);
        if (RefreshRectSupport is { } refresh)
        {
            writer.WriteByte(refresh);
            writer.WriteByte(SuppressOutputSupport ?? 0);
        }
    }

    public static DecodeResult<GeneralCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var major = (OsMajorType)reader.ReadUInt16Le();
        var minor = (OsMinorType)reader.ReadUInt16Le();
        ushort version = reader.ReadUInt16Le();
        reader.Skip(2);
        ushort compressionTypes = reader.ReadUInt16Le();
        var extra = (GeneralExtraFlags)reader.ReadUInt16Le();
        ushort update = reader.ReadUInt16Le();
        ushort unshare = reader.ReadUInt16Le();
        ushort level = reader.ReadUInt16Le();
        byte? refresh = null, suppress = null;
        if (reader.Remaining >= 2)
        {
            refresh = reader.ReadByte();
            suppress = reader.ReadByte();
        }

        return new GeneralCapability(major, minor, extra, refresh, suppress, version, compressionTypes, update, unshare, level);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("osMajorType", $"{(ushort)OsMajorType} ({OsMajorName(OsMajorType)})");
        yield return ("osMinorType", $"{(ushort)OsMinorType} ({OsMinorName(OsMinorType)})");
        yield return ("protocolVersion", CapabilityText.Hex(ProtocolVersion));
        yield return ("extraFlags", CapabilityNames.Flags((uint)ExtraFlags,
            ((uint)GeneralExtraFlags.FastPathOutputSupported, "FASTPATH_OUTPUT_SUPPORTED"),
            ((uint)GeneralExtraFlags.LongCredentialsSupported, "LONG_CREDENTIALS_SUPPORTED"),
            ((uint)GeneralExtraFlags.AutoReconnectSupported, "AUTORECONNECT_SUPPORTED"),
            ((uint)GeneralExtraFlags.EncSaltedChecksum, "ENC_SALTED_CHECKSUM"),
            ((uint)GeneralExtraFlags.NoBitmapCompressionHdr, "NO_BITMAP_COMPRESSION_HDR")));
        if (RefreshRectSupport is { } refresh)
        {
            yield return ("refreshRectSupport", CapabilityText.Dec(refresh));
            yield return ("suppressOutputSupport", CapabilityText.Dec(SuppressOutputSupport ?? 0));
        }
    }

    public static string OsMajorName(OsMajorType type) => type switch
    {
        OsMajorType.Unspecified => "OSMAJORTYPE_UNSPECIFIED",
        OsMajorType.Windows => "OSMAJORTYPE_WINDOWS",
        OsMajorType.Os2 => "OSMAJORTYPE_OS2",
        OsMajorType.Macintosh => "OSMAJORTYPE_MACINTOSH",
        OsMajorType.Unix => "OSMAJORTYPE_UNIX",
        OsMajorType.Ios => "OSMAJORTYPE_IOS",
        OsMajorType.OsX => "OSMAJORTYPE_OSX",
        OsMajorType.Android => "OSMAJORTYPE_ANDROID",
        OsMajorType.ChromeOs => "OSMAJORTYPE_CHROME_OS",
        _ => "unknown",
    };

    public static string OsMinorName(OsMinorType type) => type switch
    {
        OsMinorType.Unspecified => "OSMINORTYPE_UNSPECIFIED",
        OsMinorType.Windows31X => "OSMINORTYPE_WINDOWS_31X",
        OsMinorType.Windows95 => "OSMINORTYPE_WINDOWS_95",
        OsMinorType.WindowsNt => "OSMINORTYPE_WINDOWS_NT",
        OsMinorType.Os2V21 => "OSMINORTYPE_OS2_V21",
        OsMinorType.PowerPc => "OSMINORTYPE_POWER_PC",
        OsMinorType.Macintosh => "OSMINORTYPE_MACINTOSH",
        OsMinorType.NativeXServer => "OSMINORTYPE_NATIVE_XSERVER",
        OsMinorType.PseudoXServer => "OSMINORTYPE_PSEUDO_XSERVER",
        OsMinorType.WindowsRt => "OSMINORTYPE_WINDOWS_RT",
        _ => "unknown",
    };
}

/// <summary>MS-RDPBCGR 2.2.7.1.2 Bitmap Capability Set (TS_BITMAP_CAPABILITYSET).</summary>
public sealed record BitmapCapability(
    ushort PreferredBitsPerPixel,
    ushort DesktopWidth,
    ushort DesktopHeight,
    ushort DesktopResizeFlag = 1,
    byte DrawingFlags = 0,
    ushort Receive1BitPerPixel = 1,
    ushort Receive4BitsPerPixel = 1,
    ushort Receive8BitsPerPixel = 1,
    ushort BitmapCompressionFlag = 1,
    byte HighColorFlags = 0,
    ushort MultipleRectangleSupport = 1) : IPdu<BitmapCapability>, ICapability
{
    public const int FixedPartSize = 2 /* preferredBitsPerPixel */ + 2 /* receive1BitPerPixel */ + 2 /* receive4BitsPerPixel */
        + 2 /* receive8BitsPerPixel */ + 2 /* desktopWidth */ + 2 /* desktopHeight */ + 2 /* pad2octets */ + 2 /* desktopResizeFlag */
        + 2 /* bitmapCompressionFlag */ + 1 /* highColorFlags */ + 1 /* drawingFlags */ + 2 /* multipleRectangleSupport */ + 2 /* pad2octetsB */;

    public static string PduName => "TS_BITMAP_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Bitmap;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(PreferredBitsPerPixel);
        writer.WriteUInt16Le(Receive1BitPerPixel);
        writer.WriteUInt16Le(Receive4BitsPerPixel);
        writer.WriteUInt16Le(Receive8BitsPerPixel);
        writer.WriteUInt16Le(DesktopWidth);
        writer.WriteUInt16Le(DesktopHeight);
        writer.WriteZeros(2);
        writer.WriteUInt16Le(DesktopResizeFlag);
        writer.WriteUInt16Le(BitmapCompressionFlag);
        writer.WriteByte(HighColorFlags);
        writer.WriteByte(DrawingFlags);
        writer.WriteUInt16Le(MultipleRectangleSupport);
        writer.WriteZeros(2);
    }

    public static DecodeResult<BitmapCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ushort bpp = reader.ReadUInt16Le();
        ushort r1 = reader.ReadUInt16Le();
        ushort r4 = reader.ReadUInt16Le();
        ushort r8 = reader.ReadUInt16Le();
        ushort width = reader.ReadUInt16Le();
        ushort height = reader.ReadUInt16Le();
        reader.Skip(2);
        ushort resize = reader.ReadUInt16Le();
        ushort compression = reader.ReadUInt16Le();
        byte highColor = reader.ReadByte();
        byte drawing = reader.ReadByte();
        ushort multiRect = reader.ReadUInt16Le();
        reader.Skip(2);
        return new BitmapCapability(bpp, width, height, resize, drawing, r1, r4, r8, compression, highColor, multiRect);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("preferredBitsPerPixel", CapabilityText.Dec(PreferredBitsPerPixel));
        yield return ("desktopSize", $"{DesktopWidth}x{DesktopHeight}");
        yield return ("desktopResizeFlag", CapabilityText.Dec(DesktopResizeFlag));
        yield return ("bitmapCompressionFlag", CapabilityText.Dec(BitmapCompressionFlag));
        yield return ("drawingFlags", CapabilityNames.Flags(DrawingFlags,
            (0x02, "DRAW_ALLOW_DYNAMIC_COLOR_FIDELITY"), (0x04, "DRAW_ALLOW_COLOR_SUBSAMPLING"),
            (0x08, "DRAW_ALLOW_SKIP_ALPHA"), (0x10, "DRAW_UNUSED_FLAG")));
    }
}

/// <summary>MS-RDPBCGR 2.2.7.1.3 Order Capability Set (TS_ORDER_CAPABILITYSET).</summary>
/// <remarks>OrderSupport: The 32-byte orderSupport array (one byte per order index).</remarks>
public sealed record OrderCapability(
    ushort OrderFlags,
    ByteString OrderSupport,
    ushort TextAnsiCodePage = 0,
    uint DesktopSaveSize = 0x38400,
    ushort OrderSupportExFlags = 0,
    ushort TextFlags = 0,
    ushort NumberFonts = 0,
    ushort MaximumOrderLevel = 1,
    ushort DesktopSaveXGranularity = 1,
    ushort DesktopSaveYGranularity = 20,
    ByteString TerminalDescriptor = default) : IPdu<OrderCapability>, ICapability
{
    public const int OrderSupportSize = 32;

    public const int TerminalDescriptorSize = 16;

    /// <summary>NEGOTIATEORDERSUPPORT.</summary>
    public const ushort NegotiateOrderSupport = 0x0002;

    /// <summary>ZEROBOUNDSDELTASSUPPORT.</summary>
    public const ushort ZeroBoundsDeltasSupport = 0x0008;

    /// <summary>COLORINDEXSUPPORT.</summary>
    public const ushort ColorIndexSupport = 0x0020;

    /// <summary>SOLIDPATTERNBRUSHONLY.</summary>
    public const ushort SolidPatternBrushOnly = 0x0040;

    /// <summary>ORDERFLAGS_EXTRA_FLAGS.</summary>
    public const ushort OrderFlagsExtraFlags = 0x0080;

    public const int FixedPartSize = TerminalDescriptorSize /* terminalDescriptor */ + 4 /* pad4octetsA */ + 2 /* desktopSaveXGranularity */
        + 2 /* desktopSaveYGranularity */ + 2 /* pad2octetsA */ + 2 /* maximumOrderLevel */ + 2 /* numberFonts */ + 2 /* orderFlags */
        + OrderSupportSize /* orderSupport */ + 2 /* textFlags */ + 2 /* orderSupportExFlags */ + 4 /* pad4octetsB */
        + 4 /* desktopSaveSize */ + 2 /* pad2octetsC */ + 2 /* pad2octetsD */ + 2 /* textANSICodePage */ + 2 /* pad2octetsE */;

    public static string PduName => "TS_ORDER_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Order;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        if (OrderSupport.Length != OrderSupportSize || !(TerminalDescriptor.Length is 0 or TerminalDescriptorSize))
        {
            ThrowHelper.ThrowArgument(nameof(OrderSupport), "orderSupport is 32 bytes and terminalDescriptor 16 (or empty for zeros)");
        }

        writer.WriteBytes(TerminalDescriptor.Span);
        writer.WriteZeros(TerminalDescriptorSize - TerminalDescriptor.Length);
        writer.WriteZeros(4);
        writer.WriteUInt16Le(DesktopSaveXGranularity);
        writer.WriteUInt16Le(DesktopSaveYGranularity);
        writer.WriteZeros(2);
        writer.WriteUInt16Le(MaximumOrderLevel);
        writer.WriteUInt16Le(NumberFonts);
        writer.WriteUInt16Le(OrderFlags);
        writer.WriteBytes(OrderSupport.Span);
        writer.WriteUInt16Le(TextFlags);
        writer.WriteUInt16Le(OrderSupportExFlags);
        writer.WriteZeros(4);
        writer.WriteUInt32Le(DesktopSaveSize);
        writer.WriteZeros(4);
        writer.WriteUInt16Le(TextAnsiCodePage);
        writer.WriteZeros(2);
    }

    public static DecodeResult<OrderCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ReadOnlySpan<byte> terminal = reader.ReadBytes(TerminalDescriptorSize);
        reader.Skip(4);
        ushort xGranularity = reader.ReadUInt16Le();
        ushort yGranularity = reader.ReadUInt16Le();
        reader.Skip(2);
        ushort maxLevel = reader.ReadUInt16Le();
        ushort fonts = reader.ReadUInt16Le();
        ushort flags = reader.ReadUInt16Le();
        var support = new ByteString(reader.ReadBytes(OrderSupportSize));
        ushort textFlags = reader.ReadUInt16Le();
        ushort exFlags = reader.ReadUInt16Le();
        reader.Skip(4);
        uint saveSize = reader.ReadUInt32Le();
        reader.Skip(4);
        ushort codePage = reader.ReadUInt16Le();
        reader.Skip(2);
        var descriptor = terminal.ContainsAnyExcept((byte)0) ? new ByteString(terminal) : ByteString.Empty;
        return new OrderCapability(flags, support, codePage, saveSize, exFlags, textFlags, fonts, maxLevel, xGranularity, yGranularity, descriptor);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("orderFlags", CapabilityNames.Flags(OrderFlags,
            (NegotiateOrderSupport, "NEGOTIATEORDERSUPPORT"), (ZeroBoundsDeltasSupport, "ZEROBOUNDSDELTASSUPPORT"),
            (ColorIndexSupport, "COLORINDEXSUPPORT"), (SolidPatternBrushOnly, "SOLIDPATTERNBRUSHONLY"),
            (OrderFlagsExtraFlags, "ORDERFLAGS_EXTRA_FLAGS")));
        yield return ("orderSupport", OrderSupport.ToHex());
        yield return ("textANSICodePage", CapabilityText.Dec(TextAnsiCodePage));
    }
}

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

/// <summary>MS-RDPBCGR 2.2.7.1.6 <c>inputFlags</c>.</summary>
[Flags]
public enum InputFlags : ushort
{
    None = 0,
    Scancodes = 0x0001,
    MouseX = 0x0004,
    FastPathInput = 0x0008,
    Unicode = 0x0010,
    FastPathInput2 = 0x0020,
    Unused1 = 0x0040,
    MouseRelative = 0x0080,
    MouseHWheel = 0x0100,
    QoeTimestamps = 0x0200,
}

/// <summary>MS-RDPBCGR 2.2.7.1.6 Input Capability Set (TS_INPUT_CAPABILITYSET).</summary>
public sealed record InputCapability(
    InputFlags InputFlags,
    uint KeyboardLayout,
    uint KeyboardType = 4,
    uint KeyboardSubType = 0,
    uint KeyboardFunctionKey = 12,
    string ImeFileName = "") : IPdu<InputCapability>, ICapability
{
    public const int ImeFileNameSize = 64;

    public const int FixedPartSize = 2 /* inputFlags */ + 2 /* pad2octetsA */ + 4 /* keyboardLayout */ + 4 /* keyboardType */
        + 4 /* keyboardSubType */ + 4 /* keyboardFunctionKey */ + ImeFileNameSize /* imeFileName */;

    public static string PduName => "TS_INPUT_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Input;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)InputFlags);
        writer.WriteZeros(2);
        writer.WriteUInt32Le(KeyboardLayout);
        writer.WriteUInt32Le(KeyboardType);
        writer.WriteUInt32Le(KeyboardSubType);
        writer.WriteUInt32Le(KeyboardFunctionKey);
        CapabilityText.WriteUtf16Fixed(ref writer, ImeFileName, ImeFileNameSize);
    }

    public static DecodeResult<InputCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var flags = (InputFlags)reader.ReadUInt16Le();
        reader.Skip(2);
        uint layout = reader.ReadUInt32Le();
        uint type = reader.ReadUInt32Le();
        uint subType = reader.ReadUInt32Le();
        uint functionKeys = reader.ReadUInt32Le();
        string ime = CapabilityText.Utf16Fixed(reader.ReadBytes(ImeFileNameSize));
        return new InputCapability(flags, layout, type, subType, functionKeys, ime);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("inputFlags", CapabilityNames.Flags((uint)InputFlags,
            ((uint)InputFlags.Scancodes, "INPUT_FLAG_SCANCODES"), ((uint)InputFlags.MouseX, "INPUT_FLAG_MOUSEX"),
            ((uint)InputFlags.FastPathInput, "INPUT_FLAG_FASTPATH_INPUT"), ((uint)InputFlags.Unicode, "INPUT_FLAG_UNICODE"),
            ((uint)InputFlags.FastPathInput2, "INPUT_FLAG_FASTPATH_INPUT2"), ((uint)InputFlags.Unused1, "INPUT_FLAG_UNUSED1"),
            ((uint)InputFlags.MouseRelative, "INPUT_FLAG_MOUSE_RELATIVE"), ((uint)InputFlags.MouseHWheel, "TS_INPUT_FLAG_MOUSE_HWHEEL"),
            ((uint)InputFlags.QoeTimestamps, "TS_INPUT_FLAG_QOE_TIMESTAMPS")));
        yield return ("keyboardLayout", $"0x{KeyboardLayout:x8}");
        yield return ("keyboardType", CapabilityText.Dec(KeyboardType));
        yield return ("keyboardFunctionKey", CapabilityText.Dec(KeyboardFunctionKey));
        if (ImeFileName.Length > 0)
        {
            yield return ("imeFileName", ImeFileName);
        }
    }
}

/// <summary>MS-RDPBCGR 2.2.7.1.10 Virtual Channel Capability Set (TS_VIRTUALCHANNEL_CAPABILITYSET).</summary>
/// <remarks>Flags: VCCAPS_NO_COMPR 0, VCCAPS_COMPR_SC 1, VCCAPS_COMPR_CS_8K 2.</remarks>
/// <remarks>VcChunkSize: Absent in the 4-byte body; only meaningful from server to client.</remarks>
public sealed record VirtualChannelCapability(uint Flags, uint? VcChunkSize) : IPdu<VirtualChannelCapability>, ICapability
{
    public const int FixedPartSize = 4 /* flags */;

    public static string PduName => "TS_VIRTUALCHANNEL_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.VirtualChannel;

    public int Size => FixedPartSize + (VcChunkSize is null ? 0 : 4 /* VCChunkSize */);

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(Flags);
        if (VcChunkSize is { } size)
        {
            writer.WriteUInt32Le(size);
        }
    }

    public static DecodeResult<VirtualChannelCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        uint flags = reader.ReadUInt32Le();
        uint? size = reader.Remaining >= 4 ? reader.ReadUInt32Le() : null;
        return new VirtualChannelCapability(flags, size);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("flags", CapabilityNames.Flags(Flags, (0x1, "VCCAPS_COMPR_SC"), (0x2, "VCCAPS_COMPR_CS_8K")));
        if (VcChunkSize is { } size)
        {
            yield return ("VCChunkSize", CapabilityText.Dec(size));
        }
    }
}

/// <summary>MS-RDPBCGR 2.2.7.2.4 Share Capability Set (TS_SHARE_CAPABILITYSET).</summary>
public sealed record ShareCapability(ushort NodeId) : IPdu<ShareCapability>, ICapability
{
    public const int FixedPartSize = 2 /* nodeId */ + 2 /* pad2octets */;

    public static string PduName => "TS_SHARE_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Share;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(NodeId);
        writer.WriteZeros(2);
    }

    public static DecodeResult<ShareCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ushort node = reader.ReadUInt16Le();
        reader.Skip(2);
        return new ShareCapability(node);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("nodeId", $"0x{NodeId:x4}");
    }
}

/// <summary>MS-RDPBCGR 2.2.7.2.5 Font Capability Set (TS_FONT_CAPABILITYSET); some peers send the header only.</summary>
public sealed record FontCapability(ushort? FontSupportFlags = FontCapability.FontSupportFontList) : IPdu<FontCapability>, ICapability
{
    /// <summary>FONTSUPPORT_FONTLIST.</summary>
    public const ushort FontSupportFontList = 0x0001;

    public static string PduName => "TS_FONT_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Font;

    public int Size => FontSupportFlags is null ? 0 : 2 /* fontSupportFlags */ + 2 /* pad2octets */;

    public void Encode(ref PduWriter writer)
    {
        if (FontSupportFlags is { } flags)
        {
            writer.WriteUInt16Le(flags);
            writer.WriteZeros(2);
        }
    }

    public static DecodeResult<FontCapability> Decode(ref PduReader reader)
    {
        if (reader.Remaining == 0)
        {
            return new FontCapability((ushort?)null);
        }

        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        ushort flags = reader.ReadUInt16Le();
        reader.Skip(2);
        return new FontCapability(flags);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("fontSupportFlags", FontSupportFlags is { } f ? CapabilityNames.Flags(f, (FontSupportFontList, "FONTSUPPORT_FONTLIST")) : "absent");
    }
}

/// <summary>MS-RDPBCGR 2.2.7.2.6 Multifragment Update Capability Set (TS_MULTIFRAGMENTUPDATE_CAPABILITYSET).</summary>
public sealed record MultifragmentUpdateCapability(uint MaxRequestSize) : IPdu<MultifragmentUpdateCapability>, ICapability
{
    public const int FixedPartSize = 4 /* MaxRequestSize */;

    public static string PduName => "TS_MULTIFRAGMENTUPDATE_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.MultifragmentUpdate;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer) => writer.WriteUInt32Le(MaxRequestSize);

    public static DecodeResult<MultifragmentUpdateCapability> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing ? missing : new MultifragmentUpdateCapability(reader.ReadUInt32Le());

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("MaxRequestSize", CapabilityText.Dec(MaxRequestSize));
    }
}

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

/// <summary>MS-RDPBCGR 2.2.7.2.9 Surface Commands Capability Set (TS_SURFCMDS_CAPABILITYSET).</summary>
public sealed record SurfaceCommandsCapability(uint CmdFlags, uint Reserved = 0) : IPdu<SurfaceCommandsCapability>, ICapability
{
    /// <summary>SURFCMDS_SETSURFACEBITS.</summary>
    public const uint SetSurfaceBits = 0x02;

    /// <summary>SURFCMDS_FRAMEMARKER.</summary>
    public const uint FrameMarker = 0x10;

    /// <summary>SURFCMDS_STREAMSURFACEBITS.</summary>
    public const uint StreamSurfaceBits = 0x40;

    public const int FixedPartSize = 4 /* cmdFlags */ + 4 /* reserved */;

    public static string PduName => "TS_SURFCMDS_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.SurfaceCommands;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(CmdFlags);
        writer.WriteUInt32Le(Reserved);
    }

    public static DecodeResult<SurfaceCommandsCapability> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing ? missing : new SurfaceCommandsCapability(reader.ReadUInt32Le(), reader.ReadUInt32Le());

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("cmdFlags", CapabilityNames.Flags(CmdFlags,
            (SetSurfaceBits, "SURFCMDS_SETSURFACEBITS"), (FrameMarker, "SURFCMDS_FRAMEMARKER"), (StreamSurfaceBits, "SURFCMDS_STREAMSURFACEBITS")));
    }
}

/// <summary>MS-RDPRFX 2.2.1.3 Frame Acknowledge Capability Set (TS_FRAME_ACKNOWLEDGE_CAPABILITYSET).</summary>
public sealed record FrameAcknowledgeCapability(uint MaxUnacknowledgedFrameCount) : IPdu<FrameAcknowledgeCapability>, ICapability
{
    public const int FixedPartSize = 4 /* maxUnacknowledgedFrameCount */;

    public static string PduName => "TS_FRAME_ACKNOWLEDGE_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.FrameAcknowledge;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer) => writer.WriteUInt32Le(MaxUnacknowledgedFrameCount);

    public static DecodeResult<FrameAcknowledgeCapability> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing ? missing : new FrameAcknowledgeCapability(reader.ReadUInt32Le());

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("maxUnacknowledgedFrameCount", CapabilityText.Dec(MaxUnacknowledgedFrameCount));
    }
}

/// <summary>MS-RDPBCGR 2.2.7.2.10.1.1 Bitmap Codec (TS_BITMAPCODEC).</summary>
public sealed record BitmapCodec(Guid CodecGuid, byte CodecId, ByteString CodecProperties)
{
    /// <summary>CODEC_GUID_NSCODEC.</summary>
    public static readonly Guid NsCodec = new(0xCA8D1BB9, 0x000F, 0x154F, 0x58, 0x9F, 0xAE, 0x2D, 0x1A, 0x87, 0xE2, 0xD6);

    /// <summary>CODEC_GUID_REMOTEFX.</summary>
    public static readonly Guid RemoteFx = new(0x76772F12, 0xBD72, 0x4463, 0xAF, 0xB3, 0xB7, 0x3C, 0x9C, 0x6F, 0x78, 0x86);

    /// <summary>CODEC_GUID_IMAGE_REMOTEFX.</summary>
    public static readonly Guid ImageRemoteFx = new(0x2744CCD4, 0x9D8A, 0x4E74, 0x80, 0x3C, 0x0E, 0xCB, 0xEE, 0xA1, 0x9C, 0x54);

    /// <summary>CODEC_GUID_IGNORE.</summary>
    public static readonly Guid Ignore = new(0x9C4351A6, 0x3535, 0x42AE, 0x91, 0x0C, 0xCD, 0xFC, 0xE5, 0x76, 0x0B, 0x58);

    public const int FixedPartSize = 16 /* codecGUID */ + 1 /* codecID */ + 2 /* codecPropertiesLength */;

    public int Size => FixedPartSize + CodecProperties.Length;

    /// <summary>The specification's name of the GUID, or the GUID itself.</summary>
    public string CodecName =>
        CodecGuid == NsCodec ? "CODEC_GUID_NSCODEC"
        : CodecGuid == RemoteFx ? "CODEC_GUID_REMOTEFX"
        : CodecGuid == ImageRemoteFx ? "CODEC_GUID_IMAGE_REMOTEFX"
        : CodecGuid == Ignore ? "CODEC_GUID_IGNORE"
        : CodecGuid.ToString("D");
}

/// <summary>MS-RDPBCGR 2.2.7.2.10 Bitmap Codecs Capability Set (TS_BITMAPCODECS_CAPABILITYSET).</summary>
public sealed record BitmapCodecsCapability(ValueList<BitmapCodec> Codecs) : IPdu<BitmapCodecsCapability>, ICapability
{
    public static string PduName => "TS_BITMAPCODECS_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.BitmapCodecs;

    public int Size => 1 /* bitmapCodecCount */ + Codecs.Sum(c => c.Size);

    public void Encode(ref PduWriter writer)
    {
        if (!(Codecs.Count <= byte.MaxValue))
        {
            ThrowHelper.ThrowArgument(nameof(Codecs), "at most 255 codecs");
        }

        writer.WriteByte((byte)Codecs.Count);
        Span<byte> guid = stackalloc byte[16];
        foreach (BitmapCodec codec in Codecs)
        {
            // The wire GUID (2.2.7.2.10.1.1.1) is little-endian in its first three fields, as .NET writes it.
            codec.CodecGuid.TryWriteBytes(guid);
            writer.WriteBytes(guid);
            writer.WriteByte(codec.CodecId);
            writer.WriteUInt16Le(ShareWire.Checked16(codec.CodecProperties.Length, "codecPropertiesLength"));
            writer.WriteBytes(codec.CodecProperties.Span);
        }
    }

    public static DecodeResult<BitmapCodecsCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(1, PduName) is { } missing)
        {
            return missing;
        }

        int count = reader.ReadByte();
        List<BitmapCodec> codecs = new(Math.Min(count, reader.Remaining / BitmapCodec.FixedPartSize));
        for (int i = 0; i < count; i++)
        {
            if (reader.Ensure(BitmapCodec.FixedPartSize, PduName) is { } short1)
            {
                return short1;
            }

            var guid = new Guid(reader.ReadBytes(16));
            byte id = reader.ReadByte();
            int length = reader.ReadUInt16Le();
            if (reader.Ensure(length, PduName) is { } short2)
            {
                return short2;
            }

            codecs.Add(new BitmapCodec(guid, id, new ByteString(reader.ReadBytes(length))));
        }

        return new BitmapCodecsCapability(codecs);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("bitmapCodecCount", CapabilityText.Dec(Codecs.Count));
        foreach (BitmapCodec codec in Codecs)
        {
            yield return ("codec", $"{codec.CodecName} id {codec.CodecId} ({codec.CodecProperties.Length} property bytes)");
        }
    }
}

/// <summary>MS-RDPBCGR 2.2.7.1.7 Brush Capability Set (TS_BRUSH_CAPABILITYSET).</summary>
/// <remarks>BrushSupportLevel: BRUSH_DEFAULT 0, BRUSH_COLOR_8x8 1, BRUSH_COLOR_FULL 2.</remarks>
public sealed record BrushCapability(uint BrushSupportLevel) : IPdu<BrushCapability>, ICapability
{
    public static string PduName => "TS_BRUSH_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Brush;

    public int Size => 4 /* brushSupportLevel */;

    public void Encode(ref PduWriter writer) => writer.WriteUInt32Le(BrushSupportLevel);

    public static DecodeResult<BrushCapability> Decode(ref PduReader reader) =>
        reader.Ensure(4, PduName) is { } missing ? missing : new BrushCapability(reader.ReadUInt32Le());

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("brushSupportLevel", BrushSupportLevel switch
        {
            0 => "BRUSH_DEFAULT",
            1 => "BRUSH_COLOR_8x8",
            2 => "BRUSH_COLOR_FULL",
            _ => CapabilityText.Dec(BrushSupportLevel),
        });
    }
}

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

/// <summary>MS-RDPBCGR 2.2.7.1.11 Sound Capability Set (TS_SOUND_CAPABILITYSET); SOUND_BEEPS_FLAG is 0x0001.</summary>
public sealed record SoundCapability(ushort SoundFlags) : IPdu<SoundCapability>, ICapability
{
    public static string PduName => "TS_SOUND_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Sound;

    public int Size => 2 /* soundFlags */ + 2 /* pad2octetsA */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(SoundFlags);
        writer.WriteZeros(2);
    }

    public static DecodeResult<SoundCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        ushort flags = reader.ReadUInt16Le();
        reader.Skip(2);
        return new SoundCapability(flags);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("soundFlags", CapabilityNames.Flags(SoundFlags, (0x1, "SOUND_BEEPS_FLAG")));
    }
}

/// <summary>MS-RDPEGDI 2.2.1.1 Color Table Cache Capability Set (TS_COLORTABLECACHE_CAPABILITYSET).</summary>
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
