using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// Kerberos to the RD Gateway (Negotiate, RFC 4559) against real peers: the MIT KDC of <see cref="KdcFixture"/>
/// issues the tickets, <c>rdphs serve --gateway</c> accepts them through the system GSS-API with the gateway's
/// <c>HTTP/localhost</c> keytab (an implementation independent of rdphs's Kerberos client), and a real xrdp is the
/// target: <c>rdphs probe --gateway-auth negotiate</c> reaches finalization over both transports, and a wrong
/// password, an unknown user and a gateway principal the KDC does not have each end typed in phase gateway.
/// </summary>
public sealed class GatewayKerberosTests(KdcFixture kdc, XrdpFixture xrdp) : IClassFixture<KdcFixture>, IClassFixture<XrdpFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    private string Kdc => $"127.0.0.1:{kdc.Port.ToString(CultureInfo.InvariantCulture)}";

    private async Task<(PeerProcess Gateway, int Port)> StartGatewayAsync()
    {
        string keytab = await kdc.AddServiceAsync("HTTP/localhost");
        PeerProcess gateway = PeerProcess.Rdphs(
            "serve", "--gateway", "--port", "0", "--kerberos-keytab", keytab, "--gateway-allow", $"127.0.0.1:{xrdp.NegotiatePort}");
        Match listening = await gateway.WaitForLineAsync(@"test gateway listening on https://127\.0\.0\.1:(\d+) \(transports [^;]+; auth Negotiate, NTLM, Basic", Wait);
        return (gateway, int.Parse(listening.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private async Task<(ProcessResult Run, JsonElement Report)> ProbeAsync(int gatewayPort, string user, string password, string transport, params string[] more)
    {
        ProcessResult run = await Peers.RdphsAsync(
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["RDPHS_GATEWAY_PASSWORD"] = password, ["KRB5_CONFIG"] = kdc.Krb5ConfPath },
            ["probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway", $"https://localhost:{gatewayPort}", "--gateway-user", $"{user}@{kdc.Realm}",
                "--gateway-auth", "negotiate", "--gateway-transport", transport, "--kdc", Kdc, "--timeout", "10", "--json", .. more]);
        Assert.False(run.TimedOut, run.ToString());
        // The password and the tickets never reach the output.
        Assert.DoesNotContain(password, run.StdOut + run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Negotiate YII", run.StdOut + run.StdErr, StringComparison.Ordinal);
        return (run, JsonDocument.Parse(run.StdOut).RootElement.Clone());
    }

    private static JsonElement[] Steps(JsonElement report, string name) =>
        [.. report.GetProperty("steps").EnumerateArray().Where(s => s.GetProperty("name").GetString() == name)];

    private static string? Field(JsonElement step, string name) =>
        step.GetProperty("fields").TryGetProperty(name, out JsonElement value) ? value.GetString() : null;

    /// <summary>The run ended at gateway.http-auth in phase gateway with <paramref name="cause"/> and exit code 20.</summary>
    private static void EndedAtHttpAuth(ProcessResult run, JsonElement report, string cause)
    {
        JsonElement diagnosis = report.GetProperty("diagnosis");
        Assert.True(diagnosis.ValueKind == JsonValueKind.Object, run.ToString());
        Assert.Equal(cause, diagnosis.GetProperty("cause").GetString());
        Assert.Equal("gateway", diagnosis.GetProperty("phase").GetString());
        Assert.Equal("gateway.http-auth", diagnosis.GetProperty("evidence").GetProperty("step").GetString());
        Assert.Equal(20, run.ExitCode);
        Assert.DoesNotContain(report.GetProperty("steps").EnumerateArray(), s => s.GetProperty("name").GetString() == "gateway.handshake");
    }

    [Theory]
    [InlineData("websocket", "101 Switching Protocols", 1)]
    [InlineData("http", "200 OK", 2)]
    public async Task Rdphs_probe_authenticates_to_the_gateway_with_kerberos_and_reaches_finalization(string transport, string status, int authentications)
    {
        kdc.Require();
        xrdp.Require();
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync();
        await using (gateway)
        {
            (ProcessResult run, JsonElement report) = await ProbeAsync(gatewayPort, "alice", kdc.Password("alice"), transport);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("finalization", report.GetProperty("outcome").GetProperty("reached").GetString());
            JsonElement[] auth = Steps(report, "gateway.http-auth");
            // The HTTP transport authenticates RDG_OUT_DATA and RDG_IN_DATA, each with its own AP-REQ.
            Assert.Equal(authentications, auth.Length);
            Assert.All(auth, step =>
            {
                Assert.Equal("ok", step.GetProperty("outcome").GetString());
                Assert.Equal($"HTTP/localhost@{kdc.Realm}", Field(step, "kerberos.service"));
                Assert.Equal("the gateway's AP-REP checked", Field(step, "kerberos.mutual-auth"));
                Assert.StartsWith("tcp/127.0.0.1:", Field(step, "kdc"), StringComparison.Ordinal);
            });
            Assert.Equal(status, Field(auth[0], "status"));
            await gateway.WaitForLineAsync($@"{(transport == "http" ? "http" : "websocket")}, user alice@{kdc.Realm}, target 127\.0\.0\.1:{xrdp.NegotiatePort}: closed by the client's CLOSE_CHANNEL", Wait);
        }
    }

    [Fact]
    public async Task A_wrong_password_ends_in_phase_gateway_with_the_kdcs_preauthentication_error()
    {
        kdc.Require();
        xrdp.Require();
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync();
        await using (gateway)
        {
            (ProcessResult run, JsonElement report) = await ProbeAsync(gatewayPort, "alice", "Not-The-Password-9", "websocket");
            EndedAtHttpAuth(run, report, "kerberos-error:KDC_ERR_PREAUTH_FAILED");
            Assert.DoesNotContain("user alice", gateway.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_unknown_user_ends_in_phase_gateway_with_the_kdcs_unknown_client_error()
    {
        kdc.Require();
        xrdp.Require();
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync();
        await using (gateway)
        {
            (ProcessResult run, JsonElement report) = await ProbeAsync(gatewayPort, "nobody", "Whatever-Password-1", "websocket");
            EndedAtHttpAuth(run, report, "kerberos-error:KDC_ERR_C_PRINCIPAL_UNKNOWN");
        }
    }

    [Fact]
    public async Task A_gateway_principal_the_kdc_does_not_have_ends_in_phase_gateway()
    {
        kdc.Require();
        xrdp.Require();
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync();
        await using (gateway)
        {
            (ProcessResult run, JsonElement report) = await ProbeAsync(gatewayPort, "alice", kdc.Password("alice"), "websocket", "--gateway-spn", "HTTP/no-such-gateway");
            EndedAtHttpAuth(run, report, "kerberos-error:KDC_ERR_S_PRINCIPAL_UNKNOWN");
            Assert.Contains("HTTP/no-such-gateway", report.GetProperty("diagnosis").GetProperty("summary").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_gateway_without_the_key_of_its_http_principal_refuses_the_ticket_and_rdphs_says_why_in_phase_gateway()
    {
        kdc.Require();
        xrdp.Require();
        // The gateway's keytab holds only the TERMSRV/ keys: the ticket for HTTP/localhost is one it cannot decrypt.
        PeerProcess gateway = PeerProcess.Rdphs("serve", "--gateway", "--port", "0", "--kerberos-keytab", kdc.KeytabPath);
        await using (gateway)
        {
            Match listening = await gateway.WaitForLineAsync(@"test gateway listening on https://127\.0\.0\.1:(\d+)", Wait);
            await kdc.AddServiceAsync("HTTP/localhost");
            (ProcessResult run, JsonElement report) = await ProbeAsync(int.Parse(listening.Groups[1].Value, CultureInfo.InvariantCulture), "alice", kdc.Password("alice"), "websocket");
            string cause = report.GetProperty("diagnosis").GetProperty("cause").GetString()!;
            Assert.True(cause.StartsWith("kerberos-error:", StringComparison.Ordinal) || cause == "kerberos-rejected", run.ToString());
            EndedAtHttpAuth(run, report, cause);
            await gateway.WaitForLineAsync("refused: Negotiate authentication failed", Wait);
        }
    }

    [Fact]
    public async Task A_kdc_that_does_not_listen_ends_in_phase_gateway_as_kdc_unreachable()
    {
        kdc.Require();
        xrdp.Require();
        (PeerProcess gateway, int gatewayPort) = await StartGatewayAsync();
        await using (gateway)
        {
            int closed = Peers.FreePort();
            ProcessResult run = await Peers.RdphsAsync(
                TimeSpan.FromSeconds(60),
                new Dictionary<string, string> { ["RDPHS_GATEWAY_PASSWORD"] = kdc.Password("alice") },
                "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--gateway", $"https://localhost:{gatewayPort}", "--gateway-user", $"alice@{kdc.Realm}",
                "--gateway-auth", "negotiate", "--kdc", $"127.0.0.1:{closed}", "--timeout", "5", "--json");
            using var json = JsonDocument.Parse(run.StdOut);
            EndedAtHttpAuth(run, json.RootElement, "kdc-unreachable:refused");
        }
    }

    [Theory]
    [InlineData("--gateway-user", "alice", "--gateway-auth", "negotiate", "names no realm")]
    [InlineData("--gateway-user", "alice@RDPHS.TEST", "--gateway-spn", "HTTP/gw", "needs --gateway-auth negotiate")]
    [InlineData("--gateway-user", "alice@RDPHS.TEST", "--gateway-auth", "negotiate", "--gateway-spn", "HTTP", "write SERVICE/HOST")]
    public async Task Kerberos_gateway_options_that_cannot_work_are_usage_errors_before_anything_is_sent(params string[] options)
    {
        string expected = options[^1];
        ProcessResult run = await Peers.RdphsAsync(
            TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["RDPHS_GATEWAY_PASSWORD"] = "Test-Password-1" },
            ["probe", "127.0.0.1:3389", "--gateway", $"https://localhost:{Peers.FreePort()}", .. options[..^1]]);
        Assert.Equal(2, run.ExitCode);
        string[] lines = run.StdErr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Test-Password-1", run.StdOut + run.StdErr, StringComparison.Ordinal);
    }
}
