using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// The diagnosis rules: the phase is the phase of the step where the attempt ended; a close while the client waits
/// names the client PDUs sent since the server last spoke, aware of the security mode; explain ranks the steps.
/// </summary>
public sealed class DiagnosisRulesTests
{
    private static Fault F(string text)
    {
        Assert.True(Fault.TryParse(text, out Fault? fault, out string? error), error);
        return fault!;
    }

    [Fact]
    public async Task A_negotiation_failure_is_phase_x224_and_its_code_decides_the_cause()
    {
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(
            new TestServerOptions { ForcedFailure = NegotiationFailureCode.HybridRequiredByServer }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal((ConnectionPhase.X224, CauseId.NlaRequired), (report.Diagnosis!.Phase, report.Diagnosis.Cause.Id));
    }

    [Fact]
    public async Task A_close_after_the_client_random_and_client_info_names_them_under_standard_security()
    {
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(
            new TestServerOptions { Accepted = SecurityProtocols.Rdp, Faults = [F("licensing.license:close")] },
            new ProbeOptions { Negotiation = new() { RequestedProtocols = SecurityProtocols.Rdp } },
            TestContext.Current.CancellationToken);

        Diagnosis diagnosis = report.Diagnosis!;
        Assert.Equal(CauseId.ClosedByPeer, diagnosis.Cause.Id);
        Assert.StartsWith("The server ended the connection after the client sent ", diagnosis.Explanation);
        Assert.Contains("security.exchange", diagnosis.Explanation);
        Assert.Contains("security.client-info", diagnosis.Explanation);
        int trigger = diagnosis.Explanation.IndexOf("failed to decrypt the client random", StringComparison.Ordinal);
        int generic = diagnosis.Explanation.IndexOf(DiagnosisCatalog.Lookup(diagnosis.Cause).Explanation, StringComparison.Ordinal);
        Assert.True(trigger > 0 && generic > trigger, diagnosis.Explanation);
    }

    [Fact]
    public async Task A_close_after_the_client_info_under_tls_names_it()
    {
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(
            new TestServerOptions { Accepted = SecurityProtocols.Ssl, Faults = [F("licensing.license:close")] },
            new ProbeOptions { Negotiation = new() { RequestedProtocols = SecurityProtocols.Ssl } },
            TestContext.Current.CancellationToken);

        Diagnosis diagnosis = report.Diagnosis!;
        Assert.Equal(CauseId.ClosedByPeer, diagnosis.Cause.Id);
        Assert.Contains("security.client-info", diagnosis.Explanation);
        Assert.Contains("Under TLS, after the Client Info, the server may have rejected the Client Info", diagnosis.Explanation);
        Assert.DoesNotContain("client random", diagnosis.Explanation);
    }

    [Fact]
    public void Explain_ranks_the_steps_after_mcs_first_for_an_extended_reason()
    {
        var causes = DiagnosisCatalog.WithDisconnectReason(0x904);

        var withExtended = ExplainCommand.Rank(causes, 0x7);
        var without = ExplainCommand.Rank(causes, null);

        Assert.Equal(causes.Count, withExtended.Count);
        Assert.True(withExtended[0].Where.StartsWith("mcs", StringComparison.Ordinal) || withExtended[0].Where is "security" or "licensing" or "capabilities" or "finalization", withExtended[0].Where);
        Assert.Contains(withExtended[^1].Where, new[] { "tcp", "x224", "tls", "credssp" });
        int lastAfterMcs = withExtended.ToList().FindLastIndex(c => c.Where is "mcs" or "security" or "licensing" or "capabilities" or "finalization" || c.Where.StartsWith("mcs", StringComparison.Ordinal));
        int firstBeforeMcs = withExtended.ToList().FindIndex(c => c.Where is "tcp" or "x224" or "tls" or "credssp");
        Assert.True(lastAfterMcs < firstBeforeMcs);
        Assert.Contains(without[0].Where, new[] { "tcp", "x224", "tls", "credssp" });
    }
}
