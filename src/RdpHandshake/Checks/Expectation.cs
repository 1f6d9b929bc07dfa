using System.Globalization;
using System.Text.RegularExpressions;
using RdpHandshake.Clients;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Checks;

/// <summary>The result of checking one expectation against a report.</summary>
/// <param name="Expectation">The check.</param>
/// <param name="Passed">Whether the report satisfies it; a check on a value the run did not measure fails.</param>
/// <param name="Actual">The value the report holds for the check's key, or null when the run did not measure it.</param>
/// <param name="Message">One line that says what was found: <c>tls is 1.3</c>, <c>expected cert.key-bits &gt;= 4096, got 2048</c>.</param>
public sealed record ExpectationResult(Expectation Expectation, bool Passed, string? Actual, string Message)
{
    public override string ToString() => $"{(Passed ? "pass" : "FAIL")} {Expectation.Text}: {Message}";
}

/// <summary>
/// One regression check on a probe report, written <c>KEY OP VALUE</c>: e.g. <c>protocol=hybrid</c>,
/// <c>tls&gt;=1.2</c>, <c>cipher!~CBC</c>, <c>cert.days-left&gt;=30</c>, <c>reached=tls</c>. Operators: = != &gt;= &lt;= &gt; &lt;
/// (numbers, TLS versions and phases compare by order) and ~ !~ (regular expression, case-insensitive).
/// A key the run did not measure has no value, and a check on it fails, saying so.
/// </summary>
public sealed partial class Expectation
{
    private static readonly string[] Operators = ["!=", ">=", "<=", "!~", "=", ">", "<", "~"];

    /// <summary>Encryption methods and levels in order of strength; <c>tls</c> when TLS or CredSSP protects the session.</summary>
    private static readonly string[] EncryptionMethods = ["none", "40bit", "56bit", "128bit", "fips", "tls"];

    private static readonly string[] EncryptionLevels = ["none", "low", "client-compatible", "high", "fips", "tls"];

    private Expectation(string text, string key, string op, string value)
    {
        Text = text;
        Key = key;
        Operator = op;
        Value = value;
    }

    public string Text { get; }

    public string Key { get; }

    public string Operator { get; }

    public string Value { get; }

    /// <summary>The keys an expectation may name, with what they read.</summary>
    public static IReadOnlyDictionary<string, string> Keys { get; } = new Dictionary<string, string>
    {
        ["reached"] = "the last phase completed: tcp, x224, tls, credssp, mcs, security, licensing, capabilities (or active), finalization (or finalized)",
        ["success"] = "true when the run reached what was asked",
        ["phase"] = "the phase of the diagnosis (none when the run succeeded)",
        ["cause"] = "the cause of the diagnosis (none when the run succeeded)",
        ["protocol"] = "the security protocol the server selected: rdp, ssl, hybrid, hybrid_ex, rdstls, rdsaad",
        ["failure-code"] = "the RDP_NEG_FAILURE code, e.g. SSL_REQUIRED_BY_SERVER",
        ["tls"] = "the negotiated TLS version: 1.0, 1.1, 1.2, 1.3",
        ["cipher"] = "the negotiated cipher suite's IANA name",
        ["group"] = "the negotiated key-exchange group",
        ["cert.days-left"] = "days until the certificate expires (negative when expired)",
        ["cert.key-bits"] = "the certificate's key size in bits",
        ["cert.key-type"] = "RSA, EC, ...",
        ["cert.signature"] = "the certificate's signature algorithm",
        ["cert.self-signed"] = "true or false",
        ["cert.subject"] = "the certificate's subject",
        ["cert.sha1"] = "the SHA-1 fingerprint (what mstsc shows)",
        ["cert.sha256"] = "the SHA-256 fingerprint",
        ["cert.findings"] = "the certificate finding codes, comma-separated",
        ["credssp.version"] = "the CredSSP (TSRequest) version the server answered with; below 5 it is not updated for CVE-2018-0886",
        ["credssp.nonce-binding"] = "with --check-nonce-binding: enforced, not-enforced or unknown (does the server refuse version 2-4 clients?)",
        ["credssp.ntlm"] = "how NTLM travelled: spnego, or bare when the server refused SPNEGO",
        ["encryption-method"] = "Standard RDP Security's method: 40bit, 56bit, 128bit, fips, or tls when TLS/CredSSP protects the session; compares by strength",
        ["encryption-level"] = "Standard RDP Security's level: none, low, client-compatible, high, fips, or tls when TLS/CredSSP protects the session; compares in that order",
        ["licensing"] = "how licensing ended: STATUS_VALID_CLIENT, license issued, or the licence error name",
        ["error-info"] = "the last Set Error Info name (none when the server sent none)",
        ["channels"] = "the static channels the server gave IDs to, comma-separated",
        ["elapsed-ms"] = "the run's duration in milliseconds",
        ["clients"] = "client profiles, comma-separated (clients=mstsc-win11,freerdp3): passes only if none of them would refuse what the server chose (docs/clients.md; `rdphs compat` tries each with its own offer)",
    };

    /// <summary>
    /// Parses <c>KEY OP VALUE</c> and checks it makes sense before any run: the key is known, the operator applies to
    /// its kind of value (<c>&gt;=</c> orders numbers, TLS versions, phases and encryption strengths, not names) and
    /// the value is one the key can have (<c>tls&gt;=banana</c> is refused here, not failed after a whole probe). On
    /// failure <paramref name="error"/> says what is wrong.
    /// </summary>
    public static bool TryParse(string text, out Expectation? expectation, out string? error)
    {
        expectation = null;
        if (!TrySplit(text, out string key, out string op, out string value))
        {
            error = $"'{text}': expected KEY OP VALUE with OP one of {string.Join(" ", Operators)}, e.g. tls>=1.2";
            return false;
        }

        if (!Keys.ContainsKey(key))
        {
            error = $"'{text}': unknown key '{key}' (known: {string.Join(", ", Keys.Keys)})";
            return false;
        }

        if (value.Length == 0)
        {
            error = $"'{text}': no value after '{op}'";
            return false;
        }

        if (op is "~" or "!~")
        {
            try
            {
                _ = new Regex(value, RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                error = $"'{text}': not a valid regular expression: {ex.Message}";
                return false;
            }
        }
        else if (CheckValue(key, op, value) is { } problem)
        {
            error = $"'{text}': {problem}";
            return false;
        }

        expectation = new Expectation(text.Trim(), key, op, value);
        error = null;
        return true;
    }

    /// <summary>Parses <c>KEY OP VALUE</c>, throwing <see cref="FormatException"/> with the reason when it is not a valid check.</summary>
    public static Expectation Parse(string text) =>
        TryParse(text, out Expectation? expectation, out string? error) ? expectation! : throw new FormatException(error);

    /// <summary>
    /// Splits at the first operator from the left, the longer one where two start at the same place: <c>tls&gt;=1.2</c> is
    /// <c>tls</c>, <c>&gt;=</c>, <c>1.2</c>; <c>cert.subject~CN=host</c> is <c>cert.subject</c>, <c>~</c>, <c>CN=host</c>.
    /// </summary>
    private static bool TrySplit(string text, out string key, out string op, out string value)
    {
        for (int at = 1; at < text.Length; at++)
        {
            foreach (string candidate in Operators)
            {
                if (string.CompareOrdinal(text, at, candidate, 0, candidate.Length) == 0)
                {
                    key = text[..at].Trim().ToLowerInvariant();
                    op = candidate;
                    value = text[(at + candidate.Length)..].Trim();
                    return key.Length > 0;
                }
            }
        }

        key = op = value = string.Empty;
        return false;
    }

    /// <summary>What is wrong with comparing <paramref name="key"/> to <paramref name="value"/> with <paramref name="op"/>, or null.</summary>
    private static string? CheckValue(string key, string op, string value)
    {
        bool ordering = op is ">=" or "<=" or ">" or "<";
        switch (key)
        {
            case "reached" or "phase":
                return PhaseOrder(value) is null ? $"'{value}' is not a phase (none, {string.Join(", ", Enum.GetValues<ConnectionPhase>().Select(p => p.Name()))}, active, finalized)" : null;
            case "tls":
                return TlsVersionNames.TryParse(value, out _) ? null : $"'{value}' is not a TLS version (1.0, 1.1, 1.2 or 1.3)";
            case "cert.days-left" or "cert.key-bits" or "credssp.version" or "elapsed-ms":
                return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && double.IsFinite(number)
                    ? null
                    : $"'{value}' is not a number";
            case "encryption-method":
                return Array.IndexOf(EncryptionMethods, value.ToLowerInvariant()) < 0 ? $"'{value}' is not an encryption method ({string.Join(", ", EncryptionMethods)})" : null;
            case "encryption-level":
                return Array.IndexOf(EncryptionLevels, value.ToLowerInvariant()) < 0 ? $"'{value}' is not an encryption level ({string.Join(", ", EncryptionLevels)})" : null;
            case "clients":
                return op != "=" ? $"clients takes = and a list of client profiles, e.g. clients=mstsc-win11,freerdp3"
                    : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(n => ClientProfiles.Find(n) is null) is { } unknown
                        ? $"'{unknown}' is not a client profile (known: {string.Join(", ", ClientProfiles.Names)})"
                        : null;
        }

        if (ordering)
        {
            return $"'{op}' orders numbers, TLS versions, phases and encryption strengths; {key} is compared with = != ~ !~";
        }

        return key switch
        {
            "success" or "cert.self-signed" => value.ToLowerInvariant() is "true" or "false" ? null : $"'{value}' is not true or false",
            "cause" => value.Equals("none", StringComparison.OrdinalIgnoreCase) || CauseNames.TryParse(value.Split(':', 2)[0].ToLowerInvariant(), out _)
                ? null
                : $"'{value}' is not a cause (none, or a name such as closed-by-peer or negotiation-failure:SSL_REQUIRED_BY_SERVER; docs/report-format.md lists them)",
            "protocol" => NegotiationNames.TryParseProtocol(value, out _) ? null : $"'{value}' is not a security protocol (rdp, ssl, hybrid, hybrid_ex, rdstls, rdsaad)",
            "failure-code" => value.Equals("none", StringComparison.OrdinalIgnoreCase) || NegotiationNames.TryParseFailureCode(value, out _)
                ? null
                : $"'{value}' is not an RDP_NEG_FAILURE code (none, or a name such as HYBRID_REQUIRED_BY_SERVER)",
            "cipher" => TlsNames.TryParseCipherSuite(value, out _) ? null : $"'{value}' is not a cipher suite's IANA name (e.g. TLS_AES_128_GCM_SHA256; ~ matches part of a name)",
            "group" => TlsNames.TryParseNamedGroup(value, out _) ? null : $"'{value}' is not a named group (e.g. x25519, secp256r1)",
            "credssp.nonce-binding" => value.ToLowerInvariant() is "enforced" or "not-enforced" or "unknown" ? null : $"'{value}' is not enforced, not-enforced or unknown",
            "credssp.ntlm" => value.ToLowerInvariant() is "spnego" or "bare" ? null : $"'{value}' is not spnego or bare",
            _ => null,
        };
    }

    public ExpectationResult Evaluate(ProbeReport report)
    {
        if (Key == "clients")
        {
            return EvaluateClients(report);
        }

        string? actual = Read(report);
        if (actual is null)
        {
            return new ExpectationResult(this, false, null, $"{Key} has no value: the run did not get that far or did not measure it");
        }

        bool passed = Operator switch
        {
            "~" => Regex.IsMatch(actual, Value, RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)),
            "!~" => !Regex.IsMatch(actual, Value, RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)),
            _ => Compare(actual) is { } order && Operator switch
            {
                "=" => order == 0,
                "!=" => order != 0,
                ">=" => order >= 0,
                "<=" => order <= 0,
                ">" => order > 0,
                _ => order < 0,
            },
        };
        return new ExpectationResult(this, passed, actual, passed ? $"{Key} is {actual}" : $"expected {Key} {Operator} {Value}, got {actual}");
    }

    /// <summary>
    /// <c>clients=A,B</c>: every named client would connect. The run's own offer is rdphs's, so only refusals that do not
    /// depend on the offer count (a failed run fails the check: none of them would get further).
    /// </summary>
    private ExpectationResult EvaluateClients(ProbeReport report)
    {
        ClientProfile[] profiles = [.. Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => ClientProfiles.Find(n)!)];
        if (!report.Success)
        {
            return new ExpectationResult(this, false, null, $"the run failed ({report.Diagnosis!.Cause.Name}), so {string.Join(", ", profiles.Select(p => p.Name))} would not connect either");
        }

        ClientVerdict[] refusing = [.. profiles.Select(p => ClientJudge.Evaluate(p, report, ownOffer: false)).Where(v => !v.Connects && v.Certain)];
        string actual = string.Join(",", profiles.Except(refusing.Select(v => v.Profile)).Select(p => p.Name));
        return refusing.Length == 0
            ? new ExpectationResult(this, true, actual, $"none of {string.Join(", ", profiles.Select(p => p.Name))} refuses what the server chose")
            : new ExpectationResult(this, false, actual, string.Join("; ", refusing.Select(v => v.Reason)));
    }

    private int? Compare(string actual)
    {
        if (Key == "reached" || Key == "phase")
        {
            int? left = PhaseOrder(actual);
            int? right = PhaseOrder(Value);
            return left is not null && right is not null ? left.Value.CompareTo(right.Value) : string.Compare(actual, Value, StringComparison.OrdinalIgnoreCase);
        }

        if (Key is "encryption-method" or "encryption-level")
        {
            string[] order = Key == "encryption-method" ? EncryptionMethods : EncryptionLevels;
            int left = Array.IndexOf(order, actual.ToLowerInvariant());
            int right = Array.IndexOf(order, Value.ToLowerInvariant());
            return left >= 0 && right >= 0 ? left.CompareTo(right) : string.Compare(actual, Value, StringComparison.OrdinalIgnoreCase);
        }

        if (Key == "tls" && System.Version.TryParse(actual, out Version? a) && System.Version.TryParse(Value, out Version? b))
        {
            return a.CompareTo(b);
        }

        if (double.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out double x)
            && double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double y))
        {
            return x.CompareTo(y);
        }

        return Operator is "=" or "!=" ? string.Compare(actual, Value, StringComparison.OrdinalIgnoreCase) : null;
    }

    private static int? PhaseOrder(string name) =>
        name.Equals("none", StringComparison.OrdinalIgnoreCase) ? -1
        : name.Equals("finalized", StringComparison.OrdinalIgnoreCase) ? (int)ConnectionPhase.Finalization
        : name.Equals("active", StringComparison.OrdinalIgnoreCase) ? (int)ConnectionPhase.Capabilities
        : Enum.GetValues<ConnectionPhase>().Select(p => (ConnectionPhase?)p).FirstOrDefault(p => p!.Value.Name() == name.ToLowerInvariant()) is { } phase ? (int)phase
        : null;

    private string? Read(ProbeReport report)
    {
        CertificateReport? certificate = report.Tls?.Certificate;
        return Key switch
        {
            "reached" => report.Reached?.Name() ?? "none",
            "success" => report.Success ? "true" : "false",
            "phase" => report.Diagnosis?.Phase.Name() ?? "none",
            "cause" => report.Diagnosis?.Cause.Name ?? "none",
            "protocol" => report.Negotiation?.Selected is { } selected ? NegotiationNames.ShortName(selected) : null,
            "failure-code" => report.Negotiation is { } n ? (n.FailureCode is { } code ? NegotiationNames.Name(code) : "none") : null,
            "tls" => report.Tls?.Version is { } version ? TlsNames.ShortVersion(version) : null,
            "cipher" => report.Tls?.CipherSuite is { } suite ? TlsNames.CipherSuite(suite) : null,
            "group" => report.Tls?.NamedGroup is { } group ? TlsNames.NamedGroupName(group) : null,
            "cert.days-left" => certificate?.DaysLeft.ToString(CultureInfo.InvariantCulture),
            "cert.key-bits" => certificate?.KeyBits.ToString(CultureInfo.InvariantCulture),
            "cert.key-type" => certificate?.KeyType,
            "cert.signature" => certificate?.SignatureAlgorithm,
            "cert.self-signed" => certificate is null ? null : certificate.SelfSigned ? "true" : "false",
            "cert.subject" => certificate?.Subject,
            "cert.sha1" => certificate?.Sha1Fingerprint,
            "cert.sha256" => certificate?.Sha256Fingerprint,
            "cert.findings" => certificate is null ? null : string.Join(",", certificate.Findings.Select(f => f.Code)),
            "credssp.version" => report.CredSsp is { ServerVersion: > 0 } c1 ? c1.ServerVersion.ToString(CultureInfo.InvariantCulture) : null,
            "credssp.nonce-binding" => report.CredSsp?.NonceBinding is { } nonce
                ? nonce.Enforced switch { true => "enforced", false => "not-enforced", null => "unknown" }
                : null,
            "credssp.ntlm" => report.CredSsp is { } c2 ? (c2.NtlmInSpnego ? "spnego" : "bare") : null,
            "encryption-method" => report.Session is { } s1 ? ShortEncryption(s1.EncryptionMethod, "ENCRYPTION_METHOD_")
                : report.Tls is { HandshakeComplete: true } ? "tls" : null,
            "encryption-level" => report.Session is { } s2 ? ShortEncryption(s2.EncryptionLevel, "ENCRYPTION_LEVEL_")
                : report.Tls is { HandshakeComplete: true } ? "tls" : null,
            "licensing" => report.Session?.Licensing,
            "error-info" => report.Session is { } s3 ? s3.ErrorInfo?.Name ?? "none" : null,
            "channels" => report.Session is { } s4 ? string.Join(",", s4.Channels.Select(c => c.Name)) : null,
            "elapsed-ms" => Math.Round(report.Elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>
    /// ENCRYPTION_METHOD_128BIT becomes 128bit, ENCRYPTION_LEVEL_CLIENT_COMPATIBLE client-compatible; a session
    /// without Standard RDP Security (TLS or CredSSP protect it) is <c>tls</c>, which ranks above every level.
    /// </summary>
    private static string ShortEncryption(string? name, string prefix) =>
        name is null ? "tls" : name.Replace(prefix, string.Empty, StringComparison.Ordinal).Replace('_', '-').ToLowerInvariant();

    public override string ToString() => Text;
}
