using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using RdpHandshake.Cli.Exporter;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// rdphs exporter in this process, on a loopback port, against test servers: the metrics of a probe, the failure's
/// phase and cause, the answers to bad input, the scrape deadline, the bound on concurrent probes, reload, and secrets.
/// </summary>
public sealed partial class ExporterServerTests : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static readonly string[] IssueMetrics =
    [
        "rdphs_probe_success", "rdphs_probe_duration_seconds", "rdphs_phase_duration_seconds", "rdphs_selected_protocol_info",
        "rdphs_nla_required", "rdphs_tls_version_info", "rdphs_tls_cipher_info", "rdphs_certificate_expiry_timestamp_seconds",
        "rdphs_credssp_version", "rdphs_checks_failed",
    ];

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("rdphs-exporter-").FullName;

    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private ProbeTarget Server(TestServerOptions options, string address = "127.0.0.1")
    {
        var server = new RdpTestServer(options with { ReadTimeout = TimeSpan.FromSeconds(10) });
        IPEndPoint endpoint = server.Start(new IPEndPoint(IPAddress.Parse(address), 0));
        _owned.Add(server);
        return new ProbeTarget(endpoint.Address.ToString(), endpoint.Port);
    }

    private async Task<ExporterServer> ExporterAsync(string? yaml = null, int maxConcurrent = 4, ILogger? log = null, Func<string, string?>? environment = null)
    {
        string? path = null;
        if (yaml is not null)
        {
            path = Path.Combine(_directory, "exporter.yaml");
            await File.WriteAllTextAsync(path, yaml, TestContext.Current.CancellationToken);
        }

        ExporterServer exporter = await ExporterServer.StartAsync(
            new ExporterSettings
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                ConfigPath = path,
                MaxConcurrent = maxConcurrent,
                Environment = environment ?? (_ => null),
            },
            log,
            cancellationToken: TestContext.Current.CancellationToken);
        _owned.Add(exporter);
        return exporter;
    }

    private static async Task<(HttpStatusCode Status, string Body, string? ContentType)> GetAsync(ExporterServer exporter, string pathAndQuery, double? scrapeTimeout = 10)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(exporter.Address, pathAndQuery));
        if (scrapeTimeout is { } seconds)
        {
            request.Headers.Add(ExporterServer.TimeoutHeader, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using HttpResponseMessage response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), response.Content.Headers.ContentType?.ToString());
    }

    private static string ProbePath(ProbeTarget target, string? module = null) =>
        $"/probe?target={Uri.EscapeDataString(target.ToString())}{(module is null ? string.Empty : $"&module={module}")}";

    /// <summary>The value of one sample, e.g. <c>rdphs_failure_info{phase="x224",cause="closed-by-peer"}</c>; null when absent.</summary>
    private static double? Sample(string body, string series)
    {
        foreach (string line in body.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static IEnumerable<string> Families(string body) => body.Split('\n')
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => l.Split('{', ' ')[0])
        .Distinct();

    [Fact]
    public async Task A_probe_answers_the_metrics_the_issue_names_each_with_help_and_type()
    {
        ProbeTarget target = Server(new TestServerOptions());
        ExporterServer exporter = await ExporterAsync();

        (HttpStatusCode status, string body, string? contentType) = await GetAsync(exporter, ProbePath(target));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", contentType);
        Assert.Equal(1, Sample(body, "rdphs_probe_success"));
        foreach (string name in IssueMetrics)
        {
            Assert.Contains($"# HELP {name} ", body, StringComparison.Ordinal);
            Assert.Contains($"# TYPE {name} gauge\n", body, StringComparison.Ordinal);
        }

        Assert.All(Families(body), family => Assert.Contains($"# TYPE {family} ", body, StringComparison.Ordinal));
        Assert.DoesNotContain("rdphs_failure_info", body, StringComparison.Ordinal);
        Assert.Equal(1, Sample(body, "rdphs_selected_protocol_info{protocol=\"hybrid_ex\"}"));
        Assert.Equal(1, Sample(body, "rdphs_tls_version_info{version=\"1.3\"}"));
        Assert.Matches("rdphs_tls_cipher_info\\{suite=\"TLS_[A-Z0-9_]+\"\\} 1", body);
        Assert.Equal(6, Sample(body, "rdphs_credssp_version"));
        Assert.Equal(0, Sample(body, "rdphs_nla_required")); // it lets a TLS-only client in
        Assert.Equal(0, Sample(body, "rdphs_checks_failed"));
        foreach (string phase in new[] { "tcp", "x224", "tls", "credssp" })
        {
            Assert.InRange(Sample(body, $"rdphs_phase_duration_seconds{{phase=\"{phase}\"}}") ?? -1, 0, 10);
        }

        // The test server's certificate runs for a year from now.
        double expiry = Sample(body, "rdphs_certificate_expiry_timestamp_seconds") ?? 0;
        Assert.InRange(expiry - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 300 * 86400, 400 * 86400);
        Assert.InRange(Sample(body, "rdphs_probe_duration_seconds") ?? -1, 0, 10);
    }

    [Theory]
    [InlineData("x224.confirm:close", "x224", "closed-by-peer")]
    [InlineData("x224.confirm:reset", "x224", "reset")]
    [InlineData("tls.server-hello:alert", "tls", "no-common-cipher-suite")]
    public async Task A_failing_server_gives_success_0_and_the_phase_and_cause_of_the_failure(string fault, string phase, string cause)
    {
        Assert.True(Fault.TryParse(fault, out Fault? parsed, out string? error), error);
        ProbeTarget target = Server(new TestServerOptions { Faults = [parsed!] });
        ExporterServer exporter = await ExporterAsync();

        (HttpStatusCode status, string body, _) = await GetAsync(exporter, ProbePath(target));

        Assert.Equal(HttpStatusCode.OK, status); // the probe ran: its failure is in the metrics, not the HTTP status
        Assert.Equal(0, Sample(body, "rdphs_probe_success"));
        Assert.Equal(1, Sample(body, $"rdphs_failure_info{{phase=\"{phase}\",cause=\"{cause}\"}}"));
        Assert.Single(body.Split('\n'), l => l.StartsWith("rdphs_failure_info{", StringComparison.Ordinal));
        Assert.Contains("# TYPE rdphs_failure_info gauge", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_requires_nla_is_told_from_one_that_prefers_it()
    {
        ProbeTarget requires = Server(new TestServerOptions { Accepted = SecurityProtocols.Hybrid | SecurityProtocols.HybridEx, AcceptStandardSecurity = false });
        ExporterServer exporter = await ExporterAsync();

        (_, string negotiate, _) = await GetAsync(exporter, ProbePath(requires, "negotiate"));
        Assert.Equal(1, Sample(negotiate, "rdphs_probe_success"));
        Assert.Equal(1, Sample(negotiate, "rdphs_nla_required"));

        (_, string tlsOnly, _) = await GetAsync(exporter, ProbePath(requires, "tls_only"));
        Assert.Equal(0, Sample(tlsOnly, "rdphs_probe_success"));
        Assert.Equal(1, Sample(tlsOnly, "rdphs_nla_required"));
        Assert.Equal(1, Sample(tlsOnly, "rdphs_failure_info{phase=\"x224\",cause=\"nla-required\"}"));
    }

    [Fact]
    public async Task A_server_that_never_answers_is_cut_at_the_scrape_timeout_less_the_offset_as_scrape_timeout()
    {
        Assert.True(Fault.TryParse("x224.confirm:stall", out Fault? stall, out _));
        ProbeTarget target = Server(new TestServerOptions { Faults = [stall!] });
        ExporterServer exporter = await ExporterAsync();

        var watch = Stopwatch.StartNew();
        (HttpStatusCode status, string body, _) = await GetAsync(exporter, ProbePath(target), scrapeTimeout: 2);
        watch.Stop();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"answered after {watch.Elapsed}, past the scrape timeout");
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.4), $"answered after {watch.Elapsed}, before the deadline");
        Assert.Equal(0, Sample(body, "rdphs_probe_success"));
        Assert.Equal(1, Sample(body, "rdphs_failure_info{phase=\"x224\",cause=\"scrape-timeout\"}"));
    }

    [Theory]
    [InlineData("/probe", null, HttpStatusCode.BadRequest, "missing target: /probe?target=HOST[:PORT]&module=NAME")]
    [InlineData("/probe?target=", null, HttpStatusCode.BadRequest, "missing target")]
    [InlineData("/probe?target=127.0.0.1&target=127.0.0.2", null, HttpStatusCode.BadRequest, "give one target per probe")]
    [InlineData("/probe?target=127.0.0.1&module=http_2xx", null, HttpStatusCode.BadRequest, "unknown module 'http_2xx' (modules: negotiate, tls_only)")]
    [InlineData("/probe?target=rdp%20example.com", null, HttpStatusCode.BadRequest, "target 'rdp example.com': not a host name: it contains a space")]
    [InlineData("/probe?target=127.0.0.1:99999", null, HttpStatusCode.BadRequest, "target '127.0.0.1:99999': the port must be a number from 1 to 65535")]
    [InlineData("/probe?target=127.0.0.1", "abc", HttpStatusCode.BadRequest, "X-Prometheus-Scrape-Timeout-Seconds 'abc': not a number of seconds above 0")]
    [InlineData("/probe?target=127.0.0.1", "-3", HttpStatusCode.BadRequest, "X-Prometheus-Scrape-Timeout-Seconds '-3': not a number of seconds above 0")]
    [InlineData("/probe?target=127.0.0.1", "0.6", HttpStatusCode.BadRequest, "the scrape timeout of 0.6 s leaves 0.1 s for the probe after the 0.5 s offset (--timeout-offset); a probe needs at least 0.5 s: raise scrape_timeout")]
    [InlineData("/probe?target=192.0.2.7:3389", null, HttpStatusCode.Forbidden, "target 192.0.2.7:3389 is not allowed: the exporter probes only 127.0.0.0/8, ::1, localhost (loopback only, the default); allow more with --allow-targets or allow_targets in the config")]
    [InlineData("/probe?target=rdp.example.com", null, HttpStatusCode.Forbidden, "target rdp.example.com:3389 is not allowed")]
    [InlineData("/probes?target=127.0.0.1", null, HttpStatusCode.NotFound, "no such page: /probes (pages: /probe?target=HOST[:PORT]&module=NAME, /metrics, /-/healthy, /-/reload)")]
    [InlineData("/-/reload", null, HttpStatusCode.MethodNotAllowed, "GET /-/reload: reload with POST")]
    public async Task Bad_input_is_answered_at_once_with_its_status_and_one_line_that_names_it(string pathAndQuery, string? timeoutHeader, HttpStatusCode expected, string message)
    {
        ExporterServer exporter = await ExporterAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(exporter.Address, pathAndQuery));
        if (timeoutHeader is not null)
        {
            request.Headers.Add(ExporterServer.TimeoutHeader, timeoutHeader);
        }

        var watch = Stopwatch.StartNew();
        using HttpResponseMessage response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.StartsWith(message, body, StringComparison.Ordinal);
        Assert.Single(body.TrimEnd('\n').Split('\n'));
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"answered after {watch.Elapsed}");
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_probe_that_finds_every_slot_taken_until_its_deadline_gets_503_and_the_count_shows_in_metrics()
    {
        Assert.True(Fault.TryParse("x224.confirm:stall", out Fault? stall, out _));
        ProbeTarget target = Server(new TestServerOptions { Faults = [stall!] });
        ExporterServer exporter = await ExporterAsync(maxConcurrent: 1);

        Task<(HttpStatusCode Status, string Body, string? ContentType)> first = GetAsync(exporter, ProbePath(target), scrapeTimeout: 4);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        var watch = Stopwatch.StartNew();
        (HttpStatusCode status, string body, _) = await GetAsync(exporter, ProbePath(target), scrapeTimeout: 1.5);
        watch.Stop();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("busy: 1 probes are running and none ended within the 1 s this probe had (--max-concurrent)", body, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.5), $"answered after {watch.Elapsed}");
        (HttpStatusCode firstStatus, string firstBody, _) = await first;
        Assert.Equal(HttpStatusCode.OK, firstStatus);
        Assert.Equal(1, Sample(firstBody, "rdphs_failure_info{phase=\"x224\",cause=\"scrape-timeout\"}"));

        (_, string own, _) = await GetAsync(exporter, "/metrics");
        Assert.Equal(1, Sample(own, "rdphs_exporter_requests_refused_total{reason=\"busy\"}"));
        Assert.Equal(1, Sample(own, "rdphs_exporter_probes_total{module=\"negotiate\",result=\"failure\"}"));
        Assert.Equal(0, Sample(own, "rdphs_exporter_probes_in_flight"));
        Assert.Equal(1, Sample(own, "rdphs_exporter_max_concurrent_probes"));
        Assert.Contains("process_cpu_seconds_total", own, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_module_s_checks_decide_success_and_each_check_has_its_series()
    {
        ProbeTarget target = Server(new TestServerOptions());
        ExporterServer exporter = await ExporterAsync("""
            modules:
              strict_tls:
                protocols: [ssl]
                until: tls
                expect: [ "tls>=1.2", "cert.key-bits>=4096", "cipher!~CBC" ]
            allow_targets: [ 127.0.0.1 ]
            """);

        (_, string body, _) = await GetAsync(exporter, ProbePath(target, "strict_tls"));

        Assert.Equal(0, Sample(body, "rdphs_probe_success")); // reached tls, but a check failed
        Assert.DoesNotContain("rdphs_failure_info", body, StringComparison.Ordinal);
        Assert.Equal(3, Sample(body, "rdphs_checks_total"));
        Assert.Equal(1, Sample(body, "rdphs_checks_failed"));
        Assert.Equal(0, Sample(body, "rdphs_check_passed{check=\"cert.key-bits>=4096\"}"));
        Assert.Equal(1, Sample(body, "rdphs_check_passed{check=\"tls>=1.2\"}"));
        Assert.Equal(1, Sample(body, "rdphs_selected_protocol_info{protocol=\"ssl\"}"));
    }

    [Fact]
    public async Task A_reload_with_a_broken_config_keeps_the_one_in_use_and_a_good_one_replaces_it()
    {
        ExporterServer exporter = await ExporterAsync("modules:\n  first:\n    until: x224\n");
        string path = Path.Combine(_directory, "exporter.yaml");
        using var post = new StringContent(string.Empty);

        await File.WriteAllTextAsync(path, "modules: [unclosed\n", TestContext.Current.CancellationToken);
        using HttpResponseMessage broken = await Http.PostAsync(new Uri(exporter.Address, "/-/reload"), post, TestContext.Current.CancellationToken);
        string brokenBody = await broken.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.StartsWith($"config not reloaded, the one in use stays: --config '{path}': cannot read it as YAML", brokenBody, StringComparison.Ordinal);
        Assert.Contains("first", exporter.Config.Modules.Keys);
        (_, string own, _) = await GetAsync(exporter, "/metrics");
        Assert.Equal(0, Sample(own, "rdphs_exporter_config_last_reload_successful"));

        await File.WriteAllTextAsync(path, "modules:\n  second:\n    until: tls\n", TestContext.Current.CancellationToken);
        using HttpResponseMessage good = await Http.PostAsync(new Uri(exporter.Address, "/-/reload"), post, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        (HttpStatusCode status, string body, _) = await GetAsync(exporter, "/probe?target=127.0.0.1&module=first");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("unknown module 'first' (modules: negotiate, tls_only, second)", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_password_of_a_module_is_never_in_metrics_labels_pages_error_bodies_or_logs()
    {
        const string password = "Zq7-Exporter-Secret-Pw";
        const string wrongPassword = "Wrong-Exporter-Secret-Pw";
        ProbeTarget target = Server(new TestServerOptions { Accounts = [new TestAccount("monitor", "", password)] });
        ProbeTarget other = Server(new TestServerOptions { Accounts = [new TestAccount("monitor", "", password)] }, "127.0.0.2");
        var log = new CapturingLogger();
        ExporterServer exporter = await ExporterAsync(
            """
            modules:
              logon:
                until: finalized
                user: monitor
                password_env: GOOD_PW
                auth: ntlm
                targets: [ 127.0.0.1 ]
              bad_logon:
                until: finalized
                user: monitor
                password_env: BAD_PW
                auth: ntlm
                targets: [ 127.0.0.2 ]
            allow_targets: [ 127.0.0.0/8 ]
            """,
            log: log,
            environment: name => name switch { "GOOD_PW" => password, "BAD_PW" => wrongPassword, _ => null });

        var everything = new StringBuilder();
        async Task<string> Fetch(string pathAndQuery)
        {
            (_, string body, _) = await GetAsync(exporter, pathAndQuery);
            everything.AppendLine(body);
            return body;
        }

        string good = await Fetch(ProbePath(target, "logon"));
        Assert.Equal(1, Sample(good, "rdphs_probe_success"));
        Assert.True(Sample(good, "rdphs_phase_duration_seconds{phase=\"finalization\"}") > 0, good);

        // The bad module may only probe 127.0.0.2, where the other server listens.
        string refused = await Fetch(ProbePath(target, "bad_logon"));
        Assert.StartsWith($"target {target} is not one of module bad_logon's targets (127.0.0.2)", refused, StringComparison.Ordinal);
        string bad = await Fetch(ProbePath(other, "bad_logon"));
        Assert.Equal(0, Sample(bad, "rdphs_probe_success"));
        Assert.Equal(1, Sample(bad, "rdphs_failure_info{phase=\"credssp\",cause=\"auth-failed:STATUS_LOGON_FAILURE\"}"));

        await Fetch(ProbePath(target, "logon") + "&debug=true");
        await Fetch(ProbePath(other, "bad_logon") + "&debug=true");
        await Fetch("/probe?target=127.0.0.1&module=nope");
        await Fetch("/probe?target=192.0.2.1&module=logon");
        await Fetch("/metrics");
        await Fetch("/");
        using (var post = new StringContent(string.Empty))
        {
            using HttpResponseMessage reload = await Http.PostAsync(new Uri(exporter.Address, "/-/reload"), post, TestContext.Current.CancellationToken);
            everything.AppendLine(await reload.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        string logs = string.Join('\n', log.Lines);
        Assert.Contains("Probe logon 127.0.0.1:", logs, StringComparison.Ordinal);
        Assert.Contains("failed in credssp: auth-failed:STATUS_LOGON_FAILURE", logs, StringComparison.Ordinal);
        Assert.Contains("rdphs exporter: module logon", everything.ToString(), StringComparison.Ordinal);
        foreach (string secret in new[] { password, wrongPassword })
        {
            string[] forms =
            [
                secret,
                Convert.ToHexString(Encoding.UTF8.GetBytes(secret)),
                Convert.ToHexString(Encoding.Unicode.GetBytes(secret)),
            ];
            foreach (string form in forms)
            {
                Assert.DoesNotContain(form, everything.ToString(), StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(form, logs, StringComparison.OrdinalIgnoreCase);
            }
        }

        Assert.True(log.Lines.Count > 20, $"the Trace log has {log.Lines.Count} lines");
    }

    /// <summary>Keeps every formatted log line, at every level.</summary>
    private sealed class CapturingLogger : ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception) + (exception is null ? string.Empty : $" {exception}"));
            }
        }
    }
}
