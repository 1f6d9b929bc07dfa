using System.Buffers;
using System.Text;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Tests.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Proxy;

/// <summary>
/// The proxy tunnels of the connector, fed with scripted proxy answers and no I/O: the steps and their frame hints,
/// what goes on the wire (and what is recorded instead of a password), every refusal typed, and the X.224 request
/// after the tunnel on the same connection.
/// </summary>
public sealed class ProxyTunnelTests
{
    private sealed class Password(string text) : IProxyPassword
    {
        public int Utf8Length => System.Text.Encoding.UTF8.GetByteCount(text);

        public void CopyUtf8(Span<byte> destination) => System.Text.Encoding.UTF8.GetBytes(text, destination);
    }

    private static ClientConnector Connector(ProxyKind kind, string target = "rdp.example.com", string? user = null, string? password = null) => new(
        new ClientConnectorOptions
        {
            Negotiation = new NegotiationOptions { Cookie = "eltons", RequestedProtocols = SecurityProtocols.Rdp },
            Until = ConnectionPhase.X224,
            Proxy = new ProxyTunnelRequest(kind, target, 3389, user)
            {
                TargetAddress = System.Net.IPAddress.TryParse(target, out System.Net.IPAddress? address) ? new ReadOnlyMemory<byte>(address.GetAddressBytes()) : null,
            },
        },
        new ConnectorServices { Random = ConnectorTestRandom.Instance, ProxyPassword = password is null ? null : new Password(password) });

    /// <summary>Runs the next step, which only sends: what it wrote and its result.</summary>
    private static (byte[] Sent, StepResult Result) Send(ClientConnector connector, string step)
    {
        Assert.Equal(step, connector.Next!.Name);
        Assert.Equal(ConnectionPhase.Proxy, connector.Next.Phase);
        Assert.Null(connector.Next.Read);
        var output = new ArrayBufferWriter<byte>();
        StepResult result = connector.Step([], output);
        return (output.WrittenSpan.ToArray(), result);
    }

    /// <summary>Feeds the proxy's answer as the driver would: sized by the hint, then stepped (or rejected).</summary>
    private static StepResult Feed(ClientConnector connector, string step, byte[] answer)
    {
        StepPlan plan = connector.Next!;
        Assert.Equal((step, ConnectionPhase.Proxy), (plan.Name, plan.Phase));
        FrameHint hint = plan.Read!;
        FrameSize size = hint.FindSize(answer.AsSpan(0, Math.Min(answer.Length, hint.HeaderLength)));
        if (size.Status == FrameSizeStatus.Invalid)
        {
            return connector.RejectFrame(size.Error!.Value, answer.AsSpan(0, Math.Min(answer.Length, hint.HeaderLength)));
        }

        Assert.Equal(FrameSize.Complete(answer.Length), size);
        Assert.True(answer.Length <= hint.MaxFrameLength);
        return connector.Step(answer, new ArrayBufferWriter<byte>());
    }

    [Fact]
    public void Socks5_without_a_user_offers_no_authentication_then_connects_by_name_then_runs_x224_on_the_same_connection()
    {
        ClientConnector connector = Connector(ProxyKind.Socks5);
        (byte[] methods, StepResult offered) = Send(connector, ProxySteps.Auth);
        Assert.Equal(Hex("05 01 00"), methods);
        Assert.True(offered.Continues);

        Assert.Null(Feed(connector, ProxySteps.Auth, Hex("05 00")).Failure);
        (byte[] request, _) = Send(connector, ProxySteps.Tunnel);
        Assert.Equal(Hex("05 01 00 03 0f 72 64 70 2e 65 78 61 6d 70 6c 65 2e 63 6f 6d 0d 3d"), request);

        StepResult opened = Feed(connector, ProxySteps.Tunnel, Hex("05 00 00 01 0a 00 00 01 c3 50"));
        Assert.Null(opened.Failure);
        Assert.Equal(ConnectionPhase.Proxy, connector.State.Reached);
        Assert.Equal(new ProxyFacts(ProxyKind.Socks5) { Method = "no authentication required", Bound = "10.0.0.1:50000", Tunnelled = true }, connector.State.Proxy);
        Assert.Equal(X224Negotiation.ConnectionRequestStep, connector.Next!.Name);
    }

    [Fact]
    public void Socks5_with_a_user_sends_rfc_1929_credentials_and_records_them_without_the_password()
    {
        ClientConnector connector = Connector(ProxyKind.Socks5, "10.0.0.5", "alice", "secret");
        (byte[] methods, _) = Send(connector, ProxySteps.Auth);
        Assert.Equal(Hex("05 02 00 02"), methods);

        var output = new ArrayBufferWriter<byte>();
        StepResult credentials = connector.Step(Hex("05 02"), output);
        Assert.Equal(Hex("01 05 61 6c 69 63 65 06 73 65 63 72 65 74"), output.WrittenSpan.ToArray());
        Assert.Equal(Hex("01 05 61 6c 69 63 65 06 2a 2a 2a 2a 2a 2a"), credentials.RedactedOutput);
        Assert.True(credentials.Continues);
        Assert.DoesNotContain(credentials.Fields, f => f.Value.Contains("secret", StringComparison.Ordinal));

        Assert.Null(Feed(connector, ProxySteps.Auth, Hex("01 00")).Failure);
        Assert.Equal("alice", connector.State.Proxy!.AuthenticatedAs);
        (byte[] request, _) = Send(connector, ProxySteps.Tunnel);
        Assert.Equal(Hex("05 01 00 01 0a 00 00 05 0d 3d"), request);
    }

    [Theory]
    [InlineData("05 ff", null, "proxy-no-acceptable-method")]
    [InlineData("05 01", null, "proxy-no-acceptable-method")]
    [InlineData("05 02", null, "proxy-auth-required")]
    public void A_socks5_method_refusal_is_typed_at_proxy_auth(string selection, string? user, string cause)
    {
        ClientConnector connector = Connector(ProxyKind.Socks5, user: user);
        Send(connector, ProxySteps.Auth);
        StepResult result = Feed(connector, ProxySteps.Auth, Hex(selection));
        Assert.Equal(cause, Cause(result));
        Assert.True(connector.IsTerminal);
    }

    [Fact]
    public void A_refused_username_and_password_is_typed_at_proxy_auth()
    {
        ClientConnector connector = Connector(ProxyKind.Socks5, user: "alice", password: "wrong");
        Send(connector, ProxySteps.Auth);
        connector.Step(Hex("05 02"), new ArrayBufferWriter<byte>());
        StepResult result = Feed(connector, ProxySteps.Auth, Hex("01 01"));
        Assert.Equal("proxy-auth-failed", Cause(result));
        Assert.Equal(1u, result.Failure!.Code);
    }

    [Theory]
    [InlineData(0x01, "general-failure")]
    [InlineData(0x02, "not-allowed")]
    [InlineData(0x03, "network-unreachable")]
    [InlineData(0x04, "host-unreachable")]
    [InlineData(0x05, "connection-refused")]
    [InlineData(0x06, "ttl-expired")]
    [InlineData(0x07, "command-not-supported")]
    [InlineData(0x08, "address-type-not-supported")]
    [InlineData(0x42, "0x42")]
    public void Every_socks5_reply_code_is_a_typed_cause_at_proxy_tunnel(byte code, string detail)
    {
        StepResult result = ThroughToTheReply([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
        Assert.Equal($"socks-reply:{detail}", Cause(result));
        Assert.Equal(code, result.Failure!.Code);
    }

    [Fact]
    public void A_refusal_whose_address_does_not_parse_is_still_named_by_its_code()
    {
        StepResult result = ThroughToTheReply(Hex("05 05 00 09 00 00"));
        Assert.Equal("socks-reply:connection-refused", Cause(result));
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\n\r\n", "proxy-protocol-mismatch:HTTP")]
    [InlineData("\u0000\u005b\u0000\u0000", "proxy-protocol-mismatch:SOCKS4")]
    [InlineData("\u00de\u00ad\u00be\u00ef", "malformed-response")]
    public void An_answer_that_is_not_socks5_says_what_it_is(string answer, string cause) =>
        Assert.Equal(cause, Cause(ThroughToTheReply(System.Text.Encoding.Latin1.GetBytes(answer))));

    private static StepResult ThroughToTheReply(byte[] reply)
    {
        ClientConnector connector = Connector(ProxyKind.Socks5);
        Send(connector, ProxySteps.Auth);
        Feed(connector, ProxySteps.Auth, Hex("05 00"));
        Send(connector, ProxySteps.Tunnel);
        StepResult result = Feed(connector, ProxySteps.Tunnel, reply);
        Assert.True(connector.IsTerminal);
        Assert.False(connector.State.Proxy!.Tunnelled);
        return result;
    }

    [Fact]
    public void Http_connect_sends_basic_credentials_with_the_request_and_records_them_overwritten()
    {
        // RFC 7617 2: the user-pass "Aladdin:open sesame" is QWxhZGRpbjpvcGVuIHNlc2FtZQ== in base64.
        ClientConnector connector = Connector(ProxyKind.HttpConnect, "rdp.example.com", "Aladdin", "open sesame");
        (byte[] sent, StepResult result) = Send(connector, ProxySteps.Tunnel);
        Assert.Equal("CONNECT rdp.example.com:3389 HTTP/1.1\r\nHost: rdp.example.com:3389\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n", System.Text.Encoding.ASCII.GetString(sent));
        string recorded = System.Text.Encoding.ASCII.GetString(result.RedactedOutput!);
        Assert.Equal(sent.Length, result.RedactedOutput!.Length);
        Assert.DoesNotContain("QWxhZGRpbjpvcGVuIHNlc2FtZQ==", recorded, StringComparison.Ordinal);
        Assert.Contains("Proxy-Authorization: Basic ****************************\r\n", recorded, StringComparison.Ordinal);

        StepResult opened = Feed(connector, ProxySteps.Tunnel, System.Text.Encoding.ASCII.GetBytes("HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n"));
        Assert.Null(opened.Failure);
        Assert.Equal(new ProxyFacts(ProxyKind.HttpConnect)
        {
            HttpStatus = 200,
            StatusLine = "HTTP/1.0 200 Connection established",
            Agent = "tinyproxy/1.11.1",
            AuthenticatedAs = "Aladdin",
            Tunnelled = true,
        }, connector.State.Proxy);
        Assert.Equal(X224Negotiation.ConnectionRequestStep, connector.Next!.Name);
    }

    [Fact]
    public void Http_connect_to_an_ipv6_server_brackets_the_authority()
    {
        (byte[] sent, _) = Send(Connector(ProxyKind.HttpConnect, "2001:db8::5"), ProxySteps.Tunnel);
        Assert.StartsWith("CONNECT [2001:db8::5]:3389 HTTP/1.1\r\nHost: [2001:db8::5]:3389\r\n", System.Text.Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n\r\n", "proxy-auth-required")]
    [InlineData("alice", "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n\r\n", "proxy-auth-failed")]
    [InlineData("alice", "HTTP/1.0 401 Unauthorized\r\n\r\n", "proxy-auth-failed")]
    [InlineData(null, "HTTP/1.1 403 Forbidden\r\n\r\n", "proxy-http-status:403")]
    [InlineData(null, "HTTP/1.1 502 Bad Gateway\r\n\r\n", "proxy-http-status:502")]
    [InlineData(null, "HTTP/1.1 504 Gateway Timeout\r\n\r\n", "proxy-http-status:504")]
    [InlineData(null, "HTTP/1.1 500 Unable to connect\r\n\r\n", "proxy-http-status:500")]
    [InlineData(null, "HTTP/1.1 301 Moved Permanently\r\nLocation: http://x/\r\n\r\n", "proxy-http-status:301")]
    [InlineData(null, "\u0005\u0000", "proxy-protocol-mismatch:SOCKS5")]
    [InlineData(null, "SSH-2.0-OpenSSH_9.2\r\n", "proxy-protocol-mismatch:SSH")]
    [InlineData(null, "HTTP/1.1 200 OK\r\nBad Field\r\n\r\n", "malformed-response")]
    public void Every_http_refusal_is_a_typed_cause_at_proxy_tunnel(string? user, string answer, string cause)
    {
        ClientConnector connector = Connector(ProxyKind.HttpConnect, user: user, password: user is null ? null : "pw");
        Send(connector, ProxySteps.Tunnel);
        StepResult result = Feed(connector, ProxySteps.Tunnel, System.Text.Encoding.Latin1.GetBytes(answer));
        Assert.Equal(cause, Cause(result));
        Assert.True(connector.IsTerminal);
        Assert.False(connector.State.Proxy?.Tunnelled ?? false);
    }

    [Fact]
    public void Without_a_proxy_the_sequence_starts_with_x224()
    {
        var connector = new ClientConnector(new ClientConnectorOptions { Until = ConnectionPhase.X224 }, new ConnectorServices { Random = ConnectorTestRandom.Instance });
        Assert.Equal(X224Negotiation.ConnectionRequestStep, connector.Next!.Name);
        Assert.Null(connector.State.Proxy);
    }

    private static string Cause(StepResult result)
    {
        ProtocolFailure failure = result.Failure ?? throw new Xunit.Sdk.XunitException($"the step did not fail: {result.Summary}");
        return failure.Detail is null ? failure.Cause.Name() : $"{failure.Cause.Name()}:{failure.Detail}";
    }
}
