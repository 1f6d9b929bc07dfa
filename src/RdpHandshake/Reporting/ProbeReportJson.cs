using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using RdpHandshake.Checks;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.Tls;

namespace RdpHandshake.Reporting;

/// <summary>
/// Writes a <see cref="ProbeReport"/> as the stable JSON document described in <c>docs/report-format.md</c>
/// (schema <c>rdphs.probe/1</c>). Written by hand rather than reflected, so the shape is explicit, stays
/// stable, and works under NativeAOT.
/// </summary>
public static class ProbeReportJson
{
    public const string Schema = "rdphs.probe/1";

    /// <summary>Indented, with non-ASCII text kept readable: reports are read by people as much as by scripts.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the <c>schema</c> and <c>tool</c> members every rdphs document starts with.</summary>
    public static void WriteHeader(Utf8JsonWriter json, string schema)
    {
        json.WriteString("schema", schema);
        json.WriteStartObject("tool");
        json.WriteString("name", "rdphs");
        json.WriteString("version", ToolInfo.Version);
        json.WriteEndObject();
    }

    /// <summary>The fields every survey report (<c>protocols</c>, <c>tls</c>) starts with.</summary>
    internal static void WriteSurveyHeader(Utf8JsonWriter json, string schema, string target, DateTimeOffset startedAt, TimeSpan elapsed, int connections)
    {
        WriteHeader(json, schema);
        json.WriteString("target", target);
        json.WriteString("startedAt", startedAt.ToString("O", CultureInfo.InvariantCulture));
        json.WriteNumber("elapsedMs", Ms(elapsed));
        json.WriteNumber("connections", connections);
    }

    public static string ToJson(ProbeReport report, Func<Cause?, int> exitCode, IReadOnlyList<ExpectationResult>? expectations = null)
    {
        using var stream = new MemoryStream();
        Write(report, stream, exitCode, expectations);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The hop through a proxy: which, where, and what it said. Never its password.</summary>
    private static void WriteProxy(Utf8JsonWriter json, ProxyHop proxy)
    {
        json.WriteStartObject("proxy");
        json.WriteString("kind", proxy.KindName);
        json.WriteString("address", proxy.Address);
        WriteNullable(json, "remote", proxy.Remote);
        WriteNullable(json, "user", proxy.User);
        ProxyFacts? facts = proxy.Facts;
        WriteNullable(json, "method", facts?.Method);
        json.WriteBoolean("authenticated", facts?.AuthenticatedAs is not null);
        WriteNullable(json, "bound", facts?.Bound);
        if (facts?.HttpStatus is { } status)
        {
            json.WriteNumber("httpStatus", status);
        }
        else
        {
            json.WriteNull("httpStatus");
        }

        WriteNullable(json, "statusLine", facts?.StatusLine);
        WriteNullable(json, "agent", facts?.Agent);
        json.WriteBoolean("tunnelled", facts?.Tunnelled == true);
        json.WriteEndObject();
    }

    public static void Write(ProbeReport report, Stream stream, Func<Cause?, int> exitCode, IReadOnlyList<ExpectationResult>? expectations = null)
    {
        using var json = new Utf8JsonWriter(stream, WriterOptions);
        WriteReport(json, report, exitCode, expectations);
    }

    /// <summary>
    /// Writes the report object into an open writer (used by multi-report documents). <paramref name="exitCode"/> gives
    /// the process exit code a run ending with a cause implies: the command line's, which the engine does not define.
    /// </summary>
    public static void WriteReport(Utf8JsonWriter json, ProbeReport report, Func<Cause?, int> exitCode, IReadOnlyList<ExpectationResult>? expectations = null)
    {
        json.WriteStartObject();
        WriteHeader(json, Schema);

        json.WriteStartObject("target");
        json.WriteString("input", report.Target);
        WriteNullable(json, "remote", report.RemoteAddress);
        WriteNullable(json, "local", report.LocalAddress);
        json.WriteEndObject();

        if (report.Proxy is { } proxy)
        {
            WriteProxy(json, proxy);
        }
        else
        {
            json.WriteNull("proxy");
        }

        json.WriteString("startedAt", report.StartedAt.ToString("O", CultureInfo.InvariantCulture));
        json.WriteNumber("elapsedMs", Ms(report.Elapsed));

        ProbeOptions options = report.Options;
        json.WriteStartObject("options");
        json.WriteStartArray("requestedProtocols");
        foreach (string name in NegotiationNames.ShortNames(options.Negotiation.RequestedProtocols))
        {
            json.WriteStringValue(name);
        }

        json.WriteEndArray();
        json.WriteBoolean("negotiationRequest", options.Negotiation.SendNegotiationRequest);
        WriteNullable(json, "cookie", options.Negotiation.Cookie);
        WriteNullable(json, "routingToken", options.Negotiation.RoutingToken);
        WriteNullable(json, "correlationId", options.Negotiation.CorrelationId?.ToString());
        json.WriteNumber("timeoutMs", Ms(options.ReadTimeout));
        json.WriteNumber("connectTimeoutMs", Ms(options.ConnectTimeout));
        json.WriteString("until", report.Goal.Name());
        json.WriteEndObject();

        json.WriteStartObject("outcome");
        json.WriteBoolean("success", report.Success);
        WriteNullable(json, "reached", report.Reached?.Name());
        json.WriteNumber("exitCode", exitCode(report.Diagnosis?.Cause));
        json.WriteString("verdict", report.Verdict);
        json.WriteEndObject();

        if (report.Negotiation is { } negotiation)
        {
            json.WriteStartObject("negotiation");
            json.WriteStartArray("requested");
            foreach (string name in NegotiationNames.ShortNames(negotiation.Requested))
            {
                json.WriteStringValue(name);
            }

            json.WriteEndArray();
            WriteNullable(json, "selected", negotiation.Selected is { } selected ? NegotiationNames.ShortName(selected) : null);
            json.WriteNumber("responseFlags", (byte)negotiation.ResponseFlags);
            json.WriteString("responseFlagNames", NegotiationNames.FlagNames(negotiation.ResponseFlags));
            WriteNullable(json, "failureCode", negotiation.FailureCode is { } code ? NegotiationNames.Name(code) : null);
            json.WriteBoolean("serverSentNegotiationData", negotiation.ServerSentNegotiationData);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("negotiation");
        }

        if (report.Tls is { } tls)
        {
            WriteTls(json, tls);
        }
        else
        {
            json.WriteNull("tls");
        }

        if (report.CredSsp is { } credssp)
        {
            json.WriteStartObject("credssp");
            json.WriteNumber("serverVersion", credssp.ServerVersion);
            json.WriteString("package", credssp.Package);
            WriteNullable(json, "supportedMech", credssp.SupportedMech);
            json.WriteBoolean("ntlmInSpnego", credssp.NtlmInSpnego);
            WriteNullable(json, "spnegoRefusedWith", credssp.SpnegoRefusedWith is { } refused ? $"0x{refused:x8}" : null);
            if (credssp.NonceBinding?.Enforced is { } enforced)
            {
                json.WriteBoolean("nonceBindingEnforced", enforced);
            }
            else
            {
                json.WriteNull("nonceBindingEnforced");
            }

            WriteNullable(json, "nonceBindingDetail", credssp.NonceBinding?.Detail);
            json.WriteStartObject("ntlm");
            foreach ((string key, string value) in credssp.Info)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("credssp");
        }

        if (report.Session is { } session)
        {
            WriteSession(json, session);
        }
        else
        {
            json.WriteNull("session");
        }

        json.WriteStartArray("steps");
        foreach (StepRecord step in report.Steps)
        {
            WriteStep(json, step);
        }

        json.WriteEndArray();

        if (report.Diagnosis is { } diagnosis)
        {
            WriteDiagnosis(json, diagnosis);
        }
        else
        {
            json.WriteNull("diagnosis");
        }

        json.WriteStartArray("expectations");
        foreach (ExpectationResult result in expectations ?? [])
        {
            json.WriteStartObject();
            json.WriteString("check", result.Expectation.Text);
            json.WriteBoolean("passed", result.Passed);
            WriteNullable(json, "actual", result.Actual);
            json.WriteString("message", result.Message);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        // Each hop that ended in a followed Server Redirection, as a whole report of its own.
        json.WritePropertyName("previousHops");
        json.WriteStartArray();
        foreach (ProbeReport hop in report.PreviousHops)
        {
            WriteReport(json, hop, exitCode);
        }

        json.WriteEndArray();

        // The run whose SPNEGO NEGOTIATE the server refused, before the probe went on with bare NTLM.
        if (report.SpnegoAttempt is { } spnegoAttempt)
        {
            json.WritePropertyName("spnegoAttempt");
            WriteReport(json, spnegoAttempt, exitCode);
        }
        else
        {
            json.WriteNull("spnegoAttempt");
        }

        json.WriteEndObject();
        json.Flush();
    }

    private static void WriteTls(Utf8JsonWriter json, TlsResult tls)
    {
        json.WriteStartObject("tls");
        json.WriteStartArray("offeredVersions");
        foreach (var version in tls.OfferedVersions)
        {
            json.WriteStringValue(TlsNames.ShortVersion(version));
        }

        json.WriteEndArray();
        json.WriteNumber("offeredCipherSuites", tls.OfferedCipherSuiteCount);
        WriteNullable(json, "sni", tls.ServerName);
        json.WriteBoolean("handshakeComplete", tls.HandshakeComplete);
        WriteNullable(json, "version", tls.Version is { } negotiated ? TlsNames.ShortVersion(negotiated) : null);
        WriteNullable(json, "cipherSuite", tls.CipherSuite is { } suite ? TlsNames.CipherSuite(suite) : null);
        WriteNullable(json, "namedGroup", tls.NamedGroup is { } group ? TlsNames.NamedGroupName(group) : null);
        if (tls.SecureRenegotiation is { } secure)
        {
            json.WriteBoolean("secureRenegotiation", secure);
        }
        else
        {
            json.WriteNull("secureRenegotiation");
        }

        json.WriteStartArray("weaknesses");
        foreach (string weakness in tls.Weaknesses)
        {
            json.WriteStringValue(weakness);
        }

        json.WriteEndArray();
        WriteAlerts(json, "alertsReceived", tls.AlertsReceived);
        WriteAlerts(json, "alertsSent", tls.AlertsRaised);
        if (tls.Certificate is { } certificate)
        {
            WriteCertificate(json, certificate);
        }
        else
        {
            json.WriteNull("certificate");
        }

        json.WriteEndObject();
    }

    private static void WriteAlerts(Utf8JsonWriter json, string name, IReadOnlyList<TlsAlert> alerts)
    {
        json.WriteStartArray(name);
        foreach (TlsAlert alert in alerts)
        {
            json.WriteStartObject();
            json.WriteString("level", alert.IsFatal ? "fatal" : "warning");
            json.WriteString("description", TlsNames.AlertName(alert.Description));
            json.WriteNumber("code", alert.Description);
            WriteNullable(json, "message", alert.Message);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteCertificate(Utf8JsonWriter json, CertificateReport certificate)
    {
        json.WriteStartObject("certificate");
        json.WriteString("subject", certificate.Subject);
        json.WriteString("issuer", certificate.Issuer);
        json.WriteString("serialNumber", certificate.SerialNumber);
        json.WriteString("notBefore", certificate.NotBefore.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("notAfter", certificate.NotAfter.ToString("O", CultureInfo.InvariantCulture));
        json.WriteNumber("daysLeft", certificate.DaysLeft);
        json.WriteBoolean("selfSigned", certificate.SelfSigned);
        json.WriteString("keyType", certificate.KeyType);
        json.WriteNumber("keyBits", certificate.KeyBits);
        json.WriteString("signatureAlgorithm", certificate.SignatureAlgorithm);
        json.WriteStartArray("subjectAlternativeNames");
        foreach (string san in certificate.SubjectAlternativeNames)
        {
            json.WriteStringValue(san);
        }

        json.WriteEndArray();
        json.WriteStartArray("keyUsages");
        foreach (string usage in certificate.KeyUsages)
        {
            json.WriteStringValue(usage);
        }

        json.WriteEndArray();
        json.WriteStartArray("extendedKeyUsages");
        foreach (string eku in certificate.ExtendedKeyUsages)
        {
            json.WriteStringValue(eku);
        }

        json.WriteEndArray();
        json.WriteString("sha1", certificate.Sha1Fingerprint);
        json.WriteString("sha256", certificate.Sha256Fingerprint);
        json.WriteNumber("chainLength", certificate.ChainLength);
        json.WriteStartArray("findings");
        foreach (CertificateFinding finding in certificate.Findings)
        {
            json.WriteStartObject();
            json.WriteString("code", finding.Code);
            json.WriteString("severity", finding.Severity.ToString().ToLowerInvariant());
            json.WriteString("text", finding.Text);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteStep(Utf8JsonWriter json, StepRecord step)
    {
        json.WriteStartObject();
        json.WriteNumber("index", step.Index);
        json.WriteString("name", step.Name);
        json.WriteString("phase", step.Phase.Name());
        WriteNullable(json, "pdu", step.Pdu);
        json.WriteNumber("startMs", Ms(step.Start));
        if (step.Duration is { } duration)
        {
            json.WriteNumber("durationMs", Ms(duration));
        }
        else
        {
            json.WriteNull("durationMs");
        }

        json.WriteString("outcome", OutcomeName(step.Outcome));
        WriteNullable(json, "summary", step.Summary);
        json.WriteStartObject("sent");
        json.WriteNumber("length", step.Sent.Length);
        json.WriteString("hex", Convert.ToHexStringLower(step.Sent));
        json.WriteEndObject();
        json.WriteStartObject("received");
        json.WriteNumber("length", step.Received.Length);
        json.WriteString("hex", Convert.ToHexStringLower(step.Received));
        json.WriteEndObject();
        WriteFields(json, "fields", step.Fields);
        json.WriteEndObject();
    }

    /// <summary>Writes <c>"diagnosis"</c>: the object of a diagnosis, or null (a survey that could ask has none).</summary>
    internal static void WriteDiagnosisOrNull(Utf8JsonWriter json, Diagnosis? diagnosis)
    {
        if (diagnosis is null)
        {
            json.WriteNull("diagnosis");
        }
        else
        {
            WriteDiagnosis(json, diagnosis);
        }
    }

    private static void WriteDiagnosis(Utf8JsonWriter json, Diagnosis diagnosis)
    {
        json.WriteStartObject("diagnosis");
        json.WriteString("phase", diagnosis.Phase.Name());
        json.WriteString("cause", diagnosis.Cause.Name);
        json.WriteString("summary", diagnosis.Summary);
        json.WriteString("explanation", diagnosis.Explanation);
        json.WriteString("remedy", diagnosis.Remedy);
        Evidence evidence = diagnosis.Evidence;
        json.WriteStartObject("evidence");
        WriteNullable(json, "step", evidence.Step);
        WriteNullable(json, "lastSentHex", evidence.LastSentHex);
        WriteNullable(json, "receivedHex", evidence.ReceivedHex);
        if (evidence.ExpectedLength is { } expected)
        {
            json.WriteNumber("expectedLength", expected);
        }
        else
        {
            json.WriteNull("expectedLength");
        }

        WriteNullable(json, "transportEnd", evidence.TransportEnd);
        WriteNullable(json, "socketError", evidence.SocketError);
        WriteNullable(json, "decodeError", evidence.DecodeError);
        WriteFields(json, "fields", evidence.Fields ?? []);
        json.WriteEndObject();
        if (diagnosis.Mstsc is { } mstsc)
        {
            json.WriteStartObject("mstsc");
            json.WriteString("disconnectReason", $"0x{mstsc.DisconnectReason:x}");
            json.WriteString("disconnectReasonName", mstsc.DisconnectReasonName);
            WriteNullable(json, "extendedReason", mstsc.ExtendedReason is { } ext ? $"0x{ext:x}" : null);
            WriteNullable(json, "extendedReasonName", mstsc.ExtendedReasonName);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("mstsc");
        }

        WriteNullable(json, "mstscNote", diagnosis.Mstsc is null ? diagnosis.MstscNote : null);
        json.WriteEndObject();
    }

    private static void WriteFields(Utf8JsonWriter json, string name, IReadOnlyList<StepField> fields)
    {
        json.WriteStartObject(name);
        foreach (StepField field in fields)
        {
            json.WriteString(field.Name, field.Value);
        }

        json.WriteEndObject();
    }

    public static string OutcomeName(StepOutcome outcome) => outcome switch
    {
        StepOutcome.Ok => "ok",
        StepOutcome.Failed => "failed",
        StepOutcome.Interrupted => "interrupted",
        _ => "in-flight",
    };

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
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

    private static double Ms(TimeSpan span) => Math.Round(span.TotalMilliseconds, 3);

    private static void WriteSession(Utf8JsonWriter json, SessionResult session)
    {
        json.WriteStartObject("session");
        WriteNullable(json, "serverVersion", session.ServerVersion);
        json.WriteStartObject("channels");
        if (session.UserChannelId is { } user)
        {
            json.WriteNumber("user", user);
        }
        else
        {
            json.WriteNull("user");
        }

        json.WriteNumber("io", session.IoChannelId);
        if (session.MessageChannelId is { } message)
        {
            json.WriteNumber("message", message);
        }
        else
        {
            json.WriteNull("message");
        }

        json.WriteStartObject("static");
        foreach ((string name, ushort id) in session.Channels)
        {
            json.WriteNumber(name, id);
        }

        json.WriteEndObject();
        json.WriteStartArray("joined");
        foreach (ushort id in session.Joined)
        {
            json.WriteNumberValue(id);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("encryption");
        WriteNullable(json, "method", session.EncryptionMethod);
        WriteNullable(json, "level", session.EncryptionLevel);
        json.WriteBoolean("weak", session.WeakEncryption);
        json.WriteEndObject();
        WriteNullable(json, "licensing", session.Licensing);
        if (session.ShareId is { } shareId)
        {
            json.WriteNumber("shareId", shareId);
        }
        else
        {
            json.WriteNull("shareId");
        }

        if (session.ServerCapabilitySets is { } sets)
        {
            json.WriteNumber("serverCapabilitySets", sets);
        }
        else
        {
            json.WriteNull("serverCapabilitySets");
        }

        json.WriteStartArray("finalization");
        foreach (string pdu in session.Finalization)
        {
            json.WriteStringValue(pdu);
        }

        json.WriteEndArray();
        if (session.ErrorInfo is { } error)
        {
            json.WriteStartObject("errorInfo");
            json.WriteNumber("code", error.Code);
            json.WriteString("name", error.Name);
            json.WriteString("meaning", error.Meaning);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("errorInfo");
        }

        if (session.Redirection is { } redirection)
        {
            json.WriteStartObject("redirection");
            foreach ((string name, string value) in redirection)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("redirection");
        }

        json.WriteEndObject();
    }
}
