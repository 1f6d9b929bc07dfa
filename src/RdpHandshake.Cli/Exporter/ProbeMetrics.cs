using Prometheus;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Cli.Exporter;

/// <summary>
/// The metrics of one <c>/probe</c>, in a registry of their own (as the blackbox exporter does): success, durations, the
/// failure's phase and cause, and what the server negotiated. A metric whose value the probe did not learn (no TLS, no
/// certificate, no CredSSP) is left out rather than given a made-up value. Labels carry only names the report uses
/// (phases, causes, protocols, TLS names, check texts, certificate names), never a credential.
/// </summary>
internal static class ProbeMetrics
{
    public static CollectorRegistry Registry(ExporterProbeResult result)
    {
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        IMetricFactory metrics = Metrics.WithCustomRegistry(registry);
        ProbeReport report = result.Report;

        metrics.CreateGauge("rdphs_probe_success", "1 when the probe reached its goal and every check of the module passed, else 0.")
            .Set(result.Success ? 1 : 0);
        metrics.CreateGauge("rdphs_probe_duration_seconds", "How long the whole probe took, the NLA question included.")
            .Set(result.Duration.TotalSeconds);

        Gauge phases = metrics.CreateGauge("rdphs_phase_duration_seconds", "Time spent in each phase of the connection sequence the probe entered.", ["phase"]);
        foreach ((ConnectionPhase phase, TimeSpan time) in PhaseTimes.Of(report))
        {
            phases.WithLabels(phase.Name()).Set(time.TotalSeconds);
        }

        if (report.Diagnosis is { } diagnosis)
        {
            metrics.CreateGauge("rdphs_failure_info", "1, labelled with the phase in which the probe failed and the cause (docs/report-format.md lists the causes).", ["phase", "cause"])
                .WithLabels(diagnosis.Phase.Name(), diagnosis.Cause.Name).Set(1);
        }

        if (report.Negotiation?.Selected is { } selected)
        {
            metrics.CreateGauge("rdphs_selected_protocol_info", "1, labelled with the security protocol the server selected in the X.224 negotiation.", ["protocol"])
                .WithLabels(NegotiationNames.ShortName(selected)).Set(1);
        }

        if (result.NlaRequired is { } required)
        {
            metrics.CreateGauge("rdphs_nla_required", "1 when the server turns away a client without NLA (HYBRID_REQUIRED_BY_SERVER), 0 when it lets one in.")
                .Set(required ? 1 : 0);
        }

        if (report.Tls is { Version: { } version } tls)
        {
            metrics.CreateGauge("rdphs_tls_version_info", "1, labelled with the TLS version the server chose.", ["version"])
                .WithLabels(TlsNames.ShortVersion(version)).Set(1);
            if (tls.CipherSuite is { } suite)
            {
                metrics.CreateGauge("rdphs_tls_cipher_info", "1, labelled with the IANA name of the cipher suite the server chose.", ["suite"])
                    .WithLabels(TlsNames.CipherSuite(suite)).Set(1);
            }
        }

        if (report.Tls?.Certificate is { } certificate)
        {
            metrics.CreateGauge("rdphs_certificate_expiry_timestamp_seconds", "When the server's TLS certificate expires (notAfter), in seconds since the Unix epoch.")
                .Set(certificate.NotAfter.ToUnixTimeSeconds());
            metrics.CreateGauge("rdphs_certificate_info", "1, labelled with the server certificate's subject, issuer and SHA-256 fingerprint.", ["subject", "issuer", "sha256"])
                .WithLabels(certificate.Subject, certificate.Issuer, certificate.Sha256Fingerprint).Set(1);
        }

        if (report.CredSsp is { } credSsp)
        {
            metrics.CreateGauge("rdphs_credssp_version", "The CredSSP (TSRequest) version the server answered with; below 5 it lacks the CVE-2018-0886 fix.")
                .Set(credSsp.ServerVersion);
        }

        metrics.CreateGauge("rdphs_checks_total", "How many checks the module has.").Set(result.Checks.Count);
        metrics.CreateGauge("rdphs_checks_failed", "How many of the module's checks failed.").Set(result.ChecksFailed);
        if (result.Checks.Count > 0)
        {
            Gauge passed = metrics.CreateGauge("rdphs_check_passed", "1 when the check passed, 0 when it failed, labelled with the check as the module writes it.", ["check"]);
            foreach (RdpHandshake.Checks.ExpectationResult check in result.Checks)
            {
                passed.WithLabels(check.Expectation.Text).Set(check.Passed ? 1 : 0);
            }
        }

        return registry;
    }
}
