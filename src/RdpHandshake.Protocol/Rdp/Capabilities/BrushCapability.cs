using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
