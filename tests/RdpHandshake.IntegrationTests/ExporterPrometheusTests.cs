using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// rdphs exporter scraped by a real Prometheus (Debian's package), configured as for the blackbox exporter: the targets
/// are rewritten into ?target= and the scrape goes to the exporter. The targets are a real xrdp and two failing test
/// servers; Prometheus's HTTP API must answer rdphs_probe_success 1 and 0 and the failures' phase labels. Everything
/// listens on loopback, on ports the peers choose or free a moment before.
/// </summary>
public sealed class ExporterPrometheusTests(XrdpFixture xrdp) : IClassFixture<XrdpFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Prometheus_scrapes_the_exporter_and_answers_success_1_for_xrdp_and_0_with_the_phase_for_failing_servers()
    {
        Peers.Require("prometheus");
        xrdp.Require();
        CancellationToken cancel = TestContext.Current.CancellationToken;
        string directory = Directory.CreateTempSubdirectory("rdphs-prometheus-").FullName;
        var peers = new List<PeerProcess>();
        try
        {
            async Task<Match> StartAsync(PeerProcess peer, string listening)
            {
                peers.Add(peer);
                return await peer.WaitForLineAsync(listening, Startup);
            }

            int closing = int.Parse((await StartAsync(PeerProcess.Rdphs("serve", "--port", "0", "--fault", "x224.confirm:close"), @"listening on 127\.0\.0\.1:(\d+)")).Groups[1].Value, CultureInfo.InvariantCulture);
            int alerting = int.Parse((await StartAsync(PeerProcess.Rdphs("serve", "--port", "0", "--fault", "tls.server-hello:alert"), @"listening on 127\.0\.0\.1:(\d+)")).Groups[1].Value, CultureInfo.InvariantCulture);
            string exporter = (await StartAsync(PeerProcess.Rdphs("exporter", "--listen", "127.0.0.1:0"), @"listening on http://(127\.0\.0\.1:\d+)/")).Groups[1].Value;

            string healthy = $"127.0.0.1:{xrdp.NegotiatePort}";
            string closed = $"127.0.0.1:{closing}";
            string alerted = $"127.0.0.1:{alerting}";
            string config = Path.Combine(directory, "prometheus.yml");
            await File.WriteAllTextAsync(config, PrometheusConfig(exporter, [healthy, closed, alerted]), cancel);
            int port = Peers.FreePort();
            PeerProcess prometheus = PeerProcess.Start("prometheus",
            [
                $"--config.file={config}",
                $"--web.listen-address=127.0.0.1:{port}",
                $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                "--log.level=warn",
            ]);
            peers.Add(prometheus);
            await WaitReadyAsync(port, prometheus, cancel);

            // Scrapes every 2 s, each probe given 1.5 s: the first of a JIT-compiled exporter may run out of time, later ones not.
            IReadOnlyList<Sample> success = await QueryUntilAsync(port, "rdphs_probe_success{job=\"rdp\"}",
                samples => samples.Count == 3 && Value(samples, healthy) == 1 && Value(samples, closed) == 0 && Value(samples, alerted) == 0, cancel);
            Assert.Equal(1, Value(success, healthy));
            Assert.Equal(0, Value(success, closed));
            Assert.Equal(0, Value(success, alerted));

            IReadOnlyList<Sample> failures = await QueryUntilAsync(port, "rdphs_failure_info{job=\"rdp\"} == 1", samples => samples.Count == 2, cancel);
            Sample x224 = Assert.Single(failures, s => s.Labels["instance"] == closed);
            Assert.Equal("x224", x224.Labels["phase"]);
            Assert.Equal("closed-by-peer", x224.Labels["cause"]);
            Sample tls = Assert.Single(failures, s => s.Labels["instance"] == alerted);
            Assert.Equal("tls", tls.Labels["phase"]);
            Assert.Equal("no-common-cipher-suite", tls.Labels["cause"]);

            // What xrdp negotiated, as Prometheus stored it.
            IReadOnlyList<Sample> protocol = await QueryUntilAsync(port, $"rdphs_selected_protocol_info{{instance=\"{healthy}\"}}", samples => samples.Count == 1, cancel);
            Assert.Equal("ssl", protocol[0].Labels["protocol"]);
            IReadOnlyList<Sample> version = await QueryUntilAsync(port, $"rdphs_tls_version_info{{instance=\"{healthy}\"}}", samples => samples.Count == 1, cancel);
            Assert.Equal("1.3", version[0].Labels["version"]);
            IReadOnlyList<Sample> days = await QueryUntilAsync(port, $"(rdphs_certificate_expiry_timestamp_seconds{{instance=\"{healthy}\"}} - time()) / 86400", samples => samples.Count == 1, cancel);
            Assert.InRange(days[0].Value, 300, 4000);

            // The exporter's own metrics, scraped as any target, count the probes.
            IReadOnlyList<Sample> probes = await QueryUntilAsync(port, "sum(rdphs_exporter_probes_total{job=\"rdphs_exporter\"})", samples => samples.Count == 1 && samples[0].Value >= 3, cancel);
            Assert.True(probes[0].Value >= 3);
        }
        finally
        {
            foreach (PeerProcess peer in Enumerable.Reverse(peers))
            {
                await peer.DisposeAsync();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The blackbox exporter's scrape configuration, for rdphs: each target becomes ?target=, the exporter is scraped.</summary>
    internal static string PrometheusConfig(string exporter, IEnumerable<string> targets) => $$"""
        global:
          scrape_interval: 2s
          scrape_timeout: 2s
        scrape_configs:
          - job_name: rdp
            metrics_path: /probe
            params:
              module: [negotiate]
            static_configs:
              - targets: [{{string.Join(", ", targets.Select(t => $"'{t}'"))}}]
            relabel_configs:
              - source_labels: [__address__]
                target_label: __param_target
              - source_labels: [__param_target]
                target_label: instance
              - target_label: __address__
                replacement: '{{exporter}}'
          - job_name: rdphs_exporter
            static_configs:
              - targets: ['{{exporter}}']
        """;

    internal sealed record Sample(IReadOnlyDictionary<string, string> Labels, double Value);

    private static double? Value(IReadOnlyList<Sample> samples, string instance) =>
        samples.FirstOrDefault(s => s.Labels.TryGetValue("instance", out string? i) && i == instance)?.Value;

    private static async Task WaitReadyAsync(int port, PeerProcess prometheus, CancellationToken cancel)
    {
        DateTime deadline = DateTime.UtcNow + Startup;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using HttpResponseMessage ready = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/-/ready"), cancel);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200, cancel);
        }

        throw new TimeoutException($"Prometheus on port {port} not ready after {Startup.TotalSeconds} s:\n{prometheus.Output}");
    }

    /// <summary>Asks /api/v1/query until the answer satisfies <paramref name="done"/> (30 s at most), and returns the last answer.</summary>
    internal static async Task<IReadOnlyList<Sample>> QueryUntilAsync(int port, string query, Func<IReadOnlyList<Sample>, bool> done, CancellationToken cancel)
    {
        IReadOnlyList<Sample> samples = [];
        string raw = string.Empty;
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            raw = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/v1/query?query={Uri.EscapeDataString(query)}"), cancel);
            samples = Parse(raw);
            if (done(samples))
            {
                return samples;
            }

            await Task.Delay(500, cancel);
        }

        Assert.Fail($"Prometheus never answered {query} as expected; last answer: {raw}");
        return samples;
    }

    private static List<Sample> Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        Assert.Equal("success", root.GetProperty("status").GetString());
        var samples = new List<Sample>();
        foreach (JsonElement result in root.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = result.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty);
            double value = double.Parse(result.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            samples.Add(new Sample(labels, value));
        }

        return samples;
    }
}
