using System.Net;
using RdpHandshake.Transport;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>Runs the engine against the test server, over loopback TCP or in memory.</summary>
internal static class EngineHarness
{
    // RSA key generation for the test server's certificates can take seconds on a loaded machine; do it once,
    // up front, so that it never counts against a probe's read timeout.
    static EngineHarness() => Parallel.ForEach(TestCertificates.AllProfiles, profile => TestCertificates.For(profile));

    public static ProbeOptions FastOptions(ProbeOptions? options = null) => (options ?? new ProbeOptions()) with
    {
        // Long enough for a TLS handshake on a loaded machine, short enough that stall faults end quickly.
        ReadTimeout = TimeSpan.FromSeconds(2),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// Probes the test server over loopback TCP and waits for the <paramref name="connections"/> the probe is
    /// expected to make (more than one when it connects again: a bare-NTLM retry, a nonce-binding check).
    /// </summary>
    public static async Task<(ProbeReport Report, IReadOnlyList<ServerConnectionRecord> Server)> OverLoopbackAsync(
        TestServerOptions serverOptions, ProbeOptions? options = null, CancellationToken cancellationToken = default, int connections = 1)
    {
        await using var server = new RdpTestServer(serverOptions with { ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = server.Start();
        ProbeReport report = await new RdpProber().ProbeAsync(
            new ProbeTarget(endpoint.Address.ToString(), endpoint.Port), FastOptions(options), cancellationToken);
        IReadOnlyList<ServerConnectionRecord> records = await server.WaitForConnectionsAsync(connections, TimeSpan.FromSeconds(10));
        return (report, records);
    }

    public static async Task<(ProbeReport Report, IReadOnlyList<ServerConnectionRecord> Server)> InMemoryAsync(
        TestServerOptions serverOptions, ProbeOptions? options = null, CancellationToken cancellationToken = default)
    {
        await using var server = new RdpTestServer(serverOptions with { ReadTimeout = TimeSpan.FromSeconds(5) });
        (var clientPipe, var serverPipe) = PipeTransport.CreatePair();
        Task serving = server.ServeAsync(serverPipe);
        ProbeReport report;
        await using (var transport = new PipeTransport(clientPipe, "in-memory test server"))
        {
            report = await new RdpProber().ProbeAsync(transport, FastOptions(options), cancellationToken);
        }

        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        return (report, server.Connections);
    }
}
