using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
