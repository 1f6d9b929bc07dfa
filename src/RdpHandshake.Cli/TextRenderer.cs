using System.Globalization;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.Reporting;
using RdpHandshake.Tls;

namespace RdpHandshake.Cli;

/// <summary>Renders reports as aligned, readable text.</summary>
internal static class TextRenderer
{
    public static void WriteProbe(TextWriter output, ProbeReport report, bool showHex)
    {
        bool color = Terminal.IsInteractive(output);
        foreach (ProbeReport hop in report.PreviousHops)
        {
            output.WriteLine($"== {hop.Target}: redirected to {hop.Session?.RedirectionTarget} ==");
            WriteProbe(output, hop, showHex);
            output.WriteLine();
            output.WriteLine($"== following the redirection: {report.Target} ==");
        }

        output.WriteLine($"rdphs probe {report.Target}: offering {NegotiationNames.SpecNames(report.Options.Negotiation.RequestedProtocols)}, timeout {Seconds(report.Options.ReadTimeout)} s");
        output.WriteLine();
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
        for (int i = 0; i < rows.Count; i++)
        {
            string[] row = rows[i];
            string result = i == 0 ? row[6] : ColorOutcome(row[6], report.Steps[i - 1].Outcome, color);
            output.WriteLine($"  {row[0].PadLeft(widths[0])}  {row[1].PadRight(widths[1])}  {row[2].PadLeft(widths[2])}  {row[3].PadLeft(widths[3])}  {row[4].PadLeft(widths[4])}  {row[5].PadLeft(widths[5])}  {result}");
            if (i == 0)
            {
                continue;
            }

            StepRecord step = report.Steps[i - 1];
            string indent = new(' ', widths[0] + 4);
            foreach (StepField field in step.Fields)
            {
                output.WriteLine(Terminal.Dim($"{indent}{field.Name}: {field.Value}", color));
            }

            if (showHex)
            {
                if (step.Sent.Length > 0)
                {
                    output.WriteLine($"{indent}sent: {Convert.ToHexStringLower(step.Sent)}");
                }

                if (step.Received.Length > 0)
                {
                    output.WriteLine($"{indent}received: {Convert.ToHexStringLower(step.Received)}");
                }
            }
        }

        output.WriteLine();
        WriteCredSsp(output, report);
        if (report.Diagnosis is { } diagnosis)
        {
            WriteDiagnosis(output, diagnosis);
        }

        string verdict = report.Success ? Terminal.Green("OK", color) : Terminal.Red("FAILED", color);
        output.WriteLine($"{Terminal.Bold("verdict:", color)} {verdict} - {report.Verdict} ({Ms(report.Elapsed)} ms)");
    }

    /// <summary>What the CredSSP phase found beyond its steps: the SPNEGO refusal that led to bare NTLM, the nonce-binding check.</summary>
    private static void WriteCredSsp(TextWriter output, ProbeReport report)
    {
        if (report.SpnegoAttempt is { } attempt)
        {
            output.WriteLine($"first connection (NTLM in SPNEGO): {attempt.Verdict}");
            output.WriteLine($"  the server refused SPNEGO{(report.CredSsp?.SpnegoRefusedWith is { } code ? $" with errorCode 0x{code:x8}" : string.Empty)}; the steps above are a second connection with bare NTLM");
            output.WriteLine();
        }

        if (report.CredSsp is { ServerVersion: > 0 and < Protocol.CredSsp.TsRequest.FirstNonceVersion } old)
        {
            output.WriteLine($"CredSSP version {old.ServerVersion}: the server is not updated for CVE-2018-0886 (the CredSSP encryption oracle, fixed in");
            output.WriteLine($"  version {Protocol.CredSsp.TsRequest.FirstNonceVersion}); updated clients set to 'Force Updated Clients' will refuse it. Check in CI: -e credssp.version>=6");
            output.WriteLine();
        }

        if (report.CredSsp?.NonceBinding is { } nonce)
        {
            string answer = nonce.Enforced switch { true => "enforced", false => "NOT enforced", null => "unknown" };
            output.WriteLine($"CredSSP nonce binding (version 5+, CVE-2018-0886): {answer}");
            output.WriteLine($"  {nonce.Detail}");
            output.WriteLine();
        }
    }

    private static string ColorOutcome(string result, StepOutcome outcome, bool color) => outcome switch
    {
        StepOutcome.Ok => Terminal.Green("ok", color) + result[2..],
        StepOutcome.Failed => Terminal.Red("failed", color) + result["failed".Length..],
        _ => Terminal.Yellow(result, color),
    };

    public static void WriteDiagnosis(TextWriter output, Diagnosis diagnosis)
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(diagnosis.Cause);
        bool color = Terminal.IsInteractive(output);
        output.WriteLine($"{Terminal.Red("diagnosis:", color)} phase {diagnosis.Phase.Name()}, cause {Terminal.Bold(diagnosis.Cause.Name, color)}: {entry.Title}");
        output.WriteLine($"  what happened: {diagnosis.Summary}");
        output.WriteLine($"  what it means: {diagnosis.Explanation}");
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

        output.WriteLine($"  evidence: {string.Join("; ", facts)}");
        if (diagnosis.Mstsc is { } mstsc)
        {
            output.WriteLine($"  mstsc would show: {mstsc}");
        }
        else if (diagnosis.MstscNote is { } note)
        {
            output.WriteLine($"  mstsc code: {note}");
        }

        output.WriteLine($"  remedy: {diagnosis.Remedy}");
        output.WriteLine();
    }

    public static void WriteChecks(TextWriter output, IReadOnlyList<RdpHandshake.Checks.ExpectationResult> results)
    {
        if (results.Count == 0)
        {
            return;
        }

        output.WriteLine($"checks: {results.Count(r => r.Passed)} passed, {results.Count(r => !r.Passed)} failed");
        foreach (RdpHandshake.Checks.ExpectationResult result in results)
        {
            output.WriteLine($"  {(result.Passed ? "pass" : "FAIL")}  {result.Expectation.Text,-28} {result.Message}");
        }
    }

    public static void WriteSurvey(TextWriter output, ProtocolSurveyReport survey)
    {
        output.WriteLine($"rdphs protocols {survey.Target}: {survey.Connections} connections, {Ms(survey.Elapsed)} ms");
        output.WriteLine();
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
        output.WriteLine($"rdphs tls {survey.Target}: {survey.Connections} connections for {survey.CipherSuitesTested} version/suite combinations, {Ms(survey.Elapsed)} ms");
        if (survey.Problem is not null)
        {
            output.WriteLine();
            output.WriteLine($"verdict: cannot survey TLS - {survey.Problem}");
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

    private static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
