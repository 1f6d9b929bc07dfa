using System.Globalization;
using System.Text.RegularExpressions;
using RdpHandshake.Checks;
using RdpHandshake.Crypto;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RdpHandshake.Cli.Exporter;

/// <summary>
/// One way of probing, chosen by <c>/probe?module=NAME</c>: what the probe offers and how far it goes, the checks that
/// make it fail, how long it may take, and which targets it may be sent to.
/// </summary>
internal sealed record ExporterModule
{
    public required string Name { get; init; }

    /// <summary>The probe's options (its per-answer timeouts apply within each probe's deadline).</summary>
    public required ProbeOptions Probe { get; init; }

    public IReadOnlyList<Expectation> Checks { get; init; } = [];

    /// <summary>The whole probe's deadline, cut to the scrape timeout less the offset; null for the scrape's alone.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The only hosts this module may probe; null for any host the allow-list allows.</summary>
    public TargetAllowList? Targets { get; init; }

    /// <summary>
    /// When the server selected NLA from an offer that left it a choice, ask once more offering TLS alone (X.224 only) to
    /// tell "requires NLA" from "prefers NLA" for <c>rdphs_nla_required</c>.
    /// </summary>
    public bool CheckNlaRequired { get; init; } = true;

    /// <summary>Who the module signs in as, for messages (never the password); null without credentials.</summary>
    public string? User => Probe.Credentials?.ToString();
}

/// <summary>
/// The exporter's modules and allow-list: built-in modules (<c>negotiate</c>, <c>tls_only</c>), those of a YAML file
/// (<c>--config</c>), and the hosts that may be probed. Passwords are never written in the file: a module names an
/// environment variable (<c>password_env</c>) or a file (<c>password_file</c>) that holds one, read when the config is.
/// Everything is checked when it is read; a mistake is a <see cref="UsageException"/> that names the key at fault.
/// </summary>
internal sealed partial record ExporterConfig(IReadOnlyDictionary<string, ExporterModule> Modules, TargetAllowList AllowList, string AllowListOrigin)
{
    public const string DefaultModule = "negotiate";

    private static readonly string[] TopLevelKeys = ["modules", "allow_targets"];

    private static readonly string[] ModuleKeys =
    [
        "protocols", "until", "timeout", "expect", "tls_versions", "tls_ciphers", "sni", "trust", "cert_policy", "cookie",
        "credssp_version", "ntlm_bare", "auth", "kdc", "user", "password_env", "password_file", "targets", "nla_check",
    ];

    /// <summary>The modules that exist without a config file; a module of the same name in the file replaces one.</summary>
    public static IReadOnlyDictionary<string, ExporterModule> BuiltInModules { get; } = new Dictionary<string, ExporterModule>(StringComparer.Ordinal)
    {
        // What 'rdphs probe HOST' does: TLS and NLA offered as mstsc does, as far as a client without credentials gets.
        ["negotiate"] = new() { Name = "negotiate", Probe = new ProbeOptions() },

        // A client that offers TLS alone, up to the end of the TLS handshake: the certificate and TLS, and whether the
        // server turns away a client without NLA (HYBRID_REQUIRED_BY_SERVER).
        ["tls_only"] = new()
        {
            Name = "tls_only",
            Probe = new ProbeOptions
            {
                Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl, Cookie = "rdphs" },
                Until = ConnectionPhase.Tls,
                StopWhereCredentialsAreNeeded = false,
            },
        },
    };

    /// <summary>
    /// Reads the configuration: the built-in modules, those of <paramref name="path"/> (null for none), and the
    /// allow-list: the file's <c>allow_targets</c> with <paramref name="allowTargets"/> (<c>--allow-targets</c>); when
    /// neither names any, the targets the modules name; when no module names any, loopback only.
    /// </summary>
    public static ExporterConfig Load(string? path, IReadOnlyList<string> allowTargets, Func<string, string?> environment)
    {
        var modules = new Dictionary<string, ExporterModule>(BuiltInModules, StringComparer.Ordinal);
        TargetAllowList? fileList = null;
        string where = path is null ? "--allow-targets" : $"--config '{path}'";
        if (path is not null)
        {
            YamlMappingNode root = ReadYaml(path);
            foreach ((YamlNode keyNode, YamlNode value) in root.Children)
            {
                string key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                switch (key)
                {
                    case "modules":
                        if (value is not YamlMappingNode entries)
                        {
                            throw Bad(path, "\"modules\" must map each module's name to its settings");
                        }

                        foreach ((YamlNode nameNode, YamlNode settings) in entries.Children)
                        {
                            string name = (nameNode as YamlScalarNode)?.Value ?? string.Empty;
                            if (!ModuleName().IsMatch(name))
                            {
                                throw Bad(path, $"module name '{name}': use 1 to 64 letters, digits, '_', '-' or '.'");
                            }

                            modules[name] = ReadModule(path, name, settings, environment);
                        }

                        break;
                    case "allow_targets":
                        IReadOnlyList<string> listed = Strings(path, "allow_targets", value);
                        if (listed.Count == 0)
                        {
                            throw Bad(path, "\"allow_targets\" is empty: name the hosts to allow, or leave the key out");
                        }

                        fileList = TargetAllowList.Parse(listed, $"--config '{path}': allow_targets");
                        break;
                    default:
                        throw Bad(path, $"unknown key \"{key}\" (known: {string.Join(", ", TopLevelKeys)})");
                }
            }
        }

        var explicitLists = new List<TargetAllowList>();
        if (fileList is not null)
        {
            explicitLists.Add(fileList);
        }

        if (allowTargets.Count > 0)
        {
            explicitLists.Add(TargetAllowList.Parse(allowTargets.SelectMany(t => t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)), "--allow-targets"));
        }

        TargetAllowList allowList;
        string origin;
        if (explicitLists.Count > 0)
        {
            allowList = TargetAllowList.Union(explicitLists, "allow-list");
            origin = string.Join(" and ", new[] { fileList is null ? null : "allow_targets", allowTargets.Count > 0 ? "--allow-targets" : null }.OfType<string>());
            foreach (ExporterModule module in modules.Values.Where(m => m.Targets is not null))
            {
                if (module.Targets!.EntriesNotIn(allowList).FirstOrDefault() is { } outside)
                {
                    throw new UsageException($"{where}: modules.{module.Name}.targets '{outside}' is not on the allow-list ({allowList}): add it there, or drop it from the module");
                }
            }
        }
        else if (modules.Values.Any(m => m.Targets is not null))
        {
            allowList = TargetAllowList.Union(modules.Values.Where(m => m.Targets is not null).Select(m => m.Targets!), "allow-list");
            origin = "the modules' targets";
        }
        else
        {
            allowList = TargetAllowList.Loopback;
            origin = "loopback only, the default";
        }

        return new ExporterConfig(modules, allowList, origin);
    }

    private static YamlMappingNode ReadYaml(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            throw Bad(path, $"cannot read it as YAML ({ex.Message})");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Bad(path, $"cannot read it ({Files.Describe(ex)})");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw Bad(path, "expected one YAML mapping with \"modules\" and/or \"allow_targets\"");
        }

        return root;
    }

    private static ExporterModule ReadModule(string path, string name, YamlNode node, Func<string, string?> environment)
    {
        if (node is not YamlMappingNode settings)
        {
            throw Bad(path, $"modules.{name} must be a mapping of settings (e.g. protocols: [ssl], until: tls)");
        }

        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach ((YamlNode keyNode, YamlNode value) in settings.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            if (key == "password")
            {
                throw Bad(path, $"modules.{name}.password: a password is never written in the config; name the environment variable that holds it (password_env) or a file (password_file)");
            }

            if (!ModuleKeys.Contains(key))
            {
                throw Bad(path, $"modules.{name}: unknown key \"{key}\" (known: {string.Join(", ", ModuleKeys)})");
            }

            values[key] = value;
        }

        string Where(string key) => $"--config '{path}': modules.{name}.{key}";
        string? Scalar(string key) => values.TryGetValue(key, out YamlNode? value)
            ? (value as YamlScalarNode)?.Value ?? throw new UsageException($"{Where(key)}: expected a single value")
            : null;
        string? List(string key) => values.TryGetValue(key, out YamlNode? value) ? string.Join(',', Strings(path, $"modules.{name}.{key}", value)) : null;
        bool Flag(string key, bool fallback) => Scalar(key) is not { } text
            ? fallback
            : bool.TryParse(text, out bool flag) ? flag : throw new UsageException($"{Where(key)} '{text}': expected true or false");

        var probe = new ProbeOptions();
        if (List("protocols") is { } protocolText)
        {
            probe = probe with { Negotiation = probe.Negotiation with { RequestedProtocols = CommonOptions.Combine(CommonOptions.ParseProtocolList(Where("protocols"), protocolText)) } };
        }

        if (Scalar("cookie") is { } cookie)
        {
            if (cookie.Length == 0 || cookie.Any(c => c is '\r' or '\n' || c > 0xFF))
            {
                throw new UsageException($"{Where("cookie")}: one line of Latin-1 characters");
            }

            probe = probe with { Negotiation = probe.Negotiation with { Cookie = cookie } };
        }

        Credentials? credentials = ReadCredentials(Where, Scalar("user"), Scalar("password_env"), Scalar("password_file"), environment);
        if (Scalar("until") is { } untilText)
        {
            ConnectionPhase until = untilText.Trim().ToLowerInvariant() switch
            {
                "x224" => ConnectionPhase.X224,
                "tls" => ConnectionPhase.Tls,
                "credssp" when credentials is not null => ConnectionPhase.CredSsp,
                "credssp" => throw new UsageException($"{Where("until")} credssp: needs user and password_env or password_file"),
                "mcs" => ConnectionPhase.Mcs,
                "licensing" => ConnectionPhase.Licensing,
                "active" => ConnectionPhase.Capabilities,
                "finalized" => ConnectionPhase.Finalization,
                _ => throw new UsageException($"{Where("until")} '{untilText}': must be x224, tls, credssp, mcs, licensing, active or finalized"),
            };
            probe = probe with { Until = until, StopWhereCredentialsAreNeeded = false };
        }

        TimeSpan? timeout = Scalar("timeout") is { } timeoutText ? ReadDuration(Where("timeout"), timeoutText) : null;
        TlsOffer offer = probe.Tls;
        if (List("tls_versions") is { } versions)
        {
            offer = offer with { Versions = CommonOptions.ParseTlsVersions(Where("tls_versions"), versions) };
        }

        if (List("tls_ciphers") is { } suites)
        {
            offer = offer with { CipherSuites = CommonOptions.ParseCipherSuites(Where("tls_ciphers"), suites) };
        }

        bool sendServerName = true;
        if (Scalar("sni") is { } sni)
        {
            if (sni == "none")
            {
                sendServerName = false;
            }
            else
            {
                offer = offer with { ServerName = sni };
            }
        }

        var policy = new HashSet<string>();
        foreach (string finding in (List("cert_policy") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (finding == "strict")
            {
                policy.UnionWith(CertificateAnalysis.Codes.All.Where(c => c != CertificateAnalysis.Codes.SelfSigned));
            }
            else if (CertificateAnalysis.Codes.All.Contains(finding))
            {
                policy.Add(finding);
            }
            else
            {
                throw new UsageException($"{Where("cert_policy")}: unknown finding '{finding}' (known: strict, {string.Join(", ", CertificateAnalysis.Codes.All)})");
            }
        }

        TrustAnchors? trust = Scalar("trust") switch
        {
            null or "none" => null,
            "system" => TrustAnchors.System,
            { } file => LoadTrust(Where("trust"), file),
        };

        int credSspVersion = probe.CredSspVersion;
        if (Scalar("credssp_version") is { } versionText)
        {
            if (!int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out credSspVersion) || credSspVersion is < 2 or > 6)
            {
                throw new UsageException($"{Where("credssp_version")} '{versionText}': must be from 2 to 6");
            }
        }

        bool ntlmBare = Flag("ntlm_bare", false);
        AuthPackage package = Scalar("auth")?.Trim().ToLowerInvariant() switch
        {
            null or "negotiate" => ntlmBare ? AuthPackage.Ntlm : AuthPackage.Negotiate,
            "kerberos" when ntlmBare => throw new UsageException($"{Where("auth")}: ntlm_bare sends NTLM without SPNEGO, and Kerberos needs SPNEGO: drop one of them"),
            "kerberos" => AuthPackage.Kerberos,
            "ntlm" => AuthPackage.Ntlm,
            { } other => throw new UsageException($"{Where("auth")} '{other}': must be negotiate, kerberos or ntlm"),
        };

        KerberosSettings kerberos = probe.Kerberos;
        if (List("kdc") is { } kdcText)
        {
            var endpoints = new List<KdcEndpoint>();
            foreach (string part in kdcText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                endpoints.Add(KdcEndpoint.TryParse(part, out KdcEndpoint? endpoint, out string? error) ? endpoint! : throw new UsageException($"{Where("kdc")}: {error}"));
            }

            kerberos = kerberos with { Kdcs = endpoints };
        }

        var checks = new List<Expectation>();
        if (values.TryGetValue("expect", out YamlNode? expectNode))
        {
            foreach (string text in Strings(path, $"modules.{name}.expect", expectNode))
            {
                checks.Add(Expectation.TryParse(text, out Expectation? check, out string? error) ? check! : throw new UsageException($"{Where("expect")} {error}"));
            }
        }

        TargetAllowList? targets = null;
        if (values.TryGetValue("targets", out YamlNode? targetsNode))
        {
            IReadOnlyList<string> listed = Strings(path, $"modules.{name}.targets", targetsNode);
            targets = listed.Count > 0 ? TargetAllowList.Parse(listed, Where("targets")) : throw new UsageException($"{Where("targets")}: empty; name the hosts, or leave the key out");
        }

        if (credentials is not null && targets is null)
        {
            // INVARIANT: a module's credentials go only to the hosts it names, whatever a scrape's target says.
            throw new UsageException($"--config '{path}': modules.{name} signs in as {credentials}: name the hosts it may send the credentials to (targets: [HOST, ...])");
        }

        return new ExporterModule
        {
            Name = name,
            Probe = probe with
            {
                Credentials = credentials,
                Tls = offer,
                SendServerName = sendServerName,
                CertificatePolicy = policy,
                Trust = trust,
                CredSspVersion = credSspVersion,
                NtlmInSpnego = !ntlmBare,
                Authentication = package,
                Kerberos = kerberos,
            },
            Checks = checks,
            Timeout = timeout,
            Targets = targets,
            CheckNlaRequired = Flag("nla_check", true),
        };
    }

    /// <summary>The module's credentials: the user, and the password from the named environment variable or file.</summary>
    private static Credentials? ReadCredentials(Func<string, string> where, string? user, string? passwordEnv, string? passwordFile, Func<string, string?> environment)
    {
        if (user is null)
        {
            return passwordEnv is not null || passwordFile is not null
                ? throw new UsageException($"{where(passwordEnv is not null ? "password_env" : "password_file")}: needs user (DOMAIN\\user or user@domain)")
                : null;
        }

        if (user.Trim().Length == 0)
        {
            throw new UsageException($"{where("user")}: empty");
        }

        Secret password = (passwordEnv, passwordFile) switch
        {
            (null, null) => throw new UsageException($"{where("user")}: name where its password is: password_env (an environment variable) or password_file"),
            ({ }, { }) => throw new UsageException($"{where("password_env")}: give password_env or password_file, not both"),
            ({ } variable, null) => environment(variable) is { } value
                ? new Secret(value)
                : throw new UsageException($"{where("password_env")}: the environment variable {variable} is not set"),
            (null, { } file) => ReadPasswordFile(where("password_file"), file),
        };
        return Credentials.Parse(user.Trim(), password);
    }

    private static Secret ReadPasswordFile(string where, string file)
    {
        try
        {
            string first = File.ReadLines(file).FirstOrDefault() ?? string.Empty;
            return new Secret(first.AsSpan().TrimEnd('\r'));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{where} '{file}': cannot read it ({Files.Describe(ex)})");
        }
    }

    private static TrustAnchors LoadTrust(string where, string file)
    {
        try
        {
            return TrustAnchors.FromPemFile(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{where} '{file}': not 'system', 'none' or a readable PEM file of CA certificates ({Files.Describe(ex)})");
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new UsageException($"{where} '{file}': not 'system', 'none' or a readable PEM file of CA certificates ({ex.Message.TrimEnd('.')})");
        }
    }

    /// <summary>Reads <c>10</c> (seconds), <c>10s</c>, <c>1500ms</c> or <c>1m</c>: more than 0 and at most an hour.</summary>
    public static TimeSpan ReadDuration(string where, string text)
    {
        string trimmed = text.Trim();
        (string number, double scale) = trimmed switch
        {
            _ when trimmed.EndsWith("ms", StringComparison.Ordinal) => (trimmed[..^2], 0.001),
            _ when trimmed.EndsWith('s') => (trimmed[..^1], 1.0),
            _ when trimmed.EndsWith('m') => (trimmed[..^1], 60.0),
            _ => (trimmed, 1.0),
        };
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            && value * scale > 0 && value * scale <= 3600)
        {
            return TimeSpan.FromSeconds(value * scale);
        }

        throw new UsageException($"{where} '{text}': expected a duration of more than 0 and at most an hour, e.g. 10, 10s, 1500ms or 1m");
    }

    private static IReadOnlyList<string> Strings(string path, string name, YamlNode node) => node switch
    {
        YamlScalarNode { Value: { } single } => single.Length == 0 ? [] : [single],
        YamlSequenceNode sequence when sequence.Children.All(c => c is YamlScalarNode { Value: not null }) =>
            sequence.Children.Select(c => ((YamlScalarNode)c).Value!).ToArray(),
        _ => throw Bad(path, $"\"{name}\" must be a list of values, e.g. [a, b]"),
    };

    private static UsageException Bad(string path, string message) => new($"--config '{path}': {message}");

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ModuleName();
}
