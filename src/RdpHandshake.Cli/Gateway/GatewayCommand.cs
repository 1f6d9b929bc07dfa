using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using RdpHandshake.Cli.Gateway;
using RdpHandshake.TestServer;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs serve --gateway</c>: the options of the test gateway, and its run until Ctrl-C.</summary>
internal static class GatewayCommand
{
    /// <summary>What <c>--gateway-auth</c> is when not given.</summary>
    public const string DefaultAuth = "ntlm,basic";

    /// <summary>The gateway's options from the command line; a <see cref="UsageException"/> for anything wrong.</summary>
    public static GatewayServerOptions ParseOptions(
        IPEndPoint listen,
        IReadOnlyList<TestAccount> accounts,
        IEnumerable<string> allow,
        string auth,
        string transports,
        IEnumerable<string> faults,
        string? certificateFile,
        string? keyFile,
        string? kerberosKeytab = null,
        string? paaCookie = null)
    {
        var allowed = new List<(string Host, int Port)>();
        foreach (string text in allow)
        {
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            {
                throw new UsageException($"--gateway-allow '{text}': expected HOST:PORT, e.g. 127.0.0.1:3389");
            }

            allowed.Add((text[..colon].Trim('[', ']'), port));
        }

        string[] schemes = auth.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (schemes.Length == 0 || schemes.Any(s => s is not ("ntlm" or "basic" or "negotiate")))
        {
            throw new UsageException($"--gateway-auth '{auth}': expected ntlm, basic, negotiate, or several comma-separated");
        }

        if (schemes.Contains("negotiate") && kerberosKeytab is null)
        {
            throw new UsageException("--gateway-auth negotiate needs --kerberos-keytab FILE with the gateway's HTTP/ keys");
        }

        string[] kinds = transports.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (kinds.Length == 0 || kinds.Any(k => k is not ("websocket" or "http")))
        {
            throw new UsageException($"--gateway-transports '{transports}': expected websocket, http or both (comma-separated)");
        }

        var parsedFaults = new List<GatewayFault>();
        foreach (string text in faults)
        {
            if (!GatewayFault.TryParse(text, out GatewayFault? fault, out string? error))
            {
                throw new UsageException($"--gateway-fault {error}");
            }

            parsedFaults.Add(fault!);
        }

        X509Certificate2 certificate;
        if (certificateFile is not null)
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile ?? throw new UsageException("--certificate-file needs --key-file"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new UsageException($"--certificate-file '{certificateFile}' / --key-file '{keyFile}': not a usable PEM certificate and key ({ex.Message.TrimEnd('.')})");
            }
        }
        else
        {
            certificate = GatewayServer.CreateCertificate();
        }

        return new GatewayServerOptions
        {
            Listen = listen,
            Accounts = accounts,
            Allowed = allowed,
            Ntlm = schemes.Contains("ntlm"),
            Basic = schemes.Contains("basic"),
            // A keytab turns Negotiate on next to the schemes listed, unless they are listed and it is not among them.
            KerberosKeytab = kerberosKeytab is not null && (schemes.Contains("negotiate") || auth == DefaultAuth) ? kerberosKeytab : null,
            WebSocket = kinds.Contains("websocket"),
            Http = kinds.Contains("http"),
            Certificate = certificate,
            Faults = parsedFaults,
            PaaCookie = paaCookie,
        };
    }

    /// <summary>Runs the gateway, one line per tunnel on stdout, until Ctrl-C or <paramref name="maxTunnels"/> tunnels.</summary>
    public static async Task<int> RunAsync(GatewayServerOptions options, int? maxTunnels, LogLevel logLevel, CancellationToken cancellationToken)
    {
        using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(logLevel);
        GatewayServer server;
        try
        {
            server = await GatewayServer.StartAsync(options, loggers.CreateLogger("rdphs.gateway"), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"rdphs: cannot listen on {options.Listen}: {Files.Describe(ex)}");
            return ExitCodes.Failure;
        }

        await using (server.ConfigureAwait(false))
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int served = 0;
            var gate = new Lock();
            server.TunnelEnded += record =>
            {
                lock (gate)
                {
                    Console.Out.WriteLine(record.ToString());
                    Console.Out.Flush();
                }

                if (maxTunnels is { } max && Interlocked.Increment(ref served) >= max)
                {
                    done.TrySetResult();
                }
            };
            if (!IPAddress.IsLoopback(options.Listen.Address))
            {
                Console.Error.WriteLine($"rdphs: warning: --bind {options.Listen.Address} is not a loopback address: whoever can reach it can use the gateway, and the accounts' passwords are test fixtures");
            }

            string policy = options.Allowed.Count == 0 ? "any target" : string.Join(", ", options.Allowed.Select(a => $"{a.Host}:{a.Port}"));
            string auth = string.Join(", ", new[] { options.KerberosKeytab is null ? null : "Negotiate", options.Ntlm ? "NTLM" : null, options.Basic ? "Basic" : null }.OfType<string>());
            string transports = string.Join(", ", new[] { options.WebSocket ? "websocket" : null, options.Http ? "http" : null }.OfType<string>());
            Console.Error.WriteLine($"rdphs test gateway listening on https://{server.Endpoint} (transports {transports}; auth {auth}; accounts {string.Join(", ", options.Accounts.Select(a => a.Domain.Length == 0 ? a.User : $"{a.Domain}\\{a.User}"))}; allows {policy}{(options.PaaCookie is null ? string.Empty : "; a PAA cookie required")}{(options.Faults.Count > 0 ? $"; faults {string.Join(", ", options.Faults)}" : string.Empty)}). Ctrl-C stops it.");
            try
            {
                await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: stop serving.
            }
        }

        return ExitCodes.Success;
    }
}
