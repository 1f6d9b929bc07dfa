using System.Net;
using System.Net.Sockets;
using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// The engine against the test server: every fault the server can inject at the X.224 steps ends in a
/// diagnosis naming the phase and cause, over loopback TCP and in memory alike.
/// </summary>
public sealed class ProbeAgainstTestServerTests
{
    public static TheoryData<string, string, string> Faults => new()
    {
        { "x224.confirm:close", "loopback", "closed-by-peer" },
        { "x224.confirm:close", "memory", "closed-by-peer" },
        { "x224.confirm:reset", "loopback", "reset" },
        { "x224.confirm:reset", "memory", "reset" },
        { "x224.confirm:stall", "loopback", "timeout" },
        { "x224.confirm:stall", "memory", "timeout" },
        { "x224.confirm:garbage", "loopback", "malformed-response" },
        { "x224.confirm:garbage", "memory", "malformed-response" },
        { "x224.confirm:truncated", "loopback", "truncated-response" },
        { "x224.confirm:truncated", "memory", "truncated-response" },
        { "x224.confirm:oversize-length", "loopback", "malformed-response" },
        { "x224.confirm:oversize-length", "memory", "malformed-response" },
        { "x224.confirm:wrong-tpkt-version", "loopback", "malformed-response" },
        { "x224.confirm:wrong-tpkt-version", "memory", "malformed-response" },
        { "x224.confirm:drip", "loopback", "timeout-mid-answer" },
        { "x224.confirm:drip", "memory", "timeout-mid-answer" },
        { "x224.confirm:disconnect-request", "loopback", "x224-disconnect-request" },
        { "x224.confirm:disconnect-request", "memory", "x224-disconnect-request" },
        { "tcp.accept:close", "loopback", "closed-by-peer" },
        // A reset sent the instant the connection is accepted races our own Connection Request on loopback:
        // Linux reports ECONNRESET to whichever call comes first, and when the send gets it, the receive sees
        // a plain end of stream. Under load the reset can even arrive before the connect completes, and the
        // connect itself fails with ECONNRESET (phase tcp). All three are what the socket API says.
        // x224.confirm:reset, which resets after the request has arrived, is always seen as a reset in x224.
        { "tcp.accept:reset", "loopback", "reset|closed-by-peer" },
        { "tcp.accept:stall", "loopback", "timeout" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Every_injected_fault_ends_in_a_diagnosis_naming_phase_and_cause(string faultText, string transport, string cause)
    {
        Assert.True(Fault.TryParse(faultText, out Fault? fault, out string? error), error);
        var serverOptions = new TestServerOptions { Faults = [fault! with { DripInterval = TimeSpan.FromMilliseconds(300) }] };
        (ProbeReport report, _) = transport == "loopback"
            ? await EngineHarness.OverLoopbackAsync(serverOptions, cancellationToken: TestContext.Current.CancellationToken)
            : await EngineHarness.InMemoryAsync(serverOptions, cancellationToken: TestContext.Current.CancellationToken);

        Diagnosis diagnosis = Assert.IsType<Diagnosis>(report.Diagnosis);
        Assert.Contains(diagnosis.Cause.Name, cause.Split('|'));
        Assert.False(string.IsNullOrWhiteSpace(diagnosis.Remedy));
        if (faultText == "tcp.accept:reset" && diagnosis.Phase == ConnectionPhase.Tcp)
        {
            Assert.Equal("reset", diagnosis.Cause.Name);
            Assert.Equal(ExitCodes.Tcp, ExitCodes.For(report));
            return;
        }

        Assert.Equal(ConnectionPhase.X224, diagnosis.Phase);
        Assert.Equal("x224.confirm", diagnosis.Evidence.Step);
        Assert.Equal(ExitCodes.X224, ExitCodes.For(report));
        Assert.Equal(ConnectionPhase.Tcp, report.Reached);
        StepRecord failed = report.Steps[^1];
        Assert.Equal("x224.confirm", failed.Name);
        Assert.Equal(StepOutcome.Failed, failed.Outcome);
        Assert.NotNull(failed.Duration);
    }

    [Fact]
    public async Task Closed_and_reset_sockets_carry_mstsc_0x904()
    {
        foreach (string faultText in new[] { "x224.confirm:close", "x224.confirm:reset" })
        {
            Fault.TryParse(faultText, out Fault? fault, out _);
            (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(new TestServerOptions { Faults = [fault!] }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(0x904, report.Diagnosis!.Mstsc!.DisconnectReason);
        }
    }

    [Fact]
    public async Task Truncated_answer_shows_how_much_of_the_announced_length_arrived()
    {
        Fault.TryParse("x224.confirm:truncated", out Fault? fault, out _);
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { Faults = [fault!] }, cancellationToken: TestContext.Current.CancellationToken);
        Evidence evidence = report.Diagnosis!.Evidence;
        Assert.Equal(19, evidence.ExpectedLength);
        Assert.Equal("030000130ed0000012", evidence.ReceivedHex);
        Assert.Equal("closed", evidence.TransportEnd);
    }

    [Fact]
    public async Task Oversize_length_is_rejected_at_once_not_waited_for()
    {
        // With a 30 s timeout, a reader that waited for 65535 bytes would end in "timeout"; the bound makes
        // it a malformed answer instead, decided from the header alone.
        Fault.TryParse("x224.confirm:oversize-length", out Fault? fault, out _);
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(
            new TestServerOptions { Faults = [fault!] },
            EngineHarness.FastOptions() with { ReadTimeout = TimeSpan.FromSeconds(30) },
            TestContext.Current.CancellationToken);
        Assert.Equal(CauseId.MalformedResponse, report.Diagnosis!.Cause.Id);
        Assert.Contains("length 65535 exceeds the limit of 259", report.Diagnosis.Evidence.DecodeError, StringComparison.Ordinal);
        // The evidence holds what arrived of the answer, up to what the Connection Confirm step looks at to name a foreign protocol.
        Assert.StartsWith("0300ffff", report.Diagnosis.Evidence.ReceivedHex, StringComparison.Ordinal);
        Assert.True(report.Diagnosis.Evidence.ReceivedHex!.Length <= 2 * NonRdpAnswer.PeekLength, report.Diagnosis.Evidence.ReceivedHex);
    }

    [Fact]
    public async Task A_successful_run_records_every_step_with_its_bytes()
    {
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.OverLoopbackAsync(
            new TestServerOptions(), new ProbeOptions { Until = ConnectionPhase.Tls }, TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ExitCodes.Success, ExitCodes.For(report));
        Assert.Equal(ConnectionPhase.Tls, report.Reached);
        Assert.Equal(
            ["tcp.connect", "x224.request", "x224.confirm", "tls.client-hello", "tls.server-hello", "tls.certificate", "tls.finished"],
            report.Steps.Select(s => s.Name));
        Assert.All(report.Steps, s => Assert.Equal(StepOutcome.Ok, s.Outcome));
        Assert.Equal(SecurityProtocols.HybridEx, report.Negotiation!.Selected);

        ServerConnectionRecord record = Assert.Single(server);
        Assert.Equal(record.RequestBytes, report.Steps[1].Sent);
        Assert.Equal(19, report.Steps[2].Received.Length);
        Assert.Equal("rdphs", record.Request!.Cookie);
        Assert.Equal(SecurityProtocols.Ssl | SecurityProtocols.Hybrid | SecurityProtocols.HybridEx, record.Request.NegotiationRequest!.RequestedProtocols);

        // Both ends agree on what TLS negotiated, and the ClientHello the server saw is the one recorded.
        Assert.Equal(record.BytesAfterNegotiation, report.Steps[3].Sent);
        Assert.Equal(Tls.TlsNames.Version(report.Tls!.Version), record.TlsVersion);
        Assert.Equal(report.Tls.CipherSuite, record.TlsCipherSuite);
        Assert.True(report.Tls.HandshakeComplete);
    }

    [Fact]
    public async Task Until_x224_stops_before_tls()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions(), EngineHarness.FastOptions() with { Until = ConnectionPhase.X224 }, TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.X224, report.Reached);
        Assert.Equal("x224.confirm", report.Steps[^1].Name);
        Assert.Null(report.Tls);
    }

    [Fact]
    public async Task A_tls_only_server_refuses_a_standard_security_client_with_SSL_REQUIRED_BY_SERVER()
    {
        var serverOptions = new TestServerOptions { Accepted = SecurityProtocols.Ssl, AcceptStandardSecurity = false };
        var options = new ProbeOptions { Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp } };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(serverOptions, options, TestContext.Current.CancellationToken);
        Assert.Equal("negotiation-failure:SSL_REQUIRED_BY_SERVER", report.Diagnosis!.Cause.Name);
        Assert.Equal(NegotiationFailureCode.SslRequiredByServer, report.Negotiation!.FailureCode);
    }

    [Fact]
    public async Task An_nla_only_server_refuses_a_tls_client_with_HYBRID_REQUIRED_BY_SERVER()
    {
        var serverOptions = new TestServerOptions { Accepted = SecurityProtocols.Hybrid, AcceptStandardSecurity = false };
        var options = new ProbeOptions { Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl } };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(serverOptions, options, TestContext.Current.CancellationToken);
        // The X.224 answer is a negotiation failure; the diagnosis names what it means, NLA is required, in the phase of
        // the step where the attempt ended: x224.
        Assert.Equal("nla-required", report.Diagnosis!.Cause.Name);
        Assert.Equal(ConnectionPhase.X224, report.Diagnosis.Phase);
        Assert.Equal(ExitCodes.X224, ExitCodes.For(report));
        Assert.Equal(NegotiationFailureCode.HybridRequiredByServer, report.Negotiation!.FailureCode);
        Assert.Equal("x224.confirm", report.Diagnosis.Evidence.Step);
    }

    [Fact]
    public async Task Connection_refused_is_a_tcp_failure_with_its_own_exit_code()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Close(); // nothing listens on the port now

        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", port), EngineHarness.FastOptions(), TestContext.Current.CancellationToken);
        Assert.Equal(ConnectionPhase.Tcp, report.Diagnosis!.Phase);
        Assert.Equal("connection-refused", report.Diagnosis.Cause.Name);
        Assert.Equal(ExitCodes.Tcp, ExitCodes.For(report));
        Assert.Null(report.Reached);
        Assert.Equal("ConnectionRefused", report.Diagnosis.Evidence.SocketError);
        Assert.Equal(StepOutcome.Failed, Assert.Single(report.Steps).Outcome);
    }

    [Fact]
    public async Task Cancelling_mid_step_gives_a_partial_report_with_the_step_in_flight()
    {
        Fault.TryParse("x224.confirm:stall", out Fault? fault, out _);
        await using var server = new RdpTestServer(new TestServerOptions { Faults = [fault!] });
        IPEndPoint endpoint = server.Start();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var prober = new RdpProber
        {
            StepObserver = step =>
            {
                if (step.Name == "x224.confirm" && step.Outcome == StepOutcome.InFlight)
                {
                    cts.CancelAfter(50);
                }
            },
        };

        ProbeReport report = await prober.ProbeAsync(
            new ProbeTarget("127.0.0.1", endpoint.Port),
            EngineHarness.FastOptions() with { ReadTimeout = TimeSpan.FromSeconds(30) },
            cts.Token);

        Assert.True(report.Interrupted);
        Assert.Equal(ExitCodes.Interrupted, ExitCodes.For(report));
        Assert.Equal("x224.confirm", report.Diagnosis!.Evidence.Step);
        Assert.Equal(StepOutcome.Interrupted, report.Steps[^1].Outcome);
    }
}
