using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs serve</c>: the scriptable test server, standalone.</summary>
internal static class ServeCommand
{
    /// <summary>The CredSSP faults by their command-line names.</summary>
    private static readonly (string Name, CredSspFault Fault)[] CredSspFaultNames =
    [
        ("wrong-pubkeyauth", CredSspFault.WrongPubKeyAuth),
        ("close-after-authenticate", CredSspFault.CloseAfterAuthenticate),
        ("malformed-tsrequest", CredSspFault.MalformedTsRequest),
        ("huge-length", CredSspFault.HugeLength),
        ("wrong-mechlistmic", CredSspFault.WrongMechListMic),
        ("garbled-ap-rep", CredSspFault.GarbledApRep),
    ];

    public static Command Create()
    {
        var port = new Option<int>("--port")
        {
            Description = "TCP port to listen on (0 picks a free one and prints it).",
            DefaultValueFactory = _ => ProbeTarget.DefaultPort,
        };
        var bind = new Option<string>("--bind")
        {
            Description = "Address to listen on. The server is a test fixture: keep it on loopback unless you mean it.",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var accept = new Option<string>("--accept")
        {
            Description = "Protocols the server accepts when the client offers them: ssl, hybrid, hybrid_ex, rdstls, rdsaad, rdp.",
            DefaultValueFactory = _ => "rdp,ssl,hybrid,hybrid_ex",
        };
        var securityLayer = new Option<string?>("--security-layer")
        {
            Description = "The server's security layer, as Windows names it: rdp (Standard RDP Security only), tls (ssl, hybrid, hybrid_ex) or negotiate (all of them). Overrides --accept.",
        };
        var encryptionLevel = new Option<string>("--encryption-level")
        {
            Description = "Standard RDP Security encryption level: none, low, client-compatible, high or fips.",
            DefaultValueFactory = _ => "client-compatible",
        };
        var encryptionMethods = new Option<string>("--encryption-methods")
        {
            Description = "Standard RDP Security methods the server may select, comma-separated: 40, 56, 128, fips. It picks the strongest the client offers.",
            DefaultValueFactory = _ => "40,56,128,fips",
        };
        var licensing = new Option<string>("--licensing")
        {
            Description = "The licensing answer: valid (STATUS_VALID_CLIENT), or a license error to send before closing, e.g. ERR_NO_LICENSE_SERVER or ERR_INVALID_CLIENT:ST_TOTAL_ABORT (the state transition defaults to ST_TOTAL_ABORT).",
            DefaultValueFactory = _ => "valid",
        };
        var errorInfo = new Option<string?>("--error-info")
        {
            Description = "The Set Error Info code the error-info fault sends: a number or an ERRINFO name [default: 0x7 ERRINFO_SERVER_DENIED_CONNECTION].",
        };
        var redirect = new Option<string?>("--redirect")
        {
            Description = "Act as a connection broker: after licensing, send a Server Redirection to HOST (an address) with LBINFO as its load-balance info (given as HOST or HOST,LBINFO), then close. Probe with --follow-redirect to follow it.",
        };
        var rdpVersion = new Option<string?>("--rdp-version")
        {
            Description = "The version in the server core data, e.g. 0x00080004 (RDP 5.0 to 8.1) [default: 0x0008000c, RDP 10.7].",
        };
        var messageChannel = new Option<bool>("--message-channel")
        {
            Description = "Announce an MCS message channel (TS_UD_SC_MCS_MSGCHANNEL) for the client to join.",
        };
        var failWith = new Option<string?>("--fail-with")
        {
            Description = $"Refuse every request with this RDP_NEG_FAILURE code: {string.Join(", ", NegotiationNames.AllFailureCodes.Select(NegotiationNames.Name))} (or a number).",
        };
        var responseFlags = new Option<string?>("--response-flags")
        {
            Description = "RDP_NEG_RSP flags byte to send, e.g. 0x01 (default 0x1b: extended client data, GFX, restricted admin, redirected auth).",
        };
        var faults = new Option<string[]>("--fault")
        {
            Description = $"Inject a fault, STEP:KIND (repeatable). Steps: {string.Join(", ", FaultSteps.All)}. Kinds: {string.Join(", ", FaultNames.AllNames)}.",
            AllowMultipleArgumentsPerToken = false,
        };
        var dripMs = new Option<int>("--drip-interval")
        {
            Description = "Milliseconds between bytes for the drip fault.",
            DefaultValueFactory = _ => 1000,
        };
        var tlsVersions = new Option<string?>("--tls-versions")
        {
            Description = "TLS versions the server accepts, comma-separated [default: 1.2,1.3].",
        };
        var tlsCiphers = new Option<string?>("--tls-ciphers")
        {
            Description = "Cipher suites the server accepts, by IANA name or 0xHHHH, comma-separated [default: the TLS library's].",
        };
        var credSspVersion = new Option<int?>("--credssp-version")
        {
            Description = "The TSRequest version the server answers with, 2 to 6 [default: 6]; below 5 it is a server without the 2018 CredSSP update, which updated clients refuse.",
        };
        var certificate = new Option<string>("--certificate")
        {
            Description = $"The certificate the server presents: {string.Join(", ", TestCertificates.AllProfiles.Select(TestCertificates.Name))}.",
            DefaultValueFactory = _ => "default",
        };
        var certificateFile = new Option<string?>("--certificate-file")
        {
            Description = "PEM certificate to present instead of a generated one (with --key-file).",
        };
        var keyFile = new Option<string?>("--key-file")
        {
            Description = "PEM private key (RSA) of --certificate-file.",
        };
        var maxConnections = new Option<int?>("--max-connections")
        {
            Description = "Exit after serving this many connections, 1 or more (for scripts) [default: serve until Ctrl-C].",
        };
        var account = new Option<string[]>("--account")
        {
            Description = $"An account CredSSP accepts, NAME:PASSWORD (NAME may be DOMAIN\\user), repeatable; the accounts given replace the built-in one ({DefaultAccount.User}, password {DefaultAccount.Password}). The passwords are the server's test fixtures: they are never printed.",
            AllowMultipleArgumentsPerToken = false,
        };
        var accountsFile = new Option<string?>("--accounts")
        {
            Description = "Read accounts from FILE, one NAME:PASSWORD a line ('#' starts a comment); with --account, both count.",
        };
        var credSspFault = new Option<string?>("--credssp-fault")
        {
            Description = $"What the server's CredSSP does wrong: {string.Join(", ", CredSspFaultNames.Select(n => n.Name))}.",
        };
        var refuseSpnego = new Option<bool>("--refuse-spnego")
        {
            Description = "Refuse NTLM wrapped in SPNEGO with errorCode 0xc00700ea and close, as FreeRDP 2 servers do (clients must send bare NTLM).",
        };
        var requireMechListMic = new Option<bool>("--require-mechlistmic")
        {
            Description = "Refuse a client whose SPNEGO answer to the CHALLENGE carries no mechListMIC (a wrong one is always refused).",
        };
        var requireNonceBinding = new Option<bool>("--require-nonce-binding")
        {
            Description = "Refuse clients that authenticate with CredSSP version 4 or older (the legacy pubKeyAuth binding), as a patched server set to 'Force Updated Clients' does.",
        };
        var kerberosKeytab = new Option<string?>("--kerberos-keytab")
        {
            Description = "Accept Kerberos inside SPNEGO with the service keys (TERMSRV/HOST) in this keytab, through the system GSS-API (MIT libgssapi_krb5): clients offering Kerberos first get it, others NTLM.",
        };
        var kerberosOnly = new Option<bool>("--kerberos-only")
        {
            Description = "Refuse NTLM with errorCode STATUS_NTLM_BLOCKED (0xc0000418) and close, as a server that restricts incoming NTLM (needs --kerberos-keytab).",
        };
        var kdcPort = new Option<int?>("--kdc-port")
        {
            Description = "Also run a built-in KDC on this port (TCP and UDP, same address), with the accounts as users and TERMSRV/localhost and TERMSRV/ADDRESS as services, and accept Kerberos with its keys: a Kerberos NLA server without a domain. 0 picks a free port.",
        };
        var realm = new Option<string>("--realm")
        {
            Description = "The realm of the built-in KDC.",
            DefaultValueFactory = _ => "RDPHS.TEST",
        };
        var kdcFaults = new Option<string[]>("--kdc-fault")
        {
            Description = "A fault of the built-in KDC, REQUEST:KIND[/TRANSPORT] (repeatable), e.g. as:stall, tgs:garbage, as:too-big/udp. Kinds: stall, drip, close, reset, garbage, garbage-framed, huge-length, truncated, unframed, too-big, wrong-nonce, wrong-key, other-principal.",
            AllowMultipleArgumentsPerToken = false,
        };
        var proxyPort = new Option<int?>("--proxy-port")
        {
            Description = "Also run a test proxy on this port (same address) speaking SOCKS5 and HTTP CONNECT (told apart by the client's first byte); it relays to loopback addresses only. 0 picks a free port.",
        };
        var proxyAccount = new Option<string?>("--proxy-account")
        {
            Description = "The account the test proxy requires, USER:PASSWORD (SOCKS5 username/password, HTTP Basic) [default: none required].",
        };
        var proxyFaults = new Option<string[]>("--proxy-fault")
        {
            Description = "A fault of the test proxy, STEP:KIND (repeatable): proxy.accept close|reset|stall; proxy.auth (SOCKS5 method selection) close|reset|stall|garbage|truncated|drip|reject|http; proxy.tunnel close|reset|stall|garbage|truncated|drip|reject|oversize-length.",
            AllowMultipleArgumentsPerToken = false,
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON line per connection on stdout instead of text.",
        };
        var gateway = new Option<bool>("--gateway")
        {
            Description = "Run an RD Gateway (MS-TSGU over HTTPS, WebSocket and HTTP transports) on --port instead of the RDP server: it authenticates with NTLM or Basic against the accounts and relays each channel to its target.",
        };
        var gatewayAllow = new Option<string[]>("--gateway-allow")
        {
            HelpName = "HOST:PORT",
            Description = "The gateway's resource policy: a HOST:PORT a channel may be created to (repeatable); others get E_PROXY_RAP_ACCESSDENIED [default: every target].",
            AllowMultipleArgumentsPerToken = false,
        };
        var gatewayAuth = new Option<string>("--gateway-auth")
        {
            HelpName = "SCHEMES",
            Description = "HTTP authentication the gateway offers, comma-separated: ntlm, basic, negotiate (Kerberos, RFC 4559, with the HTTP/ keys of --kerberos-keytab) [default: ntlm,basic, and negotiate when --kerberos-keytab is given].",
            DefaultValueFactory = _ => GatewayCommand.DefaultAuth,
        };
        var gatewayTransports = new Option<string>("--gateway-transports")
        {
            HelpName = "TRANSPORTS",
            Description = "Transports the gateway serves: websocket, http, or both comma-separated.",
            DefaultValueFactory = _ => "websocket,http",
        };
        var gatewayPaaCookie = new Option<string?>("--gateway-paa-cookie-file")
        {
            HelpName = "FILE",
            Description = "Require this pluggable authentication (PAA) cookie, read from FILE, in every tunnel create: a request marked RDG-Auth-Scheme: PAA then needs no HTTP authentication; a tunnel without the cookie gets E_PROXY_COOKIE_BADPACKET, one with another cookie E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED.",
        };
        var gatewayFaults = new Option<string[]>("--gateway-fault")
        {
            HelpName = "STEP:KIND",
            Description = $"A fault of the gateway, STEP:KIND (repeatable). Steps: {string.Join(", ", Gateway.GatewaySteps.All)}. Kinds: close, stall, garbage, huge-length, an E_PROXY_* name or 0xHHHHHHHH; at gateway.http-auth: close, stall, 401, 403, 404, 500, 502, 503; at gateway.tls: close, reset, stall, garbage, alert.",
            AllowMultipleArgumentsPerToken = false,
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "Diagnostic log level on stderr.",
            DefaultValueFactory = _ => LogLevel.None,
        };

        var command = new Command("serve", """
            Run the scriptable test server: the server side of the same PDUs rdphs sends, answering like a
            Windows server (or as told), and misbehaving on demand at a chosen step. Each connection is
            printed with what the client sent and what the server did. It stops on Ctrl-C.

            Examples:
              rdphs serve --port 33890
              rdphs serve --port 33890 --accept ssl               TLS only: RDP-only clients get SSL_REQUIRED_BY_SERVER
              rdphs serve --port 33890 --fail-with HYBRID_REQUIRED_BY_SERVER
              rdphs serve --port 33890 --fault x224.confirm:reset
              rdphs serve --port 33890 --fault tls.server-hello:close   an unusable certificate, as Windows shows it
              rdphs serve --port 33890 --security-layer rdp --encryption-level high
              rdphs serve --port 33890 --licensing ERR_NO_LICENSE_SERVER    a server without licenses
              rdphs serve --port 33890 --fault capabilities.demand-active:error-info --error-info ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES
              rdphs serve --port 33890 --fault mcs.attach-user-confirm:reject
              rdphs serve --port 33890 --require-nonce-binding    refuses pre-2018 CredSSP clients (version 4 or older)
              rdphs serve --port 33890 --credssp-fault wrong-pubkeyauth   a man in the middle, as CredSSP sees it
              rdphs serve --port 33890 --certificate expired --tls-versions 1.2
              rdphs serve --port 33890 --proxy-port 1080 --proxy-fault proxy.tunnel:stall   a proxy in front, stalling
              xfreerdp /v:127.0.0.1:33890 +auth-only              see what a real client sends
              xfreerdp /v:127.0.0.1:33890 /sec:tls /cert:ignore   a whole connection sequence, to finalization

            After X.224 (and TLS/CredSSP) the server serves MCS, the Security Exchange (Standard RDP Security),
            the Client Info PDU, licensing, the capabilities exchange and finalization, like a Windows server.
            Its CredSSP account is alice, password Test-Password-1 (the built-in demo, `rdphs probe` without a
            target, signs in with it); --account NAME:PASSWORD and --accounts FILE give it others instead.
            The server is a test fixture with known passwords: keep it on loopback (--bind warns otherwise).

            Faults each step takes (--fault STEP:KIND):
            """ + Environment.NewLine + string.Join(Environment.NewLine, FaultSteps.All.Select(step => $"  {step}: {string.Join(", ", FaultSteps.KindsAt(step).Select(FaultNames.Name))}")));
        command.Options.Add(port);
        command.Options.Add(bind);
        command.Options.Add(accept);
        command.Options.Add(securityLayer);
        command.Options.Add(encryptionLevel);
        command.Options.Add(encryptionMethods);
        command.Options.Add(licensing);
        command.Options.Add(errorInfo);
        command.Options.Add(redirect);
        command.Options.Add(rdpVersion);
        command.Options.Add(messageChannel);
        command.Options.Add(failWith);
        command.Options.Add(responseFlags);
        command.Options.Add(faults);
        command.Options.Add(dripMs);
        command.Options.Add(tlsVersions);
        command.Options.Add(credSspVersion);
        command.Options.Add(tlsCiphers);
        command.Options.Add(certificate);
        command.Options.Add(certificateFile);
        command.Options.Add(keyFile);
        command.Options.Add(maxConnections);
        command.Options.Add(account);
        command.Options.Add(accountsFile);
        command.Options.Add(credSspFault);
        command.Options.Add(refuseSpnego);
        command.Options.Add(requireMechListMic);
        command.Options.Add(requireNonceBinding);
        command.Options.Add(kerberosKeytab);
        command.Options.Add(kdcPort);
        command.Options.Add(realm);
        command.Options.Add(kdcFaults);
        command.Options.Add(kerberosOnly);
        command.Options.Add(proxyPort);
        command.Options.Add(proxyAccount);
        command.Options.Add(proxyFaults);
        command.Options.Add(json);
        command.Options.Add(logLevel);
        command.Options.Add(gateway);
        command.Options.Add(gatewayAllow);
        command.Options.Add(gatewayAuth);
        command.Options.Add(gatewayTransports);
        command.Options.Add(gatewayFaults);
        command.Options.Add(gatewayPaaCookie);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            if (!IPAddress.TryParse(parse.GetValue(bind), out IPAddress? address))
            {
                throw new UsageException($"--bind '{parse.GetValue(bind)}': not an IP address");
            }

            int listenPort = parse.GetValue(port);
            if (listenPort is < 0 or > 65535)
            {
                throw new UsageException($"--port {listenPort}: must be from 0 to 65535");
            }

            if (parse.GetValue(maxConnections) is < 1 and var tooFew)
            {
                throw new UsageException($"--max-connections {tooFew}: must be 1 or more (leave it out to serve until Ctrl-C)");
            }

            IReadOnlyList<TestAccount> accounts = ParseAccounts(parse.GetValue(account) ?? [], parse.GetValue(accountsFile));
            if (parse.GetValue(gateway))
            {
                Gateway.GatewayServerOptions gatewayOptions = GatewayCommand.ParseOptions(
                    new IPEndPoint(address, listenPort), accounts.Count > 0 ? accounts : new TestServerOptions().Accounts,
                    parse.GetValue(gatewayAllow) ?? [], parse.GetValue(gatewayAuth)!, parse.GetValue(gatewayTransports)!, parse.GetValue(gatewayFaults) ?? [],
                    parse.GetValue(certificateFile), parse.GetValue(keyFile), GatewayKeytab(parse.GetValue(kerberosKeytab)),
                    GatewayOptionsCli.ReadPaaCookie(parse.GetValue(gatewayPaaCookie), null));
                return await GatewayCommand.RunAsync(gatewayOptions, parse.GetValue(maxConnections), parse.GetValue(logLevel), cancellationToken).ConfigureAwait(false);
            }

            if (parse.GetValue(gatewayAllow) is { Length: > 0 } || parse.GetValue(gatewayFaults) is { Length: > 0 } || parse.GetValue(gatewayPaaCookie) is not null)
            {
                throw new UsageException("--gateway-allow, --gateway-fault and --gateway-paa-cookie-file need --gateway");
            }

            IReadOnlyList<SecurityProtocols> accepted = parse.GetValue(securityLayer) is { } layer
                ? CommonOptions.ParseProtocolList("--security-layer", layer.ToLowerInvariant() switch
                {
                    "rdp" => "rdp",
                    "tls" => "ssl,hybrid,hybrid_ex",
                    "negotiate" => "rdp,ssl,hybrid,hybrid_ex",
                    _ => throw new UsageException($"--security-layer '{layer}': expected rdp, tls or negotiate"),
                })
                : CommonOptions.ParseProtocolList("--accept", parse.GetValue(accept)!);
            NegotiationFailureCode? forced = null;
            if (parse.GetValue(failWith) is { } failText)
            {
                if (!NegotiationNames.TryParseFailureCode(failText, out NegotiationFailureCode code))
                {
                    throw new UsageException($"--fail-with '{failText}': not a failure code name or number");
                }

                forced = code;
            }

            var options = new TestServerOptions
            {
                Accepted = CommonOptions.Combine(accepted),
                AcceptStandardSecurity = accepted.Contains(SecurityProtocols.Rdp),
                ForcedFailure = forced,
                Faults = (parse.GetValue(faults) ?? []).Select(f => ParseFault(f) with { DripInterval = TimeSpan.FromMilliseconds(parse.GetValue(dripMs)) }).ToArray(),
                StandardSecurityLevel = ParseLevel(parse.GetValue(encryptionLevel)!),
                AllowedEncryptionMethods = ParseMethods(parse.GetValue(encryptionMethods)!),
                SendMessageChannel = parse.GetValue(messageChannel),
                RefuseSpnego = parse.GetValue(refuseSpnego),
                RequireMechListMic = parse.GetValue(requireMechListMic),
                RequireNonceBinding = parse.GetValue(requireNonceBinding),
            };
            if (accounts.Count > 0)
            {
                options = options with { Accounts = accounts };
            }

            if (parse.GetValue(credSspFault) is { } credSspFaultText)
            {
                options = options with
                {
                    CredSspFault = CredSspFaultNames.FirstOrDefault(n => string.Equals(n.Name, credSspFaultText, StringComparison.OrdinalIgnoreCase)) is { Name: not null } known
                        ? known.Fault
                        : throw new UsageException($"--credssp-fault '{credSspFaultText}': unknown (known: {string.Join(", ", CredSspFaultNames.Select(n => n.Name))})"),
                };
            }

            if (parse.GetValue(kerberosKeytab) is { } keytab)
            {
                // The keytab goes to gss_acquire_cred_from per connection (no KRB5_KTNAME): checked once here.
                keytab = Path.GetFullPath(keytab);
                if (GssapiCheck(keytab) is { } unusable)
                {
                    throw new UsageException($"--kerberos-keytab '{keytab}': {unusable}");
                }

                options = options with { KerberosKeytab = keytab };
            }

            TestKdcOptions? kdcOptions = null;
            if (parse.GetValue(kdcPort) is { } kdcPortNumber)
            {
                if (options.KerberosKeytab is not null)
                {
                    throw new UsageException("--kdc-port runs a KDC whose keys the server uses: drop --kerberos-keytab");
                }

                if (kdcPortNumber is < 0 or > 65535)
                {
                    throw new UsageException($"--kdc-port {kdcPortNumber}: must be from 0 to 65535");
                }

                string realmName = parse.GetValue(realm)!.Trim().ToUpperInvariant();
                if (realmName.Length == 0 || realmName.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-')))
                {
                    throw new UsageException($"--realm '{parse.GetValue(realm)}': letters, digits, dots and hyphens only, e.g. RDPHS.TEST");
                }

                kdcOptions = new TestKdcOptions
                {
                    Realm = realmName,
                    Users = [.. options.Accounts.Select(a => new KdcUser(a.User, a.Password))],
                    Services = [new KdcService("TERMSRV/localhost"), new KdcService($"TERMSRV/{address}")],
                    Faults = [.. (parse.GetValue(kdcFaults) ?? []).Select(f => KdcFault.TryParse(f, out KdcFault? fault, out string? error)
                        ? fault!
                        : throw new UsageException($"--kdc-fault {error}"))],
                };
            }
            else if (parse.GetValue(kdcFaults) is { Length: > 0 })
            {
                throw new UsageException("--kdc-fault needs --kdc-port (the faults are the built-in KDC's)");
            }

            if (parse.GetValue(kerberosOnly))
            {
                options = options with
                {
                    KerberosOnly = options.KerberosKeytab is not null || kdcOptions is not null
                        ? true
                        : throw new UsageException("--kerberos-only needs --kerberos-keytab or --kdc-port (a server that refuses NTLM and has no Kerberos refuses everyone)"),
                };
            }

            (LicenseErrorCode licenseCode, LicenseStateTransition licenseTransition) = ParseLicensing(parse.GetValue(licensing)!);
            options = options with { LicenseErrorCode = licenseCode, LicenseStateTransition = licenseTransition };
            if (parse.GetValue(redirect) is { } redirectText)
            {
                string[] parts = redirectText.Split(',', 2, StringSplitOptions.TrimEntries);
                if (parts[0].Length == 0)
                {
                    throw new UsageException($"--redirect '{redirectText}': expected HOST or HOST,LBINFO");
                }

                var flags = RdpHandshake.Protocol.Rdp.RedirectionFlags.TargetNetAddress;
                RdpHandshake.Protocol.Encoding.ByteString? loadBalance = null;
                if (parts.Length == 2)
                {
                    flags |= RdpHandshake.Protocol.Rdp.RedirectionFlags.LoadBalanceInfo;
                    loadBalance = new RdpHandshake.Protocol.Encoding.ByteString(System.Text.Encoding.ASCII.GetBytes(parts[1] + "\r\n"));
                }

                options = options with
                {
                    Redirection = new RdpHandshake.Protocol.Rdp.ServerRedirectionPacket(1, flags,
                        TargetNetAddress: RdpHandshake.Protocol.Rdp.ServerRedirectionPacket.Text(parts[0]), LoadBalanceInfo: loadBalance),
                };
            }

            if (parse.GetValue(errorInfo) is { } errorText)
            {
                options = options with
                {
                    ErrorInfo = MstscCodes.TryParse(errorText, MstscCodes.ExtendedReasons, out int code) && code >= 0
                        ? (uint)code
                        : throw new UsageException($"--error-info '{errorText}': not an ERRINFO name or number"),
                };
            }

            if (parse.GetValue(rdpVersion) is { } versionNumber)
            {
                options = options with { RdpVersion = ParseUInt32("--rdp-version", versionNumber) };
            }
            if (!TestCertificates.TryParse(parse.GetValue(certificate)!, out CertificateProfile profile))
            {
                throw new UsageException($"--certificate '{parse.GetValue(certificate)}': unknown profile (known: {string.Join(", ", TestCertificates.AllProfiles.Select(TestCertificates.Name))})");
            }

            options = options with { Certificate = profile };
            if (parse.GetValue(certificateFile) is { } certPath)
            {
                string keyPath = parse.GetValue(keyFile) ?? throw new UsageException("--certificate-file needs --key-file");
                try
                {
                    options = options with { SuppliedCertificate = TestCertificates.LoadPem(certPath, keyPath) };
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new UsageException($"--certificate-file '{certPath}' / --key-file '{keyPath}': cannot read them ({Files.Describe(ex)})");
                }
                catch (Exception ex) when (ex is InvalidDataException or Org.BouncyCastle.Security.Certificates.CertificateException or Org.BouncyCastle.OpenSsl.PemException)
                {
                    throw new UsageException($"--certificate-file '{certPath}' / --key-file '{keyPath}': not a PEM certificate and its RSA key ({ex.Message.TrimEnd('.')})");
                }
            }
            else if (parse.GetValue(keyFile) is not null)
            {
                throw new UsageException("--key-file needs --certificate-file");
            }
            if (parse.GetValue(tlsVersions) is { } versionText)
            {
                options = options with { TlsVersions = CommonOptions.ParseTlsVersions("--tls-versions", versionText) };
            }

            if (parse.GetValue(credSspVersion) is { } tsRequestVersion)
            {
                options = tsRequestVersion is >= 2 and <= 6
                    ? options with { Ntlm = options.Ntlm with { CredSspVersion = tsRequestVersion } }
                    : throw new UsageException($"--credssp-version {tsRequestVersion}: must be from 2 to 6");
            }

            if (parse.GetValue(tlsCiphers) is { } cipherText)
            {
                options = options with { TlsCipherSuites = CommonOptions.ParseCipherSuites("--tls-ciphers", cipherText) };
            }

            if (parse.GetValue(responseFlags) is { } flagsText)
            {
                options = options with { ResponseFlags = (NegotiationResponseFlags)ParseByte("--response-flags", flagsText) };
            }

            TestProxyOptions? proxyOptions = null;
            if (parse.GetValue(proxyPort) is { } proxyListenPort)
            {
                if (proxyListenPort is < 0 or > 65535)
                {
                    throw new UsageException($"--proxy-port {proxyListenPort}: must be from 0 to 65535");
                }

                var injected = new List<Fault>();
                foreach (string text in parse.GetValue(proxyFaults) ?? [])
                {
                    if (!ProxyFaultSteps.TryParse(text, out Fault? proxyFault, out string? proxyError))
                    {
                        throw new UsageException($"--proxy-fault {proxyError}");
                    }

                    injected.Add(proxyFault! with { DripInterval = TimeSpan.FromMilliseconds(parse.GetValue(dripMs)) });
                }

                (string User, string Password)? required = null;
                if (parse.GetValue(proxyAccount) is { } accountText)
                {
                    int colon = accountText.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0 || colon == accountText.Length - 1)
                    {
                        throw new UsageException("--proxy-account: expected USER:PASSWORD");
                    }

                    required = (accountText[..colon], accountText[(colon + 1)..]);
                }

                proxyOptions = new TestProxyOptions { Account = required, Faults = injected };
            }
            else if ((parse.GetValue(proxyFaults) ?? []).Length > 0 || parse.GetValue(proxyAccount) is not null)
            {
                throw new UsageException("--proxy-fault and --proxy-account need --proxy-port");
            }

            using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(parse.GetValue(logLevel));
            TestKdc? kdc = kdcOptions is null ? null : new TestKdc(kdcOptions);
            await using TestKdcHost? kdcHost = kdc is null ? null : new TestKdcHost([kdc], loggers.CreateLogger("rdphs.test-kdc"));
            using KeytabFile? keytabFile = kdc is null ? null : new KeytabFile(kdc);
            if (keytabFile is not null)
            {
                if (GssapiCheck(keytabFile.Path) is { } unusable)
                {
                    Console.Error.WriteLine($"rdphs: the built-in KDC's keys cannot be used for Kerberos: {unusable}");
                    return ExitCodes.Failure;
                }

                options = options with { KerberosKeytab = keytabFile.Path };
            }

            await using var server = new RdpTestServer(options, loggers.CreateLogger("rdphs.test-server"));
            bool asJson = parse.GetValue(json);
            int? limit = parse.GetValue(maxConnections);
            int served = 0;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var outputGate = new Lock();
            server.ConnectionEnded += record =>
            {
                lock (outputGate)
                {
                    Console.Out.WriteLine(asJson ? ToJsonLine(record) : Describe(record));
                    Console.Out.Flush();
                }

                if (limit is { } max && Interlocked.Increment(ref served) >= max)
                {
                    done.TrySetResult();
                }
            };

            if (!IPAddress.IsLoopback(address))
            {
                Console.Error.WriteLine($"rdphs: warning: --bind {address} is not a loopback address: whoever can reach it can connect, and the accounts' passwords are test fixtures");
            }

            IPEndPoint endpoint;
            try
            {
                endpoint = server.Start(new IPEndPoint(address, listenPort));
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                Console.Error.WriteLine($"rdphs: cannot listen on {address}:{listenPort}: {Files.Describe(ex)}");
                return ExitCodes.Failure;
            }

            if (kdcHost is not null)
            {
                IPEndPoint kdcEndpoint;
                try
                {
                    kdcEndpoint = kdcHost.Start(new IPEndPoint(address, parse.GetValue(kdcPort)!.Value));
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    Console.Error.WriteLine($"rdphs: cannot run the KDC on {address}:{parse.GetValue(kdcPort)}: {Files.Describe(ex)}");
                    return ExitCodes.Failure;
                }

                Console.Error.WriteLine($"rdphs test KDC for {kdcOptions!.Realm} on {kdcEndpoint} (TCP and UDP; services {string.Join(", ", kdcOptions.Services.Select(k => k.Spn))}; users {string.Join(", ", kdcOptions.Users.Select(u => u.Name))}{(kdcOptions.Faults.Count > 0 ? $"; faults {string.Join(", ", kdcOptions.Faults)}" : string.Empty)}): rdphs probe localhost:{endpoint.Port} --user {kdcOptions.Users[0].Name}@{kdcOptions.Realm} --kdc {kdcEndpoint}");
            }

            await using TestProxyServer? proxy = proxyOptions is null ? null : new TestProxyServer(proxyOptions);
            if (proxy is not null)
            {
                proxy.ConnectionEnded += record =>
                {
                    lock (outputGate)
                    {
                        Console.Out.WriteLine($"proxy: {(record.Kind is { } kind ? kind == Protocol.Proxy.ProxyKind.Socks5 ? "SOCKS5" : "HTTP CONNECT" : "nothing")} to {record.Target ?? "-"}: {record.Ending}");
                        Console.Out.Flush();
                    }
                };
                IPEndPoint proxyEndpoint;
                try
                {
                    proxyEndpoint = proxy.Start(new IPEndPoint(address, parse.GetValue(proxyPort)!.Value));
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    Console.Error.WriteLine($"rdphs: cannot run the proxy on {address}:{parse.GetValue(proxyPort)}: {Files.Describe(ex)}");
                    return ExitCodes.Failure;
                }

                Console.Error.WriteLine($"rdphs test proxy (SOCKS5 and HTTP CONNECT) on {proxyEndpoint}{(proxyOptions!.Account is { } a ? $"; account {a.User}" : string.Empty)}{(proxyOptions.Faults.Count > 0 ? $"; faults {string.Join(", ", proxyOptions.Faults)}" : string.Empty)}: rdphs probe localhost:{endpoint.Port} --proxy socks5://{(proxyOptions.Account is { } u ? $"{u.User}@" : string.Empty)}{proxyEndpoint}");
            }

            Console.Error.WriteLine($"rdphs test server listening on {endpoint} (accepts {string.Join(", ", accepted.Select(NegotiationNames.ShortName))}; accounts {string.Join(", ", options.Accounts.Select(AccountName))}{(forced is { } f ? $"; refuses all with {NegotiationNames.Name(f)}" : string.Empty)}{(options.Faults.Count > 0 ? $"; faults {string.Join(", ", options.Faults)}" : string.Empty)}). Ctrl-C stops it.");
            try
            {
                await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The account the test server accepts unless told otherwise.</summary>
    private static TestAccount DefaultAccount { get; } = new TestServerOptions().Accounts[0];

    private static string AccountName(TestAccount account) => account.Domain.Length > 0 ? $"{account.Domain}\\{account.User}" : account.User;

    /// <summary>The accounts of --account and --accounts, in that order; none when neither is given.</summary>
    private static IReadOnlyList<TestAccount> ParseAccounts(IEnumerable<string> given, string? path)
    {
        var accounts = given.Select(text => ParseAccount("--account", text)).ToList();
        if (path is not null)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--accounts '{path}': cannot read it ({Files.Describe(ex)})");
            }

            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i].Trim();
                if (line.Length > 0 && !line.StartsWith('#'))
                {
                    accounts.Add(ParseAccount($"--accounts '{path}' line {i + 1}:", line));
                }
            }

            if (accounts.Count == 0)
            {
                throw new UsageException($"--accounts '{path}': no account in it (one NAME:PASSWORD a line)");
            }
        }

        return accounts;
    }

    /// <summary>NAME:PASSWORD, NAME being user or DOMAIN\user; the message never repeats the password.</summary>
    private static TestAccount ParseAccount(string source, string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? text.Trim() : text[..colon].Trim();
        if (colon <= 0 || colon == text.Length - 1 || name.Length == 0)
        {
            throw new UsageException($"{source} '{name}': expected NAME:PASSWORD, e.g. bob:Another-Password-2 or CONTOSO\\bob:Another-Password-2");
        }

        string password = text[(colon + 1)..];
        int slash = name.IndexOf('\\', StringComparison.Ordinal);
        return slash < 0
            ? new TestAccount(name, string.Empty, password)
            : new TestAccount(name[(slash + 1)..], name[..slash], password);
    }

    /// <summary>The built-in KDC's service keys in a keytab file of the owner's only, deleted at the end.</summary>
    private sealed class KeytabFile : IDisposable
    {
        public KeytabFile(TestKdc kdc) =>
            Path = kdc.WriteKeytab(System.IO.Path.Combine(Directory.CreateTempSubdirectory("rdphs-kdc-").FullName, "termsrv.keytab"));

        public string Path { get; }

        public void Dispose() => Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: true);
    }

    /// <summary>The gateway's keytab, whole path, checked usable before anything listens; null when none is given.</summary>
    private static string? GatewayKeytab(string? keytab)
    {
        if (keytab is null)
        {
            return null;
        }

        keytab = Path.GetFullPath(keytab);
        return GssapiCheck(keytab) is { } unusable ? throw new UsageException($"--kerberos-keytab '{keytab}': {unusable}") : keytab;
    }

    private static string? GssapiCheck(string keytab) =>
        File.Exists(keytab) ? RdpTestServer.CheckKerberosKeytab(keytab) : "no such file";

    public static Fault ParseFault(string text) =>
        Fault.TryParse(text, out Fault? fault, out string? error) ? fault! : throw new UsageException($"--fault {error}");

    private static EncryptionLevel ParseLevel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => EncryptionLevel.None,
        "low" => EncryptionLevel.Low,
        "client-compatible" or "client_compatible" => EncryptionLevel.ClientCompatible,
        "high" => EncryptionLevel.High,
        "fips" => EncryptionLevel.Fips,
        _ => throw new UsageException($"--encryption-level '{text}': expected none, low, client-compatible, high or fips"),
    };

    private static EncryptionMethod ParseMethods(string text)
    {
        EncryptionMethod methods = EncryptionMethod.None;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            methods |= part.ToLowerInvariant() switch
            {
                "40" or "40bit" => EncryptionMethod.Bit40,
                "56" or "56bit" => EncryptionMethod.Bit56,
                "128" or "128bit" => EncryptionMethod.Bit128,
                "fips" => EncryptionMethod.Fips,
                _ => throw new UsageException($"--encryption-methods '{part}': expected 40, 56, 128 or fips"),
            };
        }

        return methods;
    }

    private static (LicenseErrorCode Code, LicenseStateTransition Transition) ParseLicensing(string text)
    {
        if (string.Equals(text.Trim(), "valid", StringComparison.OrdinalIgnoreCase))
        {
            return (LicenseErrorCode.StatusValidClient, LicenseStateTransition.NoTransition);
        }

        string[] parts = text.Split(':', 2, StringSplitOptions.TrimEntries);
        LicenseErrorCode? code = Enum.GetValues<LicenseErrorCode>().Cast<LicenseErrorCode?>()
            .FirstOrDefault(c => string.Equals(LicenseNames.Name(c!.Value), parts[0], StringComparison.OrdinalIgnoreCase));
        if (code is null)
        {
            throw new UsageException($"--licensing '{text}': expected valid or a license error name ({string.Join(", ", Enum.GetValues<LicenseErrorCode>().Select(LicenseNames.Name))})");
        }

        LicenseStateTransition transition = LicenseStateTransition.TotalAbort;
        if (parts.Length == 2)
        {
            LicenseStateTransition? named = Enum.GetValues<LicenseStateTransition>().Cast<LicenseStateTransition?>()
                .FirstOrDefault(t => string.Equals(LicenseNames.Name(t!.Value), parts[1], StringComparison.OrdinalIgnoreCase));
            transition = named ?? throw new UsageException($"--licensing '{text}': expected a state transition ({string.Join(", ", Enum.GetValues<LicenseStateTransition>().Select(LicenseNames.Name))})");
        }

        return (code.Value, transition);
    }

    private static uint ParseUInt32(string option, string text)
    {
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return uint.TryParse(hex ? text[2..] : text, hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out uint value)
            ? value
            : throw new UsageException($"{option} '{text}': expected a 32-bit number, e.g. 0x00080004");
    }

    private static byte ParseByte(string option, string text)
    {
        string digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        NumberStyles style = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? NumberStyles.HexNumber : NumberStyles.None;
        return byte.TryParse(digits, style, CultureInfo.InvariantCulture, out byte value)
            ? value
            : throw new UsageException($"{option} '{text}': expected a byte, e.g. 0x1b or 27");
    }

    private static string Describe(ServerConnectionRecord record)
    {
        string requested = record.Request switch
        {
            null when record.RequestError is { } error => $"malformed request ({error})",
            null => "no request",
            { NegotiationRequest: null } => "legacy request (no RDP_NEG_REQ)",
            { NegotiationRequest: { } neg } => $"requested {NegotiationNames.SpecNames(neg.RequestedProtocols)}",
        };
        string cookie = record.Request?.Cookie is { } c ? $", cookie '{c}'" : string.Empty;
        string answer = record.Answer switch
        {
            { Failure: { } failure } => $"answered RDP_NEG_FAILURE {NegotiationNames.Name(failure.FailureCode)}",
            { Response: { } response } => $"answered {NegotiationNames.SpecNames(response.SelectedProtocol)}",
            { } => "answered without negotiation data",
            null => "did not answer",
        };
        string fault = record.FaultInjected is { } f ? $" [fault {f}]" : string.Empty;
        if (record.TlsVersion is { } tlsVersion)
        {
            answer += $", {tlsVersion} {RdpHandshake.Tls.TlsNames.CipherSuite(record.TlsCipherSuite ?? 0)}";
        }

        string session = record.Stage > ServerStage.CredSspCompleted
            ? $"; reached {StageName(record.Stage)}: client '{record.ClientName}', channels [{string.Join(", ", record.RequestedChannels)}]"
                + (record.SecurityLayer == "rdp" && record.SelectedEncryptionMethod is { } method ? $", {EncryptionNames.Method(method)} at {EncryptionNames.Level(record.SelectedEncryptionLevel ?? EncryptionLevel.None)}" : string.Empty)
                + (record.ClientInfoUserName is { } user ? $", user '{(string.IsNullOrEmpty(record.ClientInfoDomain) ? string.Empty : record.ClientInfoDomain + "\\")}{user}'" : string.Empty)
            : string.Empty;
        return $"#{record.Id} {record.Remote}: {requested}{cookie}; {answer}{fault}{session}; {record.Ending}";
    }

    /// <summary>How far a connection got, as the JSON line and the text name it.</summary>
    internal static string StageName(ServerStage stage) => stage switch
    {
        ServerStage.None => "none",
        ServerStage.X224Confirmed => "x224-confirmed",
        ServerStage.TlsEstablished => "tls-established",
        ServerStage.CredSspCompleted => "credssp-completed",
        ServerStage.McsConnectInitialReceived => "mcs-connect-initial-received",
        ServerStage.McsConnectResponseSent => "mcs-connect-response-sent",
        ServerStage.UserAttached => "user-attached",
        ServerStage.ChannelJoined => "channel-joined",
        ServerStage.SecurityExchanged => "security-exchanged",
        ServerStage.ClientInfoReceived => "client-info-received",
        ServerStage.LicensingSent => "licensing-sent",
        ServerStage.DemandActiveSent => "demand-active-sent",
        ServerStage.ConfirmActiveReceived => "confirm-active-received",
        ServerStage.ClientFinalizationReceived => "client-finalization-received",
        ServerStage.Finalized => "finalized",
    };

    private static string ToJsonLine(ServerConnectionRecord record)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("schema", "rdphs.serve/1");
            json.WriteNumber("id", record.Id);
            json.WriteString("remote", record.Remote);
            json.WriteString("requestHex", record.RequestBytes is null ? null : Convert.ToHexStringLower(record.RequestBytes));
            json.WriteString("requestError", record.RequestError?.ToString());
            json.WriteString("cookie", record.Request?.Cookie);
            json.WriteString("routingToken", record.Request?.RoutingToken);
            if (record.Request?.NegotiationRequest is { } neg)
            {
                json.WriteStartArray("requestedProtocols");
                foreach (string name in NegotiationNames.ShortNames(neg.RequestedProtocols))
                {
                    json.WriteStringValue(name);
                }

                json.WriteEndArray();
                json.WriteString("requestFlags", NegotiationNames.FlagNames(neg.Flags));
            }
            else
            {
                json.WriteNull("requestedProtocols");
                json.WriteNull("requestFlags");
            }

            json.WriteString("selected", record.Answer?.Response is { } rsp ? NegotiationNames.ShortName(rsp.SelectedProtocol) : null);
            json.WriteString("failureCode", record.Answer?.Failure is { } fail ? NegotiationNames.Name(fail.FailureCode) : null);
            json.WriteString("fault", record.FaultInjected?.ToString());
            json.WriteString("bytesAfterNegotiationHex", Convert.ToHexStringLower(record.BytesAfterNegotiation));
            json.WriteString("tlsVersion", record.TlsVersion);
            json.WriteString("tlsCipherSuite", record.TlsCipherSuite is { } suite ? RdpHandshake.Tls.TlsNames.CipherSuite(suite) : null);
            json.WriteString("tlsError", record.TlsError);
            json.WriteString("credSspPackage", record.CredSspPackage);
            json.WriteString("credSspUser", record.CredSspUser);
            json.WriteString("credSspErrorCode", record.CredSspErrorCode is { } credSspError ? $"0x{credSspError:x8}" : null);
            json.WriteString("kerberosError", record.KerberosError);
            json.WriteString("stage", StageName(record.Stage));
            json.WriteString("securityLayer", record.SecurityLayer);
            json.WriteString("clientName", record.ClientName);
            json.WriteStartArray("requestedChannels");
            foreach (string channel in record.RequestedChannels)
            {
                json.WriteStringValue(channel);
            }

            json.WriteEndArray();
            json.WriteString("encryptionMethod", record.SelectedEncryptionMethod is { } method ? EncryptionNames.Method(method) : null);
            json.WriteString("encryptionLevel", record.SelectedEncryptionLevel is { } level ? EncryptionNames.Level(level) : null);
            json.WriteString("clientInfoDomain", record.ClientInfoDomain);
            json.WriteString("clientInfoUserName", record.ClientInfoUserName);
            if (record.ClientInfoPasswordLength is { } passwordLength)
            {
                json.WriteNumber("clientInfoPasswordLength", passwordLength);
            }
            else
            {
                json.WriteNull("clientInfoPasswordLength");
            }

            json.WriteString("license", record.LicenseSent);
            json.WriteString("errorInfoSent", record.ErrorInfoSent is { } sent ? $"0x{sent:x8}" : null);
            json.WriteString("clientDeparture", record.ClientDeparture);
            json.WriteString("ending", record.Ending);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
