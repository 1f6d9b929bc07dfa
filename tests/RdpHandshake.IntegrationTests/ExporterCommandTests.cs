using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RdpHandshake.Cli;

namespace RdpHandshake.IntegrationTests;

/// <summary><c>rdphs exporter</c> as a process: its usage errors, SIGHUP, its log, and a logon module's password kept out of all of it.</summary>
public sealed class ExporterCommandTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly string _directory = Directory.CreateTempSubdirectory("rdphs-exporter-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<string> ConfigAsync(string yaml)
    {
        string path = Path.Combine(_directory, "exporter.yaml");
        await File.WriteAllTextAsync(path, yaml, TestContext.Current.CancellationToken);
        return path;
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(string address, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{address}{pathAndQuery}"));
        request.Headers.Add("X-Prometheus-Scrape-Timeout-Seconds", "15");
        using HttpResponseMessage response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("modules:\n  x:\n    password: hunter2\n", "modules.x.password: a password is never written in the config")]
    [InlineData("modules: [unclosed\n", "cannot read it as YAML")]
    public async Task A_config_that_does_not_read_stops_it_before_it_listens_with_exit_2(string yaml, string reason)
    {
        string path = await ConfigAsync(yaml);
        ProcessResult run = await Peers.RdphsAsync(Limit, "exporter", "--listen", "127.0.0.1:0", "--config", path);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"rdphs: --config '{path}': ", run.StdErr, StringComparison.Ordinal);
        Assert.Contains(reason, run.StdErr, StringComparison.Ordinal);
        Assert.Single(run.StdErr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("hunter2", run.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--listen 'rdp.example.com:9233': expected ADDRESS:PORT, [IPv6]:PORT or :PORT, e.g. 127.0.0.1:9233", "--listen", "rdp.example.com:9233")]
    [InlineData("--max-concurrent 0: must be from 1 to 1024", "--max-concurrent", "0")]
    [InlineData("--timeout-offset -1: must be at least 0 and under 60 seconds", "--timeout-offset", "-1")]
    [InlineData("--allow-targets '10.0.0.1/8': not an address range", "--allow-targets", "10.0.0.1/8")]
    public async Task Bad_usage_exits_2_with_one_line(string message, params string[] args)
    {
        string[] listen = args.Contains("--listen") ? [] : ["--listen", "127.0.0.1:0"];
        ProcessResult run = await Peers.RdphsAsync(Limit, ["exporter", .. listen, .. args]);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"rdphs: {message}", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_exits_1_and_says_so()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        ProcessResult run = await Peers.RdphsAsync(Limit, "exporter", "--listen", $"127.0.0.1:{port}");
        Assert.True(run.ExitCode == ExitCodes.Failure, run.ToString());
        Assert.StartsWith($"rdphs: cannot listen on 127.0.0.1:{port}: ", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("address already in use", run.StdErr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_names_what_to_write()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "exporter", "--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string placeholder in new[] { "--listen <ADDRESS:PORT>", "--config <FILE>", "--allow-targets <HOSTS>", "--max-concurrent <N>", "--timeout-offset <SECONDS>" })
        {
            Assert.Contains(placeholder, run.StdOut, StringComparison.Ordinal);
        }

        Assert.DoesNotMatch("<[a-z][a-z-]*>", run.StdOut);
    }

    [Fact]
    public async Task A_logon_module_signs_in_logs_each_probe_and_keeps_its_password_out_of_the_answers_and_the_log_and_SIGHUP_reloads()
    {
        Peers.RequireSignalNotIgnored("HUP", 1);
        const string password = "Exporter-Process-Pw-9931";
        await using PeerProcess server = PeerProcess.Rdphs("serve", "--port", "0", "--account", $"monitor:{password}");
        string port = (await server.WaitForLineAsync(@"listening on 127\.0\.0\.1:(\d+)", Limit)).Groups[1].Value;
        string config = await ConfigAsync("modules:\n  logon:\n    user: monitor\n    password_env: MONITOR_PW\n    auth: ntlm\n    until: finalized\n    targets: [127.0.0.1]\n");

        (string fileName, string[] prefix) = Peers.Rdphs;
        await using PeerProcess exporter = PeerProcess.Start(fileName, [.. prefix, "exporter", "--listen", "127.0.0.1:0", "--config", config],
            new Dictionary<string, string> { ["MONITOR_PW"] = password });
        string address = (await exporter.WaitForLineAsync(@"listening on http://(127\.0\.0\.1:\d+)/", Limit)).Groups[1].Value;

        (HttpStatusCode status, string body) = await GetAsync(address, $"/probe?target=127.0.0.1:{port}&module=logon");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("rdphs_probe_success 1", body, StringComparison.Ordinal);
        Assert.Contains("rdphs_phase_duration_seconds{phase=\"finalization\"}", body, StringComparison.Ordinal);
        await exporter.WaitForLineAsync($@"Probe logon 127\.0\.0\.1:{port}: reached finalization in ", Limit);

        // SIGHUP reads the config again: the module is renamed.
        await File.WriteAllTextAsync(config, "modules:\n  logon2:\n    user: monitor\n    password_env: MONITOR_PW\n    auth: ntlm\n    targets: [127.0.0.1]\n", TestContext.Current.CancellationToken);
        ProcessResult hangUp = await Peers.RunAsync("kill", ["-HUP", exporter.Pid.ToString(CultureInfo.InvariantCulture)], Limit);
        Assert.True(hangUp.ExitCode == 0, hangUp.ToString());
        await exporter.WaitForLineAsync("Config reloaded: modules negotiate, tls_only, logon2", Limit);
        (HttpStatusCode gone, string goneBody) = await GetAsync(address, $"/probe?target=127.0.0.1:{port}&module=logon");
        Assert.Equal(HttpStatusCode.BadRequest, gone);
        Assert.StartsWith("unknown module 'logon' (modules: negotiate, tls_only, logon2)", goneBody, StringComparison.Ordinal);
        (_, string metrics) = await GetAsync(address, "/metrics");

        Assert.DoesNotContain(password, body + goneBody + metrics + exporter.Output, StringComparison.Ordinal);
    }
}
