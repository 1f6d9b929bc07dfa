using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
