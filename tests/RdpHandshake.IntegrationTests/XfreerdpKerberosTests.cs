using System.Net;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// xfreerdp against the test server with a keytab. Debian 12's FreeRDP 2.11 is built with WITH_GSSAPI=OFF: its NLA
/// loads the Negotiate package, which then has NTLM only, so it is no Kerberos client even with a ticket in its cache
/// (the Kerberos acceptor is checked against MIT's GSS-API initiator instead, <see cref="KerberosTestServerTests"/>).
/// It is still a real client for the Kerberos-only server's refusal of NTLM.
/// </summary>
public sealed class XfreerdpKerberosTests(XvfbFixture xvfb, KdcFixture kdc) : IClassFixture<XvfbFixture>, IClassFixture<KdcFixture>
{
    private async Task<(ServerConnectionRecord Record, ProcessResult Client)> ConnectAsync(TestServerOptions options, string cache)
    {
        Peers.Require("xfreerdp", "Xvfb");
        kdc.Require();
        await using var server = new RdpTestServer(options);
        IPEndPoint endpoint = server.Start();
        string home = Directory.CreateTempSubdirectory("rdphs-xfreerdp-").FullName;
        ProcessResult client = await Peers.RunAsync(
            "xfreerdp",
            [$"/v:localhost:{endpoint.Port}", "/sec:nla", $"/u:alice@{kdc.Realm}", $"/p:{kdc.Password("alice")}", "+auth-only", "/cert:ignore"],
            TimeSpan.FromSeconds(30),
            new Dictionary<string, string>(kdc.ToolEnvironment(cache))
            {
                ["DISPLAY"] = xvfb.Display!,
                ["HOME"] = home,
                ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
            });
        Directory.Delete(home, recursive: true);
        IReadOnlyList<ServerConnectionRecord> records = await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10));
        Assert.True(records.Count >= 1, $"xfreerdp never completed a connection to the test server\n{client}");
        return (records[0], client);
    }

    private async Task<string> TicketCacheAsync()
    {
        kdc.Require();
        string cache = Path.Combine(kdc.RealmDirectory, $"cc-{Guid.NewGuid():N}");
        await kdc.GetServiceTicketAsync("alice", cache);
        return cache;
    }

    [Fact]
    public async Task Xfreerdp_without_gssapi_sends_bare_ntlm_even_with_a_ticket_for_the_server()
    {
        string cache = await TicketCacheAsync();
        (ServerConnectionRecord record, ProcessResult client) = await ConnectAsync(
            new TestServerOptions { Accepted = SecurityProtocols.Hybrid, KerberosKeytab = kdc.KeytabPath, ReadTimeout = TimeSpan.FromSeconds(5) }, cache);

        Assert.Equal("NTLM", record.CredSspPackage);
        Assert.True(record.NtlmChallengeSent, $"{record.Ending}\n{client}");
        Assert.False(record.KerberosApRepSent);
        // Its first TSRequest carries a bare NTLM NEGOTIATE, not a SPNEGO NegTokenInit offering Kerberos.
        TsRequest first = Pdu.Decode<TsRequest>(record.BytesAfterTls).Value!;
        Assert.True(first.NegoTokens[0].Span.StartsWith("NTLMSSP\0"u8), Convert.ToHexString(first.NegoTokens[0].Span));
    }

    [Fact]
    public async Task Xfreerdp_names_status_ntlm_blocked_from_a_kerberos_only_server()
    {
        string cache = await TicketCacheAsync();
        (ServerConnectionRecord record, ProcessResult client) = await ConnectAsync(
            new TestServerOptions { Accepted = SecurityProtocols.Hybrid, KerberosKeytab = kdc.KeytabPath, KerberosOnly = true, ReadTimeout = TimeSpan.FromSeconds(5) }, cache);

        Assert.Equal(CredSspErrorCodes.NtlmBlocked, record.CredSspErrorCode);
        Assert.Contains("STATUS_NTLM_BLOCKED [0xC0000418]", client.StdErr + client.StdOut, StringComparison.Ordinal);
        Assert.NotEqual(0, client.ExitCode);
    }
}
