using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// <c>rdphs probe</c> with Kerberos, as a user runs it, against the MIT KDC of <see cref="KdcFixture"/> and the test
/// server accepting Kerberos through the system GSS-API with the realm's keytab (an implementation independent of
/// rdphs's): the logon to finalization, then one test per cause, each at its step, with its exit code.
/// </summary>
public sealed class KerberosProbeTests(KdcFixture kdc) : IClassFixture<KdcFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private string Kdc => $"127.0.0.1:{kdc.Port.ToString(CultureInfo.InvariantCulture)}";

    private RdpTestServer Server(Func<TestServerOptions, TestServerOptions>? configure = null, string? keytab = null)
    {
        var options = new TestServerOptions { KerberosKeytab = keytab ?? kdc.KeytabPath, ReadTimeout = TimeSpan.FromSeconds(10) };
        return new RdpTestServer(configure is null ? options : configure(options));
    }

    /// <summary>Probes <c>localhost:PORT</c> (a name, so that Kerberos asks for TERMSRV/localhost) as <paramref name="user"/> with its password.</summary>
    private Task<(ProcessResult Run, JsonElement Report)> ProbeAsync(IPEndPoint server, string user, string password, params string[] more) =>
        ProbeAsync(server, user, password, new Dictionary<string, string>(), more);

    private async Task<(ProcessResult Run, JsonElement Report)> ProbeAsync(IPEndPoint server, string user, string password, Dictionary<string, string> environment, params string[] more)
    {
        string[] timeout = more.Contains("--timeout") ? [] : ["--timeout", "5"];
        environment["RDPHS_PASSWORD"] = password;
        ProcessResult run = await Peers.RdphsAsync(Limit, environment,
            ["probe", $"localhost:{server.Port.ToString(CultureInfo.InvariantCulture)}", "--user", $"{user}@{kdc.Realm}", .. timeout, "--json", .. more]);
        Assert.False(run.TimedOut, run.ToString());
        Assert.DoesNotContain(password, run.StdOut + run.StdErr, StringComparison.Ordinal);
        return (run, JsonDocument.Parse(run.StdOut).RootElement.Clone());
    }

    private static string? Cause(JsonElement report) =>
        report.GetProperty("diagnosis").ValueKind == JsonValueKind.Null ? null : report.GetProperty("diagnosis").GetProperty("cause").GetString();

    private static JsonElement Step(JsonElement report, string name) => report.GetProperty("steps").EnumerateArray().Last(s => s.GetProperty("name").GetString() == name);

    private static string Field(JsonElement step, string name) => step.GetProperty("fields").GetProperty(name).GetString()!;

    private static string[] StepNames(JsonElement report) => [.. report.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!)];

    /// <summary>The run ended at <paramref name="step"/>, in credssp, with <paramref name="cause"/> and exit code <paramref name="exit"/>.</summary>
    private static void EndedAt(ProcessResult run, JsonElement report, string step, string cause, int exit)
    {
        Assert.Equal(cause, Cause(report));
        Assert.Equal("credssp", report.GetProperty("diagnosis").GetProperty("phase").GetString());
        Assert.Equal(step, report.GetProperty("diagnosis").GetProperty("evidence").GetProperty("step").GetString());
        Assert.Equal("failed", Step(report, step).GetProperty("outcome").GetString());
        Assert.Equal(exit, run.ExitCode);
    }

    [Theory]
    [InlineData("alice", "aes256-cts-hmac-sha1-96", null)]
    [InlineData("aesonly", "aes256-cts-hmac-sha1-96", null)]
    [InlineData("rc4only", "rc4-hmac", null)]
    [InlineData("alice", "aes128-cts-hmac-sha256-128", "aes128-sha2")]
    public async Task Kerberos_takes_the_probe_to_finalization(string user, string etype, string? offered)
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        string[] etypes = offered is null ? [] : ["--kerberos-etypes", offered];
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), user, kdc.Password(user), ["--auth", "kerberos", "--kdc", Kdc, .. etypes]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Null(Cause(report));
        string[] steps = StepNames(report);
        string[] kerberos = ["kerberos.kdc-lookup", "kerberos.as-exchange", "kerberos.tgs-exchange", "credssp.ap-request", "credssp.ap-reply", "credssp.pubkey-auth", "credssp.pubkey", "credssp.credentials"];
        Assert.Equal(kerberos, steps.SkipWhile(s => s != kerberos[0]).Take(kerberos.Length));
        Assert.Equal("finalization.font-map", steps.TakeWhile(s => s != "disconnect").Last());
        Assert.Equal(etype, Field(Step(report, "kerberos.as-exchange"), "kerberos.preauth-etype")); // the type of the user's key the KDC chose
        Assert.Equal("verified", Field(Step(report, "credssp.ap-reply"), "kerberos.mutual-authentication"));
        // The pre-authentication round trip is part of the AS exchange, and no Kerberos step shows its bytes.
        Assert.Contains("KDC_ERR_PREAUTH_REQUIRED", Field(Step(report, "kerberos.as-exchange"), "kerberos.error"), StringComparison.Ordinal);
        foreach (string name in kerberos[1..4])
        {
            Assert.StartsWith("withheld", Field(Step(report, name), "bytes"), StringComparison.Ordinal);
        }

        ServerConnectionRecord record = (await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10)))[0];
        Assert.Equal(("Kerberos", $"{user}@{kdc.Realm}"), (record.CredSspPackage, record.CredSspUser));
        Assert.Equal(ServerStage.Finalized, record.Stage);
    }

    [Fact]
    public async Task Rdphs_probe_reaches_finalization_with_kerberos_against_rdphs_serve_with_the_realms_keytab()
    {
        kdc.Require();
        int port = Peers.FreePort();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (string fileName, string[] prefix) = Peers.Rdphs;
        Task<ProcessResult> serve = Peers.RunAsync(fileName,
            [.. prefix, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--kerberos-keytab", kdc.KeytabPath, "--kerberos-only", "--max-connections", "1", "--json"],
            Limit, onStdErrLine: line =>
            {
                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }

                return true;
            });
        await Task.WhenAny(listening.Task, serve);
        Assert.True(listening.Task.IsCompleted, (serve.IsCompleted ? await serve : null)?.ToString());

        (ProcessResult run, JsonElement report) = await ProbeAsync(new IPEndPoint(IPAddress.Loopback, port), "alice", kdc.Password("alice"), "--kdc", Kdc);
        ProcessResult served = await serve;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("reached finalization", report.GetProperty("outcome").GetProperty("verdict").GetString(), StringComparison.Ordinal);
        Assert.Equal("Kerberos", report.GetProperty("credssp").GetProperty("package").GetString());
        using var record = JsonDocument.Parse(served.StdOut);
        Assert.Equal(("Kerberos", $"alice@{kdc.Realm}", "finalized"),
            (record.RootElement.GetProperty("credSspPackage").GetString(), record.RootElement.GetProperty("credSspUser").GetString(), record.RootElement.GetProperty("stage").GetString()));
    }

    [Fact]
    public async Task Kdc_requests_over_udp_reach_the_same_verdict()
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"), "--auth", "kerberos", "--kdc", $"udp/{Kdc}", "--until", "credssp");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("udp/", Field(Step(report, "kerberos.as-exchange"), "kdc"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_kdc_from_krb5_conf_is_used_and_named()
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        ProcessResult run = await Peers.RdphsAsync(Limit,
            new Dictionary<string, string> { ["RDPHS_PASSWORD"] = kdc.Password("alice"), ["KRB5_CONFIG"] = kdc.Krb5ConfPath },
            "probe", $"localhost:{server.Start().Port}", "--user", $"alice@{kdc.Realm}", "--auth", "kerberos", "--until", "credssp", "--json");
        JsonElement report = JsonDocument.Parse(run.StdOut).RootElement;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(kdc.Krb5ConfPath, Field(Step(report, "kerberos.kdc-lookup"), "source"));
    }

    [Fact]
    public async Task The_kdc_from_the_realms_dns_srv_record_is_used_and_named()
    {
        kdc.Require();
        Peers.Require("dnsmasq");
        int dnsPort = Peers.FreePort();
        using var dns = new System.Diagnostics.Process
        {
            StartInfo = new System.Diagnostics.ProcessStartInfo("dnsmasq")
            {
                ArgumentList =
                {
                    "--no-daemon", "--keep-in-foreground", $"--port={dnsPort}", "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file=",
                    $"--srv-host=_kerberos._tcp.{kdc.Realm},127.0.0.1,{kdc.Port},0,100",
                },
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        dns.Start();
        try
        {
            await using RdpTestServer server = Server();
            IPEndPoint endpoint = server.Start();
            JsonElement report = default;
            ProcessResult run = default!;
            // dnsmasq answers once it has bound its port; the probe asks again until then.
            for (int attempt = 0; attempt < 20; attempt++)
            {
                // No krb5.conf: the KDC can only come from DNS (the tests' own profile turns DNS lookups off).
                (run, report) = await ProbeAsync(endpoint, "alice", kdc.Password("alice"), new Dictionary<string, string> { ["KRB5_CONFIG"] = "/nonexistent/krb5.conf" },
                    "--auth", "kerberos", "--dns-server", $"127.0.0.1:{dnsPort}", "--until", "credssp");
                if (run.ExitCode == 0 || Cause(report) != "kdc-not-found")
                {
                    break;
                }

                await Task.Delay(250, Cancel);
            }

            Assert.True(run.ExitCode == 0, run.ToString());
            JsonElement lookup = Step(report, "kerberos.kdc-lookup");
            Assert.Equal($"DNS SRV _kerberos._tcp.{kdc.Realm}", Field(lookup, "source"));
            Assert.Equal($"tcp/127.0.0.1:{kdc.Port}", Field(lookup, "kdcs"));
        }
        finally
        {
            dns.Kill();
        }
    }

    [Fact]
    public async Task Where_kinit_succeeds_rdphs_succeeds_and_where_it_fails_rdphs_fails()
    {
        kdc.Require();
        string ccache = Path.Combine(Directory.CreateTempSubdirectory("rdphs-kinit-").FullName, "ccache");
        Assert.Equal(0, (await kdc.KinitAsync("alice", kdc.Password("alice"), ccache)).ExitCode);
        Assert.NotEqual(0, (await kdc.KinitAsync("alice", "not-" + kdc.Password("alice"), ccache)).ExitCode);

        await using RdpTestServer server = Server();
        IPEndPoint endpoint = server.Start();
        (ProcessResult good, _) = await ProbeAsync(endpoint, "alice", kdc.Password("alice"), "--auth", "kerberos", "--kdc", Kdc, "--until", "credssp");
        (ProcessResult bad, JsonElement refused) = await ProbeAsync(endpoint, "alice", "not-" + kdc.Password("alice"), "--auth", "kerberos", "--kdc", Kdc, "--until", "credssp");

        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Equal("kerberos-error:KDC_ERR_PREAUTH_FAILED", Cause(refused));
    }

    [Fact]
    public async Task No_kdc_anywhere_is_kdc_not_found_at_the_lookup()
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"), "--auth", "kerberos");

        EndedAt(run, report, "kerberos.kdc-lookup", "kdc-not-found", 13);
        Assert.Contains("dns_lookup_kdc = false", report.GetProperty("diagnosis").GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_kdc_port_is_kdc_unreachable_refused()
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"), "--auth", "kerberos", "--kdc", $"127.0.0.1:{Peers.FreePort()}");

        EndedAt(run, report, "kerberos.as-exchange", "kdc-unreachable:refused", 13);
    }

    [Fact]
    public async Task A_kdc_that_never_answers_is_kdc_unreachable_timeout_within_the_deadline()
    {
        kdc.Require();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using RdpTestServer server = Server();
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"),
            "--auth", "kerberos", "--kdc", $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}", "--timeout", "1");

        EndedAt(run, report, "kerberos.as-exchange", "kdc-unreachable:timeout", 13);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(15), $"took {run.Elapsed}");
    }

    [Theory]
    [InlineData("nobody", "kerberos-error:KDC_ERR_C_PRINCIPAL_UNKNOWN", "does not know the user nobody@RDPHS.TEST")]
    [InlineData("locked", "kerberos-error:KDC_ERR_CLIENT_REVOKED", "locked out, disabled or expired")]
    [InlineData("expired", "kerberos-error:KDC_ERR_KEY_EXPIRED", "has expired")]
    public async Task A_refused_user_is_named_at_the_as_exchange(string user, string cause, string reason)
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        string password = user == "nobody" ? "no-password" : kdc.Password(user);
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), user, password, "--auth", "kerberos", "--kdc", Kdc);

        EndedAt(run, report, "kerberos.as-exchange", cause, 13);
        Assert.Contains(reason, report.GetProperty("diagnosis").GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_rc4_only_account_facing_an_aes_only_client_is_etype_nosupp_naming_both_sides()
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "rc4only", kdc.Password("rc4only"),
            "--auth", "kerberos", "--kdc", Kdc, "--kerberos-etypes", "aes256,aes128");

        EndedAt(run, report, "kerberos.as-exchange", "kerberos-error:KDC_ERR_ETYPE_NOSUPP", 13);
        string summary = report.GetProperty("diagnosis").GetProperty("summary").GetString()!;
        Assert.Contains("rdphs offered aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kdc_an_hour_ahead_is_krb_ap_err_skew_with_the_measured_offset()
    {
        kdc.Require();
        SkewedKdc skewed = await kdc.SkewedAsync();
        await using RdpTestServer server = Server();
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"),
            "--auth", "kerberos", "--kdc", $"127.0.0.1:{skewed.Port}");

        EndedAt(run, report, "kerberos.as-exchange", "kerberos-error:KRB_AP_ERR_SKEW", 13);
        string summary = report.GetProperty("diagnosis").GetProperty("summary").GetString()!;
        System.Text.RegularExpressions.Match offset = System.Text.RegularExpressions.Regex.Match(summary, @"is (\d+) s ahead of this machine's");
        Assert.True(offset.Success, summary);
        Assert.InRange(int.Parse(offset.Groups[1].Value, CultureInfo.InvariantCulture), 3590, 3610);
    }

    [Fact]
    public async Task An_spn_nobody_holds_is_s_principal_unknown_naming_it()
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"),
            "--auth", "kerberos", "--kdc", Kdc, "--spn", "TERMSRV/nosuch.rdphs.test");

        EndedAt(run, report, "kerberos.tgs-exchange", "kerberos-error:KDC_ERR_S_PRINCIPAL_UNKNOWN", 13);
        Assert.Contains("TERMSRV/nosuch.rdphs.test@RDPHS.TEST", report.GetProperty("diagnosis").GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_with_a_stale_keytab_cannot_decrypt_its_ticket()
    {
        kdc.Require();
        await using RdpTestServer server = Server(keytab: kdc.StaleKeytabPath);
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"), "--auth", "kerberos", "--kdc", Kdc);

        // MIT's acceptor says BAD_INTEGRITY where Windows says KRB_AP_ERR_MODIFIED; both are the same entry.
        EndedAt(run, report, "credssp.ap-reply", "kerberos-error:KRB_AP_ERR_BAD_INTEGRITY", 13);
        Assert.Contains("the key it holds is not the one the KDC used", report.GetProperty("diagnosis").GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bare_spnego_reject_of_the_ap_req_is_kerberos_rejected()
    {
        kdc.Require();
        await using RdpTestServer server = Server(o => o with { Faults = [Fault.TryParse("credssp.ap-reply:reject", out Fault? f, out _) ? f! : throw new InvalidOperationException()] });
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"), "--auth", "kerberos", "--kdc", Kdc);

        EndedAt(run, report, "credssp.ap-reply", "kerberos-rejected", 13);
    }

    [Fact]
    public async Task A_garbled_ap_rep_fails_mutual_authentication()
    {
        kdc.Require();
        await using RdpTestServer server = Server(o => o with { CredSspFault = CredSspFault.GarbledApRep });
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"), "--auth", "kerberos", "--kdc", Kdc);

        EndedAt(run, report, "credssp.ap-reply", "kerberos-mutual-auth-failed", 13);
    }

    [Fact]
    public async Task Negotiate_without_a_kdc_falls_back_to_ntlm_and_a_kerberos_only_server_says_ntlm_is_blocked()
    {
        kdc.Require();
        await using RdpTestServer server = Server(o => o with { KerberosOnly = true });
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"), "--kdc", $"127.0.0.1:{Peers.FreePort()}");

        EndedAt(run, report, "credssp.challenge", "ntlm-blocked", 13);
        Assert.Contains("Kerberos was not used: tcp/127.0.0.1:", report.GetProperty("diagnosis").GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", Step(report, "kerberos.as-exchange").GetProperty("outcome").GetString());
        Assert.Equal(["kerberos.kdc-lookup", "kerberos.as-exchange", "credssp.negotiate", "credssp.challenge"], StepNames(report).SkipWhile(s => !s.StartsWith("kerberos.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Negotiate_with_a_ticket_logs_on_with_kerberos()
    {
        kdc.Require();
        await using RdpTestServer server = Server(o => o with { KerberosOnly = true, Accepted = SecurityProtocols.Hybrid });
        (ProcessResult run, JsonElement report) = await ProbeAsync(server.Start(), "alice", kdc.Password("alice"), "--kdc", Kdc);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("credssp.ap-reply", StepNames(report));
        Assert.DoesNotContain("credssp.negotiate", StepNames(report));
    }

    [Fact]
    public async Task Negotiate_against_an_ip_address_uses_ntlm_and_says_why()
    {
        kdc.Require();
        await using RdpTestServer server = Server();
        IPEndPoint endpoint = server.Start();
        TestAccount account = server.Options.Accounts[0];
        ProcessResult run = await Peers.RdphsAsync(Limit, new Dictionary<string, string> { ["RDPHS_PASSWORD"] = account.Password },
            "probe", endpoint.ToString(), "--user", $"{account.User}@{kdc.Realm}", "--kdc", Kdc, "--until", "credssp", "--json");
        JsonElement report = JsonDocument.Parse(run.StdOut).RootElement;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain(StepNames(report), s => s.StartsWith("kerberos.", StringComparison.Ordinal));
        Assert.Contains("IP address", Field(Step(report, "credssp.negotiate"), "negotiate"), StringComparison.Ordinal);
    }
}

/// <summary>
/// The hostile-server matrix at the Kerberos step: every fault the test server can inject in place of its answer to
/// the AP-REQ ends in a diagnosis at <c>credssp.ap-reply</c>, within the read deadline (the step's size bound is the
/// TSRequest's, which the unit matrix checks for the NTLM steps).
/// </summary>
public sealed class KerberosHostileServerTests(KdcFixture kdc) : IClassFixture<KdcFixture>
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    public static TheoryData<string> Faults()
    {
        var data = new TheoryData<string>();
        foreach (FaultKind kind in FaultSteps.KindsAt(FaultSteps.CredSspApReply))
        {
            data.Add($"{FaultSteps.CredSspApReply}:{FaultNames.Name(kind)}");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_fault_in_place_of_the_ap_rep_is_diagnosed_at_its_step(string faultText)
    {
        kdc.Require();
        Assert.True(Fault.TryParse(faultText, out Fault? parsed, out string? error), error);
        Fault fault = parsed! with { DripInterval = TimeSpan.FromMilliseconds(300) };
        await using var server = new RdpTestServer(new TestServerOptions { Accepted = SecurityProtocols.Hybrid, KerberosKeytab = kdc.KeytabPath, Faults = [fault] });
        IPEndPoint endpoint = server.Start();
        var options = new ProbeOptions
        {
            Credentials = RdpHandshake.Crypto.Credentials.Parse($"alice@{kdc.Realm}", new RdpHandshake.Crypto.Secret(kdc.Password("alice"))),
            Authentication = RdpHandshake.Kerberos.AuthPackage.Kerberos,
            Kerberos = new RdpHandshake.Kerberos.KerberosSettings
            {
                Kdcs = [new RdpHandshake.Kerberos.KdcEndpoint("127.0.0.1", kdc.Port)],
                ServicePrincipal = KdcFixture.LocalhostService,
            },
            ReadTimeout = ReadTimeout,
        };

        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget(endpoint.Address.ToString(), endpoint.Port), options, TestContext.Current.CancellationToken);

        Assert.False(report.Success, faultText);
        Diagnosis diagnosis = report.Diagnosis!;
        string said = $"{faultText}: {diagnosis.Phase.Name()}/{diagnosis.Cause.Name} at {diagnosis.Evidence.Step}: {diagnosis.Summary}";
        Assert.True(diagnosis.Phase == ConnectionPhase.CredSsp && diagnosis.Evidence.Step == "credssp.ap-reply", said);
        Assert.NotEqual(CauseId.InternalError, diagnosis.Cause.Id);
        StepRecord failed = report.Steps.Last();
        Assert.True(failed.Duration <= ReadTimeout + TimeSpan.FromSeconds(1), $"{said}: the step took {failed.Duration}");
        if (fault.Kind == FaultKind.Reject)
        {
            Assert.Equal(CauseId.KerberosRejected, diagnosis.Cause.Id);
        }
    }
}

/// <summary>The Kerberos options as a user types them: each mistake is one line and exit 2, before anything is sent.</summary>
public sealed class KerberosCliTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("--auth 'basic': must be negotiate, kerberos or ntlm", "probe", "localhost:1", "--auth", "basic")]
    [InlineData("--auth kerberos needs --user user@REALM", "probe", "localhost:1", "--auth", "kerberos")]
    [InlineData("--auth kerberos: the user names no realm", "probe", "localhost:1", "--auth", "kerberos", "--user", "alice")]
    [InlineData("--auth kerberos: the target is an IP address", "probe", "127.0.0.1:1", "--auth", "kerberos", "--user", "alice@RDPHS.TEST")]
    [InlineData("--ntlm-bare sends NTLM without SPNEGO, and Kerberos needs SPNEGO", "probe", "localhost:1", "--auth", "kerberos", "--ntlm-bare")]
    [InlineData("--kdc: 'kdc:99999' has no valid port", "probe", "localhost:1", "--kdc", "kdc:99999")]
    [InlineData("--kdc: 'https://kdc/KdcProxy' is a URL", "probe", "localhost:1", "--kdc", "https://kdc/KdcProxy")]
    [InlineData("--spn 'TERMSRV': write SERVICE/HOST", "probe", "localhost:1", "--spn", "TERMSRV")]
    [InlineData("--spn 'TERMSRV/host@REALM': write SERVICE/HOST", "probe", "localhost:1", "--spn", "TERMSRV/host@REALM")]
    [InlineData("--kerberos-etypes: unknown type 'des-cbc-md5'", "probe", "localhost:1", "--kerberos-etypes", "aes256,des-cbc-md5")]
    [InlineData("--dns-server 'dns.example.com': write an IP address", "probe", "localhost:1", "--dns-server", "dns.example.com")]
    [InlineData("--kdc, --spn, --kerberos-etypes and --dns-server are for Kerberos, and --auth ntlm uses NTLM only", "probe", "localhost:1", "--auth", "ntlm", "--kdc", "kdc")]
    public async Task A_kerberos_option_mistake_is_one_line_and_bad_usage(string message, params string[] args)
    {
        ProcessResult run = await Peers.RdphsAsync(Limit, new Dictionary<string, string> { ["RDPHS_PASSWORD"] = "x" }, args);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith($"rdphs: {message}", run.StdErr, StringComparison.Ordinal);
        Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(string.Empty, run.StdOut);
    }

    [Theory]
    [InlineData(null, 0, null)]
    [InlineData("as:stall", 13, "kdc-unreachable:timeout")]
    [InlineData("tgs:garbage", 13, "malformed-response")]
    public async Task Rdphs_serve_with_its_own_kdc_is_a_kerberos_server_with_kdc_faults_on_demand(string? kdcFault, int exit, string? cause)
    {
        int port = Peers.FreePort();
        var kdcLine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        string[] fault = kdcFault is null ? [] : ["--kdc-fault", kdcFault];
        (string fileName, string[] prefix) = Peers.Rdphs;
        Task<ProcessResult> serve = Peers.RunAsync(fileName, [.. prefix, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--kdc-port", "0", "--kerberos-only", "--max-connections", "1", .. fault],
            Limit, onStdErrLine: line =>
            {
                if (line.StartsWith("rdphs test KDC for RDPHS.TEST on ", StringComparison.Ordinal))
                {
                    kdcLine.TrySetResult(line);
                }

                return true;
            });
        await Task.WhenAny(kdcLine.Task, serve);
        Assert.True(kdcLine.Task.IsCompleted, (serve.IsCompleted ? await serve : null)?.ToString());
        string kdc = System.Text.RegularExpressions.Regex.Match(await kdcLine.Task, @" on (127\.0\.0\.1:\d+) ").Groups[1].Value;

        ProcessResult run = await Peers.RdphsAsync(Limit, new Dictionary<string, string> { ["RDPHS_PASSWORD"] = "Test-Password-1" },
            "probe", $"localhost:{port}", "--user", "alice@RDPHS.TEST", "--auth", "kerberos", "--kdc", kdc, "--timeout", "2", "--json");
        ProcessResult served = await serve;

        Assert.True(run.ExitCode == exit, run.ToString());
        JsonElement report = JsonDocument.Parse(run.StdOut).RootElement;
        Assert.Equal(cause, report.GetProperty("diagnosis").ValueKind == JsonValueKind.Null ? null : report.GetProperty("diagnosis").GetProperty("cause").GetString());
        Assert.True(served.ExitCode == 0, served.ToString());
        if (cause is null)
        {
            Assert.Contains("reached finalized", served.StdOut, StringComparison.Ordinal);
        }
    }
}
