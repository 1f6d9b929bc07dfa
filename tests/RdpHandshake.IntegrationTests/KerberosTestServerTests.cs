using System.Net;
using System.Text;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// The test server's Kerberos acceptor (<see cref="TestServerOptions.KerberosKeytab"/>) against a Kerberos client that
/// is not the project's: MIT's GSS-API initiator (<see cref="GssInitiator"/>) with tickets from the MIT KDC of
/// <see cref="KdcFixture"/>, its tokens wrapped in SPNEGO and TSRequests by <see cref="CredSspTestClient"/>.
/// </summary>
public sealed class KerberosTestServerTests(KdcFixture kdc) : IClassFixture<KdcFixture>
{
    /// <summary>What Windows puts in its NegTokenInit: MS KRB5 first, then KRB5, NEGOEX and NTLM (MS-SPNG 3.3.5.1, MS-KILE 1.9).</summary>
    private static readonly string[] WindowsMechTypes = ["1.2.840.48018.1.2.2", "1.2.840.113554.1.2.2", "1.3.6.1.4.1.311.2.2.30", Spnego.NtlmOid];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private TestServerOptions Server(string? keytab = null) => new()
    {
        Accepted = SecurityProtocols.Hybrid,
        KerberosKeytab = keytab ?? kdc.KeytabPath,
        ReadTimeout = TimeSpan.FromSeconds(5),
    };

    [Theory]
    [InlineData("alice", KdcFixture.LocalhostService)]
    [InlineData("aesonly", KdcFixture.LocalhostService)]
    [InlineData("rc4only", KdcFixture.LocalhostService)]
    [InlineData("alice", "TERMSRV/127.0.0.1")]
    public async Task A_kerberos_client_completes_credssp_and_is_recorded_as_its_principal(string user, string service)
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync(user, service);
        await using var server = new RdpTestServer(Server());
        IPEndPoint endpoint = server.Start();
        await using (CredSspTestClient client = await CredSspTestClient.ConnectAsync(endpoint, Cancel))
        {
            await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);
            TsRequest answer = await ReceiveAsync(client);
            Assert.Null(answer.ErrorCode);
            SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>(Assert.Single(answer.NegoTokens).Span).Value!;
            Assert.Equal(SpnegoNegState.AcceptCompleted, resp.State);
            Assert.Equal(WindowsMechTypes[0], resp.SupportedMech); // the acceptor names the OID the client preferred
            Assert.Empty(gss.Step(resp.ResponseToken.Span)); // the AP-REP verifies: mutual authentication
            Assert.True(gss.IsComplete);

            await client.SendAsync(new TsRequest(CredSspTestClient.Version, [], PubKeyAuth: new ByteString(gss.Wrap(client.ClientBinding())), ClientNonce: new ByteString(client.Nonce)), Cancel);
            TsRequest pubKey = await ReceiveAsync(client);
            Assert.Null(pubKey.ErrorCode);
            Assert.Equal(client.ExpectedServerBinding(), gss.Unwrap(pubKey.PubKeyAuth.Span));

            await client.SendAsync(new TsRequest(CredSspTestClient.Version, [], AuthInfo: new ByteString(gss.Wrap(TsCredentialsOf(user)))), Cancel);
        }

        // The client left after its credentials; the server, waiting for MCS, records the connection.
        ServerConnectionRecord record = await OneConnectionAsync(server);
        Assert.Equal("Kerberos", record.CredSspPackage);
        Assert.Equal($"{user}@{kdc.Realm}", record.CredSspUser);
        Assert.True(record.KerberosApRepSent);
        Assert.True(record.CredentialsReceived);
        Assert.Equal(ServerStage.CredSspCompleted, record.Stage);
        Assert.Null(record.CredSspErrorCode);
    }

    [Fact]
    public async Task Without_mutual_authentication_the_pubkeyauth_travels_with_the_ap_req()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService, mutual: false);
        await using var server = new RdpTestServer(Server());
        await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(server.Start(), Cancel);
        byte[] apReq = gss.Step([]);
        Assert.True(gss.IsComplete); // no AP-REP to wait for
        TsRequest first = FirstRequest(client, apReq) with { PubKeyAuth = new ByteString(gss.Wrap(client.ClientBinding())) };
        await client.SendAsync(first, Cancel);

        TsRequest answer = await ReceiveAsync(client);
        Assert.Null(answer.ErrorCode);
        SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>(Assert.Single(answer.NegoTokens).Span).Value!;
        Assert.Equal(SpnegoNegState.AcceptCompleted, resp.State);
        Assert.True(resp.ResponseToken.IsEmpty);
        Assert.Equal(client.ExpectedServerBinding(), gss.Unwrap(answer.PubKeyAuth.Span));
    }

    [Fact]
    public async Task A_stale_service_key_is_refused_with_logon_denied_and_the_krb_error_inside_a_spnego_reject()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        await using var server = new RdpTestServer(Server(kdc.StaleKeytabPath));
        await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(server.Start(), Cancel);
        await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);

        TsRequest answer = await ReceiveAsync(client);
        Assert.Equal(CredSspErrorCodes.LogonDenied, answer.ErrorCode);
        SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>(Assert.Single(answer.NegoTokens).Span).Value!;
        Assert.Equal(SpnegoNegState.Reject, resp.State);
        Assert.Equal(31, KerberosErrorCode(resp.ResponseToken.Span)); // KRB_AP_ERR_BAD_INTEGRITY, as MIT says it (Windows: 41 KRB_AP_ERR_MODIFIED)
        GssException refused = Assert.Throws<GssException>(() => gss.Step(resp.ResponseToken.Span)); // the client reads the KRB-ERROR
        Assert.True(refused.KerberosError == 31, refused.Message);
        Assert.Null(await client.ReceiveAsync(Cancel)); // and the server closed

        ServerConnectionRecord record = await OneConnectionAsync(server);
        Assert.Equal("Kerberos", record.CredSspPackage);
        Assert.Equal(CredSspErrorCodes.LogonDenied, record.CredSspErrorCode);
        Assert.Equal(31, record.KerberosErrorCode);
        Assert.Contains("cannot decrypt ticket", record.KerberosError, StringComparison.Ordinal);
        Assert.Null(record.CredSspUser);
        Assert.StartsWith("refused the Kerberos AP-REQ with errorCode 0x8009030c", record.Ending, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replayed_ap_req_is_refused_with_krb_ap_err_repeat()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        byte[] apReq = gss.Step([]);
        await using var server = new RdpTestServer(Server());
        IPEndPoint endpoint = server.Start();
        foreach (bool replay in new[] { false, true })
        {
            await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(endpoint, Cancel);
            await client.SendAsync(FirstRequest(client, apReq), Cancel);
            TsRequest answer = await ReceiveAsync(client);
            if (!replay)
            {
                Assert.Null(answer.ErrorCode);
                continue;
            }

            Assert.Equal(CredSspErrorCodes.LogonDenied, answer.ErrorCode);
            SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>(Assert.Single(answer.NegoTokens).Span).Value!;
            Assert.Equal(34, KerberosErrorCode(resp.ResponseToken.Span)); // KRB_AP_ERR_REPEAT
        }
    }

    [Fact]
    public async Task The_reject_fault_answers_the_ap_req_with_a_bare_spnego_reject()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        await using var server = new RdpTestServer(Server() with { Faults = [new Fault(FaultSteps.CredSspApReply, FaultKind.Reject)] });
        await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(server.Start(), Cancel);
        await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);

        TsRequest answer = await ReceiveAsync(client);
        Assert.Null(answer.ErrorCode);
        SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>(Assert.Single(answer.NegoTokens).Span).Value!;
        Assert.Equal(new SpnegoNegTokenResp(SpnegoNegState.Reject, null, default), resp);
        Assert.Null(await client.ReceiveAsync(Cancel));
        ServerConnectionRecord record = await OneConnectionAsync(server);
        Assert.Equal("credssp.ap-reply:reject", record.FaultInjected?.ToString());
    }

    [Fact]
    public async Task The_close_fault_drops_the_connection_after_the_ap_req()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        await using var server = new RdpTestServer(Server() with { Faults = [new Fault(FaultSteps.CredSspApReply, FaultKind.Close)] });
        await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(server.Start(), Cancel);
        await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);
        Assert.Null(await client.ReceiveAsync(Cancel));
        Assert.Equal("closed instead of sending the Kerberos AP-REP (fault)", (await OneConnectionAsync(server)).Ending);
    }

    [Fact]
    public async Task A_garbled_ap_rep_fails_the_clients_mutual_authentication()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        await using var server = new RdpTestServer(Server() with { CredSspFault = CredSspFault.GarbledApRep });
        await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(server.Start(), Cancel);
        await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);

        TsRequest answer = await ReceiveAsync(client);
        SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>(Assert.Single(answer.NegoTokens).Span).Value!;
        Assert.Equal(SpnegoNegState.AcceptCompleted, resp.State);
        GssException refused = Assert.Throws<GssException>(() => gss.Step(resp.ResponseToken.Span));
        Assert.True(refused.KerberosError == 31, refused.Message); // KRB_AP_ERR_BAD_INTEGRITY: the AP-REP's enc-part does not decrypt
    }

    [Fact]
    public async Task A_wrong_server_binding_is_sent_under_the_wrong_pubkeyauth_fault()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        await using var server = new RdpTestServer(Server() with { CredSspFault = CredSspFault.WrongPubKeyAuth });
        await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(server.Start(), Cancel);
        await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);
        SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>((await ReceiveAsync(client)).NegoTokens[0].Span).Value!;
        gss.Step(resp.ResponseToken.Span);
        await client.SendAsync(new TsRequest(CredSspTestClient.Version, [], PubKeyAuth: new ByteString(gss.Wrap(client.ClientBinding())), ClientNonce: new ByteString(client.Nonce)), Cancel);

        TsRequest pubKey = await ReceiveAsync(client);
        Assert.Null(pubKey.ErrorCode);
        Assert.NotEqual(client.ExpectedServerBinding(), gss.Unwrap(pubKey.PubKeyAuth.Span)); // it decrypts, but binds another key
    }

    [Fact]
    public async Task A_wrong_client_binding_is_refused_with_sec_e_bad_bindings()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        await using var server = new RdpTestServer(Server());
        await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(server.Start(), Cancel);
        await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);
        gss.Step(Pdu.Decode<SpnegoNegTokenResp>((await ReceiveAsync(client)).NegoTokens[0].Span).Value!.ResponseToken.Span);
        byte[] otherKey = client.ClientBinding();
        otherKey[0] ^= 1;
        await client.SendAsync(new TsRequest(CredSspTestClient.Version, [], PubKeyAuth: new ByteString(gss.Wrap(otherKey)), ClientNonce: new ByteString(client.Nonce)), Cancel);

        TsRequest refusal = await ReceiveAsync(client);
        Assert.Equal(CredSspErrorCodes.BadBindings, refusal.ErrorCode);
        ServerConnectionRecord record = await OneConnectionAsync(server);
        Assert.Equal("refused the pubKeyAuth with errorCode 0x80090346 and closed", record.Ending);
        Assert.Null(record.CredSspUser);
    }

    [Fact]
    public async Task Kerberos_only_asks_a_client_that_prefers_ntlm_for_kerberos_instead()
    {
        kdc.Require();
        await using var server = new RdpTestServer(Server() with { KerberosOnly = true });
        await using CredSspTestClient client = await CredSspTestClient.ConnectAsync(server.Start(), Cancel);
        byte[] ntlmNegotiate = [.. "NTLMSSP\0"u8, 1, 0, 0, 0, 0x07, 0x82, 0x08, 0xA2, .. new byte[16]];
        var init = new SpnegoNegTokenInit([Spnego.NtlmOid, "1.2.840.113554.1.2.2"], new ByteString(ntlmNegotiate));
        await client.SendAsync(new TsRequest(CredSspTestClient.Version, [new ByteString(Pdu.Encode(init))], ClientNonce: new ByteString(client.Nonce)), Cancel);

        TsRequest answer = await ReceiveAsync(client);
        Assert.Null(answer.ErrorCode);
        SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>(Assert.Single(answer.NegoTokens).Span).Value!;
        Assert.Equal("1.2.840.113554.1.2.2", resp.SupportedMech); // RFC 4178 4.2.2: the acceptor picks Kerberos, the client starts over with it
        Assert.True(resp.ResponseToken.IsEmpty);
    }

    [Fact]
    public async Task Kerberos_only_refuses_the_projects_ntlm_client_with_status_ntlm_blocked()
    {
        kdc.Require();
        await using var server = new RdpTestServer(Server() with { KerberosOnly = true });
        IPEndPoint endpoint = server.Start();
        TestAccount account = server.Options.Accounts[0];
        ProbeReport report = await new RdpProber().ProbeAsync(
            new ProbeTarget(endpoint.Address.ToString(), endpoint.Port),
            new ProbeOptions { Credentials = Credentials.Parse(account.User, new Secret(account.Password)), ReadTimeout = TimeSpan.FromSeconds(5) },
            Cancel);

        Assert.False(report.Success);
        Assert.Equal(ConnectionPhase.CredSsp, report.Diagnosis!.Phase);
        ServerConnectionRecord record = (await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10)))[0];
        Assert.Equal(CredSspErrorCodes.NtlmBlocked, record.CredSspErrorCode);
        Assert.Equal("NTLM", record.CredSspPackage);
        Assert.Equal("refused NTLM with errorCode STATUS_NTLM_BLOCKED (Kerberos only) and closed", record.Ending);
    }

    [Fact]
    public async Task With_a_keytab_but_not_kerberos_only_the_projects_ntlm_client_still_gets_ntlm()
    {
        kdc.Require();
        await using var server = new RdpTestServer(Server());
        IPEndPoint endpoint = server.Start();
        TestAccount account = server.Options.Accounts[0];
        ProbeReport report = await new RdpProber().ProbeAsync(
            new ProbeTarget(endpoint.Address.ToString(), endpoint.Port),
            new ProbeOptions { Credentials = Credentials.Parse(account.User, new Secret(account.Password)), ReadTimeout = TimeSpan.FromSeconds(5) },
            Cancel);

        ServerConnectionRecord record = (await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10)))[0];
        Assert.Equal("NTLM", record.CredSspPackage);
        Assert.True(record.CredentialsReceived, record.Ending);
        Assert.True(report.Success, report.Diagnosis?.Summary);
    }

    [Fact]
    public async Task Rdphs_serve_with_a_keytab_serves_kerberos_and_says_so_in_its_json()
    {
        kdc.Require();
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        int port = Peers.FreePort();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ProcessResult> serve = Peers.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "rdphs.dll"), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--accept", "hybrid", "--kerberos-keytab", kdc.KeytabPath, "--kerberos-only", "--max-connections", "1", "--json"],
            TimeSpan.FromSeconds(60),
            onStdErrLine: line =>
            {
                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }

                return true;
            });
        await Task.WhenAny(listening.Task, serve);
        Assert.True(listening.Task.IsCompleted, (serve.IsCompleted ? await serve : null)?.ToString());

        await using (CredSspTestClient client = await CredSspTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Cancel))
        {
            await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);
            gss.Step(Pdu.Decode<SpnegoNegTokenResp>((await ReceiveAsync(client)).NegoTokens[0].Span).Value!.ResponseToken.Span);
            await client.SendAsync(new TsRequest(CredSspTestClient.Version, [], PubKeyAuth: new ByteString(gss.Wrap(client.ClientBinding())), ClientNonce: new ByteString(client.Nonce)), Cancel);
            Assert.Equal(client.ExpectedServerBinding(), gss.Unwrap((await ReceiveAsync(client)).PubKeyAuth.Span));
            await client.SendAsync(new TsRequest(CredSspTestClient.Version, [], AuthInfo: new ByteString(gss.Wrap(TsCredentialsOf("alice")))), Cancel);
        }

        ProcessResult served = await serve;
        Assert.True(served.ExitCode == 0, served.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(served.StdOut);
        Assert.Equal("Kerberos", json.RootElement.GetProperty("credSspPackage").GetString());
        Assert.Equal($"alice@{kdc.Realm}", json.RootElement.GetProperty("credSspUser").GetString());
        Assert.Equal("credssp-completed", json.RootElement.GetProperty("stage").GetString());
        Assert.DoesNotContain(kdc.Password("alice"), served.StdOut + served.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_whose_clock_is_an_hour_ahead_refuses_the_ap_req_with_krb_ap_err_skew()
    {
        kdc.Require();
        Peers.Require("faketime");
        using GssInitiator gss = await InitiatorAsync("alice", KdcFixture.LocalhostService);
        int port = Peers.FreePort();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // libfaketime shifts the server's wall clock (what GSS-API checks the authenticator against), not its
        // monotonic clock (what .NET's timeouts run on).
        Task<ProcessResult> serve = Peers.RunAsync(
            "faketime",
            ["-f", "+1h", "dotnet", Path.Combine(AppContext.BaseDirectory, "rdphs.dll"), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--accept", "hybrid", "--kerberos-keytab", kdc.KeytabPath, "--max-connections", "1", "--json"],
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1" },
            onStdErrLine: line =>
            {
                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }

                return true;
            });
        await Task.WhenAny(listening.Task, serve);
        Assert.True(listening.Task.IsCompleted, (serve.IsCompleted ? await serve : null)?.ToString());

        await using (CredSspTestClient client = await CredSspTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Cancel))
        {
            await client.SendAsync(FirstRequest(client, gss.Step([])), Cancel);
            TsRequest answer = await ReceiveAsync(client);
            Assert.Equal(CredSspErrorCodes.TimeDifferenceAtDc, answer.ErrorCode);
            SpnegoNegTokenResp resp = Pdu.Decode<SpnegoNegTokenResp>(Assert.Single(answer.NegoTokens).Span).Value!;
            Assert.Equal(SpnegoNegState.Reject, resp.State);
            Assert.Equal(37, KerberosErrorCode(resp.ResponseToken.Span)); // KRB_AP_ERR_SKEW
        }

        ProcessResult served = await serve;
        using var json = System.Text.Json.JsonDocument.Parse(served.StdOut);
        Assert.Equal("0xc0000133", json.RootElement.GetProperty("credSspErrorCode").GetString());
        Assert.Contains("Clock skew too great", json.RootElement.GetProperty("kerberosError").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--kerberos-only")]
    [InlineData("--kerberos-keytab", "/nonexistent/termsrv.keytab")]
    [InlineData("--kerberos-keytab", "/dev/null")]
    public async Task Rdphs_serve_refuses_kerberos_options_it_cannot_honour(params string[] args)
    {
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), ["serve", "--port", "0", .. args]);
        Assert.True(run.ExitCode == Cli.ExitCodes.Usage, run.ToString());
        Assert.StartsWith("rdphs: --kerberos-", run.StdErr, StringComparison.Ordinal);
    }

    /// <summary>A cache with alice's TGT and the service ticket (kinit and kvno in child processes), and an initiator on it.</summary>
    private async Task<GssInitiator> InitiatorAsync(string user, string service, bool mutual = true)
    {
        string cache = Path.Combine(kdc.RealmDirectory, $"cc-{Guid.NewGuid():N}");
        await kdc.GetServiceTicketAsync(user, cache, service);
        return GssInitiator.Create(cache, $"{service}@{kdc.Realm}", mutual);
    }

    private static TsRequest FirstRequest(CredSspTestClient client, byte[] apReq) =>
        new(CredSspTestClient.Version, [new ByteString(Pdu.Encode(new SpnegoNegTokenInit(WindowsMechTypes, new ByteString(apReq))))], ClientNonce: new ByteString(client.Nonce));

    private byte[] TsCredentialsOf(string user) => TsCredentials.EncodePassword(
        Encoding.Unicode.GetBytes(kdc.Realm), Encoding.Unicode.GetBytes(user), Encoding.Unicode.GetBytes(kdc.Password(user)));

    private static async Task<TsRequest> ReceiveAsync(CredSspTestClient client) =>
        await client.ReceiveAsync(Cancel) ?? throw new InvalidOperationException("the server closed instead of answering");

    private static async Task<ServerConnectionRecord> OneConnectionAsync(RdpTestServer server) =>
        Assert.Single(await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10)));

    /// <summary>The error-code of the KRB-ERROR in a GSS-API error token (RFC 4121 4.1), read without the project's Kerberos codecs.</summary>
    private static int? KerberosErrorCode(ReadOnlySpan<byte> token)
    {
        // [APPLICATION 0] { OID 1.2.840.113554.1.2.2 (11 bytes), TOK_ID 03 00, KRB-ERROR [APPLICATION 30] }: the
        // error-code is the INTEGER in the KRB-ERROR's [6] field.
        var outer = new System.Formats.Asn1.AsnReader(token.ToArray(), System.Formats.Asn1.AsnEncodingRules.DER);
        ReadOnlyMemory<byte> content = outer.ReadEncodedValue();
        int header = content.Span[1] < 0x80 ? 2 : 2 + (content.Span[1] & 0x7F);
        ReadOnlySpan<byte> inner = content.Span[(header + 11)..];
        Assert.Equal([0x03, 0x00], inner[..2].ToArray());
        var krbError = new System.Formats.Asn1.AsnReader(inner[2..].ToArray(), System.Formats.Asn1.AsnEncodingRules.DER)
            .ReadSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.Application, 30)).ReadSequence();
        while (krbError.HasData)
        {
            System.Formats.Asn1.Asn1Tag tag = krbError.PeekTag();
            if (tag.HasSameClassAndValue(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6)))
            {
                return krbError.ReadSequence(tag).TryReadInt32(out int code) ? code : null;
            }

            krbError.ReadEncodedValue();
        }

        return null;
    }
}
