using System.Text.Json;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// <c>rdphs compat</c> against real xrdp configured like the servers the client profiles disagree on, and
/// <c>rdphs probe --client freerdp2-openssl3</c> against the real xfreerdp 2.11 (OpenSSL 3) on the same servers.
/// </summary>
public sealed class XrdpCompatTests(XrdpCompatFixture xrdp, XvfbFixture xvfb) : IClassFixture<XrdpCompatFixture>, IClassFixture<XvfbFixture>
{
    private const string Ok = "ok";

    private static readonly string[] Columns = ["mstsc-win11", "mstsc-win10", "mstsc-win7", "freerdp3", "freerdp2-openssl3", "msrdc-macos", "rdphs"];

    /// <summary>Each configuration's expected matrix (in <see cref="Columns"/> order) and the connections it takes.</summary>
    public static TheoryData<string, string[], int> Matrix => new()
    {
        { "tls1.0-only", ["no-common-version", Ok, Ok, "no-common-version", "client-refused:tls-version", "no-common-version", Ok], 7 },
        { "rsa1024", [Ok, Ok, "no-common-version", "client-refused:certificate-key", Ok, "client-refused:certificate-key", Ok], 7 },
        { "sha1-certificate", [Ok, Ok, "no-common-version", "client-refused:certificate-signature", Ok, "client-refused:certificate-signature", Ok], 7 },
        { "standard-security-low", [Ok, Ok, Ok, Ok, Ok, "client-refused:security-protocol", Ok], 1 },
        { "default", [Ok, Ok, "no-common-version", Ok, Ok, Ok, Ok], 7 },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Compat_gives_the_expected_matrix(string configuration, string[] expected, int connections)
    {
        xrdp.Require();
        string target = $"127.0.0.1:{xrdp.Port(configuration)}";

        ProcessResult json = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "compat", target, "--json");
        ProcessResult text = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "compat", target);

        TestContext.Current.TestOutputHelper?.WriteLine(text.StdOut);
        using JsonDocument document = JsonDocument.Parse(json.StdOut);
        JsonElement[] clients = [.. document.RootElement.GetProperty("clients").EnumerateArray()];
        string[] actual = [.. Columns.Select(name => clients.Single(c => c.GetProperty("profile").GetString() == name))
            .Select(c => c.GetProperty("connects").GetBoolean() ? Ok : c.GetProperty("diagnosis").GetProperty("cause").GetString()!)];
        Assert.Equal(
            string.Join("\n", Columns.Zip(expected, (c, e) => $"{c}: {e}")),
            string.Join("\n", Columns.Zip(actual, (c, a) => $"{c}: {a}")));
        Assert.Equal(connections, document.RootElement.GetProperty("connections").GetInt32());
        Assert.Equal(expected.All(e => e == Ok) ? 0 : 3, json.ExitCode);
        Assert.Contains($"{connections} connection(s) made for 7 clients", text.StdOut);
        foreach (JsonElement failing in clients.Where(c => !c.GetProperty("connects").GetBoolean()))
        {
            Assert.Contains($"{failing.GetProperty("profile").GetString()}: ", text.StdOut);
            Assert.False(string.IsNullOrWhiteSpace(failing.GetProperty("fix").GetString()));
        }
    }

    /// <summary>
    /// The real xfreerdp 2.11 and <c>probe --client freerdp2-openssl3</c> on the same server end in the same phase, for
    /// the same reason. xfreerdp says where it failed with its ERRCONNECT code; a connection that completed and that
    /// the server then logged off (xrdp does so to a Standard RDP Security client without a session) counts as connected,
    /// as rdphs stops at the end of the connection sequence.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Probe_as_freerdp2_fails_exactly_where_xfreerdp_2_11_fails(string configuration)
    {
        xrdp.Require();
        Peers.Require("xfreerdp", "Xvfb");
        int port = xrdp.Port(configuration);
        string home = Directory.CreateTempSubdirectory("rdphs-xfreerdp-").FullName;
        ProcessResult xfreerdp;
        try
        {
            xfreerdp = await Peers.RunAsync(
                "xfreerdp",
                [$"/v:127.0.0.1:{port}", "/u:alice", "/p:not-a-real-password", "+auth-only", "/cert:ignore"],
                TimeSpan.FromSeconds(30),
                new Dictionary<string, string> { ["DISPLAY"] = xvfb.Display!, ["HOME"] = home, ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config") });
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }

        ProcessResult probe = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "probe", $"127.0.0.1:{port}", "--client", "freerdp2-openssl3", "--json");

        string log = xfreerdp.StdOut + xfreerdp.StdErr;
        (string Phase, string Reason) real =
            log.Contains("ERRCONNECT_TLS_CONNECT_FAILED", StringComparison.Ordinal) ? ("tls", "tls-connect-failed")
            : log.Contains("ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED", StringComparison.Ordinal) ? ("x224", "security-nego-failed")
            : log.Contains("Authentication only, exit status 0", StringComparison.Ordinal) || log.Contains("ERRINFO_LOGOFF_BY_USER", StringComparison.Ordinal) ? ("none", "connected")
            : ("unknown", log);
        using JsonDocument report = JsonDocument.Parse(probe.StdOut);
        JsonElement diagnosis = report.RootElement.GetProperty("diagnosis");
        (string Phase, string Reason) ours = diagnosis.ValueKind == JsonValueKind.Null
            ? ("none", "connected")
            : (diagnosis.GetProperty("phase").GetString()!, FreeRdpFamily(diagnosis.GetProperty("cause").GetString()!));

        Assert.True(real == ours, $"xfreerdp: {real}, rdphs --client freerdp2-openssl3: {ours}\nxfreerdp {xfreerdp}\nrdphs {probe}");
    }

    public static TheoryData<string> Configurations => new(XrdpCompatFixture.Configurations);

    [Fact]
    public async Task The_default_verdict_against_a_tls10_xrdp_names_the_clients_that_refuse_it()
    {
        xrdp.Require();

        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "probe", $"127.0.0.1:{xrdp.Port("tls1.0-only")}", "-q");
        ProcessResult check = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "probe", $"127.0.0.1:{xrdp.Port("tls1.0-only")}", "-q", "-e", "clients=mstsc-win10,mstsc-win11");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("TLS 1.0 with ", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("— refused by mstsc-win11, freerdp3, freerdp2-openssl3, msrdc-macos (see `rdphs compat`)", run.StdOut, StringComparison.Ordinal);
        Assert.True(check.ExitCode == 3, check.ToString());
    }

    [Theory]
    [InlineData("probe", "--client")]
    [InlineData("compat", "--clients")]
    public async Task An_unknown_profile_is_one_line_naming_the_valid_ones_and_exit_2(string command, string option)
    {
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), command, "127.0.0.1:9", option, "mstsc-win12");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            $"rdphs: {option} 'mstsc-win12': unknown client profile (known: mstsc-win11, mstsc-win10, mstsc-win7, freerdp3, freerdp2-openssl3, msrdc-macos, rdphs)",
            run.StdErr.Trim());
        Assert.Equal(string.Empty, run.StdOut.Trim());
    }

    /// <summary>The FreeRDP error family a cause of ours corresponds to: any failure in the TLS phase is ERRCONNECT_TLS_CONNECT_FAILED.</summary>
    private static string FreeRdpFamily(string cause) => cause switch
    {
        _ when cause.StartsWith("client-refused:tls", StringComparison.Ordinal)
            || cause.StartsWith("client-refused:certificate", StringComparison.Ordinal)
            || cause.StartsWith("client-refused:cipher", StringComparison.Ordinal)
            || cause is "no-common-version" or "no-common-cipher-suite" or "server-alert" or "local-alert" => "tls-connect-failed",
        _ when cause.StartsWith("negotiation-failure", StringComparison.Ordinal) || cause == "client-refused:security-protocol" => "security-nego-failed",
        _ => cause,
    };
}
