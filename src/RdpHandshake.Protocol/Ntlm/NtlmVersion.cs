using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Ntlm;

/// <summary>
/// MS-NLMP 2.2.2.10 VERSION: the sender's Windows version, e.g. 10.0 build 20348 for Server 2022. Servers
/// reveal it in their CHALLENGE before any credentials are sent.
/// </summary>
public readonly record struct NtlmVersion(byte Major, byte Minor, ushort Build, byte Revision = NtlmVersion.RevisionW2K3)
{
    /// <summary>NTLMSSP_REVISION_W2K3.</summary>
    public const byte RevisionW2K3 = 0x0F;

    public const int Size = 1 /* major */ + 1 /* minor */ + 2 /* build */ + 3 /* reserved */ + 1 /* revision */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(Major);
        writer.WriteByte(Minor);
        writer.WriteUInt16Le(Build);
        writer.WriteZeros(3);
        writer.WriteByte(Revision);
    }

    public static NtlmVersion Read(ref PduReader reader)
    {
        byte major = reader.ReadByte();
        byte minor = reader.ReadByte();
        ushort build = reader.ReadUInt16Le();
        reader.Skip(3);
        return new NtlmVersion(major, minor, build, reader.ReadByte());
    }

    /// <summary>The Windows release this version number belongs to, when it is a well-known one.</summary>
    public string? WindowsName => (Major, Minor, Build) switch
    {
        (6, 1, 7601) => "Windows 7 / Server 2008 R2 SP1",
        (6, 2, 9200) => "Windows 8 / Server 2012",
        (6, 3, 9600) => "Windows 8.1 / Server 2012 R2",
        (10, 0, 14393) => "Windows 10 1607 / Server 2016",
        (10, 0, 17763) => "Windows 10 1809 / Server 2019",
        (10, 0, 20348) => "Windows Server 2022",
        (10, 0, 26100) => "Windows 11 24H2 / Server 2025",
        _ => null,
    };

    public override string ToString() => $"{Major}.{Minor}.{Build} (NTLM revision {Revision})";
}
