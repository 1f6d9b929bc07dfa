using System.Buffers.Binary;
using System.Net;
using RdpHandshake.Clients;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// The freerdp2-openssl3 profile against what the real xfreerdp 2.11 (Debian 12, OpenSSL 3) sends: its X.224
/// Connection Request and its TLS ClientHello, captured by the test server; and rdphs's own ClientHello under
/// <c>--client freerdp2-openssl3</c> against the same capture.
/// </summary>
public sealed class ClientProfileCaptureTests(XvfbFixture xvfb) : IClassFixture<XvfbFixture>
{
    private const int RenegotiationScsv = 0x00FF;

    [Fact]
    public async Task The_freerdp2_profile_is_what_xfreerdp_2_11_sends()
    {
        Peers.Require("xfreerdp", "Xvfb");
        ClientProfile profile = ClientProfiles.Find("freerdp2-openssl3")!;
        (X224ConnectionRequest request, ClientHello hello) = await CaptureAsync(async port =>
        {
            string home = Directory.CreateTempSubdirectory("rdphs-xfreerdp-").FullName;
            try
            {
                await Peers.RunAsync(
                    "xfreerdp",
                    [$"/v:127.0.0.1:{port}", "/u:alice", "/p:Test-Password-1", "+auth-only", "/cert:ignore"],
                    TimeSpan.FromSeconds(30),
                    new Dictionary<string, string> { ["DISPLAY"] = xvfb.Display!, ["HOME"] = home, ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config") });
            }
            finally
            {
                Directory.Delete(home, recursive: true);
            }
        });

        Assert.Equal(profile.RequestedProtocols, request.NegotiationRequest!.RequestedProtocols);
        Assert.Equal(profile.TlsVersions.Select(v => (int)v), hello.SupportedVersions);
        Assert.Equal(profile.CipherSuites, hello.CipherSuites.Where(s => s != RenegotiationScsv));
        Assert.Equal(profile.Groups, hello.Groups);
        Assert.Equal(profile.SignatureAlgorithms, hello.SignatureAlgorithms);
    }

    [Fact]
    public async Task Probing_as_freerdp2_sends_the_profile()
    {
        ClientProfile profile = ClientProfiles.Find("freerdp2-openssl3")!;
        (X224ConnectionRequest request, ClientHello hello) = await CaptureAsync(port =>
            Peers.RdphsAsync(TimeSpan.FromSeconds(60), "probe", $"127.0.0.1:{port}", "--client", "freerdp2-openssl3", "--until", "tls", "-q"));

        Assert.Equal(profile.RequestedProtocols, request.NegotiationRequest!.RequestedProtocols);
        Assert.Equal(profile.TlsVersions.Select(v => (int)v), hello.SupportedVersions);
        Assert.Equal(profile.CipherSuites, hello.CipherSuites.Where(s => s != RenegotiationScsv));
        Assert.Equal(profile.Groups, hello.Groups);
        Assert.Equal(profile.SignatureAlgorithms, hello.SignatureAlgorithms);
    }

    private static async Task<(X224ConnectionRequest Request, ClientHello Hello)> CaptureAsync(Func<int, Task> connect)
    {
        await using var server = new RdpTestServer(new TestServerOptions { Accepted = SecurityProtocols.Ssl | SecurityProtocols.Hybrid });
        IPEndPoint endpoint = server.Start();
        await connect(endpoint.Port);
        IReadOnlyList<ServerConnectionRecord> records = await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10));
        ServerConnectionRecord record = records[0];
        return (Assert.IsType<X224ConnectionRequest>(record.Request), ClientHello.Parse(record.BytesAfterNegotiation));
    }

    /// <summary>The parts of a TLS ClientHello (RFC 8446 4.1.2) a profile describes.</summary>
    private sealed record ClientHello(IReadOnlyList<int> CipherSuites, IReadOnlyList<int> Groups, IReadOnlyList<int> SignatureAlgorithms, IReadOnlyList<int> SupportedVersions)
    {
        public static ClientHello Parse(byte[] record)
        {
            Assert.True(record.Length > 9 && record[0] == 0x16 && record[5] == 0x01, $"not a ClientHello: {Convert.ToHexString(record.AsSpan(0, Math.Min(16, record.Length)))}");
            ReadOnlySpan<byte> hello = record.AsSpan(9);
            int at = 2 + 32;
            at += 1 + hello[at];
            List<int> suites = Pairs(hello.Slice(at + 2, BinaryPrimitives.ReadUInt16BigEndian(hello[at..])));
            at += 2 + suites.Count * 2;
            at += 1 + hello[at];
            int end = at + 2 + BinaryPrimitives.ReadUInt16BigEndian(hello[at..]);
            at += 2;
            List<int> groups = [], signatures = [], versions = [];
            while (at + 4 <= end)
            {
                int type = BinaryPrimitives.ReadUInt16BigEndian(hello[at..]);
                ReadOnlySpan<byte> data = hello.Slice(at + 4, BinaryPrimitives.ReadUInt16BigEndian(hello[(at + 2)..]));
                at += 4 + data.Length;
                switch (type)
                {
                    case 10:
                        groups = Pairs(data.Slice(2, BinaryPrimitives.ReadUInt16BigEndian(data)));
                        break;
                    case 13:
                        signatures = Pairs(data.Slice(2, BinaryPrimitives.ReadUInt16BigEndian(data)));
                        break;
                    case 43:
                        versions = Pairs(data.Slice(1, data[0]));
                        break;
                }
            }

            return new ClientHello(suites, groups, signatures, versions);
        }

        private static List<int> Pairs(ReadOnlySpan<byte> bytes)
        {
            var list = new List<int>();
            for (int i = 0; i + 1 < bytes.Length; i += 2)
            {
                list.Add(BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]));
            }

            return list;
        }
    }
}
