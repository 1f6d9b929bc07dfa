using System.Text.Json;
using Json.Schema;
using RdpHandshake.Checks;
using RdpHandshake.Cli;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Reporting;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// Every kind of report `rdphs probe --json` writes validates against the published schema
/// (docs/schema/rdphs.probe-1.schema.json), whose objects forbid undocumented members: a field added to the
/// report without the schema (and docs/report-format.md) fails here.
/// </summary>
public sealed class ReportSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "schema", "rdphs.probe-1.schema.json"));

    internal static void AssertValid(ProbeReport report, IReadOnlyList<ExpectationResult>? checks = null)
    {
        using JsonDocument document = JsonDocument.Parse(ProbeReportJson.ToJson(report, ExitCodes.For, checks));
        EvaluationResults results = Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        string errors = string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));
        Assert.True(results.IsValid, $"the report does not follow the schema:\n{errors}");
    }

    private static Fault F(string text)
    {
        Assert.True(Fault.TryParse(text, out Fault? fault, out string? error), error);
        return fault!;
    }

    [Fact]
    public async Task A_full_nla_run_to_finalization_with_checks()
    {
        var credentials = new Credentials("alice", string.Empty, new Secret("Test-Password-1"));
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions(), new ProbeOptions { Credentials = credentials }, TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        ExpectationResult[] checks = [.. new[] { "reached=finalized", "tls>=1.2", "cert.key-bits>=4096" }.Select(t =>
        {
            Assert.True(Expectation.TryParse(t, out Expectation? expectation, out string? error), error);
            return expectation!.Evaluate(report);
        })];
        AssertValid(report, checks);
    }

    [Fact]
    public async Task A_standard_security_run_and_a_tls_only_run()
    {
        var server = new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true };
        ProbeOptions rdp = new() { Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp } };
        (ProbeReport standard, _) = await EngineHarness.InMemoryAsync(server, rdp, TestContext.Current.CancellationToken);
        Assert.NotNull(standard.Session!.EncryptionMethod);
        AssertValid(standard);

        (ProbeReport tlsOnly, _) = await EngineHarness.InMemoryAsync(new TestServerOptions(), new ProbeOptions { Until = ConnectionPhase.Tls }, TestContext.Current.CancellationToken);
        Assert.Null(tlsOnly.Session);
        AssertValid(tlsOnly);
    }

    [Theory]
    [InlineData("x224.confirm:close")]
    [InlineData("x224.confirm:garbage")]
    [InlineData("tls.server-hello:alert")]
    [InlineData("mcs.connect-response:reject")]
    [InlineData("licensing.license:error-info")]
    [InlineData("finalization.font-map:stall")]
    public async Task Failed_runs(string fault)
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl, Faults = [F(fault)] }, new ProbeOptions(), TestContext.Current.CancellationToken);
        Assert.False(report.Success);
        AssertValid(report);
    }

    [Fact]
    public async Task A_run_that_never_connected()
    {
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", 1), EngineHarness.FastOptions(), TestContext.Current.CancellationToken);
        Assert.Null(report.Negotiation);
        AssertValid(report);
    }

    [Theory]
    [InlineData(ProxyKind.Socks5, null)]
    [InlineData(ProxyKind.HttpConnect, null)]
    [InlineData(ProxyKind.Socks5, "proxy.tunnel:reject")]
    [InlineData(ProxyKind.HttpConnect, "proxy.tunnel:reject")]
    public async Task Runs_through_a_proxy_record_the_hop(ProxyKind kind, string? fault)
    {
        Fault[] faults = [];
        if (fault is not null)
        {
            Assert.True(ProxyFaultSteps.TryParse(fault, out Fault? parsed, out string? error), error);
            faults = [parsed!];
        }

        (ProbeReport report, _) = await HostileProxyMatrixTests.ThroughTestProxyAsync(kind, new TestProxyOptions { Faults = faults }, new ProbeOptions { Until = ConnectionPhase.Tls });
        Assert.Equal(fault is null, report.Success);
        AssertValid(report);
        using JsonDocument document = JsonDocument.Parse(ProbeReportJson.ToJson(report, ExitCodes.For));
        JsonElement proxy = document.RootElement.GetProperty("proxy");
        Assert.Equal(kind == ProxyKind.Socks5 ? "socks5" : "http-connect", proxy.GetProperty("kind").GetString());
        Assert.Equal(fault is null, proxy.GetProperty("tunnelled").GetBoolean());
        Assert.Equal(fault is null ? 0 : ExitCodes.Proxy, document.RootElement.GetProperty("outcome").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task A_direct_run_has_a_null_proxy()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl }, new ProbeOptions { Until = ConnectionPhase.X224 }, TestContext.Current.CancellationToken);
        using JsonDocument document = JsonDocument.Parse(ProbeReportJson.ToJson(report, ExitCodes.For));
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("proxy").ValueKind);
    }

    [Fact]
    public void The_schema_rejects_an_undocumented_member()
    {
        using JsonDocument document = JsonDocument.Parse("""{"schema":"rdphs.probe/1","surprise":true}""");
        Assert.False(Schema.Evaluate(document.RootElement).IsValid);
    }

    [Fact]
    public async Task The_schema_reaches_into_nested_objects()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl }, new ProbeOptions(), TestContext.Current.CancellationToken);
        var root = System.Text.Json.Nodes.JsonNode.Parse(ProbeReportJson.ToJson(report, ExitCodes.For))!;
        root["steps"]![0]!["undocumented"] = 1;
        root["session"]!["encryption"]!["method"] = "RC4";
        using JsonDocument document = JsonDocument.Parse(root.ToJsonString());
        EvaluationResults results = Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.False(results.IsValid);
        string[] locations = [.. (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => d.InstanceLocation.ToString())];
        Assert.Contains(locations, l => l.StartsWith("/steps/0", StringComparison.Ordinal));
        Assert.Contains(locations, l => l.StartsWith("/session/encryption/method", StringComparison.Ordinal));
    }
}
