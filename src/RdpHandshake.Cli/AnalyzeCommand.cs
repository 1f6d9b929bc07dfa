using System.CommandLine;
using System.Globalization;
using System.Net;
using RdpHandshake.Analysis;
using RdpHandshake.Checks;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs analyze FILE</c>: the RDP connections of a pcap or pcapng capture, each through the connection sequence in observer mode.</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The capture: pcap or pcapng (Wireshark, tcpdump, pktmon/etl2pcapng, rdphs probe --pcap)." };
        var keyLog = new Option<string?>("--keylog") { Description = "An NSS key log (rdphs probe --keylog, SSLKEYLOGFILE): TLS 1.2 and 1.3 are decrypted, and the analysis goes on into CredSSP, MCS and the rest; its RDP_STANDARD_SECURITY lines (rdphs probe --keylog) decrypt Standard RDP Security." };
        var stream = new Option<int?>("--stream") { HelpName = "N", Description = "Analyse only the TCP connection of this index (as --list numbers them)." };
        var host = new Option<string?>("--host") { HelpName = "ADDRESS", Description = "Analyse only connections to or from this IP address." };
        var port = new Option<int?>("--port") { Description = "Analyse only connections to or from this TCP port (RDP is found on any port)." };
        var list = new Option<bool>("--list") { Description = "List the RDP connections (endpoints, times, how far each got and how it ended) without the timelines." };
        var json = new Option<bool>("--json") { Description = "One JSON document on stdout (schema rdphs.analyze/1, docs/report-format.md); text goes to stderr." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Every step with its decoded fields, instead of one line per phase." };
        var expect = new Option<string[]>("--expect", "-e")
        {
            Description = "A check on each analysed connection, KEY OP VALUE, as for probe (e.g. reached=finalized, tls>=1.2, cause=closed-by-peer). Keys: " + string.Join(", ", Expectation.Keys.Keys) + ".",
            AllowMultipleArgumentsPerToken = false,
        };
        var junit = new Option<string?>("--junit") { Description = "Write JUnit XML to FILE: per connection, one test case per step and per check." };
        var command = new Command("analyze", """
            Read a capture of any RDP client's attempt (mstsc, FreeRDP, rdphs) and say, for each RDP connection in it,
            where and why it ended: the same timeline and diagnosis as 'rdphs probe', plus who ended the connection.
            RDP is found on any port (a client whose first bytes are an X.224 Connection Request). TLS is read in the
            clear; with --keylog it is decrypted (and Standard RDP Security, with the RDP_STANDARD_SECURITY line rdphs
            probe --keylog writes) and the analysis goes on. docs/analyze.md says how to capture.

            Examples:
              rdphs analyze failed.pcapng                      every RDP connection in it
              rdphs analyze failed.pcapng --list               one line per connection
              rdphs analyze run.pcapng --keylog keys.txt       decrypt TLS (rdphs probe --keylog, SSLKEYLOGFILE)
              rdphs analyze big.pcap --host 10.0.0.5 --port 3389 --json > analysis.json
              rdphs analyze run.pcapng -e reached=finalized --junit analysis.xml

            Exit codes: 0 every connection analysed reached finalization or could not be followed further; 1 the file is
            not a readable capture; 2 bad usage; 3 a check failed; 4 the JUnit report could not be written; 5 the capture
            holds no RDP connection (or none selected); 10 to 18 the phase in which the first analysed connection failed
            (as for probe).
            """);
        command.Arguments.Add(file);
        command.Options.Add(keyLog);
        command.Options.Add(stream);
        command.Options.Add(host);
        command.Options.Add(port);
        command.Options.Add(list);
        command.Options.Add(json);
        command.Options.Add(verbose);
        command.Options.Add(expect);
        command.Options.Add(junit);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CommonOptions.Guard(() =>
        {
            string path = parse.GetValue(file)!;
            IPAddress? hostAddress = null;
            if (parse.GetValue(host) is { } hostText && !IPAddress.TryParse(hostText.Trim('[', ']'), out hostAddress))
            {
                throw new UsageException($"--host '{hostText}': expected an IP address, as the capture holds them");
            }

            if (parse.GetValue(port) is { } p && p is < 1 or > 65535)
            {
                throw new UsageException($"--port {p}: expected 1 to 65535");
            }

            if (parse.GetValue(stream) is { } s && s < 1)
            {
                throw new UsageException($"--stream {s}: connections are numbered from 1 (see --list)");
            }

            if (!File.Exists(path))
            {
                throw new UsageException($"{path}: no such file");
            }

            IReadOnlyList<Expectation> checks = Checks.Load(parse.GetValue(expect) ?? [], null, null);
            TlsKeyLog keys = TlsKeyLog.Empty;
            if (parse.GetValue(keyLog) is { } keyPath)
            {
                try
                {
                    keys = TlsKeyLog.Load(keyPath);
                }
                catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    throw new UsageException($"--keylog: {ex.Message}");
                }
            }

            using ReportFile? junitFile = ReportFile.Open("--junit", parse.GetValue(junit), "JUnit report");
            bool asJson = parse.GetValue(json);
            TextWriter human = asJson ? Console.Error : Console.Out;
            AnalysisReport report;
            try
            {
                report = CaptureAnalyzer.Analyze(path, new AnalysisOptions { Keys = keys, Stream = parse.GetValue(stream), Host = hostAddress, Port = parse.GetValue(port) }, cancellationToken);
            }
            catch (CaptureUnreadableException ex)
            {
                Console.Error.WriteLine($"rdphs: {ex.Message}");
                return ExitCodes.Failure;
            }

            var results = report.Connections.ToDictionary(c => c.Index, c => (IReadOnlyList<ExpectationResult>)checks.Select(check => check.Evaluate(c.Report)).ToArray());
            int code = ExitCode(report, results);
            if (junitFile is not null && !junitFile.TryWrite(stream => WriteJUnit(report, results, stream), Console.Error))
            {
                code = ExitCodes.ReportNotWritten;
            }

            if (asJson)
            {
                using Stream stdout = Console.OpenStandardOutput();
                AnalysisReportJson.Write(report, stdout, cause => ExitCodes.For(cause), code, c => results[c.Index]);
                stdout.Write("\n"u8);
            }

            Render(new Terminal.Lines(human), report, parse.GetValue(list), parse.GetValue(verbose), results);
            return code;
        })));
        return command;
    }

    /// <summary>0 when nothing failed; 5 without any RDP connection; 3 a check failed; else the phase code of the first failed connection.</summary>
    internal static int ExitCode(AnalysisReport report, IReadOnlyDictionary<int, IReadOnlyList<ExpectationResult>> results)
    {
        if (report.Connections.Count == 0)
        {
            return ExitCodes.NoRdp;
        }

        if (report.Connections.FirstOrDefault(c => c.Report.Diagnosis is not null) is { } failed)
        {
            return ExitCodes.For(failed.Report.Diagnosis!.Cause);
        }

        return results.Values.Any(r => r.Any(x => !x.Passed)) ? ExitCodes.ExpectationsFailed : ExitCodes.Success;
    }

    private static void Render(Terminal.Lines output, AnalysisReport report, bool list, bool verbose, IReadOnlyDictionary<int, IReadOnlyList<ExpectationResult>> results)
    {
        CaptureSummary capture = report.Capture;
        output.Line($"rdphs analyze {capture.Path}: {CaptureFile.Name(capture.Format)}, {capture.Frames} frame(s) ({string.Join(", ", capture.LinkTypes)}), {capture.Connections} TCP connection(s), {capture.RdpConnections} RDP");
        foreach (Finding finding in report.Findings)
        {
            output.Line($"  {finding.Code}: {finding.Text}");
        }

        foreach (ConnectionAnalysis connection in report.Connections)
        {
            output.Line();
            string head = $"#{connection.Index.ToString(CultureInfo.InvariantCulture)} {connection.Client} -> {connection.Server}, {connection.FirstSeen.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} to {connection.LastSeen.UtcDateTime:HH:mm:ss.fff}: {ConnectionAnalysis.StatusName(connection.Status)}, reached {CaptureAnalyzer.Reached(connection)}";
            output.Line(head);
            if (list)
            {
                output.Line($"  {connection.Report.Verdict}");
                if (connection.Ending is { } end)
                {
                    output.Line($"  {end.Summary}");
                }

                continue;
            }

            IReadOnlyList<ExpectationResult> checks = results[connection.Index];
            var outcome = new ProbeOutcome(connection.Report.Diagnosis is { } d ? ExitCodes.For(d.Cause) : ExitCodes.Success,
                connection.Status switch { AnalysisStatus.Finalized => "OK", AnalysisStatus.Failed => "FAILED", _ => "INCOMPLETE" }, connection.Report.Verdict);
            TextRenderer.WriteProbe(output, connection.Report, outcome, verbose ? Terminal.Detail.Steps : Terminal.Detail.Phases, false, checks);
            if (connection.VisibilityEnds is { } visibility)
            {
                output.Line($"  visibility: {visibility}");
            }

            if (connection.Ending is { } ending)
            {
                output.Line($"  ending: {ending.Summary}");
            }

            foreach (Finding finding in connection.Findings)
            {
                output.Line($"  {finding.Code}: {finding.Text}");
            }
        }

        if (report.NotKept > 0)
        {
            output.Line($"{report.NotKept} more RDP connection(s) were analysed and not kept: select one with --stream N");
        }
    }

    private static void WriteJUnit(AnalysisReport report, IReadOnlyDictionary<int, IReadOnlyList<ExpectationResult>> results, Stream output)
    {
        // One JUnit document per connection would not be one file: the connections' suites go into one <testsuites>.
        var parts = new List<string>();
        foreach (ConnectionAnalysis connection in report.Connections)
        {
            using var buffer = new MemoryStream();
            JUnitWriter.Write(connection.Report with { Target = $"{connection.Report.Target} (capture connection #{connection.Index})" }, results[connection.Index], buffer);
            string xml = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            int start = xml.IndexOf("<testsuite ", StringComparison.Ordinal);
            int end = xml.LastIndexOf("</testsuites>", StringComparison.Ordinal);
            if (start >= 0 && end > start)
            {
                parts.Add(xml[start..end]);
            }
        }

        using var writer = new StreamWriter(output, new System.Text.UTF8Encoding(false), leaveOpen: true);
        writer.Write("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n");
        foreach (string part in parts)
        {
            writer.Write(part);
        }

        writer.Write("</testsuites>\n");
    }
}
