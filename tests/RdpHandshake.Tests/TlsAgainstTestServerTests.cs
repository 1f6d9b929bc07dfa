using Org.BouncyCastle.Tls;
using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;
using RdpHandshake.Tls;

namespace RdpHandshake.Tests;

/// <summary>The TLS phase against the test server: every way it can end is named, with the right evidence.</summary>
public sealed class TlsAgainstTestServerTests
{
    private static Fault FaultOf(string text)
    {
        Assert.True(Fault.TryParse(text, out Fault? fault, out string? error), error);
        return fault!;
    }

    public static TheoryData<string, string, string> Faults => new()
    {
        { "tls.server-hello:close", "memory", "closed-after-client-hello" },
        { "tls.server-hello:close", "loopback", "closed-after-client-hello" },
        { "tls.server-hello:reset", "loopback", "reset-after-client-hello" },
        { "tls.server-hello:reset", "memory", "reset-after-client-hello" },
        { "tls.server-hello:alert", "memory", "no-common-cipher-suite" },
        { "tls.server-hello:garbage", "memory", "malformed-record" },
        { "tls.server-hello:truncated", "memory", "truncated-response" },
        { "tls.server-hello:stall", "memory", "timeout" },
        { "tls.server-hello:ultimatum", "memory", "disconnect-ultimatum:rn-user-requested" },
        { "tls.server-hello:ultimatum", "loopback", "disconnect-ultimatum:rn-user-requested" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Every_tls_fault_is_named(string faultText, string transport, string cause)
    {
        var options = new TestServerOptions { Faults = [FaultOf(faultText)] };
        (ProbeReport report, _) = transport == "loopback"
            ? await EngineHarness.OverLoopbackAsync(options, cancellationToken: TestContext.Current.CancellationToken)
            : await EngineHarness.InMemoryAsync(options, cancellationToken: TestContext.Current.CancellationToken);

        Diagnosis diagnosis = Assert.IsType<Diagnosis>(report.Diagnosis);
        Assert.Equal(ConnectionPhase.Tls, diagnosis.Phase);
        Assert.Equal(cause, diagnosis.Cause.Name);
        Assert.Equal(ExitCodes.Tls, ExitCodes.For(report));
        Assert.Equal(ConnectionPhase.X224, report.Reached);
        Assert.StartsWith("tls.", diagnosis.Evidence.Step, StringComparison.Ordinal);
        Assert.Equal(StepOutcome.Failed, report.Steps[^1].Outcome);
        Assert.Equal(StepOutcome.Ok, report.Steps.Single(s => s.Name == "tls.client-hello").Outcome);
    }

    [Fact]
    public async Task A_close_right_after_client_hello_points_at_the_server_certificate_and_keys()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions { Faults = [FaultOf("tls.server-hello:close")] }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains("certificate", report.Diagnosis!.Explanation, StringComparison.Ordinal);
        Assert.Contains("Restart-Service TermService", report.Diagnosis.Remedy, StringComparison.Ordinal);
        Assert.Contains("MachineKeys", report.Diagnosis.Remedy, StringComparison.Ordinal);
        Assert.Equal(0x904, report.Diagnosis.Mstsc!.DisconnectReason);
        Assert.Equal("tls.server-hello", report.Diagnosis.Evidence.Step);
    }

    [Fact]
    public async Task A_version_the_server_does_not_take_is_no_common_version()
    {
        var server = new TestServerOptions { TlsVersions = [TlsVersion.Tls12] };
        ProbeOptions client = EngineHarness.FastOptions() with { Tls = new TlsOffer { Versions = [TlsVersion.Tls13] } };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(server, client, TestContext.Current.CancellationToken);
        Assert.Equal("no-common-version", report.Diagnosis!.Cause.Name);
        Assert.Contains(report.Tls!.AlertsReceived, a => a.Description == AlertDescription.protocol_version);
    }

    [Fact]
    public async Task Suites_the_server_does_not_take_are_no_common_cipher_suite()
    {
        var server = new TestServerOptions
        {
            TlsVersions = [TlsVersion.Tls12],
            TlsCipherSuites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384],
        };
        ProbeOptions client = EngineHarness.FastOptions() with
        {
            Tls = new TlsOffer { Versions = [TlsVersion.Tls12], CipherSuites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA] },
        };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(server, client, TestContext.Current.CancellationToken);
        Assert.Equal("no-common-cipher-suite", report.Diagnosis!.Cause.Name);
        Assert.Equal("tls.server-hello", report.Diagnosis.Evidence.Step);
    }

    [Fact]
    public async Task The_negotiated_version_and_suite_are_what_the_server_allows()
    {
        var server = new TestServerOptions
        {
            TlsVersions = [TlsVersion.Tls12],
            TlsCipherSuites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256],
        };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(server, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(TlsVersion.Tls12, report.Tls!.Version);
        Assert.Equal(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, report.Tls.CipherSuite);
        Assert.Contains(report.Tls.Weaknesses, w => w.StartsWith("CBC mode", StringComparison.Ordinal));
        Assert.Equal(true, report.Tls.SecureRenegotiation);
    }

    [Theory]
    [InlineData(CertificateProfile.Expired, "expired")]
    [InlineData(CertificateProfile.NotYetValid, "not-yet-valid")]
    [InlineData(CertificateProfile.Sha1, "weak-signature")]
    [InlineData(CertificateProfile.Rsa1024, "weak-key")]
    public async Task Certificate_findings_are_reported_and_a_policy_turns_them_into_failures(CertificateProfile profile, string finding)
    {
        var server = new TestServerOptions { Certificate = profile, TlsVersions = [TlsVersion.Tls12] };
        (ProbeReport reported, _) = await EngineHarness.InMemoryAsync(server, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(reported.Success, reported.Verdict);
        Assert.True(reported.Tls!.Certificate!.Has(finding), string.Join("; ", reported.Tls.Certificate.Findings));
        Assert.Contains(reported.Steps.Single(s => s.Name == "tls.certificate").Fields, f => f.Name == $"finding.{finding}");

        ProbeOptions strict = EngineHarness.FastOptions() with { CertificatePolicy = new HashSet<string> { finding } };
        (ProbeReport rejected, _) = await EngineHarness.InMemoryAsync(server, strict, TestContext.Current.CancellationToken);
        Assert.Equal($"certificate-rejected:{finding}", rejected.Diagnosis!.Cause.Name);
        Assert.Equal(ExitCodes.Tls, ExitCodes.For(rejected));
        Assert.Equal("tls.certificate", rejected.Diagnosis.Evidence.Step);
    }

    [Fact]
    public async Task The_default_certificate_names_localhost_and_has_no_warnings()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions(), cancellationToken: TestContext.Current.CancellationToken);
        CertificateReport certificate = report.Tls!.Certificate!;
        Assert.Equal(["DNS:localhost", "IP:127.0.0.1"], certificate.SubjectAlternativeNames);
        Assert.Equal(["serverAuth"], certificate.ExtendedKeyUsages);
        Assert.Equal(["digitalSignature", "keyEncipherment"], certificate.KeyUsages);
        Assert.DoesNotContain(certificate.Findings, f => f.Severity != FindingSeverity.Info);
    }
}

/// <summary>The TLS survey against the test server, whose versions and suites are configured.</summary>
public sealed class TlsSurveyTests
{
    [Fact]
    public async Task The_survey_finds_exactly_the_configured_versions_and_suites_with_few_connections()
    {
        int[] configured = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA];
        await using var server = new RdpTestServer(new TestServerOptions { TlsVersions = [TlsVersion.Tls12], TlsCipherSuites = configured });
        var endpoint = server.Start();
        TlsSurveyReport survey = await TlsSurvey.RunAsync(
            new ProbeTarget("127.0.0.1", endpoint.Port), EngineHarness.FastOptions(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(survey.Problem);
        Assert.Equal([TlsVersion.Tls12], survey.AcceptedVersions);
        TlsVersionResult tls12 = survey.Versions.Single(v => v.Version.Equals(TlsVersion.Tls12));
        Assert.Equal(configured.Order(), tls12.CipherSuites.Order());
        Assert.NotNull(tls12.ServerPreference);

        // 1.3, 1.1 and 1.0 refused at once; 1.2 costs one connection per suite plus one, and one for the order.
        Assert.Equal(3 + (configured.Length + 1) + 1, survey.Connections);
        Assert.True(survey.Connections < survey.CipherSuitesTested);
    }

    [Fact]
    public async Task A_standard_security_server_has_no_tls_to_survey()
    {
        await using var server = new RdpTestServer(new TestServerOptions { Accepted = Protocol.X224.SecurityProtocols.Rdp });
        var endpoint = server.Start();
        TlsSurveyReport survey = await TlsSurvey.RunAsync(
            new ProbeTarget("127.0.0.1", endpoint.Port), EngineHarness.FastOptions(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Protocol.X224.SecurityProtocols.Rdp, survey.SecurityProtocol);
        Assert.Contains("does not speak TLS", survey.Problem, StringComparison.Ordinal);
        Assert.Empty(survey.Versions);
    }

    [Fact]
    public async Task Tls_1_3_groups_are_enumerated()
    {
        await using var server = new RdpTestServer(new TestServerOptions { TlsVersions = [TlsVersion.Tls13] });
        var endpoint = server.Start();
        TlsSurveyReport survey = await TlsSurvey.RunAsync(
            new ProbeTarget("127.0.0.1", endpoint.Port), EngineHarness.FastOptions(),
            new TlsSurveyOptions { Versions = [TlsVersion.Tls13] }, cancellationToken: TestContext.Current.CancellationToken);
        TlsVersionResult tls13 = Assert.Single(survey.Versions);
        Assert.True(tls13.Accepted);
        Assert.Contains(NamedGroup.x25519, tls13.NamedGroups);
        Assert.Contains(NamedGroup.secp256r1, tls13.NamedGroups);
    }
}

public sealed class TrustTests
{
    [Fact]
    public async Task The_chain_validates_against_its_own_ca_file_and_not_against_the_system_store()
    {
        ServerCertificate certificate = TestCertificates.For(CertificateProfile.Default);
        string pem = Path.Combine(Directory.CreateTempSubdirectory("rdphs-trust-").FullName, "ca.pem");
        await File.WriteAllTextAsync(pem, PemOf(certificate.Der), TestContext.Current.CancellationToken);

        (ProbeReport trusted, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions(), EngineHarness.FastOptions() with { Trust = TrustAnchors.FromPemFile(pem) }, TestContext.Current.CancellationToken);
        Assert.False(trusted.Tls!.Certificate!.Has("untrusted"), string.Join("; ", trusted.Tls.Certificate.Findings));

        (ProbeReport system, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions(), EngineHarness.FastOptions() with { Trust = TrustAnchors.System, CertificatePolicy = new HashSet<string> { "untrusted" } },
            TestContext.Current.CancellationToken);
        Assert.Equal("certificate-rejected:untrusted", system.Diagnosis!.Cause.Name);
    }

    private static string PemOf(byte[] der) =>
        $"-----BEGIN CERTIFICATE-----\n{Convert.ToBase64String(der, Base64FormattingOptions.InsertLineBreaks)}\n-----END CERTIFICATE-----\n";
}

public sealed class SuppliedCertificateTests
{
    [Fact]
    public async Task The_test_server_presents_a_supplied_pem_certificate()
    {
        ServerCertificate generated = TestCertificates.Generate(CertificateProfile.Default, DateTime.UtcNow);
        string directory = Directory.CreateTempSubdirectory("rdphs-pem-").FullName;
        string certPath = Path.Combine(directory, "cert.pem");
        string keyPath = Path.Combine(directory, "key.pem");
        using (var writer = new StreamWriter(certPath))
        {
            new Org.BouncyCastle.OpenSsl.PemWriter(writer).WriteObject(generated.Certificate);
        }

        using (var writer = new StreamWriter(keyPath))
        {
            new Org.BouncyCastle.OpenSsl.PemWriter(writer).WriteObject(generated.PrivateKey);
        }

        ServerCertificate loaded = TestCertificates.LoadPem(certPath, keyPath);
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { SuppliedCertificate = loaded }, cancellationToken: TestContext.Current.CancellationToken);
        Directory.Delete(directory, recursive: true);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(generated.Der)), report.Tls!.Certificate!.Sha256Fingerprint);
    }
}

public sealed class NtlmInfoAgainstTestServerTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_challenge_names_the_server_with_and_without_spnego(bool spnego)
    {
        var identity = new NtlmIdentity { NetBiosComputer = "TERMSRV01", NetBiosDomain = "CONTOSO", DnsComputer = "termsrv01.contoso.test", Version = new Protocol.Ntlm.NtlmVersion(10, 0, 17763) };
        ProbeOptions options = EngineHarness.FastOptions() with
        {
            Until = Protocol.Sequence.ConnectionPhase.CredSsp,
            NtlmInSpnego = spnego,
            Negotiation = new Protocol.Connector.NegotiationOptions { RequestedProtocols = Protocol.X224.SecurityProtocols.Hybrid },
        };
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.InMemoryAsync(new TestServerOptions { Ntlm = identity }, options, TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Dictionary<string, string> info = report.CredSsp!.Info.ToDictionary(i => i.Key, i => i.Value);
        Assert.Equal("TERMSRV01", info["netbiosComputer"]);
        Assert.Equal("CONTOSO", info["netbiosDomain"]);
        Assert.Equal("termsrv01.contoso.test", info["dnsComputer"]);
        Assert.Equal("10.0.17763", info["productVersion"]);
        Assert.Equal("Windows 10 1809 / Server 2019", info["windows"]);
        Assert.Equal(6, report.CredSsp.ServerVersion);
        Assert.Equal(spnego ? "1.3.6.1.4.1.311.2.2.10" : null, report.CredSsp.SupportedMech);
        Assert.Equal(["credssp.negotiate", "credssp.challenge"], report.Steps.TakeLast(2).Select(s => s.Name));
        ServerConnectionRecord record = Assert.Single(server);
        Assert.True(record.NtlmChallengeSent);
        Assert.Equal(6, record.CredSspClientVersion);
    }

    [Theory]
    [InlineData(TlsVersion.Tls12, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(TlsVersion.Tls13, CipherSuite.TLS_AES_128_GCM_SHA256)]
    public async Task A_server_with_an_ecdsa_certificate_is_reached_over_both_versions(TlsVersion version, int suite)
    {
        var server = new TestServerOptions { Certificate = CertificateProfile.EcdsaP256, TlsVersions = [version] };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(server, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(version, report.Tls!.Version);
        Assert.Equal(suite, report.Tls.CipherSuite);
        CertificateReport certificate = report.Tls.Certificate!;
        Assert.Equal(("EC", 256), (certificate.KeyType, certificate.KeyBits));
        Assert.Equal(["digitalSignature"], certificate.KeyUsages);
        Assert.DoesNotContain(certificate.Findings, f => f.Severity != FindingSeverity.Info);
    }
}
