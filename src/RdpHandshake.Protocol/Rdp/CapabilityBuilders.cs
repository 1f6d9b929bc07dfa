using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>
/// The capability sets a Windows 10/11 client (mstsc) sends in its Confirm Active, in its order, with the
/// drawing-order, glyph and offscreen support turned off: this client does not render, so the server falls back
/// to bitmap updates, which every server (Windows, xrdp, FreeRDP) must support.
/// </summary>
public static class ClientCapabilities
{
    /// <summary>
    /// General, Bitmap, Order, Bitmap Cache rev. 2, Color Cache, Window Activation, Control, Pointer, Share,
    /// Input, Sound, Font, Glyph Cache, Brush, Offscreen Bitmap Cache, Virtual Channel, Multifragment Update,
    /// Large Pointer, Surface Commands and Frame Acknowledge.
    /// </summary>
    /// <param name="desktopWidth">Desktop width in pixels (the Client Core Data value).</param>
    /// <param name="desktopHeight">Desktop height in pixels.</param>
    /// <param name="colorDepth">Preferred bits per pixel: 8, 15, 16, 24 or 32.</param>
    /// <param name="keyboardLayout">Windows keyboard layout (0x409 en-US).</param>
    /// <param name="extraFlags">General extraFlags; the default is what mstsc sends (0x041D).</param>
    /// <param name="inputFlags">Input flags; the default is mstsc's scancodes, MOUSEX, Unicode, fast-path input 2 and horizontal wheel.</param>
    public static ValueList<CapabilitySet> Create(
        ushort desktopWidth,
        ushort desktopHeight,
        ushort colorDepth,
        uint keyboardLayout = 0x409,
        GeneralExtraFlags extraFlags = DefaultExtraFlags,
        InputFlags inputFlags = InputFlags.Scancodes | InputFlags.MouseX | InputFlags.Unicode | InputFlags.FastPathInput2 | InputFlags.MouseHWheel)
    {
        CheckDesktop(desktopWidth, desktopHeight, colorDepth);
        return new CapabilitySet[]
        {
            CapabilitySet.From(new GeneralCapability(OsMajorType.Windows, OsMinorType.WindowsNt, extraFlags)),
            CapabilitySet.From(new BitmapCapability(colorDepth, desktopWidth, desktopHeight, DrawingFlags: 0x08 /* DRAW_ALLOW_SKIP_ALPHA */)),
            CapabilitySet.From(new OrderCapability(
                OrderCapability.NegotiateOrderSupport | OrderCapability.ZeroBoundsDeltasSupport | OrderCapability.ColorIndexSupport
                    | OrderCapability.OrderFlagsExtraFlags,
                new ByteString(new byte[OrderCapability.OrderSupportSize]))),
            CapabilitySet.From(new BitmapCacheRev2Capability(0x0002 /* ALLOW_CACHE_WAITING_LIST_FLAG */, 3, new uint[] { 600, 600, 2048, 0, 0 })),
            CapabilitySet.From(new ColorCacheCapability(6)),
            new CapabilitySet(CapabilitySetType.Activation, new ByteString(new byte[8]) /* helpKeyFlag .. windowManagerKeyFlag: all 0 */),
            new CapabilitySet(CapabilitySetType.Control, new ByteString([0, 0, 0, 0, 2, 0, 2, 0]) /* controlInterest, detachInterest: CONTROLPRIORITY_NEVER */),
            CapabilitySet.From(new PointerCapability(1, 20, 21)),
            CapabilitySet.From(new ShareCapability(0)),
            CapabilitySet.From(new InputCapability(inputFlags, keyboardLayout)),
            CapabilitySet.From(new SoundCapability(0x0001 /* SOUND_BEEPS_FLAG */)),
            CapabilitySet.From(new FontCapability()),
            CapabilitySet.From(new GlyphCacheCapability(
                new uint[] { Cache(254, 4), Cache(254, 4), Cache(254, 8), Cache(254, 8), Cache(254, 16), Cache(254, 32), Cache(254, 64), Cache(254, 128), Cache(254, 256), Cache(64, 2048) },
                Cache(256, 256), 0 /* GLYPH_SUPPORT_NONE */)),
            CapabilitySet.From(new BrushCapability(1 /* BRUSH_COLOR_8x8 */)),
            CapabilitySet.From(new OffscreenBitmapCacheCapability(0, 0, 0)),
            CapabilitySet.From(new VirtualChannelCapability(0 /* VCCAPS_NO_COMPR */, null)),
            CapabilitySet.From(new MultifragmentUpdateCapability(FrameBytes(desktopWidth, desktopHeight))),
            CapabilitySet.From(new LargePointerCapability(0x0003 /* 96x96 | 384x384 */)),
            CapabilitySet.From(new SurfaceCommandsCapability(SurfaceCommandsCapability.SetSurfaceBits | SurfaceCommandsCapability.FrameMarker | SurfaceCommandsCapability.StreamSurfaceBits)),
            CapabilitySet.From(new FrameAcknowledgeCapability(2)),
        };
    }

    /// <summary>A Confirm Active answering <paramref name="demand"/> from the client's user channel.</summary>
    public static ConfirmActivePdu CreateConfirmActive(DemandActivePdu demand, ushort userChannelId, ValueList<CapabilitySet> capabilities) =>
        new(userChannelId, demand.ShareId, ConfirmActivePdu.MstscSourceDescriptor, capabilities);

    /// <summary>FASTPATH_OUTPUT_SUPPORTED | LONG_CREDENTIALS_SUPPORTED | AUTORECONNECT_SUPPORTED | ENC_SALTED_CHECKSUM | NO_BITMAP_COMPRESSION_HDR.</summary>
    public const GeneralExtraFlags DefaultExtraFlags = GeneralExtraFlags.FastPathOutputSupported | GeneralExtraFlags.LongCredentialsSupported
        | GeneralExtraFlags.AutoReconnectSupported | GeneralExtraFlags.EncSaltedChecksum | GeneralExtraFlags.NoBitmapCompressionHdr;

    private static uint Cache(ushort entries, ushort maxCellSize) => entries | ((uint)maxCellSize << 16);

    internal static uint FrameBytes(ushort width, ushort height) => (uint)width * height * 4;

    internal static void CheckDesktop(ushort width, ushort height, ushort colorDepth)
    {
        if (colorDepth is not (8 or 15 or 16 or 24 or 32))
        {
            ThrowHelper.ThrowArgument(nameof(colorDepth), "colorDepth is 8, 15, 16, 24 or 32");
        }

        if (width is < 200 or > 8192 || height is < 200 or > 8192)
        {
            ThrowHelper.ThrowArgument(nameof(width), "desktop sizes are 200 to 8192 pixels");
        }
    }
}

/// <summary>The Demand Active our test server sends, imitating a Windows server.</summary>
public static class ServerCapabilities
{
    /// <summary>
    /// Share (node 0x03EA), General, Virtual Channel, Font, Bitmap, Order, Color Cache, Bitmap Cache Host
    /// Support, Pointer, Input, Large Pointer, Multifragment Update, Surface Commands and Bitmap Codecs (none),
    /// in the order Windows sends them.
    /// </summary>
    public static ValueList<CapabilitySet> Create(
        ushort desktopWidth,
        ushort desktopHeight,
        ushort colorDepth,
        GeneralExtraFlags extraFlags = ClientCapabilities.DefaultExtraFlags,
        InputFlags inputFlags = InputFlags.Scancodes | InputFlags.MouseX | InputFlags.FastPathInput | InputFlags.Unicode
            | InputFlags.FastPathInput2 | InputFlags.MouseHWheel)
    {
        ClientCapabilities.CheckDesktop(desktopWidth, desktopHeight, colorDepth);
        return new CapabilitySet[]
        {
            CapabilitySet.From(new ShareCapability(ActivePduWire.ServerChannelId)),
            CapabilitySet.From(new GeneralCapability(OsMajorType.Windows, OsMinorType.WindowsNt, extraFlags)),
            CapabilitySet.From(new VirtualChannelCapability(0 /* VCCAPS_NO_COMPR */, 1600)),
            CapabilitySet.From(new FontCapability()),
            CapabilitySet.From(new BitmapCapability(colorDepth, desktopWidth, desktopHeight)),
            CapabilitySet.From(new OrderCapability(OrderCapability.NegotiateOrderSupport | OrderCapability.ColorIndexSupport,
                new ByteString(new byte[OrderCapability.OrderSupportSize]), DesktopSaveSize: 1_000_000)),
            CapabilitySet.From(new ColorCacheCapability(6)),
            CapabilitySet.From(new BitmapCacheHostSupportCapability(1)),
            CapabilitySet.From(new PointerCapability(1, 25, 25)),
            CapabilitySet.From(new InputCapability(inputFlags, 0, 0, 0, 0)),
            CapabilitySet.From(new LargePointerCapability(0x0001 /* LARGE_POINTER_FLAG_96x96 */)),
            CapabilitySet.From(new MultifragmentUpdateCapability(ClientCapabilities.FrameBytes(desktopWidth, desktopHeight))),
            CapabilitySet.From(new SurfaceCommandsCapability(SurfaceCommandsCapability.SetSurfaceBits | SurfaceCommandsCapability.FrameMarker)),
            CapabilitySet.From(new BitmapCodecsCapability(ValueList<BitmapCodec>.Empty)),
        };
    }

    /// <summary>A Demand Active as Windows sends it: source "RDP", pduSource 0x03EA, the given share and session.</summary>
    public static DemandActivePdu CreateDemandActive(uint shareId, ValueList<CapabilitySet> capabilities, uint sessionId = 0) =>
        new(ActivePduWire.ServerChannelId, shareId, DemandActivePdu.RdpSourceDescriptor, capabilities, sessionId);
}
