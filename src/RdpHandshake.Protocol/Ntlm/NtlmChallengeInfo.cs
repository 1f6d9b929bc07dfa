using System.Globalization;

namespace RdpHandshake.Protocol.Ntlm;

/// <summary>What an NTLM CHALLENGE (MS-NLMP 2.2.1.2) says about the server that sent it, without any credential.</summary>
public static class NtlmChallengeInfo
{
    /// <summary>The names and facts a scanner reports, in a stable order; absent ones are left out.</summary>
    public static IReadOnlyList<(string Key, string Value)> Of(NtlmChallengeMessage challenge)
    {
        var info = new List<(string, string)> { ("targetName", challenge.TargetName) };
        Add(info, "netbiosComputer", challenge.Find(NtlmAvId.NbComputerName));
        Add(info, "netbiosDomain", challenge.Find(NtlmAvId.NbDomainName));
        Add(info, "dnsComputer", challenge.Find(NtlmAvId.DnsComputerName));
        Add(info, "dnsDomain", challenge.Find(NtlmAvId.DnsDomainName));
        Add(info, "dnsTree", challenge.Find(NtlmAvId.DnsTreeName));
        if (challenge.Version is { } version)
        {
            info.Add(("productVersion", $"{version.Major}.{version.Minor}.{version.Build}"));
            Add(info, "windows", version.WindowsName);
            info.Add(("ntlmRevision", version.Revision.ToString(CultureInfo.InvariantCulture)));
        }

        if (challenge.Timestamp is { } time)
        {
            info.Add(("serverTime", time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)));
        }

        return info;
    }

    private static void Add(List<(string, string)> info, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            info.Add((key, value));
        }
    }
}
