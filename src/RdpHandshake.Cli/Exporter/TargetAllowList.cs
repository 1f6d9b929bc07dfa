using System.Net;
using System.Net.Sockets;

namespace RdpHandshake.Cli.Exporter;

/// <summary>
/// The hosts the exporter may probe, so that it is not an open relay: address ranges (<c>10.0.0.0/24</c>,
/// <c>::1/128</c>), single addresses, host names (<c>rdp1.example.com</c>) and domains (<c>*.example.com</c>). An address
/// target is allowed by a range or address that contains it; a name target only by a name or domain entry, never by a
/// range, since what a name resolves to may change between the check and the connection. Any port of an allowed host
/// may be probed.
/// </summary>
internal sealed class TargetAllowList
{
    private readonly IPNetwork[] _networks;
    private readonly string[] _names;
    private readonly string[] _domains;

    private TargetAllowList(IReadOnlyList<string> entries, IPNetwork[] networks, string[] names, string[] domains)
    {
        Entries = entries;
        _networks = networks;
        _names = names;
        _domains = domains;
    }

    /// <summary>The entries as written, for messages.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>The default when nothing names the targets: the loopback addresses and <c>localhost</c>.</summary>
    public static TargetAllowList Loopback { get; } = Parse(["127.0.0.0/8", "::1", "localhost"], "loopback");

    /// <summary>
    /// Reads entries; an entry that is none of the forms is a <see cref="UsageException"/> naming
    /// <paramref name="source"/> (the option or config key it came from).
    /// </summary>
    public static TargetAllowList Parse(IEnumerable<string> entries, string source)
    {
        var written = new List<string>();
        var networks = new List<IPNetwork>();
        var names = new List<string>();
        var domains = new List<string>();
        foreach (string raw in entries)
        {
            string entry = raw.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            written.Add(entry);
            if (entry.Contains('/', StringComparison.Ordinal))
            {
                // The address must be the range's first, so that 10.0.0.1/8 (10.0.0.0/8? 10.0.0.1/32?) is asked about, not guessed.
                if (!IPNetwork.TryParse(entry, out IPNetwork network) || !IPAddress.TryParse(entry[..entry.IndexOf('/', StringComparison.Ordinal)], out IPAddress? first) || !network.BaseAddress.Equals(first))
                {
                    throw new UsageException($"{source} '{entry}': not an address range (write it as ADDRESS/BITS with the bits after the prefix zero, e.g. 10.0.0.0/24)");
                }

                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out IPAddress? address))
            {
                address = Canonical(address);
                networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else if (entry.StartsWith("*.", StringComparison.Ordinal) && IsName(entry[2..]))
            {
                domains.Add(Normalise(entry[1..]));
            }
            else if (IsName(entry))
            {
                names.Add(Normalise(entry));
            }
            else
            {
                throw new UsageException($"{source} '{entry}': not an address, address range (10.0.0.0/24), host name or domain (*.example.com)");
            }
        }

        return new TargetAllowList(written, [.. networks], [.. names], [.. domains]);
    }

    /// <summary>Whether <paramref name="target"/>'s host is on the list.</summary>
    public bool Allows(ProbeTarget target)
    {
        if (IPAddress.TryParse(target.Host, out IPAddress? address))
        {
            // The resolver reads the host the same way (an address needs no lookup), so the check sees what is connected to.
            address = Canonical(address);
            return _networks.Any(n => n.Contains(address));
        }

        string name = Normalise(target.Host);
        return _names.Contains(name, StringComparer.Ordinal) || _domains.Any(d => name.EndsWith(d, StringComparison.Ordinal));
    }

    /// <summary>The entries of this list that <paramref name="other"/> does not cover whole.</summary>
    public IEnumerable<string> EntriesNotIn(TargetAllowList other)
    {
        foreach (string entry in Entries)
        {
            TargetAllowList single = Parse([entry], "entry");
            bool covered = single._networks.All(n => other._networks.Any(o => Covers(o, n)))
                && single._names.All(name => other._names.Contains(name, StringComparer.Ordinal) || other._domains.Any(d => name.EndsWith(d, StringComparison.Ordinal)))
                && single._domains.All(domain => other._domains.Any(d => domain.EndsWith(d, StringComparison.Ordinal)));
            if (!covered)
            {
                yield return entry;
            }
        }
    }

    /// <summary>Merges lists: a host is allowed when any of them allows it.</summary>
    public static TargetAllowList Union(IEnumerable<TargetAllowList> lists, string source) =>
        Parse(lists.SelectMany(l => l.Entries).Distinct(StringComparer.OrdinalIgnoreCase), source);

    public override string ToString() => string.Join(", ", Entries);

    private static bool Covers(IPNetwork outer, IPNetwork inner) =>
        outer.BaseAddress.AddressFamily == inner.BaseAddress.AddressFamily
        && outer.PrefixLength <= inner.PrefixLength
        && outer.Contains(inner.BaseAddress);

    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static string Normalise(string name) => name.TrimEnd('.').ToLowerInvariant();

    private static bool IsName(string text) => ProbeTarget.TryParse(text, out ProbeTarget? parsed, out _) && parsed!.Host == text && !text.Contains(':', StringComparison.Ordinal);
}
