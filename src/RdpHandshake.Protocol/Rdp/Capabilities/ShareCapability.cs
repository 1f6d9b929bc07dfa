using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.2.4 Share Capability Set (TS_SHARE_CAPABILITYSET).</summary>
public sealed record ShareCapability(ushort NodeId) : IPdu<ShareCapability>, ICapability
{
    public const int FixedPartSize = 2 /* nodeId */ + 2 /* pad2octets */;

    public static string PduName => "TS_SHARE_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Share;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(NodeId);
        writer.WriteZeros(2);
    }

    public static DecodeResult<ShareCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ushort node = reader.ReadUInt16Le();
        reader.Skip(2);
        return new ShareCapability(node);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("nodeId", $"0x{NodeId:x4}");
    }
}
