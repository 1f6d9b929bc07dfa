using System.Globalization;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.Tls;

namespace RdpHandshake.Clients;

/// <summary>How a client would fare against a server, judged from a run's report.</summary>
/// <param name="Profile">The client.</param>
/// <param name="Connects">True when nothing in the report stops the client.</param>
/// <param name="Certain">
/// False when the report comes from another offer than the client's and cannot settle the question (the server might
/// have chosen differently for the client); <see cref="Connects"/> is then what the report shows, not a promise.
/// </param>
/// <param name="Failure">Why the client fails: the run's own diagnosis, or the client's refusal (<see cref="CauseId.ClientRefused"/>).</param>
/// <param name="Message">What the client likely shows when it fails.</param>
/// <param name="Fix">The server change that would let the client connect.</param>
public sealed record ClientVerdict(ClientProfile Profile, bool Connects, bool Certain, Diagnosis? Failure, string? Message, string? Fix)
{
    /// <summary>One line: <c>connects</c>, or why not.</summary>
    public string Reason => Failure is null ? "connects" : Failure.Summary;
}

/// <summary>
/// Decides what a client would do with what a server chose: the refusals a real client makes after the handshake
/// that rdphs, being permissive, does not (TLS version, cipher suite, certificate key size and signature hash, CredSSP
/// without nonce binding, Standard RDP Security methods).
/// </summary>
public static class ClientJudge
{
    /// <summary>
    /// Judges <paramref name="profile"/> against <paramref name="report"/>. With <paramref name="ownOffer"/> the report
    /// comes from a run that offered what the client offers (<see cref="ClientProfile.Apply"/>), so its failure is the
    /// client's too; without it (the default probe's report) only refusals that do not depend on the offer count.
    /// </summary>
    public static ClientVerdict Evaluate(ClientProfile profile, ProbeReport report, bool ownOffer)
    {
        if (report.Diagnosis is { } failed)
        {
            return ownOffer
                ? new ClientVerdict(profile, false, true, ForClient(profile, failed), profile.Message(Kind(failed.Phase)), FixFor(profile, failed))
                : new ClientVerdict(profile, false, false, failed, null, failed.Remedy);
        }

        if (report.Negotiation is { } negotiation && negotiation.Selected is null or SecurityProtocols.Rdp)
        {
            if (profile.StandardSecurity.Count == 0)
            {
                return Refuse(profile, report, ConnectionPhase.X224, "security-protocol", X224Negotiation.ConnectionConfirmStep,
                    "the server offers Standard RDP Security only, and the client requires TLS",
                    "enable TLS on the server (Windows: Security Layer 'Negotiate' or 'SSL'; xrdp: security_layer=negotiate)");
            }

            if (report.Session?.EncryptionMethod is { } method && MethodName(method) is { } name && !profile.StandardSecurity.Contains(name))
            {
                // With another offer the server might have chosen a method of the client's: then this is not certain.
                return Refuse(profile, report, ConnectionPhase.Security, "standard-security", SecurityCommencement.SecurityExchangeStep,
                    $"the server chose Standard RDP Security with {name} encryption, which the client does not accept ({string.Join(", ", profile.StandardSecurity)})",
                    "enable TLS on the server (security_layer=negotiate), or an encryption method the client accepts") with { Certain = ownOffer };
            }
        }

        if (report.Tls is { HandshakeComplete: true } tls)
        {
            if (tls.Version is { } version && profile.TlsVersions.Count > 0
                && (version < profile.MinTlsVersion || (!profile.TlsVersions.Contains(version) && (ownOffer || version < profile.TlsVersions.Min()))))
            {
                return Refuse(profile, report, ConnectionPhase.Tls, "tls-version", TlsUpgrade.ServerHelloStep,
                    $"the server speaks {TlsNames.Version(version)}, which the client does not accept ({string.Join(", ", profile.TlsVersions.Where(v => v >= profile.MinTlsVersion).Select(v => TlsNames.Version(v)))}{(profile.SecurityLevel is { } level && profile.TlsVersions.Any(v => v < profile.MinTlsVersion) ? $"; it offers older versions but OpenSSL 3 at security level {level.ToString(CultureInfo.InvariantCulture)} refuses them" : string.Empty)})",
                    $"enable {TlsNames.Version(profile.TlsVersions.Contains(TlsVersion.Tls12) ? TlsVersion.Tls12 : profile.TlsVersions.Max())} on the server (Windows: SCHANNEL\\Protocols; xrdp: ssl_protocols=TLSv1.2, TLSv1.3)");
            }

            if (ownOffer && tls.CipherSuite is { } suite && profile.CipherSuites.Count > 0 && !profile.CipherSuites.Contains(suite))
            {
                return Refuse(profile, report, ConnectionPhase.Tls, "cipher-suite", TlsUpgrade.ServerHelloStep,
                    $"the server chose {TlsNames.CipherSuite(suite)}, which the client did not offer",
                    $"enable {TlsNames.CipherSuite(profile.CipherSuites[0])} on the server");
            }

            if (tls.Certificate is { } certificate)
            {
                if (certificate.KeyType == "RSA" && certificate.KeyBits < profile.MinRsaBits)
                {
                    return Refuse(profile, report, ConnectionPhase.Tls, "certificate-key", TlsUpgrade.CertificateStep,
                        $"the server certificate has an RSA key of {certificate.KeyBits.ToString(CultureInfo.InvariantCulture)} bits; the client requires {profile.MinRsaBits.ToString(CultureInfo.InvariantCulture)}{LevelNote(profile)}",
                        $"replace the server certificate with one on an RSA key of {Math.Max(2048, profile.MinRsaBits).ToString(CultureInfo.InvariantCulture)} bits or more");
                }

                if (SignatureHash(certificate.SignatureAlgorithm) is { } hash && profile.RefusedCertificateHashes.Contains(hash))
                {
                    return Refuse(profile, report, ConnectionPhase.Tls, "certificate-signature", TlsUpgrade.CertificateStep,
                        $"the server certificate is signed with {certificate.SignatureAlgorithm}; the client refuses {hash.ToUpperInvariant()} signatures{LevelNote(profile)}",
                        "reissue the server certificate signed with SHA-256");
                }
            }
        }

        if (report.CredSsp is { ServerVersion: > 0 and < 5 } credssp && profile.RequiresNonceBinding)
        {
            return Refuse(profile, report, ConnectionPhase.CredSsp, "credssp-version", FirstStepOf(report, ConnectionPhase.CredSsp),
                $"the server speaks CredSSP version {credssp.ServerVersion.ToString(CultureInfo.InvariantCulture)}, without the nonce binding of version 5 that the client requires (CVE-2018-0886)",
                "install the CredSSP update (May 2018 or later) on the server");
        }

        return new ClientVerdict(profile, true, ownOffer, null, null, null);
    }

    /// <summary>The profiles that certainly refuse the server of a report made with another offer (the default probe's).</summary>
    public static IReadOnlyList<ClientVerdict> Refusals(ProbeReport report, IEnumerable<ClientProfile> profiles) =>
        report.Success
            ? [.. profiles.Select(p => Evaluate(p, report, ownOffer: false)).Where(v => !v.Connects && v.Certain)]
            : [];

    /// <summary>
    /// The report of a run made with the client's offer, as the client would end it: refused where the client refuses,
    /// and a failure's verdict saying what the client shows.
    /// </summary>
    public static ProbeReport AsClient(ClientProfile profile, ProbeReport report)
    {
        ClientVerdict verdict = Evaluate(profile, report, ownOffer: true);
        if (verdict.Connects)
        {
            return report with { Verdict = $"{report.Verdict}; {profile.Name} connects" };
        }

        Diagnosis failure = verdict.Failure!;
        return report with
        {
            Diagnosis = failure,
            Verdict = $"failed in {failure.Phase.Name()}: {failure.Cause.Name} - {failure.Summary}; {profile.Name} shows \"{verdict.Message}\"",
        };
    }

    private static ClientVerdict Refuse(ClientProfile profile, ProbeReport report, ConnectionPhase phase, string what, string step, string reason, string fix)
    {
        var cause = new Cause(phase, CauseId.ClientRefused, what);
        CatalogEntry entry = DiagnosisCatalog.Lookup(cause);
        StepRecord? record = report.Steps.LastOrDefault(s => s.Name == step) ?? report.Steps.LastOrDefault(s => s.Phase == phase);
        string message = profile.Message(Kind(phase));
        var diagnosis = new Diagnosis(
            cause,
            $"{profile.Name} refuses this server: {reason}",
            $"{entry.Explanation} {profile.Client} likely shows: \"{message}\".",
            new Evidence(record?.Name ?? step, Fields: record?.Fields),
            profile.IsMstsc ? entry.Mstsc : null,
            $"{char.ToUpperInvariant(fix[0])}{fix[1..]}. {entry.Remedy}")
        {
            MstscNote = profile.IsMstsc ? entry.NoMstscCode : $"none: {profile.Name} is not mstsc; its own message is quoted in the explanation",
        };
        return new ClientVerdict(profile, false, true, diagnosis, message, fix);
    }

    /// <summary>The server change that lets the client past a failure of the run made with its offer.</summary>
    private static string FixFor(ClientProfile profile, Diagnosis failed) => failed.Cause.Id switch
    {
        CauseId.NoCommonVersion when profile.TlsVersions.Count > 0 =>
            $"enable {TlsNames.Version(profile.TlsVersions.Contains(TlsVersion.Tls12) ? TlsVersion.Tls12 : profile.TlsVersions.Max())} on the server (the client offers {string.Join(", ", profile.TlsVersions.OrderByDescending(v => v).Select(v => TlsNames.Version(v)))}; Windows: SCHANNEL\\Protocols; xrdp: ssl_protocols)",
        CauseId.NoCommonCipherSuite when profile.CipherSuites.Count > 0 =>
            $"enable a cipher suite the client offers on the server, e.g. {TlsNames.CipherSuite(profile.CipherSuites[0])} (Windows: 'SSL Cipher Suite Order' policy; xrdp: tls_ciphers)",
        _ => failed.Remedy,
    };

    /// <summary>A run's own failure, as the client meets it: mstsc codes only for mstsc.</summary>
    private static Diagnosis ForClient(ClientProfile profile, Diagnosis failed) => profile.IsMstsc
        ? failed
        : failed with { Mstsc = null, MstscNote = $"none: {profile.Name} is not mstsc; it shows \"{profile.Message(Kind(failed.Phase))}\"" };

    private static string LevelNote(ClientProfile profile) =>
        profile.SecurityLevel is { } level ? $" (OpenSSL security level {level.ToString(CultureInfo.InvariantCulture)})" : string.Empty;

    /// <summary>Which of a profile's messages a failure in <paramref name="phase"/> shows.</summary>
    public static string Kind(ConnectionPhase phase) => phase switch
    {
        ConnectionPhase.Tls => "tls",
        ConnectionPhase.CredSsp => "credssp",
        ConnectionPhase.Security => "standard-security",
        _ => "protocol",
    };

    private static string FirstStepOf(ProbeReport report, ConnectionPhase phase) =>
        report.Steps.FirstOrDefault(s => s.Phase == phase)?.Name ?? phase.Name();

    /// <summary><c>40bit</c>, <c>56bit</c>, <c>128bit</c> or <c>fips</c> from a method's spec name.</summary>
    public static string? MethodName(string specName) =>
        specName.Contains("40BIT", StringComparison.Ordinal) ? "40bit"
        : specName.Contains("56BIT", StringComparison.Ordinal) ? "56bit"
        : specName.Contains("128BIT", StringComparison.Ordinal) ? "128bit"
        : specName.Contains("FIPS", StringComparison.Ordinal) ? "fips"
        : null;

    /// <summary>The hash of a certificate signature algorithm name (<c>SHA1WITHRSA</c> → <c>sha1</c>), or null.</summary>
    public static string? SignatureHash(string algorithm)
    {
        string compact = algorithm.Replace("-", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        return compact.Contains("MD5", StringComparison.Ordinal) ? "md5"
            : compact.Contains("MD2", StringComparison.Ordinal) ? "md2"
            : compact.StartsWith("SHA1", StringComparison.Ordinal) || compact.Contains("WITHSHA1", StringComparison.Ordinal) ? "sha1"
            : compact.Contains("SHA224", StringComparison.Ordinal) ? "sha224"
            : compact.Contains("SHA256", StringComparison.Ordinal) ? "sha256"
            : compact.Contains("SHA384", StringComparison.Ordinal) ? "sha384"
            : compact.Contains("SHA512", StringComparison.Ordinal) ? "sha512"
            : null;
    }
}
