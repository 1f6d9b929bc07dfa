using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// <c>rdphs analyze</c> on captures that tcpdump, started here on the loopback interface, records of real peers:
/// xfreerdp against xrdp and against FreeRDP's shadow server (its TLS secrets written by tests/peers/sslkeylog.c,
/// preloaded, since FreeRDP 2 has no key log of its own), and rdphs probe against rdphs serve misbehaving at a step.
/// The analysis must name the phase xfreerdp's log last reached, and the phase and cause rdphs probe gave live.
/// </summary>
public sealed partial class AnalyzeCaptureTests(XrdpFixture xrdp, XvfbFixture xvfb, ShadowServerFixture shadow)
    : IClassFixture<XrdpFixture>, IClassFixture<XvfbFixture>, IClassFixture<ShadowServerFixture>
{
    private static readonly Lazy<Task<string>> KeyLogLibrary = new(BuildKeyLogLibraryAsync);

    /// <summary>Compiles tests/peers/sslkeylog.c once per run.</summary>
    private static async Task<string> BuildKeyLogLibraryAsync()
    {
        string output = Path.Combine(Directory.CreateTempSubdirectory("rdphs-sslkeylog-").FullName, "sslkeylog.so");
        ProcessResult built = await Peers.RunAsync("gcc", ["-shared", "-fPIC", "-o", output, Path.Combine(Peers.PeersDirectory, "sslkeylog.c"), "-ldl"], TimeSpan.FromSeconds(60));
        Assert.True(built.ExitCode == 0, $"gcc could not build sslkeylog.so: {built}");
        return output;
    }

    /// <summary>
    /// tcpdump on lo for one port, each packet handed over as it comes (--immediate-mode: libpcap's ring buffer would
    /// otherwise hold packets up to a second) and written at once (-U).
    /// </summary>
    private static async Task<PeerProcess> TcpdumpAsync(string file, int port)
    {
        // -B: a 16 MiB kernel buffer, so that a busy machine does not make the kernel drop what tcpdump reads too late.
        PeerProcess tcpdump = PeerProcess.Start("tcpdump", ["-i", "lo", "--immediate-mode", "-U", "-B", "16384", "-s", "0", "-w", file, $"tcp port {port.ToString(CultureInfo.InvariantCulture)}"]);
        await tcpdump.WaitForLineAsync("listening on lo", TimeSpan.FromSeconds(20));
        return tcpdump;
    }

    /// <summary>Once the capture file stopped growing (the last FINs and ACKs are in), stops tcpdump with SIGINT and waits for its count.</summary>
    private static async Task StopAsync(PeerProcess tcpdump, string file)
    {
        long size = -1;
        for (int still = 0, i = 0; still < 4 && i < 40; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
            long now = new FileInfo(file).Length;
            still = now == size ? still + 1 : 0;
            size = now;
        }

        await Peers.RunAsync("kill", ["-INT", tcpdump.Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        await tcpdump.WaitForLineAsync("packets captured", TimeSpan.FromSeconds(20));
        // Packets the kernel dropped are missing from the recording, not from the connection: the analysis would rightly
        // say bytes are missing, and the comparison with xfreerdp's log would say nothing about rdphs.
        string dropped = (await tcpdump.WaitForLineAsync(@"(\d+) packets? dropped by kernel", TimeSpan.FromSeconds(20))).Groups[1].Value;
        Assert.True(dropped == "0", $"tcpdump's recording is incomplete: the kernel dropped {dropped} packet(s)");
    }

    /// <summary>Runs <c>rdphs analyze</c> with --json; the one connection's JSON and the text (stderr) it printed.</summary>
    private static async Task<(JsonElement Connection, string Text, int ExitCode)> AnalyseAsync(string capture, string? keyLog)
    {
        string[] args = keyLog is null ? ["analyze", capture, "--json"] : ["analyze", capture, "--keylog", keyLog, "--json"];
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), args);
        Assert.True(run.StdOut.Length > 0, run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        Assert.Equal("rdphs.analyze/1", json.RootElement.GetProperty("schema").GetString());
        JsonElement connections = json.RootElement.GetProperty("connections");
        Assert.True(connections.GetArrayLength() == 1, run.ToString());
        return (connections[0].Clone(), run.StdErr, run.ExitCode);
    }

    private static string? DiagnosisPhase(JsonElement connection) =>
        connection.GetProperty("probe").GetProperty("diagnosis") is { ValueKind: JsonValueKind.Object } d ? d.GetProperty("phase").GetString() : null;

    [GeneratedRegex(@"rdp_client_transition_to_state (\w+) --> (\w+)")]
    private static partial Regex Transition();

    /// <summary>The last connection state FreeRDP's log shows it in (its return to INITIAL on disconnect is not a state it reached).</summary>
    internal static string LastState(string log)
    {
        string last = "CONNECTION_STATE_INITIAL";
        foreach (Match m in Transition().Matches(log))
        {
            if (m.Groups[2].Value != "CONNECTION_STATE_INITIAL")
            {
                last = m.Groups[2].Value;
            }
        }

        return last;
    }

    /// <summary>
    /// The phases (rdphs's names) in which a connection in FreeRDP 2's connection state may be: NEGO holds the X.224
    /// exchange, TLS and NLA (FreeRDP runs them inside its negotiation); MCS_CHANNEL_JOIN goes on to the Security
    /// Exchange and the Client Info before FreeRDP moves to LICENSING; ACTIVE is a finished connection sequence.
    /// </summary>
    internal static string[] PhasesOf(string state) => state switch
    {
        "CONNECTION_STATE_INITIAL" or "CONNECTION_STATE_NEGO" => ["x224", "tls", "credssp"],
        "CONNECTION_STATE_NLA" => ["credssp"],
        "CONNECTION_STATE_MCS_CONNECT" or "CONNECTION_STATE_MCS_ERECT_DOMAIN" or "CONNECTION_STATE_MCS_ATTACH_USER" => ["mcs"],
        "CONNECTION_STATE_MCS_CHANNEL_JOIN" => ["mcs", "security"],
        "CONNECTION_STATE_RDP_SECURITY_COMMENCEMENT" or "CONNECTION_STATE_SECURE_SETTINGS_EXCHANGE" => ["security"],
        "CONNECTION_STATE_CONNECT_TIME_AUTO_DETECT" => ["security", "licensing"],
        "CONNECTION_STATE_LICENSING" => ["licensing"],
        "CONNECTION_STATE_MULTITRANSPORT_BOOTSTRAPPING" => ["licensing", "capabilities"],
        "CONNECTION_STATE_CAPABILITIES_EXCHANGE" => ["capabilities"],
        "CONNECTION_STATE_FINALIZATION" or "CONNECTION_STATE_ACTIVE" => ["finalization"],
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "a FreeRDP connection state this test does not know"),
    };

    /// <summary>xfreerdp (+auth-only, DEBUG log, its TLS secrets to a key log) against 127.0.0.1:<paramref name="port"/>, recorded by tcpdump.</summary>
    private async Task<(string Capture, string KeyLog, string ClientLog)> XfreerdpAsync(int port, string directory, params string[] args)
    {
        Peers.Require("xfreerdp", "Xvfb", "tcpdump", "gcc");
        string library = await KeyLogLibrary.Value;
        string capture = Path.Combine(directory, "xfreerdp.pcap");
        string keyLog = Path.Combine(directory, "keys.txt");
        string home = Path.Combine(directory, "home");
        Directory.CreateDirectory(home);
        ProcessResult client;
        await using (PeerProcess tcpdump = await TcpdumpAsync(capture, port))
        {
            client = await Peers.RunAsync(
                "xfreerdp",
                [$"/v:127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "/cert:ignore", "+auth-only", "/log-level:DEBUG", .. args],
                TimeSpan.FromSeconds(40),
                new Dictionary<string, string>
                {
                    ["DISPLAY"] = xvfb.Display!,
                    ["HOME"] = home,
                    ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
                    ["LD_PRELOAD"] = library,
                    ["SSLKEYLOGFILE"] = keyLog,
                });

            await StopAsync(tcpdump, capture);
        }

        return (capture, keyLog, client.StdOut + client.StdErr);
    }

    /// <summary>
    /// xfreerdp against 127.0.0.1:<paramref name="port"/> recorded by tcpdump in a fresh directory; <paramref name="check"/>
    /// is handed the capture, the key log and xfreerdp's log while they exist, and the directory is removed after.
    /// </summary>
    private async Task CaptureXfreerdpAsync(int port, string[] args, Func<(string Capture, string KeyLog, string ClientLog), Task> check)
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("rdphs-analyze-");
        try
        {
            await check(await XfreerdpAsync(port, directory.FullName, args));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>The analysis names the phase xfreerdp's own log says it got to: finalization for ACTIVE, else the phase it failed in.</summary>
    private static async Task<JsonElement> AssertMatchesXfreerdpAsync((string Capture, string KeyLog, string ClientLog) run, bool success)
    {
        string state = LastState(run.ClientLog);
        (JsonElement connection, string text, int exitCode) = await AnalyseAsync(run.Capture, File.Exists(run.KeyLog) ? run.KeyLog : null);
        string said = $"xfreerdp's last state {state}; analysis:\n{text}";
        if (success)
        {
            Assert.True(state == "CONNECTION_STATE_ACTIVE", said);
            Assert.True(connection.GetProperty("status").GetString() == "finalized", said);
            Assert.Equal(0, exitCode);
            return connection;
        }

        Assert.True(state != "CONNECTION_STATE_ACTIVE", said);
        Assert.True(connection.GetProperty("status").GetString() == "failed", said);
        Assert.True(PhasesOf(state).Contains(DiagnosisPhase(connection)), said);
        Assert.NotEqual(0, exitCode);
        return connection;
    }

    [Fact]
    public async Task Xfreerdp_to_xrdp_over_tls_decrypted_with_its_key_log_is_finalized_as_xfreerdp_logged()
    {
        xrdp.Require();
        await CaptureXfreerdpAsync(xrdp.TlsPort, ["/u:nobody", "/p:not-a-secret", "/sec:tls"], async run =>
        {
            JsonElement connection = await AssertMatchesXfreerdpAsync(run, success: true);
            Assert.Equal("client", connection.GetProperty("ending").GetProperty("by").GetString());
        });
    }

    [Fact]
    public async Task Xfreerdp_with_sound_clipboard_and_drive_channels_to_xrdp_decrypted_is_finalized_as_xfreerdp_logged()
    {
        // Static channels (rdpsnd, cliprdr, rdpdr, drdynvc) joined in xfreerdp's order, then its finalization as it sends it.
        xrdp.Require();
        await CaptureXfreerdpAsync(xrdp.TlsPort, ["/u:nobody", "/p:not-a-secret", "/sec:tls", "/sound:sys:fake", "+clipboard", "/drive:tmp,/tmp", "/dynamic-resolution"], async run =>
        {
            JsonElement connection = await AssertMatchesXfreerdpAsync(run, success: true);
            string[] joins = [.. connection.GetProperty("probe").GetProperty("steps").EnumerateArray()
                .Select(s => s.GetProperty("name").GetString()!).Where(n => n.StartsWith("mcs.channel-join.", StringComparison.Ordinal))];
            Assert.True(joins.Length >= 5, string.Join(", ", joins));
        });
    }

    [Fact]
    public async Task Xfreerdp_to_xrdp_without_keys_is_seen_to_the_end_of_tls_and_says_where_visibility_ends()
    {
        xrdp.Require();
        await CaptureXfreerdpAsync(xrdp.TlsPort, ["/u:nobody", "/p:not-a-secret", "/sec:tls"], async run =>
        {
            Assert.Equal("CONNECTION_STATE_ACTIVE", LastState(run.ClientLog));
            (JsonElement connection, string text, int exitCode) = await AnalyseAsync(run.Capture, null);
            Assert.True(connection.GetProperty("status").GetString() == "not-visible", text);
            Assert.Equal("tls", connection.GetProperty("reached").GetString());
            Assert.Contains("everything after it is encrypted", connection.GetProperty("visibilityEnds").GetString(), StringComparison.Ordinal);
            Assert.Equal(0, exitCode);
        });
    }

    [Fact]
    public async Task Xfreerdp_that_insists_on_nla_closing_when_xrdp_selects_tls_is_the_client_closing_in_the_phase_xfreerdp_logged()
    {
        // xfreerdp /sec:nla asks for TLS and CredSSP; xrdp (security_layer=tls) selects TLS, which xfreerdp then refuses.
        xrdp.Require();
        await CaptureXfreerdpAsync(xrdp.TlsPort, ["/u:nobody", "/p:not-a-secret", "/sec:nla"], async run =>
        {
            Assert.Contains("ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED", run.ClientLog, StringComparison.Ordinal);
            JsonElement connection = await AssertMatchesXfreerdpAsync(run, success: false);
            Assert.Equal("tls", DiagnosisPhase(connection));
            Assert.Equal("client-closed", connection.GetProperty("probe").GetProperty("diagnosis").GetProperty("cause").GetString());
            Assert.Equal("x224", connection.GetProperty("reached").GetString());
            Assert.Equal(("client", "FIN"), (connection.GetProperty("ending").GetProperty("by").GetString(), connection.GetProperty("ending").GetProperty("how").GetString()));
        });
    }

    [Fact]
    public async Task Xfreerdp_to_the_shadow_server_with_nla_decrypted_is_finalized_as_xfreerdp_logged()
    {
        shadow.Require();
        await CaptureXfreerdpAsync(shadow.Port, [$"/u:{ShadowServerFixture.User}", $"/p:{ShadowServerFixture.Password}", "/sec:nla"], async run =>
        {
            JsonElement connection = await AssertMatchesXfreerdpAsync(run, success: true);
            JsonElement steps = connection.GetProperty("probe").GetProperty("steps");
            Assert.Contains(steps.EnumerateArray(), s => s.GetProperty("name").GetString() == "credssp.pubkey");
        });
    }

    [Fact]
    public async Task Xfreerdp_with_a_wrong_password_to_the_shadow_server_fails_in_the_phase_xfreerdp_logged()
    {
        shadow.Require();
        await CaptureXfreerdpAsync(shadow.Port, [$"/u:{ShadowServerFixture.User}", "/p:not-the-password", "/sec:nla"], async run =>
        {
            JsonElement connection = await AssertMatchesXfreerdpAsync(run, success: false);
            Assert.Equal("credssp", DiagnosisPhase(connection));
        });
    }

    /// <summary>rdphs probe (with --keylog) against rdphs serve, recorded by tcpdump: the probe's JSON and the analysis of the capture with that key log.</summary>
    private static async Task<(JsonElement Probe, JsonElement Connection, string Text)> ProbeServeAsync(string[] serveArgs, string[] probeArgs, IDictionary<string, string>? environment = null)
    {
        Peers.Require("tcpdump");
        DirectoryInfo directory = Directory.CreateTempSubdirectory("rdphs-analyze-");
        try
        {
            await using PeerProcess server = PeerProcess.Rdphs(["serve", "--port", "0", .. serveArgs]);
            int port = int.Parse((await server.WaitForLineAsync(@"listening on 127\.0\.0\.1:(\d+)", TimeSpan.FromSeconds(60))).Groups[1].Value, CultureInfo.InvariantCulture);
            string capture = Path.Combine(directory.FullName, "probe.pcap");
            string keyLog = Path.Combine(directory.FullName, "keys.txt");
            ProcessResult probe;
            await using (PeerProcess tcpdump = await TcpdumpAsync(capture, port))
            {
                probe = await Peers.RdphsAsync(TimeSpan.FromSeconds(90), environment, ["probe", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--keylog", keyLog, "--until", "finalized", "--json", .. probeArgs]);
                await StopAsync(tcpdump, capture);
            }

            using JsonDocument probeJson = JsonDocument.Parse(probe.StdOut);
            (JsonElement connection, string text, _) = await AnalyseAsync(capture, keyLog);
            return (probeJson.RootElement.Clone(), connection, text);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_capture_of_rdphs_probe_decrypts_with_its_key_log_to_finalization()
    {
        (JsonElement probe, JsonElement connection, string text) = await ProbeServeAsync(["--accept", "ssl"], []);
        Assert.Equal("finalization", probe.GetProperty("outcome").GetProperty("reached").GetString());
        Assert.True(connection.GetProperty("status").GetString() == "finalized", text);
        Assert.Equal("finalization", connection.GetProperty("reached").GetString());
    }

    public static TheoryData<string> Faults => new()
    {
        "x224.confirm:reset",
        "x224.confirm:garbage",
        "tls.server-hello:alert",
        "tls.server-hello:close",
        "credssp.challenge:garbage",
        "credssp.pubkey:close",
        "mcs.connect-response:reject",
        "mcs.channel-join-confirm:ultimatum",
        "licensing.license:error-info",
        "capabilities.demand-active:truncated",
        "finalization.font-map:close",
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_tcpdump_capture_of_a_probe_of_a_faulty_server_names_the_probes_phase_and_cause(string fault)
    {
        bool nla = fault.StartsWith("credssp.", StringComparison.Ordinal);
        (JsonElement probe, JsonElement connection, string text) = await ProbeServeAsync(
            nla ? ["--fault", fault] : ["--accept", "ssl", "--fault", fault],
            nla ? ["--user", "alice"] : [],
            nla ? new Dictionary<string, string> { ["RDPHS_PASSWORD"] = "Test-Password-1" } : null);
        AssertSamePhaseAndCause(fault, probe, connection, text);
    }

    public static TheoryData<string> StandardSecurityFaults => new()
    {
        "licensing.license:error-info",
        "capabilities.demand-active:truncated",
        "finalization.font-map:close",
    };

    [Theory]
    [MemberData(nameof(StandardSecurityFaults))]
    public async Task Over_standard_security_the_probes_key_log_line_lets_the_analysis_name_the_probes_phase_and_cause(string fault)
    {
        (JsonElement probe, JsonElement connection, string text) = await ProbeServeAsync(["--security-layer", "rdp", "--fault", fault], ["--protocols", "rdp"]);
        AssertSamePhaseAndCause(fault, probe, connection, text);
    }

    [Fact]
    public async Task A_capture_of_rdphs_probe_over_standard_security_decrypts_with_its_key_log_to_finalization()
    {
        (JsonElement probe, JsonElement connection, string text) = await ProbeServeAsync(["--security-layer", "rdp"], ["--protocols", "rdp"]);
        Assert.Equal("finalization", probe.GetProperty("outcome").GetProperty("reached").GetString());
        Assert.True(connection.GetProperty("status").GetString() == "finalized", text);
        Assert.Equal("finalization", connection.GetProperty("reached").GetString());
    }

    /// <summary>The analysis of the probe's capture has a diagnosis, in the probe's phase and with its cause.</summary>
    private static void AssertSamePhaseAndCause(string fault, JsonElement probe, JsonElement connection, string text)
    {
        JsonElement expected = probe.GetProperty("diagnosis");
        JsonElement got = connection.GetProperty("probe").GetProperty("diagnosis");
        string said = $"{fault}: probe {expected}\nanalysis:\n{text}";
        Assert.True(got.ValueKind == JsonValueKind.Object, said);
        Assert.True(expected.GetProperty("phase").GetString() == got.GetProperty("phase").GetString(), said);
        Assert.True(expected.GetProperty("cause").GetString() == got.GetProperty("cause").GetString(), said);
    }
}
