using System.Globalization;
using System.Text.RegularExpressions;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// <c>rdphs serve --gateway</c> against real peers: xfreerdp 2.11 reaches a real xrdp's session through it over the
/// WebSocket transport and over the HTTP transport (RDG_OUT_DATA + RDG_IN_DATA), and its resource policy refuses a
/// target it does not allow.
/// </summary>
public sealed class GatewayTests(XrdpFixture xrdp, XvfbFixture xvfb) : IClassFixture<XrdpFixture>, IClassFixture<XvfbFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    /// <summary>Starts the test gateway on a free port; returns it and the port it listens on.</summary>
    internal static async Task<(PeerProcess Gateway, int Port)> StartGatewayAsync(params string[] extra)
    {
        PeerProcess gateway = PeerProcess.Rdphs(["serve", "--gateway", "--port", "0", .. extra]);
        Match listening = await gateway.WaitForLineAsync(@"test gateway listening on https://127\.0\.0\.1:(\d+)", Wait);
        return (gateway, int.Parse(listening.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private PeerProcess StartXfreerdp(int gatewayPort, int targetPort, string transport, string home, string password = "Test-Password-1") =>
        // stdbuf: FreeRDP's log goes through stdio, fully buffered into a pipe; line buffering shows each state as it happens.
        PeerProcess.Start(
            "stdbuf",
            ["-oL", "-eL", "xfreerdp", $"/v:127.0.0.1:{targetPort}", $"/g:127.0.0.1:{gatewayPort}", "/gu:alice", $"/gp:{password}", $"/gt:{transport}", "/cert:ignore", "/u:alice", "/p:x", "/log-level:DEBUG"],
            new Dictionary<string, string>
            {
                ["DISPLAY"] = xvfb.Display!,
                ["HOME"] = home,
                ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
            });

    [Theory]
    [InlineData("http", "websocket")]
    [InlineData("http,no-websockets", "http")]
    public async Task Xfreerdp_reaches_the_xrdp_session_through_the_gateway(string xfreerdpTransport, string servedTransport)
    {
        xrdp.Require();
        Peers.Require("xfreerdp", "Xvfb");
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync("--gateway-allow", $"127.0.0.1:{xrdp.NegotiatePort}");
        await using (gateway)
        {
            string home = Directory.CreateTempSubdirectory("rdphs-xfreerdp-").FullName;
            try
            {
                await using (PeerProcess client = StartXfreerdp(gatewayPort, xrdp.NegotiatePort, xfreerdpTransport, home))
                {
                    // FreeRDP's own state machine says it: the capabilities exchange and finalization went through the tunnel.
                    await client.WaitForLineAsync("CONNECTION_STATE_FINALIZATION --> CONNECTION_STATE_ACTIVE", Wait);
                }

                Match line = await gateway.WaitForLineAsync(
                    $@"gateway 127\.0\.0\.1:\d+: {servedTransport}, user alice, target 127\.0\.0\.1:{xrdp.NegotiatePort}: .*\((\d+) bytes to the target, (\d+) from it\)", Wait);
                Assert.True(long.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture) > 1000, line.Value);
                Assert.True(long.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture) > 1000, line.Value);
            }
            finally
            {
                Directory.Delete(home, recursive: true);
            }
        }
    }

    [Fact]
    public async Task The_resource_policy_refuses_a_target_it_does_not_allow_and_xfreerdp_says_so()
    {
        xrdp.Require();
        Peers.Require("xfreerdp", "Xvfb");
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync("--gateway-allow", "127.0.0.1:1");
        await using (gateway)
        {
            string home = Directory.CreateTempSubdirectory("rdphs-xfreerdp-").FullName;
            try
            {
                await using (PeerProcess client = StartXfreerdp(gatewayPort, xrdp.NegotiatePort, "http", home))
                {
                    await client.WaitForLineAsync("E_PROXY_RAP_ACCESSDENIED", Wait);
                }

                await gateway.WaitForLineAsync($"target 127\\.0\\.0\\.1:{xrdp.NegotiatePort}: refused by the resource policy: E_PROXY_RAP_ACCESSDENIED", Wait);
            }
            finally
            {
                Directory.Delete(home, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_wrong_gateway_password_is_refused_before_any_tunnel()
    {
        Peers.Require("xfreerdp", "Xvfb");
        xrdp.Require();
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync();
        await using (gateway)
        {
            string home = Directory.CreateTempSubdirectory("rdphs-xfreerdp-").FullName;
            try
            {
                await using (PeerProcess client = StartXfreerdp(gatewayPort, xrdp.NegotiatePort, "http", home, password: "wrong"))
                {
                    await client.WaitForLineAsync("ERRCONNECT_ACCESS_DENIED|401|ACCESS_DENIED", Wait);
                }

                await gateway.WaitForLineAsync("refused: NTLM authentication failed", Wait);
                Assert.DoesNotContain("target 127.0.0.1", gateway.Output, StringComparison.Ordinal);
            }
            finally
            {
                Directory.Delete(home, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("websocket", "101 Switching Protocols")]
    [InlineData("http", "200 OK")]
    public async Task Rdphs_probe_reaches_finalization_against_xrdp_through_the_gateway(string transport, string status)
    {
        xrdp.Require();
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync("--gateway-allow", $"127.0.0.1:{xrdp.NegotiatePort}");
        await using (gateway)
        {
            ProcessResult probe = await Peers.RdphsAsync(
                TimeSpan.FromSeconds(60),
                new Dictionary<string, string> { ["RDPHS_GATEWAY_PASSWORD"] = "Test-Password-1" },
                "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway", $"https://127.0.0.1:{gatewayPort}", "--gateway-user", "alice",
                "--gateway-transport", transport, "--json");
            Assert.True(probe.ExitCode == 0, probe.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(probe.StdOut);
            System.Text.Json.JsonElement root = json.RootElement;
            Assert.Equal("finalization", root.GetProperty("outcome").GetProperty("reached").GetString());
            System.Text.Json.JsonElement[] steps = [.. root.GetProperty("steps").EnumerateArray()];
            Assert.Contains(steps, s => s.GetProperty("name").GetString() == "gateway.http-auth"
                && s.GetProperty("fields").EnumerateObject().Any(f => f.Value.GetString() == status));
            Assert.All(steps.Where(s => s.GetProperty("phase").GetString() is not ("gateway")),
                s => Assert.True(s.GetProperty("fields").TryGetProperty("tunnelled", out _), s.ToString()));
            Assert.DoesNotContain("Test-Password-1", probe.StdOut + probe.StdErr, StringComparison.Ordinal);
            await gateway.WaitForLineAsync($"{(transport == "http" ? "http" : "websocket")}, user alice, target 127\\.0\\.0\\.1:{xrdp.NegotiatePort}: closed by the client's CLOSE_CHANNEL", Wait);
        }
    }

    [Fact]
    public async Task A_gateway_url_that_is_not_https_is_a_usage_error_before_anything_is_sent()
    {
        ProcessResult result = await Peers.RdphsAsync(TimeSpan.FromSeconds(30), "probe", "127.0.0.1:3389", "--gateway", "http://127.0.0.1:1");
        Assert.Equal(2, result.ExitCode);
        string[] lines = result.StdErr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains("--gateway 'http://127.0.0.1:1': an RD Gateway is reached over HTTPS", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_and_a_proxy_together_are_a_usage_error_before_anything_is_sent()
    {
        ProcessResult result = await Peers.RdphsAsync(TimeSpan.FromSeconds(30), "probe", "127.0.0.1:3389", "--gateway", "https://127.0.0.1:1", "--proxy", "socks5://127.0.0.1:1");
        Assert.Equal(2, result.ExitCode);
        string[] lines = result.StdErr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains("--gateway and --proxy together", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_gateway_fails_in_phase_gateway_with_its_exit_code()
    {
        int port = Peers.FreePort();
        ProcessResult result = await Peers.RdphsAsync(TimeSpan.FromSeconds(30), "probe", "127.0.0.1:3389", "--gateway", $"https://127.0.0.1:{port}");
        Assert.Equal(20, result.ExitCode);
        Assert.Contains("failed in gateway: connection-refused", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tshark_decodes_the_gateway_tls_and_http_with_the_key_log()
    {
        xrdp.Require();
        Peers.Require("tshark");
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync();
        string directory = Directory.CreateTempSubdirectory("rdphs-gateway-capture-").FullName;
        string pcap = Path.Combine(directory, "gateway.pcapng");
        string keys = Path.Combine(directory, "keys.txt");
        try
        {
            await using (gateway)
            {
                // tshark captures loopback itself (the tests run as root, as CI does); SIGINT lets it write the file whole.
                await using (PeerProcess capture = PeerProcess.Start("tshark", ["-i", "lo", "-f", $"tcp port {gatewayPort}", "-w", pcap]))
                {
                    await capture.WaitForLineAsync("Capturing on", Wait);
                    ProcessResult probe = await Peers.RdphsAsync(
                        TimeSpan.FromSeconds(60),
                        new Dictionary<string, string> { ["RDPHS_GATEWAY_PASSWORD"] = "Test-Password-1" },
                        "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway", $"https://127.0.0.1:{gatewayPort}", "--gateway-user", "alice",
                        "--gateway-transport", "websocket", "--keylog", keys);
                    Assert.True(probe.ExitCode == 0, probe.ToString());
                    await Task.Delay(500, TestContext.Current.CancellationToken);
                    await Peers.RunAsync("kill", ["-INT", capture.Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
                    await capture.WaitForLineAsync("packets captured", Wait);
                }
            }

            string[] decode = ["-r", pcap, "-d", $"tcp.port=={gatewayPort},tls", "-Y", "http.response", "-T", "fields", "-e", "http.response.code"];
            ProcessResult withKeys = await Peers.RunAsync("tshark", ["-o", $"tls.keylog_file:{keys}", .. decode], TimeSpan.FromSeconds(60));
            string[] codes = withKeys.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // NTLM's 401 with the CHALLENGE, then 101 Switching Protocols: the gateway's HTTP, read inside its TLS.
            Assert.Contains("401", codes);
            Assert.Contains("101", codes);
            ProcessResult withoutKeys = await Peers.RunAsync("tshark", decode, TimeSpan.FromSeconds(60));
            Assert.DoesNotContain("101", withoutKeys.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private const string Cookie = "paa-7c1e0f4b9a2d5e6f";

    /// <summary>A file holding <paramref name="text"/>, in a directory of its own; deleted with the directory by the caller.</summary>
    private static string CookieFile(string text)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("rdphs-paa-").FullName, "cookie.txt");
        File.WriteAllText(path, text + "\n");
        return path;
    }

    [Theory]
    [InlineData("file", "websocket")]
    [InlineData("environment", "http")]
    public async Task Rdphs_probe_sends_the_paa_cookie_and_the_gateway_that_requires_it_lets_the_tunnel_through(string from, string transport)
    {
        xrdp.Require();
        string required = CookieFile(Cookie);
        string given = CookieFile(Cookie);
        try
        {
            (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync("--gateway-allow", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway-paa-cookie-file", required);
            await using (gateway)
            {
                Assert.Contains("a PAA cookie required", gateway.Output, StringComparison.Ordinal);
                Dictionary<string, string> environment = from == "environment" ? new() { ["RDPHS_GATEWAY_PAA_COOKIE"] = Cookie } : new();
                string[] cookieFile = from == "file" ? ["--gateway-paa-cookie-file", given] : [];
                ProcessResult probe = await Peers.RdphsAsync(
                    TimeSpan.FromSeconds(60), environment,
                    ["probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway", $"https://127.0.0.1:{gatewayPort}", "--gateway-transport", transport, "--json", .. cookieFile]);
                Assert.True(probe.ExitCode == 0, probe.ToString());
                using var json = System.Text.Json.JsonDocument.Parse(probe.StdOut);
                Assert.Equal("finalization", json.RootElement.GetProperty("outcome").GetProperty("reached").GetString());
                await gateway.WaitForLineAsync($@"{transport}, user \(paa cookie\), target 127\.0\.0\.1:{xrdp.NegotiatePort}: closed by the client's CLOSE_CHANNEL", Wait);
                Assert.DoesNotContain(Cookie, probe.StdOut + probe.StdErr + gateway.Output, StringComparison.Ordinal);
                Assert.DoesNotContain(Convert.ToHexStringLower(System.Text.Encoding.Unicode.GetBytes(Cookie)[..8]), probe.StdOut, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(required)!, recursive: true);
            Directory.Delete(Path.GetDirectoryName(given)!, recursive: true);
        }
    }

    [Fact]
    public async Task A_wrong_paa_cookie_is_refused_at_the_tunnel_with_its_ms_tsgu_status()
    {
        xrdp.Require();
        string required = CookieFile(Cookie);
        try
        {
            (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync("--gateway-paa-cookie-file", required);
            await using (gateway)
            {
                ProcessResult probe = await Peers.RdphsAsync(
                    TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["RDPHS_GATEWAY_PAA_COOKIE"] = "paa-not-the-right-one" },
                    "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway", $"https://127.0.0.1:{gatewayPort}", "--json");
                Assert.Equal(20, probe.ExitCode);
                using var json = System.Text.Json.JsonDocument.Parse(probe.StdOut);
                System.Text.Json.JsonElement diagnosis = json.RootElement.GetProperty("diagnosis");
                Assert.Equal("gateway-refused:E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED", diagnosis.GetProperty("cause").GetString());
                Assert.Equal("gateway.tunnel", diagnosis.GetProperty("evidence").GetProperty("step").GetString());
                await gateway.WaitForLineAsync("refused: the PAA cookie is not the one expected: E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED", Wait);
                Assert.DoesNotContain("paa-not-the-right-one", probe.StdOut + probe.StdErr + gateway.Output, StringComparison.Ordinal);
                Assert.DoesNotContain(Cookie, gateway.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(required)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("missing", "cannot read it")]
    [InlineData("empty", "the PAA cookie is empty")]
    public async Task A_paa_cookie_file_that_gives_no_cookie_is_a_usage_error_before_anything_is_sent(string kind, string expected)
    {
        string file = kind == "missing" ? Path.Combine(Path.GetTempPath(), $"rdphs-no-such-{Guid.NewGuid():N}") : CookieFile("   ");
        try
        {
            ProcessResult result = await Peers.RdphsAsync(TimeSpan.FromSeconds(30), "probe", "127.0.0.1:3389", "--gateway", "https://127.0.0.1:1", "--gateway-paa-cookie-file", file);
            Assert.Equal(2, result.ExitCode);
            string[] lines = result.StdErr.Trim().Split('\n');
            Assert.Single(lines);
            Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        }
        finally
        {
            if (kind != "missing")
            {
                Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Protocols_tls_and_ntlm_info_go_through_the_gateway()
    {
        xrdp.Require();
        var environment = new Dictionary<string, string> { ["RDPHS_GATEWAY_PASSWORD"] = "Test-Password-1" };

        // A gateway whose resource policy refuses the target: only a run that went through it can say so.
        (PeerProcess refusing, int refusingPort) = await StartGatewayAsync("--gateway-allow", "127.0.0.1:1");
        await using (refusing)
        {
            foreach (string command in new[] { "protocols", "tls", "ntlm-info" })
            {
                ProcessResult run = await Peers.RdphsAsync(
                    TimeSpan.FromSeconds(60), environment,
                    command, $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway", $"https://127.0.0.1:{refusingPort}", "--gateway-user", "alice");
                Assert.True(run.ExitCode == 20, $"{command}: {run}");
                Assert.Contains("gateway-refused:E_PROXY_RAP_ACCESSDENIED", run.StdOut + run.StdErr, StringComparison.Ordinal);
                Assert.DoesNotContain("Test-Password-1", run.StdOut + run.StdErr, StringComparison.Ordinal);
            }
        }

        // Through a gateway that lets them pass, each gets its answer: xrdp's protocols and TLS versions, and the test
        // server's NTLM names (xrdp has no NLA to ask).
        PeerProcess server = PeerProcess.Rdphs("serve", "--port", "0");
        await using (server)
        {
            Match listening = await server.WaitForLineAsync(@"rdphs test server listening on 127\.0\.0\.1:(\d+)", Wait);
            string serverPort = listening.Groups[1].Value;
            (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync("--gateway-allow", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway-allow", $"127.0.0.1:{serverPort}");
            await using (gateway)
            {
                string[] via = ["--gateway", $"https://127.0.0.1:{gatewayPort}", "--gateway-user", "alice"];
                ProcessResult protocols = await Peers.RdphsAsync(TimeSpan.FromSeconds(90), environment, ["protocols", $"127.0.0.1:{xrdp.NegotiatePort}", .. via]);
                Assert.True(protocols.ExitCode == 0, protocols.ToString());
                Assert.Contains("the server accepts", protocols.StdOut, StringComparison.Ordinal);
                ProcessResult tls = await Peers.RdphsAsync(TimeSpan.FromSeconds(120), environment, ["tls", $"127.0.0.1:{xrdp.NegotiatePort}", .. via]);
                Assert.True(tls.ExitCode == 0, tls.ToString());
                Assert.Contains("TLS 1.3", tls.StdOut, StringComparison.Ordinal);
                ProcessResult ntlm = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), environment, ["ntlm-info", $"127.0.0.1:{serverPort}", .. via]);
                Assert.True(ntlm.ExitCode == 0, ntlm.ToString());
                Assert.Contains("RDPHS", ntlm.StdOut, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("Test-Password-1", protocols.StdOut + protocols.StdErr + tls.StdOut + tls.StdErr + ntlm.StdOut + ntlm.StdErr, StringComparison.Ordinal);
                Assert.Contains($"target 127.0.0.1:{serverPort}", gateway.Output, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task The_pcap_of_a_gateway_run_holds_the_rdp_stream_between_real_addresses_and_says_how()
    {
        xrdp.Require();
        Peers.Require("tshark", "capinfos");
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync("--gateway-allow", $"127.0.0.1:{xrdp.NegotiatePort}");
        string directory = Directory.CreateTempSubdirectory("rdphs-gw-pcap-").FullName;
        try
        {
            await using (gateway)
            {
                string capture = Path.Combine(directory, "gw.pcapng");
                ProcessResult probe = await Peers.RdphsAsync(
                    TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["RDPHS_GATEWAY_PASSWORD"] = "Test-Password-1" },
                    "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway", $"https://127.0.0.1:{gatewayPort}", "--gateway-user", "alice", "--pcap", capture);
                Assert.True(probe.ExitCode == 0, probe.ToString());

                string port = xrdp.NegotiatePort.ToString(CultureInfo.InvariantCulture);
                ProcessResult packets = await Peers.RunAsync("tshark",
                    ["-r", capture, "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-c", "1"], TimeSpan.FromSeconds(30));
                string[] first = packets.StdOut.Trim().Split('\t');
                Assert.Equal("127.0.0.1", first[0]);
                Assert.NotEqual("50000", first[1]); // the real local port of the gateway connection, not a stand-in
                Assert.Equal(["127.0.0.1", port], first[2..]);
                ProcessResult rdp = await Peers.RunAsync("tshark",
                    ["-r", capture, "-d", $"tcp.port=={port},tpkt", "-Y", "rdp", "-T", "fields", "-e", "_ws.col.Info"], TimeSpan.FromSeconds(30));
                Assert.Contains("Negotiate Request", rdp.StdOut, StringComparison.Ordinal);
                ProcessResult comment = await Peers.RunAsync("capinfos", ["-k", capture], TimeSpan.FromSeconds(30));
                Assert.Contains($"tunnelled through RD Gateway https://127.0.0.1:{gatewayPort}", comment.StdOut, StringComparison.Ordinal);
                Assert.Contains($"(127.0.0.1:{first[1]})", comment.StdOut, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
