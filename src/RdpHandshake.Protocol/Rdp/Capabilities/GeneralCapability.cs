using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
