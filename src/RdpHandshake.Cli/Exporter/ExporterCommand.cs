using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace RdpHandshake.Cli.Exporter;

/// <summary><c>rdphs exporter</c>: RDP probes for Prometheus, as the blackbox exporter does them for HTTP.</summary>
internal static class ExporterCommand
{
    public const string DefaultListen = "127.0.0.1:9233";

    public static Command Create()
    {
        var listen = new Option<string>("--listen")
        {
            Description = "Where to answer HTTP: ADDRESS:PORT, [IPv6]:PORT, or :PORT for every address.",
            DefaultValueFactory = _ => DefaultListen,
        };
        var config = new Option<string?>("--config")
        {
            Description = "A YAML file of modules (protocols, until, timeout, expect, tls_versions, user with password_env or password_file, targets, ...) and allow_targets; read at start, again on SIGHUP or POST /-/reload. Without it: the built-in modules negotiate and tls_only.",
        };
        var allowTargets = new Option<string[]>("--allow-targets")
        {
            Description = "Hosts that may be probed, comma-separated or repeated: an address, a range (10.0.0.0/24), a host name or a domain (*.example.com); added to the config's allow_targets [default: the targets the modules name, else loopback only]. Other targets get HTTP 403.",
            AllowMultipleArgumentsPerToken = false,
        };
        var maxConcurrent = new Option<int>("--max-concurrent")
        {
            Description = "How many probes may run at once; a scrape that finds no free slot within its timeout gets HTTP 503.",
            DefaultValueFactory = _ => ExporterSettings.DefaultMaxConcurrent,
        };
        var timeoutOffset = new Option<double>("--timeout-offset")
        {
            Description = "Seconds taken from the scrape timeout Prometheus announces (X-Prometheus-Scrape-Timeout-Seconds), so the answer arrives before it gives up.",
            DefaultValueFactory = _ => ExporterSettings.DefaultTimeoutOffsetSeconds,
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "Log level on stderr: Information logs each probe and each refused request (never a password); Debug and Trace add the probes' steps.",
            DefaultValueFactory = _ => LogLevel.Information,
        };

        var command = new Command("exporter", """
            Answer Prometheus: each scrape of /probe?target=HOST[:PORT]&module=NAME runs one probe and returns its
            metrics (rdphs_probe_success, rdphs_phase_duration_seconds, rdphs_failure_info{phase,cause},
            rdphs_tls_version_info, rdphs_certificate_expiry_timestamp_seconds, rdphs_nla_required, ...), following
            the blackbox exporter's conventions; /metrics has the exporter's own. docs/monitoring.md has the
            Prometheus scrape configuration with its relabelling, and alert rules.

            Only the allowed targets are probed (HTTP 403 for others), at most --max-concurrent at once, each within
            the scrape's timeout less --timeout-offset. A module that signs in reads its password from the
            environment or a file that the config names, never from the config itself, and only probes its targets.

            Examples:
              rdphs exporter                                         built-in modules, loopback targets only
              rdphs exporter --listen :9233 --allow-targets 10.0.0.0/24,rdp1.example.com
              rdphs exporter --config /etc/rdphs/exporter.yaml       modules and allow-list from YAML
              curl 'http://127.0.0.1:9233/probe?target=127.0.0.1:3389&module=tls_only'

            Exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 cannot listen; 2 bad usage (a config that does not read).
            """);
        command.Options.Add(listen);
        command.Options.Add(config);
        command.Options.Add(allowTargets);
        command.Options.Add(maxConcurrent);
        command.Options.Add(timeoutOffset);
        command.Options.Add(logLevel);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            IPEndPoint endpoint = ParseListen(parse.GetValue(listen)!);
            int max = parse.GetValue(maxConcurrent);
            if (max is < 1 or > 1024)
            {
                throw new UsageException($"--max-concurrent {max}: must be from 1 to 1024");
            }

            double offset = parse.GetValue(timeoutOffset);
            if (!(offset >= 0 && offset < 60))
            {
                throw new UsageException($"--timeout-offset {offset.ToString(CultureInfo.InvariantCulture)}: must be at least 0 and under 60 seconds");
            }

            var settings = new ExporterSettings
            {
                Listen = endpoint,
                ConfigPath = parse.GetValue(config),
                AllowTargets = parse.GetValue(allowTargets) ?? [],
                MaxConcurrent = max,
                TimeoutOffset = TimeSpan.FromSeconds(offset),
            };

            using ILoggerFactory loggers = CreateLoggerFactory(parse.GetValue(logLevel));
            ILogger log = loggers.CreateLogger("rdphs.exporter");
            ExporterServer server;
            try
            {
                server = await ExporterServer.StartAsync(settings, log, new RdpProber(loggers.CreateLogger("rdphs.probe")).ProbeAsync, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"rdphs: cannot listen on {endpoint}: {Files.Describe(ex.InnerException ?? ex)}");
                return ExitCodes.Failure;
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                Console.Error.WriteLine($"rdphs: cannot listen on {endpoint}: {Files.Describe(ex)}");
                return ExitCodes.Failure;
            }

            await using (server.ConfigureAwait(false))
            {
                using PosixSignalRegistration hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
                {
                    signal.Cancel = true;
                    server.TryReload(out _);
                });
                ExporterConfig loaded = server.Config;
                Console.Error.WriteLine($"rdphs exporter listening on {server.Address} (modules {string.Join(", ", loaded.Modules.Keys)}; allowed targets {loaded.AllowList} ({loaded.AllowListOrigin}); at most {max} probes at once). Ctrl-C stops it.");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// Logs on stderr, one line each: the exporter's at <paramref name="level"/>; the probes' own only at Debug and
    /// Trace, so that Information is one line per probe.
    /// </summary>
    private static ILoggerFactory CreateLoggerFactory(LogLevel level) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        builder.AddFilter("rdphs.probe", level <= LogLevel.Debug ? level : LogLevel.Warning);
        if (level != LogLevel.None)
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
    });

    /// <summary>Reads <c>ADDRESS:PORT</c>, <c>[IPv6]:PORT</c> or <c>:PORT</c> (every address, IPv6 and IPv4).</summary>
    internal static IPEndPoint ParseListen(string text)
    {
        string trimmed = text.Trim();
        if (trimmed.StartsWith(':') && int.TryParse(trimmed[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int anyPort) && anyPort is >= 0 and <= 65535)
        {
            return new IPEndPoint(IPAddress.IPv6Any, anyPort);
        }

        if (trimmed.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            trimmed = "127.0.0.1" + trimmed["localhost".Length..];
        }

        if (IPEndPoint.TryParse(trimmed, out IPEndPoint? endpoint) && trimmed.Contains(':', StringComparison.Ordinal) && (trimmed.StartsWith('[') || trimmed.Count(c => c == ':') == 1))
        {
            return endpoint;
        }

        throw new UsageException($"--listen '{text}': expected ADDRESS:PORT, [IPv6]:PORT or :PORT, e.g. {DefaultListen}");
    }
}
