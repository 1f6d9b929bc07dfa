using System.Text.Json;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Reporting;

/// <summary>Writes a <see cref="TlsSurveyReport"/> as JSON (schema <c>rdphs.tls/1</c>, see docs/report-format.md).</summary>
public static class TlsSurveyJson
{
    public const string Schema = "rdphs.tls/1";

    public static void Write(TlsSurveyReport survey, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, ProbeReportJson.WriterOptions);
        json.WriteStartObject();
        ProbeReportJson.WriteSurveyHeader(json, Schema, survey.Target, survey.StartedAt, survey.Elapsed, survey.Connections);
        json.WriteNumber("combinationsCovered", survey.CipherSuitesTested);
        json.WriteString("securityProtocol", survey.SecurityProtocol is { } protocol ? NegotiationNames.ShortName(protocol) : null);
        json.WriteString("problem", survey.Problem);
        ProbeReportJson.WriteDiagnosisOrNull(json, survey.Failure);
        json.WriteStartArray("versions");
        foreach (TlsVersionResult version in survey.Versions)
        {
            json.WriteStartObject();
            json.WriteString("version", TlsNames.ShortVersion(version.Version));
            json.WriteBoolean("accepted", version.Accepted);
            if (version.ServerPreference is { } preference)
            {
                json.WriteString("order", preference ? "server" : "client");
            }
            else
            {
                json.WriteNull("order");
            }

            json.WriteStartArray("cipherSuites");
            foreach (int suite in version.CipherSuites)
            {
                json.WriteStartObject();
                json.WriteString("name", TlsNames.CipherSuite(suite));
                json.WriteString("value", $"0x{suite:x4}");
                json.WriteStartArray("weaknesses");
                foreach (string weakness in TlsWeakness.Of(null, suite))
                {
                    json.WriteStringValue(weakness);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("namedGroups");
            foreach (int group in version.NamedGroups)
            {
                json.WriteStringValue(TlsNames.NamedGroupName(group));
            }

            json.WriteEndArray();
            json.WriteString("detail", version.Detail);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
