using System.Net;
using System.Net.Sockets;
using RdpHandshake.Crypto;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.TestServer;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>What a probe with Kerberos saw, and what the KDC host saw of it.</summary>
internal sealed record KerberosRun(ProbeReport Report, IReadOnlyList<KdcRequestRecord> KdcRequests, IReadOnlyList<TestServer.ServerConnectionRecord> Server);

/// <summary>
/// Probes the test server (NTLM, on loopback) as <c>localhost</c>, so that Kerberos is tried, with <c>--kdc</c> naming a
/// <see cref="TestKdcHost"/> serving the given KDCs: alice@RDPHS.TEST with the password both know.
/// </summary>
internal static class KerberosHarness
{
    public const string User = "alice@RDPHS.TEST";

    /// <summary>A krb5.conf that names no KDC for RDPHS.TEST and turns DNS lookups off, so that a run without <c>--kdc</c> finds none whatever the machine has.</summary>
    public static readonly string EmptyKrb5Conf = WriteEmptyKrb5Conf();

    public static ProbeOptions Options(AuthPackage auth, KdcTransport transport, int kdcPort, TimeSpan? readTimeout = null) => EngineHarness.FastOptions() with
    {
        Credentials = Credentials.Parse(User, new Secret(KdcConversation.Password)),
        Authentication = auth,
        Kerberos = kdcPort == 0
            ? new KerberosSettings { ConfigPath = EmptyKrb5Conf }
            : new KerberosSettings { Kdcs = [new KdcEndpoint("127.0.0.1", kdcPort, transport)], ConfigPath = EmptyKrb5Conf },
        Until = ConnectionPhase.CredSsp,
        ReadTimeout = readTimeout ?? EngineHarness.FastOptions().ReadTimeout,
    };

    /// <summary>Probes with a KDC host serving <paramref name="kdcs"/> (none: no <c>--kdc</c> at all).</summary>
    public static async Task<KerberosRun> ProbeAsync(AuthPackage auth, TestKdc[] kdcs, KdcTransport transport = KdcTransport.Tcp, TimeSpan? readTimeout = null,
        Func<ProbeOptions, ProbeOptions>? adjust = null, CancellationToken cancellationToken = default, TestServerOptions? serverOptions = null)
    {
        await using var server = new RdpTestServer((serverOptions ?? new TestServerOptions()) with { ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = server.Start();
        await using var host = kdcs.Length == 0 ? null : new TestKdcHost(kdcs);
        int kdcPort = host?.Start().Port ?? 0;
        ProbeOptions options = Options(auth, transport, kdcPort, readTimeout);
        options = adjust?.Invoke(options) ?? options;
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("localhost", endpoint.Port), options, cancellationToken);
        IReadOnlyList<TestServer.ServerConnectionRecord> records = await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10));
        return new KerberosRun(report, host?.Requests ?? [], records);
    }

    /// <summary>The test server with the keys of <paramref name="kdc"/>'s services in a keytab of its own: it accepts Kerberos with the KDC's tickets.</summary>
    public static TestServerOptions KerberosServer(TestKdc kdc, TestServerOptions? options = null)
    {
        string keytab = kdc.WriteKeytab(Path.Combine(Directory.CreateTempSubdirectory("rdphs-keytab-").FullName, "termsrv.keytab"));
        Assert.Null(RdpTestServer.CheckKerberosKeytab(keytab));
        return (options ?? new TestServerOptions()) with { KerberosKeytab = keytab };
    }

    /// <summary>A loopback port nothing listens on (TCP or UDP): a KDC there refuses.</summary>
    public static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static string WriteEmptyKrb5Conf()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("rdphs-krb5-").FullName, "krb5.conf");
        File.WriteAllText(path, "[libdefaults]\n  default_realm = ELSEWHERE.TEST\n  dns_lookup_kdc = false\n[realms]\n  ELSEWHERE.TEST = {\n    kdc = 192.0.2.1\n  }\n");
        return path;
    }
}
