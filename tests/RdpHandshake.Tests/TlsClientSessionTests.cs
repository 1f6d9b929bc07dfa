using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using RdpHandshake.Cli;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.TestServer;
using RdpHandshake.Tls;

namespace RdpHandshake.Tests;

/// <summary>
/// The sans-IO TLS client against BouncyCastle's server in memory, bytes passed by hand: whole flights and
/// one byte at a time must give the same handshake.
/// </summary>
public sealed class TlsClientSessionTests
{
    private static (TlsObservations Seen, TlsServerProtocol Server, byte[] AppData) Handshake(int chunk, TlsVersion version)
    {
        var client = new TlsClientSession(new TlsOffer { Versions = [version] });
        var server = new TlsServerProtocol();
        server.Accept(new TestTlsServer(new BcTlsCrypto(new SecureRandom()), TestCertificates.For(CertificateProfile.Default), [version], null));

        byte[] toServer = client.Start();
        for (int round = 0; round < 20 && client.IsHandshaking; round++)
        {
            Feed(toServer, chunk, server.OfferInput);
            byte[] toClient = Drain(server);
            var reply = new List<byte>();
            Feed(toClient, chunk, piece =>
            {
                (byte[] output, TlsFailure? failure) = client.Receive(piece);
                Assert.Null(failure);
                reply.AddRange(output);
            });
            toServer = [.. reply];
        }

        Feed(toServer, chunk, server.OfferInput);
        byte[] encrypted = client.Encrypt("hello"u8);
        Feed(encrypted, chunk, server.OfferInput);
        byte[] appData = new byte[server.GetAvailableInputBytes()];
        server.ReadInput(appData, 0, appData.Length);
        return (client.Seen, server, appData);
    }

    private static void Feed(byte[] bytes, int chunk, Action<byte[]> sink)
    {
        for (int offset = 0; offset < bytes.Length; offset += chunk)
        {
            sink(bytes[offset..Math.Min(bytes.Length, offset + chunk)]);
        }
    }

    private static byte[] Drain(TlsProtocol protocol)
    {
        byte[] bytes = new byte[protocol.GetAvailableOutputBytes()];
        protocol.ReadOutput(bytes, 0, bytes.Length);
        return bytes;
    }

    [Theory]
    [InlineData(int.MaxValue, "1.3")]
    [InlineData(1, "1.3")]
    [InlineData(int.MaxValue, "1.2")]
    [InlineData(1, "1.2")]
    public void Whole_flights_and_single_bytes_complete_the_same_handshake(int chunk, string versionText)
    {
        Assert.True(TlsNames.TryParseVersion(versionText, out TlsVersion version));
        (TlsObservations seen, TlsServerProtocol server, byte[] appData) = Handshake(chunk, version);
        Assert.True(seen.HandshakeComplete);
        Assert.Equal(version, seen.ServerVersion);
        Assert.False(server.IsHandshaking);
        Assert.Single(seen.CertificateChain);
        Assert.Equal(TestCertificates.For(CertificateProfile.Default).Der, seen.CertificateChain[0]);
        Assert.Equal("hello"u8.ToArray(), appData);
    }

    [Fact]
    public void A_server_alert_is_reported_as_received_with_its_name()
    {
        var client = new TlsClientSession(new TlsOffer());
        client.Start();
        (_, TlsFailure? failure) = client.Receive([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);
        Assert.Equal(TlsFailureKind.AlertReceived, failure!.Kind);
        Assert.Equal("protocol_version(70)", failure.Alert!.DisplayName);
    }

    [Fact]
    public void A_malformed_server_hello_makes_our_side_raise_an_alert()
    {
        var client = new TlsClientSession(new TlsOffer());
        client.Start();
        // A handshake record holding a ServerHello whose body is cut short.
        (byte[] output, TlsFailure? failure) = client.Receive([0x16, 0x03, 0x03, 0x00, 0x06, 0x02, 0x00, 0x00, 0x02, 0x03, 0x03]);
        Assert.Equal(TlsFailureKind.AlertRaised, failure!.Kind);
        Assert.NotEmpty(output); // the alert we send back
        Assert.Single(client.Seen.AlertsRaised);
    }
}

public sealed class CertificateNameTests
{
    [Theory]
    [InlineData("rdp.example.com", null, new[] { "DNS:rdp.example.com" }, true)]
    [InlineData("RDP.Example.com", null, new[] { "DNS:rdp.example.com" }, true)]
    [InlineData("rdp.example.com", null, new[] { "DNS:*.example.com" }, true)]
    [InlineData("a.b.example.com", null, new[] { "DNS:*.example.com" }, false)]
    [InlineData("rdp.example.com", "rdp.example.com", new[] { "DNS:other.example.com" }, false)]
    [InlineData("rdp.example.com", "rdp.example.com", new string[0], true)]
    [InlineData("127.0.0.1", null, new[] { "IP:127.0.0.1" }, true)]
    [InlineData("127.0.0.1", null, new[] { "DNS:localhost" }, false)]
    [InlineData("10.0.0.5", "10.0.0.5", new string[0], true)]
    public void Host_names_match_as_rfc_6125_says(string host, string? commonName, string[] sans, bool matches) =>
        Assert.Equal(matches, CertificateAnalysis.MatchesHost(host, commonName, sans));
}

public sealed class KeyLogTests
{
    [Theory]
    [InlineData("1.3", new[] { "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0" }, 32)]
    [InlineData("1.2", new[] { "CLIENT_RANDOM" }, 48)]
    public async Task The_key_log_has_the_nss_labels_with_the_client_random_of_the_client_hello(string versionText, string[] labels, int secretLength)
    {
        Assert.True(TlsNames.TryParseVersion(versionText, out TlsVersion version));
        var lines = new List<string>();
        ProbeOptions options = EngineHarness.FastOptions() with { KeyLog = lines.Add, Tls = new TlsOffer { Versions = [version] } };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { TlsVersions = [version] }, options, TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);

        // ClientHello: record header (5), handshake header (4), legacy_version (2), then the 32-byte random.
        byte[] clientHello = report.Steps.Single(s => s.Name == "tls.client-hello").Sent;
        string clientRandom = Convert.ToHexStringLower(clientHello.AsSpan(11, 32));
        Assert.Equal(labels, lines.Select(l => l.Split(' ')[0]));
        Assert.All(lines, line =>
        {
            string[] parts = line.Split(' ');
            Assert.Equal(3, parts.Length);
            Assert.Equal(clientRandom, parts[1]);
            Assert.Equal(secretLength * 2, parts[2].Length);
        });

        // The secrets go to the key log only, never into the report.
        string json = RdpHandshake.Reporting.ProbeReportJson.ToJson(report, ExitCodes.For);
        Assert.All(lines, line => Assert.DoesNotContain(line.Split(' ')[2], json, StringComparison.Ordinal));
    }
}
