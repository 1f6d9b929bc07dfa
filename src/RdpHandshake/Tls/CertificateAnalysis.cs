using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.X509;

namespace RdpHandshake.Tls;

/// <summary>How much a certificate finding matters.</summary>
public enum FindingSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>One thing worth knowing about the server certificate, with a stable code for policies.</summary>
public sealed record CertificateFinding(string Code, FindingSeverity Severity, string Text);

/// <summary>The server certificate, decoded, with what is wrong or weak about it.</summary>
public sealed record CertificateReport(
    string Subject,
    string Issuer,
    string SerialNumber,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    int DaysLeft,
    bool SelfSigned,
    string KeyType,
    int KeyBits,
    string SignatureAlgorithm,
    IReadOnlyList<string> SubjectAlternativeNames,
    IReadOnlyList<string> KeyUsages,
    IReadOnlyList<string> ExtendedKeyUsages,
    string Sha1Fingerprint,
    string Sha256Fingerprint,
    int ChainLength,
    IReadOnlyList<CertificateFinding> Findings)
{
    public bool Has(string code) => Findings.Any(f => f.Code == code);
}

/// <summary>Decodes the leaf certificate of a chain and lists its findings.</summary>
public static class CertificateAnalysis
{
    /// <summary>Finding codes, usable in <c>--cert-policy</c>.</summary>
    public static class Codes
    {
        public const string Expired = "expired";
        public const string NotYetValid = "not-yet-valid";
        public const string ExpiresSoon = "expires-soon";
        public const string SelfSigned = "self-signed";
        public const string WeakKey = "weak-key";
        public const string WeakSignature = "weak-signature";
        public const string NoServerAuth = "no-server-auth";
        public const string NameMismatch = "name-mismatch";
        public const string Unparsable = "unparsable";

        /// <summary>The chain does not validate against the trust anchors chosen with <c>--trust</c>.</summary>
        public const string Untrusted = "untrusted";

        public static IReadOnlyList<string> All { get; } =
            [Expired, NotYetValid, ExpiresSoon, SelfSigned, WeakKey, WeakSignature, NoServerAuth, NameMismatch, Unparsable, Untrusted];
    }

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Analyses the leaf of <paramref name="chain"/>; null when the chain is empty.</summary>
    public static CertificateReport? Analyze(IReadOnlyList<byte[]> chain, string? hostName, DateTimeOffset now, TrustAnchors? trust = null) =>
        RsaKeyChecks.WithoutPrimalityRounds(() => AnalyzeLeaf(chain, hostName, now, trust));

    private static CertificateReport? AnalyzeLeaf(IReadOnlyList<byte[]> chain, string? hostName, DateTimeOffset now, TrustAnchors? trust)
    {
        if (chain.Count == 0)
        {
            return null;
        }

        byte[] der = chain[0];
        try
        {
            // The parser returns null for input that holds no certificate at all (e.g. empty), and decodes the
            // key, names and extensions lazily: any of them may fail on a hostile server's certificate.
            X509Certificate? certificate = new X509CertificateParser().ReadCertificate(der);
            return certificate is null
                ? Unparsable(der, chain.Count, "no X.509 certificate in the data")
                : Describe(certificate, chain, hostName, now, trust);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            return Unparsable(der, chain.Count, ex.Message);
        }
    }

    /// <summary>
    /// What BouncyCastle throws for a certificate whose encoding or contents are invalid or unknown to it
    /// (certificate, key and signature exceptions, an unknown algorithm, ASN.1 errors as IOException).
    /// </summary>
    private static bool IsDecodeFailure(Exception ex) =>
        ex is Org.BouncyCastle.Security.GeneralSecurityException or Org.BouncyCastle.Security.SecurityUtilityException
            or ArgumentException or IOException or InvalidCastException or InvalidOperationException or ArithmeticException or FormatException;

    private static CertificateReport Describe(X509Certificate certificate, IReadOnlyList<byte[]> chain, string? hostName, DateTimeOffset now, TrustAnchors? trust)
    {
        byte[] der = chain[0];
        var findings = new List<CertificateFinding>();
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        int daysLeft = (int)Math.Floor((notAfter - now).TotalDays);
        if (now > notAfter)
        {
            findings.Add(new(Codes.Expired, FindingSeverity.Error, $"expired on {notAfter:yyyy-MM-dd HH:mm} UTC ({-daysLeft} days ago)"));
        }
        else if (now < notBefore)
        {
            findings.Add(new(Codes.NotYetValid, FindingSeverity.Error, $"not valid before {notBefore:yyyy-MM-dd HH:mm} UTC (check the server's clock)"));
        }
        else if (daysLeft < 30)
        {
            findings.Add(new(Codes.ExpiresSoon, FindingSeverity.Warning, $"expires in {daysLeft} days, on {notAfter:yyyy-MM-dd}"));
        }

        bool selfSigned = IsSelfSigned(certificate);
        if (selfSigned)
        {
            findings.Add(new(Codes.SelfSigned, FindingSeverity.Info, "self-signed: clients cannot verify it without trusting it explicitly (the Windows default for RDP)"));
        }

        (string keyType, int keyBits) = DescribeKey(certificate);
        if ((keyType == "RSA" && keyBits < 2048) || (keyType == "EC" && keyBits < 224))
        {
            findings.Add(new(Codes.WeakKey, FindingSeverity.Warning, $"{keyType} key of {keyBits} bits is weak (use RSA 2048 or more)"));
        }

        string signature = certificate.SigAlgName;
        string compact = signature.Replace("-", string.Empty, StringComparison.Ordinal);
        if (compact.Contains("SHA1", StringComparison.OrdinalIgnoreCase) || compact.Contains("MD5", StringComparison.OrdinalIgnoreCase) || compact.Contains("MD2", StringComparison.OrdinalIgnoreCase))
        {
            findings.Add(new(Codes.WeakSignature, FindingSeverity.Warning, $"signed with {signature}, which is broken for certificates"));
        }

        IReadOnlyList<string> ekus = ExtendedKeyUsages(certificate);
        if (ekus.Count > 0 && !ekus.Contains(ServerAuthOid) && !ekus.Contains("2.5.29.37.0"))
        {
            findings.Add(new(Codes.NoServerAuth, FindingSeverity.Warning, "the extended key usage does not include Server Authentication"));
        }

        IReadOnlyList<string> sans = SubjectAlternativeNames(certificate);
        if (hostName is not null && !MatchesHost(hostName, CommonName(certificate), sans))
        {
            findings.Add(new(Codes.NameMismatch, FindingSeverity.Warning, $"issued to {DescribeNames(CommonName(certificate), sans)}, not to {hostName}"));
        }

        if (trust is not null && trust.Validate(chain, now) is { } untrusted)
        {
            findings.Add(new(Codes.Untrusted, FindingSeverity.Warning, $"the chain does not validate against {trust.Description}: {untrusted}"));
        }

        return new CertificateReport(
            certificate.SubjectDN.ToString(),
            certificate.IssuerDN.ToString(),
            certificate.SerialNumber.ToString(16),
            notBefore,
            notAfter,
            daysLeft,
            selfSigned,
            keyType,
            keyBits,
            signature,
            sans,
            KeyUsages(certificate),
            ekus.Select(EkuName).ToArray(),
            Fingerprint(SHA1.HashData(der)),
            Fingerprint(SHA256.HashData(der)),
            chain.Count,
            findings);
    }

    private static CertificateReport Unparsable(byte[] der, int chainLength, string reason) => new(
        "(unparsable)", "(unparsable)", string.Empty, default, default, 0, false, "unknown", 0, "unknown", [], [], [],
        Fingerprint(SHA1.HashData(der)), Fingerprint(SHA256.HashData(der)), chainLength,
        [new CertificateFinding(Codes.Unparsable, FindingSeverity.Error, $"the certificate does not parse: {reason}")]);

    private static bool IsSelfSigned(X509Certificate certificate)
    {
        if (!certificate.IssuerDN.Equivalent(certificate.SubjectDN))
        {
            return false;
        }

        try
        {
            certificate.Verify(certificate.GetPublicKey());
            return true;
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            return false;
        }
    }

    private static (string Type, int Bits) DescribeKey(X509Certificate certificate)
    {
        try
        {
            return certificate.GetPublicKey() switch
            {
                RsaKeyParameters rsa => ("RSA", rsa.Modulus.BitLength),
                ECPublicKeyParameters ec => ("EC", ec.Parameters.Curve.FieldSize),
                DsaPublicKeyParameters dsa => ("DSA", dsa.Parameters.P.BitLength),
                Ed25519PublicKeyParameters => ("Ed25519", 256),
                var other => (other.GetType().Name, 0),
            };
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            return ("unknown", 0);
        }
    }

    private static IReadOnlyList<string> ExtendedKeyUsages(X509Certificate certificate)
    {
        try
        {
            return certificate.GetExtendedKeyUsage()?.Select(o => o.Id).ToArray() ?? [];
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            return [];
        }
    }

    private static readonly string[] KeyUsageNames =
        ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"];

    /// <summary>The key usage bits (RFC 5280 4.2.1.3) by name; empty when the extension is absent.</summary>
    private static IReadOnlyList<string> KeyUsages(X509Certificate certificate)
    {
        bool[]? bits = certificate.GetKeyUsage();
        return bits is null ? [] : KeyUsageNames.Where((_, i) => i < bits.Length && bits[i]).ToArray();
    }

    private static string EkuName(string oid) => oid switch
    {
        ServerAuthOid => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.4.1.311.54.1.2" => "remoteDesktopAuth",
        "2.5.29.37.0" => "anyExtendedKeyUsage",
        _ => oid,
    };

    private static IReadOnlyList<string> SubjectAlternativeNames(X509Certificate certificate)
    {
        try
        {
            var names = certificate.GetSubjectAlternativeNames();
            if (names is null)
            {
                return [];
            }

            var result = new List<string>();
            foreach (IList<object> entry in names)
            {
                int type = Convert.ToInt32(entry[0], CultureInfo.InvariantCulture);
                string value = entry[1]?.ToString() ?? string.Empty;
                result.Add(type switch
                {
                    GeneralName.DnsName => $"DNS:{value}",
                    GeneralName.IPAddress => $"IP:{value}",
                    _ => $"{type}:{value}",
                });
            }

            return result;
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            return [];
        }
    }

    private static string? CommonName(X509Certificate certificate) =>
        certificate.SubjectDN.GetValueList(X509Name.CN).FirstOrDefault();

    /// <summary>RFC 6125 matching, simplified: SAN DNS names (with a left-most wildcard) or IPs, else the CN.</summary>
    public static bool MatchesHost(string host, string? commonName, IReadOnlyList<string> sans)
    {
        bool isIp = IPAddress.TryParse(host, out IPAddress? address);
        string[] dns = sans.Where(s => s.StartsWith("DNS:", StringComparison.Ordinal)).Select(s => s[4..]).ToArray();
        string[] ips = sans.Where(s => s.StartsWith("IP:", StringComparison.Ordinal)).Select(s => s[3..]).ToArray();
        if (isIp)
        {
            return ips.Any(ip => IPAddress.TryParse(ip, out IPAddress? candidate) && candidate.Equals(address))
                || (dns.Length == 0 && string.Equals(commonName, host, StringComparison.OrdinalIgnoreCase));
        }

        if (dns.Length > 0)
        {
            return dns.Any(pattern => MatchesDnsName(host, pattern));
        }

        return commonName is not null && MatchesDnsName(host, commonName);
    }

    private static bool MatchesDnsName(string host, string pattern)
    {
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            int dot = host.IndexOf('.', StringComparison.Ordinal);
            return dot > 0 && string.Equals(host[(dot + 1)..], pattern[2..], StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(host.TrimEnd('.'), pattern.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);
    }

    private static string DescribeNames(string? commonName, IReadOnlyList<string> sans) =>
        sans.Count > 0 ? string.Join(", ", sans) : $"CN={commonName ?? "(none)"}";

    private static string Fingerprint(byte[] hash) => Convert.ToHexString(hash);
}
