using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Cli.Exporter;

/// <summary>How the exporter runs: where it listens, what it reads, and its bounds.</summary>
internal sealed record ExporterSettings
{
    public const int DefaultMaxConcurrent = 16;
    public const double DefaultTimeoutOffsetSeconds = 0.5;

    /// <summary>The whole probe's deadline when neither the scrape nor the module gives one (a probe asked for by hand).</summary>
    public static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The least time a probe is given; a scrape timeout that leaves less (after the offset) is refused with 400.</summary>
    public static readonly TimeSpan MinimumProbeTime = TimeSpan.FromSeconds(0.5);

    public required IPEndPoint Listen { get; init; }

    /// <summary>The YAML file of modules and allow-list, re-read on reload; null for the built-in modules.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>The <c>--allow-targets</c> entries, added to the config's allow-list.</summary>
    public IReadOnlyList<string> AllowTargets { get; init; } = [];

    /// <summary>How many probes may run at once; a scrape that finds no free slot within its timeout gets 503.</summary>
    public int MaxConcurrent { get; init; } = DefaultMaxConcurrent;

    /// <summary>Taken from the scrape timeout, so the answer reaches Prometheus before it gives up (the blackbox exporter's --timeout-offset).</summary>
    public TimeSpan TimeoutOffset { get; init; } = TimeSpan.FromSeconds(DefaultTimeoutOffsetSeconds);

    /// <summary>Where <c>password_env</c> reads (the process environment by default).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
}

/// <summary>
/// <c>rdphs exporter</c>'s HTTP side, on Kestrel: <c>/probe?target=HOST[:PORT]&amp;module=NAME</c> runs one probe and
/// answers its metrics in the Prometheus text format (blackbox exporter conventions); <c>/metrics</c> answers the
/// exporter's own; <c>/-/reload</c> (POST) re-reads the config; <c>/-/healthy</c> says it runs. Bad input is a
/// one-line text answer with its status (400 bad request, 403 target not allowed, 404, 405, 503 every probe slot busy),
/// and every answer comes within the scrape's timeout.
/// </summary>
internal sealed class ExporterServer : IAsyncDisposable
{
    public const string TimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds";
    private const string TextContentType = "text/plain; charset=utf-8";
    private const string MetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly ExporterSettings _settings;
    private readonly ExporterProber _prober;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _slots;
    private readonly WebApplication _app;
    private readonly CollectorRegistry _own = Metrics.NewCustomRegistry();
    private readonly Counter _probes;
    private readonly Counter _refused;
    private readonly Gauge _inFlight;
    private readonly Gauge _reloadSuccessful;
    private readonly Gauge _reloadTimestamp;
    private readonly Lock _reloadGate = new();
    private volatile ExporterConfig _config;

    private ExporterServer(ExporterSettings settings, ExporterConfig config, ExporterProber prober, ILogger log)
    {
        _settings = settings;
        _config = config;
        _prober = prober;
        _log = log;
        _slots = new SemaphoreSlim(settings.MaxConcurrent, settings.MaxConcurrent);

        DotNetStats.Register(_own);
        IMetricFactory own = Metrics.WithCustomRegistry(_own);
        own.CreateGauge("rdphs_exporter_build_info", "1, labelled with the version of rdphs.", ["version"]).WithLabels(ToolInfo.Version).Set(1);
        own.CreateGauge("rdphs_exporter_max_concurrent_probes", "How many probes may run at once (--max-concurrent).").Set(settings.MaxConcurrent);
        _inFlight = own.CreateGauge("rdphs_exporter_probes_in_flight", "Probes running now.");
        _probes = own.CreateCounter("rdphs_exporter_probes_total", "Probes run, by module and result (success or failure).", ["module", "result"]);
        _refused = own.CreateCounter("rdphs_exporter_requests_refused_total", "Requests answered without a probe, by reason: bad-request, forbidden, busy, not-found, method.", ["reason"]);
        _reloadSuccessful = own.CreateGauge("rdphs_exporter_config_last_reload_successful", "1 when the last reading of the config succeeded.");
        _reloadTimestamp = own.CreateGauge("rdphs_exporter_config_last_reload_success_timestamp_seconds", "When the config was last read successfully, in seconds since the Unix epoch.");
        _reloadSuccessful.Set(1);
        _reloadTimestamp.SetToCurrentTimeUtc();
        foreach (string reason in new[] { "bad-request", "forbidden", "busy", "not-found", "method" })
        {
            _refused.WithLabels(reason);
        }

        PrepareModuleSeries(config);

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = Math.Max(64, settings.MaxConcurrent * 4);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(130);
            kestrel.Listen(settings.Listen);
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>The config in use.</summary>
    public ExporterConfig Config => _config;

    /// <summary>The address listened on (with the port the system chose when port 0 was asked for).</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Reads the config (a <see cref="UsageException"/> when it is wrong) and starts listening.</summary>
    public static async Task<ExporterServer> StartAsync(
        ExporterSettings settings,
        ILogger? log = null,
        Func<ProbeTarget, ProbeOptions, CancellationToken, Task<ProbeReport>>? probe = null,
        CancellationToken cancellationToken = default)
    {
        ExporterConfig config = ExporterConfig.Load(settings.ConfigPath, settings.AllowTargets, settings.Environment);
        log ??= NullLogger.Instance;
        var prober = new ExporterProber(probe ?? new RdpProber(log).ProbeAsync);
        var server = new ExporterServer(settings, config, prober, log);
        await server._app.StartAsync(cancellationToken).ConfigureAwait(false);
        // Once started, the addresses name the port the system chose for port 0.
        server.Address = new Uri(server._app.Urls.FirstOrDefault() ?? $"http://{settings.Listen}/");
        return server;
    }

    /// <summary>Re-reads the config; on a mistake keeps the one in use and says what is wrong.</summary>
    public bool TryReload(out string message)
    {
        lock (_reloadGate)
        {
            try
            {
                ExporterConfig config = ExporterConfig.Load(_settings.ConfigPath, _settings.AllowTargets, _settings.Environment);
                _config = config;
                PrepareModuleSeries(config);
                _reloadSuccessful.Set(1);
                _reloadTimestamp.SetToCurrentTimeUtc();
                message = $"config reloaded: modules {string.Join(", ", config.Modules.Keys)}; allow-list {config.AllowList} ({config.AllowListOrigin})";
                _log.LogInformation("Config reloaded: modules {Modules}; allow-list {AllowList}", string.Join(", ", config.Modules.Keys), config.AllowList.ToString());
                return true;
            }
            catch (UsageException ex)
            {
                _reloadSuccessful.Set(0);
                message = $"config not reloaded, the one in use stays: {ex.Message}";
                _log.LogWarning("Config not reloaded: {Reason}", ex.Message);
                return false;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _slots.Dispose();
    }

    private void PrepareModuleSeries(ExporterConfig config)
    {
        foreach (string module in config.Modules.Keys)
        {
            _probes.WithLabels(module, "success");
            _probes.WithLabels(module, "failure");
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        bool get = HttpMethods.IsGet(context.Request.Method);
        switch (path)
        {
            case "/probe" when get:
                await ProbeAsync(context).ConfigureAwait(false);
                break;
            case "/metrics" when get:
                context.Response.ContentType = MetricsContentType;
                await _own.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
                break;
            case "/-/healthy" when get:
                await AnswerAsync(context, StatusCodes.Status200OK, "ok").ConfigureAwait(false);
                break;
            case "/-/reload" when HttpMethods.IsPost(context.Request.Method):
                bool reloaded = TryReload(out string message);
                await AnswerAsync(context, reloaded ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest, message).ConfigureAwait(false);
                break;
            case "/" when get:
                await AnswerAsync(context, StatusCodes.Status200OK, Index()).ConfigureAwait(false);
                break;
            case "/probe" or "/metrics" or "/-/healthy" or "/":
                context.Response.Headers.Allow = "GET";
                await RefuseAsync(context, StatusCodes.Status405MethodNotAllowed, "method", $"{context.Request.Method} {path}: only GET is answered here").ConfigureAwait(false);
                break;
            case "/-/reload":
                context.Response.Headers.Allow = "POST";
                await RefuseAsync(context, StatusCodes.Status405MethodNotAllowed, "method", $"{context.Request.Method} {path}: reload with POST").ConfigureAwait(false);
                break;
            default:
                await RefuseAsync(context, StatusCodes.Status404NotFound, "not-found", $"no such page: {Printable(path)} (pages: /probe?target=HOST[:PORT]&module=NAME, /metrics, /-/healthy, /-/reload)").ConfigureAwait(false);
                break;
        }
    }

    private async Task ProbeAsync(HttpContext context)
    {
        ExporterConfig config = _config;
        IQueryCollection query = context.Request.Query;
        if (query["target"] is not { Count: 1 } targets || string.IsNullOrWhiteSpace(targets[0]))
        {
            string problem = query["target"].Count > 1 ? "give one target per probe" : "missing target";
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad-request", $"{problem}: /probe?target=HOST[:PORT]&module=NAME").ConfigureAwait(false);
            return;
        }

        string moduleName = query["module"] is { Count: > 0 } named ? named[0] ?? string.Empty : ExporterConfig.DefaultModule;
        if (query["module"].Count > 1 || !config.Modules.TryGetValue(moduleName, out ExporterModule? module))
        {
            string problem = query["module"].Count > 1 ? "give one module per probe" : $"unknown module '{Printable(moduleName)}'";
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad-request", $"{problem} (modules: {string.Join(", ", config.Modules.Keys)})").ConfigureAwait(false);
            return;
        }

        if (!ProbeTarget.TryParse(targets[0]!, out ProbeTarget? target, out string? targetError))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad-request", $"target {Printable(targetError!)}").ConfigureAwait(false);
            return;
        }

        if (!config.AllowList.Allows(target!))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "forbidden", $"target {target} is not allowed: the exporter probes only {config.AllowList} ({config.AllowListOrigin}); allow more with --allow-targets or allow_targets in the config").ConfigureAwait(false);
            return;
        }

        if (module.Targets is { } own && !own.Allows(target!))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "forbidden", $"target {target} is not one of module {module.Name}'s targets ({own})").ConfigureAwait(false);
            return;
        }

        if (!TryBudget(context, module, out TimeSpan budget, out string? budgetProblem))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad-request", budgetProblem!).ConfigureAwait(false);
            return;
        }

        long waitStarted = TimeProvider.System.GetTimestamp();
        if (!await _slots.WaitAsync(budget, context.RequestAborted).ConfigureAwait(false))
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "busy", $"busy: {_settings.MaxConcurrent} probes are running and none ended within the {Seconds(budget)} s this probe had (--max-concurrent)").ConfigureAwait(false);
            return;
        }

        ExporterProbeResult result;
        try
        {
            budget -= TimeProvider.System.GetElapsedTime(waitStarted);
            if (budget < ExporterSettings.MinimumProbeTime)
            {
                await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "busy", $"busy: waiting for one of the {_settings.MaxConcurrent} probe slots (--max-concurrent) left this probe less than {Seconds(ExporterSettings.MinimumProbeTime)} s").ConfigureAwait(false);
                return;
            }

            _inFlight.Inc();
            try
            {
                result = await _prober.RunAsync(module, target!, budget, context.RequestAborted).ConfigureAwait(false);
            }
            finally
            {
                _inFlight.Dec();
            }
        }
        finally
        {
            _slots.Release();
        }

        _probes.WithLabels(module.Name, result.Success ? "success" : "failure").Inc();
        _log.LogInformation("Probe {Module} {Target}: {Result} in {Seconds} s", module.Name, target!.ToString(), Describe(result), Seconds(result.Duration));
        CollectorRegistry metrics = ProbeMetrics.Registry(result);
        if (query["debug"] is { Count: > 0 } debug && debug[0] == "true")
        {
            await DebugAsync(context, result, metrics).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = MetricsContentType;
        await metrics.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The probe's deadline: the scrape timeout Prometheus announces less the offset, cut to the module's timeout; without
    /// the header, the module's timeout or <see cref="ExporterSettings.DefaultProbeTimeout"/>.
    /// </summary>
    private bool TryBudget(HttpContext context, ExporterModule module, out TimeSpan budget, out string? problem)
    {
        budget = module.Timeout ?? ExporterSettings.DefaultProbeTimeout;
        problem = null;
        if (context.Request.Headers[TimeoutHeader] is not { Count: > 0 } header)
        {
            return true;
        }

        string text = header[0] ?? string.Empty;
        if (header.Count > 1 || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !double.IsFinite(seconds) || seconds <= 0)
        {
            problem = $"{TimeoutHeader} '{Printable(string.Join(",", header.ToArray()))}': not a number of seconds above 0";
            return false;
        }

        TimeSpan scrape = TimeSpan.FromSeconds(Math.Min(seconds, 3600)) - _settings.TimeoutOffset;
        if (scrape < ExporterSettings.MinimumProbeTime)
        {
            problem = $"the scrape timeout of {Seconds(TimeSpan.FromSeconds(seconds))} s leaves {Seconds(scrape < TimeSpan.Zero ? TimeSpan.Zero : scrape)} s for the probe after the {Seconds(_settings.TimeoutOffset)} s offset (--timeout-offset); a probe needs at least {Seconds(ExporterSettings.MinimumProbeTime)} s: raise scrape_timeout";
            return false;
        }

        if (scrape < budget || module.Timeout is null)
        {
            budget = scrape;
        }

        return true;
    }

    private async Task DebugAsync(HttpContext context, ExporterProbeResult result, CollectorRegistry metrics)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        var lines = new Terminal.Lines(text);
        // The phases and the diagnosis without bytes: a page anyone who reaches the exporter can ask for shows no step's
        // fields or bytes (those of a signing-in module's NTLM exchange among them); 'rdphs probe -v' shows them all.
        ProbeReport report = result.Report.Diagnosis is { } diagnosis
            ? result.Report with { Diagnosis = diagnosis with { Evidence = diagnosis.Evidence with { LastSentHex = null, ReceivedHex = null, Fields = null } } }
            : result.Report;
        ProbeOutcome outcome = ProbeCommand.Outcome(report, result.Checks, []);
        lines.Line($"rdphs exporter: module {result.Module.Name}, target {result.Report.Target}{(result.Module.User is { } user ? $", signing in as {user}" : string.Empty)}");
        lines.Line();
        TextRenderer.WriteProbe(lines, report, outcome, Terminal.Detail.Phases, showHex: false, result.Checks);
        lines.Line();
        lines.Line($"NLA required: {result.NlaRequired switch { true => "yes", false => "no", null => "unknown" }}");
        lines.Line();
        lines.Line("Metrics that would have been returned:");
        context.Response.ContentType = TextContentType;
        await context.Response.WriteAsync(text.ToString(), Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
        await metrics.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task RefuseAsync(HttpContext context, int status, string reason, string message)
    {
        _refused.WithLabels(reason).Inc();
        _log.LogInformation("Refused {Method} {Path} from {Remote}: {Status} {Message}", context.Request.Method, Printable(context.Request.Path.Value ?? "/"), context.Connection.RemoteIpAddress?.ToString(), status, message);
        await AnswerAsync(context, status, message).ConfigureAwait(false);
    }

    private static Task AnswerAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = TextContentType;
        return context.Response.WriteAsync(message + "\n", Encoding.UTF8, context.RequestAborted);
    }

    private string Index()
    {
        ExporterConfig config = _config;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"rdphs exporter {ToolInfo.Version}: RDP probes for Prometheus");
        text.AppendLine("  /probe?target=HOST[:PORT]&module=NAME   one probe, its metrics (add &debug=true for the probe's phases)");
        text.AppendLine("  /metrics                                the exporter's own metrics");
        text.AppendLine("  /-/healthy                              ok while it runs");
        text.AppendLine("  /-/reload                               POST: read the config again");
        text.AppendLine(CultureInfo.InvariantCulture, $"modules: {string.Join(", ", config.Modules.Keys)} (default {ExporterConfig.DefaultModule})");
        text.Append(CultureInfo.InvariantCulture, $"allowed targets: {config.AllowList} ({config.AllowListOrigin})");
        return text.ToString();
    }

    private static string Describe(ExporterProbeResult result)
    {
        if (result.Report.Diagnosis is { } diagnosis)
        {
            return $"failed in {diagnosis.Phase.Name()}: {diagnosis.Cause.Name}";
        }

        string reached = $"reached {(result.Report.Reached is { } phase ? phase.Name() : "nothing")}";
        return result.ChecksFailed > 0 ? $"{reached}; {result.ChecksFailed} of {result.Checks.Count} check(s) failed" : reached;
    }

    /// <summary>Input echoed in an answer or a log: control characters shown as '?', at most 200 characters.</summary>
    private static string Printable(string text)
    {
        string shown = new(text.Select(c => char.IsControl(c) ? '?' : c).Take(200).ToArray());
        return text.Length > 200 ? shown + "..." : shown;
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
