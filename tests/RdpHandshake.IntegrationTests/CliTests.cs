using System.Text.Json;
using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;

namespace RdpHandshake.IntegrationTests;

/// <summary>The rdphs command as users run it: a separate process, its output and its exit code.</summary>
public sealed class CliTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Probe_without_a_target_runs_a_full_timeline_against_the_built_in_server()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", "--verbose");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("built-in test server", run.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"1\s+tcp\.connect .* ok", run.StdOut);
        Assert.Matches(@"2\s+x224\.request .* ok", run.StdOut);
        Assert.Matches(@"3\s+x224\.confirm .* ok", run.StdOut);
        Assert.Matches(@"7\s+tls\.finished .* ok", run.StdOut);
        Assert.Contains("test account 'alice'", run.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"credssp\.early-user-auth .* ok  AUTHZ_SUCCESS", run.StdOut);
        Assert.Matches(@"mcs\.connect-response .* ok", run.StdOut);
        Assert.Matches(@"licensing\.license .* ok .*STATUS_VALID_CLIENT", run.StdOut);
        Assert.Matches(@"finalization\.font-map .* ok  connection finalized", run.StdOut);
        Assert.Contains("verdict: OK - reached finalization", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_yaml_policy_is_read_and_a_failing_check_exits_with_3()
    {
        string directory = Directory.CreateTempSubdirectory("rdphs-policy-").FullName;
        string policy = Path.Combine(directory, "policy.yaml");
        await File.WriteAllTextAsync(policy, "# every server\nexpect:\n  - reached=finalized\n  - \"tls>=1.2\"\n  - \"encryption-level>=high\"\n  - cert.key-bits>=4096\n", TestContext.Current.CancellationToken);
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", "--policy", policy, "--json");
        Assert.True(run.ExitCode == ExitCodes.ExpectationsFailed, run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        JsonElement[] checks = json.RootElement.GetProperty("expectations").EnumerateArray().ToArray();
        Assert.Equal(["reached=finalized", "tls>=1.2", "encryption-level>=high", "cert.key-bits>=4096"], checks.Select(c => c.GetProperty("check").GetString()));
        Assert.Equal([true, true, true, false], checks.Select(c => c.GetProperty("passed").GetBoolean()));

        await File.WriteAllTextAsync(policy, "expect: [unclosed\n", TestContext.Current.CancellationToken);
        ProcessResult bad = await Peers.RdphsAsync(Limit, "probe", "--policy", policy);
        Assert.True(bad.ExitCode == ExitCodes.Usage, bad.ToString());
        Assert.Contains(policy, bad.StdErr, StringComparison.Ordinal);
        Assert.Contains("YAML", bad.StdErr, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData("x224.confirm:close", "closed-by-peer")]
    [InlineData("x224.confirm:reset", "reset")]
    [InlineData("x224.confirm:garbage", "malformed-response")]
    public async Task Probe_against_a_misbehaving_built_in_server_exits_with_the_x224_code(string fault, string cause)
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", "--server-fault", fault, "--json");
        Assert.True(run.ExitCode == ExitCodes.X224, run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        Assert.Equal(cause, json.RootElement.GetProperty("diagnosis").GetProperty("cause").GetString());
    }

    [Theory]
    [InlineData("probe", "host:99999")]
    [InlineData("probe", "--protocols", "ssl,quic")]
    [InlineData("probe", "--no-such-option")]
    [InlineData("probe", "--timeout", "-1")]
    [InlineData("probe", "host", "--server-fault", "x224.confirm:close")]
    [InlineData("serve", "--fault", "x224.confirm:explode")]
    [InlineData("serve", "--credssp-fault", "explode")]
    [InlineData("protocols")]
    public async Task Bad_usage_exits_2_and_names_the_input_at_fault(params string[] args)
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, args);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith("rdphs: ", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("probe", "--junit")]
    [InlineData("probe", "--pcap")]
    [InlineData("fuzz", "--report")]
    public async Task A_report_path_that_cannot_be_written_is_bad_usage_before_anything_is_sent(string command, string option)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rdphs-no-such-directory-{Guid.NewGuid():N}", "report");
        string[] args = command == "fuzz"
            ? ["fuzz", $"127.0.0.1:{Peers.FreePort()}", "--layer", "x224", "--cases", "1", option, path]
            : ["probe", option, path];
        ProcessResult run = await Peers.RdphsAsync(Limit, args);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"rdphs: {option} '{path}': cannot write the ", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("(no such directory)", run.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.StdOut); // nothing ran: no server started, no step, no verdict
    }

    [Theory]
    [InlineData("--junit", "JUnit report")]
    [InlineData("--pcap", "capture")]
    public async Task A_report_that_cannot_be_written_at_the_end_fails_the_run_with_its_own_exit_code(string option, string what)
    {
        // /dev/full opens for writing, and every write to it fails with ENOSPC: the failure comes at the end.
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", "--until", "x224", option, "/dev/full");
        Assert.True(run.ExitCode == ExitCodes.ReportNotWritten, run.ToString());
        Assert.Contains($"rdphs: cannot write the {what} to /dev/full: no space left on device", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.StdOut + run.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tls>>1.2", "'>1.2' is not a TLS version")]
    [InlineData("tls>=banana", "'banana' is not a TLS version")]
    [InlineData("cert.days-left>=abc", "'abc' is not a number")]
    [InlineData("reached>=tsl", "'tsl' is not a phase")]
    [InlineData("cipher>=TLS_AES_128_GCM_SHA256", "'>=' orders numbers")]
    [InlineData("protocol=hybird", "'hybird' is not a security protocol")]
    public async Task A_check_that_cannot_make_sense_is_bad_usage_before_the_probe_runs(string check, string reason)
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", "--expect", check);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"rdphs: --expect '{check}': ", run.StdErr, StringComparison.Ordinal);
        Assert.Contains(reason, run.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.StdOut); // not a failed check after a whole probe: nothing ran
    }

    [Theory]
    [InlineData("json", "{\"expect\": [\"tls>=1.2\"], \"expects\": [\"cipher!~CBC\"]}", "unknown key \"expects\"")]
    [InlineData("yaml", "expect: [ \"tls>=1.2\" ]\nexpects: [ \"cipher!~CBC\" ]\n", "unknown key \"expects\"")]
    [InlineData("json", "{\"expect\": [\"tls>=1.2\"], \"targets\": {\"rdp1.example.com:3389\": [\"protocol=hybrid\"], \"rdp2.example.com\": []}}", "no entry of \"targets\" matches 127.0.0.1:")]
    [InlineData("json", "{\"expect\": [\"tls>=1.2\"], \"targets\": {\"rdp1.example.com:3389\": [\"protocol=hybrid\"], \"rdp2.example.com\": []}}", "(the policy has: rdp1.example.com:3389, rdp2.example.com)")]
    [InlineData("yaml", "expect: [ \"tls>=1.2\", \"cert.key-bits>=lots\" ]\n", "'lots' is not a number")]
    public async Task A_policy_is_checked_whole_before_the_probe_runs(string format, string content, string reason)
    {
        string directory = Directory.CreateTempSubdirectory("rdphs-policy-").FullName;
        string policy = Path.Combine(directory, $"policy.{format}");
        await File.WriteAllTextAsync(policy, content, TestContext.Current.CancellationToken);
        // A target where nothing listens: a policy that got past its checks would fail in tcp (exit 10) instead.
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", $"127.0.0.1:{Peers.FreePort()}", "--policy", policy);
        Directory.Delete(directory, recursive: true);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"rdphs: --policy", run.StdErr, StringComparison.Ordinal);
        Assert.Contains(reason, run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_applies_the_entry_of_the_probed_target_and_no_other()
    {
        await using var server = new RdpHandshake.TestServer.RdpTestServer(new RdpHandshake.TestServer.TestServerOptions());
        System.Net.IPEndPoint endpoint = server.Start();
        string directory = Directory.CreateTempSubdirectory("rdphs-policy-").FullName;
        string policy = Path.Combine(directory, "policy.json");
        await File.WriteAllTextAsync(policy, $"{{\"targets\": {{\"rdp1.example.com\": [\"tls>=1.3\"], \"127.0.0.1:{endpoint.Port}\": [\"reached=x224\", \"protocol=hybrid\"]}}}}", TestContext.Current.CancellationToken);
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", $"127.0.0.1:{endpoint.Port}", "--until", "x224", "--policy", policy, "--json");
        Directory.Delete(directory, recursive: true);

        Assert.True(run.ExitCode == ExitCodes.ExpectationsFailed, run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        JsonElement[] checks = json.RootElement.GetProperty("expectations").EnumerateArray().ToArray();
        Assert.Equal(["reached=x224", "protocol=hybrid"], checks.Select(c => c.GetProperty("check").GetString()));
        Assert.Equal([true, false], checks.Select(c => c.GetProperty("passed").GetBoolean())); // the server selects hybrid_ex
    }

    [Theory]
    [InlineData("unknown command 'prob': did you mean 'probe'?", "prob")]
    [InlineData("unknown command 'sacn': did you mean 'scan'?", "sacn", "10.0.0.0/30")]
    [InlineData("unknown option '--tiemout' for 'rdphs probe': did you mean '--timeout'?", "probe", "--tiemout", "3")]
    [InlineData("unknown option '--protocol' for 'rdphs protocols': did you mean '--protocols'?", "protocols", "host", "--protocol", "ssl")]
    [InlineData("--timeout 'abc': not a number", "probe", "--timeout", "abc")]
    [InlineData("--concurrency 'two': not a whole number", "protocols", "host", "--concurrency", "two")]
    [InlineData("--log-level 'loud': not a level", "probe", "--log-level", "loud")]
    [InlineData("--timeout needs a value: SECONDS", "probe", "--timeout")]
    [InlineData("'rdphs tls' needs a target: HOST[:PORT]", "tls")]
    [InlineData("name a command: probe, protocols, tls", new string[0])]
    [InlineData("target 'rdp example.com': not a host name: it contains a space", "probe", "rdp example.com")]
    [InlineData("target 'rdp!.example.com:3390': not a host name: '!' cannot be part of one", "tls", "rdp!.example.com:3390")]
    [InlineData("target 'rdp://rdp.example.com': write the host without a scheme", "protocols", "rdp://rdp.example.com")]
    [InlineData("--password-file '/nonexistent-rdphs/pw': cannot read it (no such directory)", "probe", "127.0.0.1:1", "--user", "alice", "--password-file", "/nonexistent-rdphs/pw")]
    public async Task Bad_usage_is_one_lowercase_line_that_names_the_input_without_a_dotnet_name(string message, params string[] args)
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, args);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"rdphs: {message}", run.StdErr, StringComparison.Ordinal);
        Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotMatch(@"System\.|Microsoft\.|Exception|Cannot parse|Unrecognized", run.StdErr);
        Assert.Equal(string.Empty, run.StdOut);
    }

    [Fact]
    public async Task The_top_level_help_is_one_page_with_one_line_per_command()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.StdOut.TrimEnd().Split('\n');
        Assert.True(lines.Length <= 40, $"{lines.Length} lines:\n{run.StdOut}");
        foreach (string command in new[] { "probe", "protocols", "tls", "ntlm-info", "scan", "serve", "explain", "fuzz" })
        {
            Assert.Single(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^  {command}\b"));
        }
    }

    [Theory]
    [InlineData("probe", "<HOST[:PORT]>", "--timeout <SECONDS>", "--junit <FILE>", "--pcap <FILE>", "--password-file <FILE>", "--client <PROFILE>")]
    [InlineData("protocols", "<HOST[:PORT]>", "--timeout <SECONDS>", "--concurrency <N>")]
    [InlineData("tls", "<HOST[:PORT]>", "--timeout <SECONDS>")]
    [InlineData("compat", "<HOST[:PORT]>", "--clients <PROFILES>", "--timeout <SECONDS>")]
    [InlineData("ntlm-info", "<HOST[:PORT]>", "--connect-timeout <SECONDS>")]
    [InlineData("scan", "<TARGETS>", "--targets-file <FILE>", "--host-timeout <SECONDS>")]
    [InlineData("serve", "--port <PORT>", "--certificate-file <FILE>")]
    [InlineData("fuzz", "<HOST[:PORT]>", "--report <FILE>", "--timeout <SECONDS>")]
    [InlineData("explain", "<CODE>")]
    public async Task Help_placeholders_say_what_to_write(string command, params string[] placeholders)
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, command, "--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string placeholder in placeholders)
        {
            Assert.Contains(placeholder, run.StdOut, StringComparison.Ordinal);
        }

        // No placeholder is the parser's lowercase echo of an option's name (<timeout>, <target>).
        Assert.DoesNotMatch("<[a-z][a-z-]*>", run.StdOut);
    }

    private static readonly string[] AllPhases = ["tcp", "x224", "tls", "credssp", "mcs", "security", "licensing", "capabilities", "finalization"];

    [Fact]
    public async Task A_successful_probe_prints_the_verdict_first_then_one_line_per_phase_in_at_most_25_lines()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        string[] lines = run.StdOut.TrimEnd().Split('\n');
        string[] all = [.. lines, .. run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        Assert.True(all.Length <= 25, $"{all.Length} lines on stdout and stderr together:\n{run}");

        int verdict = Array.FindIndex(lines, l => l.StartsWith("verdict: OK - reached finalization", StringComparison.Ordinal));
        Assert.True(verdict >= 0, run.ToString());
        string[] phaseLines = lines.Skip(verdict + 1).Where(l => l.Length > 0).ToArray();
        Assert.Equal(AllPhases, phaseLines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
        Assert.All(phaseLines, l => Assert.Matches(@"^  [a-z0-9]+ +ok +\d+\.\d ms  \S", l));
        Assert.Contains(phaseLines, l => l.Contains("TLS 1.3", StringComparison.Ordinal) && l.Contains("certificate CN=", StringComparison.Ordinal));
        Assert.DoesNotContain("tpdu:", run.StdOut, StringComparison.Ordinal); // fields only with -v
    }

    [Fact]
    public async Task Verbose_shows_every_step_with_its_fields_capability_sets_and_bytes_and_quiet_only_the_verdict()
    {
        ProcessResult verbose = await Peers.RdphsAsync(Limit, "probe", "-v");
        Assert.True(verbose.ExitCode == ExitCodes.Success, verbose.ToString());
        Assert.Matches(@"3\s+x224\.confirm .* ok  selected PROTOCOL_HYBRID_EX", verbose.StdOut);
        Assert.Contains("tpdu: CC (0xd0)", verbose.StdOut, StringComparison.Ordinal);
        Assert.Contains("caps.CAPSTYPE_GENERAL: ", verbose.StdOut, StringComparison.Ordinal);
        Assert.Contains("received: 03000013", verbose.StdOut, StringComparison.Ordinal);
        Assert.True(verbose.StdOut.IndexOf("verdict: OK", StringComparison.Ordinal) < verbose.StdOut.IndexOf("tcp.connect", StringComparison.Ordinal), verbose.StdOut);

        ProcessResult quiet = await Peers.RdphsAsync(Limit, "probe", "-q");
        Assert.True(quiet.ExitCode == ExitCodes.Success, quiet.ToString());
        Assert.StartsWith("verdict: OK - reached finalization", quiet.StdOut, StringComparison.Ordinal);
        Assert.Single(quiet.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(string.Empty, quiet.StdErr);
    }

    [Fact]
    public async Task Redirected_progress_is_written_as_each_phase_ends_while_the_probe_still_runs()
    {
        int port = Peers.FreePort();
        Task<ProcessResult> server = Peers.RdphsAsync(TimeSpan.FromSeconds(60), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--fault", "x224.confirm:stall");
        await WaitForPortAsync(port);
        var tcpDone = new TaskCompletionSource<string>();
        (string fileName, string[] prefix) = Peers.Rdphs;
        Task<ProcessResult> probe = Peers.RunAsync(fileName, [.. prefix, "probe", $"127.0.0.1:{port}", "--timeout", "30"], Limit, onStdErrLine: line =>
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(line, @"^  \.\.\. tcp +ok "))
            {
                tcpDone.TrySetResult(line);
            }

            return true;
        });

        // The server never answers the Connection Request: the probe waits 30 s, and the line of the tcp phase is out long before.
        string line = await tcpDone.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.False(probe.IsCompleted);
        Assert.Contains($"connected to 127.0.0.1:{port}", line, StringComparison.Ordinal);
        KillServeProcess(port);
        ProcessResult result = await probe;
        await server;
        Assert.True(result.ExitCode == ExitCodes.X224, result.ToString());
        Assert.StartsWith($"rdphs probe 127.0.0.1:{port}: offering ", result.StdOut, StringComparison.Ordinal); // the header comes first
    }

    [Fact]
    public async Task At_a_terminal_the_header_comes_first_and_the_waiting_step_shows_its_time_against_its_deadline()
    {
        int port = Peers.FreePort();
        Task<ProcessResult> server = Peers.RdphsAsync(TimeSpan.FromSeconds(60), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--fault", "x224.confirm:stall");
        await WaitForPortAsync(port);
        ProcessResult run = await Peers.RdphsInTerminalAsync(Limit, 100, "probe", $"127.0.0.1:{port}", "--timeout", "3");
        KillServeProcess(port);
        await server;

        Assert.True(run.ExitCode == ExitCodes.X224, run.ToString());
        string screen = System.Text.RegularExpressions.Regex.Replace(run.StdOut, "\u001b\\[[0-9;?]*[A-Za-z]|\u001b=", string.Empty);
        int header = screen.IndexOf($"rdphs probe 127.0.0.1:{port}: offering", StringComparison.Ordinal);
        System.Text.RegularExpressions.Match progress = System.Text.RegularExpressions.Regex.Match(screen, @"x224\.confirm (1|2)\.\d s / 3 s");
        Assert.True(header >= 0 && progress.Success && header < progress.Index, screen);
        Assert.True(progress.Index < screen.IndexOf("verdict:", StringComparison.Ordinal), screen);
    }

    [Fact]
    public async Task At_a_terminal_long_lines_are_wrapped_at_its_width()
    {
        ProcessResult run = await Peers.RdphsInTerminalAsync(Limit, 80, "probe", "--server-fault", "x224.confirm:close");
        Assert.True(run.ExitCode == ExitCodes.X224, run.ToString());
        string screen = System.Text.RegularExpressions.Regex.Replace(run.StdOut, "\u001b\\[[0-9;?]*[A-Za-z]|\u001b=", string.Empty);
        string[] lines = screen.Split('\n').Select(l => l.TrimEnd('\r')).Select(l => l[(l.LastIndexOf('\r') + 1)..]).ToArray();
        Assert.Contains(lines, l => l.StartsWith("  remedy: ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
    }

    [Fact]
    public async Task A_run_with_failing_checks_says_failed_not_ok_in_its_verdict_and_its_json()
    {
        ProcessResult text = await Peers.RdphsAsync(Limit, "probe", "--until", "tls", "-e", "tls>=1.2", "-e", "cert.key-bits>=4096");
        Assert.True(text.ExitCode == ExitCodes.ExpectationsFailed, text.ToString());
        Assert.Contains("verdict: FAILED - reached tls: ", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("; 1 of 2 check(s) failed", text.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("verdict: OK", text.StdOut, StringComparison.Ordinal);

        ProcessResult json = await Peers.RdphsAsync(Limit, "probe", "--until", "tls", "-e", "cert.key-bits>=4096", "--json");
        Assert.True(json.ExitCode == ExitCodes.ExpectationsFailed, json.ToString());
        using JsonDocument document = JsonDocument.Parse(json.StdOut);
        JsonElement outcome = document.RootElement.GetProperty("outcome");
        Assert.Equal(ExitCodes.ExpectationsFailed, outcome.GetProperty("exitCode").GetInt32());
        Assert.EndsWith("; 1 of 1 check(s) failed", outcome.GetProperty("verdict").GetString(), StringComparison.Ordinal);
        Assert.Contains("verdict: FAILED", json.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("probe")]
    [InlineData("protocols")]
    [InlineData("tls")]
    [InlineData("ntlm-info")]
    public async Task Every_command_fails_alike_where_nothing_listens(string command)
    {
        string target = $"127.0.0.1:{Peers.FreePort()}";
        ProcessResult run = await Peers.RdphsAsync(Limit, command, target);
        Assert.True(run.ExitCode == ExitCodes.Tcp, run.ToString());
        Assert.Contains($"verdict: FAILED - failed in tcp: connection-refused - connecting to {target} failed", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("diagnosis: phase tcp, cause connection-refused: nothing listens on the port", run.StdOut, StringComparison.Ordinal);

        ProcessResult json = await Peers.RdphsAsync(Limit, command, target, "--json");
        Assert.True(json.ExitCode == ExitCodes.Tcp, json.ToString());
        using JsonDocument document = JsonDocument.Parse(json.StdOut);
        JsonElement diagnosis = document.RootElement.GetProperty("diagnosis");
        Assert.Equal(("tcp", "connection-refused"), (diagnosis.GetProperty("phase").GetString(), diagnosis.GetProperty("cause").GetString()));
    }

    [Fact]
    public async Task Tls_against_a_server_that_breaks_every_handshake_fails_in_tls_and_one_that_refuses_a_version_does_not()
    {
        RdpHandshake.TestServer.Fault.TryParse("tls.server-hello:close", out RdpHandshake.TestServer.Fault? close, out _);
        await using (var broken = new RdpHandshake.TestServer.RdpTestServer(new RdpHandshake.TestServer.TestServerOptions { Faults = [close!] }))
        {
            System.Net.IPEndPoint endpoint = broken.Start();
            ProcessResult run = await Peers.RdphsAsync(Limit, "tls", $"127.0.0.1:{endpoint.Port}", "--json");
            Assert.True(run.ExitCode == ExitCodes.Tls, run.ToString());
            using JsonDocument document = JsonDocument.Parse(run.StdOut);
            Assert.StartsWith("the server broke every TLS handshake: ", document.RootElement.GetProperty("problem").GetString(), StringComparison.Ordinal);
            Assert.Equal("closed-after-client-hello", document.RootElement.GetProperty("diagnosis").GetProperty("cause").GetString());
            Assert.Contains("verdict: FAILED - the server broke every TLS handshake", (await Peers.RdphsAsync(Limit, "tls", $"127.0.0.1:{endpoint.Port}")).StdOut, StringComparison.Ordinal);
        }

        await using var modern = new RdpHandshake.TestServer.RdpTestServer(new RdpHandshake.TestServer.TestServerOptions { TlsVersions = [RdpHandshake.Protocol.Tls.TlsVersion.Tls12] });
        System.Net.IPEndPoint address = modern.Start();
        ProcessResult refused = await Peers.RdphsAsync(Limit, "tls", $"127.0.0.1:{address.Port}", "--tls-versions", "1.0");
        Assert.True(refused.ExitCode == ExitCodes.Success, refused.ToString()); // an alert is an answer: TLS 1.0 is not accepted
        Assert.Contains("verdict: accepts no TLS version offered", refused.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "HTTP", "the port answered HTTP/1.1: a web server, not RDP")]
    [InlineData("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "SSH", "the port answered SSH-2.0-OpenSSH_9.2p1: an SSH server, not RDP")]
    [InlineData("hex:00000049fe534d4240000000", "SMB", "the port answered SMB2: an SMB file server, not RDP")]
    [InlineData("hex:15030300020246", "TLS", "the port answered a TLS alert record: a TLS server that does not begin with the X.224 negotiation, not RDP")]
    public async Task A_port_that_answers_in_another_protocol_is_named(string answer, string protocol, string reason)
    {
        // A listener on loopback that answers every connection as that service does, whatever the client sent.
        byte[] bytes = answer.StartsWith("hex:", StringComparison.Ordinal) ? Convert.FromHexString(answer[4..]) : System.Text.Encoding.ASCII.GetBytes(answer);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Task serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using System.Net.Sockets.TcpClient client = await listener.AcceptTcpClientAsync(stop.Token);
                await client.GetStream().WriteAsync(bytes, stop.Token);
                await Task.Delay(200, stop.Token);
            }
        }, stop.Token);

        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", $"127.0.0.1:{port}", "--json");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving);

        Assert.True(run.ExitCode == ExitCodes.X224, run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        JsonElement diagnosis = json.RootElement.GetProperty("diagnosis");
        Assert.Equal($"not-rdp:{protocol}", diagnosis.GetProperty("cause").GetString());
        Assert.Equal(reason, diagnosis.GetProperty("summary").GetString());
        Assert.Contains($"verdict: FAILED - failed in x224: not-rdp:{protocol} - {reason}", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_built_in_server_can_answer_as_a_web_server()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", "--server-fault", "x224.confirm:http");
        Assert.True(run.ExitCode == ExitCodes.X224, run.ToString());
        Assert.Contains("diagnosis: phase x224, cause not-rdp:HTTP: a web server answered", run.StdOut, StringComparison.Ordinal);
    }

    private static readonly System.Text.RegularExpressions.Regex SuggestedCommand = new("`(rdphs [^`]+)`");

    /// <summary>Every rdphs command a remedy of the catalogue suggests, as written (with HOST, DOMAIN\user, CODE, TOKEN).</summary>
    public static TheoryData<string> RemedyCommands()
    {
        var data = new TheoryData<string>();
        foreach (string command in DiagnosisCatalog.All.SelectMany(e => SuggestedCommand.Matches(e.Entry.Remedy)).Select(m => m.Groups[1].Value).Distinct())
        {
            data.Add(command);
        }

        return data;
    }

    [Fact]
    public void Remedies_suggest_options_only_inside_a_whole_rdphs_command()
    {
        // So every suggestion can be run as it is written (the test below runs them all): no bare '--until credssp' that
        // the command line would refuse without another option.
        foreach ((string where, string cause, CatalogEntry entry) in DiagnosisCatalog.All)
        {
            string prose = SuggestedCommand.Replace(entry.Remedy, string.Empty);
            Assert.False(System.Text.RegularExpressions.Regex.IsMatch(prose, @"(^|[\s(])--[a-z]"), $"{where} {cause}: an option outside a command in \"{entry.Remedy}\"");
        }

        Assert.True(RemedyCommands().Count >= 20, "the remedies suggest commands");
        Assert.Contains(RemedyCommands(), row => row.Data == "rdphs ntlm-info HOST");
    }

    [Theory]
    [MemberData(nameof(RemedyCommands))]
    public async Task Every_command_a_remedy_suggests_runs(string command)
    {
        await using var server = new RdpHandshake.TestServer.RdpTestServer(new RdpHandshake.TestServer.TestServerOptions());
        System.Net.IPEndPoint endpoint = server.Start();
        string[] args = command["rdphs ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(word => word switch
            {
                // A name, not an address: a Kerberos remedy needs one to make the server's principal of.
                "HOST" => $"localhost:{endpoint.Port}",
                "DOMAIN\\user" => "alice",
                "KDC" => $"127.0.0.1:{Peers.FreePort()}",
                "CODE" => "0x904",
                "TOKEN" => "msts=3640205228.15629.0000",
                "https://GATEWAY" => $"https://127.0.0.1:{Peers.FreePort()}",
                _ => word,
            })
            .ToArray();
        Assert.DoesNotContain(args, word => System.Text.RegularExpressions.Regex.IsMatch(word, "^[A-Z]{2,}$")); // every placeholder is filled

        // A suggested command that names a gateway or proxy user takes that password from the environment, as the remedy says.
        var environment = new Dictionary<string, string> { ["RDPHS_PASSWORD"] = "Test-Password-1", ["RDPHS_GATEWAY_PASSWORD"] = "Test-Password-1", ["RDPHS_PROXY_PASSWORD"] = "Test-Password-1" };
        ProcessResult run = await Peers.RdphsAsync(Limit, environment, args);
        Assert.True(run.ExitCode != ExitCodes.Usage, $"{command}: {run}");
        Assert.False(run.TimedOut, $"{command}: {run}");
    }

    [Fact]
    public async Task Serve_help_names_the_built_in_account_and_its_password()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "serve", "--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"account is alice, password Test-Password-1", run.StdOut);
        Assert.Contains("--account <NAME:PASSWORD>", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("--accounts <FILE>", run.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--account")]
    [InlineData("--accounts")]
    public async Task Serve_takes_the_accounts_it_is_given_instead_of_the_built_in_one(string option)
    {
        string directory = Directory.CreateTempSubdirectory("rdphs-accounts-").FullName;
        string file = Path.Combine(directory, "accounts.txt");
        await File.WriteAllTextAsync(file, "# test accounts\nCONTOSO\\bob:Another-Password-2\ncarol:Third-Password-3\n", TestContext.Current.CancellationToken);
        int port = Peers.FreePort();
        string portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] accounts = option == "--account" ? ["--account", "CONTOSO\\bob:Another-Password-2", "--account", "carol:Third-Password-3"] : ["--accounts", file];
        Task<ProcessResult> server = Peers.RdphsAsync(Limit, ["serve", "--port", portText, "--max-connections", "2", .. accounts]);
        await WaitForPortAsync(port); // the first connection
        ProcessResult bob = await Peers.RdphsAsync(Limit, new Dictionary<string, string> { ["RDPHS_PASSWORD"] = "Another-Password-2" },
            "probe", $"127.0.0.1:{port}", "--user", "CONTOSO\\bob", "--until", "credssp", "-q");
        ProcessResult served = await server;
        Directory.Delete(directory, recursive: true);

        Assert.True(bob.ExitCode == ExitCodes.Success, bob.ToString());
        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Contains("accounts CONTOSO\\bob, carol", served.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Another-Password-2", served.StdOut + served.StdErr + bob.StdOut + bob.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Third-Password-3", served.StdOut + served.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_refuses_the_built_in_account_when_given_others()
    {
        int port = Peers.FreePort();
        Task<ProcessResult> server = Peers.RdphsAsync(Limit, "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-connections", "2", "--account", "bob:Another-Password-2");
        await WaitForPortAsync(port);
        ProcessResult alice = await Peers.RdphsAsync(Limit, new Dictionary<string, string> { ["RDPHS_PASSWORD"] = "Test-Password-1" },
            "probe", $"127.0.0.1:{port}", "--user", "alice", "--until", "credssp", "--json");
        await server;
        Assert.True(alice.ExitCode == ExitCodes.CredSsp, alice.ToString());
        using JsonDocument json = JsonDocument.Parse(alice.StdOut);
        Assert.Equal("auth-failed:STATUS_LOGON_FAILURE", json.RootElement.GetProperty("diagnosis").GetProperty("cause").GetString());
    }

    [Fact]
    public async Task Serve_warns_before_it_listens_on_an_address_that_is_not_loopback()
    {
        // 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes first, then listening fails, and
        // nothing is ever reachable from outside.
        ProcessResult run = await Peers.RdphsAsync(Limit, "serve", "--bind", "192.0.2.1", "--port", Peers.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.StartsWith("rdphs: warning: --bind 192.0.2.1 is not a loopback address", run.StdErr, StringComparison.Ordinal);
        Assert.True(run.ExitCode == ExitCodes.Failure, run.ToString());
        Assert.Contains("rdphs: cannot listen on 192.0.2.1:", run.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-connections", "0", "--max-connections 0: must be 1 or more")]
    [InlineData("--account", "bob", "--account 'bob': expected NAME:PASSWORD")]
    [InlineData("--account", ":secret", "--account '': expected NAME:PASSWORD")]
    public async Task Serve_refuses_settings_that_make_no_sense(string option, string value, string message)
    {
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(20), "serve", "--port", Peers.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), option, value);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"rdphs: {message}", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", run.StdErr, StringComparison.Ordinal);
    }

    /// <summary>The member names of the documented example of <paramref name="schema"/> in docs/report-format.md.</summary>
    private static async Task<SortedSet<string>> DocumentedMembersAsync(string schema)
    {
        string docs = await File.ReadAllTextAsync(Path.Combine(Peers.RepositoryRoot, "docs", "report-format.md"), TestContext.Current.CancellationToken);
        System.Text.RegularExpressions.Match section = System.Text.RegularExpressions.Regex.Match(
            docs, $"^## `{System.Text.RegularExpressions.Regex.Escape(schema)}`.*?^```jsonc\n(.*?)^```", System.Text.RegularExpressions.RegexOptions.Singleline | System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(section.Success, $"docs/report-format.md documents no {schema}");
        return new SortedSet<string>(System.Text.RegularExpressions.Regex.Matches(section.Groups[1].Value, "\"([A-Za-z]+)\"\\s*:").Select(m => m.Groups[1].Value), StringComparer.Ordinal);
    }

    private static SortedSet<string> Members(JsonElement element, SortedSet<string>? into = null)
    {
        into ??= new SortedSet<string>(StringComparer.Ordinal);
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                into.Add(property.Name);
                Members(property.Value, into);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
            {
                Members(item, into);
            }
        }

        return into;
    }

    [Fact]
    public async Task The_explain_json_is_documented_member_for_member()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "explain", "0x904", "0x7", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        Assert.Equal("rdphs.explain/1", json.RootElement.GetProperty("schema").GetString());
        Assert.Equal(await DocumentedMembersAsync("rdphs.explain/1"), Members(json.RootElement));
    }

    [Fact]
    public async Task The_serve_json_lines_are_documented_member_for_member()
    {
        int port = Peers.FreePort();
        Task<ProcessResult> server = Peers.RdphsAsync(Limit, "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json", "--max-connections", "2");
        await WaitForPortAsync(port); // the first connection: it sends nothing
        ProcessResult probe = await Peers.RdphsAsync(Limit, "probe", $"127.0.0.1:{port}", "-q");
        ProcessResult served = await server;
        Assert.True(probe.ExitCode == 0 && served.ExitCode == 0, $"{probe}\n{served}");

        string[] lines = served.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        SortedSet<string> documented = await DocumentedMembersAsync("rdphs.serve/1");
        foreach (string line in lines)
        {
            using JsonDocument json = JsonDocument.Parse(line);
            Assert.Equal("rdphs.serve/1", json.RootElement.GetProperty("schema").GetString());
            Assert.Equal(documented, Members(json.RootElement)); // absent values are null, never missing
        }
    }

    [Fact]
    public async Task A_plain_probe_of_an_nla_server_fills_credssp_as_the_format_says()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", $"127.0.0.1:{Peers.FreePort()}", "--json");
        ProcessResult nla;
        await using (var server = new RdpHandshake.TestServer.RdpTestServer(new RdpHandshake.TestServer.TestServerOptions()))
        {
            nla = await Peers.RdphsAsync(Limit, "probe", $"127.0.0.1:{server.Start().Port}", "--json");
        }

        Assert.True(nla.ExitCode == 0, nla.ToString());
        using JsonDocument json = JsonDocument.Parse(nla.StdOut);
        Assert.Equal(6, json.RootElement.GetProperty("credssp").GetProperty("serverVersion").GetInt32());
        string docs = await File.ReadAllTextAsync(Path.Combine(Peers.RepositoryRoot, "docs", "report-format.md"), TestContext.Current.CancellationToken);
        string credssp = docs.Split('\n').Single(l => l.Contains("\"credssp\": {", StringComparison.Ordinal));
        Assert.Contains("every probe of a server that selects NLA", credssp, StringComparison.Ordinal);
        Assert.True(run.ExitCode == ExitCodes.Tcp, run.ToString());
    }

    [Fact]
    public async Task Explain_names_the_codes_and_the_steps_that_close_the_socket()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "explain", "0x904", "0x7");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("AtClientWinsockFDCLOSE", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("ERRINFO_SERVER_DENIED_CONNECTION", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("tls closed-after-client-hello", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("x224 closed-by-peer", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("rdphs probe HOST", run.StdOut, StringComparison.Ordinal);

        ProcessResult bad = await Peers.RdphsAsync(Limit, "explain", "not-a-code");
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
    }

    [Fact]
    public async Task Help_teaches_with_examples_and_exit_codes()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Examples:", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("rdphs probe rdp.example.com", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("--protocols", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_the_server_mid_handshake_gives_phase_and_cause_not_a_stack_trace()
    {
        // The server accepts and never answers the Connection Request; the probe waits (up to 30 s) until the
        // server process is killed, which closes its socket under the probe.
        (int port, Task<ProcessResult> server, Task<ProcessResult> probe) = await StartProbeOfStalledServerAsync(json: true);
        KillServeProcess(port);
        ProcessResult result = await probe;
        await server;

        Assert.True(result.ExitCode == ExitCodes.X224, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.StdOut);
        JsonElement diagnosis = json.RootElement.GetProperty("diagnosis");
        Assert.Equal("x224", diagnosis.GetProperty("phase").GetString());
        Assert.Contains(diagnosis.GetProperty("cause").GetString(), new[] { "closed-by-peer", "reset" });
        Assert.Equal("x224.confirm", diagnosis.GetProperty("evidence").GetProperty("step").GetString());
        Assert.DoesNotContain("Exception", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_requiring_the_nonce_binding_is_reported_as_enforcing_it_by_probe_check_nonce_binding()
    {
        int port = Peers.FreePort();
        string portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Three connections: the port check, the authenticated probe at CredSSP version 6, then the check at version 4.
        Task<ProcessResult> server = Peers.RdphsAsync(TimeSpan.FromSeconds(60), "serve", "--port", portText, "--require-nonce-binding", "--max-connections", "3");
        await WaitForPortAsync(port);
        ProcessResult probe = await Peers.RdphsAsync(
            Limit,
            new Dictionary<string, string> { ["RDPHS_PASSWORD"] = "Test-Password-1" },
            "probe", $"127.0.0.1:{port}", "--user", "alice", "--until", "credssp", "--check-nonce-binding", "--json");
        ProcessResult served = await server;

        Assert.True(probe.ExitCode == 0, probe.ToString());
        using JsonDocument json = JsonDocument.Parse(probe.StdOut);
        JsonElement credssp = json.RootElement.GetProperty("credssp");
        Assert.True(credssp.GetProperty("nonceBindingEnforced").GetBoolean(), credssp.GetProperty("nonceBindingDetail").GetString());
        Assert.True(served.ExitCode == 0, served.ToString()); // it stops after its three connections
        Assert.DoesNotContain("Test-Password-1", probe.StdOut + probe.StdErr + served.StdOut + served.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TERM", "json")]
    [InlineData("INT", "json")]
    [InlineData("TERM", "text")]
    public async Task A_signal_during_a_probe_writes_the_partial_report_with_the_step_in_flight(string signal, string format)
    {
        Peers.RequireSignalNotIgnored(signal, signal == "INT" ? 2 : 15);
        (int port, Task<ProcessResult> server, Task<ProcessResult> probe) = await StartProbeOfStalledServerAsync(json: format == "json");
        SignalProcess($"rdphs.dll probe 127.0.0.1:{port}", signal);
        ProcessResult result = await probe;
        KillServeProcess(port);
        await server;

        Assert.True(result.ExitCode == ExitCodes.Interrupted, result.ToString());
        if (format == "json")
        {
            using JsonDocument json = JsonDocument.Parse(result.StdOut);
            JsonElement diagnosis = json.RootElement.GetProperty("diagnosis");
            Assert.Equal("interrupted", diagnosis.GetProperty("cause").GetString());
            Assert.Equal("x224.confirm", diagnosis.GetProperty("evidence").GetProperty("step").GetString());
            JsonElement last = json.RootElement.GetProperty("steps").EnumerateArray().Last();
            Assert.Equal(("x224.confirm", "interrupted"), (last.GetProperty("name").GetString(), last.GetProperty("outcome").GetString()));
            Assert.Equal(JsonValueKind.Null, diagnosis.GetProperty("mstsc").ValueKind); // Ctrl-C is not something mstsc would report
            Assert.StartsWith("interrupted", json.RootElement.GetProperty("outcome").GetProperty("verdict").GetString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("x224.confirm", result.StdOut, StringComparison.Ordinal);
            Assert.Contains("verdict: INTERRUPTED - interrupted (Ctrl-C or SIGTERM) during x224.confirm", result.StdOut, StringComparison.Ordinal);
            Assert.DoesNotContain("mstsc", result.StdOut, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Starts <c>rdphs serve</c> with a server that never answers the Connection Request and a probe of it, and
    /// returns once the probe has sent its request and waits (up to 30 s) for the answer.
    /// </summary>
    private static async Task<(int Port, Task<ProcessResult> Server, Task<ProcessResult> Probe)> StartProbeOfStalledServerAsync(bool json)
    {
        int port = Peers.FreePort();
        Task<ProcessResult> server = Peers.RdphsAsync(TimeSpan.FromSeconds(60), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--fault", "x224.confirm:stall");
        await WaitForPortAsync(port);

        var requestSent = new TaskCompletionSource();
        (string fileName, string[] prefix) = Peers.Rdphs;
        string[] args = [.. prefix, "probe", $"127.0.0.1:{port}", "--timeout", "30", "--log-level", "Debug"];
        Task<ProcessResult> probe = Peers.RunAsync(
            fileName,
            json ? [.. args, "--json"] : args,
            Limit,
            onStdErrLine: line =>
            {
                if (line.Contains("Step x224.request ended Ok", StringComparison.Ordinal))
                {
                    requestSent.TrySetResult();
                }

                return true;
            });

        await requestSent.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return (port, server, probe);
    }

    /// <summary>Sends SIGTERM or SIGINT to the one dotnet process whose command line contains <paramref name="fragment"/>.</summary>
    private static void SignalProcess(string fragment, string signal)
    {
        foreach (var process in System.Diagnostics.Process.GetProcessesByName("dotnet"))
        {
            try
            {
                string commandLine = File.ReadAllText($"/proc/{process.Id}/cmdline").Replace('\0', ' ');
                if (commandLine.Contains(fragment, StringComparison.Ordinal))
                {
                    using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                    kill.WaitForExit();
                    return;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The process ended meanwhile.
            }
        }

        throw new InvalidOperationException($"no process running '{fragment}' to signal");
    }

    private static void KillServeProcess(int port)
    {
        foreach (var process in System.Diagnostics.Process.GetProcessesByName("dotnet"))
        {
            try
            {
                string commandLine = File.ReadAllText($"/proc/{process.Id}/cmdline").Replace('\0', ' ');
                if (commandLine.Contains("rdphs.dll serve --port " + port, StringComparison.Ordinal))
                {
                    process.Kill();
                    return;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The process ended meanwhile.
            }
        }

        throw new InvalidOperationException($"no 'rdphs serve --port {port}' process to kill");
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (int i = 0; i < 300; i++)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"nothing listens on port {port} after 30 s");
    }
}
