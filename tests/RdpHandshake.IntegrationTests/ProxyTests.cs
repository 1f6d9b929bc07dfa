using System.Text;
using System.Text.Json;
using RdpHandshake.Cli;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// The connection sequence through real proxies to a real xrdp: dante (SOCKS5, with and without RFC 1929 username
/// authentication) and tinyproxy (HTTP CONNECT, with and without Basic authentication), each to finalization, and each
/// failure of a proxy typed at its step.
/// </summary>
public sealed class ProxyTests(XrdpFixture xrdp, ProxyPeersFixture proxies) : IClassFixture<XrdpFixture>, IClassFixture<ProxyPeersFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private async Task RequireAsync()
    {
        xrdp.Require();
        await proxies.StartAsync(xrdp.NegotiatePort);
        proxies.Require();
    }

    private static ProbeOptions Through(ProxyKind kind, int port, string? user = null, string? password = null) => new()
    {
        Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl | SecurityProtocols.Hybrid, Cookie = "rdphs" },
        ReadTimeout = TimeSpan.FromSeconds(15),
        Until = ConnectionPhase.Finalization,
        Proxy = new ProxySettings(kind, "127.0.0.1", port, user) { Password = password is null ? null : new Secret(password) },
    };

    private static void AssertFinalizedThrough(ProbeReport report, ProxyKind kind)
    {
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        string[] proxySteps = kind == ProxyKind.Socks5 ? ["proxy.connect", "proxy.auth", "proxy.tunnel"] : ["proxy.connect", "proxy.tunnel"];
        Assert.Equal(proxySteps, report.Steps.Where(s => s.Phase == ConnectionPhase.Proxy).Select(s => s.Name).ToArray());
        Assert.Equal("x224.request", report.Steps[proxySteps.Length].Name);
        Assert.All(report.Steps.Where(s => s.Phase == ConnectionPhase.Proxy), s => Assert.Equal(StepOutcome.Ok, s.Outcome));
        Assert.Contains(report.Steps, s => s.Name == "finalization.font-map" && s.Outcome == StepOutcome.Ok);
        Assert.Equal(kind, report.Proxy!.Kind);
        Assert.True(report.Proxy.Facts!.Tunnelled);
        // The server saw the tunnelled stream: xrdp's Connection Confirm, byte for byte.
        Assert.Equal("030000130ed000001234000201080001000000", Convert.ToHexStringLower(report.Steps.Single(s => s.Name == "x224.confirm").Received));
    }

    [Fact]
    public async Task Probe_through_dante_without_authentication_reaches_finalization_against_xrdp()
    {
        await RequireAsync();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", xrdp.NegotiatePort), Through(ProxyKind.Socks5, proxies.DantePort),
            TestContext.Current.CancellationToken);

        AssertFinalizedThrough(report, ProxyKind.Socks5);
        Assert.Equal("no authentication required", report.Proxy!.Facts!.Method);
        Assert.Null(report.Proxy.Facts.AuthenticatedAs);
        Assert.NotNull(report.Proxy.Facts.Bound);
    }

    [Fact]
    public async Task Probe_through_dante_with_username_authentication_reaches_finalization_against_xrdp()
    {
        await RequireAsync();
        proxies.RequireSocksUser();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", xrdp.NegotiatePort),
            Through(ProxyKind.Socks5, proxies.DanteAuthPort, ProxyPeersFixture.SocksUser, proxies.SocksPassword), TestContext.Current.CancellationToken);

        AssertFinalizedThrough(report, ProxyKind.Socks5);
        Assert.Equal("username/password", report.Proxy!.Facts!.Method);
        Assert.Equal(ProxyPeersFixture.SocksUser, report.Proxy.Facts.AuthenticatedAs);
        // The username/password request is recorded with the password overwritten, byte for byte.
        byte[] sent = report.Steps.Single(s => s.Name == "proxy.auth").Sent;
        Assert.DoesNotContain(proxies.SocksPassword, Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
        Assert.Contains(new string('*', proxies.SocksPassword.Length), Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_name_goes_to_dante_for_it_to_resolve()
    {
        await RequireAsync();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("localhost", xrdp.NegotiatePort), Through(ProxyKind.Socks5, proxies.DantePort),
            TestContext.Current.CancellationToken);

        AssertFinalizedThrough(report, ProxyKind.Socks5);
        // RFC 1928 5: ATYP X'03', the name's length and the name; the port in network order.
        byte[] name = Encoding.ASCII.GetBytes("localhost");
        byte[] request = [0x05, 0x01, 0x00, 0x03, (byte)name.Length, .. name, (byte)(xrdp.NegotiatePort >> 8), (byte)xrdp.NegotiatePort];
        Assert.EndsWith(Convert.ToHexStringLower(request), Convert.ToHexStringLower(report.Steps.Single(s => s.Name == "proxy.tunnel").Sent), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_through_tinyproxy_reaches_finalization_against_xrdp()
    {
        await RequireAsync();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", xrdp.NegotiatePort), Through(ProxyKind.HttpConnect, proxies.TinyproxyPort),
            TestContext.Current.CancellationToken);

        AssertFinalizedThrough(report, ProxyKind.HttpConnect);
        Assert.Equal(200, report.Proxy!.Facts!.HttpStatus);
        Assert.StartsWith("tinyproxy/", report.Proxy.Facts.Agent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_through_tinyproxy_with_basic_authentication_reaches_finalization_against_xrdp()
    {
        await RequireAsync();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", xrdp.NegotiatePort),
            Through(ProxyKind.HttpConnect, proxies.TinyproxyAuthPort, ProxyPeersFixture.HttpUser, proxies.HttpPassword), TestContext.Current.CancellationToken);

        AssertFinalizedThrough(report, ProxyKind.HttpConnect);
        Assert.Equal(ProxyPeersFixture.HttpUser, report.Proxy!.Facts!.AuthenticatedAs);
        string credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ProxyPeersFixture.HttpUser}:{proxies.HttpPassword}"));
        Assert.DoesNotContain(credentials, Encoding.ASCII.GetString(report.Steps.Single(s => s.Name == "proxy.tunnel").Sent), StringComparison.Ordinal);
    }

    public enum Peer
    {
        Dante,
        DanteAuth,
        Tinyproxy,
        TinyproxyAuth,
    }

    public enum Target
    {
        Xrdp,
        Closed,
        Denied,
    }

    [Theory]
    [InlineData(Peer.DanteAuth, "wrong", Target.Xrdp, "proxy.auth", "proxy-auth-failed")]
    [InlineData(Peer.DanteAuth, null, Target.Xrdp, "proxy.auth", "proxy-no-acceptable-method")]
    [InlineData(Peer.Dante, null, Target.Denied, "proxy.tunnel", "socks-reply:not-allowed")]
    [InlineData(Peer.Dante, null, Target.Closed, "proxy.tunnel", "socks-reply:connection-refused")]
    [InlineData(Peer.TinyproxyAuth, "wrong", Target.Xrdp, "proxy.tunnel", "proxy-auth-failed")]
    [InlineData(Peer.TinyproxyAuth, null, Target.Xrdp, "proxy.tunnel", "proxy-auth-required")]
    [InlineData(Peer.Tinyproxy, null, Target.Denied, "proxy.tunnel", "proxy-http-status:403")]
    [InlineData(Peer.Tinyproxy, null, Target.Closed, "proxy.tunnel", "proxy-http-status:500")]
    public async Task A_real_proxy_s_refusal_is_typed_at_its_step(Peer peer, string? password, Target target, string step, string cause)
    {
        await RequireAsync();
        if (peer == Peer.DanteAuth)
        {
            proxies.RequireSocksUser();
        }

        (ProxyKind kind, int port, string user) = peer switch
        {
            Peer.Dante => (ProxyKind.Socks5, proxies.DantePort, ProxyPeersFixture.SocksUser),
            Peer.DanteAuth => (ProxyKind.Socks5, proxies.DanteAuthPort, ProxyPeersFixture.SocksUser),
            Peer.Tinyproxy => (ProxyKind.HttpConnect, proxies.TinyproxyPort, ProxyPeersFixture.HttpUser),
            Peer.TinyproxyAuth => (ProxyKind.HttpConnect, proxies.TinyproxyAuthPort, ProxyPeersFixture.HttpUser),
        };
        int targetPort = target switch
        {
            Target.Xrdp => xrdp.NegotiatePort,
            Target.Closed => proxies.ClosedPort,
            Target.Denied => proxies.DeniedPort,
        };
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", targetPort),
            Through(kind, port, password is null ? null : user, password), TestContext.Current.CancellationToken);

        Assert.False(report.Success);
        Assert.Equal(ConnectionPhase.Proxy, report.Diagnosis!.Phase);
        Assert.Equal(cause, report.Diagnosis.Cause.Name);
        Assert.Equal(step, report.Diagnosis.Evidence.Step);
        Assert.Equal(ExitCodes.Proxy, ExitCodes.For(report));
        Assert.False(report.Proxy!.Facts!.Tunnelled);
        Assert.DoesNotContain(report.Steps, s => s.Phase > ConnectionPhase.Proxy);
    }

    [Fact]
    public async Task The_proxy_password_appears_in_no_output_report_junit_capture_or_log()
    {
        await RequireAsync();
        proxies.RequireSocksUser();
        string directory = Directory.CreateTempSubdirectory("rdphs-proxy-secret-").FullName;
        try
        {
            foreach ((string url, string password, string name) in new[]
            {
                ($"socks5://{ProxyPeersFixture.SocksUser}@127.0.0.1:{proxies.DanteAuthPort}", proxies.SocksPassword, "socks"),
                ($"http://{ProxyPeersFixture.HttpUser}@127.0.0.1:{proxies.TinyproxyAuthPort}", proxies.HttpPassword, "http"),
            })
            {
                string junit = Path.Combine(directory, $"{name}.xml");
                string pcap = Path.Combine(directory, $"{name}.pcapng");
                ProcessResult run = await Peers.RdphsAsync(Limit, new Dictionary<string, string> { [ProxySettings.PasswordVariable] = password },
                    "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--proxy", url, "--hex", "--log-level", "trace",
                    "--json", "--junit", junit, "--pcap", pcap);
                Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
                string report = run.StdOut;

                string user = url.Split("://")[1].Split('@')[0];
                string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
                string hex = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(password));
                foreach ((string what, string text) in new[]
                {
                    ("stdout (the JSON report) and stderr (text with hex, trace log)", run.StdOut + run.StdErr),
                    ("JUnit", await File.ReadAllTextAsync(junit, TestContext.Current.CancellationToken)),
                    ("capture", Encoding.Latin1.GetString(await File.ReadAllBytesAsync(pcap, TestContext.Current.CancellationToken))),
                })
                {
                    Assert.False(text.Contains(password, StringComparison.Ordinal), $"{name}: the password is in the {what}");
                    Assert.False(text.Contains(hex, StringComparison.OrdinalIgnoreCase), $"{name}: the password's hex is in the {what}");
                    Assert.False(text.Contains(basic, StringComparison.Ordinal), $"{name}: the Basic credentials are in the {what}");
                }

                using JsonDocument json = JsonDocument.Parse(report);
                JsonElement proxy = json.RootElement.GetProperty("proxy");
                Assert.Equal(name == "socks" ? "socks5" : "http-connect", proxy.GetProperty("kind").GetString());
                Assert.True(proxy.GetProperty("tunnelled").GetBoolean());
                Assert.True(proxy.GetProperty("authenticated").GetBoolean());
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Without_RDPHS_PROXY_PASSWORD_the_password_is_asked_for_on_the_terminal_and_not_echoed()
    {
        await RequireAsync();
        proxies.RequireSocksUser();
        Peers.Require("script");
        (string fileName, string[] prefix) = Peers.Rdphs;
        string[] args = [.. prefix, "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--proxy", $"socks5://{ProxyPeersFixture.SocksUser}@127.0.0.1:{proxies.DanteAuthPort}", "--until", "x224"];
        string command = "exec " + string.Join(' ', new[] { fileName }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var info = new System.Diagnostics.ProcessStartInfo("script", ["--quiet", "--flush", "--return", "--command", command, "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment.Remove(ProxySettings.PasswordVariable);
        info.Environment["TERM"] = "xterm";
        info.Environment["NO_COLOR"] = string.Empty;
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = new StringBuilder();
        // The prompt ends without a newline: read the terminal's output as it comes, not by lines.
        async Task PumpAsync(StreamReader reader)
        {
            char[] buffer = new char[256];
            int read;
            while ((read = await reader.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
            {
                lock (output)
                {
                    output.Append(buffer, 0, read);
                }
            }
        }

        string Text()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        Task pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
        try
        {
            // Type only once the prompt is there: the terminal no longer echoes then.
            for (int waited = 0; !Text().Contains("Proxy password for", StringComparison.Ordinal) && waited < 300 && !process.HasExited; waited++)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            await process.StandardInput.WriteAsync(proxies.SocksPassword + "\r");
            await process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Limit, TestContext.Current.CancellationToken);
            await pumps.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string text = Text();
        Assert.True(process.ExitCode == ExitCodes.Success, $"exit {process.ExitCode}:\n{text}");
        Assert.Contains($"Proxy password for {ProxyPeersFixture.SocksUser}:", text, StringComparison.Ordinal);
        Assert.Contains("authenticated as", text, StringComparison.Ordinal);
        Assert.DoesNotContain(proxies.SocksPassword, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_capture_of_a_probe_through_a_proxy_holds_the_tunnelled_rdp_stream_for_tshark()
    {
        await RequireAsync();
        Peers.Require("tshark");
        string directory = Directory.CreateTempSubdirectory("rdphs-proxy-pcap-").FullName;
        try
        {
            string pcap = Path.Combine(directory, "through-dante.pcapng");
            ProcessResult run = await Peers.RdphsAsync(Limit, "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--proxy", $"socks5://127.0.0.1:{proxies.DantePort}", "--pcap", pcap);
            Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

            ProcessResult dissected = await Peers.RunAsync("tshark",
                ["-r", pcap, "-d", $"tcp.port=={xrdp.NegotiatePort},tpkt", "-Y", "rdp", "-T", "fields", "-e", "_ws.col.Info"], TimeSpan.FromSeconds(30));
            Assert.Equal(0, dissected.ExitCode);
            // The X.224 request and the confirm, dissected from the first bytes of the stream: no SOCKS bytes before them.
            Assert.Contains("Cookie: mstshash=rdphs", dissected.StdOut, StringComparison.Ordinal);
            Assert.Contains("Negotiate Response", dissected.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Protocols_tls_ntlm_info_scan_and_fuzz_go_through_the_proxy()
    {
        await RequireAsync();
        string proxy = $"socks5://127.0.0.1:{proxies.DantePort}";
        // Through dante to a port its rules block: only a run that went through the proxy can say so (a direct connection
        // to the port, where nothing listens, would be refused in phase tcp).
        foreach ((string[] args, int exit) in new (string[], int)[]
        {
            (["protocols", $"127.0.0.1:{proxies.DeniedPort}"], ExitCodes.Proxy),
            (["tls", $"127.0.0.1:{proxies.DeniedPort}"], ExitCodes.Proxy),
            (["ntlm-info", $"127.0.0.1:{proxies.DeniedPort}"], ExitCodes.Proxy),
            (["scan", $"127.0.0.1:{proxies.DeniedPort}"], ExitCodes.Failure),
            (["fuzz", $"127.0.0.1:{proxies.DeniedPort}", "--layer", "x224", "--cases", "2", "--seed", "1"], ExitCodes.Failure),
        })
        {
            ProcessResult run = await Peers.RdphsAsync(Limit, [.. args, "--proxy", proxy]);
            Assert.True(run.ExitCode == exit, $"{args[0]}: {run}");
            Assert.Contains("socks-reply:not-allowed", run.StdOut + run.StdErr, StringComparison.Ordinal);
        }

        // And through it to xrdp, they get their answers.
        ProcessResult protocols = await Peers.RdphsAsync(Limit, "protocols", $"127.0.0.1:{xrdp.NegotiatePort}", "--proxy", proxy);
        Assert.True(protocols.ExitCode == ExitCodes.Success, protocols.ToString());
        Assert.Contains("the server accepts", protocols.StdOut, StringComparison.Ordinal);
        ProcessResult tls = await Peers.RdphsAsync(Limit, "tls", $"127.0.0.1:{xrdp.NegotiatePort}", "--proxy", proxy);
        Assert.True(tls.ExitCode == ExitCodes.Success, tls.ToString());
        Assert.Contains("TLS 1.3", tls.StdOut, StringComparison.Ordinal);
        ProcessResult fuzz = await Peers.RdphsAsync(Limit, "fuzz", $"127.0.0.1:{xrdp.NegotiatePort}", "--layer", "x224", "--cases", "3", "--seed", "1", "--proxy", proxy);
        Assert.True(fuzz.ExitCode == ExitCodes.Success, fuzz.ToString());
        Assert.Contains("server alive after the run: yes", fuzz.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:21", "scheme")]
    [InlineData("socks5://127.0.0.1", "names no port")]
    [InlineData("socks5://user:secret@127.0.0.1:1080", "carries a password")]
    [InlineData("127.0.0.1:1080", "is not a URL")]
    public async Task A_bad_proxy_url_is_one_line_and_exit_2_before_anything_is_sent(string url, string says)
    {
        foreach (string[] command in new[] { ["probe"], ["protocols"], ["tls"], ["ntlm-info"], ["scan"], new[] { "fuzz", "--layer", "x224" } })
        {
            ProcessResult run = await Peers.RdphsAsync(Limit, [command[0], "127.0.0.1:9", .. command[1..], "--proxy", url]);
            Assert.True(run.ExitCode == ExitCodes.Usage, $"{command}: {run}");
            string[] lines = run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Contains(says, lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("secret", run.StdOut + run.StdErr, StringComparison.Ordinal);
        }
    }
}
