using System.Net;
using System.Net.Sockets;
using RdpHandshake.Cli;
using RdpHandshake.Crypto;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// The engine against the test server from the MCS Connect Initial to finalization: both security modes, every
/// Standard Security level, and each fault the server can inject in the later phases, with the diagnosis it gives.
/// </summary>
public sealed class SessionAgainstTestServerTests
{
    private static readonly ProbeOptions Finalized = new() { Until = ConnectionPhase.Finalization };

    private static TestServerOptions TlsOnly(params Fault[] faults) => new() { Accepted = SecurityProtocols.Ssl, Faults = faults };

    private static Fault F(string text)
    {
        Assert.True(Fault.TryParse(text, out Fault? fault, out string? error), error);
        return fault!;
    }

    [Fact]
    public async Task Tls_run_reaches_finalization_and_both_ends_agree_on_what_happened()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.InMemoryAsync(TlsOnly(), Finalized, TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        Assert.All(report.Steps, s => Assert.Equal(StepOutcome.Ok, s.Outcome));
        ServerConnectionRecord record = Assert.Single(server);
        Assert.Equal(ServerStage.Finalized, record.Stage);
        Assert.Equal("rdphs", record.ClientName);
        Assert.Equal((uint)SecurityProtocols.Ssl, record.ServerSelectedProtocol);
        Assert.Equal(["rdpdr", "rdpsnd", "cliprdr", "drdynvc"], record.RequestedChannels);
        Assert.Equal(report.Session!.Joined, record.JoinedChannels);
        Assert.Equal(0, record.ClientInfoPasswordLength ?? 0);
        Assert.Equal(report.Steps.Single(s => s.Name == "capabilities.confirm-active").Fields.Single(f => f.Name == "capabilitySets").Value.Split(", ").Length,
            record.ConfirmActiveCapabilitySets.Count);
        Assert.Equal(["Synchronize", "Control (Cooperate)", "Control (GrantedControl)", "Font Map"], report.Session.Finalization);
    }

    [Theory]
    [InlineData(EncryptionLevel.Low, EncryptionMethod.Bit128, "ENCRYPTION_METHOD_128BIT", "ENCRYPTION_LEVEL_LOW", true)]
    [InlineData(EncryptionLevel.ClientCompatible, EncryptionMethod.Bit56, "ENCRYPTION_METHOD_56BIT", "ENCRYPTION_LEVEL_CLIENT_COMPATIBLE", true)]
    [InlineData(EncryptionLevel.High, EncryptionMethod.Bit128, "ENCRYPTION_METHOD_128BIT", "ENCRYPTION_LEVEL_HIGH", false)]
    [InlineData(EncryptionLevel.Fips, EncryptionMethod.Fips, "ENCRYPTION_METHOD_FIPS", "ENCRYPTION_LEVEL_FIPS", false)]
    public async Task Standard_rdp_security_reaches_finalization_at_each_level(EncryptionLevel level, EncryptionMethod allowed, string method, string levelName, bool weak)
    {
        var server = new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true, StandardSecurityLevel = level, AllowedEncryptionMethods = allowed };
        ProbeOptions options = Finalized with { Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp, Cookie = "rdphs" } };
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> records) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        Assert.Equal(method, report.Session!.EncryptionMethod);
        Assert.Equal(levelName, report.Session.EncryptionLevel);
        Assert.Equal(weak, report.Session.WeakEncryption);
        Assert.Equal(ServerStage.Finalized, Assert.Single(records).Stage);
    }

    [Fact]
    public async Task Nla_with_credentials_goes_on_to_finalization_and_names_the_user_in_the_client_info()
    {
        var credentials = new Credentials("alice", string.Empty, new Secret("Test-Password-1"));
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> records) = await EngineHarness.InMemoryAsync(
            new TestServerOptions(), Finalized with { Credentials = credentials }, TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(SecurityProtocols.HybridEx, report.Negotiation!.Selected);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        Assert.Equal("alice", Assert.Single(records).ClientInfoUserName);
    }

    [Fact]
    public async Task Nla_without_credentials_stops_at_the_challenge_by_default_and_fails_when_asked_strictly()
    {
        (ProbeReport lenient, _) = await EngineHarness.InMemoryAsync(new TestServerOptions(), Finalized, TestContext.Current.CancellationToken);
        Assert.True(lenient.Success, lenient.Verdict);
        Assert.Contains("needs credentials", lenient.Verdict, StringComparison.Ordinal);
        Assert.Equal("credssp.challenge", lenient.Steps[^1].Name);

        (ProbeReport strict, _) = await EngineHarness.InMemoryAsync(new TestServerOptions(), Finalized with { StopWhereCredentialsAreNeeded = false }, TestContext.Current.CancellationToken);
        Assert.False(strict.Success);
        Assert.Equal(ConnectionPhase.CredSsp, strict.Diagnosis!.Phase);
        Assert.Equal("credentials-required", strict.Diagnosis.Cause.Name);
        Assert.Equal(ExitCodes.CredSsp, ExitCodes.For(strict));
    }

    [Theory]
    [InlineData("mcs.connect-response:close", "mcs", "closed-by-peer")]
    [InlineData("mcs.connect-response:reset", "mcs", "reset")]
    [InlineData("mcs.connect-response:garbage", "mcs", "malformed-response")]
    [InlineData("mcs.connect-response:truncated", "mcs", "truncated-response")]
    [InlineData("mcs.connect-response:ultimatum", "mcs", "disconnect-ultimatum:rn-provider-initiated")]
    [InlineData("mcs.connect-response:reject", "mcs", "connect-response-result:rt-unspecified-failure")]
    [InlineData("mcs.connect-response:stall", "mcs", "timeout")]
    [InlineData("mcs.attach-user-confirm:reject", "mcs", "attach-user-result:rt-too-many-users")]
    [InlineData("mcs.attach-user-confirm:close", "mcs", "closed-by-peer")]
    [InlineData("mcs.channel-join-confirm:reject", "mcs", "channel-join-result:rt-no-such-channel")]
    [InlineData("mcs.channel-join-confirm:ultimatum", "mcs", "disconnect-ultimatum:rn-provider-initiated")]
    [InlineData("licensing.license:close", "licensing", "closed-by-peer")]
    [InlineData("licensing.license:reject", "licensing", "license-error:ERR_NO_LICENSE_SERVER")]
    [InlineData("licensing.license:error-info", "licensing", "server-error-info:ERRINFO_SERVER_DENIED_CONNECTION")]
    [InlineData("licensing.license:garbage", "licensing", "malformed-response")]
    [InlineData("capabilities.demand-active:close", "capabilities", "closed-by-peer")]
    [InlineData("capabilities.demand-active:error-info", "capabilities", "server-error-info:ERRINFO_SERVER_DENIED_CONNECTION")]
    [InlineData("capabilities.demand-active:truncated", "capabilities", "truncated-response")]
    [InlineData("finalization.font-map:close", "finalization", "closed-by-peer")]
    [InlineData("finalization.font-map:reset", "finalization", "reset")]
    [InlineData("finalization.font-map:error-info", "finalization", "server-error-info:ERRINFO_SERVER_DENIED_CONNECTION")]
    [InlineData("finalization.font-map:ultimatum", "finalization", "disconnect-ultimatum:rn-provider-initiated")]
    [InlineData("licensing.license:flood", "licensing", "no-progress")]
    [InlineData("capabilities.demand-active:flood", "capabilities", "no-progress")]
    [InlineData("finalization.font-map:flood", "finalization", "no-progress")]
    public async Task Each_fault_in_the_later_phases_gives_its_phase_and_cause(string fault, string phase, string cause)
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(TlsOnly(F(fault)), Finalized, TestContext.Current.CancellationToken);

        Assert.False(report.Success, report.Verdict);
        Assert.Equal(phase, report.Diagnosis!.Phase.Name());
        Assert.Equal(cause, report.Diagnosis.Cause.Name);
        Assert.NotEmpty(report.Diagnosis.Explanation);
        Assert.NotEmpty(report.Diagnosis.Remedy);
        Assert.DoesNotContain("no catalogue entry", report.Diagnosis.Explanation, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.ForPhase(report.Diagnosis.Phase), ExitCodes.For(report));
    }

    [Theory]
    [InlineData("mcs.connect-response", "mcs")]
    [InlineData("licensing.license", "licensing")]
    [InlineData("capabilities.demand-active", "capabilities")]
    [InlineData("finalization.font-map", "finalization")]
    public async Task A_dripping_or_lying_server_at_any_later_step_ends_at_the_read_deadline(string step, string phase)
    {
        // Drip: one byte every 100 ms (over TLS, one record per byte) never completes a frame within the 2 s
        // read timeout; oversize: a TPKT length of 65535 announces bytes that never come. Both end as
        // timeout-mid-answer within the deadline, with what did arrive in the evidence.
        var drip = new Fault(step, FaultKind.Drip) { DripInterval = TimeSpan.FromMilliseconds(100) };
        (ProbeReport dripped, _) = await EngineHarness.InMemoryAsync(TlsOnly(drip), Finalized, TestContext.Current.CancellationToken);
        Assert.Equal((phase, "timeout-mid-answer"), (dripped.Diagnosis!.Phase.Name(), dripped.Diagnosis.Cause.Name));
        Assert.NotNull(dripped.Diagnosis.Evidence.ReceivedHex);

        (ProbeReport lying, _) = await EngineHarness.InMemoryAsync(TlsOnly(F($"{step}:oversize-length")), Finalized, TestContext.Current.CancellationToken);
        Assert.Equal((phase, "timeout-mid-answer"), (lying.Diagnosis!.Phase.Name(), lying.Diagnosis.Cause.Name));
        Assert.Equal(65535, lying.Diagnosis.Evidence.ExpectedLength);
    }

    [Fact]
    public async Task Error_info_carries_its_code_as_mstscs_extended_reason()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(
            TlsOnly(F("licensing.license:error-info")) with { ErrorInfo = 0x0009 }, Finalized, TestContext.Current.CancellationToken);

        Assert.Equal("server-error-info:ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES", report.Diagnosis!.Cause.Name);
        Assert.Equal(0x3, report.Diagnosis.Mstsc!.DisconnectReason);
        Assert.Equal(0x9, report.Diagnosis.Mstsc.ExtendedReason);
        Assert.Equal("ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES", report.Session!.ErrorInfo!.Name);
        Assert.Contains(report.Steps, s => s.Name == "session.error-info");
    }

    [Theory]
    [InlineData(ConnectionPhase.Mcs, ServerStage.ChannelJoined)]
    [InlineData(ConnectionPhase.Licensing, ServerStage.DemandActiveSent)] // the server sends its Demand Active right after licensing, unasked
    [InlineData(ConnectionPhase.Capabilities, ServerStage.ConfirmActiveReceived)]
    public async Task Until_ends_each_phase_with_a_clean_disconnect_the_server_sees(ConnectionPhase until, ServerStage stage)
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> records) = await EngineHarness.InMemoryAsync(TlsOnly(), Finalized with { Until = until }, TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(until, report.Reached);
        Assert.Equal("disconnect", report.Steps[^1].Name);
        Assert.Equal(stage, Assert.Single(records).Stage);
    }

    [Fact]
    public async Task A_broker_redirection_is_reported_and_followed_on_request_with_its_routing_token()
    {
        // The target listens on 127.0.0.2 and the broker on 127.0.0.1, on the same port: a redirection names a
        // host, and the client keeps the port.
        await using var target = new RdpTestServer(TlsOnly());
        IPEndPoint targetEnd = target.Start(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        const string cookie = "Cookie: msts=3640205228.15629.0000";
        var packet = new ServerRedirectionPacket(7, RedirectionFlags.TargetNetAddress | RedirectionFlags.LoadBalanceInfo,
            TargetNetAddress: ServerRedirectionPacket.Text("127.0.0.2"), LoadBalanceInfo: new ByteString(System.Text.Encoding.ASCII.GetBytes(cookie + "\r\n")));
        await using var broker = new RdpTestServer(TlsOnly() with { Redirection = packet });
        try
        {
            broker.Start(new IPEndPoint(IPAddress.Loopback, targetEnd.Port));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            Assert.Skip($"port {targetEnd.Port} is taken on 127.0.0.1: {ex.Message}");
        }

        var brokerTarget = new ProbeTarget("127.0.0.1", targetEnd.Port);
        ProbeReport reported = await new RdpProber().ProbeAsync(brokerTarget, EngineHarness.FastOptions(Finalized), TestContext.Current.CancellationToken);
        Assert.Equal("redirected", reported.Diagnosis!.Cause.Name);
        Assert.Equal("127.0.0.2", reported.Session!.RedirectionTarget);
        Assert.Equal(cookie, reported.Session.RedirectionRoutingToken);
        Assert.Contains(reported.Session.Redirection!, f => f.Name == "TargetNetAddress" && f.Value.Contains("127.0.0.2", StringComparison.Ordinal));

        ProbeReport followed = await new RdpProber().ProbeAsync(brokerTarget, EngineHarness.FastOptions(Finalized with { FollowRedirects = 1 }), TestContext.Current.CancellationToken);
        Assert.True(followed.Success, followed.Verdict);
        Assert.Equal(ConnectionPhase.Finalization, followed.Reached);
        Assert.Equal($"127.0.0.2:{targetEnd.Port}", followed.Target);
        ProbeReport hop = Assert.Single(followed.PreviousHops);
        Assert.Equal("redirected", hop.Diagnosis!.Cause.Name);
        Assert.Contains("redirection", followed.Verdict, StringComparison.Ordinal);

        IReadOnlyList<ServerConnectionRecord> records = await target.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal(cookie, Assert.Single(records).Request!.RoutingToken);
    }
}
