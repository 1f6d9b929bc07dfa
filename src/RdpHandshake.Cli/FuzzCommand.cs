using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RdpHandshake.Diagnostics;
using RdpHandshake.Fuzzing;
using RdpHandshake.Reporting;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs fuzz HOST[:PORT] --layer L</c>: mutated client PDUs against a server under test, one connection each.</summary>
internal static class FuzzCommand
{
    /// <summary>Exit code when the server stopped accepting connections during or after the run.</summary>
    public const int ServerCrashed = ExitCodes.Failure;

    public static Command Create()
    {
        var target = new Argument<string>("HOST[:PORT]") { Description = "HOST, HOST:PORT or [IPv6]:PORT of the server under test (port 3389 by default); loopback only unless --allow-remote." };
        var layer = new Option<string>("--layer", "-l")
        {
            Description = "The client PDU to mutate: x224 (Connection Request and RDP_NEG_REQ), tls (ClientHello), credssp (first TSRequest) or mcs (Connect Initial with GCC blocks). The steps before it are done correctly.",
            Required = true,
        };
        var seed = new Option<string?>("--seed", "-s") { Description = "The seed (an unsigned 64-bit number) [default: from the clock, printed so the run can be repeated]." };
        var cases = new Option<int>("--cases", "-n")
        {
            Description = "How many cases to run (case 0 is the valid PDU unchanged).",
            DefaultValueFactory = _ => 100,
        };
        var first = new Option<int>("--first") { Description = "The index of the first case (to continue a run).", DefaultValueFactory = _ => 0 };
        var concurrency = new Option<int>("--concurrency", "-c")
        {
            Description = $"Connections open at once, 1 to {FuzzOptions.MaxConcurrency}.",
            DefaultValueFactory = _ => 1,
        };
        var rate = new Option<double?>("--rate") { Description = "At most N cases started per second [default: no limit beyond --concurrency]." };
        var timeout = new Option<double>("--timeout", "-t")
        {
            Description = "Seconds to wait for the server's reaction to a case (and for each answer of the steps before it).",
            DefaultValueFactory = _ => 2,
        };
        var replay = new Option<string?>("--replay") { Description = "Run the single case SEED:INDEX and print its bytes sent and received in hex, and its reaction." };
        var json = new Option<bool>("--json") { Description = "Write the report as JSON to stdout (schema rdphs.fuzz/1 in docs/report-format.md); progress and text go to stderr." };
        var report = new Option<string?>("--report") { Description = "Also write the JSON report to FILE." };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow a target that is not a loopback address. Only fuzz servers you run yourself or are allowed to test." };
        var common = new CommonOptions();
        var noLiveness = new Option<bool>("--no-liveness-per-case") { Description = "Probe liveness only at the end of the run, not after every case (halves the connections; a crash is then not tied to its case)." };

        var command = new Command("fuzz", """
            Send mutated client PDUs to a server under test, one fresh connection per case, and record how it
            reacts: accepted, negotiation-failure, alert, error-answer, closed, reset, timeout, malformed-answer,
            setup-failed (the correct steps before the layer failed) or crashed (the server stopped accepting
            connections). Case I of seed S is derived from (S, I) alone: --replay S:I sends exactly the same bytes.
            Mutations are structure-aware first (field values at their boundaries, lengths that lie, wrong type
            bytes), then byte-level (bit flips, truncation, inserted bytes, inflated lengths) on the valid PDU.
            After every case a liveness probe (a fresh connection and a valid X.224 request) checks the server
            still answers; a failed probe stops the run.

            Only loopback targets are fuzzed unless --allow-remote is given: fuzzing sends malformed traffic that
            can crash or lock out a production server, and a typo in the target must not point it at one.

            Examples:
              rdphs fuzz 127.0.0.1:3389 --layer x224 --seed 1 --cases 300
              rdphs fuzz localhost:3390 --layer tls --seed 7 --cases 500 --concurrency 4 --rate 50
              rdphs fuzz 127.0.0.1 --layer mcs --seed 7 --cases 200 --json --report mcs.json
              rdphs fuzz 127.0.0.1 --layer tls --replay 7:42       replay one case, bytes in hex
              rdphs fuzz 10.0.0.5 --layer x224 --allow-remote --rate 2   a lab server you own
              rdphs fuzz 127.0.0.1:3389 --layer x224 --proxy socks5://127.0.0.1:1080   each case through a proxy

            Exit codes: 0 the run ended and the server is alive; 1 the server stopped accepting connections;
            2 bad usage; 4 the --report file could not be written; 130 interrupted (the partial report is still written).
            """);
        command.Arguments.Add(target);
        command.Options.Add(layer);
        command.Options.Add(seed);
        command.Options.Add(cases);
        command.Options.Add(first);
        command.Options.Add(concurrency);
        command.Options.Add(rate);
        command.Options.Add(timeout);
        command.Options.Add(replay);
        command.Options.Add(json);
        command.Options.Add(report);
        command.Options.Add(allowRemote);
        command.Options.Add(noLiveness);
        command.Options.Add(common.Proxy);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            ProbeTarget probeTarget = CommonOptions.ParseTarget(parse.GetValue(target)!);
            if (!FuzzLayerNames.TryParse(parse.GetValue(layer)!, out FuzzLayer fuzzLayer))
            {
                throw new UsageException($"--layer '{parse.GetValue(layer)}': must be one of {string.Join(", ", FuzzLayerNames.All)}");
            }

            int parallel = parse.GetValue(concurrency);
            if (parallel is < 1 or > FuzzOptions.MaxConcurrency)
            {
                throw new UsageException($"--concurrency {parallel}: must be from 1 to {FuzzOptions.MaxConcurrency}");
            }

            int count = parse.GetValue(cases);
            if (count is < 1 or > FuzzOptions.MaxCases)
            {
                throw new UsageException($"--cases {count}: must be from 1 to {FuzzOptions.MaxCases}");
            }

            int firstIndex = parse.GetValue(first);
            if (firstIndex < 0 || firstIndex > int.MaxValue - count)
            {
                throw new UsageException($"--first {firstIndex}: must be 0 or more, and leave room for --cases");
            }

            double? perSecond = parse.GetValue(rate);
            if (perSecond is { } r && !(r > 0 && r <= 10_000))
            {
                throw new UsageException($"--rate {r}: must be more than 0 and at most 10000 cases per second");
            }

            double seconds = parse.GetValue(timeout);
            if (!(seconds > 0 && seconds <= 600))
            {
                throw new UsageException($"--timeout {seconds}: must be more than 0 and at most 600 seconds");
            }

            ulong seedValue = parse.GetValue(seed) is { } seedText
                ? ParseSeed("--seed", seedText)
                : (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            (ulong Seed, int Index)? replayCase = parse.GetValue(replay) is { } replayText ? ParseCaseId(replayText) : null;

            ProxySettings? proxy = common.ReadProxy(parse);
            await CheckTargetAsync(probeTarget, parse.GetValue(allowRemote), cancellationToken).ConfigureAwait(false);
            if (proxy is not null)
            {
                await CheckTargetAsync(new ProbeTarget(proxy.Host, proxy.Port), parse.GetValue(allowRemote), cancellationToken).ConfigureAwait(false);
            }

            using ReportFile? reportFile = replayCase is null ? ReportFile.Open("--report", parse.GetValue(report), "fuzz report") : null;

            var options = new FuzzOptions
            {
                Layer = fuzzLayer,
                Seed = replayCase?.Seed ?? seedValue,
                Cases = replayCase is null ? count : 1,
                FirstIndex = replayCase?.Index ?? firstIndex,
                Concurrency = parallel,
                Rate = perSecond,
                Timeout = TimeSpan.FromSeconds(seconds),
                ConnectTimeout = TimeSpan.FromSeconds(Math.Max(seconds, 5)),
                CheckLivenessAfterEachCase = !parse.GetValue(noLiveness),
                Proxy = proxy,
            };
            var runner = new FuzzRunner(probeTarget, options);
            bool asJson = parse.GetValue(json);
            TextWriter human = asJson ? Console.Error : Console.Out;

            if (proxy is not null && await runner.CheckLivenessAsync(cancellationToken).ConfigureAwait(false) is { Alive: false } unreachable)
            {
                // Through a proxy, a server that cannot be reached before the first case is the proxy's doing (or the path's),
                // not a crash the fuzzing caused.
                Console.Error.WriteLine($"rdphs: fuzz: {probeTarget} cannot be reached before the first case: {unreachable.Detail}");
                return ExitCodes.Failure;
            }

            if (replayCase is { } one)
            {
                return await ReplayAsync(runner, options, probeTarget, one, asJson, human, cancellationToken).ConfigureAwait(false);
            }

            human.WriteLine(Invariant($"fuzzing {probeTarget} at layer {FuzzLayerNames.Name(fuzzLayer)}: seed {options.Seed}, cases {options.FirstIndex} to {options.FirstIndex + count - 1}, concurrency {parallel}{(perSecond is { } limit ? $", at most {limit} cases/s" : string.Empty)}, timeout {seconds} s"));
            var progress = new ProgressLine(count);
            FuzzReport result = await runner.RunAsync(progress.Report, cancellationToken).ConfigureAwait(false);
            progress.Finish();

            bool written = reportFile?.TryWrite(file => FuzzReportJson.Write(result, file), Console.Error) ?? true;

            if (asJson)
            {
                using Stream stdout = Console.OpenStandardOutput();
                FuzzReportJson.Write(result, stdout);
                await stdout.WriteAsync("\n"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
            }

            WriteSummary(human, result, probeTarget);
            if (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }

            return !written ? ExitCodes.ReportNotWritten : result.Crashed ? ServerCrashed : ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<int> ReplayAsync(FuzzRunner runner, FuzzOptions options, ProbeTarget target, (ulong Seed, int Index) id, bool asJson, TextWriter human, CancellationToken cancellationToken)
    {
        FuzzCase fuzzCase = FuzzCaseGenerator.Generate(options.Layer, id.Seed, id.Index);
        FuzzCaseResult result = await runner.RunCaseAsync(fuzzCase, cancellationToken).ConfigureAwait(false);
        LivenessResult alive = await runner.CheckLivenessAsync(CancellationToken.None).ConfigureAwait(false);
        if (!alive.Alive)
        {
            result = result with { Reaction = FuzzReaction.Crashed, Observed = result.Reaction, Detail = $"{result.Detail}; then {alive.Detail}" };
        }

        if (asJson)
        {
            using Stream stdout = Console.OpenStandardOutput();
            using (var json = new Utf8JsonWriter(stdout, ProbeReportJson.WriterOptions))
            {
                json.WriteStartObject();
                ProbeReportJson.WriteHeader(json, FuzzReportJson.Schema);
                json.WriteString("target", target.ToString());
                json.WriteString("layer", FuzzLayerNames.Name(options.Layer));
                json.WriteString("seed", id.Seed.ToString(CultureInfo.InvariantCulture));
                json.WritePropertyName("case");
                FuzzReportJson.WriteCase(json, result, options.MaxReceivedBytes);
                json.WriteStartObject("liveness");
                json.WriteBoolean("alive", alive.Alive);
                json.WriteString("detail", alive.Detail);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            await stdout.WriteAsync("\n"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
        }

        human.WriteLine($"case {fuzzCase.Id} at layer {FuzzLayerNames.Name(options.Layer)} against {target}");
        human.WriteLine($"  mutation: {fuzzCase.Mutation}{(fuzzCase.Invalid ? " (breaks the spec)" : string.Empty)}");
        human.WriteLine($"  sent ({fuzzCase.Bytes.Length} bytes{(options.Layer is FuzzLayer.CredSsp or FuzzLayer.Mcs ? ", inside TLS" : string.Empty)}):");
        WriteHex(human, fuzzCase.Bytes);
        human.WriteLine($"  received ({result.Received.Length} bytes{(result.Received.Length >= options.MaxReceivedBytes ? ", first ones" : string.Empty)}):");
        WriteHex(human, result.Received);
        human.WriteLine(Invariant($"  reaction: {FuzzReactionNames.Name(result.Reaction)} - {result.Detail} ({result.Elapsed.TotalMilliseconds:0} ms)"));
        human.WriteLine($"  server alive afterwards: {(alive.Alive ? "yes" : "NO")} ({alive.Detail})");
        return alive.Alive ? ExitCodes.Success : ServerCrashed;
    }

    private static void WriteSummary(TextWriter human, FuzzReport result, ProbeTarget target)
    {
        human.WriteLine();
        human.WriteLine(Invariant($"{result.Cases.Count} case(s) in {result.Elapsed.TotalSeconds:0.0} s{(result.StoppedEarly is { } why ? $" (stopped early: {why})" : string.Empty)}"));
        foreach ((FuzzReaction reaction, int n) in result.Summary)
        {
            if (n > 0)
            {
                human.WriteLine(Invariant($"  {FuzzReactionNames.Name(reaction),-20} {n,6}"));
            }
        }

        var interesting = new (string Name, IEnumerable<FuzzCaseResult> Cases)[]
        {
            ("crashed", result.Cases.Where(c => c.Reaction == FuzzReaction.Crashed)),
            ("reset", result.Cases.Where(c => c.Reaction == FuzzReaction.Reset)),
            ("timeout", result.Cases.Where(c => c.Reaction == FuzzReaction.Timeout)),
            ("accepted an invalid PDU", result.Cases.Where(c => c.Reaction == FuzzReaction.Accepted && c.Case.Invalid)),
        };
        foreach ((string name, IEnumerable<FuzzCaseResult> list) in interesting)
        {
            int[] indexes = list.Select(c => c.Case.Index).ToArray();
            if (indexes.Length > 0)
            {
                string shown = string.Join(", ", indexes.Take(40));
                human.WriteLine($"{name}: case(s) {shown}{(indexes.Length > 40 ? $" and {indexes.Length - 40} more" : string.Empty)}");
            }
        }

        human.WriteLine($"server alive after the run: {(result.Liveness.Alive ? "yes" : "NO")} ({result.Liveness.Detail})");
        FuzzCaseResult? example = result.Cases.FirstOrDefault(c => c.Interesting);
        if (example is not null)
        {
            human.WriteLine($"replay one: rdphs fuzz {target} --layer {FuzzLayerNames.Name(result.Options.Layer)} --replay {example.Case.Id}{(result.Options.Proxy is { } through ? $" --proxy {through}" : string.Empty)}");
        }
    }

    private static void WriteHex(TextWriter human, byte[] bytes)
    {
        for (int offset = 0; offset < bytes.Length; offset += 32)
        {
            human.WriteLine($"    {offset:x4}  {Convert.ToHexStringLower(bytes, offset, Math.Min(32, bytes.Length - offset))}");
        }
    }

    /// <summary>Refuses targets off this machine unless allowed: a name is resolved and every address must be loopback.</summary>
    private static async Task CheckTargetAsync(ProbeTarget target, bool allowRemote, CancellationToken cancellationToken)
    {
        if (allowRemote)
        {
            return;
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(target.Host, out IPAddress? literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(target.Host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new UsageException($"target {target.Host} does not resolve: {ex.Message}");
            }
        }

        if (addresses.Length == 0 || addresses.Any(a => !IPAddress.IsLoopback(a)))
        {
            throw new UsageException($"target {target} is not a loopback address ({string.Join(", ", addresses.Select(a => a.ToString()))}): fuzzing sends malformed traffic that can crash or lock out a server, so rdphs only fuzzes this machine unless you add --allow-remote for a server you run or may test");
        }
    }

    private static ulong ParseSeed(string option, string text) =>
        ulong.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw new UsageException($"{option} '{text}': must be a number from 0 to {ulong.MaxValue}");

    private static (ulong Seed, int Index) ParseCaseId(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            throw new UsageException($"--replay '{text}': expected SEED:INDEX, e.g. 42:17");
        }

        return (ParseSeed("--replay", text[..colon]), index);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One progress line on stderr every 25 cases (or 2 s), with the counts so far.</summary>
    private sealed class ProgressLine(int total)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<FuzzReaction, int> _counts = [];
        private int _done;
        private int _written;
        private DateTime _last = DateTime.UtcNow;

        public void Report(FuzzCaseResult result)
        {
            lock (_lock)
            {
                _done++;
                _counts[result.Reaction] = _counts.GetValueOrDefault(result.Reaction) + 1;
                if (_done % 25 == 0 || DateTime.UtcNow - _last > TimeSpan.FromSeconds(2) || result.Reaction == FuzzReaction.Crashed)
                {
                    Write();
                }
            }
        }

        public void Finish()
        {
            lock (_lock)
            {
                if (_written != _done)
                {
                    Write();
                }
            }
        }

        private void Write()
        {
            _last = DateTime.UtcNow;
            _written = _done;
            string counts = string.Join(", ", _counts.OrderBy(c => c.Key).Select(c => $"{FuzzReactionNames.Name(c.Key)} {c.Value}"));
            Console.Error.WriteLine($"  ... [{_done}/{total}] {counts}");
        }
    }
}
