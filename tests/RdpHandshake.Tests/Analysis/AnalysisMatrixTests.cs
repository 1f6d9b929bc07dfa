using RdpHandshake.Analysis;
using RdpHandshake.Capture;
using RdpHandshake.Crypto;
using RdpHandshake.Crypto.StandardSecurity;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests.Analysis;

/// <summary>
/// Every fault of the hostile-server matrix, probed in memory with the key log on, the probe's own capture
/// (<see cref="ProbeReport.Wire"/> through <see cref="PcapngWriter"/>) analysed with that key log: the analysis names the
/// same phase and cause as the live probe. Over Standard RDP Security, whose client random travels encrypted with the
/// server's key, the probe's RDP_STANDARD_SECURITY key line lets the analysis decrypt both directions and agree at
/// every step; without that line it must agree up to the Security Exchange and say that it stops seeing there.
/// </summary>
public sealed class AnalysisMatrixTests
{
    public static TheoryData<string> Tls => Cases(tls: true);

    public static TheoryData<string> Standard => Cases(tls: false);

    private static TheoryData<string> Cases(bool tls)
    {
        var data = new TheoryData<string>();
        foreach (string step in FaultSteps.All)
        {
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

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Over_tls_the_analysis_of_the_probes_capture_names_the_probes_phase_and_cause(string fault)
    {
        (ProbeReport probe, ConnectionAnalysis analysis) = await ProbeAndAnalyseAsync(fault, tls: true);
        Diagnosis expected = probe.Diagnosis!;
        Assert.True(analysis.Report.Diagnosis is { } got && got.Phase == expected.Phase && got.Cause.Id == expected.Cause.Id && got.Cause.Detail == expected.Cause.Detail,
            $"{fault}: probe {expected.Phase.Name()}/{expected.Cause.Name}, analysis {analysis.Report.Diagnosis?.Phase.Name()}/{analysis.Report.Diagnosis?.Cause.Name} ({analysis.Report.Verdict})");
    }

    [Theory]
    [MemberData(nameof(Standard))]
    public async Task Over_standard_security_the_analysis_with_the_probes_key_log_names_the_probes_phase_and_cause(string fault)
    {
        (ProbeReport probe, ConnectionAnalysis analysis) = await ProbeAndAnalyseAsync(fault, tls: false);
        Diagnosis expected = probe.Diagnosis!;
        string said = $"{fault}: probe {expected.Phase.Name()}/{expected.Cause.Name}, analysis {ConnectionAnalysis.StatusName(analysis.Status)} {analysis.Report.Diagnosis?.Phase.Name()}/{analysis.Report.Diagnosis?.Cause.Name} ({analysis.Report.Verdict})"
            + string.Concat(analysis.Report.Steps.Select(s => $"\n  {s.Name} {s.Outcome}: {s.Summary} {Convert.ToHexStringLower(s.Sent ?? [])[..Math.Min(80, (s.Sent ?? []).Length * 2)]}"));
        Assert.True(analysis.Report.Diagnosis is { } got && got.Phase == expected.Phase && got.Cause.Id == expected.Cause.Id && got.Cause.Detail == expected.Cause.Detail, said);
        Assert.DoesNotContain(analysis.Findings, f => f.Code is "decrypt-failed" or "keylog-mismatch");
    }

    [Theory]
    [MemberData(nameof(Standard))]
    public async Task Over_standard_security_without_the_key_line_the_analysis_agrees_up_to_the_security_exchange_and_says_where_it_stops(string fault)
    {
        (ProbeReport probe, ConnectionAnalysis analysis) = await ProbeAndAnalyseAsync(fault, tls: false, standardKeys: false);
        Diagnosis expected = probe.Diagnosis!;
        string said = $"{fault}: probe {expected.Phase.Name()}/{expected.Cause.Name}, analysis {ConnectionAnalysis.StatusName(analysis.Status)} {analysis.Report.Diagnosis?.Phase.Name()}/{analysis.Report.Diagnosis?.Cause.Name} ({analysis.Report.Verdict})";
        if (analysis.Status == AnalysisStatus.NotVisible)
        {
            Assert.True(analysis.VisibilityEnds is { } ends && ends.StartsWith("visibility ends at the Security Exchange", StringComparison.Ordinal) && ends.Contains(StandardSecurityProvider.KeyLogLabel, StringComparison.Ordinal), said);
            Assert.True(expected.Phase >= ConnectionPhase.Security, said);
            return;
        }

        Assert.True(analysis.Report.Diagnosis is { } got && got.Phase == expected.Phase && got.Cause.Id == expected.Cause.Id, said);
    }

    internal static async Task<(ProbeReport Probe, ConnectionAnalysis Analysis)> ProbeAndAnalyseAsync(string faultText, bool tls, bool standardKeys = true)
    {
        Assert.True(Fault.TryParse(faultText, out Fault? parsed, out string? error), error);
        Fault fault = parsed! with { DripInterval = TimeSpan.FromMilliseconds(300) };
        bool nla = fault.Step is FaultSteps.CredSspChallenge or FaultSteps.CredSspPubKey;
        TestServerOptions server = tls
            ? new TestServerOptions { Accepted = nla ? SecurityProtocols.Hybrid : SecurityProtocols.Ssl, Faults = [fault] }
            : new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true, Faults = [fault] };
        var secrets = new List<string>();
        ProbeOptions options = new() { Until = ConnectionPhase.Finalization, KeyLog = line => { lock (secrets) { secrets.Add(line); } } };
        if (nla)
        {
            TestAccount account = server.Accounts[0];
            options = options with { Credentials = Credentials.Parse(account.User, new Secret(account.Password)) };
        }

        if (!tls)
        {
            options = options with { Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp, Cookie = "rdphs" } };
        }

        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);
        Assert.NotNull(report.Diagnosis);
        string path = Path.Combine(Path.GetTempPath(), $"rdphs-analysis-{Guid.NewGuid():n}.pcapng");
        try
        {
            using (FileStream file = File.Create(path))
            {
                PcapngWriter.Write(report.Wire!, file);
            }

            var keys = new TlsKeyLog();
            foreach (string line in secrets.Where(l => standardKeys || !l.StartsWith(StandardSecurityProvider.KeyLogLabel, StringComparison.Ordinal)))
            {
                keys.Add(line);
            }

            AnalysisReport analysis = CaptureAnalyzer.Analyze(path, new AnalysisOptions { Keys = keys });
            return (report, Assert.Single(analysis.Connections));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
