using System.Text.Json;
using RdpHandshake.Cli;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Reporting;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>The JSON report keeps the shape docs/report-format.md documents.</summary>
public sealed class ReportJsonTests
{
    [Fact]
    public async Task A_diagnosis_without_an_mstsc_code_says_why_and_one_with_a_code_says_nothing_more()
    {
        (ProbeReport refused, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions { ForcedFailure = RdpHandshake.Protocol.X224.NegotiationFailureCode.SslCertNotOnServer }, new ProbeOptions(), TestContext.Current.CancellationToken);
        using (JsonDocument json = JsonDocument.Parse(ProbeReportJson.ToJson(refused, ExitCodes.For)))
        {
            JsonElement diagnosis = json.RootElement.GetProperty("diagnosis");
            Assert.Equal(JsonValueKind.Null, diagnosis.GetProperty("mstsc").ValueKind);
            Assert.StartsWith("undocumented:", diagnosis.GetProperty("mstscNote").GetString(), StringComparison.Ordinal);
        }

        (ProbeReport closed, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions { Faults = [new Fault(FaultSteps.X224Confirm, FaultKind.Close)] }, new ProbeOptions(), TestContext.Current.CancellationToken);
        using (JsonDocument json = JsonDocument.Parse(ProbeReportJson.ToJson(closed, ExitCodes.For)))
        {
            JsonElement diagnosis = json.RootElement.GetProperty("diagnosis");
            Assert.Equal("0x904", diagnosis.GetProperty("mstsc").GetProperty("disconnectReason").GetString());
            Assert.Equal(JsonValueKind.Null, diagnosis.GetProperty("mstscNote").ValueKind);
        }
    }

    [Fact]
    public async Task A_successful_report_has_the_documented_shape()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions(), new ProbeOptions { Until = ConnectionPhase.Tls }, TestContext.Current.CancellationToken);
        using JsonDocument json = JsonDocument.Parse(ProbeReportJson.ToJson(report, ExitCodes.For));
        JsonElement root = json.RootElement;
        Assert.Equal("rdphs.probe/1", root.GetProperty("schema").GetString());
        Assert.Equal("rdphs", root.GetProperty("tool").GetProperty("name").GetString());
        Assert.True(root.GetProperty("outcome").GetProperty("success").GetBoolean());
        Assert.Equal("tls", root.GetProperty("outcome").GetProperty("reached").GetString());
        Assert.Equal(0, root.GetProperty("outcome").GetProperty("exitCode").GetInt32());
        Assert.Equal("hybrid_ex", root.GetProperty("negotiation").GetProperty("selected").GetString());
        Assert.Equal(["ssl", "hybrid", "hybrid_ex"], root.GetProperty("negotiation").GetProperty("requested").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("diagnosis").ValueKind);

        JsonElement tls = root.GetProperty("tls");
        Assert.True(tls.GetProperty("handshakeComplete").GetBoolean());
        Assert.Equal("1.3", tls.GetProperty("version").GetString());
        Assert.Equal(["1.3", "1.2", "1.1", "1.0"], tls.GetProperty("offeredVersions").EnumerateArray().Select(e => e.GetString()));
        JsonElement certificate = tls.GetProperty("certificate");
        Assert.Equal(2048, certificate.GetProperty("keyBits").GetInt32());
        Assert.True(certificate.GetProperty("selfSigned").GetBoolean());
        Assert.Equal(64, certificate.GetProperty("sha256").GetString()!.Length);
        Assert.Contains("self-signed", certificate.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("code").GetString()));

        JsonElement[] steps = root.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(
            ["tcp.connect", "x224.request", "x224.confirm", "tls.client-hello", "tls.server-hello", "tls.certificate", "tls.finished"],
            steps.Select(s => s.GetProperty("name").GetString()));
        JsonElement confirm = steps[2];
        Assert.Equal("x224", confirm.GetProperty("phase").GetString());
        Assert.Equal("ok", confirm.GetProperty("outcome").GetString());
        Assert.Equal(19, confirm.GetProperty("received").GetProperty("length").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(report.Steps[2].Received), confirm.GetProperty("received").GetProperty("hex").GetString());
        Assert.Equal("PROTOCOL_HYBRID_EX (0x00000008)", confirm.GetProperty("fields").GetProperty("selectedProtocol").GetString());
        Assert.True(confirm.GetProperty("durationMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task A_failed_report_carries_the_diagnosis_with_evidence_and_mstsc_code()
    {
        Fault.TryParse("x224.confirm:close", out Fault? fault, out _);
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { Faults = [fault!] }, cancellationToken: TestContext.Current.CancellationToken);
        using JsonDocument json = JsonDocument.Parse(ProbeReportJson.ToJson(report, ExitCodes.For));
        JsonElement diagnosis = json.RootElement.GetProperty("diagnosis");
        Assert.Equal("x224", diagnosis.GetProperty("phase").GetString());
        Assert.Equal("closed-by-peer", diagnosis.GetProperty("cause").GetString());
        Assert.Equal("x224.confirm", diagnosis.GetProperty("evidence").GetProperty("step").GetString());
        Assert.Equal("closed", diagnosis.GetProperty("evidence").GetProperty("transportEnd").GetString());
        Assert.Equal(Convert.ToHexStringLower(report.Steps[1].Sent), diagnosis.GetProperty("evidence").GetProperty("lastSentHex").GetString());
        Assert.Equal("0x904", diagnosis.GetProperty("mstsc").GetProperty("disconnectReason").GetString());
        Assert.False(json.RootElement.GetProperty("outcome").GetProperty("success").GetBoolean());
        Assert.Equal(11, json.RootElement.GetProperty("outcome").GetProperty("exitCode").GetInt32());
        Assert.Equal("failed", json.RootElement.GetProperty("steps")[2].GetProperty("outcome").GetString());
    }
}
