using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
