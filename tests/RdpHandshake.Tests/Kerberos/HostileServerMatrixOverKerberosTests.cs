using RdpHandshake.Diagnostics;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// The hostile-server matrix at the steps only a Kerberos client reaches (<see cref="FaultSteps.Kerberos"/>), without
/// real peers: the test KDC issues the tickets and writes the keytab the test server's acceptor reads. Every fault the
/// server injects in place of its answer to the AP-REQ ends in a diagnosis at that step, within the read deadline and
/// the frame bound.
/// </summary>
public sealed class HostileServerMatrixOverKerberosTests
{
    private static readonly TimeSpan ReadTimeout = EngineHarness.FastOptions().ReadTimeout;

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (string step in FaultSteps.Kerberos)
        {
            foreach (FaultKind kind in FaultSteps.KindsAt(step))
            {
                data.Add($"{step}:{FaultNames.Name(kind)}");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Every_fault_at_every_kerberos_step_ends_in_a_bounded_diagnosis_naming_the_step(string faultText)
    {
        Assert.True(Fault.TryParse(faultText, out Fault? parsed, out string? error), error);
        Fault fault = parsed! with { DripInterval = TimeSpan.FromMilliseconds(300) };
        var kdc = new TestKdc();
        TestServerOptions server = KerberosHarness.KerberosServer(kdc, new TestServerOptions { Accepted = SecurityProtocols.Hybrid, Faults = [fault] });

        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [kdc], cancellationToken: TestContext.Current.CancellationToken, serverOptions: server);

        ProbeReport report = run.Report;
        Assert.Equal(fault, run.Server.Single().FaultInjected);
        Assert.False(report.Success, $"{faultText}: the run succeeded although the server misbehaved");
        Diagnosis diagnosis = report.Diagnosis!;
        string said = $"{faultText}: {diagnosis.Phase.Name()}/{diagnosis.Cause.Name} at {diagnosis.Evidence.Step}: {diagnosis.Summary}";
        Assert.True(diagnosis.Phase == ConnectionPhase.CredSsp && diagnosis.Evidence.Step == fault.Step, said);
        Assert.NotEqual(CauseId.InternalError, diagnosis.Cause.Id);
        Assert.DoesNotContain("no catalogue entry", diagnosis.Explanation, StringComparison.Ordinal);
        Assert.NotEmpty(diagnosis.Remedy);
        if (fault.Kind == FaultKind.Reject)
        {
            Assert.Equal(CauseId.KerberosRejected, diagnosis.Cause.Id);
        }

        StepRecord failed = report.Steps.Last();
        Assert.NotEqual(StepOutcome.Ok, failed.Outcome);
        Assert.True(failed.Duration <= ReadTimeout + TimeSpan.FromSeconds(1), $"{said}: the step took {failed.Duration}");
        Assert.All(report.Steps, step => Assert.True(
            step.PeakBuffered <= HostileServerMatrixTests.BufferBound(step),
            $"{faultText}: step {step.Name} held {step.PeakBuffered} received bytes, above its bound {HostileServerMatrixTests.BufferBound(step)}"));
    }
}
