using System.Text.Json;
using Json.Schema;
using RdpHandshake.Analysis;
using RdpHandshake.Capture;
using RdpHandshake.Checks;
using RdpHandshake.Cli;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests.Analysis;

/// <summary>
/// Every kind of analysis `rdphs analyze --json` writes validates against the published schema
/// (docs/schema/rdphs.analyze-1.schema.json), which takes each connection's report, with its steps and diagnosis, from
/// the probe's schema: a field added to either without its schema fails here.
/// </summary>
public sealed class AnalysisSchemaTests : IDisposable
{
    private static readonly JsonSchema Schema = Load();

    /// <summary>The analysis schema, built beside the probe's (which its <c>$ref</c>s name) in a registry of their own.</summary>
    private static JsonSchema Load()
    {
        var build = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        JsonSchema probe = JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "schema", "rdphs.probe-1.schema.json"), build);
        build.SchemaRegistry.Register(probe);
        return JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "schema", "rdphs.analyze-1.schema.json"), build);
    }

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rdphs-analysis-schema-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static void AssertValid(AnalysisReport report, IReadOnlyList<string>? checks = null)
    {
        IReadOnlyList<Expectation> expectations = [.. (checks ?? []).Select(text =>
        {
            Assert.True(Expectation.TryParse(text, out Expectation? expectation, out string? error), error);
            return expectation!;
        })];
        using var stream = new MemoryStream();
        AnalysisReportJson.Write(report, stream, ExitCodes.For, ExitCodes.Success, c => [.. expectations.Select(e => e.Evaluate(c.Report))]);
        using JsonDocument document = JsonDocument.Parse(stream.ToArray());
        EvaluationResults results = Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        string errors = string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));
        Assert.True(results.IsValid, $"the analysis does not follow the schema:\n{errors}");
        if (checks is { Count: > 0 })
        {
            Assert.All(document.RootElement.GetProperty("connections").EnumerateArray(),
                c => Assert.Equal(checks.Count, c.GetProperty("probe").GetProperty("expectations").GetArrayLength()));
        }
    }

    /// <summary>A probe of the test server in memory, its own pcapng capture analysed with the key log it wrote (or without).</summary>
    private async Task<AnalysisReport> ProbeCaptureAsync(TestServerOptions server, bool withKeys, bool standardSecurity = false, Func<string, string>? keyLine = null)
    {
        var keys = new TlsKeyLog();
        var options = new ProbeOptions { Until = ConnectionPhase.Finalization, KeyLog = line => { lock (keys) { keys.Add(keyLine?.Invoke(line) ?? line); } } };
        if (standardSecurity)
        {
            options = options with { Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp } };
        }

        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);
        string path = Path.Combine(_directory.FullName, $"{Guid.NewGuid():n}.pcapng");
        using (FileStream file = File.Create(path))
        {
            PcapngWriter.Write(report.Wire!, file);
        }

        return CaptureAnalyzer.Analyze(path, new AnalysisOptions { Keys = withKeys ? keys : TlsKeyLog.Empty }, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_standard_security_connection_decrypted_with_its_key_line_to_finalization()
    {
        AnalysisReport report = await ProbeCaptureAsync(new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true }, withKeys: true, standardSecurity: true);
        Assert.Equal(AnalysisStatus.Finalized, Assert.Single(report.Connections).Status);
        AssertValid(report, ["reached=finalized"]);
    }

    [Fact]
    public async Task A_standard_security_connection_with_a_key_line_of_another_connection()
    {
        AnalysisReport report = await ProbeCaptureAsync(new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true }, withKeys: true, standardSecurity: true,
            keyLine: line => line[..^64] + new string('7', 64));
        Assert.Contains(Assert.Single(report.Connections).Findings, f => f.Code == "keylog-mismatch");
        AssertValid(report);
    }

    [Fact]
    public async Task A_decrypted_connection_to_finalization_with_checks()
    {
        AnalysisReport report = await ProbeCaptureAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl }, withKeys: true);
        Assert.Equal(AnalysisStatus.Finalized, Assert.Single(report.Connections).Status);
        AssertValid(report, ["reached=finalized", "tls>=1.2", "cert.key-bits>=4096"]);
    }

    [Fact]
    public async Task A_connection_whose_tls_is_not_decrypted()
    {
        AnalysisReport report = await ProbeCaptureAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl }, withKeys: false);
        Assert.Equal(AnalysisStatus.NotVisible, Assert.Single(report.Connections).Status);
        AssertValid(report);
    }

    [Theory]
    [InlineData("x224.confirm:reset")]
    [InlineData("tls.server-hello:alert")]
    [InlineData("mcs.connect-response:reject")]
    [InlineData("licensing.license:error-info")]
    public async Task A_failed_connection(string fault)
    {
        Assert.True(Fault.TryParse(fault, out Fault? parsed, out string? error), error);
        AnalysisReport report = await ProbeCaptureAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl, Faults = [parsed!] }, withKeys: true);
        Assert.Equal(AnalysisStatus.Failed, Assert.Single(report.Connections).Status);
        AssertValid(report, ["reached=finalized"]);
    }

    [Fact]
    public async Task A_standard_security_connection_seen_up_to_its_encrypted_part()
    {
        var server = new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true };
        var keys = new TlsKeyLog();
        ProbeOptions options = new() { Until = ConnectionPhase.Finalization, Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp } };
        (ProbeReport probe, _) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);
        string path = Path.Combine(_directory.FullName, "standard.pcapng");
        using (FileStream file = File.Create(path))
        {
            PcapngWriter.Write(probe.Wire!, file);
        }

        AnalysisReport report = CaptureAnalyzer.Analyze(path, new AnalysisOptions { Keys = keys }, TestContext.Current.CancellationToken);
        Assert.Equal(AnalysisStatus.NotVisible, Assert.Single(report.Connections).Status);
        AssertValid(report);
    }

    [Fact]
    public void Captures_with_findings_and_without_RDP()
    {
        var snap = new SyntheticCapture();
        snap.Handshake();
        snap.Send(fromClient: true, Protocol.Encoding.Pdu.Encode(new X224ConnectionRequest("Cookie: mstshash=a", null, new RdpNegotiationRequest(SecurityProtocols.Ssl))));
        snap.Send(fromClient: false, new byte[400]);
        snap.Wait(TimeSpan.FromSeconds(3));
        snap.Rst(fromClient: true);
        string snapPath = Path.Combine(_directory.FullName, "snap.pcap");
        snap.Write(snapPath, SyntheticLink.LinuxSll2, snapLength: 200);
        AnalysisReport withFindings = CaptureAnalyzer.Analyze(snapPath, new AnalysisOptions(), TestContext.Current.CancellationToken);
        Assert.Contains(withFindings.Findings, f => f.Code == "snaplen");
        AssertValid(withFindings);

        var udp = new SyntheticCapture();
        udp.Udp([1, 2, 3]);
        string udpPath = Path.Combine(_directory.FullName, "udp.pcap");
        udp.Write(udpPath);
        AnalysisReport none = CaptureAnalyzer.Analyze(udpPath, new AnalysisOptions(), TestContext.Current.CancellationToken);
        Assert.Empty(none.Connections);
        AssertValid(none);
    }

    [Fact]
    public async Task An_undocumented_member_in_the_analysis_or_in_a_step_of_its_probe_report_fails()
    {
        AnalysisReport report = await ProbeCaptureAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl }, withKeys: true);
        using var stream = new MemoryStream();
        AnalysisReportJson.Write(report, stream, ExitCodes.For, ExitCodes.Success);
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Flag };
        Assert.True(Schema.Evaluate(System.Text.Json.Nodes.JsonNode.Parse(stream.ToArray())!.Deserialize<JsonElement>(), options).IsValid);

        System.Text.Json.Nodes.JsonNode connection = System.Text.Json.Nodes.JsonNode.Parse(stream.ToArray())!;
        connection["connections"]![0]!["guess"] = "x";
        Assert.False(Schema.Evaluate(connection.Deserialize<JsonElement>(), options).IsValid);

        System.Text.Json.Nodes.JsonNode step = System.Text.Json.Nodes.JsonNode.Parse(stream.ToArray())!;
        step["connections"]![0]!["probe"]!["steps"]![0]!["guess"] = "x";
        Assert.False(Schema.Evaluate(step.Deserialize<JsonElement>(), options).IsValid);

        System.Text.Json.Nodes.JsonNode phase = System.Text.Json.Nodes.JsonNode.Parse(stream.ToArray())!;
        phase["connections"]![0]!["reached"] = "handshake";
        Assert.False(Schema.Evaluate(phase.Deserialize<JsonElement>(), options).IsValid);
    }
}
