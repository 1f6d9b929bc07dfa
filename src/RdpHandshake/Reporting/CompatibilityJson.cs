using System.Text.Json;
using RdpHandshake.Clients;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Reporting;

/// <summary>Writes a <see cref="CompatibilityResult"/> as JSON (schema <c>rdphs.compat/1</c>, docs/schema/rdphs.compat-1.schema.json).</summary>
public static class CompatibilityJson
{
    public const string Schema = "rdphs.compat/1";

    public static string ToJson(CompatibilityResult result, DateTimeOffset startedAt)
    {
        using var stream = new MemoryStream();
        Write(result, startedAt, stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void Write(CompatibilityResult result, DateTimeOffset startedAt, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, ProbeReportJson.WriterOptions);
        json.WriteStartObject();
        ProbeReportJson.WriteSurveyHeader(json, Schema, result.Target, startedAt, result.Elapsed, result.Connections);
        json.WriteNumber("connectingClients", result.Rows.Count(r => r.Verdict.Connects));
        json.WriteStartArray("clients");
        foreach (CompatibilityRow row in result.Rows)
        {
            ProbeReport report = row.Report;
            json.WriteStartObject();
            json.WriteString("profile", row.Profile.Name);
            json.WriteString("client", row.Profile.Client);
            json.WriteNumber("connection", row.Connection);
            json.WriteBoolean("sharedConnection", row.Shared);
            json.WriteString("securityProtocol", report.Negotiation?.Selected is { } selected ? NegotiationNames.ShortName(selected) : null);
            json.WriteString("tlsVersion", report.Tls is { HandshakeComplete: true, Version: { } version } ? TlsNames.ShortVersion(version) : null);
            json.WriteString("cipherSuite", report.Tls is { HandshakeComplete: true, CipherSuite: { } suite } ? TlsNames.CipherSuite(suite) : null);
            if (report.Tls?.Certificate is { } certificate)
            {
                json.WriteStartObject("certificate");
                json.WriteString("keyType", certificate.KeyType);
                json.WriteNumber("keyBits", certificate.KeyBits);
                json.WriteString("signature", certificate.SignatureAlgorithm);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("certificate");
            }

            if (report.CredSsp is { } credssp)
            {
                json.WriteNumber("credsspVersion", credssp.ServerVersion);
            }
            else
            {
                json.WriteNull("credsspVersion");
            }

            json.WriteString("encryptionMethod", report.Session?.EncryptionMethod);
            json.WriteBoolean("connects", row.Verdict.Connects);
            json.WriteString("reason", row.Verdict.Failure?.Summary);
            json.WriteString("message", row.Verdict.Message);
            json.WriteString("fix", row.Verdict.Fix);
            ProbeReportJson.WriteDiagnosisOrNull(json, row.Verdict.Failure);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
