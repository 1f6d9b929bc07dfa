using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs serve</c>: the scriptable test server, standalone.</summary>
internal static class ServeCommand
{
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
            Description = "Exit after serving this many connections (for scripts).",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON line per connection on stdout instead of text.",
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
              rdphs serve --port 33890 --certificate expired --tls-versions 1.2
              xfreerdp /v:127.0.0.1:33890 +auth-only              see what a real client sends
            """);
        command.Options.Add(port);
        command.Options.Add(bind);
        command.Options.Add(accept);
        command.Options.Add(failWith);
        command.Options.Add(responseFlags);
        command.Options.Add(faults);
        command.Options.Add(dripMs);
        command.Options.Add(tlsVersions);
        command.Options.Add(tlsCiphers);
        command.Options.Add(certificate);
        command.Options.Add(certificateFile);
        command.Options.Add(keyFile);
        command.Options.Add(maxConnections);
        command.Options.Add(json);
        command.Options.Add(logLevel);

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

            IReadOnlyList<SecurityProtocols> accepted = CommonOptions.ParseProtocolList("--accept", parse.GetValue(accept)!);
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
            };
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
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or Org.BouncyCastle.Security.Certificates.CertificateException or Org.BouncyCastle.OpenSsl.PemException)
                {
                    throw new UsageException($"--certificate-file '{certPath}' / --key-file '{keyPath}': {ex.Message}");
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

            if (parse.GetValue(tlsCiphers) is { } cipherText)
            {
                options = options with { TlsCipherSuites = CommonOptions.ParseCipherSuites("--tls-ciphers", cipherText) };
            }

            if (parse.GetValue(responseFlags) is { } flagsText)
            {
                options = options with { ResponseFlags = (NegotiationResponseFlags)ParseByte("--response-flags", flagsText) };
            }

            using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(parse.GetValue(logLevel));
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

            IPEndPoint endpoint;
            try
            {
                endpoint = server.Start(new IPEndPoint(address, listenPort));
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                Console.Error.WriteLine($"rdphs: cannot listen on {address}:{listenPort}: {ex.Message}");
                return ExitCodes.Failure;
            }

            Console.Error.WriteLine($"rdphs test server listening on {endpoint} (accepts {string.Join(", ", accepted.Select(NegotiationNames.ShortName))}{(forced is { } f ? $"; refuses all with {NegotiationNames.Name(f)}" : string.Empty)}{(options.Faults.Count > 0 ? $"; faults {string.Join(", ", options.Faults)}" : string.Empty)}). Ctrl-C stops it.");
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

    public static Fault ParseFault(string text) =>
        Fault.TryParse(text, out Fault? fault, out string? error) ? fault! : throw new UsageException($"--fault {error}");

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

        return $"#{record.Id} {record.Remote}: {requested}{cookie}; {answer}{fault}; {record.Ending}";
    }

    private static string ToJsonLine(ServerConnectionRecord record)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
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
            }

            json.WriteString("selected", record.Answer?.Response is { } rsp ? NegotiationNames.ShortName(rsp.SelectedProtocol) : null);
            json.WriteString("failureCode", record.Answer?.Failure is { } fail ? NegotiationNames.Name(fail.FailureCode) : null);
            json.WriteString("fault", record.FaultInjected?.ToString());
            json.WriteString("bytesAfterNegotiationHex", Convert.ToHexStringLower(record.BytesAfterNegotiation));
            json.WriteString("tlsVersion", record.TlsVersion);
            json.WriteString("tlsCipherSuite", record.TlsCipherSuite is { } suite ? RdpHandshake.Tls.TlsNames.CipherSuite(suite) : null);
            json.WriteString("tlsError", record.TlsError);
            json.WriteString("ending", record.Ending);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
