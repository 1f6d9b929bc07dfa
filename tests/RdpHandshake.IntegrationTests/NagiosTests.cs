using System.Globalization;
using System.Text.RegularExpressions;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// <c>rdphs probe --format nagios</c> as Nagios or Icinga run it: a separate process, its first line and its exit code
/// (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), against real xrdp servers and failing test servers.
/// </summary>
public sealed partial class NagiosTests(XrdpFixture xrdp) : IClassFixture<XrdpFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>A plugin's first line: <c>RDP STATE - text | perfdata</c>, perfdata as label=value[unit];warn;crit;min;max.</summary>
    [GeneratedRegex(@"^RDP (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+( \| ([a-z_0-9]+=-?[0-9.]+(s|)(;[0-9:.]*){0,4} ?)+)?$")]
    private static partial Regex StatusLine();

    private static async Task<(int Code, string First, string[] Others)> NagiosAsync(params string[] args)
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, ["probe", .. args, "--format", "nagios"]);
        string[] lines = run.StdOut.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length > 0 && StatusLine().IsMatch(lines[0]), run.ToString());
        Assert.Equal(string.Empty, run.StdErr); // monitoring systems read stdout; nothing else is said
        return (run.ExitCode, lines[0], lines[1..]);
    }

    private static double Perf(string line, string label)
    {
        Match value = Regex.Match(line, $@"[ |]{label}=(-?[0-9.]+)");
        Assert.True(value.Success, $"no {label} in: {line}");
        return double.Parse(value.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Xrdp_is_OK_with_its_time_each_phase_s_and_the_certificate_s_days_in_the_perfdata()
    {
        xrdp.Require();
        (int code, string first, _) = await NagiosAsync($"127.0.0.1:{xrdp.NegotiatePort}");

        Assert.True(code == 0, first);
        Assert.StartsWith($"RDP OK - 127.0.0.1:{xrdp.NegotiatePort}: reached finalization in ", first, StringComparison.Ordinal);
        Assert.Contains(", ssl, TLS 1.3 TLS_", first, StringComparison.Ordinal);
        Assert.InRange(Perf(first, "time"), 0, 60);
        foreach (string phase in new[] { "tcp", "x224", "tls", "mcs", "licensing", "capabilities", "finalization" })
        {
            Assert.InRange(Perf(first, phase), 0, 60);
        }

        Assert.InRange(Perf(first, "cert_days_left"), 360, 366); // xrdp.sh makes a certificate for 365 days
        Assert.Contains("cert_days_left=36", first, StringComparison.Ordinal);
        Assert.Contains(";30:;0:", first, StringComparison.Ordinal);
        Assert.Equal(0, Perf(first, "checks_failed"));
    }

    [Fact]
    public async Task Xrdp_is_a_WARNING_when_its_certificate_expires_within_warn_days_or_a_warn_check_fails()
    {
        xrdp.Require();
        (int expiring, string expiringLine, string[] expiringReasons) = await NagiosAsync($"127.0.0.1:{xrdp.NegotiatePort}", "--until", "tls", "--warn-days", "400");
        Assert.True(expiringLine.StartsWith("RDP WARNING - ", StringComparison.Ordinal) && expiringLine.Contains("certificate expires in 36", StringComparison.Ordinal), expiringLine);
        Assert.Equal(1, expiring);
        Assert.Contains(expiringReasons, l => l.StartsWith("WARNING: certificate expires in ", StringComparison.Ordinal) && l.EndsWith("(fewer than --warn-days 400)", StringComparison.Ordinal));
        Assert.Contains(";400:;0:", expiringLine, StringComparison.Ordinal);

        (int check, string checkLine, _) = await NagiosAsync($"127.0.0.1:{xrdp.NegotiatePort}", "--until", "tls", "--warn-expect", "protocol=hybrid_ex");
        Assert.True(check == 1, checkLine);
        Assert.Contains("check protocol=hybrid_ex failed: expected protocol = hybrid_ex, got ssl", checkLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Xrdp_with_standard_rdp_security_is_a_WARNING_for_weak_security()
    {
        xrdp.Require();
        (int code, string first, _) = await NagiosAsync($"127.0.0.1:{xrdp.RdpPort}", "--until", "mcs");
        Assert.True(code == 1, first);
        Assert.StartsWith($"RDP WARNING - 127.0.0.1:{xrdp.RdpPort}: weak security: the server selected Standard RDP Security", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_check_or_an_xrdp_that_refuses_the_offer_is_CRITICAL()
    {
        xrdp.Require();
        (int check, string checkLine, _) = await NagiosAsync($"127.0.0.1:{xrdp.NegotiatePort}", "--until", "tls", "-e", "cert.key-bits>=4096");
        Assert.True(check == 2, checkLine);
        Assert.Contains("check cert.key-bits>=4096 failed: expected cert.key-bits >= 4096, got 2048", checkLine, StringComparison.Ordinal);
        Assert.Equal(1, Perf(checkLine, "checks_failed"));

        (int refused, string refusedLine, string[] rest) = await NagiosAsync($"127.0.0.1:{xrdp.TlsPort}", "-p", "rdp");
        Assert.True(refused == 2, refusedLine);
        Assert.StartsWith($"RDP CRITICAL - 127.0.0.1:{xrdp.TlsPort}: failed in x224: negotiation-failure:SSL_REQUIRED_BY_SERVER - ", refusedLine, StringComparison.Ordinal);
        Assert.Contains(rest, l => l.StartsWith("remedy: ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("x224.confirm:close", "x224", "closed-by-peer")]
    [InlineData("tls.server-hello:alert", "tls", "no-common-cipher-suite")]
    [InlineData("mcs.connect-response:reset", "mcs", "reset")]
    public async Task A_failing_test_server_is_CRITICAL_with_the_phase_and_cause(string fault, string phase, string cause)
    {
        (int code, string first, _) = await NagiosAsync("--server-fault", fault);
        Assert.True(code == 2, first);
        Assert.Matches($@"^RDP CRITICAL - 127\.0\.0\.1:\d+: failed in {phase}: {cause} - ", first);
    }

    [Fact]
    public async Task Nothing_listening_is_CRITICAL_in_tcp()
    {
        (int code, string first, _) = await NagiosAsync($"127.0.0.1:{Peers.FreePort()}", "--connect-timeout", "5");
        Assert.True(code == 2, first);
        Assert.Contains(": failed in tcp: connection-refused - ", first, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown option '--tiemout' for 'rdphs probe': did you mean '--timeout'?", "--tiemout", "3")]
    [InlineData("--timeout -1: must be more than 0 and at most 3600 seconds", "--timeout", "-1")]
    [InlineData("--json and --format nagios ask for different outputs: give one", "--json")]
    [InlineData("--verbose is for the text output: --format nagios writes one status line", "--verbose")]
    [InlineData("--warn-expect 'tls>=banana': 'banana' is not a TLS version (1.0, 1.1, 1.2 or 1.3)", "--warn-expect", "tls>=banana")]
    public async Task Bad_usage_is_UNKNOWN_with_the_message_on_stdout(string message, params string[] args)
    {
        (int code, string first, string[] rest) = await NagiosAsync(args);
        Assert.Equal(3, code);
        Assert.Equal($"RDP UNKNOWN - {message}", first);
        Assert.Empty(rest);
    }

    [Fact]
    public async Task The_nagios_options_with_another_format_are_bad_usage_with_probe_s_own_exit_code()
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, "probe", "--warn-days", "10");
        Assert.True(run.ExitCode == RdpHandshake.Cli.ExitCodes.Usage, run.ToString());
        Assert.Equal("rdphs: --warn-days, --crit-days and --warn-expect go with --format nagios\n", run.StdErr);
    }
}
