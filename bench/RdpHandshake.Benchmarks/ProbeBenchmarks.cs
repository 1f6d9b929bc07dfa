using BenchmarkDotNet.Attributes;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;
using RdpHandshake.Transport;

namespace RdpHandshake.Benchmarks;

/// <summary>
/// The whole connection sequence to finalization against the test server in the same process, over an
/// in-memory pipe (no sockets): client and server work are both counted.
/// </summary>
[MemoryDiagnoser]
public class ProbeBenchmarks
{
    [Params("tls", "nla", "rdp-high")]
    public string Security { get; set; } = "tls";

    [GlobalSetup]
    public void Setup()
    {
        // The test server's certificates are generated once per process; keep that out of the measurement.
        TestCertificates.For(CertificateProfile.Default);
        if (Probe().GetAwaiter().GetResult() != ConnectionPhase.Finalization)
        {
            throw new InvalidOperationException($"the {Security} probe did not reach finalization");
        }
    }

    [Benchmark]
    public async Task<ConnectionPhase?> Probe()
    {
        TestServerOptions serverOptions = Security switch
        {
            "tls" => new TestServerOptions { Accepted = SecurityProtocols.Ssl },
            "nla" => new TestServerOptions(),
            _ => new TestServerOptions { Accepted = SecurityProtocols.Rdp, StandardSecurityLevel = EncryptionLevel.High },
        };
        ProbeOptions options = new() { Until = ConnectionPhase.Finalization };
        if (Security == "nla")
        {
            options = options with { Credentials = new Credentials("alice", string.Empty, new Secret("Test-Password-1")) };
        }
        else if (Security == "rdp-high")
        {
            options = options with { Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp, Cookie = "rdphs" } };
        }

        await using var server = new RdpTestServer(serverOptions);
        (var clientPipe, var serverPipe) = PipeTransport.CreatePair();
        Task serving = server.ServeAsync(serverPipe);
        ProbeReport report;
        await using (var transport = new PipeTransport(clientPipe, "in-memory test server"))
        {
            report = await new RdpProber().ProbeAsync(transport, options);
        }

        await serving;
        return report.Reached;
    }
}
