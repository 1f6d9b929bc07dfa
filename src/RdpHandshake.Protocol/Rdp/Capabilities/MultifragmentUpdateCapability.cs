using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

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
