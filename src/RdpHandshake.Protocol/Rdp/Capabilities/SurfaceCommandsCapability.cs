using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
