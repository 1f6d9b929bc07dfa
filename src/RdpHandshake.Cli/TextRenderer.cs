using System.Globalization;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.Reporting;
using RdpHandshake.Tls;

namespace RdpHandshake.Cli;

/// <summary>How a probe ended for the person reading: the exit code, the word the verdict starts with, and the verdict.</summary>
/// <param name="ExitCode">The process exit code (<see cref="ExitCodes"/>).</param>
/// <param name="Label">OK, FAILED, INTERRUPTED or INTERNAL ERROR: what the exit code means.</param>
/// <param name="Verdict">One line: how the run ended, with the checks that failed and the reports not written.</param>
internal sealed record ProbeOutcome(int ExitCode, string Label, string Verdict);

/// <summary>Renders reports as aligned, readable text.</summary>
internal static class TextRenderer
{
    /// <summary>
    /// The probe's result, the verdict first: with <see cref="Terminal.Detail.Phases"/> one line per phase, with
    /// <see cref="Terminal.Detail.Steps"/> every step with its fields (and its bytes with <paramref name="showHex"/>), then
    /// what CredSSP found, the failure block and the checks; with <see cref="Terminal.Detail.Quiet"/> the verdict alone.
    /// </summary>
    public static void WriteProbe(Terminal.Lines output, ProbeReport report, ProbeOutcome outcome, Terminal.Detail detail, bool showHex, IReadOnlyList<RdpHandshake.Checks.ExpectationResult> checks)
    {
        bool color = output.Color;
        string label = outcome.ExitCode switch
        {
            ExitCodes.Success => Terminal.Green(outcome.Label, color),
            ExitCodes.Interrupted => Terminal.Yellow(outcome.Label, color),
            _ => Terminal.Red(outcome.Label, color),
        };
        output.Line($"{Terminal.Bold("verdict:", color)} {label} - {outcome.Verdict} ({Ms(report.Elapsed)} ms)");
        if (detail == Terminal.Detail.Quiet)
        {
            return;
        }

        output.Line();
        if (report.Proxy is { } proxy)
        {
            output.Line(proxy.Describe());
        }

        foreach (ProbeReport hop in report.PreviousHops)
        {
            output.Line($"first connection, to {hop.Target}: redirected to {hop.Session?.RedirectionTarget}");
            WriteSteps(output, hop, detail, showHex);
            output.Line();
            output.Line($"following the redirection, to {report.Target}:");
        }

        WriteSteps(output, report, detail, showHex);
        WriteCredSsp(output, report);
        if (report.Diagnosis is { Cause.Id: not CauseId.Interrupted } diagnosis)
        {
            output.Line();
            WriteDiagnosis(output, diagnosis);
        }

        if (checks.Count > 0)
        {
            output.Line();
            WriteChecks(output, checks);
        }
    }

    private static void WriteSteps(Terminal.Lines output, ProbeReport report, Terminal.Detail detail, bool showHex)
    {
        if (detail == Terminal.Detail.Phases)
        {
            foreach (IReadOnlyList<StepRecord> phase in Phases(report.Steps))
            {
                output.Line($"  {PhaseLine(phase)}", PhaseSummaryColumn);
            }

            return;
        }

        bool color = output.Color;
        var rows = new List<string[]> { new[] { "#", "step", "at ms", "ms", "sent", "recv", "result" } };
        foreach (StepRecord step in report.Steps)
        {
            rows.Add(
            [
                step.Index.ToString(CultureInfo.InvariantCulture),
                step.Name,
                Ms(step.Start),
                step.Duration is { } d ? Ms(d) : "-",
                step.Sent.Length == 0 ? "-" : step.Sent.Length.ToString(CultureInfo.InvariantCulture),
                step.Received.Length == 0 ? "-" : step.Received.Length.ToString(CultureInfo.InvariantCulture),
                $"{ProbeReportJson.OutcomeName(step.Outcome)}  {step.Summary}",
            ]);
        }

        int[] widths = Enumerable.Range(0, 6).Select(c => rows.Max(r => r[c].Length)).ToArray();
        int resultColumn = widths.Sum() + 14;
        for (int i = 0; i < rows.Count; i++)
        {
            string[] row = rows[i];
            string result = i == 0 ? row[6] : ColorOutcome(row[6], report.Steps[i - 1].Outcome, color);
            output.Line($"  {row[0].PadLeft(widths[0])}  {row[1].PadRight(widths[1])}  {row[2].PadLeft(widths[2])}  {row[3].PadLeft(widths[3])}  {row[4].PadLeft(widths[4])}  {row[5].PadLeft(widths[5])}  {result}", resultColumn);
            if (i == 0)
            {
                continue;
            }

            StepRecord step = report.Steps[i - 1];
            string indent = new(' ', widths[0] + 4);
            foreach (StepField field in step.Fields)
            {
                output.Line(Terminal.Dim($"{indent}{field.Name}: {field.Value}", color), indent.Length + 4);
            }

            if (showHex)
            {
                if (step.Sent.Length > 0)
                {
                    output.Line($"{indent}sent: {Convert.ToHexStringLower(step.Sent)}", indent.Length + 6);
                }

                if (step.Received.Length > 0)
                {
                    output.Line($"{indent}received: {Convert.ToHexStringLower(step.Received)}", indent.Length + 10);
                }
            }
        }
    }

    /// <summary>Where a phase line's summary starts, for the continuation of a wrapped one.</summary>
    private const int PhaseSummaryColumn = 2 + 12 + 2 + 6 + 2 + 8 + 5;

    /// <summary>The steps of a run in runs of one phase, in order (a second connection starts again at tcp).</summary>
    public static IEnumerable<IReadOnlyList<StepRecord>> Phases(IReadOnlyList<StepRecord> steps)
    {
        var current = new List<StepRecord>();
        foreach (StepRecord step in steps)
        {
            if (current.Count > 0 && (current[^1].Phase != step.Phase || step.Name == RdpProber.TcpConnectStep))
            {
                yield return current;
                current = [];
            }

            current.Add(step);
        }

        if (current.Count > 0)
        {
            yield return current;
        }
    }

    /// <summary>
    /// One phase as one line: its name, how it ended, its time, and what it established: the server's answer that says
    /// most (the Connection Confirm, the TLS version and certificate, the CHALLENGE, the Connect Response), or the step
    /// where it failed or stopped. A failed step the run went on from (Negotiate leaving Kerberos for NTLM) does not
    /// end the phase: the line names it after what the phase established.
    /// </summary>
    public static string PhaseLine(IReadOnlyList<StepRecord> steps)
    {
        StepRecord last = steps[^1];
        StepRecord? ended = last.Outcome != StepOutcome.Ok ? last : null;
        string outcome = ended is null ? "ok" : ProbeReportJson.OutcomeName(ended.Outcome);
        TimeSpan start = steps[0].Start;
        TimeSpan took = (last.Start + (last.Duration ?? TimeSpan.Zero)) - start;
        string[] setbacks = [.. steps.Take(steps.Count - 1).Where(s => s.Outcome == StepOutcome.Failed).Select(s => s.Name).Distinct()];
        string recovered = setbacks.Length > 0 ? $" (after {string.Join(", ", setbacks)} failed)" : string.Empty;
        string summary = ended is not null ? $"{ended.Name}: {ended.Summary ?? "waiting for the server"}{recovered}" : PhaseSummary(steps) + recovered;
        return $"{steps[0].Phase.Name(),-12}  {outcome,-6}  {Ms(took),8} ms  {summary}";
    }

    private static string PhaseSummary(IReadOnlyList<StepRecord> steps)
    {
        StepRecord? Named(string name) => steps.LastOrDefault(s => s.Name == name);
        IEnumerable<StepRecord> answers = steps.Where(s => s.Name != "disconnect" && !s.Name.StartsWith("session.", StringComparison.Ordinal));
        string fallback = (answers.LastOrDefault(s => s.Received.Length > 0) ?? answers.LastOrDefault() ?? steps[^1]).Summary ?? string.Empty;
        switch (steps[0].Phase)
        {
            case ConnectionPhase.Tls when Named("tls.server-hello") is { Summary: { } hello }:
                if (Named("tls.certificate") is { } certificate)
                {
                    string? subject = certificate.Fields.FirstOrDefault(f => f.Name == "subject").Value;
                    string? validity = certificate.Fields.FirstOrDefault(f => f.Name == "validity").Value;
                    string? left = validity is not null && validity.IndexOf('(', StringComparison.Ordinal) is var open and >= 0 ? validity[(open + 1)..].TrimEnd(')') : null;
                    string[] findings = certificate.Fields.Where(f => f.Name.StartsWith("finding.", StringComparison.Ordinal)).Select(f => f.Name["finding.".Length..]).ToArray();
                    return $"{hello}; certificate {subject}{(left is null ? string.Empty : $", {left}")}{(findings.Length > 0 ? $" ({string.Join(", ", findings)})" : string.Empty)}";
                }

                return hello;
            case ConnectionPhase.CredSsp when Named("kerberos.tgs-exchange") is { Outcome: StepOutcome.Ok, Summary: { } ticket } && Named("credssp.ap-reply") is not null:
                return $"Kerberos, {ticket}; {answers.Last().Summary}";
            case ConnectionPhase.CredSsp when Named("credssp.challenge") is { Summary: { } challenge }:
                StepRecord lastAnswer = answers.Last();
                return lastAnswer.Name == "credssp.challenge" ? challenge : $"{challenge}; {lastAnswer.Summary}";
            case ConnectionPhase.Mcs when Named("mcs.connect-response") is { Summary: { } response }:
                int joined = steps.Count(s => s.Name.StartsWith("mcs.channel-join-confirm.", StringComparison.Ordinal));
                return joined == 0 ? response : $"{response}; {joined} channel(s) joined";
            default:
                return fallback;
        }
    }

    /// <summary>What the CredSSP phase found beyond its steps: the SPNEGO refusal that led to bare NTLM, the nonce-binding check.</summary>
    private static void WriteCredSsp(Terminal.Lines output, ProbeReport report)
    {
        if (report.SpnegoAttempt is { } attempt)
        {
            output.Line();
            string offered = attempt.Steps.Any(s => s.Name == "credssp.ap-request") ? "Kerberos in SPNEGO" : "NTLM in SPNEGO";
            output.Line($"first connection ({offered}): {attempt.Verdict}");
            output.Line($"  the server refused SPNEGO{(report.CredSsp?.SpnegoRefusedWith is { } code ? $" with errorCode 0x{code:x8}" : string.Empty)}; the steps above are a second connection with bare NTLM");
        }

        if (report.CredSsp is { ServerVersion: > 0 and < Protocol.CredSsp.TsRequest.FirstNonceVersion } old)
        {
            output.Line();
            output.Line($"CredSSP version {old.ServerVersion}: the server is not updated for CVE-2018-0886 (the CredSSP encryption oracle, fixed in version {Protocol.CredSsp.TsRequest.FirstNonceVersion}); updated clients set to 'Force Updated Clients' will refuse it. Check in CI: -e credssp.version>=6");
        }

        if (report.CredSsp?.NonceBinding is { } nonce)
        {
            string answer = nonce.Enforced switch { true => "enforced", false => "NOT enforced", null => "unknown" };
            output.Line();
            output.Line($"CredSSP nonce binding (version 5+, CVE-2018-0886): {answer}");
            output.Line($"  {nonce.Detail}");
        }
    }

    private static string ColorOutcome(string result, StepOutcome outcome, bool color) => outcome switch
    {
        StepOutcome.Ok => Terminal.Green("ok", color) + result[2..],
        StepOutcome.Failed => Terminal.Red("failed", color) + result["failed".Length..],
        _ => Terminal.Yellow(result, color),
    };

    public static void WriteDiagnosis(TextWriter output, Diagnosis diagnosis) => WriteDiagnosis(new Terminal.Lines(output), diagnosis);

    /// <summary>The failure block: the diagnosis with its evidence, what mstsc would show, and the remedy.</summary>
    public static void WriteDiagnosis(Terminal.Lines output, Diagnosis diagnosis)
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(diagnosis.Cause);
        bool color = output.Color;
        output.Line($"{Terminal.Red("diagnosis:", color)} phase {diagnosis.Phase.Name()}, cause {Terminal.Bold(diagnosis.Cause.Name, color)}: {entry.Title}");
        output.Line($"  what happened: {diagnosis.Summary}");
        output.Line($"  what it means: {diagnosis.Explanation}");
        Evidence evidence = diagnosis.Evidence;
        var facts = new List<string>();
        if (evidence.Step is not null)
        {
            facts.Add($"step {evidence.Step}");
        }

        if (evidence.TransportEnd is not null)
        {
            facts.Add($"transport {evidence.TransportEnd}");
        }

        if (evidence.SocketError is not null)
        {
            facts.Add($"socket error {evidence.SocketError}");
        }

        facts.Add(evidence.ReceivedHex is null ? "received nothing" : $"received {Shorten(evidence.ReceivedHex)}");
        if (evidence.ExpectedLength is { } expected)
        {
            facts.Add($"expected {expected} bytes");
        }

        if (evidence.DecodeError is not null)
        {
            facts.Add(evidence.DecodeError);
        }

        if (evidence.LastSentHex is not null)
        {
            facts.Add($"last sent {Shorten(evidence.LastSentHex)}");
        }

        output.Line($"  evidence: {string.Join("; ", facts)}");
        if (diagnosis.Mstsc is { } mstsc)
        {
            output.Line($"  mstsc would show: {mstsc}");
        }
        else if (diagnosis.MstscNote is { } note)
        {
            output.Line($"  mstsc code: {note}");
        }

        output.Line($"  remedy: {diagnosis.Remedy}");
    }

    public static void WriteChecks(Terminal.Lines output, IReadOnlyList<RdpHandshake.Checks.ExpectationResult> results)
    {
        if (results.Count == 0)
        {
            return;
        }

        output.Line($"checks: {results.Count(r => r.Passed)} passed, {results.Count(r => !r.Passed)} failed");
        foreach (RdpHandshake.Checks.ExpectationResult result in results)
        {
            output.Line($"  {(result.Passed ? "pass" : "FAIL")}  {result.Expectation.Text,-28} {result.Message}", 36);
        }
    }

    /// <summary>A survey that could not ask: the verdict, as a probe says it, and the failure block.</summary>
    private static void WriteFailure(TextWriter writer, string verdict, Diagnosis? diagnosis)
    {
        var output = new Terminal.Lines(writer);
        output.Line($"{Terminal.Bold("verdict:", output.Color)} {Terminal.Red("FAILED", output.Color)} - {verdict}");
        if (diagnosis is not null)
        {
            output.Line();
            WriteDiagnosis(output, diagnosis);
        }
    }

    public static void WriteSurvey(TextWriter output, ProtocolSurveyReport survey)
    {
        output.WriteLine($"rdphs protocols {survey.Target}: {Connections(survey.Connections)}, {Ms(survey.Elapsed)} ms");
        output.WriteLine();
        if (survey.Failure is { } failure)
        {
            WriteFailure(output, $"failed in {failure.Phase.Name()}: {failure.Cause} - {failure.Summary}", failure);
            return;
        }

        var rows = new List<string[]> { new[] { "protocol", "requested", "answer", "detail" } };
        foreach (ProtocolResult result in survey.Results)
        {
            rows.Add(
            [
                NegotiationNames.ShortName(result.Protocol),
                $"0x{(uint)result.Protocol:x8}",
                ProtocolSurveyJson.AnswerName(result.Answer),
                result.Detail,
            ]);
        }

        int[] widths = Enumerable.Range(0, 3).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (string[] row in rows)
        {
            output.WriteLine($"  {row[0].PadRight(widths[0])}  {row[1].PadRight(widths[1])}  {row[2].PadRight(widths[2])}  {row[3]}");
        }

        output.WriteLine();
        string accepted = string.Join(", ", survey.Accepted.Select(NegotiationNames.ShortName));
        output.WriteLine($"verdict: the server accepts {(accepted.Length == 0 ? "none of the protocols asked" : accepted)}");
    }

    public static void WriteTlsSurvey(TextWriter output, TlsSurveyReport survey)
    {
        output.WriteLine($"rdphs tls {survey.Target}: {Connections(survey.Connections)} for {survey.CipherSuitesTested} version/suite combinations, {Ms(survey.Elapsed)} ms");
        if (survey.Problem is not null)
        {
            output.WriteLine();
            WriteFailure(output, survey.Failure is null ? $"cannot survey TLS: {survey.Problem}" : survey.Problem, survey.Failure);
            return;
        }

        output.WriteLine($"(X.224 selected {NegotiationNames.SpecNames(survey.SecurityProtocol ?? SecurityProtocols.Rdp)}; each connection stops at the ServerHello)");
        output.WriteLine();
        int weak = 0;
        foreach (TlsVersionResult version in survey.Versions)
        {
            string name = TlsNames.Version(version.Version);
            bool oldVersion = TlsWeakness.Of(version.Version, null).Count > 0;
            if (!version.Accepted)
            {
                output.WriteLine($"  {name}  no        {version.Detail}");
                continue;
            }

            string order = version.ServerPreference switch
            {
                true => "server order",
                false => "client order",
                null => "single suite",
            };
            output.WriteLine($"  {name}  yes{(oldVersion ? " (weak: deprecated)" : string.Empty)}, {version.CipherSuites.Count} suite(s), {order}");
            foreach (int suite in version.CipherSuites)
            {
                IReadOnlyList<string> weaknesses = TlsWeakness.Of(null, suite);
                weak += weaknesses.Count > 0 ? 1 : 0;
                output.WriteLine($"           {TlsNames.CipherSuite(suite)}{(weaknesses.Count > 0 ? $"  [weak: {string.Join("; ", weaknesses)}]" : string.Empty)}");
            }

            if (version.NamedGroups.Count > 0)
            {
                output.WriteLine($"           groups: {string.Join(", ", version.NamedGroups.Select(TlsNames.NamedGroupName))}");
            }
        }

        output.WriteLine();
        string accepted = string.Join(", ", survey.AcceptedVersions.Select(v => TlsNames.Version(v)));
        output.WriteLine($"verdict: accepts {(accepted.Length == 0 ? "no TLS version offered" : accepted)}; {weak} weak suite(s)");
    }

    /// <summary>Long hex in the text view is cut (the JSON report keeps every byte).</summary>
    private static string Shorten(string hex) => hex.Length <= 256 ? hex : $"{hex[..256]}... ({hex.Length / 2} bytes; --json has them all)";

    private static string Connections(int count) => count == 1 ? "1 connection" : $"{count} connections";

    private static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
