using RdpHandshake.Diagnostics;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// The hostile-KDC matrix: every fault the test KDC can inject, in the AS and the TGS exchange, over TCP and over UDP
/// where the fault exists there. With Kerberos alone each run must end in a diagnosis that names the KDC step and the
/// cause, within the read deadline, without an unhandled exception, and without the client ever holding more
/// received bytes than the frame bound allows; under Negotiate the same fault ends in NTLM's success exactly when
/// the verdict says Windows would go on with NTLM.
/// </summary>
public abstract class HostileKdcMatrixTests
{
    /// <summary>Short, so that stalls end quickly; the TLS handshake before the KDC steps has its own deadline.</summary>
    protected static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long a run may take beyond its read deadline: the connection and the handshakes before the KDC, on a loaded machine.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(4);

    /// <summary>The cause each fault must end in; null for the one the client recovers from by itself (RESPONSE_TOO_BIG: it asks again over TCP).</summary>
    protected static string? CauseOf(KdcFaultKind kind, KdcTransport transport) => (kind, transport) switch
    {
        (KdcFaultKind.Stall or KdcFaultKind.Drip, _) => "kdc-unreachable:timeout",
        (KdcFaultKind.Close, _) => "kdc-unreachable:closed",
        (KdcFaultKind.Reset, _) => "kdc-unreachable:reset",
        (KdcFaultKind.Truncated, KdcTransport.Tcp) => "kdc-unreachable:truncated",
        (KdcFaultKind.Truncated, KdcTransport.Udp) => "malformed-response",
        (KdcFaultKind.Garbage or KdcFaultKind.GarbageFramed or KdcFaultKind.HugeLength or KdcFaultKind.Unframed, _) => "malformed-response",
        (KdcFaultKind.WrongNonce or KdcFaultKind.WrongKey or KdcFaultKind.OtherPrincipal, _) => "kerberos-reply-invalid",
        (KdcFaultKind.ResponseTooBig, _) => null,
    };

    protected static TheoryData<string> Cases(KdcTransport transport)
    {
        var data = new TheoryData<string>();
        foreach (KdcRequestKind request in Enum.GetValues<KdcRequestKind>())
        {
            foreach (KdcFaultKind kind in Enum.GetValues<KdcFaultKind>())
            {
                var fault = new KdcFault(kind, request, transport);
                if (fault.AppliesOn(transport))
                {
                    data.Add(fault.ToString());
                }
            }
        }

        return data;
    }

    private static async Task<(KdcFault Fault, KerberosRun Run)> RunAsync(string faultText, AuthPackage auth)
    {
        Assert.True(KdcFault.TryParse(faultText, out KdcFault? parsed, out string? error), error);
        // Drip faster than the default second per byte, but slow enough that even the shortest answer cannot complete
        // within the read deadline.
        KdcFault fault = parsed! with { DripInterval = TimeSpan.FromMilliseconds(300) };
        var kdc = new TestKdc(new TestKdcOptions { Faults = [fault] });
        KerberosRun run = await KerberosHarness.ProbeAsync(auth, [kdc], fault.Transport!.Value, ReadTimeout, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(run.KdcRequests, r => r.Fault == fault || kdc.Answers.Any(a => a.Fault == fault));
        return (fault, run);
    }

    protected static async Task RunKerberosAsync(string faultText)
    {
        (KdcFault fault, KerberosRun run) = await RunAsync(faultText, AuthPackage.Kerberos);
        ProbeReport report = run.Report;
        Diagnosis diagnosis = Assert.IsType<Diagnosis>(report.Diagnosis);
        string said = $"{faultText}: {diagnosis.Phase.Name()}/{diagnosis.Cause.Name} at {diagnosis.Evidence.Step}: {diagnosis.Summary}";
        string step = fault.Request == KdcRequestKind.As ? "kerberos.as-exchange" : "kerberos.tgs-exchange";
        if (CauseOf(fault.Kind, fault.Transport!.Value) is { } cause)
        {
            Assert.True(diagnosis.Cause.Name == cause, said);
            Assert.True(diagnosis.Evidence.Step == step, said);
        }
        else
        {
            // Asked again over TCP, the KDC answered: the run goes on to the server, which takes no Kerberos.
            Assert.Equal([KdcTransport.Udp, KdcTransport.Tcp], run.KdcRequests.Where(r => r.Kind == fault.Request).Select(r => r.Transport).Distinct());
            Assert.True(diagnosis.Evidence.Step == "credssp.ap-reply", said);
        }

        Assert.Equal(ConnectionPhase.CredSsp, diagnosis.Phase);
        Assert.NotEqual(CauseId.InternalError, diagnosis.Cause.Id);
        Assert.DoesNotContain("no catalogue entry", diagnosis.Explanation, StringComparison.Ordinal);
        Assert.NotEmpty(diagnosis.Remedy);

        StepRecord failed = report.Steps.Last();
        Assert.Equal(StepOutcome.Failed, failed.Outcome);
        Assert.True(failed.Duration <= ReadTimeout + TimeSpan.FromSeconds(1), $"{faultText}: step {failed.Name} took {failed.Duration}");
        Assert.True(report.Elapsed <= ReadTimeout + Slack, $"{faultText}: the run took {report.Elapsed}");
        Assert.All(report.Steps, s => Assert.True(
            s.PeakBuffered <= HostileServerMatrixTests.BufferBound(s),
            $"{faultText}: step {s.Name} held {s.PeakBuffered} received bytes, above its bound {HostileServerMatrixTests.BufferBound(s)}"));
        Assert.All(report.Steps.Where(s => s.Name.StartsWith("kerberos.", StringComparison.Ordinal)), s => Assert.Empty(s.Received));
    }

    protected static async Task RunNegotiateAsync(string faultText)
    {
        (KdcFault fault, KerberosRun run) = await RunAsync(faultText, AuthPackage.Negotiate);
        ProbeReport report = run.Report;
        string? cause = CauseOf(fault.Kind, fault.Transport!.Value);
        if (cause is not null && cause.StartsWith("kdc-unreachable:", StringComparison.Ordinal))
        {
            Assert.True(report.Success, $"{faultText}: {report.Verdict}");
            string step = fault.Request == KdcRequestKind.As ? "kerberos.as-exchange" : "kerberos.tgs-exchange";
            Assert.Contains(report.Steps, s => s.Name == step && s.Outcome == StepOutcome.Failed);
            Assert.Contains(report.Steps, s => s.Name == "credssp.early-user-auth" && s.Outcome == StepOutcome.Ok);
        }
        else
        {
            Diagnosis diagnosis = Assert.IsType<Diagnosis>(report.Diagnosis);
            Assert.True(diagnosis.Cause.Name == (cause ?? diagnosis.Cause.Name), $"{faultText}: {diagnosis.Cause.Name}: {diagnosis.Summary}");
            Assert.DoesNotContain(report.Steps, s => s.Name == "credssp.negotiate");
        }

        Assert.True(report.Elapsed <= ReadTimeout + Slack + EngineHarness.FastOptions().ReadTimeout, $"{faultText}: the run took {report.Elapsed}");
    }
}

/// <summary>The matrix over TCP.</summary>
public sealed class HostileKdcMatrixOverTcpTests : HostileKdcMatrixTests
{
    public static TheoryData<string> All => Cases(KdcTransport.Tcp);

    [Theory]
    [MemberData(nameof(All))]
    public Task Every_fault_ends_in_a_bounded_diagnosis_naming_the_kdc_step(string fault) => RunKerberosAsync(fault);

    [Theory]
    [MemberData(nameof(All))]
    public Task Under_negotiate_every_fault_falls_back_to_ntlm_or_ends_the_run_as_the_verdict_says(string fault) => RunNegotiateAsync(fault);

    [Fact]
    public async Task A_2_gb_length_prefix_is_refused_from_the_header_not_waited_for()
    {
        var kdc = new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.HugeLength, KdcRequestKind.As)] });
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [kdc], KdcTransport.Tcp, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("malformed-response", run.Report.Diagnosis!.Cause.Name);
        Assert.Contains("length 2147483647 exceeds the limit of 65536", run.Report.Diagnosis.Summary, StringComparison.Ordinal);
        Assert.True(run.Report.Elapsed < TimeSpan.FromSeconds(10), $"the run took {run.Report.Elapsed}");
    }
}

/// <summary>The matrix over UDP: the faults a datagram can have.</summary>
public sealed class HostileKdcMatrixOverUdpTests : HostileKdcMatrixTests
{
    public static TheoryData<string> All => Cases(KdcTransport.Udp);

    [Theory]
    [MemberData(nameof(All))]
    public Task Every_fault_ends_in_a_bounded_diagnosis_naming_the_kdc_step(string fault) => RunKerberosAsync(fault);

    [Theory]
    [MemberData(nameof(All))]
    public Task Under_negotiate_every_fault_falls_back_to_ntlm_or_ends_the_run_as_the_verdict_says(string fault) => RunNegotiateAsync(fault);
}
