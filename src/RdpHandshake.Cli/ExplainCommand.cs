using System.CommandLine;
using System.Text.Json;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Reporting;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs explain 0x904 0x7</c>: what mstsc's codes mean and which steps of a probe produce them.</summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var reason = new Argument<string?>("CODE")
        {
            Description = "The disconnect reason mstsc shows (e.g. 0x904, 2308, AtClientWinsockFDCLOSE).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var extended = new Argument<string?>("EXTENDED")
        {
            Description = "The extended reason (ERRINFO code), e.g. 0x7 or ERRINFO_SERVER_DENIED_CONNECTION.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var list = new Option<bool>("--list") { Description = "List every disconnect reason and extended reason rdphs knows." };
        var json = new Option<bool>("--json") { Description = "Write one JSON document (schema rdphs.explain/1) to stdout." };

        var command = new Command("explain", """
            Explain the codes of mstsc's "you were disconnected" dialog (the disconnect reason and, under "Hide
            details", the extended reason): what they mean, which steps of an rdphs probe end that way, and
            which rdphs commands tell the possible causes apart.

            Examples:
              rdphs explain 0x904 0x7
              rdphs explain 0x204
              rdphs explain --list
            """);
        command.Arguments.Add(reason);
        command.Arguments.Add(extended);
        command.Options.Add(list);
        command.Options.Add(json);

        command.SetAction(parse => CommonOptions.Guard(() =>
        {
            if (parse.GetValue(list))
            {
                WriteList(Console.Out);
                return ExitCodes.Success;
            }

            string reasonText = parse.GetValue(reason) ?? throw new UsageException("name a disconnect reason, e.g. 'rdphs explain 0x904 0x7', or use --list");
            if (!MstscCodes.TryParse(reasonText, MstscCodes.DisconnectReasons, out int code))
            {
                throw new UsageException($"disconnect reason '{reasonText}': not a number or a known name (see 'rdphs explain --list')");
            }

            int? extendedCode = null;
            if (parse.GetValue(extended) is { } extendedText)
            {
                if (!MstscCodes.TryParse(extendedText, MstscCodes.ExtendedReasons, out int parsed))
                {
                    throw new UsageException($"extended reason '{extendedText}': not a number or a known ERRINFO name (see 'rdphs explain --list')");
                }

                extendedCode = parsed;
            }

            Explanation explanation = Explain(code, extendedCode);
            if (parse.GetValue(json))
            {
                using Stream stdout = Console.OpenStandardOutput();
                WriteJson(explanation, stdout);
                stdout.Write("\n"u8);
            }
            else
            {
                WriteText(Console.Out, explanation);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private sealed record Explanation(
        int Code,
        CodeEntry? Reason,
        int? ExtendedCode,
        CodeEntry? Extended,
        IReadOnlyList<(string Where, string Cause, CatalogEntry Entry)> Causes,
        IReadOnlyList<string> Advice);

    private static Explanation Explain(int code, int? extendedCode)
    {
        var causes = Rank(DiagnosisCatalog.WithDisconnectReason(code), extendedCode);
        var advice = new List<string>
        {
            "rdphs probe HOST            shows the step in which the socket closed, what the server sent last, and the cause",
            "rdphs protocols HOST        shows which security protocols the server accepts (negotiation refusals)",
            "rdphs tls HOST              shows which TLS versions and cipher suites it accepts (TLS mismatches)",
        };
        if (extendedCode is { } extended && extended != 0)
        {
            advice.Insert(0, MstscCodes.IsProtocolRange(extended)
                ? "The extended reason is in the protocol range: the server rejected a PDU from the client as malformed or unexpected; compare the client's settings (security layer, channels, monitors) with the server's."
                : "A non-zero extended reason means the server said why before it closed: it sent a Set Error Info PDU (MS-RDPBCGR 2.2.5.1) with this code, after the MCS phase. The probe's timeline shows how far the connection got.");
        }

        return new Explanation(code, MstscCodes.DisconnectReason(code), extendedCode,
            extendedCode is { } e ? MstscCodes.ExtendedReason(e) : null, causes, advice);
    }

    /// <summary>
    /// The steps in order of how well each fits the codes. An extended reason other than 0 arrives only in a Set Error
    /// Info PDU, which a server can send only once MCS is up: the steps after MCS come first, the server's own
    /// explanation (server-error-info) before them all, and the steps before MCS (TCP, X.224, TLS, CredSSP) last. Without
    /// one, the server said nothing: the steps before MCS, where a server closes without a word, come first.
    /// </summary>
    internal static IReadOnlyList<(string Where, string Cause, CatalogEntry Entry)> Rank(IReadOnlyList<(string Where, string Cause, CatalogEntry Entry)> causes, int? extended) =>
        [.. causes.Select((c, i) => (Cause: c, Index: i)).OrderBy(c => Score(c.Cause.Where, c.Cause.Cause, extended)).ThenBy(c => c.Index).Select(c => c.Cause)];

    private static int Score(string where, string cause, int? extended)
    {
        bool afterMcs = where.StartsWith("mcs", StringComparison.Ordinal) || where is "security" or "licensing" or "capabilities" or "finalization";
        bool beforeMcs = where is "tcp" or "x224" or "tls" or "credssp";
        if (extended is { } code && code != 0)
        {
            return cause.StartsWith("server-error-info", StringComparison.Ordinal) ? 0 : afterMcs ? 1 : beforeMcs ? 3 : 2;
        }

        return beforeMcs ? 0 : afterMcs ? 2 : 1;
    }

    private static void WriteText(TextWriter output, Explanation x)
    {
        output.WriteLine($"disconnect reason 0x{x.Code:x} ({x.Code}): {x.Reason?.Name ?? "unknown"} - {x.Reason?.Meaning ?? "a code rdphs does not know"}");
        if (x.ExtendedCode is { } extended)
        {
            string meaning = x.Extended?.Meaning
                ?? (MstscCodes.IsProtocolRange(extended) ? "a protocol error: the server rejected a PDU it received" : "a code rdphs does not know");
            output.WriteLine($"extended reason 0x{extended:x} ({extended}): {x.Extended?.Name ?? "unknown"} - {meaning}");
        }

        output.WriteLine();
        if (x.Causes.Count > 0)
        {
            output.WriteLine(x.ExtendedCode is { } e && e != 0
                ? "Steps of an rdphs probe that end with this disconnect reason, best fit first (an extended reason comes only in a Set Error Info PDU, after MCS):"
                : "Steps of an rdphs probe that end with this disconnect reason, best fit first:");
            int width = x.Causes.Max(c => $"{c.Where} {c.Cause}".Length);
            int rank = 0;
            foreach ((string where, string cause, CatalogEntry entry) in x.Causes)
            {
                output.WriteLine($"  {++rank,2}. {$"{where} {cause}".PadRight(width)}  {entry.Title}");
            }

            output.WriteLine();
        }

        output.WriteLine("To tell them apart:");
        foreach (string line in x.Advice)
        {
            output.WriteLine($"  {line}");
        }
    }

    private static void WriteJson(Explanation x, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, ProbeReportJson.WriterOptions);
        json.WriteStartObject();
        ProbeReportJson.WriteHeader(json, "rdphs.explain/1");
        WriteCode(json, "disconnectReason", x.Code, x.Reason);
        if (x.ExtendedCode is { } extended)
        {
            WriteCode(json, "extendedReason", extended, x.Extended);
        }
        else
        {
            json.WriteNull("extendedReason");
        }

        json.WriteStartArray("causes");
        foreach ((string where, string cause, CatalogEntry entry) in x.Causes)
        {
            json.WriteStartObject();
            json.WriteString("phase", where == "any" ? null : where);
            json.WriteString("cause", cause);
            json.WriteString("title", entry.Title);
            json.WriteString("remedy", entry.Remedy);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("advice");
        foreach (string line in x.Advice)
        {
            json.WriteStringValue(line);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteCode(Utf8JsonWriter json, string name, int code, CodeEntry? entry)
    {
        json.WriteStartObject(name);
        json.WriteNumber("code", code);
        json.WriteString("hex", $"0x{code:x}");
        json.WriteString("name", entry?.Name);
        json.WriteString("meaning", entry?.Meaning);
        json.WriteEndObject();
    }

    private static void WriteList(TextWriter output)
    {
        output.WriteLine("Disconnect reasons (mstsc's first code):");
        foreach (CodeEntry entry in MstscCodes.DisconnectReasons)
        {
            output.WriteLine($"  0x{entry.Code,-5:x} {entry.Name,-38} {entry.Meaning}");
        }

        output.WriteLine();
        output.WriteLine("Extended reasons (the server's ERRINFO code; 0x1000-0x7FFF is the protocol range):");
        foreach (CodeEntry entry in MstscCodes.ExtendedReasons)
        {
            output.WriteLine($"  0x{entry.Code,-5:x} {entry.Name,-45} {entry.Meaning}");
        }
    }
}
