using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>
/// MS-RDPRFX 2.2.1.3 Frame Acknowledge Capability Set (TS_FRAME_ACKNOWLEDGE_CAPABILITYSET), carried in Demand and
/// Confirm Active as CAPSETTYPE_FRAME_ACKNOWLEDGE (MS-RDPBCGR 2.2.1.13.1.1.1).
/// </summary>
public sealed record FrameAcknowledgeCapability(uint MaxUnacknowledgedFrameCount) : IPdu<FrameAcknowledgeCapability>, ICapability
{
    public const int FixedPartSize = 4 /* maxUnacknowledgedFrameCount */;

    public static string PduName => "TS_FRAME_ACKNOWLEDGE_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.FrameAcknowledge;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer) => writer.WriteUInt32Le(MaxUnacknowledgedFrameCount);

    public static DecodeResult<FrameAcknowledgeCapability> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing ? missing : new FrameAcknowledgeCapability(reader.ReadUInt32Le());

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("maxUnacknowledgedFrameCount", CapabilityText.Dec(MaxUnacknowledgedFrameCount));
    }
}
