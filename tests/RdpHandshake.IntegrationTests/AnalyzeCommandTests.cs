using System.Text.Json;
using System.Xml.Linq;
using RdpHandshake.Cli;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// <c>rdphs analyze</c> as users run it, on the captures <c>rdphs probe --pcap --keylog</c> writes of the built-in
/// server: the same phase and cause as the probe, <c>--expect</c> and <c>--junit</c> as for a probe, no secret in any
/// output, and one line with a distinct exit code for each kind of bad input.
/// </summary>
public sealed class AnalyzeCommandTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>The built-in server's account password (a test fixture's, not a secret of anyone's).</summary>
    private const string Password = "Test-Password-1";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rdphs-analyze-cli-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    /// <summary>Probes the built-in server (with <paramref name="fault"/>), writing its capture and key log; returns the probe's JSON.</summary>
    private async Task<JsonElement> ProbeAsync(string? fault, string capture, string keyLog)
    {
        string[] args = ["probe", "--pcap", capture, "--keylog", keyLog, "--json", .. (fault is null ? Array.Empty<string>() : ["--server-fault", fault])];
        ProcessResult run = await Peers.RdphsAsync(Limit, args);
        Assert.True(File.Exists(capture), run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        return json.RootElement.Clone();
    }

    [Theory]
    [InlineData("x224.confirm:garbage", ExitCodes.X224)]
    [InlineData("credssp.challenge:truncated", ExitCodes.CredSsp)]
    [InlineData("mcs.connect-response:reject", ExitCodes.Mcs)]
    [InlineData("finalization.font-map:close", ExitCodes.Finalization)]
    public async Task The_analysis_of_a_probes_own_capture_names_its_phase_and_cause_and_exits_with_its_code(string fault, int code)
    {
        JsonElement probe = await ProbeAsync(fault, PathOf("run.pcapng"), PathOf("keys.txt"));
        string junit = PathOf("analysis.xml");

        ProcessResult run = await Peers.RdphsAsync(Limit, "analyze", PathOf("run.pcapng"), "--keylog", PathOf("keys.txt"), "--json", "-e", "reached=finalized", "--junit", junit);

        Assert.True(run.ExitCode == code, run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        JsonElement diagnosis = json.RootElement.GetProperty("connections")[0].GetProperty("probe").GetProperty("diagnosis");
        Assert.Equal(probe.GetProperty("diagnosis").GetProperty("phase").GetString(), diagnosis.GetProperty("phase").GetString());
        Assert.Equal(probe.GetProperty("diagnosis").GetProperty("cause").GetString(), diagnosis.GetProperty("cause").GetString());
        Assert.Contains("verdict: FAILED - failed in ", run.StdErr, StringComparison.Ordinal);

        XDocument xml = XDocument.Load(junit);
        XElement check = Assert.Single(xml.Descendants("testcase"), t => ((string?)t.Attribute("name"))?.Contains("reached=finalized", StringComparison.Ordinal) == true);
        Assert.NotNull(check.Element("failure"));
    }

    [Fact]
    public async Task A_decrypted_nla_run_to_finalization_passes_and_fails_checks_as_a_probe_would_and_shows_no_secret()
    {
        await ProbeAsync(null, PathOf("ok.pcapng"), PathOf("keys.txt"));
        string junit = PathOf("ok.xml");

        ProcessResult run = await Peers.RdphsAsync(Limit, "analyze", PathOf("ok.pcapng"), "--keylog", PathOf("keys.txt"), "--verbose", "-e", "reached=finalized", "-e", "cert.key-bits>=4096", "--junit", junit);
        ProcessResult json = await Peers.RdphsAsync(Limit, "analyze", PathOf("ok.pcapng"), "--keylog", PathOf("keys.txt"), "--json");

        Assert.True(run.ExitCode == ExitCodes.ExpectationsFailed, run.ToString());
        Assert.Contains("verdict: OK - reached finalization", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("credssp.credentials", run.StdOut, StringComparison.Ordinal);
        Assert.Equal(0, json.ExitCode);
        XElement[] cases = [.. XDocument.Load(junit).Descendants("testcase")];
        Assert.Null(Assert.Single(cases, t => ((string?)t.Attribute("name"))!.Contains("reached=finalized", StringComparison.Ordinal)).Element("failure"));
        Assert.NotNull(Assert.Single(cases, t => ((string?)t.Attribute("name"))!.Contains("cert.key-bits>=4096", StringComparison.Ordinal)).Element("failure"));

        // The password travels in the decrypted TSCredentials; the TLS secrets are in the key log: neither is printed.
        string[] secrets = [Password, .. File.ReadAllLines(PathOf("keys.txt")).Select(line => line.Split(' ')[^1])];
        foreach (string output in new[] { run.StdOut, run.StdErr, json.StdOut, json.StdErr, File.ReadAllText(junit) })
        {
            foreach (string secret in secrets)
            {
                Assert.DoesNotContain(secret, output, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public async Task Bad_input_is_one_line_with_its_own_exit_code()
    {
        string text = PathOf("notes.txt");
        await File.WriteAllTextAsync(text, "not a capture\n", TestContext.Current.CancellationToken);
        string empty = PathOf("empty.pcap");
        await File.WriteAllBytesAsync(empty, [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0], TestContext.Current.CancellationToken);
        string cut = PathOf("cut.pcap");
        await File.WriteAllBytesAsync(cut, [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0], TestContext.Current.CancellationToken);

        (string[] Args, int Code, string Says)[] cases =
        [
            (["analyze", text], ExitCodes.Failure, "is not a pcap or pcapng capture"),
            (["analyze", cut], ExitCodes.Failure, "cannot be read as a pcap capture"),
            (["analyze", PathOf("missing.pcap")], ExitCodes.Usage, "no such file"),
            (["analyze", empty, "--port", "0"], ExitCodes.Usage, "--port 0: expected 1 to 65535"),
            (["analyze", empty, "--host", "server.example"], ExitCodes.Usage, "expected an IP address"),
            (["analyze", empty, "--keylog", PathOf("nokeys.txt")], ExitCodes.Usage, "--keylog"),
            (["analyze", empty], ExitCodes.NoRdp, "empty: the capture holds no frames"),
        ];
        foreach ((string[] args, int code, string says) in cases)
        {
            ProcessResult run = await Peers.RdphsAsync(Limit, args);
            string said = $"{string.Join(' ', args)}: {run}";
            Assert.True(run.ExitCode == code, said);
            Assert.Contains(says, run.StdOut + run.StdErr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.StdOut + run.StdErr, StringComparison.Ordinal);
            if (code is ExitCodes.Failure or ExitCodes.Usage)
            {
                Assert.True(run.StdErr.Trim().Split('\n').Length == 1, said);
            }
        }
    }
}
