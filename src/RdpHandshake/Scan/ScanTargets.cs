using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RdpHandshake.Scan;

/// <summary>A target list entry that is malformed or expands past the cap; the message names the input at fault.</summary>
public sealed class ScanTargetException(string input, string message) : FormatException(message)
{
    /// <summary>The entry as given (with <c>FILE:LINE</c> for a file entry).</summary>
    public string Input { get; } = input;
}

/// <summary>
/// One entry of a target list: a host name, an address, <c>HOST:PORT</c>, <c>[v6]:PORT</c>, or an IPv4 range in
/// CIDR notation (<c>10.0.0.0/28</c>, <c>10.0.0.0/28:3390</c>). A range stands for its hosts: for /30 and wider
/// the network and broadcast addresses are left out; /31 (RFC 3021) and /32 keep every address.
/// </summary>
public sealed class ScanTargetSpec
{
    private readonly uint _first;

    private ScanTargetSpec(string input, string? host, uint first, long count, int port)
    {
        Input = input;
        Host = host;
        _first = first;
        Count = count;
        Port = port;
    }

    /// <summary>The entry as given.</summary>
    public string Input { get; }

    /// <summary>The host or address of a single target; null for a range.</summary>
    public string? Host { get; }

    public int Port { get; }

    /// <summary>How many targets the entry stands for (1 unless it is a range).</summary>
    public long Count { get; }

    /// <summary>The targets, produced one at a time (a range is never materialised).</summary>
    public IEnumerable<ProbeTarget> Expand()
    {
        if (Host is not null)
        {
            yield return new ProbeTarget(Host, Port);
            yield break;
        }

        for (long i = 0; i < Count; i++)
        {
            yield return new ProbeTarget(Dotted(_first + (uint)i), Port);
        }
    }

    private static string Dotted(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}");

    /// <summary>
    /// Parses one entry; <paramref name="defaultPort"/> applies when it names none, and a range that stands for
    /// more than <paramref name="maxTargets"/> hosts is refused. On failure <paramref name="error"/> names the entry.
    /// </summary>
    public static bool TryParse(string text, int defaultPort, long maxTargets, out ScanTargetSpec? spec, out string? error)
    {
        spec = null;
        string input = text.Trim();
        int slash = input.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (!ProbeTarget.TryParse(input, out ProbeTarget? target, out error))
            {
                return false;
            }

            bool explicitPort = input.StartsWith('[') ? input.Contains("]:", StringComparison.Ordinal) : input.Count(c => c == ':') == 1;
            spec = new ScanTargetSpec(input, target!.Host, 0, 1, explicitPort ? target.Port : defaultPort);
            return true;
        }

        return TryParseRange(input, slash, defaultPort, maxTargets, out spec, out error);
    }

    private static bool TryParseRange(string input, int slash, int defaultPort, long maxTargets, out ScanTargetSpec? spec, out string? error)
    {
        spec = null;
        string addressText = input[..slash];
        string rest = input[(slash + 1)..];
        int port = defaultPort;
        int colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            string portText = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                error = $"'{input}': the port must be a number from 1 to 65535";
                return false;
            }
        }

        if (!IPAddress.TryParse(addressText, out IPAddress? network) || addressText.Count(c => c == '.') != 3)
        {
            error = addressText.Contains(':', StringComparison.Ordinal)
                ? $"'{input}': IPv6 ranges are not supported (list the addresses instead)"
                : $"'{input}': a range must start with an IPv4 address in dotted form, e.g. 10.0.0.0/28";
            return false;
        }

        if (network.AddressFamily != AddressFamily.InterNetwork)
        {
            error = $"'{input}': IPv6 ranges are not supported (list the addresses instead)";
            return false;
        }

        if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) || prefix > 32)
        {
            error = $"'{input}': the prefix length after '/' must be a number from 0 to 32";
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        network.TryWriteBytes(bytes, out _);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        uint mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        if ((value & ~mask) != 0)
        {
            error = $"'{input}': host bits are set after the /{prefix} prefix (did you mean {Dotted(value & mask)}/{prefix}?)";
            return false;
        }

        long size = 1L << (32 - prefix);
        // INVARIANT: /31 and /32 have no network or broadcast address to skip (RFC 3021); wider ranges do.
        bool skipEnds = prefix <= 30;
        long count = skipEnds ? size - 2 : size;
        if (count > maxTargets)
        {
            error = $"'{input}': expands to {count} addresses, more than the limit of {maxTargets} (split the range, or raise --max-targets)";
            return false;
        }

        spec = new ScanTargetSpec(input, null, skipEnds ? value + 1 : value, count, port);
        error = null;
        return true;
    }
}

/// <summary>
/// A scan's targets: entries from the command line and from files (one entry per line, <c>#</c> starts a comment),
/// validated and counted up front in one streaming pass, then expanded lazily, one target at a time.
/// </summary>
public sealed class ScanTargetList
{
    /// <summary>The default limit on the number of targets a scan may expand to (a /16).</summary>
    public const long DefaultMaxTargets = 65_536;

    private readonly IReadOnlyList<string> _entries;
    private readonly IReadOnlyList<string> _files;
    private readonly int _defaultPort;
    private readonly long _maxTargets;

    private ScanTargetList(IReadOnlyList<string> entries, IReadOnlyList<string> files, int defaultPort, long maxTargets, long count)
    {
        _entries = entries;
        _files = files;
        _defaultPort = defaultPort;
        _maxTargets = maxTargets;
        Count = count;
    }

    /// <summary>How many targets the list expands to.</summary>
    public long Count { get; }

    /// <summary>
    /// Validates every entry (reading the files once, line by line) and counts the targets.
    /// </summary>
    /// <exception cref="ScanTargetException">An entry is malformed, a file cannot be read, or the total passes <paramref name="maxTargets"/>.</exception>
    public static ScanTargetList Create(IEnumerable<string> entries, IEnumerable<string> files, int defaultPort = ProbeTarget.DefaultPort, long maxTargets = DefaultMaxTargets)
    {
        string[] entryArray = entries.ToArray();
        string[] fileArray = files.ToArray();
        long total = 0;
        foreach ((string input, string text) in Entries(entryArray, fileArray))
        {
            ScanTargetSpec spec = Parse(input, text, defaultPort, maxTargets);
            total += spec.Count;
            if (total > maxTargets)
            {
                throw new ScanTargetException(input, $"'{input}': the targets so far add up to {total}, more than the limit of {maxTargets} (split the scan, or raise --max-targets)");
            }
        }

        return new ScanTargetList(entryArray, fileArray, defaultPort, maxTargets, total);
    }

    /// <summary>The targets in order (command-line entries first, then each file), produced lazily.</summary>
    public IEnumerable<ProbeTarget> Expand()
    {
        foreach ((string input, string text) in Entries(_entries, _files))
        {
            foreach (ProbeTarget target in Parse(input, text, _defaultPort, _maxTargets).Expand())
            {
                yield return target;
            }
        }
    }

    /// <summary>The entries of a target file: one per line, blank lines skipped, <c>#</c> to the end of the line a comment.</summary>
    public static IEnumerable<(int Line, string Entry)> ReadEntries(TextReader reader)
    {
        int number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            string entry = (hash >= 0 ? line[..hash] : line).Trim();
            if (entry.Length > 0)
            {
                yield return (number, entry);
            }
        }
    }

    private static ScanTargetSpec Parse(string input, string text, int defaultPort, long maxTargets) =>
        ScanTargetSpec.TryParse(text, defaultPort, maxTargets, out ScanTargetSpec? spec, out string? error)
            ? spec!
            : throw new ScanTargetException(input, input == text ? error! : $"{input[..^(text.Length + 1)]}: {error}");

    private static IEnumerable<(string Input, string Text)> Entries(IReadOnlyList<string> entries, IReadOnlyList<string> files)
    {
        foreach (string entry in entries)
        {
            yield return (entry, entry);
        }

        foreach (string file in files)
        {
            StreamReader reader;
            try
            {
                reader = new StreamReader(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                string why = ex switch
                {
                    FileNotFoundException => "no such file",
                    DirectoryNotFoundException => "no such directory",
                    UnauthorizedAccessException => "permission denied",
                    _ => ex.Message.TrimEnd('.'),
                };
                throw new ScanTargetException(file, $"'{file}': cannot read the target file ({why})");
            }

            using (reader)
            {
                foreach ((int line, string entry) in ReadEntries(reader))
                {
                    yield return ($"{file}:{line} {entry}", entry);
                }
            }
        }
    }
}
