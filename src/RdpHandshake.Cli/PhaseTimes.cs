using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;

namespace RdpHandshake.Cli;

/// <summary>How long a probe spent in each phase, for the exporter's metrics and the Nagios perfdata.</summary>
internal static class PhaseTimes
{
    /// <summary>
    /// The time of each phase the run entered, in the order entered: from the start of its first step to the end of its
    /// last, added up when the phase comes back (a second connection, a capabilities exchange run again). A step still
    /// in flight when the run ended counts until the end of the run.
    /// </summary>
    public static IReadOnlyList<(ConnectionPhase Phase, TimeSpan Time)> Of(ProbeReport report)
    {
        var times = new List<(ConnectionPhase Phase, TimeSpan Time)>();
        foreach (IReadOnlyList<StepRecord> run in TextRenderer.Phases(report.Steps))
        {
            StepRecord last = run[^1];
            TimeSpan end = last.Start + (last.Duration ?? (report.Elapsed > last.Start ? report.Elapsed - last.Start : TimeSpan.Zero));
            TimeSpan took = end - run[0].Start;
            int at = times.FindIndex(t => t.Phase == run[0].Phase);
            if (at < 0)
            {
                times.Add((run[0].Phase, took));
            }
            else
            {
                times[at] = (run[0].Phase, times[at].Time + took);
            }
        }

        return times;
    }
}
