using System.Net;
using System.Text.Json;
using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary><c>rdphs scan --json-lines</c> as users run it, over test servers and real xrdp instances at once.</summary>
public sealed class ScanTests(XrdpFixture xrdp) : IClassFixture<XrdpFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private static Fault ParseFault(string text) =>
        Fault.TryParse(text, out Fault? fault, out string? error) ? fault! : throw new ArgumentException(error);

    [Fact]
    public async Task Scanning_test_servers_and_xrdp_gives_one_checked_json_line_per_host()
    {
        xrdp.Require();
        await using var healthy = new RdpTestServer();
        await using var tlsOnly = new RdpTestServer(new TestServerOptions { Accepted = Protocol.X224.SecurityProtocols.Ssl });
        await using var closing = new RdpTestServer(new TestServerOptions { Faults = [ParseFault("x224.confirm:close")] });
        await using var stalling = new RdpTestServer(new TestServerOptions { Faults = [ParseFault("tcp.accept:stall")] });
        string Target(RdpTestServer server) => $"127.0.0.1:{server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port}";
        var expected = new Dictionary<string, (bool Success, string? Reached, string? Selected, string? Cause)>
        {
            [Target(healthy)] = (true, "tls", "hybrid_ex", null),
            [Target(tlsOnly)] = (true, "tls", "ssl", null),
            [Target(closing)] = (false, "tcp", null, "closed-by-peer"),
            [Target(stalling)] = (false, "tcp", null, "host-timeout"),
            [$"127.0.0.1:{xrdp.NegotiatePort}"] = (true, "tls", "ssl", null),
            [$"127.0.0.1:{xrdp.TlsPort}"] = (true, "tls", "ssl", null),
            [$"127.0.0.1:{xrdp.RdpPort}"] = (true, "x224", "rdp", null),
        };

        ProcessResult run = await Peers.RdphsAsync(Limit, ["scan", .. expected.Keys, "--json-lines", "--concurrency", "3", "--host-timeout", "4", "--timeout", "10"]);

        Assert.True(run.ExitCode == ExitCodes.Failure, run.ToString());
        string[] lines = run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Count, lines.Length);
        var seen = new HashSet<string>();
        foreach (string line in lines)
        {
            using JsonDocument json = JsonDocument.Parse(line);
            JsonElement r = json.RootElement;
            Assert.Equal("rdphs.scan/1", r.GetProperty("schema").GetString());
            string target = r.GetProperty("target").GetString()!;
            Assert.True(seen.Add(target), $"two lines for {target}");
            (bool success, string? reached, string? selected, string? cause) = expected[target];
            Assert.True(success == r.GetProperty("success").GetBoolean(), line);
            Assert.Equal(reached, r.GetProperty("reached").GetString());
            Assert.Equal(cause, r.GetProperty("cause").GetString());
            Assert.Equal("tls", r.GetProperty("goal").GetString());
            Assert.InRange(r.GetProperty("index").GetInt64(), 0, expected.Count - 1);
            Assert.True(r.GetProperty("elapsedMs").GetDouble() >= 0);
            if (selected is not null)
            {
                Assert.Equal(selected, r.GetProperty("selected").GetString());
                Assert.Equal(selected.StartsWith("hybrid", StringComparison.Ordinal) ? "selected" : "not-selected", r.GetProperty("nla").GetString());
            }

            if (reached == "tls")
            {
                Assert.NotNull(r.GetProperty("tlsVersion").GetString());
                Assert.NotNull(r.GetProperty("tlsCipherSuite").GetString());
                Assert.NotNull(r.GetProperty("certSubject").GetString());
                Assert.True(r.GetProperty("certDaysLeft").GetInt32() > 0, line);
                Assert.Equal(JsonValueKind.Null, r.GetProperty("failedPhase").ValueKind);
            }

            if (cause is not null)
            {
                Assert.Equal("x224", r.GetProperty("failedPhase").GetString());
                Assert.Equal(11, r.GetProperty("exitCode").GetInt32());
            }
        }

        // The human side: the summary table on stderr, one row per host.
        Assert.Contains("scan summary: 7 of 7 host(s)", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("x224 closed-by-peer", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("x224 host-timeout", run.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scan")]
    [InlineData("scan", "10.0.0.0/8")]
    [InlineData("scan", "10.0.0.5/24")]
    [InlineData("scan", "127.0.0.1", "--concurrency", "0")]
    [InlineData("scan", "127.0.0.1", "--concurrency", "2000")]
    [InlineData("scan", "127.0.0.1", "--until", "credssp")]
    [InlineData("scan", "--targets-file", "/nonexistent/rdphs-targets.txt")]
    public async Task Bad_scan_usage_exits_2_and_names_the_input_at_fault(params string[] args)
    {
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), args);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith("rdphs: ", run.StdErr, StringComparison.Ordinal);
    }
}
