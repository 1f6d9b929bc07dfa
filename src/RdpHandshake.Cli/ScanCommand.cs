using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Scan;
using RdpHandshake.Tls;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs scan TARGETS...</c>: many hosts probed with bounded concurrency, one result per host.</summary>
internal static class ScanCommand
{
    /// <summary>How often a redirected stderr gets a progress line.</summary>
    private static readonly TimeSpan PlainProgressInterval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan TerminalProgressInterval = TimeSpan.FromMilliseconds(250);

    public static Command Create()
    {
        var common = new CommonOptions();
        var targets = new Argument<string[]>("TARGETS")
        {
            Description = "HOST, HOST:PORT, [IPv6]:PORT or an IPv4 range such as 10.0.0.0/28 or 10.0.0.0/28:3390 (for /30 and wider, the network and broadcast addresses are skipped).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var targetsFile = new Option<string[]>("--targets-file", "-f")
        {
            Description = "Read more targets from FILE, one per line, in the same forms; '#' starts a comment (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var port = new Option<int>("--port")
        {
            Description = "Port for the targets that do not name one.",
            DefaultValueFactory = _ => ProbeTarget.DefaultPort,
        };
        var concurrency = new Option<int>("--concurrency", "-c")
        {
            Description = $"How many hosts to probe at once, 1 to {ScanOptions.MaxConcurrency}.",
            DefaultValueFactory = _ => ScanOptions.DefaultConcurrency,
        };
        var hostTimeout = new Option<double>("--host-timeout")
        {
            Description = "Seconds one host may take in all, on top of the per-answer --timeout; past it the host's cause is host-timeout.",
            DefaultValueFactory = _ => ScanOptions.DefaultHostTimeoutSeconds,
        };
        var until = new Option<string>("--until")
        {
            Description = "How far to go with each host: x224, tls, mcs, licensing, active or finalized (no credentials: a server that requires NLA stops at credssp, failing with credentials-required past tls).",
            DefaultValueFactory = _ => "tls",
        };
        var protocols = new Option<string>("--protocols", "-p")
        {
            Description = "Security protocols to offer, comma-separated: rdp, ssl (alias tls), hybrid (alias nla), hybrid_ex, rdstls, rdsaad.",
            DefaultValueFactory = _ => "ssl,hybrid,hybrid_ex",
        };
        var maxTargets = new Option<long>("--max-targets")
        {
            Description = "Refuse to scan more targets than this (ranges count every address they expand to).",
            DefaultValueFactory = _ => ScanTargetList.DefaultMaxTargets,
        };
        var jsonLines = new Option<bool>("--json-lines")
        {
            Description = "Write one JSON object per host on stdout as each finishes (schema rdphs.scan/1, docs/report-format.md); progress and the summary go to stderr.",
        };
        var quiet = new Option<bool>("--no-progress")
        {
            Description = "Do not write the progress line on stderr.",
        };

        var command = new Command("scan", """
            Probe many hosts, a few at a time, and say for each how far it got: security protocol, TLS version and
            suite, certificate expiry, whether NLA is required, the phase reached and, if it failed, the cause.
            By default each probe stops after the TLS handshake (cheap, no credentials). Results stream as hosts
            finish; memory does not grow with the number of targets.

            Examples:
              rdphs scan 10.0.0.0/24                         every host of a /24 on port 3389
              rdphs scan 10.0.0.0/28:3390 rdp1.example.com   a range on another port, and a name
              rdphs scan -f hosts.txt --concurrency 64       targets from a file (one per line, # comments)
              rdphs scan -f hosts.txt --json-lines > scan.jsonl   one JSON object per host, for jq and scripts
              rdphs scan 10.0.0.0/24 --until x224 --host-timeout 5   only the security negotiation, fast
              rdphs scan 10.0.0.0/24 --until finalized       as far as each server lets a client without credentials go

            Progress goes to stderr: a live line in a terminal, a plain line every 10 s when redirected. At the end
            comes a summary: hosts per phase reached and per failure cause, and one row per host up to 50 hosts.
            Ctrl-C stops launching probes, cancels the running ones and still prints the summary.

            Exit codes: 0 every host reached the phase asked for; 1 at least one did not; 2 bad usage;
            130 interrupted (the summary of the hosts done is still printed).
            """);
        command.Arguments.Add(targets);
        command.Options.Add(targetsFile);
        command.Options.Add(port);
        command.Options.Add(concurrency);
        command.Options.Add(hostTimeout);
        command.Options.Add(until);
        command.Options.Add(protocols);
        command.Options.Add(common.TlsVersions);
        command.Options.Add(maxTargets);
        command.Options.Add(jsonLines);
        command.Options.Add(quiet);
        command.Options.Add(common.Timeout);
        command.Options.Add(common.ConnectTimeout);
        command.Options.Add(common.Proxy);
        command.Options.Add(common.Cookie);
        command.Options.Add(common.NoCookie);
        command.Options.Add(common.RoutingToken);
        command.Options.Add(common.CorrelationId);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            int defaultPort = parse.GetValue(port);
            if (defaultPort is < 1 or > 65535)
            {
                throw new UsageException($"--port {defaultPort}: must be from 1 to 65535");
            }

            int parallel = parse.GetValue(concurrency);
            if (parallel is < 1 or > ScanOptions.MaxConcurrency)
            {
                throw new UsageException($"--concurrency {parallel}: must be from 1 to {ScanOptions.MaxConcurrency}");
            }

            double hostSeconds = parse.GetValue(hostTimeout);
            if (!(hostSeconds > 0 && hostSeconds <= 3600))
            {
                throw new UsageException($"--host-timeout {hostSeconds}: must be more than 0 and at most 3600 seconds");
            }

            long limit = parse.GetValue(maxTargets);
            if (limit < 1)
            {
                throw new UsageException($"--max-targets {limit}: must be at least 1");
            }

            string[] entries = parse.GetValue(targets) ?? [];
            string[] files = parse.GetValue(targetsFile) ?? [];
            if (entries.Length == 0 && files.Length == 0)
            {
                throw new UsageException("no targets: give HOST, HOST:PORT or a range such as 10.0.0.0/28, or --targets-file FILE");
            }

            ScanTargetList list;
            try
            {
                list = ScanTargetList.Create(entries, files, defaultPort, limit);
            }
            catch (ScanTargetException ex)
            {
                throw new UsageException(ex.Message);
            }

            if (list.Count == 0)
            {
                throw new UsageException("the target list is empty (the files hold only comments or blank lines)");
            }

            IReadOnlyList<SecurityProtocols> offered = CommonOptions.ParseProtocolList("--protocols", parse.GetValue(protocols)!);
            ProbeOptions probe = common.BuildProbeOptions(parse, CommonOptions.Combine(offered));
            string untilText = parse.GetValue(until)!;
            probe = probe with
            {
                Until = ParseUntil(untilText),
                StopWhereCredentialsAreNeeded = parse.GetResult(until) is null || parse.GetResult(until)!.Implicit,
            };
            if (parse.GetValue(common.TlsVersions) is { } versionText)
            {
                probe = probe with { Tls = probe.Tls with { Versions = CommonOptions.ParseTlsVersions("--tls-versions", versionText) } };
            }

            var options = new ScanOptions { Probe = probe, Concurrency = parallel, HostTimeout = TimeSpan.FromSeconds(hostSeconds) };
            bool json = parse.GetValue(jsonLines);
            return await RunAsync(list, options, json, !parse.GetValue(quiet), cancellationToken).ConfigureAwait(false);
        }));
        return command;
    }

    private static ConnectionPhase ParseUntil(string text) => text.Trim().ToLowerInvariant() switch
    {
        "x224" => ConnectionPhase.X224,
        "tls" => ConnectionPhase.Tls,
        "mcs" => ConnectionPhase.Mcs,
        "licensing" => ConnectionPhase.Licensing,
        "active" => ConnectionPhase.Capabilities,
        "finalized" => ConnectionPhase.Finalization,
        "credssp" => throw new UsageException("--until credssp needs credentials, which scan does not take: use 'rdphs probe HOST --user ...'"),
        _ => throw new UsageException($"--until '{text}': must be x224, tls, mcs, licensing, active or finalized"),
    };

    private static async Task<int> RunAsync(ScanTargetList list, ScanOptions options, bool json, bool progress, CancellationToken cancellationToken)
    {
        TextWriter human = json ? Console.Error : Console.Out;
        bool liveLine = progress && !Console.IsErrorRedirected;
        var summary = new ScanSummary();
        var output = new Lock();
        var clock = Stopwatch.StartNew();
        int running = 0;
        var scanner = new Scanner(options, (target, probeOptions, token) => ProbeCountingAsync(target, probeOptions, token));
        // Counted around each probe, for the progress line.
        async Task<ProbeReport> ProbeCountingAsync(ProbeTarget target, ProbeOptions probeOptions, CancellationToken token)
        {
            Interlocked.Increment(ref running);
            try
            {
                return await Prober.ProbeAsync(target, probeOptions, token).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }

        string ProgressText() => string.Create(CultureInfo.InvariantCulture,
            $"scan: {summary.Done}/{list.Count} done, {summary.Succeeded} ok, {summary.Failed} failed, {Volatile.Read(ref running)} running, {Rate(summary.Done, clock.Elapsed):0.0} hosts/s, {clock.Elapsed.TotalSeconds:0.0} s");

        human.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Scanning {list.Count} target(s) until {options.Probe.Until.Name()}, {options.Concurrency} at a time, {options.HostTimeout.TotalSeconds:0.###} s per host at most."));
        human.Flush();

        using var stopProgress = new CancellationTokenSource();
        Task progressTask = progress ? Task.Run(async () =>
        {
            TimeSpan interval = liveLine ? TerminalProgressInterval : PlainProgressInterval;
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(stopProgress.Token).ConfigureAwait(false))
                {
                    lock (output)
                    {
                        Console.Error.Write(liveLine ? $"\r\x1b[K{ProgressText()}" : ProgressText() + Environment.NewLine);
                        Console.Error.Flush();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }) : Task.CompletedTask;

        using Stream stdout = json ? Console.OpenStandardOutput() : Stream.Null;
        try
        {
            await foreach (ScanResult result in scanner.ScanAsync(list.Expand(), cancellationToken).ConfigureAwait(false))
            {
                summary.Add(result);
                lock (output)
                {
                    if (liveLine)
                    {
                        Console.Error.Write("\r\x1b[K");
                    }

                    if (json)
                    {
                        ScanResultJson.Write(result, stdout, ExitCodes.For(result));
                        stdout.Write("\n"u8);
                        stdout.Flush();
                    }
                    else
                    {
                        Console.Out.WriteLine(HostLine(result));
                    }
                }
            }
        }
        finally
        {
            await stopProgress.CancelAsync().ConfigureAwait(false);
            await progressTask.ConfigureAwait(false);
            if (liveLine)
            {
                Console.Error.Write("\r\x1b[K");
            }
        }

        clock.Stop();
        bool interrupted = cancellationToken.IsCancellationRequested;
        WriteSummary(human, summary, list.Count, clock.Elapsed, interrupted);
        human.Flush();
        if (interrupted)
        {
            return ExitCodes.Interrupted;
        }

        return summary.Failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static readonly RdpProber Prober = new();

    private static double Rate(long done, TimeSpan elapsed) => elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;

    private static string HostLine(ScanResult r)
    {
        string tls = r.TlsVersion is { } version ? $" {TlsNames.Version(version)} {TlsNames.CipherSuite(r.TlsCipherSuite ?? 0)}" : string.Empty;
        string cert = r.CertificateDaysLeft is { } days ? $" cert {days} d" : string.Empty;
        string selected = r.Selected is { } s ? $" {NegotiationNames.ShortName(s)}" : string.Empty;
        string nla = r.Nla is { } n ? $" nla {ScanResultJson.NlaName(n)}" : string.Empty;
        string outcome = r.Success
            ? $"ok      reached {r.Reached?.Name() ?? "none"}"
            : $"failed  {r.FailedPhase?.Name() ?? "-"} {r.Cause}: {r.Summary}";
        return string.Create(CultureInfo.InvariantCulture, $"{r.Target,-22} {outcome}{(r.Success ? selected + nla + tls + cert : string.Empty)} ({r.Elapsed.TotalMilliseconds:0} ms)");
    }

    private static void WriteSummary(TextWriter w, ScanSummary summary, long total, TimeSpan elapsed, bool interrupted)
    {
        w.WriteLine();
        string stopped = interrupted ? $"; interrupted, {total - summary.Done} not probed" : string.Empty;
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scan summary: {summary.Done} of {total} host(s) in {elapsed.TotalSeconds:0.0} s ({Rate(summary.Done, elapsed):0.0} hosts/s): {summary.Succeeded} reached the goal, {summary.Failed} did not{stopped}"));
        w.WriteLine();
        w.WriteLine("  reached        hosts");
        foreach ((string phase, long count) in summary.ByReached)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {phase,-13} {count,6}"));
        }

        IReadOnlyList<KeyValuePair<string, long>> causes = summary.ByCause;
        if (causes.Count > 0)
        {
            w.WriteLine();
            IReadOnlyList<ScanResult>? rows = summary.Rows;
            int shown = rows is null ? Math.Min(10, causes.Count) : causes.Count;
            w.WriteLine(rows is null && causes.Count > shown ? $"  top {shown} failure causes      hosts" : "  failure (phase cause)        hosts");
            foreach ((string cause, long count) in causes.Take(shown))
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {cause,-28} {count,6}"));
            }
        }

        if (summary.Rows is { Count: > 0 } hosts)
        {
            w.WriteLine();
            w.WriteLine("  target                  result  reached   protocol   nla           tls  cert days  cause                       ms");
            foreach (ScanResult r in hosts)
            {
                string cause = r.Cause is null ? "-" : $"{r.FailedPhase?.Name()} {r.Cause}";
                string result = r.Success ? "ok" : "failed";
                string reached = r.Reached?.Name() ?? "none";
                string protocol = r.Selected is { } s ? NegotiationNames.ShortName(s) : r.NegotiationFailure is { } f ? NegotiationNames.Name(f) : "-";
                string nla = r.Nla is { } n ? ScanResultJson.NlaName(n) : "-";
                string tls = r.TlsVersion is { } v ? TlsNames.ShortVersion(v) : "-";
                string days = r.CertificateDaysLeft is { } d ? d.ToString(CultureInfo.InvariantCulture) : "-";
                w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {r.Target,-22}  {result,-6}  {reached,-8}  {protocol,-9}  {nla,-12}  {tls,3}  {days,9}  {cause,-26} {r.Elapsed.TotalMilliseconds,5:0}"));
            }
        }
    }
}
