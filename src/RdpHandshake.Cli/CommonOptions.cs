using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Org.BouncyCastle.Tls;
using RdpHandshake.Crypto;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Cli;

/// <summary>Options shared by the client commands, and the helpers that turn them into engine options.</summary>
internal sealed class CommonOptions
{
    public Option<double> Timeout { get; } = new("--timeout", "-t")
    {
        Description = "Seconds to wait for each answer from the server (the whole PDU, not each byte).",
        DefaultValueFactory = _ => ProbeOptions.DefaultTimeoutSeconds,
    };

    public Option<double?> ConnectTimeout { get; } = new("--connect-timeout")
    {
        Description = "Seconds to wait for name resolution and the TCP connection [default: the --timeout value].",
    };

    public Option<string?> Proxy { get; } = new("--proxy")
    {
        Description = "Connect through this proxy: socks5://[USER@]HOST:PORT (SOCKS5, the proxy resolves the server's name) or http://[USER@]HOST:PORT (HTTP CONNECT); the proxy password comes from RDPHS_PROXY_PASSWORD or a prompt, never the URL.",
    };

    public Option<string?> Cookie { get; } = new("--cookie")
    {
        Description = "Identifier sent as 'Cookie: mstshash=ID' in the X.224 Connection Request (mstsc sends the user name) [default: rdphs].",
    };

    public Option<bool> NoCookie { get; } = new("--no-cookie")
    {
        Description = "Send no cookie at all.",
    };

    public Option<string?> RoutingToken { get; } = new("--routing-token")
    {
        Description = "Send this routing token (a load balancer's, e.g. 'Cookie: msts=...') instead of a cookie.",
    };

    public Option<string?> CorrelationId { get; } = new("--correlation-id")
    {
        Description = "Send an RDP_NEG_CORRELATION_INFO with this GUID (the id the server logs for the connection).",
    };

    public Option<string?> Until { get; } = new("--until")
    {
        Description = "Stop after this phase, then disconnect cleanly: x224, tls, credssp (needs --user), mcs (channels joined), licensing, active (Confirm Active sent) or finalized (Font Map received) [default: finalized, or as far as a server that requires NLA lets a client without --user go].",
    };

    public Option<string?> TlsVersions { get; } = new("--tls-versions")
    {
        Description = "TLS versions to offer, comma-separated, e.g. 1.2,1.3 [default: 1.0,1.1,1.2,1.3].",
    };

    public Option<string?> TlsCiphers { get; } = new("--tls-ciphers")
    {
        Description = "Cipher suites to offer by IANA name or 0xHHHH, comma-separated, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.",
    };

    public Option<string?> TlsGroups { get; } = new("--tls-groups")
    {
        Description = "Key-exchange groups to offer, comma-separated, e.g. x25519,secp256r1 [default: the TLS library's].",
    };

    public Option<string?> TlsSigAlgs { get; } = new("--tls-sigalgs")
    {
        Description = "Signature schemes to offer, comma-separated, e.g. rsa_pss_rsae_sha256,rsa_pkcs1_sha256 [default: the TLS library's].",
    };

    public Option<string?> Sni { get; } = new("--sni")
    {
        Description = "Server name to send in the TLS ClientHello [default: the target's DNS name; none for an IP].",
    };

    public Option<bool> NoSni { get; } = new("--no-sni")
    {
        Description = "Send no server name in the TLS ClientHello.",
    };

    public Option<string?> Channels { get; } = new("--channels")
    {
        Description = "Static virtual channels to request in the MCS Connect Initial, comma-separated names of up to 7 characters, or 'none' [default: rdpdr,rdpsnd,cliprdr,drdynvc, as mstsc].",
    };

    public Option<string?> EncryptionMethods { get; } = new("--encryption-methods")
    {
        Description = "Standard RDP Security methods to offer, comma-separated from 40, 56, 128, fips [default: all four, as Windows]. Servers that selected TLS ignore them.",
    };

    public Option<bool> FollowRedirect { get; } = new("--follow-redirect")
    {
        Description = "Follow a connection broker's Server Redirection (up to 3 hops) to the server it names, sending its load-balance info as the routing token [default: report the redirection and stop].",
    };

    public Option<string?> ClientName { get; } = new("--client-name")
    {
        Description = "The client computer name sent in the MCS client data (15 characters at most) [default: rdphs].",
    };

    public Option<string?> User { get; } = new("--user", "-u")
    {
        Description = "Authenticate in CredSSP (NLA) as DOMAIN\\user or user@domain. The password comes from $RDPHS_PASSWORD, --password-file, or a prompt; never from the command line.",
    };

    public Option<string?> PasswordFile { get; } = new("--password-file")
    {
        Description = "Read the password from the first line of FILE (keep it readable by you only).",
    };

    public Option<int> CredSspVersion { get; } = new("--credssp-version")
    {
        Description = "The TSRequest version to offer, 2 to 6 (versions 5 and 6 bind the TLS key with a nonce: the CVE-2018-0886 fix).",
        DefaultValueFactory = _ => 6,
    };

    /// <summary>--auth and the Kerberos options.</summary>
    public AuthOptions Authentication { get; } = new();

    public Option<bool> NtlmBare { get; } = new("--ntlm-bare")
    {
        Description = "Send NTLM bare in the TSRequest instead of wrapped in SPNEGO (FreeRDP 2 servers want it bare; Windows takes both).",
    };

    public Option<string?> KeyLog { get; } = new("--keylog")
    {
        Description = "Append the TLS secrets to FILE in the NSS key log format (and under Standard RDP Security an RDP_STANDARD_SECURITY line with the randoms), so Wireshark and rdphs analyze can decrypt a capture of the run [default: $SSLKEYLOGFILE when set]. The file holds secrets: keep it private.",
    };

    public Option<string> Trust { get; } = new("--trust")
    {
        Description = "Validate the server's certificate chain against 'system' (the OS trust store), a PEM FILE of CA certificates, or 'none'. The result is the 'untrusted' finding; add it to --cert-policy to fail on it.",
        DefaultValueFactory = _ => "none",
    };

    public Option<string?> CertPolicy { get; } = new("--cert-policy")
    {
        Description = $"Certificate findings that fail the run instead of being reported, comma-separated, or 'strict' for all but self-signed: {string.Join(", ", CertificateAnalysis.Codes.All)}.",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write one JSON document to stdout (schema in docs/report-format.md); human text goes to stderr.",
    };

    public Option<LogLevel> LogLevel { get; } = new("--log-level")
    {
        Description = "Diagnostic log level on stderr: Trace shows every PDU in hex.",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.None,
    };

    public void AddTlsOptions(Command command)
    {
        command.Options.Add(Until);
        command.Options.Add(Channels);
        command.Options.Add(EncryptionMethods);
        command.Options.Add(ClientName);
        command.Options.Add(FollowRedirect);
        command.Options.Add(TlsVersions);
        command.Options.Add(TlsCiphers);
        command.Options.Add(TlsGroups);
        command.Options.Add(TlsSigAlgs);
        command.Options.Add(Sni);
        command.Options.Add(NoSni);
        command.Options.Add(Trust);
        command.Options.Add(CertPolicy);
        command.Options.Add(KeyLog);
        command.Options.Add(User);
        command.Options.Add(PasswordFile);
        command.Options.Add(CredSspVersion);
        command.Options.Add(NtlmBare);
        Authentication.AddTo(command);
    }

    /// <summary>Reads the credentials named by --user, taking the password from the environment, a file or a prompt.</summary>
    public Credentials? ReadCredentials(ParseResult parse)
    {
        if (parse.GetValue(User) is not { } user)
        {
            if (parse.GetValue(PasswordFile) is not null)
            {
                throw new UsageException("--password-file needs --user");
            }

            return null;
        }

        Secret password;
        if (parse.GetValue(PasswordFile) is { } path)
        {
            try
            {
                string first = File.ReadLines(path).FirstOrDefault() ?? string.Empty;
                password = new Secret(first.AsSpan().TrimEnd('\r'));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--password-file '{path}': cannot read it ({Files.Describe(ex)})");
            }
        }
        else if (Environment.GetEnvironmentVariable("RDPHS_PASSWORD") is { } fromEnvironment)
        {
            password = new Secret(fromEnvironment);
        }
        else if (!Console.IsInputRedirected)
        {
            password = PromptPassword($"Password for {user}: ");
        }
        else
        {
            throw new UsageException("--user needs a password: set RDPHS_PASSWORD, use --password-file, or run in a terminal to be asked");
        }

        return Credentials.Parse(user, password);
    }

    internal static Secret PromptPassword(string prompt)
    {
        Console.Error.Write(prompt);
        var typed = new List<char>();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (typed.Count > 0)
                {
                    typed.RemoveAt(typed.Count - 1);
                }

                continue;
            }

            typed.Add(key.KeyChar);
        }

        Console.Error.WriteLine();
        var secret = new Secret(typed.ToArray());
        typed.Clear();
        return secret;
    }

    /// <summary>Opens the key log named by --keylog or SSLKEYLOGFILE (appending), or returns null.</summary>
    public KeyLogFile? OpenKeyLog(ParseResult parse)
    {
        string? path = parse.GetValue(KeyLog) ?? Environment.GetEnvironmentVariable("SSLKEYLOGFILE");
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        try
        {
            return new KeyLogFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--keylog '{path}': cannot open it for writing ({Files.Describe(ex)})");
        }
    }

    public void AddTo(Command command, bool withClientOptions = true)
    {
        if (withClientOptions)
        {
            command.Options.Add(Timeout);
            command.Options.Add(ConnectTimeout);
            command.Options.Add(Proxy);
            command.Options.Add(Cookie);
            command.Options.Add(NoCookie);
            command.Options.Add(RoutingToken);
            command.Options.Add(CorrelationId);
        }

        command.Options.Add(Json);
        command.Options.Add(LogLevel);
    }

    public ProbeOptions BuildProbeOptions(ParseResult parse, SecurityProtocols requested)
    {
        double timeout = parse.GetValue(Timeout);
        if (!(timeout > 0 && timeout <= 3600))
        {
            throw new UsageException($"--timeout {timeout}: must be more than 0 and at most 3600 seconds");
        }

        double connectTimeout = parse.GetValue(ConnectTimeout) ?? timeout;
        if (!(connectTimeout > 0 && connectTimeout <= 3600))
        {
            throw new UsageException($"--connect-timeout {connectTimeout}: must be more than 0 and at most 3600 seconds");
        }

        string? cookie = parse.GetValue(NoCookie) ? null : parse.GetValue(Cookie) ?? "rdphs";
        string? token = parse.GetValue(RoutingToken);
        if (token is not null)
        {
            cookie = parse.GetValue(Cookie);
        }

        CheckTokenText("--cookie", cookie);
        CheckTokenText("--routing-token", token);

        Guid? correlation = null;
        if (parse.GetValue(CorrelationId) is { } idText)
        {
            if (!Guid.TryParse(idText, out Guid id))
            {
                throw new UsageException($"--correlation-id '{idText}': not a GUID (e.g. 6e0b2b4e-3f4a-4c1d-9b2a-1f2e3d4c5b6a)");
            }

            correlation = id;
        }

        var negotiation = new NegotiationOptions
        {
            RequestedProtocols = requested,
            Cookie = cookie,
            RoutingToken = token,
            CorrelationId = correlation,
        };
        try
        {
            _ = negotiation.BuildConnectionRequest().Size;
        }
        catch (ArgumentException)
        {
            throw new UsageException($"the cookie or routing token is too long: the X.224 Connection Request can be at most {Protocol.X224.X224Framing.MaxConnectionPduSize} bytes");
        }

        return new ProbeOptions
        {
            Negotiation = negotiation,
            ReadTimeout = TimeSpan.FromSeconds(timeout),
            ConnectTimeout = TimeSpan.FromSeconds(connectTimeout),
            Proxy = ReadProxy(parse),
        };
    }

    /// <summary>
    /// The proxy named by --proxy, with its user's password from RDPHS_PROXY_PASSWORD or a prompt; a URL that is not a
    /// proxy URL is a usage error, before anything is sent.
    /// </summary>
    public ProxySettings? ReadProxy(ParseResult parse)
    {
        if (parse.GetValue(Proxy) is not { } url)
        {
            return null;
        }

        if (!ProxySettings.TryParse(url, out ProxySettings? proxy, out string? error))
        {
            throw new UsageException($"--proxy {error}");
        }

        if (proxy!.User is not { } user)
        {
            return proxy;
        }

        Secret password;
        if (Environment.GetEnvironmentVariable(ProxySettings.PasswordVariable) is { } fromEnvironment)
        {
            password = new Secret(fromEnvironment);
        }
        else if (!Console.IsInputRedirected)
        {
            password = PromptPassword($"Proxy password for {user}: ");
        }
        else
        {
            throw new UsageException($"--proxy names the user {user} and needs a password: set {ProxySettings.PasswordVariable}, or run in a terminal to be asked");
        }

        if (password.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(password.Reveal()) > Protocol.Proxy.Socks5UsernamePasswordRequest.MaxFieldLength)
        {
            password.Dispose();
            throw new UsageException($"the proxy password must be 1 to {Protocol.Proxy.Socks5UsernamePasswordRequest.MaxFieldLength} bytes of UTF-8");
        }

        return proxy with { Password = password };
    }

    /// <summary>Adds the TLS and --until choices of <c>probe</c> to <paramref name="options"/>.</summary>
    public ProbeOptions WithTlsOptions(ParseResult parse, ProbeOptions options)
    {
        Credentials? credentials = ReadCredentials(parse);
        string? explicitUntil = parse.GetValue(Until);
        string untilText = explicitUntil ?? "finalized";
        ConnectionPhase until = untilText.Trim().ToLowerInvariant() switch
        {
            "x224" => ConnectionPhase.X224,
            "tls" => ConnectionPhase.Tls,
            "credssp" when credentials is not null => ConnectionPhase.CredSsp,
            "credssp" => throw new UsageException("--until credssp needs --user (and a password) to authenticate"),
            "mcs" => ConnectionPhase.Mcs,
            "licensing" => ConnectionPhase.Licensing,
            "active" => ConnectionPhase.Capabilities,
            "finalized" => ConnectionPhase.Finalization,
            _ => throw new UsageException($"--until '{untilText}': must be x224, tls, credssp, mcs, licensing, active or finalized"),
        };

        int credSspVersion = parse.GetValue(CredSspVersion);
        if (credSspVersion is < 2 or > 6)
        {
            throw new UsageException($"--credssp-version {credSspVersion}: must be from 2 to 6");
        }

        TlsOffer offer = options.Tls;
        if (parse.GetValue(TlsVersions) is { } versionText)
        {
            offer = offer with { Versions = ParseTlsVersions("--tls-versions", versionText) };
        }

        if (parse.GetValue(TlsCiphers) is { } cipherText)
        {
            offer = offer with { CipherSuites = ParseCipherSuites("--tls-ciphers", cipherText) };
        }

        if (parse.GetValue(TlsGroups) is { } groupText)
        {
            offer = offer with { NamedGroups = ParseList("--tls-groups", groupText, TlsNames.TryParseNamedGroup, "a named group such as x25519 or secp256r1") };
        }

        if (parse.GetValue(TlsSigAlgs) is { } schemeText)
        {
            offer = offer with { SignatureSchemes = ParseList("--tls-sigalgs", schemeText, TlsNames.TryParseSignatureScheme, "a signature scheme such as rsa_pss_rsae_sha256") };
        }

        if (parse.GetValue(Sni) is { } sni)
        {
            offer = offer with { ServerName = sni };
        }

        var policy = new HashSet<string>();
        if (parse.GetValue(CertPolicy) is { } policyText)
        {
            foreach (string part in policyText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (part == "strict")
                {
                    policy.UnionWith(CertificateAnalysis.Codes.All.Where(c => c != CertificateAnalysis.Codes.SelfSigned));
                }
                else if (CertificateAnalysis.Codes.All.Contains(part))
                {
                    policy.Add(part);
                }
                else
                {
                    throw new UsageException($"--cert-policy '{policyText}': unknown finding '{part}' (known: strict, {string.Join(", ", CertificateAnalysis.Codes.All)})");
                }
            }
        }

        string trustText = parse.GetValue(Trust)!;
        TrustAnchors? trust = trustText switch
        {
            "none" => null,
            "system" => TrustAnchors.System,
            _ => LoadTrustFile(trustText),
        };

        SessionOptions session = options.Session;
        if (parse.GetValue(Channels) is { } channelText)
        {
            session = session with { Channels = ParseChannels(channelText) };
        }

        if (parse.GetValue(EncryptionMethods) is { } methodText)
        {
            session = session with { EncryptionMethods = ParseEncryptionMethods(methodText) };
        }

        if (parse.GetValue(ClientName) is { } clientName)
        {
            if (clientName.Length is 0 or > 15)
            {
                throw new UsageException($"--client-name '{clientName}': must be 1 to 15 characters");
            }

            session = session with { Core = session.Core with { ClientName = Protocol.Mcs.ClientCoreData.FixedUtf16(clientName, 32) } };
        }

        return Authentication.Apply(parse, options, parse.GetValue(NtlmBare)) with
        {
            Session = session,
            Credentials = credentials,
            CredSspVersion = credSspVersion,
            NtlmInSpnego = !parse.GetValue(NtlmBare),
            Trust = trust,
            Until = until,
            StopWhereCredentialsAreNeeded = explicitUntil is null,
            FollowRedirects = parse.GetValue(FollowRedirect) ? 3 : 0,
            Tls = offer,
            SendServerName = !parse.GetValue(NoSni),
            CertificatePolicy = policy,
        };
    }

    public static ILoggerFactory CreateLoggerFactory(LogLevel level) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        if (level != Microsoft.Extensions.Logging.LogLevel.None)
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            builder.AddConsole(o => o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace);
        }
    });

    private static IReadOnlyList<Protocol.Mcs.ChannelDefinition> ParseChannels(string text)
    {
        if (text.Trim() == "none")
        {
            return [];
        }

        var channels = new List<Protocol.Mcs.ChannelDefinition>();
        foreach (string name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (name.Length > 7 || !name.All(char.IsAsciiLetterOrDigit))
            {
                throw new UsageException($"--channels '{text}': '{name}' is not a channel name (1 to 7 ASCII letters or digits)");
            }

            Protocol.Mcs.ChannelDefinition known = SessionOptions.DefaultChannels.FirstOrDefault(c => c.Name == name);
            channels.Add(known.Name is null ? new Protocol.Mcs.ChannelDefinition(name, Protocol.Mcs.ChannelDefinition.OptionInitialized) : known);
        }

        if (channels.Count > Protocol.Mcs.ClientNetworkData.MaxChannels)
        {
            throw new UsageException($"--channels: {channels.Count} channels, at most {Protocol.Mcs.ClientNetworkData.MaxChannels}");
        }

        return channels;
    }

    private static uint ParseEncryptionMethods(string text)
    {
        uint methods = 0;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            methods |= part.ToLowerInvariant() switch
            {
                "40" => 0x01u,
                "128" => 0x02u,
                "56" => 0x08u,
                "fips" => 0x10u,
                "none" => 0u,
                _ => throw new UsageException($"--encryption-methods '{text}': '{part}' is not one of 40, 56, 128, fips, none"),
            };
        }

        return methods;
    }

    /// <summary>Parses a comma-separated protocol list such as <c>ssl,hybrid</c>.</summary>
    public static IReadOnlyList<SecurityProtocols> ParseProtocolList(string option, string text)
    {
        var list = new List<SecurityProtocols>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!NegotiationNames.TryParseProtocol(part, out SecurityProtocols protocol))
            {
                throw new UsageException($"{option} '{text}': unknown protocol '{part}' (known: rdp, ssl (tls), hybrid (nla), hybrid_ex, rdstls, rdsaad)");
            }

            if (!list.Contains(protocol))
            {
                list.Add(protocol);
            }
        }

        if (list.Count == 0)
        {
            throw new UsageException($"{option} '{text}': name at least one protocol");
        }

        return list;
    }

    private static TrustAnchors LoadTrustFile(string path)
    {
        try
        {
            return TrustAnchors.FromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--trust '{path}': not 'system', 'none' or a readable PEM file of CA certificates ({Files.Describe(ex)})");
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new UsageException($"--trust '{path}': not 'system', 'none' or a readable PEM file of CA certificates ({ex.Message.TrimEnd('.')})");
        }
    }

    /// <summary>Parses <c>1.2,1.3</c> into versions, newest first.</summary>
    public static IReadOnlyList<TlsVersion> ParseTlsVersions(string option, string text)
    {
        var versions = new List<TlsVersion>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TlsNames.TryParseVersion(part, out TlsVersion version))
            {
                throw new UsageException($"{option} '{text}': unknown version '{part}' (known: 1.0, 1.1, 1.2, 1.3)");
            }

            versions.Add(version);
        }

        if (versions.Count == 0)
        {
            throw new UsageException($"{option} '{text}': name at least one version");
        }

        return versions.Distinct().OrderDescending().ToArray();
    }

    /// <summary>Parses IANA cipher suite names or 0xHHHH values, keeping their order.</summary>
    public static IReadOnlyList<int> ParseCipherSuites(string option, string text) =>
        ParseList(option, text, TlsNames.TryParseCipherSuite, "the IANA name of a cipher suite, e.g. TLS_AES_128_GCM_SHA256, or 0xHHHH");

    private delegate bool TryParse(string text, out int value);

    /// <summary>Parses a comma-separated list of named TLS constants, keeping their order.</summary>
    private static IReadOnlyList<int> ParseList(string option, string text, TryParse parse, string expected)
    {
        var values = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!parse(part, out int value))
            {
                throw new UsageException($"{option} '{text}': unknown value '{part}' (expected {expected})");
            }

            values.Add(value);
        }

        if (values.Count == 0)
        {
            throw new UsageException($"{option} '{text}': name at least one value");
        }

        return values;
    }

    /// <summary>The requestedProtocols value that offers every protocol of the list.</summary>
    public static SecurityProtocols Combine(IEnumerable<SecurityProtocols> protocols) =>
        protocols.Aggregate(SecurityProtocols.Rdp, (all, protocol) => all | protocol);

    public static ProbeTarget ParseTarget(string text)
    {
        if (!ProbeTarget.TryParse(text, out ProbeTarget? target, out string? error))
        {
            throw new UsageException($"target {error}");
        }

        return target!;
    }

    /// <summary>Runs a synchronous command body, turning usage errors into exit code 2 with the message on stderr.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"rdphs: {ex.Message}");
            return ExitCodes.Usage;
        }
    }

    /// <summary>Runs a command body, turning usage errors into exit code 2 with the message on stderr.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"rdphs: {ex.Message}");
            return ExitCodes.Usage;
        }
    }

    private static void CheckTokenText(string option, string? text)
    {
        if (text is null)
        {
            return;
        }

        if (text.Contains('\r') || text.Contains('\n'))
        {
            throw new UsageException($"{option}: must not contain CR or LF (the PDU ends the field with CR LF)");
        }

        if (text.Any(c => c > 0xFF))
        {
            throw new UsageException($"{option} '{text}': only Latin-1 characters can be sent");
        }
    }
}
