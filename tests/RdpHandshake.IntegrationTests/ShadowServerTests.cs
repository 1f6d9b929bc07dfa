using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using RdpHandshake.Cli;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.IntegrationTests;

/// <summary>FreeRDP's shadow server with NLA, under Xvfb: a real CredSSP server on loopback.</summary>
public sealed class ShadowServerFixture : IAsyncLifetime
{
    private Process? _server;
    private string? _display;

    public const string User = "alice";

    /// <summary>A second account with the same password, which a Kerberos realm can hold too (the realm's alice has another password).</summary>
    public const string KerberosUser = "carol";

    /// <summary>The test account's password: a throw-away value for a throw-away server, not a real secret.</summary>
    public const string Password = "Shadow-Test-Pw-4711";

    public int Port { get; private set; }

    public string? SamFile { get; private set; }

    public bool Available { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (Peers.Which("freerdp-shadow-cli") is null || Peers.Which("Xvfb") is null)
        {
            return;
        }

        // winpr's SAM file: user:domain:LM hash:NT hash::: (an empty domain matches any).
        SamFile = Path.Combine(Directory.CreateTempSubdirectory("rdphs-sam-").FullName, "SAM");
        string ntHash = Convert.ToHexStringLower(RdpHandshake.Crypto.Ntlm.NtlmCrypto.NtOwfV1(Password));
        await File.WriteAllTextAsync(SamFile, $"{User}::aad3b435b51404eeaad3b435b51404ee:{ntHash}:::\n{KerberosUser}::aad3b435b51404eeaad3b435b51404ee:{ntHash}:::\n");

        // xvfb.sh runs Xvfb with -noreset, which cured the shadow server's "failed to open display"; the
        // retries stay for whatever else a loaded machine brings, each on a fresh display with its log kept.
        var failures = new List<string>();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int display = 500 + Random.Shared.Next(0, 400);
            await Peers.RunScriptAsync("xvfb.sh", "start", display.ToString(CultureInfo.InvariantCulture));
            _display = display.ToString(CultureInfo.InvariantCulture);
            await Task.Delay(TimeSpan.FromMilliseconds(500 * (attempt + 1)));
            Port = Peers.FreePort();
            string log = Path.Combine(Path.GetDirectoryName(SamFile)!, $"shadow-{attempt}.log");
            var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardInput = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"exec freerdp-shadow-cli /port:{Port} /sec:nla /sam-file:{SamFile} >{log} 2>&1");
            info.Environment["DISPLAY"] = $":{display}";
            _server = Process.Start(info)!;
            _server.StandardInput.Close();
            for (int i = 0; i < 300 && !_server.HasExited; i++)
            {
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync(System.Net.IPAddress.Loopback, Port);
                    Available = true;
                    return;
                }
                catch (SocketException)
                {
                    await Task.Delay(100);
                }
            }

            string state = _server.HasExited ? $"exited with {_server.ExitCode}" : "still not listening after 30 s";
            if (!_server.HasExited)
            {
                _server.Kill(entireProcessTree: true);
            }

            string output = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(10)) : "(no log)";
            failures.Add($"attempt {attempt + 1} on port {Port}, display :{display}: {state}; log:\n{output}");
            _server.Dispose();
            _server = null;
            await Peers.RunScriptAsync("xvfb.sh", "stop", _display);
            _display = null;
        }

        throw new InvalidOperationException($"freerdp-shadow-cli did not start:\n{string.Join("\n", failures)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        if (SamFile is not null)
        {
            Directory.Delete(Path.GetDirectoryName(SamFile)!, recursive: true);
        }

        if (_display is not null)
        {
            await Peers.RunScriptAsync("xvfb.sh", "stop", _display);
        }
    }

    public void Require()
    {
        if (!Available)
        {
            Peers.Require("freerdp-shadow-cli", "Xvfb");
        }
    }
}

public sealed class ShadowServerTests(ShadowServerFixture shadow) : IClassFixture<ShadowServerFixture>
{
    [Fact]
    public async Task Ntlm_info_reads_the_shadow_servers_names_without_credentials()
    {
        shadow.Require();
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "ntlm-info", $"127.0.0.1:{shadow.Port}");
        Assert.True(run.ExitCode == 0, run.ToString());

        // winpr's NTLM server names itself after the host and reports NTLM from a Windows 7-era version.
        string host = Environment.MachineName.ToUpperInvariant();
        Assert.Matches($@"NetBIOS computer name\s+{System.Text.RegularExpressions.Regex.Escape(host)}", run.StdOut);
        Assert.Matches(@"Product version\s+\d+\.\d+\.\d+", run.StdOut);
        Assert.Contains("NTLM without SPNEGO", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_probe_of_the_shadow_server_selects_nla_and_completes_tls()
    {
        shadow.Require();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", shadow.Port), new ProbeOptions { Until = ConnectionPhase.Tls }, TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(Protocol.X224.SecurityProtocols.Hybrid, report.Negotiation!.Selected);
        Assert.True(report.Tls!.HandshakeComplete);
    }

    [Fact]
    public async Task Nla_with_the_right_password_verifies_the_server_binding_and_sends_the_credentials()
    {
        shadow.Require();
        ProcessResult run = await Peers.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "rdphs.dll"), "probe", $"127.0.0.1:{shadow.Port}", "--user", ShadowServerFixture.User, "--ntlm-bare", "--until", "credssp", "--json"],
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["RDPHS_PASSWORD"] = ShadowServerFixture.Password });
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.StdOut);
        Assert.Equal("credssp", json.RootElement.GetProperty("outcome").GetProperty("reached").GetString());
        string[] steps = json.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["credssp.negotiate", "credssp.challenge", "credssp.authenticate", "credssp.pubkey", "credssp.credentials"], steps[^5..]);
    }

    [Fact]
    public async Task Nla_with_the_right_password_goes_on_through_mcs_to_finalization()
    {
        shadow.Require();
        ProcessResult run = await Peers.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "rdphs.dll"), "probe", $"127.0.0.1:{shadow.Port}", "--user", ShadowServerFixture.User, "--ntlm-bare", "--until", "finalized", "--json"],
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["RDPHS_PASSWORD"] = ShadowServerFixture.Password });
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.StdOut);
        Assert.Equal("finalization", json.RootElement.GetProperty("outcome").GetProperty("reached").GetString());
        string[] steps = json.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray();
        Assert.Contains("credssp.credentials", steps);
        Assert.Contains("mcs.connect-response", steps);
        Assert.Contains("capabilities.demand-active", steps);
        Assert.Equal("finalization.font-map", steps[^2]);

        // The Client Info names the user of the NLA credentials, and carries no password.
        System.Text.Json.JsonElement clientInfo = json.RootElement.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "security.client-info");
        Assert.Equal(ShadowServerFixture.User, clientInfo.GetProperty("fields").GetProperty("userName").GetString());
        Assert.Equal("(none)", clientInfo.GetProperty("fields").GetProperty("password").GetString());
    }

    [Fact]
    public async Task A_default_probe_without_credentials_goes_bare_after_the_spnego_refusal()
    {
        shadow.Require();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", shadow.Port), new ProbeOptions(), TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        Assert.False(report.CredSsp!.NtlmInSpnego);
        Assert.Equal(0xC00700EAu, report.CredSsp.SpnegoRefusedWith);
        Assert.Equal("server-error:0xc00700ea", report.SpnegoAttempt!.Diagnosis!.Cause.Name);
        Assert.NotNull(report.CredSsp.Challenge);
    }

    [Fact]
    public async Task Nla_without_ntlm_bare_authenticates_after_the_fallback_and_answers_the_nonce_binding_check()
    {
        shadow.Require();
        ProcessResult run = await Peers.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "rdphs.dll"), "probe", $"127.0.0.1:{shadow.Port}", "--user", ShadowServerFixture.User, "--until", "credssp", "--check-nonce-binding", "--json"],
            TimeSpan.FromSeconds(90),
            new Dictionary<string, string> { ["RDPHS_PASSWORD"] = ShadowServerFixture.Password });
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.StdOut);
        System.Text.Json.JsonElement credssp = json.RootElement.GetProperty("credssp");
        Assert.Equal("0xc00700ea", credssp.GetProperty("spnegoRefusedWith").GetString());
        Assert.Contains(credssp.GetProperty("nonceBindingEnforced").ValueKind, new[] { System.Text.Json.JsonValueKind.True, System.Text.Json.JsonValueKind.False });
    }

    [Fact]
    public async Task A_wrong_password_ends_in_closed_after_authenticate()
    {
        shadow.Require();
        ProcessResult run = await Peers.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "rdphs.dll"), "probe", $"127.0.0.1:{shadow.Port}", "--user", ShadowServerFixture.User, "--ntlm-bare", "--json"],
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["RDPHS_PASSWORD"] = "not-the-password" });
        Assert.True(run.ExitCode == RdpHandshake.Cli.ExitCodes.CredSsp, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.StdOut);
        System.Text.Json.JsonElement diagnosis = json.RootElement.GetProperty("diagnosis");
        Assert.Equal("credssp", diagnosis.GetProperty("phase").GetString());
        Assert.Equal("closed-after-authenticate", diagnosis.GetProperty("cause").GetString());
        Assert.Contains("most likely", diagnosis.GetProperty("explanation").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_password_and_its_nt_hash_appear_in_no_output_of_an_authenticated_run()
    {
        shadow.Require();
        string directory = Directory.CreateTempSubdirectory("rdphs-secret-").FullName;
        string keyLog = Path.Combine(directory, "keys.txt");
        string junit = Path.Combine(directory, "run.xml");
        string pcap = Path.Combine(directory, "run.pcapng");
        ProcessResult run = await Peers.RunAsync(
            "dotnet",
            // Without --ntlm-bare the server's SPNEGO refusal and the bare retry are in the report too, and the nonce
            // binding check adds a third, authenticated connection at CredSSP version 4.
            [Path.Combine(AppContext.BaseDirectory, "rdphs.dll"), "probe", $"127.0.0.1:{shadow.Port}", "--user", ShadowServerFixture.User, "--check-nonce-binding",
                "--json", "--log-level", "Trace", "--hex", "--junit", junit, "--pcap", pcap, "--keylog", keyLog],
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["RDPHS_PASSWORD"] = ShadowServerFixture.Password });
        Assert.True(run.ExitCode == 0, run.ToString());
        using (var json = System.Text.Json.JsonDocument.Parse(run.StdOut))
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Object, json.RootElement.GetProperty("spnegoAttempt").ValueKind);
            Assert.NotEqual(System.Text.Json.JsonValueKind.Undefined, json.RootElement.GetProperty("credssp").GetProperty("nonceBindingEnforced").ValueKind);
        }

        byte[] ntHash = RdpHandshake.Crypto.Ntlm.NtlmCrypto.NtOwfV1(ShadowServerFixture.Password);
        string[] forbidden =
        [
            ShadowServerFixture.Password,
            Convert.ToHexStringLower(System.Text.Encoding.Unicode.GetBytes(ShadowServerFixture.Password)),
            Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(ShadowServerFixture.Password)),
            Convert.ToHexStringLower(ntHash),
            Convert.ToHexString(ntHash),
        ];
        var outputs = new Dictionary<string, string>
        {
            ["stdout"] = run.StdOut,
            ["stderr"] = run.StdErr,
            ["junit"] = await File.ReadAllTextAsync(junit, TestContext.Current.CancellationToken),
            ["keylog"] = await File.ReadAllTextAsync(keyLog, TestContext.Current.CancellationToken),
            ["pcap"] = Convert.ToHexStringLower(await File.ReadAllBytesAsync(pcap, TestContext.Current.CancellationToken)),
        };
        Directory.Delete(directory, recursive: true);
        foreach ((string name, string text) in outputs)
        {
            Assert.False(string.IsNullOrEmpty(text), $"{name} is empty: the check would prove nothing");
            foreach (string secret in forbidden)
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}

/// <summary>
/// Negotiate against an NTLM-only server (FreeRDP's shadow server, whose NLA knows no Kerberos), with a real KDC
/// that issues a ticket for it: the Kerberos attempt is made and reported, and the logon goes through NTLM.
/// </summary>
public sealed class ShadowServerNegotiateTests(ShadowServerFixture shadow, KdcFixture kdc) : IClassFixture<ShadowServerFixture>, IClassFixture<KdcFixture>
{
    [Fact]
    public async Task Negotiate_reports_the_kerberos_attempt_and_logs_on_with_ntlm()
    {
        shadow.Require();
        kdc.Require();
        await kdc.AddUserAsync(ShadowServerFixture.KerberosUser, ShadowServerFixture.Password);
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["RDPHS_PASSWORD"] = ShadowServerFixture.Password },
            "probe", $"localhost:{shadow.Port}", "--user", $"{ShadowServerFixture.KerberosUser}@{kdc.Realm}", "--kdc", $"127.0.0.1:{kdc.Port}",
            "--spn", KdcFixture.LocalhostService, "--until", "credssp", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.StdOut);
        System.Text.Json.JsonElement report = json.RootElement;

        // The first connection got a ticket and offered it; the shadow server refused SPNEGO, and the second
        // connection authenticated with NTLM.
        System.Text.Json.JsonElement first = report.GetProperty("spnegoAttempt");
        string[] firstSteps = [.. first.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!)];
        Assert.Contains("kerberos.tgs-exchange", firstSteps);
        Assert.Equal("credssp.ap-request", firstSteps[^2]);
        Assert.StartsWith("server-error:", first.GetProperty("diagnosis").GetProperty("cause").GetString(), StringComparison.Ordinal);
        string[] steps = [.. report.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!)];
        Assert.Contains("credssp.authenticate", steps);
        Assert.DoesNotContain(steps, s => s.StartsWith("kerberos.", StringComparison.Ordinal));
        Assert.Equal("NTLM", report.GetProperty("credssp").GetProperty("package").GetString());
        Assert.Equal("ok", report.GetProperty("steps").EnumerateArray().Last(s => s.GetProperty("name").GetString() == "credssp.credentials").GetProperty("outcome").GetString());
    }
}
