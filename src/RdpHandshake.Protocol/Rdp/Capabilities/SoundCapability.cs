using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
