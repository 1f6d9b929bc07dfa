using System.Text.Json;
using RdpHandshake.Cli;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Reporting;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// --check-nonce-binding: after authenticating at CredSSP version 5+, one more authenticated attempt at version 4
/// (the legacy pubKeyAuth binding) tells whether the server forces updated clients (CVE-2018-0886).
/// </summary>
public sealed class NonceBindingCheckTests
{
    private static ProbeOptions Checking(string password = "Test-Password-1") => new()
    {
        Credentials = Credentials.Parse("alice", new Secret(password)),
        CheckNonceBinding = true,
    };

    [Fact]
    public async Task A_server_that_requires_the_nonce_binding_refuses_version_4_and_is_reported_enforcing()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(new TestServerOptions { RequireNonceBinding = true }, Checking(), TestContext.Current.CancellationToken, 2);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        Assert.True(report.CredSsp!.NonceBinding!.Enforced);
        Assert.Contains("credssp-version-mismatch", report.CredSsp.NonceBinding.Detail, StringComparison.Ordinal);
        Assert.Equal(2, server.Count);
        Assert.Equal(6, server[0].CredSspClientVersion);
        Assert.Equal(4, server[1].CredSspClientVersion);
        Assert.Null(server[1].CredSspUser);
        Assert.False(server[1].CredentialsReceived);
    }

    [Fact]
    public async Task A_version_4_client_refused_by_a_server_that_forces_updated_clients_is_a_credssp_version_mismatch()
    {
        ProbeOptions legacy = new() { Credentials = Credentials.Parse("alice", new Secret("Test-Password-1")), CredSspVersion = 4 };
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(new TestServerOptions { RequireNonceBinding = true }, legacy, TestContext.Current.CancellationToken, 1);

        Assert.Equal(("credssp", "credssp-version-mismatch"), (report.Diagnosis!.Phase.Name(), report.Diagnosis.Cause.Name));
        Assert.Equal("credssp.pubkey", report.Diagnosis.Evidence.Step);
        Assert.Contains("CVE-2018-0886", report.Diagnosis.Explanation, StringComparison.Ordinal);
        Assert.Contains("version 4", report.Diagnosis.Summary, StringComparison.Ordinal);
        Assert.Equal(4, Assert.Single(server).CredSspClientVersion);

        // The same refusal at version 6 would be a credentials problem, not a version one.
        (ProbeReport current, _) = await EngineHarness.OverLoopbackAsync(new TestServerOptions { RequireNonceBinding = true }, legacy with { CredSspVersion = 6 }, TestContext.Current.CancellationToken, 1);
        Assert.True(current.Success, current.Verdict);
    }

    [Fact]
    public async Task A_server_that_takes_version_4_is_reported_not_enforcing()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(new TestServerOptions(), Checking(), TestContext.Current.CancellationToken, 2);

        Assert.True(report.Success, report.Verdict);
        Assert.False(report.CredSsp!.NonceBinding!.Enforced);
        Assert.Equal(4, server[1].CredSspClientVersion);
        Assert.Equal("\\alice", server[1].CredSspUser);
    }

    [Fact]
    public async Task Without_a_successful_authentication_nothing_is_concluded()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(new TestServerOptions { RequireNonceBinding = true }, Checking("not-it"), TestContext.Current.CancellationToken, 1);

        Assert.Equal("auth-failed:STATUS_LOGON_FAILURE", report.Diagnosis!.Cause.Name);
        Assert.Null(report.CredSsp!.NonceBinding!.Enforced);
        Assert.Contains("did not authenticate", report.CredSsp.NonceBinding.Detail, StringComparison.Ordinal);
        Assert.Single(server);
    }

    [Fact]
    public async Task A_run_that_itself_offers_version_4_is_not_checked()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(new TestServerOptions(), Checking() with { CredSspVersion = 4 }, TestContext.Current.CancellationToken, 1);

        Assert.True(report.Success, report.Verdict);
        Assert.Null(report.CredSsp!.NonceBinding!.Enforced);
        Assert.Contains("version 4", report.CredSsp.NonceBinding.Detail, StringComparison.Ordinal);
        Assert.Single(server);
    }

    [Fact]
    public async Task Not_asked_for_means_one_connection_and_no_answer()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(new TestServerOptions { RequireNonceBinding = true }, Checking() with { CheckNonceBinding = false }, TestContext.Current.CancellationToken, 1);

        Assert.True(report.Success, report.Verdict);
        Assert.Null(report.CredSsp!.NonceBinding);
        Assert.Single(server);
    }

    [Fact]
    public async Task An_attempt_that_ends_before_the_authenticate_is_judged_is_unknown()
    {
        // A server that refuses the SPNEGO NEGOTIATE, asked with SPNEGO and no retry: nothing about the binding.
        (ProbeReport attempt, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { RefuseSpnego = true }, new ProbeOptions { Credentials = Credentials.Parse("alice", new Secret("Test-Password-1")) }, TestContext.Current.CancellationToken);

        RdpHandshake.CredSsp.NonceBindingResult check = Policies.NonceBindingCheck.Verdict(attempt, 6);
        Assert.Null(check.Enforced);
        Assert.StartsWith("unknown:", check.Detail, StringComparison.Ordinal);
        Assert.Contains("server-error:0xc00700ea", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_json_report_carries_the_answer_and_follows_the_schema()
    {
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(new TestServerOptions { RequireNonceBinding = true }, Checking() with { Until = ConnectionPhase.CredSsp }, TestContext.Current.CancellationToken, 2);

        using JsonDocument document = JsonDocument.Parse(ProbeReportJson.ToJson(report, ExitCodes.For));
        JsonElement credssp = document.RootElement.GetProperty("credssp");
        Assert.True(credssp.GetProperty("nonceBindingEnforced").GetBoolean());
        Assert.Contains("SEC_E_UNSUPPORTED_FUNCTION", credssp.GetProperty("nonceBindingDetail").GetString(), StringComparison.Ordinal);
        ReportSchemaTests.AssertValid(report);
    }
}
