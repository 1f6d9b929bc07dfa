using System.CommandLine;
using System.Globalization;
using RdpHandshake.Checks;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Cli;

/// <summary>
/// <c>rdphs probe --format nagios</c>: the monitoring-plugin convention of Nagios, Icinga, Centreon and Naemon. One status
/// line on stdout, <c>RDP STATE - what | perfdata</c>, then a line per reason; the exit code is the state: 0 OK, 1
/// WARNING (the certificate expires within --warn-days, weak TLS or encryption, a --warn-expect check failed), 2
/// CRITICAL (the probe failed, an --expect check failed, the certificate expires within --crit-days or is not valid),
/// 3 UNKNOWN (bad usage, interrupted, an internal error). These replace probe's own exit codes in this format only.
/// </summary>
internal sealed class NagiosOutput
{
    public const int Ok = 0;
    public const int Warning = 1;
    public const int Critical = 2;
    public const int Unknown = 3;

    private static readonly string[] StateNames = ["OK", "WARNING", "CRITICAL", "UNKNOWN"];

    /// <summary>The probe options of the format; <see cref="AddTo"/> puts them on the command.</summary>
    public sealed class Options
    {
        public Option<string> Format { get; } = new("--format")
        {
            Description = "Output: text (the default), json (the same as --json), or nagios (one status line with perfdata, and the Nagios plugin exit codes 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN in place of probe's own; docs/monitoring.md).",
            DefaultValueFactory = _ => "text",
        };

        public Option<int> WarnDays { get; } = new("--warn-days")
        {
            Description = "With --format nagios: WARNING when the certificate expires in fewer than N days.",
            DefaultValueFactory = _ => 30,
        };

        public Option<int> CritDays { get; } = new("--crit-days")
        {
            Description = "With --format nagios: CRITICAL when the certificate expires in fewer than N days (0: once it has expired).",
            DefaultValueFactory = _ => 0,
        };

        public Option<string[]> WarnExpect { get; } = new("--warn-expect")
        {
            Description = "With --format nagios: a check like --expect whose failure is a WARNING, not CRITICAL (repeatable), e.g. --warn-expect protocol=hybrid_ex.",
            AllowMultipleArgumentsPerToken = false,
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Format);
            command.Options.Add(WarnDays);
            command.Options.Add(CritDays);
            command.Options.Add(WarnExpect);
        }

        /// <summary>Whether the run writes JSON: --json, or --format json.</summary>
        public bool Json(ParseResult parse, Option<bool> json) => parse.GetValue(json) || FormatOf(parse) == "json";

        /// <summary>
        /// The Nagios output asked for, or null for the other formats; its options with another format, or another
        /// format's options with it, are bad usage.
        /// </summary>
        public NagiosOutput? Read(ParseResult parse, Option<bool> json, params Option<bool>[] textOnly)
        {
            string format = FormatOf(parse);
            bool nagiosOptions = parse.GetResult(WarnDays) is { Implicit: false } || parse.GetResult(CritDays) is { Implicit: false } || parse.GetResult(WarnExpect) is { Implicit: false };
            if (format != "nagios")
            {
                if (nagiosOptions)
                {
                    throw new UsageException("--warn-days, --crit-days and --warn-expect go with --format nagios");
                }

                if (format == "text" && parse.GetResult(Format) is { Implicit: false } && parse.GetValue(json))
                {
                    throw new UsageException("--json and --format text ask for different outputs: give one");
                }

                return null;
            }

            if (parse.GetValue(json))
            {
                throw new UsageException("--json and --format nagios ask for different outputs: give one");
            }

            if (textOnly.FirstOrDefault(o => parse.GetValue(o)) is { } other)
            {
                throw new UsageException($"{other.Name} is for the text output: --format nagios writes one status line");
            }

            int warnDays = parse.GetValue(WarnDays);
            int critDays = parse.GetValue(CritDays);
            if (warnDays is < 0 or > 3650 || critDays is < 0 or > 3650)
            {
                throw new UsageException($"--warn-days {warnDays} / --crit-days {critDays}: must be from 0 to 3650");
            }

            var warnChecks = new List<Expectation>();
            foreach (string text in parse.GetValue(WarnExpect) ?? [])
            {
                warnChecks.Add(Expectation.TryParse(text, out Expectation? check, out string? error) ? check! : throw new UsageException($"--warn-expect {error}"));
            }

            return new NagiosOutput(warnDays, critDays, warnChecks);
        }

        /// <summary>
        /// Runs the command's body: with --format nagios, bad usage and an internal error are UNKNOWN (exit 3) with their
        /// message on stdout, where monitoring systems read it; otherwise as every command does.
        /// </summary>
        public Task<int> GuardAsync(ParseResult parse, Func<Task<int>> body) =>
            string.Equals(parse.GetValue(Format)?.Trim(), "nagios", StringComparison.OrdinalIgnoreCase) ? GuardNagiosAsync(body) : CommonOptions.GuardAsync(body);

        private string FormatOf(ParseResult parse)
        {
            string format = (parse.GetValue(Format) ?? "text").Trim().ToLowerInvariant();
            return format is "text" or "json" or "nagios" ? format : throw new UsageException($"--format '{format}': must be text, json or nagios");
        }

        private static async Task<int> GuardNagiosAsync(Func<Task<int>> body)
        {
            try
            {
                return await body().ConfigureAwait(false);
            }
            catch (UsageException ex)
            {
                return WriteUnknown(Console.Out, ex.Message);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return WriteUnknown(Console.Out, $"internal error in rdphs: {ex.Message}");
            }
        }
    }

    private readonly int _warnDays;
    private readonly int _critDays;
    private readonly IReadOnlyList<Expectation> _warnChecks;

    private NagiosOutput(int warnDays, int critDays, IReadOnlyList<Expectation> warnChecks)
    {
        _warnDays = warnDays;
        _critDays = critDays;
        _warnChecks = warnChecks;
    }

    /// <summary>Whether the command line asks probe for --format nagios, for an error found before any command runs.</summary>
    public static bool Requested(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if ((args[i] == "--format" && i + 1 < args.Count && args[i + 1] == "nagios") || args[i] is "--format=nagios" or "--format:nagios")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The UNKNOWN line for a run that could not check the server (bad usage, an internal error).</summary>
    public static int WriteUnknown(TextWriter output, string message)
    {
        output.WriteLine($"RDP UNKNOWN - {OneLine(message)}");
        return Unknown;
    }

    /// <summary>Writes the status line, the reasons and the perfdata, and returns the plugin exit code.</summary>
    public int Write(TextWriter output, ProbeReport report, IReadOnlyList<ExpectationResult> checks, IReadOnlyList<string> notWritten)
    {
        var reasons = new List<(int State, string Text)>();
        if (report.Diagnosis is { } diagnosis)
        {
            int state = diagnosis.Cause.Id is CauseId.Interrupted or CauseId.InternalError ? Unknown : Critical;
            reasons.Add((state, $"failed in {diagnosis.Phase.Name()}: {diagnosis.Cause.Name} - {diagnosis.Summary}"));
        }

        reasons.AddRange(checks.Where(c => !c.Passed).Select(c => (Critical, $"check {c.Expectation.Text} failed: {c.Message}")));
        reasons.AddRange(_warnChecks.Select(c => c.Evaluate(report)).Where(c => !c.Passed).Select(c => (Warning, $"check {c.Expectation.Text} failed: {c.Message}")));
        if (report.Tls?.Certificate is { } certificate)
        {
            if (certificate.DaysLeft < _critDays || certificate.DaysLeft < 0)
            {
                reasons.Add((Critical, Expiry(certificate.DaysLeft, "--crit-days", _critDays)));
            }
            else if (certificate.DaysLeft < _warnDays)
            {
                reasons.Add((Warning, Expiry(certificate.DaysLeft, "--warn-days", _warnDays)));
            }

            reasons.AddRange(certificate.Findings
                .Where(f => f.Code is CertificateAnalysis.Codes.NotYetValid or CertificateAnalysis.Codes.Unparsable)
                .Select(f => (Critical, $"certificate {f.Text}")));
            reasons.AddRange(certificate.Findings
                .Where(f => f.Code is CertificateAnalysis.Codes.WeakKey or CertificateAnalysis.Codes.WeakSignature)
                .Select(f => (Warning, $"weak certificate: {f.Text}")));
        }

        if (report.Tls is { } tls)
        {
            reasons.AddRange(tls.Weaknesses.Select(w => (Warning, $"weak TLS: {w}")));
        }

        if (report.Session is { WeakEncryption: true } session)
        {
            reasons.Add((Warning, $"weak Standard RDP Security encryption: {session.EncryptionMethod} at {session.EncryptionLevel}"));
        }
        else if (report.Negotiation?.Selected == SecurityProtocols.Rdp)
        {
            reasons.Add((Warning, "weak security: the server selected Standard RDP Security (RC4, the server not authenticated by TLS)"));
        }

        int status = reasons.Count == 0 ? Ok : reasons.Max(r => r.State);
        string target = report.Target;
        string summary = reasons.Count == 0
            ? $"{target}: {Facts(report)}"
            : $"{target}: {string.Join("; ", reasons.Where(r => r.State == status).Select(r => r.Text))}{(report.Diagnosis is null ? $" ({Facts(report)})" : string.Empty)}";
        output.WriteLine($"RDP {StateNames[status]} - {OneLine(summary)} | {Perfdata(report, checks)}");
        foreach ((int state, string text) in reasons.OrderByDescending(r => r.State == Unknown ? -1 : r.State))
        {
            output.WriteLine($"{StateNames[state]}: {OneLine(text)}");
        }

        if (report.Diagnosis is { } failed)
        {
            output.WriteLine($"remedy: {OneLine(failed.Remedy)}");
        }

        foreach (string what in notWritten)
        {
            output.WriteLine($"note: the {what} could not be written");
        }

        return status;
    }

    /// <summary>What the probe reached and established: how far, how long, the protocol, TLS and certificate.</summary>
    private static string Facts(ProbeReport report)
    {
        var facts = new List<string>();
        if (report.Negotiation?.Selected is { } selected)
        {
            facts.Add(NegotiationNames.ShortName(selected));
        }

        if (report.Tls is { Version: { } version } tls)
        {
            facts.Add(tls.CipherSuite is { } suite ? $"{TlsNames.Version(version)} {TlsNames.CipherSuite(suite)}" : TlsNames.Version(version));
        }

        if (report.Tls?.Certificate is { } certificate)
        {
            facts.Add(certificate.DaysLeft >= 0 ? $"certificate expires in {certificate.DaysLeft} days" : $"certificate expired {-certificate.DaysLeft} days ago");
        }

        string reached = report.Reached is { } phase ? $"reached {phase.Name()}" : "reached nothing";
        return $"{reached} in {report.Elapsed.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s{(facts.Count > 0 ? $", {string.Join(", ", facts)}" : string.Empty)}";
    }

    private static string Expiry(int daysLeft, string option, int days) => daysLeft >= 0
        ? $"certificate expires in {daysLeft} days (fewer than {option} {days})"
        : $"certificate expired {-daysLeft} days ago";

    /// <summary>
    /// Perfdata, <c>label=value[unit];warn;crit;min;max</c>: the whole time and each phase's in seconds, the certificate's
    /// days left against the thresholds (<c>30:</c> warns below 30), the failed checks.
    /// </summary>
    private string Perfdata(ProbeReport report, IReadOnlyList<ExpectationResult> checks)
    {
        var data = new List<string> { $"time={Seconds(report.Elapsed)}s;;;0" };
        data.AddRange(PhaseTimes.Of(report).Select(p => $"{p.Phase.Name()}={Seconds(p.Time)}s;;;0"));
        if (report.Tls?.Certificate is { } certificate)
        {
            data.Add(string.Create(CultureInfo.InvariantCulture, $"cert_days_left={certificate.DaysLeft};{_warnDays}:;{_critDays}:"));
        }

        int failed = checks.Count(c => !c.Passed);
        data.Add(string.Create(CultureInfo.InvariantCulture, $"checks_failed={failed};;;0;{checks.Count}"));
        return string.Join(' ', data);
    }

    /// <summary>Text on one line, with no '|' (it starts the perfdata).</summary>
    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace('|', '/');

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture);
}
