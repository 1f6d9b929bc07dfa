using RdpHandshake.Cli;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>CredSSP with credentials against the test server's CredSSP: every way it can end, named.</summary>
public sealed class CredSspAgainstTestServerTests
{
    private const string Password = "Test-Password-1";

    private static ProbeOptions WithUser(string password, SecurityProtocols protocols = SecurityProtocols.Hybrid | SecurityProtocols.HybridEx, bool spnego = true) =>
        EngineHarness.FastOptions() with
        {
            Until = ConnectionPhase.CredSsp,
            Credentials = Credentials.Parse("alice", new Secret(password)),
            NtlmInSpnego = spnego,
            Negotiation = new NegotiationOptions { RequestedProtocols = protocols },
        };

    private static async Task<(ProbeReport Report, ServerConnectionRecord Server)> RunAsync(TestServerOptions server, ProbeOptions options)
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> records) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);
        return (report, Assert.Single(records));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_right_password_completes_credssp_with_early_user_authorization(bool spnego)
    {
        (ProbeReport report, ServerConnectionRecord server) = await RunAsync(new TestServerOptions(), WithUser(Password, spnego: spnego));
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.CredSsp, report.Reached);
        Assert.Equal(
            ["credssp.negotiate", "credssp.challenge", "credssp.authenticate", "credssp.pubkey", "credssp.credentials", "credssp.early-user-auth"],
            report.Steps.Where(s => s.Phase == ConnectionPhase.CredSsp).Select(s => s.Name));
        Assert.Equal("\\alice", server.CredSspUser);
        Assert.True(server.CredentialsReceived);
    }

    [Fact]
    public async Task A_wrong_password_is_auth_failed_with_the_ntstatus_name()
    {
        (ProbeReport report, ServerConnectionRecord server) = await RunAsync(new TestServerOptions(), WithUser("not-it"));
        Assert.Equal("auth-failed:STATUS_LOGON_FAILURE", report.Diagnosis!.Cause.Name);
        Assert.Equal(ConnectionPhase.CredSsp, report.Diagnosis.Phase);
        Assert.Equal(ExitCodes.CredSsp, ExitCodes.For(report));
        Assert.Equal("credssp.pubkey", report.Diagnosis.Evidence.Step);
        Assert.Null(server.CredSspUser);
        Assert.False(server.CredentialsReceived);
    }

    [Theory]
    [InlineData(0xC0000234u, "STATUS_ACCOUNT_LOCKED_OUT")]
    [InlineData(0xC0000071u, "STATUS_PASSWORD_EXPIRED")]
    [InlineData(0xC0000072u, "STATUS_ACCOUNT_DISABLED")]
    [InlineData(0xC0000224u, "STATUS_PASSWORD_MUST_CHANGE")]
    [InlineData(0xC000006Eu, "STATUS_ACCOUNT_RESTRICTION")]
    public async Task Each_error_code_is_named(uint code, string name)
    {
        (ProbeReport report, _) = await RunAsync(new TestServerOptions { ForcedErrorCode = code }, WithUser(Password));
        Assert.Equal($"auth-failed:{name}", report.Diagnosis!.Cause.Name);
        Assert.Contains(report.Steps[^1].Fields, f => f.Name == "errorCode" && f.Value.StartsWith(name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_that_closes_after_the_authenticate_is_most_likely_a_rejection()
    {
        (ProbeReport report, _) = await RunAsync(new TestServerOptions { CredSspFault = CredSspFault.CloseAfterAuthenticate }, WithUser(Password));
        Assert.Equal("closed-after-authenticate", report.Diagnosis!.Cause.Name);
        Assert.Contains("most likely", report.Diagnosis.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_public_key_binding_stops_before_the_credentials_are_sent()
    {
        (ProbeReport report, ServerConnectionRecord server) = await RunAsync(new TestServerOptions { CredSspFault = CredSspFault.WrongPubKeyAuth }, WithUser(Password));
        Assert.Equal("pubkey-binding-mismatch", report.Diagnosis!.Cause.Name);
        Assert.Contains("man in the middle", report.Diagnosis.Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain(report.Steps, s => s.Name == "credssp.credentials");
        Assert.False(server.CredentialsReceived);
    }

    [Fact]
    public async Task A_malformed_tsrequest_is_a_malformed_response()
    {
        (ProbeReport report, _) = await RunAsync(new TestServerOptions { CredSspFault = CredSspFault.MalformedTsRequest }, WithUser(Password));
        Assert.Equal("malformed-response", report.Diagnosis!.Cause.Name);
        Assert.Equal("credssp.challenge", report.Diagnosis.Evidence.Step);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task An_older_server_version_is_followed_with_its_binding_rule(int version)
    {
        var server = new TestServerOptions { Ntlm = new NtlmIdentity { CredSspVersion = version } };
        (ProbeReport report, ServerConnectionRecord record) = await RunAsync(server, WithUser(Password, SecurityProtocols.Hybrid));
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(version, report.CredSsp!.ServerVersion);
        Assert.Contains(report.Steps.Single(s => s.Name == "credssp.authenticate").Fields, f => f.Name == "tsRequest.version" && f.Value == version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(record.CredentialsReceived);
    }

    [Fact]
    public async Task Early_user_authorization_access_denied_is_named()
    {
        (ProbeReport report, _) = await RunAsync(new TestServerOptions { EarlyUserAuthorizationResult = 5 }, WithUser(Password));
        Assert.Equal("access-denied", report.Diagnosis!.Cause.Name);
        Assert.Equal("credssp.early-user-auth", report.Diagnosis.Evidence.Step);
    }

    [Fact]
    public void Credentials_never_print_their_password()
    {
        var credentials = Credentials.Parse("CONTOSO\\alice", new Secret(Password));
        Assert.Equal("CONTOSO", credentials.Domain);
        Assert.Equal("alice", credentials.User);
        Assert.DoesNotContain(Password, credentials.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, (WithUser(Password) with { }).ToString(), StringComparison.Ordinal);
        Assert.Equal("(secret)", credentials.Password.ToString());
    }
}
