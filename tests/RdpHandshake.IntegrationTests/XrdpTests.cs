using System.Text.Json;
using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;

namespace RdpHandshake.IntegrationTests;

/// <summary>The engine and the CLI against real xrdp servers on loopback.</summary>
public sealed class XrdpTests(XrdpFixture xrdp) : IClassFixture<XrdpFixture>
{
    private static ProbeOptions Offer(SecurityProtocols protocols) => new()
    {
        Negotiation = new NegotiationOptions { RequestedProtocols = protocols, Cookie = "rdphs" },
        ReadTimeout = TimeSpan.FromSeconds(10),
        Until = ConnectionPhase.Tls,
    };

    [Fact]
    public async Task Default_xrdp_selects_tls_when_offered_tls_and_nla_and_completes_tls_1_3()
    {
        xrdp.Require();
        ProbeReport report = await new RdpProber().ProbeAsync(
            new ProbeTarget("127.0.0.1", xrdp.NegotiatePort),
            Offer(SecurityProtocols.Ssl | SecurityProtocols.Hybrid | SecurityProtocols.HybridEx),
            TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(SecurityProtocols.Ssl, report.Negotiation!.Selected);
        Assert.True(report.Negotiation.ServerSentNegotiationData);
        // xrdp_iso_send_cc sets EXTENDED_CLIENT_DATA_SUPPORTED and SRC-REF 0x1234.
        Assert.Equal(NegotiationResponseFlags.ExtendedClientDataSupported, report.Negotiation.ResponseFlags);
        Assert.Equal("030000130ed000001234000201080001000000", Convert.ToHexStringLower(report.Steps.Single(s => s.Name == "x224.confirm").Received));

        // Debian's xrdp allows TLS 1.2 and 1.3 (ssl_protocols) and presents a self-signed RSA 2048 certificate.
        Assert.Equal(ConnectionPhase.Tls, report.Reached);
        Assert.Equal(RdpHandshake.Protocol.Tls.TlsVersion.Tls13, report.Tls!.Version);
        Assert.Equal(2048, report.Tls.Certificate!.KeyBits);
        Assert.True(report.Tls.Certificate.SelfSigned);
    }

    [Fact]
    public async Task Xrdp_with_security_layer_rdp_selects_standard_rdp_security()
    {
        xrdp.Require();
        ProbeReport report = await new RdpProber().ProbeAsync(
            new ProbeTarget("127.0.0.1", xrdp.RdpPort),
            Offer(SecurityProtocols.Ssl | SecurityProtocols.Hybrid),
            TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(SecurityProtocols.Rdp, report.Negotiation!.Selected);
        Assert.Contains("Standard RDP Security", report.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Xrdp_with_security_layer_tls_refuses_an_rdp_only_client_with_SSL_REQUIRED_BY_SERVER()
    {
        xrdp.Require();
        ProbeReport report = await new RdpProber().ProbeAsync(
            new ProbeTarget("127.0.0.1", xrdp.TlsPort),
            Offer(SecurityProtocols.Rdp),
            TestContext.Current.CancellationToken);

        Assert.False(report.Success);
        Assert.Equal(NegotiationFailureCode.SslRequiredByServer, report.Negotiation!.FailureCode);
        Assert.Equal(ConnectionPhase.X224, report.Diagnosis!.Phase);
        Assert.Equal("negotiation-failure:SSL_REQUIRED_BY_SERVER", report.Diagnosis.Cause.Name);
        Assert.Equal(ExitCodes.X224, ExitCodes.For(report));
        Assert.Equal(StepOutcome.Failed, report.Steps[^1].Outcome);
    }

    [Fact]
    public async Task Protocol_survey_of_default_xrdp()
    {
        xrdp.Require();
        ProtocolSurveyReport survey = await ProtocolSurvey.RunAsync(
            new ProbeTarget("127.0.0.1", xrdp.NegotiatePort),
            Offer(SecurityProtocols.Rdp),
            cancellationToken: TestContext.Current.CancellationToken);

        Dictionary<SecurityProtocols, ProtocolResult> byProtocol = survey.Results.ToDictionary(r => r.Protocol);
        Assert.Equal(ProtocolAnswer.Accepted, byProtocol[SecurityProtocols.Rdp].Answer);
        Assert.Equal(ProtocolAnswer.Accepted, byProtocol[SecurityProtocols.Ssl].Answer);
        // xrdp has no CredSSP: asked for NLA alone, it falls back to Standard RDP Security.
        Assert.Equal(ProtocolAnswer.SelectedOther, byProtocol[SecurityProtocols.Hybrid].Answer);
        Assert.Equal("selected rdp instead", byProtocol[SecurityProtocols.Hybrid].Detail);
        // xrdp 0.9 does not know PROTOCOL_RDSAAD and answers with an MCS Disconnect Provider Ultimatum.
        Assert.Equal(ProtocolAnswer.NoAnswer, byProtocol[SecurityProtocols.RdsAad].Answer);
        Assert.StartsWith("disconnect-ultimatum:rn-user-requested", byProtocol[SecurityProtocols.RdsAad].Detail, StringComparison.Ordinal);
        Assert.Equal(6, survey.Connections);
    }

    [Fact]
    public async Task Cli_probe_json_shows_the_x224_steps_with_xrdps_real_answer()
    {
        xrdp.Require();
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "probe", $"127.0.0.1:{xrdp.NegotiatePort}", "--until", "tls", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());

        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        JsonElement root = json.RootElement;
        Assert.Equal("rdphs.probe/1", root.GetProperty("schema").GetString());
        Assert.Equal("ssl", root.GetProperty("negotiation").GetProperty("selected").GetString());
        JsonElement[] steps = root.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(
            ["tcp.connect", "x224.request", "x224.confirm", "tls.client-hello", "tls.server-hello", "tls.certificate", "tls.finished"],
            steps.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal("1.3", root.GetProperty("tls").GetProperty("version").GetString());
        Assert.Equal("030000130ed000001234000201080001000000", steps[2].GetProperty("received").GetProperty("hex").GetString());
        Assert.Equal("PROTOCOL_SSL (0x00000001)", steps[2].GetProperty("fields").GetProperty("selectedProtocol").GetString());
        Assert.Contains("verdict: OK", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_protocols_against_tls_only_xrdp_reports_rdp_refused()
    {
        xrdp.Require();
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "protocols", $"127.0.0.1:{xrdp.TlsPort}", "-p", "rdp,ssl");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"rdp\s+0x00000000\s+refused\s+SSL_REQUIRED_BY_SERVER", run.StdOut);
        Assert.Matches(@"ssl\s+0x00000001\s+accepted", run.StdOut);
    }

    [Fact]
    public async Task Cli_checks_pass_and_fail_against_xrdp_with_exit_codes_and_junit()
    {
        xrdp.Require();
        string junit = Path.Combine(Directory.CreateTempSubdirectory("rdphs-junit-").FullName, "rdp.xml");
        string target = $"127.0.0.1:{xrdp.NegotiatePort}";
        ProcessResult passing = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "probe", target, "-e", "protocol=ssl", "-e", "tls>=1.2", "-e", "cert.key-bits>=2048", "--junit", junit);
        Assert.True(passing.ExitCode == 0, passing.ToString());
        Assert.Contains("checks: 3 passed, 0 failed", passing.StdOut, StringComparison.Ordinal);
        Assert.Contains("failures=\"0\"", await File.ReadAllTextAsync(junit, TestContext.Current.CancellationToken), StringComparison.Ordinal);

        ProcessResult failing = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "probe", target, "-e", "protocol=hybrid", "--json");
        Assert.True(failing.ExitCode == ExitCodes.ExpectationsFailed, failing.ToString());
        using JsonDocument json = JsonDocument.Parse(failing.StdOut);
        JsonElement check = json.RootElement.GetProperty("expectations")[0];
        Assert.False(check.GetProperty("passed").GetBoolean());
        Assert.Equal("ssl", check.GetProperty("actual").GetString());
    }
}
