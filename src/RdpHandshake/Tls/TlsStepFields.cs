using System.Globalization;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Tls;

/// <summary>
/// The decoded fields of the TLS steps (ServerHello, Certificate, Finished) from what a handshake showed: one builder
/// for the live probe and for the analysis of a capture, so that both name the same facts the same way.
/// </summary>
public static class TlsStepFields
{
    /// <summary>The ServerHello's fields: the version and suite chosen, and whether secure renegotiation was signalled.</summary>
    public static List<StepField> ServerHello(TlsObservations seen)
    {
        var hello = new List<StepField>
        {
            new("version", TlsNames.Version(seen.ServerVersion)),
            new("cipherSuite", $"{TlsNames.CipherSuite(seen.CipherSuite ?? 0)} (0x{seen.CipherSuite ?? 0:x4})"),
        };
        if (seen.SecureRenegotiation is { } secure)
        {
            hello.Add(new StepField("secureRenegotiation", secure ? "yes" : "no"));
        }

        return hello;
    }

    /// <summary>
    /// The certificate's fields with one <c>finding.*</c> row per finding; nothing when it could not be analysed.
    /// </summary>
    /// <param name="report">The analysis of the server's certificate, or null.</param>
    /// <param name="judgedAt">What the days left are counted from, added to the validity row (empty for now).</param>
    public static List<StepField> Certificate(CertificateReport? report, string judgedAt)
    {
        if (report is null)
        {
            return [];
        }

        var fields = new List<StepField>
        {
            new("subject", report.Subject),
            new("issuer", report.Issuer),
            new("validity", $"{report.NotBefore:yyyy-MM-dd} to {report.NotAfter:yyyy-MM-dd} ({report.DaysLeft.ToString(CultureInfo.InvariantCulture)} days left{judgedAt})"),
            new("key", $"{report.KeyType} {report.KeyBits.ToString(CultureInfo.InvariantCulture)} bits"),
            new("signature", report.SignatureAlgorithm),
            new("sha1", report.Sha1Fingerprint),
            new("sha256", report.Sha256Fingerprint),
        };
        if (report.KeyUsages.Count > 0 || report.ExtendedKeyUsages.Count > 0)
        {
            fields.Add(new StepField("usage", string.Join(", ", report.KeyUsages.Concat(report.ExtendedKeyUsages))));
        }

        if (report.SubjectAlternativeNames.Count > 0)
        {
            fields.Add(new StepField("san", string.Join(", ", report.SubjectAlternativeNames)));
        }

        foreach (CertificateFinding finding in report.Findings)
        {
            fields.Add(new StepField($"finding.{finding.Code}", finding.Text));
        }

        return fields;
    }

    /// <summary>The Finished step's fields: the version, suite and group the handshake settled on, and its weaknesses.</summary>
    public static List<StepField> Finished(TlsObservations seen)
    {
        var done = new List<StepField>
        {
            new("version", TlsNames.Version(seen.ServerVersion)),
            new("cipherSuite", TlsNames.CipherSuite(seen.CipherSuite ?? 0)),
        };
        if (seen.NamedGroup is { } group)
        {
            done.Add(new StepField("namedGroup", TlsNames.NamedGroupName(group)));
        }

        foreach (string weakness in TlsWeakness.Of(seen.ServerVersion, seen.CipherSuite))
        {
            done.Add(new StepField("weak", weakness));
        }

        return done;
    }
}
