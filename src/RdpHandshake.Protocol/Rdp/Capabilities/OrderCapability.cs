using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
