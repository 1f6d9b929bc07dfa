using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Scan;

/// <summary>Writes a <see cref="ScanResult"/> as one line of JSON (schema <c>rdphs.scan/1</c>, see docs/report-format.md).</summary>
public static class ScanResultJson
{
    public const string Schema = "rdphs.scan/1";

    private static readonly JsonWriterOptions LineOptions = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The JSON object of <paramref name="result"/> on one line, without the line feed; <paramref name="exitCode"/> is the one <c>rdphs probe</c> would give the host.</summary>
    public static string ToLine(ScanResult result, int exitCode)
    {
        using var stream = new MemoryStream();
        Write(result, stream, exitCode);
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Writes the JSON object of <paramref name="result"/> on one line, without the line feed.</summary>
    public static void Write(ScanResult result, Stream stream, int exitCode)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var json = new Utf8JsonWriter(stream, LineOptions);
        json.WriteStartObject();
        json.WriteString("schema", Schema);
        json.WriteNumber("index", result.Index);
        json.WriteString("target", result.Target);
        json.WriteString("remote", result.Remote);
        json.WriteString("startedAt", result.StartedAt.ToString("O", CultureInfo.InvariantCulture));
        json.WriteNumber("elapsedMs", Math.Round(result.Elapsed.TotalMilliseconds, 3));
        json.WriteString("goal", result.Goal.Name());
        json.WriteBoolean("success", result.Success);
        json.WriteString("reached", result.Reached?.Name());
        json.WriteNumber("exitCode", exitCode);
        json.WriteString("selected", result.Selected is { } selected ? NegotiationNames.ShortName(selected) : null);
        json.WriteString("negotiationFailure", result.NegotiationFailure is { } failure ? NegotiationNames.Name(failure) : null);
        json.WriteString("nla", result.Nla is { } nla ? NlaName(nla) : null);
        json.WriteString("tlsVersion", result.TlsVersion is { } version ? TlsNames.ShortVersion(version) : null);
        json.WriteString("tlsCipherSuite", result.TlsCipherSuite is { } suite ? TlsNames.CipherSuite(suite) : null);
        json.WriteString("certSubject", result.CertificateSubject);
        if (result.CertificateDaysLeft is { } days)
        {
            json.WriteNumber("certDaysLeft", days);
        }
        else
        {
            json.WriteNull("certDaysLeft");
        }

        json.WriteString("failedPhase", result.FailedPhase?.Name());
        json.WriteString("cause", result.Cause?.Name);
        json.WriteString("summary", result.Summary);
        json.WriteEndObject();
    }

    /// <summary>The report name of an <see cref="NlaStatus"/>: selected, required, not-selected, not-offered.</summary>
    public static string NlaName(NlaStatus status) => status switch
    {
        NlaStatus.Selected => "selected",
        NlaStatus.Required => "required",
        NlaStatus.NotSelected => "not-selected",
        _ => "not-offered",
    };
}
