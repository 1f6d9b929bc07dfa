using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Scan;

/// <summary>
/// Running totals of a scan for its closing table: hosts per reached phase and per failure cause, and the results
/// themselves only while there are few of them (<see cref="MaxRows"/>), so that it stays small however many hosts.
/// </summary>
public sealed class ScanSummary
{
    /// <summary>Above this many hosts the table gives the top causes instead of one row per host.</summary>
    public const int MaxRows = 50;

    private readonly Dictionary<string, long> _byReached = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _byCause = new(StringComparer.Ordinal);
    private List<ScanResult>? _rows = [];

    public long Done { get; private set; }

    public long Succeeded { get; private set; }

    public long Failed => Done - Succeeded;

    /// <summary>Hosts whose probe the scan's stop (Ctrl-C) cut short.</summary>
    public long Interrupted { get; private set; }

    /// <summary>Hosts per last phase completed (<c>none</c> when TCP did not connect), most first.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ByReached => Sorted(_byReached);

    /// <summary>Failed hosts per cause code, most first.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ByCause => Sorted(_byCause);

    /// <summary>Every result in target order, or null once there were more than <see cref="MaxRows"/>.</summary>
    public IReadOnlyList<ScanResult>? Rows => _rows?.OrderBy(r => r.Index).ToArray();

    public void Add(ScanResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Done++;
        if (result.Success)
        {
            Succeeded++;
        }

        if (result.Interrupted)
        {
            Interrupted++;
        }

        string reached = result.Reached?.Name() ?? "none";
        _byReached[reached] = _byReached.GetValueOrDefault(reached) + 1;
        if (result.Cause is { } cause)
        {
            string key = $"{result.FailedPhase?.Name() ?? "-"} {cause}";
            _byCause[key] = _byCause.GetValueOrDefault(key) + 1;
        }

        if (_rows is not null)
        {
            _rows.Add(result);
            if (_rows.Count > MaxRows)
            {
                _rows = null;
            }
        }
    }

    private static KeyValuePair<string, long>[] Sorted(Dictionary<string, long> counts) =>
        [.. counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)];
}
