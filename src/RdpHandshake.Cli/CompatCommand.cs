using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using RdpHandshake.Clients;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Reporting;
using RdpHandshake.Tls;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs compat HOST[:PORT]</c>: which clients connect to the server, and what would let the others in.</summary>
internal static class CompatCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var target = new Argument<string>("HOST[:PORT]") { Description = "HOST, HOST:PORT or [IPv6]:PORT (port 3389 by default)." };
        var clients = new Option<string?>("--clients")
        {
            Description = $"The client profiles to try, comma-separated [default: all: {string.Join(", ", ClientProfiles.Names)}].",
        };
        var command = new Command("compat", $"""
            Try the server as every client profile would connect (docs/clients.md): each offers what that client
            offers (X.224 request, TLS versions, suites, groups and signature algorithms, CredSSP version, Standard
            RDP Security methods) and is judged as that client judges the answer (TLS version, certificate key size
            and signature hash, CredSSP nonce binding, encryption method). Clients that would send the same bytes share
            a connection, and when the server answers without TLS, one connection answers for all; the header says
            how many connections were made. The runs stop after the security exchange (Client Info), where the
            clients stop differing; --until finalized goes on.

            Output: one row per client (security protocol, TLS version, cipher suite, certificate, NLA, result), then
            for each client that fails, why, what it shows, and the server change that fixes it. --json writes
            rdphs.compat/1 (docs/schema/rdphs.compat-1.schema.json).

            Examples:
              rdphs compat rdp.example.com
              rdphs compat 10.0.0.5:3390 --clients mstsc-win11,freerdp3
              rdphs compat rdp.example.com --json > compat.json

            Exit code: 0 when every client connects; 3 when some client does not; the code 'rdphs probe' gives when
            no client could reach the server at all (10 tcp, 11 x224, ...); 2 bad usage; 130 interrupted.
            Profiles: {string.Join(", ", ClientProfiles.Names)}.
            """);
        command.Arguments.Add(target);
        command.Options.Add(clients);
        common.AddTo(command);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            ProbeTarget probeTarget = CommonOptions.ParseTarget(parse.GetValue(target)!);
            IReadOnlyList<ClientProfile> profiles = parse.GetValue(clients) is { } names ? ParseProfiles("--clients", names) : ClientProfiles.All;
            ProbeOptions options = common.BuildProbeOptions(parse, SecurityProtocols.Ssl | SecurityProtocols.Hybrid | SecurityProtocols.HybridEx);
            if (parse.GetValue(common.Until) is null)
            {
                // The clients differ up to the security exchange (TLS, CredSSP, Standard RDP Security's method); what
                // follows is the same for all of them, so the runs stop there unless --until asks for more.
                options = options with { Until = ConnectionPhase.Security };
            }
            using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(parse.GetValue(common.LogLevel));
            // One call, one connection: no retries or follow-ups, so the count printed is the count made.
            ILogger logger = loggers.CreateLogger("rdphs.compat");
            DateTimeOffset started = DateTimeOffset.UtcNow;
            CompatibilityResult result = await Compatibility.RunAsync(
                (where, how, observer, token) => new RdpProber(logger) { Policies = [], StepObserver = observer }.ProbeAsync(where, how, token),
                probeTarget, options, profiles, cancellationToken).ConfigureAwait(false);

            if (parse.GetValue(common.Json))
            {
                using Stream stdout = Console.OpenStandardOutput();
                CompatibilityJson.Write(result, started, stdout);
                await stdout.WriteAsync("\n"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                Write(Console.Out, result);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }

            if (result.Rows.All(r => r.Report.Diagnosis is { } d && d.Phase <= ConnectionPhase.X224 && d.Cause.Id != CauseId.NegotiationFailure))
            {
                return ExitCodes.For(result.Rows[0].Report.Diagnosis!.Cause);
            }

            return result.Rows.All(r => r.Verdict.Connects) ? ExitCodes.Success : ExitCodes.ExpectationsFailed;
        }));
        return command;
    }

    /// <summary>Profile names, comma-separated; an unknown one is a usage error naming the valid ones.</summary>
    public static IReadOnlyList<ClientProfile> ParseProfiles(string option, string text)
    {
        var list = new List<ClientProfile>();
        foreach (string name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            ClientProfile profile = ClientProfiles.Find(name)
                ?? throw new UsageException($"{option} '{name}': unknown client profile (known: {string.Join(", ", ClientProfiles.Names)})");
            if (!list.Contains(profile))
            {
                list.Add(profile);
            }
        }

        return list.Count > 0 ? list : throw new UsageException($"{option}: name at least one client profile (known: {string.Join(", ", ClientProfiles.Names)})");
    }

    /// <summary>The matrix, then why each failing client fails and the fix.</summary>
    internal static void Write(TextWriter output, CompatibilityResult result)
    {
        int connecting = result.Rows.Count(r => r.Verdict.Connects);
        output.WriteLine($"rdphs compat {result.Target}: {connecting} of {result.Rows.Count} clients connect; {result.Connections} connection(s) made for {result.Rows.Count} clients in {result.Elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms");
        output.WriteLine();
        string[] header = ["client", "protocol", "TLS", "suite", "certificate", "NLA", "result"];
        List<string[]> rows = [header, .. result.Rows.Select(Cells)];
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(i => rows.Max(r => r[i].Length))];
        foreach (string[] row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }

        List<CompatibilityRow> failing = [.. result.Rows.Where(r => !r.Verdict.Connects)];
        if (failing.Count == 0)
        {
            return;
        }

        output.WriteLine();
        foreach (CompatibilityRow row in failing)
        {
            output.WriteLine($"{row.Profile.Name}: {row.Verdict.Reason}");
            if (row.Verdict.Message is { } message)
            {
                output.WriteLine($"  it shows: {message}");
            }

            if (row.Verdict.Failure?.Mstsc is { } mstsc)
            {
                output.WriteLine($"  mstsc code: {mstsc}");
            }

            if (row.Verdict.Fix is { } fix)
            {
                output.WriteLine($"  fix on the server: {fix}");
            }
        }
    }

    private static string[] Cells(CompatibilityRow row)
    {
        ProbeReport report = row.Report;
        string protocol = report.Negotiation?.Selected is { } selected ? NegotiationNames.ShortName(selected)
            : report.Negotiation?.FailureCode is { } code ? $"refused ({code})"
            : "-";
        bool tls = report.Tls is { HandshakeComplete: true };
        string version = tls && report.Tls!.Version is { } v ? TlsNames.ShortVersion(v) : "-";
        string suite = tls && report.Tls!.CipherSuite is { } s ? TlsNames.CipherSuite(s) : report.Session?.EncryptionMethod is { } method ? method : "-";
        string certificate = report.Tls?.Certificate is { } c ? $"{c.KeyType} {c.KeyBits.ToString(CultureInfo.InvariantCulture)} {c.SignatureAlgorithm}" : "-";
        string nla = report.CredSsp is { } credssp ? $"CredSSP {credssp.ServerVersion.ToString(CultureInfo.InvariantCulture)}" : "-";
        string result = row.Verdict.Connects ? "OK"
            : row.Verdict.Failure is { } failure ? $"FAILS {failure.Phase.Name()}: {failure.Cause.Name}"
            : "FAILS";
        return [row.Profile.Name, protocol, version, suite, certificate, nla, result];
    }
}
