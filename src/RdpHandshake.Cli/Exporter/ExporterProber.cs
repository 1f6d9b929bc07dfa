using RdpHandshake.Checks;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Cli.Exporter;

/// <summary>What one <c>/probe</c> found: the report, its checks, and whether the server requires NLA.</summary>
/// <param name="Module">The module that ran.</param>
/// <param name="Report">The probe's report (with a <c>scrape-timeout</c> diagnosis when the exporter's deadline ended it).</param>
/// <param name="Checks">The module's checks, evaluated on the report.</param>
/// <param name="NlaRequired">True when the server turns away a client without NLA, false when it lets one in, null when unknown.</param>
/// <param name="Duration">The whole probe, the NLA question included.</param>
internal sealed record ExporterProbeResult(ExporterModule Module, ProbeReport Report, IReadOnlyList<ExpectationResult> Checks, bool? NlaRequired, TimeSpan Duration)
{
    /// <summary>The probe reached its goal and every check passed: <c>rdphs_probe_success</c>.</summary>
    public bool Success => Report.Diagnosis is null && Checks.All(c => c.Passed);

    public int ChecksFailed => Checks.Count(c => !c.Passed);
}

/// <summary>
/// Runs a module's probe within a deadline and answers the NLA question. The deadline cancels the probe; a probe
/// that ends that way fails with <see cref="CauseId.ScrapeTimeout"/> in the phase it was in, and one that does not
/// end even then is given up a moment later, so an HTTP answer always comes before Prometheus gives up on it.
/// </summary>
internal sealed class ExporterProber(Func<ProbeTarget, ProbeOptions, CancellationToken, Task<ProbeReport>> probe, TimeProvider? time = null)
{
    /// <summary>How long a cancelled probe may take to return its report before it is given up.</summary>
    internal static readonly TimeSpan CancellationGrace = TimeSpan.FromMilliseconds(200);

    private const SecurityProtocols Nla = SecurityProtocols.Hybrid | SecurityProtocols.HybridEx;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<ExporterProbeResult> RunAsync(ExporterModule module, ProbeTarget target, TimeSpan budget, CancellationToken aborted)
    {
        long started = _time.GetTimestamp();
        DateTimeOffset startedAt = _time.GetUtcNow();
        ProbeReport report = await ProbeWithinAsync(target, module.Probe, budget, aborted, startedAt).ConfigureAwait(false);
        IReadOnlyList<ExpectationResult> checks = module.Checks.Select(c => c.Evaluate(report)).ToArray();
        bool? nlaRequired = NlaRequiredFrom(report.Negotiation);
        TimeSpan left = budget - _time.GetElapsedTime(started);
        if (nlaRequired is null && module.CheckNlaRequired && SelectedNla(report.Negotiation) && left > TimeSpan.Zero)
        {
            // The server picked NLA from an offer with TLS in it: ask again offering TLS alone, the X.224 round trip only.
            ProbeOptions tlsAlone = module.Probe with
            {
                Negotiation = module.Probe.Negotiation with { RequestedProtocols = SecurityProtocols.Ssl },
                Until = ConnectionPhase.X224,
                StopWhereCredentialsAreNeeded = false,
                Credentials = null,
                CheckNonceBinding = false,
                FollowRedirects = 0,
            };
            ProbeReport second = await ProbeWithinAsync(target, tlsAlone, left, aborted, _time.GetUtcNow()).ConfigureAwait(false);
            nlaRequired = NlaRequiredFrom(second.Negotiation);
        }

        return new ExporterProbeResult(module, report, checks, nlaRequired, _time.GetElapsedTime(started));
    }

    private async Task<ProbeReport> ProbeWithinAsync(ProbeTarget target, ProbeOptions options, TimeSpan budget, CancellationToken aborted, DateTimeOffset startedAt)
    {
        // The module's per-answer timeouts stay as they are: a server that does not answer within the deadline is cut by it
        // (scrape-timeout), one that does not answer within a shorter per-answer timeout fails with that (timeout).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(budget);
        try
        {
            ProbeReport report = await probe(target, options, deadline.Token).WaitAsync(budget + CancellationGrace, _time, CancellationToken.None).ConfigureAwait(false);
            bool ourDeadline = deadline.IsCancellationRequested && !aborted.IsCancellationRequested;
            return ourDeadline && report.Diagnosis is { Cause.Id: CauseId.Interrupted } interrupted ? TimedOut(report, interrupted, budget) : report;
        }
        catch (TimeoutException)
        {
            return GivenUp(target, options, startedAt, budget);
        }
    }

    /// <summary>The report of a probe the deadline cancelled: the phase it was in, cause <c>scrape-timeout</c>.</summary>
    private static ProbeReport TimedOut(ProbeReport report, Diagnosis interrupted, TimeSpan budget)
    {
        var cause = interrupted.Cause with { Id = CauseId.ScrapeTimeout };
        CatalogEntry entry = DiagnosisCatalog.Lookup(cause);
        string summary = $"the exporter's deadline of {Seconds(budget)} s passed during {interrupted.Evidence.Step ?? cause.Phase.Name()}";
        Diagnosis diagnosis = interrupted with
        {
            Cause = cause,
            Summary = summary,
            Explanation = entry.Explanation,
            Remedy = entry.Remedy,
            Mstsc = null,
            MstscNote = entry.NoMstscCode,
        };
        return report with { Diagnosis = diagnosis, Verdict = $"failed in {cause.Phase.Name()}: {cause.Name} - {summary}" };
    }

    /// <summary>A report for a probe that did not return even once cancelled: nothing is known but that it ran out of time.</summary>
    private static ProbeReport GivenUp(ProbeTarget target, ProbeOptions options, DateTimeOffset startedAt, TimeSpan budget)
    {
        var cause = new Cause(ConnectionPhase.Tcp, CauseId.ScrapeTimeout);
        CatalogEntry entry = DiagnosisCatalog.Lookup(cause);
        string summary = $"the exporter's deadline of {Seconds(budget)} s passed and the probe did not end when cancelled";
        return new ProbeReport
        {
            Target = target.ToString(),
            StartedAt = startedAt,
            Elapsed = budget + CancellationGrace,
            Options = options,
            Steps = [],
            Goal = options.Until,
            Diagnosis = new Diagnosis(cause, summary, entry.Explanation, new Evidence(null), null, entry.Remedy) { MstscNote = entry.NoMstscCode },
            Verdict = $"failed in {cause.Phase.Name()}: {cause.Name} - {summary}",
        };
    }

    /// <summary>What one negotiation says: refused for want of NLA (true), a protocol without NLA selected (false), else unknown.</summary>
    private static bool? NlaRequiredFrom(Protocol.Connector.NegotiationResult? negotiation) => negotiation switch
    {
        { FailureCode: NegotiationFailureCode.HybridRequiredByServer } => true,
        { Selected: { } selected } when (selected & Nla) == 0 => false,
        _ => null,
    };

    private static bool SelectedNla(Protocol.Connector.NegotiationResult? negotiation) =>
        negotiation is { Selected: { } selected } && (selected & Nla) != 0;

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
