using System.Globalization;
using System.Text.Json;
using RdpHandshake.Reporting;

namespace RdpHandshake.Fuzzing;

/// <summary>Writes a <see cref="FuzzReport"/> as JSON (schema <c>rdphs.fuzz/1</c>, see docs/report-format.md).</summary>
public static class FuzzReportJson
{
    public const string Schema = "rdphs.fuzz/1";

    public static void Write(FuzzReport report, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, ProbeReportJson.WriterOptions);
        json.WriteStartObject();
        ProbeReportJson.WriteHeader(json, Schema);
        json.WriteString("target", report.Target);
        json.WriteString("layer", FuzzLayerNames.Name(report.Options.Layer));
        json.WriteString("seed", report.Options.Seed.ToString(CultureInfo.InvariantCulture));
        json.WriteNumber("firstIndex", report.Options.FirstIndex);
        json.WriteNumber("casesRequested", report.Options.Cases);
        json.WriteNumber("concurrency", report.Options.Concurrency);
        if (report.Options.Rate is { } rate)
        {
            json.WriteNumber("rate", rate);
        }
        else
        {
            json.WriteNull("rate");
        }

        json.WriteNumber("timeoutMs", (long)report.Options.Timeout.TotalMilliseconds);
        json.WriteString("startedAt", report.StartedAt.ToString("O", CultureInfo.InvariantCulture));
        json.WriteNumber("elapsedMs", (long)report.Elapsed.TotalMilliseconds);
        json.WriteString("stoppedEarly", report.StoppedEarly);

        json.WriteStartObject("summary");
        foreach ((FuzzReaction reaction, int count) in report.Summary)
        {
            json.WriteNumber(FuzzReactionNames.Name(reaction), count);
        }

        json.WriteEndObject();
        json.WriteStartObject("interesting");
        WriteIndexes(json, "crashed", report.Cases.Where(c => c.Reaction == FuzzReaction.Crashed));
        WriteIndexes(json, "reset", report.Cases.Where(c => c.Reaction == FuzzReaction.Reset));
        WriteIndexes(json, "timeout", report.Cases.Where(c => c.Reaction == FuzzReaction.Timeout));
        WriteIndexes(json, "acceptedInvalid", report.Cases.Where(c => c.Reaction == FuzzReaction.Accepted && c.Case.Invalid));
        json.WriteEndObject();

        json.WriteStartObject("liveness");
        json.WriteBoolean("alive", report.Liveness.Alive);
        json.WriteString("detail", report.Liveness.Detail);
        json.WriteNumber("ms", (long)report.Liveness.Elapsed.TotalMilliseconds);
        json.WriteEndObject();

        json.WriteStartArray("cases");
        foreach (FuzzCaseResult result in report.Cases)
        {
            WriteCase(json, result, report.Options.MaxReceivedBytes);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>One case as an object (also what <c>--replay --json</c> prints).</summary>
    public static void WriteCase(Utf8JsonWriter json, FuzzCaseResult result, int maxReceivedBytes)
    {
        json.WriteStartObject();
        json.WriteNumber("index", result.Case.Index);
        json.WriteString("id", result.Case.Id);
        json.WriteString("mutation", result.Case.Mutation);
        json.WriteBoolean("invalid", result.Case.Invalid);
        json.WriteNumber("sentLength", result.Case.Bytes.Length);
        json.WriteString("sentHex", Convert.ToHexStringLower(result.Case.Bytes));
        byte[] received = result.Received.Length > maxReceivedBytes ? result.Received[..maxReceivedBytes] : result.Received;
        json.WriteString("receivedHex", Convert.ToHexStringLower(received));
        json.WriteString("reaction", FuzzReactionNames.Name(result.Reaction));
        if (result.Observed is { } observed)
        {
            json.WriteString("observed", FuzzReactionNames.Name(observed));
        }

        json.WriteString("detail", result.Detail);
        json.WriteNumber("ms", (long)result.Elapsed.TotalMilliseconds);
        json.WriteEndObject();
    }

    private static void WriteIndexes(Utf8JsonWriter json, string name, IEnumerable<FuzzCaseResult> cases)
    {
        json.WriteStartArray(name);
        foreach (FuzzCaseResult result in cases)
        {
            json.WriteNumberValue(result.Case.Index);
        }

        json.WriteEndArray();
    }
}
