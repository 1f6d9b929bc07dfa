using System.Text.Json;
using RdpHandshake.Cli;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Reporting;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// A server that refuses NTLM wrapped in SPNEGO (FreeRDP 2: errorCode 0xc00700ea) gets a second connection
/// with bare NTLM from the engine itself, and the report keeps the refused first run.
/// </summary>
public sealed class SpnegoRefusalTests
{
    private static readonly TestServerOptions Refusing = new() { RefuseSpnego = true };

    [Fact]
    public async Task A_probe_without_credentials_goes_bare_and_ends_at_the_challenge()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(Refusing, new ProbeOptions(), TestContext.Current.CancellationToken, 2);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.Tls, report.Reached);
        Assert.False(report.CredSsp!.NtlmInSpnego);
        Assert.Equal(CredSspServer.SpnegoRefusalCode, report.CredSsp.SpnegoRefusedWith);
        Assert.Equal("RDPHS", report.CredSsp.Challenge!.TargetName);
        Assert.Contains("refused SPNEGO with 0xc00700ea", report.Verdict, StringComparison.Ordinal);
        Assert.Contains(report.Steps, s => s.Name == "credssp.negotiate" && s.Fields.Any(f => f.Name == "negoToken" && f.Value == "bare NTLM"));

        ProbeReport first = report.SpnegoAttempt!;
        Assert.Equal("server-error:0xc00700ea", first.Diagnosis!.Cause.Name);
        Assert.Equal("credssp.challenge", first.Diagnosis.Evidence.Step);
        Assert.Null(first.CredSsp);
        Assert.Equal(2, server.Count);
        Assert.Contains("refused the SPNEGO-wrapped NEGOTIATE", server[0].Ending, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_credentials_the_bare_retry_authenticates()
    {
        var options = new ProbeOptions { Until = ConnectionPhase.CredSsp, Credentials = Credentials.Parse("alice", new Secret("Test-Password-1")) };
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(Refusing, options, TestContext.Current.CancellationToken, 2);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.CredSsp, report.Reached);
        Assert.NotNull(report.SpnegoAttempt);
        Assert.Contains(report.Steps, s => s.Name == "credssp.credentials");
        Assert.True(server[^1].CredentialsReceived);
    }

    [Fact]
    public async Task A_server_that_takes_spnego_gets_one_connection_and_no_attempt_is_attached()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(new TestServerOptions(), new ProbeOptions(), TestContext.Current.CancellationToken, 1);

        Assert.True(report.Success, report.Verdict);
        Assert.True(report.CredSsp!.NtlmInSpnego);
        Assert.Null(report.CredSsp.SpnegoRefusedWith);
        Assert.Null(report.SpnegoAttempt);
        Assert.Single(server);
    }

    [Fact]
    public async Task Without_the_retry_the_refusal_is_the_diagnosis()
    {
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(Refusing, new ProbeOptions { RetryWithoutSpnego = false }, TestContext.Current.CancellationToken, 1);

        Assert.Equal("server-error:0xc00700ea", report.Diagnosis!.Cause.Name);
        Assert.Null(report.SpnegoAttempt);
    }

    [Fact]
    public async Task Over_a_given_transport_the_refusal_is_reported_without_a_retry()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.InMemoryAsync(Refusing, new ProbeOptions(), TestContext.Current.CancellationToken);

        Assert.Equal("server-error:0xc00700ea", report.Diagnosis!.Cause.Name);
        Assert.Equal(ExitCodes.CredSsp, ExitCodes.For(report));
        Assert.Single(server);
    }

    [Fact]
    public async Task The_json_report_carries_the_refused_attempt_and_follows_the_schema()
    {
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(Refusing, new ProbeOptions(), TestContext.Current.CancellationToken, 2);

        using JsonDocument document = JsonDocument.Parse(ProbeReportJson.ToJson(report, ExitCodes.For));
        JsonElement root = document.RootElement;
        Assert.False(root.GetProperty("credssp").GetProperty("ntlmInSpnego").GetBoolean());
        Assert.Equal("0xc00700ea", root.GetProperty("credssp").GetProperty("spnegoRefusedWith").GetString());
        Assert.Equal("server-error:0xc00700ea", root.GetProperty("spnegoAttempt").GetProperty("diagnosis").GetProperty("cause").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("spnegoAttempt").GetProperty("spnegoAttempt").ValueKind);

        ReportSchemaTests.AssertValid(report);
    }
}
