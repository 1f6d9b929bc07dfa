using System.Net;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>How a request reaches a KDC: every address of every KDC is tried in order until one takes it.</summary>
public sealed class KdcChannelTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Over TCP the refusal comes with the connection (over UDP it comes with the reply, and the next KDC is asked then).</summary>
    [Fact]
    public async Task A_kdc_name_whose_first_address_refuses_is_reached_at_the_next()
    {
        const KdcTransport transport = KdcTransport.Tcp;
        await using var host = new TestKdcHost(new TestKdc());
        IPEndPoint kdc = host.Start();
        // 127.0.0.2 is loopback too, and nothing listens there: the first address refuses (RST, or ICMP port unreachable).
        await using var channel = new KdcChannel(TimeSpan.FromSeconds(2))
        {
            Resolve = (name, _) => Task.FromResult(name == "kdc.rdphs.test" ? new[] { IPAddress.Parse("127.0.0.2"), IPAddress.Loopback } : []),
            Target = new KdcTarget("RDPHS.TEST", transport),
        };
        channel.Located(new KdcLocation("RDPHS.TEST", [new KdcEndpoint("kdc.rdphs.test", kdc.Port)], "--kdc"));

        Assert.Null(await channel.SendAsync([0x30, 0x00], Cancel));
        Assert.Equal($"tcp/127.0.0.1:{kdc.Port}", channel.Peer);
    }

    [Fact]
    public async Task When_no_address_takes_the_request_the_last_refusal_is_the_answer()
    {
        await using var channel = new KdcChannel(TimeSpan.FromSeconds(2))
        {
            Resolve = (_, _) => Task.FromResult(new[] { IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3") }),
            Target = new KdcTarget("RDPHS.TEST", KdcTransport.Tcp),
        };
        channel.Located(new KdcLocation("RDPHS.TEST", [new KdcEndpoint("kdc.rdphs.test", 1)], "--kdc"));

        Transport.TransportEnd? end = await channel.SendAsync([0x30, 0x00], Cancel);

        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, end?.SocketError);
        Assert.Equal("tcp/127.0.0.3:1", channel.Peer);
    }
}
