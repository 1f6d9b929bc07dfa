using System.Globalization;
using System.Text.Json;
using RdpHandshake.Checks;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Reporting;

namespace RdpHandshake.Analysis;

/// <summary>
/// The JSON of an analysis, schema <c>rdphs.analyze/1</c> (docs/report-format.md): the capture's facts and findings,
/// then one object per RDP connection whose <c>probe</c> member is a whole <c>rdphs.probe/1</c> document (the same
/// steps, facts and diagnosis as a probe), beside what only a capture shows.
/// </summary>
public static class AnalysisReportJson
{
    public const string Schema = "rdphs.analyze/1";

    public static void Write(AnalysisReport report, Stream stream, Func<Cause?, int> exitCode, int processExitCode, Func<ConnectionAnalysis, IReadOnlyList<ExpectationResult>>? expectations = null)
    {
        using var json = new Utf8JsonWriter(stream, ProbeReportJson.WriterOptions);
        json.WriteStartObject();
        ProbeReportJson.WriteHeader(json, Schema);
        CaptureSummary capture = report.Capture;
        json.WriteStartObject("capture");
        json.WriteString("file", capture.Path);
        json.WriteString("format", CaptureFile.Name(capture.Format));
        json.WriteNumber("bytes", capture.Bytes);
        json.WriteNumber("frames", capture.Frames);
        json.WriteNumber("tcpSegments", capture.TcpSegments);
        json.WriteNumber("otherIp", capture.OtherIp);
        json.WriteNumber("notIp", capture.NotIp);
        json.WriteNumber("undecodable", capture.Undecodable);
        json.WriteStartArray("linkTypes");
        foreach (string link in capture.LinkTypes)
        {
            json.WriteStringValue(link);
        }

        json.WriteEndArray();
        Time(json, "first", capture.First);
        Time(json, "last", capture.Last);
        json.WriteNumber("tcpConnections", capture.Connections);
        json.WriteNumber("rdpConnections", capture.RdpConnections);
        Nullable(json, "readError", capture.ReadError);
        json.WriteEndObject();
        json.WriteNumber("exitCode", processExitCode);
        WriteFindings(json, report.Findings);
        json.WriteNumber("notKept", report.NotKept);
        json.WriteStartArray("connections");
        foreach (ConnectionAnalysis connection in report.Connections)
        {
            json.WriteStartObject();
            json.WriteNumber("index", connection.Index);
            json.WriteString("client", connection.Client.ToString());
            json.WriteString("server", connection.Server.ToString());
            Time(json, "firstSeen", connection.FirstSeen);
            Time(json, "lastSeen", connection.LastSeen);
            json.WriteString("status", ConnectionAnalysis.StatusName(connection.Status));
            Nullable(json, "reached", connection.Report.Reached?.Name());
            Nullable(json, "visibilityEnds", connection.VisibilityEnds);
            if (connection.Ending is { } ending)
            {
                json.WriteStartObject("ending");
                json.WriteString("by", ending.By);
                json.WriteString("how", ending.How);
                Time(json, "at", ending.At);
                Nullable(json, "after", ending.AfterPdu);
                if (ending.Silence is { } silence)
                {
                    json.WriteNumber("silenceMs", Math.Round(silence.TotalMilliseconds, 3));
                }
                else
                {
                    json.WriteNull("silenceMs");
                }

                json.WriteString("summary", ending.Summary);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("ending");
            }

            json.WriteStartObject("tcp");
            Direction(json, "client", connection.ClientTcp);
            Direction(json, "server", connection.ServerTcp);
            json.WriteEndObject();
            WriteFindings(json, connection.Findings);
            json.WritePropertyName("probe");
            ProbeReportJson.WriteReport(json, connection.Report, exitCode, expectations?.Invoke(connection));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
    }

    private static void WriteFindings(Utf8JsonWriter json, IReadOnlyList<Finding> findings)
    {
        json.WriteStartArray("findings");
        foreach (Finding finding in findings)
        {
            json.WriteStartObject();
            json.WriteString("code", finding.Code);
            json.WriteString("text", finding.Text);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void Direction(Utf8JsonWriter json, string name, DirectionFacts facts)
    {
        json.WriteStartObject(name);
        json.WriteString("from", facts.From);
        Time(json, "syn", facts.Syn);
        Time(json, "fin", facts.Fin);
        Time(json, "rst", facts.Rst);
        json.WriteNumber("segments", facts.Segments);
        json.WriteNumber("payloadBytes", facts.PayloadBytes);
        json.WriteNumber("retransmissions", facts.Retransmissions);
        json.WriteNumber("outOfOrder", facts.OutOfOrder);
        json.WriteNumber("overlaps", facts.Overlaps);
        json.WriteNumber("gaps", facts.Gaps);
        json.WriteNumber("gapBytes", facts.GapBytes);
        json.WriteNumber("zeroWindows", facts.ZeroWindows);
        json.WriteNumber("truncatedPayloads", facts.TruncatedPayloads);
        json.WriteBoolean("midStream", facts.MidStream);
        json.WriteEndObject();
    }

    private static void Time(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            json.WriteString(name, t.ToString("O", CultureInfo.InvariantCulture));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void Nullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
