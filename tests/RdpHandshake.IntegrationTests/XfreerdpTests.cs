using System.Diagnostics;
using System.Net;
using System.Text;
using RdpHandshake.Cli;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>Xvfb display for xfreerdp, which needs one even with +auth-only.</summary>
public sealed class XvfbFixture : IAsyncLifetime
{
    public string? Display { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (Peers.Which("Xvfb") is null)
        {
            return;
        }

        int number = 90 + Random.Shared.Next(0, 400);
        await Peers.RunScriptAsync("xvfb.sh", "start", number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Display = $":{number}";
    }

    public async ValueTask DisposeAsync()
    {
        if (Display is not null)
        {
            await Peers.RunScriptAsync("xvfb.sh", "stop", Display[1..]);
        }
    }
}

/// <summary>A real client, xfreerdp, connects to our test server; we assert what it sent.</summary>
public sealed class XfreerdpTests(XvfbFixture xvfb) : IClassFixture<XvfbFixture>
{
    private async Task<(ServerConnectionRecord Record, ProcessResult Client)> ConnectAsync(TestServerOptions options, params string[] extraArgs)
    {
        Peers.Require("xfreerdp", "Xvfb");
        await using var server = new RdpTestServer(options);
        IPEndPoint endpoint = server.Start();
        // xfreerdp keeps state under $HOME/.config/freerdp: give it a throw-away home.
        string home = Directory.CreateTempSubdirectory("rdphs-xfreerdp-").FullName;
        ProcessResult client = await Peers.RunAsync(
            "xfreerdp",
            [$"/v:127.0.0.1:{endpoint.Port}", "/u:alice", .. (extraArgs.Any(a => a.StartsWith("/p:", StringComparison.Ordinal)) ? Array.Empty<string>() : ["/p:Test-Password-1"]), "+auth-only", "/cert:ignore", .. extraArgs],
            TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["DISPLAY"] = xvfb.Display!, ["HOME"] = home, ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config") });
        Directory.Delete(home, recursive: true);
        IReadOnlyList<ServerConnectionRecord> records = await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10));
        Assert.True(records.Count >= 1, $"xfreerdp never completed a connection to the test server\n{client}");
        return (records[0], client);
    }

    [Fact]
    public async Task Xfreerdp_sends_its_user_as_cookie_offers_tls_and_nla_then_starts_tls()
    {
        (ServerConnectionRecord record, ProcessResult client) = await ConnectAsync(new TestServerOptions());

        X224ConnectionRequest request = Assert.IsType<X224ConnectionRequest>(record.Request);
        Assert.Equal("alice", request.Cookie);
        SecurityProtocols requested = request.NegotiationRequest!.RequestedProtocols;
        Assert.True((requested & SecurityProtocols.Ssl) != 0 && (requested & SecurityProtocols.Hybrid) != 0, $"requested {requested}");
        Assert.NotNull(record.Answer?.Response);

        // After the Connection Confirm the client starts TLS on the same socket: a TLS handshake record.
        Assert.True(record.BytesAfterNegotiation.Length >= 5, $"nothing after negotiation; {record.Ending}\n{client}");
        Assert.Equal(0x16, record.BytesAfterNegotiation[0]);
        Assert.Equal(0x03, record.BytesAfterNegotiation[1]);

        // The server now goes on after CredSSP instead of closing. FreeRDP 2's +auth-only does not stop after
        // NLA: it runs the whole connection sequence, then exits with success once finalization is done.
        Assert.True(client.ExitCode == 0, client.ToString());
        Assert.True(record.CredentialsReceived, record.Ending);
        Assert.Equal(ServerStage.Finalized, record.Stage);
    }

    [Fact]
    public async Task Xfreerdp_with_sec_rdp_sends_a_legacy_request_and_gets_no_negotiation_data()
    {
        // With Standard RDP Security only, FreeRDP sends no RDP_NEG_REQ at all (a pre-RDP 5.2 request), so
        // the server must answer without negotiation data (MS-RDPBCGR 3.3.5.3.2).
        (ServerConnectionRecord record, _) = await ConnectAsync(new TestServerOptions(), "/sec:rdp");
        X224ConnectionRequest request = Assert.IsType<X224ConnectionRequest>(record.Request);
        Assert.Equal("alice", request.Cookie);
        Assert.Null(request.NegotiationRequest);
        Assert.Null(record.Answer!.Response);
        Assert.Null(record.Answer.Failure);
    }

    [Fact]
    public async Task Xfreerdp_told_hybrid_is_required_gets_the_failure_code_we_sent()
    {
        (ServerConnectionRecord record, ProcessResult client) = await ConnectAsync(
            new TestServerOptions { ForcedFailure = NegotiationFailureCode.HybridRequiredByServer }, "/sec:tls");
        Assert.Equal(SecurityProtocols.Ssl, record.Request!.NegotiationRequest!.RequestedProtocols);
        Assert.Equal(NegotiationFailureCode.HybridRequiredByServer, record.Answer!.Failure!.FailureCode);
        Assert.NotEqual(0, client.ExitCode);
    }

    [Fact]
    public async Task Xfreerdp_with_nla_authenticates_against_our_credssp_and_is_refused_with_a_wrong_password()
    {
        var accounts = new TestServerOptions { Accounts = [new TestAccount("alice", string.Empty, "Test-Password-1")] };
        (ServerConnectionRecord good, _) = await ConnectAsync(accounts, "/sec:nla");
        Assert.Equal(SecurityProtocols.Hybrid, good.Answer!.Response!.SelectedProtocol);
        Assert.True(good.NtlmChallengeSent);
        Assert.EndsWith("alice", good.CredSspUser, StringComparison.OrdinalIgnoreCase);
        Assert.True(good.CredentialsReceived, good.Ending);

        (ServerConnectionRecord bad, ProcessResult client) = await ConnectAsync(accounts with { }, "/sec:nla", "/p:not-the-password");
        Assert.Null(bad.CredSspUser);
        Assert.Equal("refused the AUTHENTICATE with an errorCode", bad.Ending);
        Assert.Contains("ERRCONNECT_LOGON_FAILURE", client.StdOut + client.StdErr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs xfreerdp for a whole connection against the test server (not +auth-only, which stops before MCS), waits
    /// until the server records finalization, then kills the client.
    /// </summary>
    private async Task<(ServerConnectionRecord Record, string ClientLog)> ConnectToFinalizationAsync(TestServerOptions options, params string[] extraArgs)
    {
        Peers.Require("xfreerdp", "Xvfb");
        await using var server = new RdpTestServer(options);
        var finalized = new TaskCompletionSource<ServerConnectionRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.StageReached += record =>
        {
            if (record.Stage == ServerStage.Finalized)
            {
                finalized.TrySetResult(record);
            }
        };
        IPEndPoint endpoint = server.Start();
        string home = Directory.CreateTempSubdirectory("rdphs-xfreerdp-").FullName;
        var info = new ProcessStartInfo("xfreerdp")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])[$"/v:127.0.0.1:{endpoint.Port}", "/u:alice", "/p:Test-Password-1", "/cert:ignore", "/log-level:DEBUG", .. extraArgs])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DISPLAY"] = xvfb.Display!;
        info.Environment["HOME"] = home;
        info.Environment["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
        var log = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Task done = await Task.WhenAny(finalized.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(45)));
            Assert.True(done == finalized.Task, $"xfreerdp did not reach finalization\n{Tail(log)}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }

        IReadOnlyList<ServerConnectionRecord> records = await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10));
        Directory.Delete(home, recursive: true);
        Assert.True(records.Count >= 1, $"the connection never ended on the server\n{Tail(log)}");
        lock (log)
        {
            return (records[0], log.ToString());
        }
    }

    private static string Tail(StringBuilder log)
    {
        lock (log)
        {
            string[] lines = log.ToString().Split('\n');
            return string.Join('\n', lines.TakeLast(60));
        }
    }

    [Fact]
    public async Task Xfreerdp_with_sec_tls_runs_the_whole_connection_sequence_to_finalization()
    {
        (ServerConnectionRecord record, string log) = await ConnectToFinalizationAsync(new TestServerOptions(), "/sec:tls");
        Assert.Equal(ServerStage.Finalized, record.Stage);
        Assert.Equal("tls", record.SecurityLayer);
        Assert.Equal(SecurityProtocols.Ssl, record.Answer!.Response!.SelectedProtocol);
        Assert.Equal((uint)SecurityProtocols.Ssl, record.ServerSelectedProtocol);
        Assert.False(string.IsNullOrEmpty(record.ClientName));
        Assert.Contains("rdpdr", record.RequestedChannels);
        Assert.Contains(RdpTestServer.IoChannelId, record.JoinedChannels);
        Assert.Contains(record.UserChannelId!.Value, record.JoinedChannels);
        Assert.Equal("alice", record.ClientInfoUserName);
        Assert.Equal(2 * "Test-Password-1".Length, record.ClientInfoPasswordLength);
        Assert.NotEmpty(record.ConfirmActiveCapabilitySets);
        Assert.Contains("PDUTYPE2_FONTLIST", record.ClientFinalizationPdus);
        Assert.True(record.Ending?.StartsWith("finalized", StringComparison.Ordinal), $"{record.Ending}\n{log}");
    }

    [Fact]
    public async Task Xfreerdp_with_sec_rdp_runs_standard_rdp_security_to_finalization()
    {
        (ServerConnectionRecord record, string log) = await ConnectToFinalizationAsync(new TestServerOptions(), "/sec:rdp");
        Assert.Equal(ServerStage.Finalized, record.Stage);
        Assert.Equal("rdp", record.SecurityLayer);
        Assert.Null(record.Request!.NegotiationRequest);
        Assert.Equal(EncryptionMethod.Bit128, record.SelectedEncryptionMethod);
        Assert.Equal(EncryptionLevel.ClientCompatible, record.SelectedEncryptionLevel);
        Assert.False(string.IsNullOrEmpty(record.ClientName));
        Assert.Contains("rdpdr", record.RequestedChannels);
        Assert.Equal("alice", record.ClientInfoUserName);
        Assert.Contains("PDUTYPE2_FONTLIST", record.ClientFinalizationPdus);
        Assert.True(record.Ending?.StartsWith("finalized", StringComparison.Ordinal), $"{record.Ending}\n{log}");
    }
}
