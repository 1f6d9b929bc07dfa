using System.Net;
using System.Text.Json;
using Json.Schema;
using RdpHandshake.Checks;
using RdpHandshake.Cli;
using RdpHandshake.Clients;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Reporting;
using RdpHandshake.TestServer;
using Org.BouncyCastle.Tls;

namespace RdpHandshake.Tests;

/// <summary>
/// The client profiles against the test server configured like each server they disagree on: every profile against
/// every configuration, each outcome asserted (a client that connects, or the cause that stops it).
/// </summary>
public sealed class ClientCompatibilityTests
{
    private const string Ok = "ok";

    /// <summary>The server configurations, by name.</summary>
    private static readonly Dictionary<string, TestServerOptions> Servers = new()
    {
        ["default"] = new TestServerOptions(),
        ["tls1.0-only"] = new TestServerOptions { TlsVersions = [TlsVersion.Tls10] },
        ["tls1.2-only"] = new TestServerOptions { TlsVersions = [TlsVersion.Tls12] },
        ["3des-only"] = new TestServerOptions { TlsVersions = [TlsVersion.Tls12], TlsCipherSuites = [CipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA] },
        ["rsa1024"] = new TestServerOptions { Certificate = CertificateProfile.Rsa1024 },
        ["sha1-certificate"] = new TestServerOptions { Certificate = CertificateProfile.Sha1 },
        ["credssp-v3"] = new TestServerOptions { Ntlm = new NtlmIdentity { CredSspVersion = 3 } },
        ["standard-security-low"] = new TestServerOptions { Accepted = SecurityProtocols.Rdp, StandardSecurityLevel = EncryptionLevel.Low },
        ["standard-security-40bit"] = new TestServerOptions
        {
            Accepted = SecurityProtocols.Rdp,
            StandardSecurityLevel = EncryptionLevel.Low,
            AllowedEncryptionMethods = EncryptionMethod.Bit40,
        },
    };

    private static readonly string[] Columns = ["mstsc-win11", "mstsc-win10", "mstsc-win7", "freerdp3", "freerdp2-openssl3", "msrdc-macos", "rdphs"];

    /// <summary>The expected outcome of each profile (in <see cref="Columns"/> order) on each server.</summary>
    public static TheoryData<string, string[]> Table => new()
    {
        { "default", [Ok, Ok, "no-common-version", Ok, Ok, Ok, Ok] },
        { "tls1.0-only", ["no-common-version", Ok, Ok, "no-common-version", "client-refused:tls-version", "no-common-version", Ok] },
        { "tls1.2-only", [Ok, Ok, "no-common-version", Ok, Ok, Ok, Ok] },
        { "3des-only", ["no-common-cipher-suite", Ok, "no-common-version", "no-common-cipher-suite", "no-common-cipher-suite", "no-common-cipher-suite", Ok] },
        { "rsa1024", [Ok, Ok, "no-common-version", "client-refused:certificate-key", Ok, "client-refused:certificate-key", Ok] },
        { "sha1-certificate", [Ok, Ok, "no-common-version", "client-refused:certificate-signature", Ok, "client-refused:certificate-signature", Ok] },
        { "credssp-v3", ["client-refused:credssp-version", "client-refused:credssp-version", "no-common-version", Ok, Ok, "client-refused:credssp-version", Ok] },
        { "standard-security-low", [Ok, Ok, Ok, Ok, Ok, "client-refused:security-protocol", Ok] },
        { "standard-security-40bit", [Ok, Ok, Ok, Ok, Ok, "client-refused:security-protocol", Ok] },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public async Task Every_profile_against_a_server_configuration(string server, string[] expected)
    {
        CompatibilityResult result = await RunAsync(Servers[server]);

        string[] actual = [.. Columns.Select(name => result.Rows.Single(r => r.Profile.Name == name).Verdict)
            .Select(v => v.Connects ? Ok : v.Failure!.Cause.Name)];
        Assert.Equal(
            string.Join("\n", Columns.Zip(expected, (c, e) => $"{c}: {e}")),
            string.Join("\n", Columns.Zip(actual, (c, a) => $"{c}: {a}")));
        foreach (CompatibilityRow row in result.Rows.Where(r => !r.Verdict.Connects))
        {
            Assert.False(string.IsNullOrWhiteSpace(row.Verdict.Fix));
            Assert.False(string.IsNullOrWhiteSpace(row.Verdict.Message));
            Assert.Equal(row.Profile.IsMstsc, row.Verdict.Failure!.Mstsc is not null || row.Verdict.Failure.MstscNote?.StartsWith("none: mstsc", StringComparison.Ordinal) == true
                || row.Verdict.Failure.MstscNote?.StartsWith("undocumented", StringComparison.Ordinal) == true);
        }
    }

    [Fact]
    public async Task A_server_without_tls_answers_every_client_on_one_connection()
    {
        CompatibilityResult result = await RunAsync(Servers["standard-security-low"]);

        Assert.Equal(1, result.Connections);
        Assert.All(result.Rows, r => Assert.Equal(1, r.Connection));
        Assert.Equal("ENCRYPTION_METHOD_128BIT", result.Rows[0].Report.Session?.EncryptionMethod);
    }

    [Fact]
    public async Task A_tls_server_gets_one_connection_per_distinct_offer()
    {
        CompatibilityResult result = await RunAsync(Servers["default"]);

        Assert.Equal(ClientProfiles.All.Select(p => p.OfferKey).Distinct().Count(), result.Connections);
        Assert.Equal(result.Connections, result.Rows.Select(r => r.Connection).Distinct().Count());
    }

    [Fact]
    public async Task No_more_than_three_connections_are_open_at_once()
    {
        // A server with a short accept queue (xrdp: backlog 2) drops the SYNs beyond it; compat keeps under that.
        await using var server = new RdpTestServer(Servers["default"] with { ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = server.Start();
        int open = 0, most = 0;
        CompatibilityResult result = await Compatibility.RunAsync(
            async (where, how, observer, token) =>
            {
                int now = Interlocked.Increment(ref open);
                InterlockedMax(ref most, now);
                try
                {
                    await Task.Delay(50, token);
                    return await new RdpProber { Policies = [], StepObserver = observer }.ProbeAsync(where, how, token);
                }
                finally
                {
                    Interlocked.Decrement(ref open);
                }
            },
            new ProbeTarget(endpoint.Address.ToString(), endpoint.Port), EngineHarness.FastOptions(), ClientProfiles.All, TestContext.Current.CancellationToken);

        Assert.True(result.Connections > Compatibility.MaxConnectionsAtOnce, $"{result.Connections} connections: too few to show the limit");
        Assert.Equal(Compatibility.MaxConnectionsAtOnce, most);

        static void InterlockedMax(ref int target, int value)
        {
            for (int seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            {
                if (Interlocked.CompareExchange(ref target, value, seen) == seen)
                {
                    return;
                }
            }
        }
    }

    [Fact]
    public async Task The_compat_json_follows_its_published_schema()
    {
        CompatibilityResult result = await RunAsync(Servers["rsa1024"]);
        JsonSchema schema = JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "schema", "rdphs.compat-1.schema.json"));

        using JsonDocument document = JsonDocument.Parse(CompatibilityJson.ToJson(result, DateTimeOffset.UnixEpoch));
        EvaluationResults results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        string errors = string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));
        Assert.True(results.IsValid, errors);
        JsonElement freerdp3 = document.RootElement.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("profile").GetString() == "freerdp3");
        Assert.False(freerdp3.GetProperty("connects").GetBoolean());
        Assert.Equal("client-refused:certificate-key", freerdp3.GetProperty("diagnosis").GetProperty("cause").GetString());
        Assert.Equal(1024, freerdp3.GetProperty("certificate").GetProperty("keyBits").GetInt32());
        Assert.False(schema.Evaluate(JsonDocument.Parse("""{"schema":"rdphs.compat/1"}""").RootElement).IsValid);
    }

    [Fact]
    public async Task The_default_verdict_names_the_clients_that_would_refuse_a_tls10_server()
    {
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(Servers["tls1.0-only"], cancellationToken: TestContext.Current.CancellationToken);

        ProbeReport annotated = ProbeCommand.WithRefusals(report);

        Assert.True(annotated.Success);
        Assert.EndsWith("— refused by mstsc-win11, freerdp3, freerdp2-openssl3, msrdc-macos (see `rdphs compat`)", annotated.Verdict);
        Assert.True(Expectation.Parse("clients=mstsc-win10,mstsc-win7").Evaluate(report).Passed);
        ExpectationResult refused = Expectation.Parse("clients=mstsc-win10,mstsc-win11").Evaluate(report);
        Assert.False(refused.Passed);
        Assert.Contains("mstsc-win11 refuses this server: the server speaks TLS 1.0", refused.Message);
    }

    [Fact]
    public async Task Probing_as_a_client_fails_where_the_client_would()
    {
        ClientProfile freerdp3 = ClientProfiles.Find("freerdp3")!;
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(Servers["sha1-certificate"], freerdp3.Apply(new ProbeOptions()), TestContext.Current.CancellationToken);

        ProbeReport asClient = ClientJudge.AsClient(freerdp3, report);

        Assert.Equal(new Cause(ConnectionPhase.Tls, CauseId.ClientRefused, "certificate-signature"), asClient.Diagnosis!.Cause);
        Assert.Equal(ExitCodes.Tls, ExitCodes.For(asClient));
        Assert.Equal(TlsUpgrade.CertificateStep, asClient.Diagnosis.Evidence.Step);
        Assert.Null(asClient.Diagnosis.Mstsc);
        Assert.Contains("ERRCONNECT_TLS_CONNECT_FAILED", asClient.Verdict);
        Assert.Contains("SHA-256", asClient.Diagnosis.Remedy);
    }

    [Fact]
    public async Task A_client_that_takes_only_128_bit_meets_a_40_bit_only_server()
    {
        ClientProfile strict = ClientProfiles.Find("mstsc-win11")! with { Name = "strict", StandardSecurity = ["128bit", "fips"] };
        (ProbeReport asStrict, _) = await EngineHarness.OverLoopbackAsync(Servers["standard-security-40bit"], strict.Apply(new ProbeOptions()), TestContext.Current.CancellationToken);
        (ProbeReport permissive, _) = await EngineHarness.OverLoopbackAsync(Servers["standard-security-40bit"], cancellationToken: TestContext.Current.CancellationToken);

        // Offered only 128-bit and FIPS, the server has nothing to choose: it refuses in its Connect Response.
        ClientVerdict own = ClientJudge.Evaluate(strict, asStrict, ownOffer: true);
        Assert.Equal((ConnectionPhase.Mcs, CauseId.ConnectResponseResult), (own.Failure!.Phase, own.Failure.Cause.Id));

        // Judged from rdphs's offer, which the server answered with 40-bit: a refusal, but not a certain one.
        ClientVerdict judged = ClientJudge.Evaluate(strict, permissive, ownOffer: false);
        Assert.Equal(new Cause(ConnectionPhase.Security, CauseId.ClientRefused, "standard-security"), judged.Failure!.Cause);
        Assert.False(judged.Certain);
        Assert.Equal(0x506, judged.Failure.Mstsc!.DisconnectReason);
        Assert.Empty(ClientJudge.Refusals(permissive, [strict]));
    }

    [Theory]
    [InlineData("clients=nope", "'nope' is not a client profile (known: mstsc-win11")]
    [InlineData("clients!=freerdp3", "clients takes = and a list")]
    public void A_clients_check_names_known_profiles(string text, string error)
    {
        Assert.False(Expectation.TryParse(text, out _, out string? message));
        Assert.Contains(error, message);
    }

    private static async Task<CompatibilityResult> RunAsync(TestServerOptions options)
    {
        await using var server = new RdpTestServer(options with { ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = server.Start();
        return await Compatibility.RunAsync(
            (where, how, observer, token) => new RdpProber { Policies = [], StepObserver = observer }.ProbeAsync(where, how, token),
            new ProbeTarget(endpoint.Address.ToString(), endpoint.Port), EngineHarness.FastOptions(), ClientProfiles.All, TestContext.Current.CancellationToken);
    }
}
