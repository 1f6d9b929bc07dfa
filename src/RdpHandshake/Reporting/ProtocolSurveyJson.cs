using System.Text.Json;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Reporting;

/// <summary>Writes a <see cref="ProtocolSurveyReport"/> as JSON (schema <c>rdphs.protocols/1</c>, see docs/report-format.md).</summary>
public static class ProtocolSurveyJson
{
    public const string Schema = "rdphs.protocols/1";

    public static void Write(ProtocolSurveyReport survey, Stream stream, Func<Cause?, int> exitCode)
    {
        using var json = new Utf8JsonWriter(stream, ProbeReportJson.WriterOptions);
        json.WriteStartObject();
        ProbeReportJson.WriteSurveyHeader(json, Schema, survey.Target, survey.StartedAt, survey.Elapsed, survey.Connections);
        json.WriteStartArray("accepted");
        foreach (SecurityProtocols protocol in survey.Accepted)
        {
            json.WriteStringValue(NegotiationNames.ShortName(protocol));
        }

        json.WriteEndArray();
        ProbeReportJson.WriteDiagnosisOrNull(json, survey.Failure);
        json.WriteStartArray("results");
        foreach (ProtocolResult result in survey.Results)
        {
            json.WriteStartObject();
            json.WriteString("protocol", NegotiationNames.ShortName(result.Protocol));
            json.WriteString("requestedProtocols", $"0x{(uint)result.Protocol:x8}");
            json.WriteString("answer", AnswerName(result.Answer));
            json.WriteString("detail", result.Detail);
            json.WritePropertyName("probe");
            ProbeReportJson.WriteReport(json, result.Report, exitCode);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string AnswerName(ProtocolAnswer answer) => answer switch
    {
        ProtocolAnswer.Accepted => "accepted",
        ProtocolAnswer.Refused => "refused",
        ProtocolAnswer.SelectedOther => "selected-other",
        _ => "no-answer",
    };
}
