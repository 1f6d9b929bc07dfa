using RdpHandshake.Crypto;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;
using RdpHandshake.Transport;

namespace RdpHandshake.Tests;

/// <summary>
/// The whole hostile-server matrix: every fault the test server can inject, at every step that supports it, over
/// TLS (with NLA for the CredSSP steps) and over Standard RDP Security. Each run must end in a diagnosis that names the step, within the read
/// deadline, without an unhandled exception, and without the client ever holding more received bytes than the
/// frame bound allows.
/// </summary>
public abstract class HostileServerMatrixTests
{
    /// <summary>
    /// The most received bytes the client may hold during one step: the step's frame bound or the transport's receive
    /// window (whichever is larger: a server may have sent more than one frame), plus one receive buffer that the
    /// transport fills before it looks at the window.
    /// </summary>
    internal static long BufferBound(StepRecord step) =>
        Math.Max(step.FrameBound, SocketTransport.ReceiveWindow) + SocketTransport.ReceiveSegment;

    protected static readonly TimeSpan ReadTimeout = EngineHarness.FastOptions().ReadTimeout;

    /// <summary>How long a run may take beyond its read deadline: the handshakes done before the faulty step, on a loaded machine.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(4);

    private static string PhaseOf(string step) => step switch
    {
        FaultSteps.TcpAccept or FaultSteps.X224Confirm => "x224",
        _ => step[..step.IndexOf('.', StringComparison.Ordinal)],
    };

    /// <summary>The step (or, for TLS, the step prefix: the timeline names each handshake message) the client waits in when the fault hits.</summary>
    private static string ClientStepOf(string step) => step switch
    {
        FaultSteps.TcpAccept => FaultSteps.X224Confirm,
        FaultSteps.TlsServerHello => "tls.",
        _ => step,
    };

    /// <summary>
    /// Where a diagnosis other than the step's own is the right one. The server sends its Demand Active right after
    /// its licensing PDU, unasked; a reset in place of the Demand Active discards what was still unread (as a TCP
    /// RST does), so the client may rightly still be waiting for the licensing PDU. And under Standard RDP Security a
    /// repeated encrypted PDU is a replay that fails its MAC check: decrypt-failed, in the phase of the step it arrives in.
    /// </summary>
    private static bool IsAlsoRight(Fault fault, bool tls, Diagnosis diagnosis) => (fault.Step, fault.Kind) switch
    {
        (FaultSteps.CapabilitiesDemandActive, FaultKind.Reset) =>
            diagnosis.Cause is { Phase: ConnectionPhase.Licensing, Id: CauseId.Reset },
        (_, FaultKind.RepeatPrevious) when !tls => diagnosis.Cause.Id == CauseId.DecryptFailed,
        _ => false,
    };

    protected static TheoryData<string> Cases(bool tls)
    {
        var data = new TheoryData<string>();
        foreach (string step in FaultSteps.All)
        {
            // The Kerberos steps need a KDC and a Kerberos client: HostileServerMatrixOverKerberosTests runs them with the
            // test KDC, the integration tests with MIT's (KerberosTestServerTests).
            if (FaultSteps.Kerberos.Contains(step) || (!tls && step is FaultSteps.TlsServerHello or FaultSteps.CredSspChallenge or FaultSteps.CredSspPubKey))
            {
                continue;
            }

            foreach (FaultKind kind in FaultSteps.KindsAt(step))
            {
                data.Add($"{step}:{FaultNames.Name(kind)}");
            }
        }

        return data;
    }

    protected static async Task RunAsync(string faultText, bool tls)
    {
        Assert.True(Fault.TryParse(faultText, out Fault? parsed, out string? error), error);
        // Drip faster than the default second per byte, but slow enough that even the shortest answer (an 11-byte
        // Attach User Confirm) cannot complete within the read deadline.
        Fault fault = parsed! with { DripInterval = TimeSpan.FromMilliseconds(300) };
        bool nla = fault.Step is FaultSteps.CredSspChallenge or FaultSteps.CredSspPubKey;
        TestServerOptions server = tls
            ? new TestServerOptions { Accepted = nla ? SecurityProtocols.Hybrid : SecurityProtocols.Ssl, Faults = [fault] }
            : new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true, Faults = [fault] };
        ProbeOptions options = new() { Until = ConnectionPhase.Finalization };
        if (nla)
        {
            TestAccount account = server.Accounts[0];
            options = options with { Credentials = Credentials.Parse(account.User, new Secret(account.Password)) };
        }

        if (!tls)
        {
            options = options with { Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp, Cookie = "rdphs" } };
        }

        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> records) =
            await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);

        ServerConnectionRecord record = Assert.Single(records);
        Assert.Equal(fault, record.FaultInjected);
        Assert.False(report.Success, $"{faultText}: the run succeeded although the server misbehaved ({record.Ending})");
        Diagnosis diagnosis = report.Diagnosis!;
        string said = $"{faultText}: {diagnosis.Phase.Name()}/{diagnosis.Cause.Name} at {diagnosis.Evidence.Step}: {diagnosis.Summary} (server: {record.Ending})";
        if (!IsAlsoRight(fault, tls, diagnosis))
        {
            Assert.True(PhaseOf(fault.Step) == diagnosis.Phase.Name(), said);
            Assert.True((diagnosis.Evidence.Step ?? string.Empty).StartsWith(ClientStepOf(fault.Step), StringComparison.Ordinal), said);
        }

        Assert.NotEqual(CauseId.InternalError, diagnosis.Cause.Id);
        Assert.DoesNotContain("no catalogue entry", diagnosis.Explanation, StringComparison.Ordinal);
        Assert.NotEmpty(diagnosis.Remedy);

        StepRecord failed = report.Steps.Last();
        Assert.NotEqual(StepOutcome.Ok, failed.Outcome);
        Assert.True(failed.Duration <= ReadTimeout + TimeSpan.FromSeconds(1), $"{faultText}: step {failed.Name} took {failed.Duration}");
        Assert.True(report.Elapsed <= ReadTimeout + Slack, $"{faultText}: the run took {report.Elapsed}");
        Assert.All(report.Steps, step => Assert.True(
            step.PeakBuffered <= BufferBound(step),
            $"{faultText}: step {step.Name} held {step.PeakBuffered} received bytes, above its bound {BufferBound(step)}"));
    }
}

/// <summary>The matrix over TLS (PROTOCOL_SSL).</summary>
public sealed class HostileServerMatrixOverTlsTests : HostileServerMatrixTests
{
    public static TheoryData<string> All => Cases(tls: true);

    [Theory]
    [MemberData(nameof(All))]
    public Task Every_fault_at_every_step_ends_in_a_bounded_diagnosis_naming_the_step(string fault) => RunAsync(fault, tls: true);

    [Fact]
    public async Task A_trickle_of_pdus_that_answer_nothing_ends_one_read_timeout_after_the_last_request_and_says_so()
    {
        var trickle = new Fault(FaultSteps.LicensingLicense, FaultKind.Trickle) { DripInterval = TimeSpan.FromMilliseconds(200) };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions { Accepted = SecurityProtocols.Ssl, Faults = [trickle] }, new ProbeOptions(), TestContext.Current.CancellationToken);

        Assert.Equal((ConnectionPhase.Licensing, CauseId.Timeout), (report.Diagnosis!.Phase, report.Diagnosis.Cause.Id));
        int notices = report.Steps.Count(s => s.Name == "session.save-session-info");
        Assert.InRange(notices, 2, 15); // about one every 200 ms for the 2 s read timeout
        Assert.Contains($"{notices} PDU(s) that do not answer it arrived meanwhile", report.Diagnosis.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_flight_sent_record_by_record_too_slowly_ends_at_one_read_deadline_for_the_whole_flight()
    {
        // 6 ms a byte (never less; a busy machine only lengthens each delay): the ServerHello record (about 130 bytes)
        // completes within the 2 s read timeout with room for such a machine, the Certificate record (over 800 bytes)
        // cannot. The deadline runs from the ClientHello for the flight, not afresh for each record: afresh, the wait
        // would be the ServerHello's 0.8 s or more plus a whole read timeout, past the bound asserted below.
        var drip = new Fault(FaultSteps.TlsServerHello, FaultKind.Drip) { DripInterval = TimeSpan.FromMilliseconds(6) };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions { Accepted = SecurityProtocols.Ssl, Faults = [drip] }, new ProbeOptions(), TestContext.Current.CancellationToken);

        Assert.Equal((ConnectionPhase.Tls, CauseId.TimeoutMidAnswer), (report.Diagnosis!.Phase, report.Diagnosis.Cause.Id));
        Assert.Contains(report.Steps, s => s.Name == "tls.server-hello" && s.Outcome == StepOutcome.Ok);
        TimeSpan waited = report.Steps.Where(s => s.Phase == ConnectionPhase.Tls && s.Name != "tls.client-hello").Aggregate(TimeSpan.Zero, (sum, s) => sum + (s.Duration ?? TimeSpan.Zero));
        Assert.True(waited < ReadTimeout + TimeSpan.FromMilliseconds(500), $"the flight was waited for {waited}, beyond one read timeout ({ReadTimeout})");
    }
}

/// <summary>The matrix over Standard RDP Security.</summary>
public sealed class HostileServerMatrixOverStandardSecurityTests : HostileServerMatrixTests
{
    public static TheoryData<string> All => Cases(tls: false);

    [Theory]
    [MemberData(nameof(All))]
    public Task Every_fault_at_every_step_ends_in_a_bounded_diagnosis_naming_the_step(string fault) => RunAsync(fault, tls: false);
}
