using System.Text;
using RdpHandshake.Analysis;
using RdpHandshake.Capture;
using RdpHandshake.Crypto;
using RdpHandshake.Crypto.StandardSecurity;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests.Analysis;

/// <summary>
/// Standard RDP Security in a capture: <c>rdphs probe --keylog</c> writes the RDP_STANDARD_SECURITY line, and the
/// analysis with it decrypts and MAC-checks both directions through licensing, capabilities and finalization at every
/// method and level; the randoms, the keys and the password never appear in what it reports.
/// </summary>
public sealed class StandardSecurityAnalysisTests
{
    public static TheoryData<EncryptionMethod, EncryptionLevel> Modes => new()
    {
        { EncryptionMethod.Bit40, EncryptionLevel.ClientCompatible },
        { EncryptionMethod.Bit56, EncryptionLevel.ClientCompatible },
        { EncryptionMethod.Bit128, EncryptionLevel.Low },
        { EncryptionMethod.Bit128, EncryptionLevel.ClientCompatible },
        { EncryptionMethod.Bit128, EncryptionLevel.High },
        { EncryptionMethod.Fips, EncryptionLevel.Fips },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task With_the_probes_key_line_the_analysis_follows_the_connection_to_finalization_and_prints_no_secret(EncryptionMethod method, EncryptionLevel level)
    {
        const string Password = "Standard-Pw-9";
        var server = new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true, AllowedEncryptionMethods = method, StandardSecurityLevel = level };
        var secrets = new List<string>();
        var options = new ProbeOptions
        {
            Until = ConnectionPhase.Finalization,
            KeyLog = line => { lock (secrets) { secrets.Add(line); } },
            Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp },
            Credentials = Credentials.Parse("alice", new Secret(Password)),
        };
        (ProbeReport probe, _) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);
        Assert.True(probe.Diagnosis is null, probe.Verdict);
        string line = Assert.Single(secrets);
        string[] parts = line.Split(' ');
        Assert.Equal([StandardSecurityProvider.KeyLogLabel, parts[1], parts[2]], parts);
        Assert.Equal(64, parts[1].Length);
        Assert.Equal(64, parts[2].Length);

        (ConnectionAnalysis analysis, string json) = Analyse(probe, [line]);
        string said = $"{method}/{level}: {analysis.Report.Verdict}";
        Assert.True(analysis.Status == AnalysisStatus.Finalized, said);
        Assert.Equal(ConnectionPhase.Finalization, analysis.Report.Reached);
        Assert.Contains(analysis.Report.Steps, s => s.Name == SecureSettingsExchange.ClientInfoStep && s.Fields.Any(f => f.Name == "userName" && f.Value == "alice"));
        Assert.Contains(analysis.Report.Steps, s => s.Name == CapabilitiesExchange.ConfirmActiveStep && s.Outcome == StepOutcome.Ok);
        Assert.Contains(analysis.Report.Steps, s => s.Name == SecurityCommencement.SecurityExchangeStep && s.Fields.Any(f => f.Name == "keys" && f.Value.Contains(StandardSecurityProvider.KeyLogLabel, StringComparison.Ordinal)));
        Assert.DoesNotContain(analysis.Findings, f => f.Code is "decrypt-failed" or "keylog-mismatch");

        // Neither random (the client's is the secret), nor the password in any encoding, nor a derived key.
        using StandardSecurityKeys keys = StandardSecurityKeys.Derive(Convert.FromHexString(parts[2]), Convert.FromHexString(parts[1]), method);
        string[] forbidden =
        [
            parts[2], Password, Convert.ToHexStringLower(Encoding.Unicode.GetBytes(Password)), Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Password)),
            Convert.ToHexStringLower(keys.Client.EncryptKey), Convert.ToHexStringLower(keys.Client.DecryptKey), Convert.ToHexStringLower(keys.Client.MacKey),
        ];
        string text = string.Join('\n', analysis.Report.Steps.SelectMany(s => s.Fields.Select(f => f.Value).Append(s.Summary ?? string.Empty)))
            + analysis.Report.Verdict + string.Join('\n', analysis.Findings.Select(f => f.Text));
        using var probeJson = new MemoryStream();
        Reporting.ProbeReportJson.Write(probe, probeJson, _ => 1);
        string probeText = Encoding.UTF8.GetString(probeJson.ToArray());
        foreach (string secret in forbidden)
        {
            Assert.DoesNotContain(secret, json, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, probeText, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_key_line_of_another_connection_is_found_out_and_visibility_ends_at_the_security_exchange()
    {
        var server = new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true };
        var secrets = new List<string>();
        var options = new ProbeOptions
        {
            Until = ConnectionPhase.Finalization,
            KeyLog = line => { lock (secrets) { secrets.Add(line); } },
            Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp },
        };
        (ProbeReport probe, _) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);
        string[] parts = Assert.Single(secrets).Split(' ');
        string wrong = $"{parts[0]} {parts[1]} {new string('5', 64)}";

        (ConnectionAnalysis analysis, _) = Analyse(probe, [wrong]);
        Assert.Equal(AnalysisStatus.NotVisible, analysis.Status);
        Assert.Contains(analysis.Findings, f => f.Code == "keylog-mismatch");
        Assert.StartsWith("visibility ends at the Security Exchange", analysis.VisibilityEnds, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_key_line_visibility_ends_at_the_security_exchange_and_says_which_line_is_missing()
    {
        var server = new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true };
        var options = new ProbeOptions { Until = ConnectionPhase.Finalization, Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp } };
        (ProbeReport probe, _) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);

        (ConnectionAnalysis analysis, _) = Analyse(probe, []);
        Assert.Equal(AnalysisStatus.NotVisible, analysis.Status);
        Assert.Contains(StandardSecurityProvider.KeyLogLabel, analysis.VisibilityEnds, StringComparison.Ordinal);
        Assert.Equal(SecurityCommencement.SecurityExchangeStep, analysis.Report.Steps[^1].Name);
    }

    [Theory]
    [InlineData(EncryptionMethod.Bit128)]
    [InlineData(EncryptionMethod.Bit40)]
    [InlineData(EncryptionMethod.Fips)]
    public void The_clients_direction_decrypts_across_the_key_update_every_4096_packets(EncryptionMethod method)
    {
        byte[] clientRandom = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        byte[] serverRandom = [.. Enumerable.Range(101, 32).Select(i => (byte)i)];
        using StandardSecurityKeys keys = StandardSecurityKeys.Derive(clientRandom, serverRandom, method);
        using RdpCipher client = keys.Client.CreateEncryptor();
        var observed = new ObservedStandardSecurity(new TlsKeyLog());
        observed.UseKeys(clientRandom, serverRandom, method);
        const int Packets = (2 * RdpCipher.KeyUpdateInterval) + 5;
        for (int i = 0; i < Packets; i++)
        {
            byte[] plain = Encoding.ASCII.GetBytes($"share data pdu number {i}");
            byte[] cipher = client.Encrypt(plain, salted: i % 2 == 0, out byte[] signature);
            SecurityHeaderFlags flags = SecurityHeaderFlags.Encrypt | (i % 2 == 0 ? SecurityHeaderFlags.SecureChecksum : 0);
            byte[] header = method == EncryptionMethod.Fips
                ? Pdu.Encode(new FipsSecurityHeader(flags, 0, (byte)(cipher.Length - plain.Length), new ByteString(signature)))
                : Pdu.Encode(new NonFipsSecurityHeader(flags, 0, new ByteString(signature)));
            byte[] frame = Pdu.Encode(new X224Data(new ByteString(Pdu.Encode(SendData.Request(1007, 1003, [.. header, .. cipher])))));

            byte[]? clear = observed.DecryptClientFrame(frame, out string? error);
            Assert.True(clear is not null, $"packet {i}: {error}");
            DecodeResult<X224Data> data = Pdu.Decode<X224Data>(clear);
            Assert.True(data.IsSuccess);
            DecodeResult<SendData> decoded = Pdu.Decode<SendData>(data.Value.UserData.Span);
            Assert.True(decoded.IsSuccess);
            SendData send = decoded.Value;
            Assert.Equal((ushort)1003, send.ChannelId);
            Assert.Equal(plain, send.UserData.Span.ToArray());
        }

        Assert.Equal(method == EncryptionMethod.Fips ? 0 : 2, client.KeyUpdates);
    }

    [Fact]
    public void A_client_pdu_whose_signature_does_not_verify_stops_the_decryption_with_a_reason()
    {
        byte[] clientRandom = new byte[32];
        byte[] serverRandom = new byte[32];
        serverRandom[0] = 1;
        using StandardSecurityKeys keys = StandardSecurityKeys.Derive(clientRandom, serverRandom, EncryptionMethod.Bit128);
        using RdpCipher client = keys.Client.CreateEncryptor();
        var observed = new ObservedStandardSecurity(new TlsKeyLog());
        observed.UseKeys(clientRandom, serverRandom, EncryptionMethod.Bit128);
        byte[] cipher = client.Encrypt("confirm active"u8, salted: false, out byte[] signature);
        signature[0] ^= 0xFF;
        byte[] header = Pdu.Encode(new NonFipsSecurityHeader(SecurityHeaderFlags.Encrypt, 0, new ByteString(signature)));
        byte[] frame = Pdu.Encode(new X224Data(new ByteString(Pdu.Encode(SendData.Request(1007, 1003, [.. header, .. cipher])))));

        Assert.Null(observed.DecryptClientFrame(frame, out string? error));
        Assert.Contains("MAC signature is wrong", error, StringComparison.Ordinal);
    }

    private static (ConnectionAnalysis Analysis, string Json) Analyse(ProbeReport probe, IEnumerable<string> keyLines)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rdphs-standard-{Guid.NewGuid():n}.pcapng");
        try
        {
            using (FileStream file = File.Create(path))
            {
                PcapngWriter.Write(probe.Wire!, file);
            }

            var keys = new TlsKeyLog();
            foreach (string line in keyLines)
            {
                Assert.True(keys.Add(line), line);
            }

            AnalysisReport report = CaptureAnalyzer.Analyze(path, new AnalysisOptions { Keys = keys });
            using var json = new MemoryStream();
            AnalysisReportJson.Write(report, json, _ => 1, 1);
            return (Assert.Single(report.Connections), Encoding.UTF8.GetString(json.ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
