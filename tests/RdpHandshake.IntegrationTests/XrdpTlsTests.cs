using Org.BouncyCastle.Tls;
using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.IntegrationTests;

/// <summary>Each TLS failure class, produced by a real xrdp configured for it, named by the probe.</summary>
public sealed class XrdpTlsTests(XrdpTlsFixture xrdp) : IClassFixture<XrdpTlsFixture>
{
    private Task<ProbeReport> ProbeAsync(string instance, Func<ProbeOptions, ProbeOptions>? configure = null)
    {
        var options = new ProbeOptions { ReadTimeout = TimeSpan.FromSeconds(10) };
        return new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", xrdp.Port(instance)), configure?.Invoke(options) ?? options, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_server_limited_to_tls_1_2_negotiates_it()
    {
        xrdp.Require();
        ProbeReport report = await ProbeAsync("tls12");
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(TlsVersion.Tls12, report.Tls!.Version);
    }

    [Fact]
    public async Task Offering_only_tls_1_3_to_a_tls_1_2_server_is_no_common_version()
    {
        xrdp.Require();
        ProbeReport report = await ProbeAsync("tls12", o => o with { Tls = new TlsOffer { Versions = [TlsVersion.Tls13] } });
        Assert.Equal(ConnectionPhase.Tls, report.Diagnosis!.Phase);
        Assert.Equal("no-common-version", report.Diagnosis.Cause.Name);
        Assert.Equal(ExitCodes.Tls, ExitCodes.For(report));
    }

    [Fact]
    public async Task A_server_with_one_cipher_suite_negotiates_exactly_that_suite()
    {
        xrdp.Require();
        ProbeReport report = await ProbeAsync("one-cipher");
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384, report.Tls!.CipherSuite);
        Assert.Contains("RSA key exchange: no forward secrecy", report.Tls.Weaknesses);
    }

    [Fact]
    public async Task Offering_other_suites_to_a_one_cipher_server_is_no_common_cipher_suite()
    {
        xrdp.Require();
        ProbeReport report = await ProbeAsync("one-cipher", o => o with
        {
            Tls = new TlsOffer { Versions = [TlsVersion.Tls12], CipherSuites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] },
        });
        Assert.Equal("no-common-cipher-suite", report.Diagnosis!.Cause.Name);
        Assert.Contains(report.Tls!.AlertsReceived, a => a.Description == AlertDescription.handshake_failure);
    }

    [Fact]
    public async Task An_expired_certificate_is_reported_and_fails_a_policy()
    {
        xrdp.Require();
        ProbeReport reported = await ProbeAsync("expired");
        Assert.True(reported.Success, reported.Verdict);
        Assert.True(reported.Tls!.Certificate!.Has("expired"));
        Assert.True(reported.Tls.Certificate.DaysLeft < 0);

        ProbeReport rejected = await ProbeAsync("expired", o => o with { CertificatePolicy = new HashSet<string> { "expired" } });
        Assert.Equal("certificate-rejected:expired", rejected.Diagnosis!.Cause.Name);
        Assert.Equal(ExitCodes.Tls, ExitCodes.For(rejected));
    }

    [Fact]
    public async Task A_1024_bit_key_stops_xrdps_tls_and_is_named_a_server_tls_setup_failure()
    {
        // OpenSSL's default security level refuses the key ("ee key too small"), so xrdp selects TLS in the
        // negotiation and then cannot start it: the corrupt-certificate class of failure.
        xrdp.Require();
        ProbeReport report = await ProbeAsync("rsa1024");
        Assert.Equal(SecurityProtocols.Ssl, report.Negotiation!.Selected);
        AssertServerCouldNotStartTls(report);
    }

    /// <summary>
    /// xrdp sends a Disconnect Provider Ultimatum and closes with our ClientHello still unread, so Linux
    /// sends RST, which may destroy the Ultimatum before we read it: then all we see is a reset right after
    /// the ClientHello, whose explanation names the same certificate and key problem. The ultimatum itself is
    /// disconnect-ultimatum, in phase tls, explained as a server that could not start TLS.
    /// </summary>
    private static void AssertServerCouldNotStartTls(ProbeReport report)
    {
        Assert.Equal(ConnectionPhase.Tls, report.Diagnosis!.Phase);
        Assert.Contains(report.Diagnosis.Cause.Name, new[] { "disconnect-ultimatum:rn-user-requested", "reset-after-client-hello" });
        Assert.Equal("tls.server-hello", report.Diagnosis.Evidence.Step);
        Assert.Contains("certificate", report.Diagnosis.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_that_does_not_belong_to_the_certificate_is_a_server_tls_setup_failure()
    {
        xrdp.Require();
        ProbeReport report = await ProbeAsync("mismatch");
        AssertServerCouldNotStartTls(report);
    }

    [Fact]
    public async Task An_unreadable_key_file_is_SSL_CERT_NOT_ON_SERVER()
    {
        xrdp.Require();
        ProbeReport report = await ProbeAsync("no-key");
        Assert.Equal(ConnectionPhase.X224, report.Diagnosis!.Phase);
        Assert.Equal("negotiation-failure:SSL_CERT_NOT_ON_SERVER", report.Diagnosis.Cause.Name);
        Assert.Contains("regenerates", report.Diagnosis.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tls_survey_of_a_restricted_xrdp_finds_exactly_what_was_configured()
    {
        // Configured: ssl_protocols=TLSv1.2 and tls_ciphers=AES256-GCM-SHA384 (OpenSSL's name for the suite below).
        xrdp.Require();
        TlsSurveyReport survey = await TlsSurvey.RunAsync(
            new ProbeTarget("127.0.0.1", xrdp.Port("one-cipher")), new ProbeOptions(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Null(survey.Problem);
        Assert.Equal([TlsVersion.Tls12], survey.AcceptedVersions);
        Assert.Equal([CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384], survey.Versions.Single(v => v.Accepted).CipherSuites);
        Assert.Equal(5, survey.Connections); // 1.3, 1.1, 1.0 refused; 1.2: the suite, then none left
    }

    [Fact]
    public async Task Cli_tls_prints_the_configured_version_and_suite_and_the_connection_count()
    {
        xrdp.Require();
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "tls", $"127.0.0.1:{xrdp.Port("one-cipher")}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("5 connections", run.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"TLS 1\.2  yes, 1 suite\(s\)", run.StdOut);
        Assert.Contains("TLS_RSA_WITH_AES_256_GCM_SHA384", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("verdict: accepts TLS 1.2;", run.StdOut, StringComparison.Ordinal);
    }
}
