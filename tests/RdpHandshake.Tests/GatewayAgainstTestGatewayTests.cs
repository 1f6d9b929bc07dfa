using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RdpHandshake.Cli.Gateway;
using RdpHandshake.Crypto;
using RdpHandshake.Diagnostics;
using RdpHandshake.Gateway;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;
using RdpHandshake.Reporting;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// The gateway hop against the test gateway (<c>rdphs serve --gateway</c>, Kestrel on loopback) in front of the test
/// server: both transports reach finalization with every later step marked tunnelled, and every fault the gateway
/// injects at each of its steps ends in a typed cause of phase <c>gateway</c> at that step, within the deadline.
/// </summary>
public sealed class GatewayAgainstTestGatewayTests
{
    private const string Password = "Test-Password-1";

    private static async Task<ProbeReport> ProbeAsync(
        GatewayTransport transport = GatewayTransport.Auto,
        IReadOnlyList<GatewayFault>? faults = null,
        string? user = "alice",
        string password = Password,
        GatewayAuthScheme auth = GatewayAuthScheme.Ntlm,
        Func<int, IReadOnlyList<(string, int)>>? allow = null,
        bool serveWebSocket = true,
        bool serveHttp = true,
        int? targetPort = null,
        string? requiredCookie = null,
        string? cookie = null,
        RdpHandshake.Kerberos.KerberosSettings? kerberos = null)
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        await using var server = new RdpTestServer(new TestServerOptions());
        IPEndPoint rdp = server.Start();
        int port = targetPort ?? rdp.Port;
        var options = new GatewayServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Accounts = new TestServerOptions().Accounts,
            Certificate = GatewayServer.CreateCertificate(),
            Faults = faults ?? [],
            Allowed = allow?.Invoke(port) ?? [],
            WebSocket = serveWebSocket,
            Http = serveHttp,
            PaaCookie = requiredCookie,
        };
        await using GatewayServer gateway = await GatewayServer.StartAsync(options, NullLogger.Instance, token);
        var probeOptions = new ProbeOptions
        {
            ReadTimeout = TimeSpan.FromSeconds(2),
            Credentials = new Credentials("alice", string.Empty, new Secret(Password)),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            Kerberos = kerberos ?? new RdpHandshake.Kerberos.KerberosSettings(),
            Gateway = new GatewayOptions("127.0.0.1", gateway.Endpoint.Port)
            {
                Transport = transport,
                Auth = auth,
                Credentials = user is null ? null : Credentials.Parse(user, new Secret(password)),
                PaaCookie = cookie,
            },
        };
        return await new RdpProber { Policies = [] }.ProbeAsync(new ProbeTarget("127.0.0.1", port), probeOptions, token);
    }

    [Theory]
    [InlineData(GatewayTransport.WebSocket, GatewayAuthScheme.Ntlm)]
    [InlineData(GatewayTransport.Http, GatewayAuthScheme.Ntlm)]
    [InlineData(GatewayTransport.Auto, GatewayAuthScheme.Basic)]
    public async Task The_sequence_reaches_finalization_inside_the_gateway_channel(GatewayTransport transport, GatewayAuthScheme auth)
    {
        ProbeReport report = await ProbeAsync(transport, auth: auth);

        Assert.Null(report.Diagnosis);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        ReportSchemaTests.AssertValid(report);
        string[] gatewaySteps = [.. report.Steps.Where(s => s.Phase == ConnectionPhase.Gateway).Select(s => s.Name).Distinct()];
        Assert.Equal(["gateway.connect", "gateway.tls", "gateway.http-auth", "gateway.handshake", "gateway.tunnel", "gateway.authorize", "gateway.channel", "gateway.close"], gatewaySteps);
        Assert.All(report.Steps.Where(s => s.Phase != ConnectionPhase.Gateway), s => Assert.Contains(s.Fields, f => f.Name == "tunnelled"));
        StepRecord close = report.Steps.Single(s => s.Name == "gateway.close");
        Assert.Equal(StepOutcome.Ok, close.Outcome);
        // Cleanly whichever side closes first: rdphs's CLOSE_CHANNEL answered S_OK; or the test server ended the session
        // after finalization and the gateway closed the channel with S_OK; or the gateway had closed the whole tunnel by
        // the time rdphs came to close it (the race between the two ends), which is no failure either.
        Assert.True(
            close.Fields.Any(f => f.Name is "answer" or "status" && f.Value == "S_OK")
                || (close.Fields.Single().Name == "closedBy" && close.Fields.Single().Value == "gateway" && close.Summary == "the channel was already closed"),
            string.Join(", ", close.Fields.Select(f => $"{f.Name}={f.Value}")) + ": " + close.Summary);
        string expected = transport == GatewayTransport.Http ? "200 OK" : "101 Switching Protocols";
        Assert.Contains(report.Steps.Where(s => s.Name == "gateway.http-auth"), s => s.Fields.Any(f => f.Value == expected));
        if (transport == GatewayTransport.Http)
        {
            Assert.Equal(2, report.Steps.Count(s => s.Name == "gateway.tls"));
        }
    }

    [Fact]
    public async Task The_gateway_password_appears_nowhere_in_the_report()
    {
        ProbeReport report = await ProbeAsync(GatewayTransport.Http, auth: GatewayAuthScheme.Basic);
        Assert.Null(report.Diagnosis);
        string json = ProbeReportJson.ToJson(report, RdpHandshake.Cli.ExitCodes.For);
        Assert.DoesNotContain(Password, json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{Password}")), json, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> Faults => new()
    {
        { "gateway.tls:close", "gateway.tls", "closed-by-peer" },
        { "gateway.tls:reset", "gateway.tls", "reset|closed-by-peer" },
        { "gateway.tls:stall", "gateway.tls", "timeout" },
        { "gateway.tls:garbage", "gateway.tls", "malformed-record" },
        { "gateway.tls:alert", "gateway.tls", "server-alert" },
        { "gateway.http-auth:close", "gateway.http-auth", "reset|closed-by-peer" },
        { "gateway.http-auth:stall", "gateway.http-auth", "timeout" },
        { "gateway.http-auth:401", "gateway.http-auth", "gateway-auth-failed" },
        { "gateway.http-auth:403", "gateway.http-auth", "gateway-http-status:403" },
        { "gateway.http-auth:404", "gateway.http-auth", "gateway-http-status:404" },
        { "gateway.http-auth:503", "gateway.http-auth", "gateway-http-status:503" },
        { "gateway.handshake:close", "gateway.handshake", "reset|closed-by-peer" },
        { "gateway.handshake:stall", "gateway.handshake", "timeout" },
        { "gateway.handshake:garbage", "gateway.handshake", "malformed-response" },
        { "gateway.handshake:huge-length", "gateway.handshake", "malformed-response" },
        { "gateway.handshake:E_PROXY_INTERNALERROR", "gateway.handshake", "gateway-refused:E_PROXY_INTERNALERROR" },
        { "gateway.tunnel:close", "gateway.tunnel", "reset|closed-by-peer" },
        { "gateway.tunnel:stall", "gateway.tunnel", "timeout" },
        { "gateway.tunnel:garbage", "gateway.tunnel", "malformed-response" },
        { "gateway.tunnel:huge-length", "gateway.tunnel", "malformed-response" },
        { "gateway.tunnel:E_PROXY_CAPABILITYMISMATCH", "gateway.tunnel", "gateway-refused:E_PROXY_CAPABILITYMISMATCH" },
        { "gateway.authorize:close", "gateway.authorize", "reset|closed-by-peer" },
        { "gateway.authorize:stall", "gateway.authorize", "timeout" },
        { "gateway.authorize:garbage", "gateway.authorize", "malformed-response" },
        { "gateway.authorize:huge-length", "gateway.authorize", "malformed-response" },
        { "gateway.authorize:E_PROXY_NAP_ACCESSDENIED", "gateway.authorize", "gateway-refused:E_PROXY_NAP_ACCESSDENIED" },
        { "gateway.channel:close", "gateway.channel", "reset|closed-by-peer" },
        { "gateway.channel:stall", "gateway.channel", "timeout" },
        { "gateway.channel:garbage", "gateway.channel", "malformed-response" },
        { "gateway.channel:huge-length", "gateway.channel", "malformed-response" },
        { "gateway.channel:E_PROXY_TS_CONNECTFAILED", "gateway.channel", "gateway-refused:E_PROXY_TS_CONNECTFAILED" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Every_gateway_fault_is_typed_at_its_step_over_both_transports(string faultText, string step, string cause)
    {
        Assert.True(GatewayFault.TryParse(faultText, out GatewayFault? fault, out string? error), error);
        foreach (GatewayTransport transport in new[] { GatewayTransport.WebSocket, GatewayTransport.Http })
        {
            ProbeReport report = await ProbeAsync(transport, [fault!]);
            Diagnosis diagnosis = Assert.IsType<Diagnosis>(report.Diagnosis);
            Assert.Equal(ConnectionPhase.Gateway, diagnosis.Phase);
            ReportSchemaTests.AssertValid(report);
            // Kestrel ends an aborted connection with a reset; a gateway behind a proxy may close it instead: both say the gateway hung up.
            Assert.Contains(diagnosis.Cause.Name, cause.Split('|'));
            Assert.Equal(step, diagnosis.Evidence.Step);
            Assert.Equal(StepOutcome.Failed, report.Steps[^1].Outcome);
            Assert.DoesNotContain(report.Steps, s => s.Phase != ConnectionPhase.Gateway && s.Phase != ConnectionPhase.Tcp);
            // Bounded memory: no step held more received bytes than its bound, as in the server and proxy matrices.
            Assert.All(report.Steps, s => Assert.True(
                s.PeakBuffered <= HostileServerMatrixTests.BufferBound(s),
                $"{faultText} over {transport}: step {s.Name} held {s.PeakBuffered} received bytes, above its bound {HostileServerMatrixTests.BufferBound(s)}"));
        }
    }

    [Fact]
    public async Task Every_gateway_step_that_reads_counts_the_bytes_it_holds_against_the_gateway_bound()
    {
        foreach (GatewayTransport transport in new[] { GatewayTransport.WebSocket, GatewayTransport.Http })
        {
            ProbeReport report = await ProbeAsync(transport);
            Assert.Null(report.Diagnosis);
            foreach (string name in new[] { "gateway.tls", "gateway.http-auth", "gateway.handshake", "gateway.tunnel", "gateway.authorize", "gateway.channel" })
            {
                StepRecord step = report.Steps.First(s => s.Name == name);
                // The measurement is live: the step read its answer, so it held some bytes, and never more than the bound.
                Assert.True(step.PeakBuffered > 0, $"{transport}: {name} counted no bytes held");
                Assert.True(step.FrameBound >= GatewayConnection.HeldBound, $"{transport}: {name} has bound {step.FrameBound}");
                Assert.True(step.PeakBuffered <= HostileServerMatrixTests.BufferBound(step), $"{transport}: {name} held {step.PeakBuffered}");
            }
        }
    }

    [Fact]
    public async Task A_wrong_password_is_refused_credentials_and_none_is_a_401()
    {
        ProbeReport wrong = await ProbeAsync(password: "not-the-password");
        Assert.Equal("gateway-auth-failed", wrong.Diagnosis!.Cause.Name);
        Assert.Equal("gateway.http-auth", wrong.Diagnosis.Evidence.Step);

        ProbeReport none = await ProbeAsync(user: null);
        Assert.Equal("gateway-http-status:401", none.Diagnosis!.Cause.Name);
        Assert.Contains(none.Steps.Single(s => s.Name == "gateway.http-auth").Fields, f => f.Name == "wwwAuthenticate" && f.Value.Contains("NTLM", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_resource_policy_refuses_an_unlisted_target_at_the_channel()
    {
        ProbeReport report = await ProbeAsync(allow: _ => [("127.0.0.1", 1)]);
        Assert.Equal("gateway-refused:E_PROXY_RAP_ACCESSDENIED", report.Diagnosis!.Cause.Name);
        Assert.Equal("gateway.channel", report.Diagnosis.Evidence.Step);
        Assert.Equal(0x800759DAu, report.Diagnosis.Cause.Code);
    }

    [Fact]
    public async Task A_target_the_gateway_cannot_reach_is_its_connect_failure()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        ProbeReport report = await ProbeAsync(targetPort: port);
        Assert.Equal("gateway-refused:E_PROXY_TS_CONNECTFAILED", report.Diagnosis!.Cause.Name);
    }

    [Fact]
    public async Task Asking_for_websocket_from_an_http_only_gateway_is_an_unsupported_transport()
    {
        ProbeReport report = await ProbeAsync(GatewayTransport.WebSocket, serveWebSocket: false);
        Assert.Equal("gateway-transport-unsupported:websocket", report.Diagnosis!.Cause.Name);

        ProbeReport auto = await ProbeAsync(GatewayTransport.Auto, serveWebSocket: false);
        Assert.Null(auto.Diagnosis);
    }

    [Fact]
    public async Task An_unreachable_gateway_is_a_network_failure_of_phase_gateway()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var options = new ProbeOptions { Gateway = new GatewayOptions("127.0.0.1", port) };
        ProbeReport report = await new RdpProber { Policies = [] }.ProbeAsync(new ProbeTarget("127.0.0.1", 3389), options, TestContext.Current.CancellationToken);
        Assert.Equal(ConnectionPhase.Gateway, report.Diagnosis!.Phase);
        Assert.Equal("connection-refused", report.Diagnosis.Cause.Name);
        Assert.Equal("gateway.connect", report.Diagnosis.Evidence.Step);
    }

    private const string Cookie = "paa-cookie-7f3e9b1c2d";

    [Theory]
    [InlineData(GatewayTransport.WebSocket)]
    [InlineData(GatewayTransport.Http)]
    public async Task A_paa_cookie_alone_authenticates_the_tunnel_and_never_appears_in_the_report(GatewayTransport transport)
    {
        ProbeReport report = await ProbeAsync(transport, user: null, requiredCookie: Cookie, cookie: Cookie);

        Assert.Null(report.Diagnosis);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        StepRecord tunnel = report.Steps.Single(s => s.Name == "gateway.tunnel");
        Assert.Contains(tunnel.Fields, f => f.Name == "paaCookie" && f.Value == $"sent ({Cookie.Length} characters, withheld)");
        Assert.Contains(report.Steps.Single(s => s.Name == "gateway.handshake").Fields, f => f.Name == "extendedAuth" && f.Value == "Paa");
        // The tunnel create is recorded with the cookie overwritten: same length, no cookie bytes.
        byte[] cookieBytes = Encoding.Unicode.GetBytes(Cookie);
        Assert.Equal(RdpHandshake.Protocol.Gateway.TsguTunnelCreate.FixedSize + 2 + cookieBytes.Length + 2, tunnel.Sent.Length);
        string json = ProbeReportJson.ToJson(report, RdpHandshake.Cli.ExitCodes.For);
        Assert.DoesNotContain(Cookie, json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(cookieBytes), json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(cookieBytes[..8]), json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "gateway-refused:E_PROXY_COOKIE_BADPACKET", 0x800759F7u)]
    [InlineData("another-cookie", "gateway-refused:E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED", 0x800759F8u)]
    public async Task A_gateway_that_requires_a_paa_cookie_refuses_a_missing_or_wrong_one_at_the_tunnel(string? cookie, string cause, uint code)
    {
        foreach (GatewayTransport transport in new[] { GatewayTransport.WebSocket, GatewayTransport.Http })
        {
            // Without a cookie the client authenticates over HTTP (NTLM), and the gateway still wants the cookie.
            ProbeReport report = await ProbeAsync(transport, user: cookie is null ? "alice" : null, requiredCookie: Cookie, cookie: cookie);
            Diagnosis diagnosis = Assert.IsType<Diagnosis>(report.Diagnosis);
            Assert.Equal(ConnectionPhase.Gateway, diagnosis.Phase);
            Assert.Equal(cause, diagnosis.Cause.Name);
            Assert.Equal(code, diagnosis.Cause.Code);
            Assert.Equal("gateway.tunnel", diagnosis.Evidence.Step);
            CatalogEntry entry = DiagnosisCatalog.Lookup(diagnosis.Cause);
            Assert.Contains("PAA cookie", entry.Title, StringComparison.Ordinal);
            Assert.DoesNotContain(Cookie, ProbeReportJson.ToJson(report, RdpHandshake.Cli.ExitCodes.For), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(GatewayTransport.WebSocket)]
    [InlineData(GatewayTransport.Http)]
    public async Task The_capture_of_a_gateway_run_shows_the_real_local_endpoint_and_the_targets_address_and_says_so(GatewayTransport transport)
    {
        ProbeReport report = await ProbeAsync(transport);
        Assert.Null(report.Diagnosis);
        RdpHandshake.Capture.WireLog wire = Assert.IsType<RdpHandshake.Capture.WireLog>(report.Wire);
        StepRecord connect = report.Steps.First(s => s.Name == "gateway.connect");
        IPEndPoint client = Assert.IsType<IPEndPoint>(wire.Client);
        IPEndPoint server = Assert.IsType<IPEndPoint>(wire.Server);
        // The local end of the first connection to the gateway, as the system chose it, not a made-up one.
        Assert.Equal(IPAddress.Loopback, client.Address);
        Assert.NotEqual(0, client.Port);
        // The target was given as 127.0.0.1:PORT: its own address and port.
        int targetPort = int.Parse(report.Steps.First(s => s.Name == "gateway.channel").Fields.Single(f => f.Name == "target").Value.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, targetPort), server);
        Assert.NotEqual(int.Parse(connect.Fields.Single(f => f.Name == "remote").Value.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture), server.Port);
        Assert.Contains("tunnelled through RD Gateway https://127.0.0.1:", wire.Comment, StringComparison.Ordinal);
        Assert.Contains($"({client})", wire.Comment, StringComparison.Ordinal);
        Assert.Contains("the target's address", wire.Comment, StringComparison.Ordinal);
        Assert.NotEmpty(wire.Events);
    }

    [Fact]
    public async Task Negotiate_to_the_gateway_with_a_kdc_that_does_not_listen_ends_at_http_auth_in_phase_gateway_without_sending_a_request()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        Assert.True(RdpHandshake.Kerberos.KdcEndpoint.TryParse($"127.0.0.1:{port}", out RdpHandshake.Kerberos.KdcEndpoint? kdc, out string? error), error);

        ProbeReport report = await ProbeAsync(GatewayTransport.WebSocket, user: "alice@RDPHS.TEST", auth: GatewayAuthScheme.Negotiate,
            kerberos: new RdpHandshake.Kerberos.KerberosSettings { Kdcs = [kdc!] });

        Diagnosis diagnosis = Assert.IsType<Diagnosis>(report.Diagnosis);
        Assert.Equal((ConnectionPhase.Gateway, "kdc-unreachable:refused", "gateway.http-auth"), (diagnosis.Phase, diagnosis.Cause.Name, diagnosis.Evidence.Step));
        StepRecord auth = report.Steps.Single(s => s.Name == "gateway.http-auth");
        Assert.Contains(auth.Fields, f => f.Name == "kerberos.spn" && f.Value == "HTTP/127.0.0.1");
        Assert.Contains(auth.Fields, f => f.Name == "kerberos.realm" && f.Value == "RDPHS.TEST");
        // The KDC failed before any HTTP request: nothing was sent to the gateway on this connection.
        Assert.Empty(auth.Sent);
        Assert.Equal("the KDC could not be reached for the gateway's ticket", DiagnosisCatalog.Lookup(diagnosis.Cause).Title);
        Assert.DoesNotContain(Password, ProbeReportJson.ToJson(report, RdpHandshake.Cli.ExitCodes.For), StringComparison.Ordinal);
    }
}
