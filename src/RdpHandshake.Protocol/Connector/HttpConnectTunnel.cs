using System.Buffers;
using System.Security.Cryptography;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Http;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// An HTTP proxy's tunnel to the RDP server (RFC 9110 9.3.6): <c>CONNECT host:port HTTP/1.1</c>, with Basic credentials
/// (RFC 7617) sent with the request when a user is given, as curl and FreeRDP send them; any 2xx answer opens the tunnel
/// and the same connection carries RDP (<c>proxy.tunnel</c>).
/// </summary>
public sealed class HttpConnectTunnel(ConnectionState connection, ProxyTunnelRequest request) : ProxyTunnelSequence<HttpConnectTunnel.Steps>(Steps.SendConnect, ProxyKind.HttpConnect, "an HTTP proxy")
{
    /// <summary>What replaces each character of the credentials in the recorded copy of the request.</summary>
    public const char RedactionCharacter = '*';

    private bool _sentCredentials;

    public enum Steps
    {
        SendConnect,
        WaitResponse,
    }

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendConnect => new StepPlan(ProxySteps.Tunnel, ConnectionPhase.Proxy, null, FrameLayer.Transport),
        Steps.WaitResponse => new StepPlan(ProxySteps.Tunnel, ConnectionPhase.Proxy,
            new SizerFrameHint(ProxySteps.Tunnel, HttpResponseHead.PduName, HttpHead.MaxLength, HttpHead.MaxLength, buffered => HttpResponseHead.FindFrameSize(buffered)),
            FrameLayer.Transport),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendConnect => SendConnect(output),
        Steps.WaitResponse => ReceiveResponse(input),
    };

    private StepResult SendConnect(IBufferWriter<byte> output)
    {
        string authority = request.Authority;
        List<HttpHeader> fields = [new("Host", authority)];
        List<StepField> recorded = [new("request", $"CONNECT {authority} HTTP/1.1")];
        string? credentials = null;
        if (request.User is { } user && connection.Services.ProxyPassword is { } password)
        {
            credentials = BasicCredentials(user, password);
            _sentCredentials = true;
            fields.Add(new HttpHeader("Proxy-Authorization", $"Basic {credentials}"));
            recorded.Add(new StepField("Proxy-Authorization", $"Basic (user {user}; not shown)"));
        }

        var head = new HttpRequestHead("CONNECT", authority, "HTTP/1.1", fields);
        Pdu.Encode(head, output);
        connection.Proxy = new ProxyFacts(ProxyKind.HttpConnect);
        State = Steps.WaitResponse;
        byte[]? redacted = credentials is null ? null
            : Pdu.Encode(head with { Fields = [fields[0], new HttpHeader("Proxy-Authorization", $"Basic {new string(RedactionCharacter, credentials.Length)}")] });
        return new StepResult(ProxySteps.Tunnel, ConnectionPhase.Proxy, HttpRequestHead.PduName, recorded,
            $"CONNECT {authority}{(request.User is null ? string.Empty : $" as {request.User} (Basic)")}")
        {
            Continues = true,
            RedactedOutput = redacted,
        };
    }

    /// <summary>RFC 7617 2: base64 of the UTF-8 user-id, a colon and the password.</summary>
    private static string BasicCredentials(string user, IProxyPassword password)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(user);
        byte[] pair = new byte[name.Length + 1 + password.Utf8Length];
        try
        {
            name.CopyTo(pair, 0);
            pair[name.Length] = (byte)':';
            password.CopyUtf8(pair.AsSpan(name.Length + 1));
            return Convert.ToBase64String(pair);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pair);
        }
    }

    private StepResult ReceiveResponse(ReadOnlySpan<byte> frame)
    {
        DecodeResult<HttpResponseHead> decoded = Pdu.Decode<HttpResponseHead>(frame);
        if (!decoded.IsSuccess)
        {
            return MalformedAnswer(decoded.Error);
        }

        HttpResponseHead response = decoded.Value;
        string statusLine = $"{response.Version} {response.StatusCode:D3} {response.Reason}".TrimEnd();
        string? agent = response["Proxy-Agent"] ?? response["Server"];
        List<StepField> fields = [new("status", statusLine)];
        if (agent is not null)
        {
            fields.Add(new StepField("agent", agent));
        }

        string[] challenges = [.. HttpHead.FindAll(response.Fields, "Proxy-Authenticate")];
        foreach (string challenge in challenges)
        {
            fields.Add(new StepField("Proxy-Authenticate", challenge));
        }

        connection.Proxy = connection.Proxy! with { HttpStatus = response.StatusCode, StatusLine = statusLine, Agent = agent };
        if (response.StatusCode is >= 200 and < 300)
        {
            connection.Proxy = connection.Proxy with { Tunnelled = true, AuthenticatedAs = request.User };
            connection.Reach(ConnectionPhase.Proxy);
            Complete();
            return new StepResult(ProxySteps.Tunnel, ConnectionPhase.Proxy, HttpResponseHead.PduName, fields, $"the proxy opened the tunnel to {request.Authority}: {statusLine}");
        }

        string schemes = challenges.Length == 0 ? "no Proxy-Authenticate challenge" : string.Join(", ", challenges.Select(c => c.Split(' ')[0]));
        string asks = challenges.Length == 0 ? schemes : $"it asks for {schemes}";
        ProtocolFailure failure = response.StatusCode switch
        {
            // 407 is the proxy's own challenge (RFC 9110 15.5.8); tinyproxy answers wrong Basic credentials with 401.
            407 or 401 when !_sentCredentials => new ProtocolFailure(CauseId.ProxyAuthRequired,
                $"the HTTP proxy requires authentication ({statusLine}; {schemes}), and no {(request.User is null ? "user" : "password")} was given") { Code = (uint)response.StatusCode },
            407 or 401 => new ProtocolFailure(CauseId.ProxyAuthFailed,
                $"the HTTP proxy refused user {request.User} with Basic credentials ({statusLine}; {asks})") { Code = (uint)response.StatusCode },
            _ => new ProtocolFailure(CauseId.ProxyHttpStatus, $"the HTTP proxy did not open a tunnel to {request.Authority}: {statusLine}")
            {
                Detail = response.StatusCode.ToString("D3", System.Globalization.CultureInfo.InvariantCulture),
                Code = (uint)response.StatusCode,
            },
        };
        return Fail(ProxySteps.Tunnel, ConnectionPhase.Proxy, HttpResponseHead.PduName, fields, failure);
    }

    /// <summary>An answer that is not an HTTP response: a SOCKS server, a TLS service, SSH, or garbage.</summary>
    public override StepResult RejectFrame(DecodeError error, ReadOnlySpan<byte> received)
    {
        return UnexpectedAnswer(error, received);
    }
}
