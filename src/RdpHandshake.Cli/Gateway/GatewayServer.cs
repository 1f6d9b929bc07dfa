using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Gateway;
using RdpHandshake.TestServer;

namespace RdpHandshake.Cli.Gateway;

/// <summary>The steps of the gateway's side where a fault can be injected, by their report names.</summary>
internal static class GatewaySteps
{
    public const string Tls = "gateway.tls";
    public const string HttpAuth = "gateway.http-auth";
    public const string Handshake = "gateway.handshake";
    public const string Tunnel = "gateway.tunnel";
    public const string Authorize = "gateway.authorize";
    public const string Channel = "gateway.channel";

    public static IReadOnlyList<string> All { get; } = [Tls, HttpAuth, Handshake, Tunnel, Authorize, Channel];
}

/// <summary>
/// A fault of the test gateway at one step: <c>close</c> (abort the connection), <c>stall</c> (never answer),
/// <c>garbage</c> (bytes that are no packet), an E_PROXY_* status in the step's response packet, or at
/// <c>gateway.http-auth</c> an HTTP status (401, 403, 404, 503). At <c>gateway.tls</c>, once the ClientHello has
/// arrived: <c>close</c> (FIN), <c>reset</c> (RST), <c>stall</c>, <c>garbage</c> (bytes that are not a TLS record)
/// or <c>alert</c> (a fatal handshake_failure alert).
/// </summary>
internal sealed record GatewayFault(string Step, string Kind, uint? Status = null, int? HttpStatus = null)
{
    public override string ToString() => $"{Step}:{Kind}";

    /// <summary>Parses <c>STEP:KIND</c>; the error says what is wrong.</summary>
    public static bool TryParse(string text, out GatewayFault? fault, out string? error)
    {
        fault = null;
        error = null;
        string[] parts = text.Split(':', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !GatewaySteps.All.Contains(parts[0]))
        {
            error = $"'{text}': expected STEP:KIND with STEP one of {string.Join(", ", GatewaySteps.All)}";
            return false;
        }

        string kind = parts[1];
        if (parts[0] == GatewaySteps.Tls)
        {
            if (kind is "close" or "reset" or "stall" or "garbage" or "alert")
            {
                fault = new GatewayFault(parts[0], kind);
                return true;
            }

            error = $"'{text}': {GatewaySteps.Tls} takes close, reset, stall, garbage or alert";
            return false;
        }

        if (kind is "close" or "stall")
        {
            fault = new GatewayFault(parts[0], kind);
            return true;
        }

        if (parts[0] == GatewaySteps.HttpAuth)
        {
            if (int.TryParse(kind, NumberStyles.None, CultureInfo.InvariantCulture, out int http) && http is 401 or 403 or 404 or 500 or 502 or 503)
            {
                fault = new GatewayFault(parts[0], kind, HttpStatus: http);
                return true;
            }

            error = $"'{text}': {GatewaySteps.HttpAuth} takes close, stall, 401, 403, 404, 500, 502 or 503";
            return false;
        }

        if (kind is "garbage" or "huge-length")
        {
            fault = new GatewayFault(parts[0], kind);
            return true;
        }

        TsguStatusEntry? named = TsguStatus.All.FirstOrDefault(e => string.Equals(e.Name, kind, StringComparison.OrdinalIgnoreCase));
        if (named is not null)
        {
            fault = new GatewayFault(parts[0], named.Name, named.Code);
            return true;
        }

        if (kind.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && uint.TryParse(kind.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint code))
        {
            fault = new GatewayFault(parts[0], kind, code);
            return true;
        }

        error = $"'{text}': KIND is close, stall, garbage, huge-length, an E_PROXY_* name (e.g. E_PROXY_RAP_ACCESSDENIED) or 0xHHHHHHHH";
        return false;
    }
}

/// <summary>How the test gateway behaves.</summary>
internal sealed record GatewayServerOptions
{
    public required IPEndPoint Listen { get; init; }

    /// <summary>The accounts HTTP authentication accepts.</summary>
    public required IReadOnlyList<TestAccount> Accounts { get; init; }

    /// <summary>The resource policy: the HOST:PORT targets a channel may be created to (none: every one).</summary>
    public IReadOnlyList<(string Host, int Port)> Allowed { get; init; } = [];

    public bool Ntlm { get; init; } = true;

    public bool Basic { get; init; } = true;

    /// <summary>
    /// The keytab with the gateway's <c>HTTP/</c> keys: Negotiate (RFC 4559, Kerberos in SPNEGO) is accepted through
    /// the system GSS-API with it; null offers no Negotiate.
    /// </summary>
    public string? KerberosKeytab { get; init; }

    public bool WebSocket { get; init; } = true;

    /// <summary>
    /// The pluggable authentication cookie every tunnel must carry (MS-TSGU 2.2.10.19), or null for none. With one, a
    /// request marked <c>RDG-Auth-Scheme: PAA</c> needs no HTTP authentication: the cookie in the tunnel create
    /// authenticates it. A tunnel create without it is refused with E_PROXY_COOKIE_BADPACKET, one with another
    /// cookie with E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED (MS-TSGU 3.2.6.1.1).
    /// </summary>
    public string? PaaCookie { get; init; }

    public bool Http { get; init; } = true;

    public required X509Certificate2 Certificate { get; init; }

    public IReadOnlyList<GatewayFault> Faults { get; init; } = [];

    public NtlmIdentity Identity { get; init; } = new();

    /// <summary>How long the gateway waits for the target's TCP connect.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the HTTP transport's OUT channel waits for its IN channel.</summary>
    public TimeSpan InChannelWait { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>What one tunnel through the test gateway did, for its line of output.</summary>
internal sealed record GatewayTunnelRecord(string Remote, string Transport, string? User, string? Target, string Outcome, long ToTarget, long FromTarget)
{
    public override string ToString() =>
        $"gateway {Remote}: {Transport}, user {User ?? "-"}, target {Target ?? "-"}: {Outcome} ({ToTarget} bytes to the target, {FromTarget} from it)";
}

/// <summary>
/// <c>rdphs serve --gateway</c>: an RD Gateway (MS-TSGU HTTP transport) on Kestrel over HTTPS. It speaks both
/// transports (MS-TSGU 3.3.5.1): the WebSocket upgrade of RDG_OUT_DATA, and the pair of RDG_OUT_DATA (gateway to
/// client, after a 10-byte seed) and RDG_IN_DATA (client to gateway, chunked) tied by RDG-Connection-Id.
/// It authenticates with NTLM or Basic against the test server's accounts, applies a resource policy at channel
/// create, relays to the target, and misbehaves on demand at each step.
/// </summary>
internal sealed class GatewayServer : IAsyncDisposable
{
    private const string UserItem = "rdphs.gateway.user";
    private const string NtlmItem = "rdphs.gateway.ntlm";

    /// <summary>The user of a tunnel that authenticates with its PAA cookie alone.</summary>
    private const string PaaUser = "(paa cookie)";

    private readonly GatewayServerOptions _options;
    private readonly ILogger _log;
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, HttpTunnel> _httpTunnels = new(StringComparer.OrdinalIgnoreCase);

    private GatewayServer(GatewayServerOptions options, ILogger log)
    {
        _options = options;
        _log = log;
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A tunnel is long-lived and may be idle: no minimum data rates, no body size limit (set per request).
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (options.Faults.FirstOrDefault(f => f.Step == GatewaySteps.Tls) is { } tlsFault)
                {
                    // Before the TLS layer: the fault answers the ClientHello instead of Kestrel's TLS.
                    listen.Use(_ => connection => TlsFaultAsync(connection, tlsFault));
                }

                listen.UseHttps(options.Certificate);
            });
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>Called when a tunnel (or a refused attempt) ends.</summary>
    public event Action<GatewayTunnelRecord>? TunnelEnded;

    /// <summary>The address listened on, with the port the system chose for port 0.</summary>
    public IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    public static async Task<GatewayServer> StartAsync(GatewayServerOptions options, ILogger log, CancellationToken cancellationToken = default)
    {
        var server = new GatewayServer(options, log);
        await server._app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = new Uri(server._app.Urls.First());
        server.Endpoint = new IPEndPoint(options.Listen.Address, address.Port);
        return server;
    }

    /// <summary>A self-signed certificate for <c>localhost</c> and the loopback addresses, made at start.</summary>
    public static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        // Kestrel needs a certificate whose key is usable from a PKCS#12 import on Linux.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private GatewayFault? FaultAt(string step) => _options.Faults.FirstOrDefault(f => f.Step == step);

    private void Report(HttpContext context, string transport, string? user, string? target, string outcome, long toTarget = 0, long fromTarget = 0)
    {
        string remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        TunnelEnded?.Invoke(new GatewayTunnelRecord(remote, transport, user, target, outcome, toTarget, fromTarget));
    }

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        bool wantsWebSocket = request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        bool isOut = request.Method == "RDG_OUT_DATA" || (HttpMethods.IsGet(request.Method) && wantsWebSocket);
        bool isIn = request.Method == "RDG_IN_DATA";
        if (!request.Path.StartsWithSegments("/remoteDesktopGateway", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!isOut && !isIn)
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        IDictionary<object, object?> items = context.Features.Get<IConnectionItemsFeature>()!.Items;
        string? user = items.TryGetValue(UserItem, out object? known) ? known as string : null;
        if (user is null)
        {
            if (FaultAt(GatewaySteps.HttpAuth) is { } fault)
            {
                await ApplyHttpFaultAsync(context, fault).ConfigureAwait(false);
                Report(context, isIn ? "http-in" : "out", null, null, $"fault {fault}");
                return;
            }

            user = _options.PaaCookie is not null && string.Equals(request.Headers["RDG-Auth-Scheme"].ToString(), "PAA", StringComparison.OrdinalIgnoreCase)
                ? PaaUser
                : Authenticate(context, items);
            if (user is null)
            {
                return;
            }

            items[UserItem] = user;
        }

        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize = null;
        if (isIn)
        {
            await ServeInChannelAsync(context, user).ConfigureAwait(false);
            return;
        }

        if (wantsWebSocket && _options.WebSocket && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            string key = request.Headers["Sec-WebSocket-Key"].ToString();
            context.Response.Headers["Sec-WebSocket-Accept"] = WebSocketFrame.AcceptFor(key);
            context.Response.Headers.Upgrade = "websocket";
            context.Response.Headers.Connection = "Upgrade";
            Stream stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
            using WebSocket socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
            var pipe = new PacketPipe(
                async (buffer, token) =>
                {
                    while (true)
                    {
                        ValueWebSocketReceiveResult received = await socket.ReceiveAsync(buffer, token).ConfigureAwait(false);
                        if (received.MessageType == WebSocketMessageType.Close)
                        {
                            return 0;
                        }

                        if (received.Count > 0)
                        {
                            return received.Count;
                        }
                    }
                },
                (packet, token) => socket.SendAsync(packet.AsMemory(), WebSocketMessageType.Binary, true, token));
            await RunTunnelAsync(context, pipe, "websocket", user).ConfigureAwait(false);
            if (socket.State == WebSocketState.Open)
            {
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closing.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
                {
                    // The client went first; nothing to close.
                }
            }

            return;
        }

        if (!_options.Http)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            Report(context, "http-out", user, null, "refused: the HTTP transport is off (--gateway-transports websocket)");
            return;
        }

        await ServeOutChannelAsync(context, user).ConfigureAwait(false);
    }

    /// <summary>
    /// HTTP authentication (MS-TSGU 3.3.5.1 step 1): NTLM across two requests on one connection (the NEGOTIATE gets
    /// 401 with the CHALLENGE), Negotiate with Kerberos (RFC 4559: the SPNEGO token to the system GSS-API, its answer,
    /// the AP-REP, in the 101 or 200), or Basic. The user, or null after a 401 was written.
    /// </summary>
    private string? Authenticate(HttpContext context, IDictionary<object, object?> items)
    {
        string header = context.Request.Headers.Authorization.ToString();
        if (_options.KerberosKeytab is { } keytab && header.StartsWith("Negotiate ", StringComparison.OrdinalIgnoreCase) && TryBase64(header[10..], out byte[] spnego))
        {
            using GssapiAcceptor? acceptor = GssapiAcceptor.TryCreate(keytab, out string? unusable);
            if (acceptor is null)
            {
                Report(context, "auth", null, null, $"refused: Negotiate: {unusable}");
                Deny(context, null);
                return null;
            }

            GssAcceptResult result = acceptor.Accept(spnego);
            if (result.Status == GssAcceptStatus.Complete && acceptor.ClientName is { } client)
            {
                if (result.Output.Length > 0)
                {
                    context.Response.Headers.WWWAuthenticate = $"Negotiate {Convert.ToBase64String(result.Output)}";
                }

                return client;
            }

            // Kerberos needs no second round trip: an unfinished context is refused like a failed one, with GSS-API's token.
            Report(context, "auth", null, null, $"refused: Negotiate authentication failed: {(result.Status == GssAcceptStatus.Failed ? result.Message : "the context needs another round trip")}");
            Deny(context, result.Output.Length > 0 ? $"Negotiate {Convert.ToBase64String(result.Output)}" : null);
            return null;
        }

        if (_options.Ntlm && header.StartsWith("NTLM ", StringComparison.OrdinalIgnoreCase) && TryBase64(header[5..], out byte[] token) && token.Length > 12)
        {
            if (token[8] == 1)
            {
                var acceptor = new NtlmAcceptor(_options.Accounts, _options.Identity);
                if (acceptor.Challenge(token) is { } challenge)
                {
                    items[NtlmItem] = acceptor;
                    Deny(context, $"NTLM {Convert.ToBase64String(challenge)}");
                    return null;
                }
            }
            else if (token[8] == 3 && items.TryGetValue(NtlmItem, out object? pending) && pending is NtlmAcceptor acceptor)
            {
                items.Remove(NtlmItem);
                if (acceptor.Authenticate(token) is { } user)
                {
                    return user;
                }

                Report(context, "auth", null, null, "refused: NTLM authentication failed");
            }
        }
        else if (_options.Basic && header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && TryBase64(header[6..], out byte[] basic))
        {
            string[] pair = Encoding.UTF8.GetString(basic).Split(':', 2);
            if (pair.Length == 2)
            {
                string name = pair[0];
                string domain = string.Empty;
                if (name.Split('\\', 2) is [var d, var u])
                {
                    domain = d;
                    name = u;
                }

                TestAccount? account = _options.Accounts.FirstOrDefault(a => string.Equals(a.User, name, StringComparison.OrdinalIgnoreCase)
                    && (a.Domain.Length == 0 || string.Equals(a.Domain, domain, StringComparison.OrdinalIgnoreCase)));
                if (account is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(account.Password), Encoding.UTF8.GetBytes(pair[1])))
                {
                    return domain.Length == 0 ? name : $"{domain}\\{name}";
                }
            }

            Report(context, "auth", null, null, "refused: Basic authentication failed");
        }

        Deny(context, null);
        return null;
    }

    private void Deny(HttpContext context, string? challenge)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        var schemes = new List<string>();
        if (challenge is not null)
        {
            schemes.Add(challenge);
        }
        else
        {
            if (_options.KerberosKeytab is not null)
            {
                schemes.Add("Negotiate");
            }

            if (_options.Ntlm)
            {
                schemes.Add("NTLM");
            }

            if (_options.Basic)
            {
                schemes.Add("Basic realm=\"rdphs gateway\"");
            }
        }

        context.Response.Headers.WWWAuthenticate = schemes.ToArray();
        context.Response.ContentLength = 0;
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), bytes, out int written) && (bytes = bytes[..written]).Length > 0;
    }

    /// <summary>A fault at <c>gateway.tls</c>: waits for the ClientHello's first bytes, then misbehaves in its place.</summary>
    private async Task TlsFaultAsync(ConnectionContext connection, GatewayFault fault)
    {
        System.IO.Pipelines.PipeReader input = connection.Transport.Input;
        try
        {
            System.IO.Pipelines.ReadResult hello = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
            input.AdvanceTo(hello.Buffer.End);
            switch (fault.Kind)
            {
                case "close":
                    await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
                    break;
                case "reset":
                    connection.Abort();
                    break;
                case "stall":
                    await StallAsync(connection.ConnectionClosed).ConfigureAwait(false);
                    break;
                case "garbage":
                    await connection.Transport.Output.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), connection.ConnectionClosed).ConfigureAwait(false);
                    await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
                    break;
                default:
                    // A TLS 1.2 record: alert(21), fatal(2), handshake_failure(40) (RFC 5246 7.2).
                    await connection.Transport.Output.WriteAsync(new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 }, connection.ConnectionClosed).ConfigureAwait(false);
                    await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
        {
            // The client gave up first.
        }

        string remote = connection.RemoteEndPoint?.ToString() ?? "-";
        TunnelEnded?.Invoke(new GatewayTunnelRecord(remote, "tls", null, null, $"fault {fault}", 0, 0));
    }

    /// <summary>The status that refuses the tunnel create's PAA cookie (MS-TSGU 3.2.6.1.1), or null when it is the expected one.</summary>
    private static uint? PaaRefusal(TsguTunnelCreate create, string expected)
    {
        if (create.PaaCookie is not { Length: > 0 } cookie)
        {
            return TsguStatus.CookieBadPacket;
        }

        byte[] given = Encoding.UTF8.GetBytes(TsguText.Text(cookie));
        return CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(expected)) ? null : TsguStatus.CookieAuthenticationAccessDenied;
    }

    private static async Task ApplyHttpFaultAsync(HttpContext context, GatewayFault fault)
    {
        switch (fault.Kind)
        {
            case "close":
                context.Abort();
                break;
            case "stall":
                await StallAsync(context.RequestAborted).ConfigureAwait(false);
                break;
            default:
                context.Response.StatusCode = fault.HttpStatus!.Value;
                context.Response.ContentLength = 0;
                break;
        }
    }

    private static async Task StallAsync(CancellationToken aborted)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client gave up, as it should.
        }
    }

    /// <summary>
    /// RDG_OUT_DATA of the HTTP transport: 200, the 10-byte seed FreeRDP and mstsc skip (MS-TSGU 3.3.5.1), then every
    /// packet the gateway sends, in one chunked body; the packets from the client come through the RDG_IN_DATA request
    /// with the same RDG-Connection-Id.
    /// </summary>
    private async Task ServeOutChannelAsync(HttpContext context, string user)
    {
        string id = context.Request.Headers["RDG-Connection-Id"].ToString();
        if (id.Length == 0)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            Report(context, "http-out", user, null, "refused: RDG_OUT_DATA without RDG-Connection-Id");
            return;
        }

        var tunnel = new HttpTunnel();
        _httpTunnels[id] = tunnel;
        try
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.Headers.ContentType = "application/octet-stream";
            Stream body = context.Response.Body;
            await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
            await body.WriteAsync(RandomNumberGenerator.GetBytes(10), context.RequestAborted).ConfigureAwait(false);
            await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            Stream inBody;
            try
            {
                inBody = await tunnel.InBody.Task.WaitAsync(_options.InChannelWait, context.RequestAborted).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Report(context, "http", user, null, $"no RDG_IN_DATA within {_options.InChannelWait.TotalSeconds:0} s");
                return;
            }

            var pipe = new PacketPipe(
                (buffer, token) => inBody.ReadAsync(buffer, token),
                async (packet, token) =>
                {
                    await body.WriteAsync(packet, token).ConfigureAwait(false);
                    await body.FlushAsync(token).ConfigureAwait(false);
                });
            await RunTunnelAsync(context, pipe, "http", user).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client closed the OUT channel.
        }
        finally
        {
            tunnel.Done.TrySetResult();
            _httpTunnels.TryRemove(new KeyValuePair<string, HttpTunnel>(id, tunnel));
        }
    }

    /// <summary>
    /// RDG_IN_DATA: the authenticated request without a body gets 200 at once; the one with a chunked body hands its
    /// body to the OUT channel of the same RDG-Connection-Id and lasts as long as that tunnel.
    /// </summary>
    private async Task ServeInChannelAsync(HttpContext context, string user)
    {
        bool chunked = context.Request.Headers.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase);
        if (!chunked)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentLength = 0;
            return;
        }

        string id = context.Request.Headers["RDG-Connection-Id"].ToString();
        HttpTunnel? tunnel = null;
        for (int i = 0; i < 100 && !_httpTunnels.TryGetValue(id, out tunnel); i++)
        {
            await Task.Delay(50, context.RequestAborted).ConfigureAwait(false);
        }

        if (tunnel is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            Report(context, "http-in", user, null, "refused: RDG_IN_DATA names no open RDG_OUT_DATA");
            return;
        }

        tunnel.InBody.TrySetResult(context.Request.Body);
        try
        {
            await tunnel.Done.Task.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client closed the IN channel.
        }
    }

    /// <summary>
    /// The tunnel (MS-TSGU 3.3.5.1 steps 3 to 7): handshake, tunnel create, tunnel authorize, channel create with the
    /// resource policy and the connection to the target, then DATA both ways until either side closes.
    /// </summary>
    private async Task RunTunnelAsync(HttpContext context, PacketPipe pipe, string transport, string user)
    {
        CancellationToken aborted = context.RequestAborted;
        string? target = null;
        string outcome = "closed";
        long toTarget = 0;
        long fromTarget = 0;
        try
        {
            byte[]? packet = await pipe.ReadAsync(aborted).ConfigureAwait(false);
            if (packet is null || !Pdu.Decode<TsguHandshakeRequest>(packet).IsSuccess)
            {
                outcome = packet is null ? "the client closed before the handshake" : "refused: no HTTP_HANDSHAKE_REQUEST_PACKET first";
                return;
            }

            TsguExtendedAuth extended = _options.PaaCookie is not null && Pdu.Decode<TsguHandshakeRequest>(packet).Value.ExtendedAuth.HasFlag(TsguExtendedAuth.Paa) ? TsguExtendedAuth.Paa : TsguExtendedAuth.None;
            if (!await AnswerAsync(context, pipe, GatewaySteps.Handshake, code => Pdu.Encode(new TsguHandshakeResponse(code, extended, 1, 0, 0))).ConfigureAwait(false))
            {
                outcome = $"fault {FaultAt(GatewaySteps.Handshake)}";
                return;
            }

            packet = await pipe.ReadAsync(aborted).ConfigureAwait(false);
            DecodeResult<TsguTunnelCreate> create = packet is null ? default : Pdu.Decode<TsguTunnelCreate>(packet);
            if (!create.IsSuccess)
            {
                outcome = "refused: no HTTP_TUNNEL_PACKET after the handshake";
                return;
            }

            if (_options.PaaCookie is { } expected && PaaRefusal(create.Value, expected) is { } refusal)
            {
                await pipe.WriteAsync(Pdu.Encode(new TsguTunnelResponse(refusal)), aborted).ConfigureAwait(false);
                outcome = $"refused: {(create.Value.PaaCookie is null ? "no PAA cookie" : "the PAA cookie is not the one expected")}: {TsguStatus.Name(refusal)}";
                return;
            }

            TsguCapabilities caps = TsguCapabilities.QuarantineSoh | TsguCapabilities.ConsentMessage | TsguCapabilities.ServiceMessage;
            if (!await AnswerAsync(context, pipe, GatewaySteps.Tunnel, code => Pdu.Encode(new TsguTunnelResponse(code, TunnelId: 1, Capabilities: caps))).ConfigureAwait(false))
            {
                outcome = $"fault {FaultAt(GatewaySteps.Tunnel)}";
                return;
            }

            packet = await pipe.ReadAsync(aborted).ConfigureAwait(false);
            if (packet is null || !Pdu.Decode<TsguTunnelAuth>(packet).IsSuccess)
            {
                outcome = "refused: no HTTP_TUNNEL_AUTH_PACKET after the tunnel";
                return;
            }

            if (!await AnswerAsync(context, pipe, GatewaySteps.Authorize, code => Pdu.Encode(new TsguTunnelAuthResponse(code, RedirectionFlags: 0x80000000, IdleTimeoutMinutes: 0))).ConfigureAwait(false))
            {
                outcome = $"fault {FaultAt(GatewaySteps.Authorize)}";
                return;
            }

            packet = await pipe.ReadAsync(aborted).ConfigureAwait(false);
            DecodeResult<TsguChannelCreate> channel = packet is null ? default : Pdu.Decode<TsguChannelCreate>(packet);
            if (!channel.IsSuccess)
            {
                outcome = "refused: no HTTP_CHANNEL_PACKET after the authorization";
                return;
            }

            string host = TsguText.Text(channel.Value.Resources[0]);
            int port = channel.Value.Port;
            target = $"{host}:{port}";
            if (FaultAt(GatewaySteps.Channel) is { } fault)
            {
                await AnswerAsync(context, pipe, GatewaySteps.Channel, code => Pdu.Encode(new TsguChannelResponse(code))).ConfigureAwait(false);
                outcome = $"fault {fault}";
                return;
            }

            if (_options.Allowed.Count > 0 && !_options.Allowed.Any(a => string.Equals(a.Host, host, StringComparison.OrdinalIgnoreCase) && a.Port == port))
            {
                await pipe.WriteAsync(Pdu.Encode(new TsguChannelResponse(TsguStatus.RapAccessDenied)), aborted).ConfigureAwait(false);
                outcome = "refused by the resource policy: E_PROXY_RAP_ACCESSDENIED";
                return;
            }

            using var client = new TcpClient();
            try
            {
                using var connect = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                connect.CancelAfter(_options.ConnectTimeout);
                await client.ConnectAsync(host, port, connect.Token).ConfigureAwait(false);
                client.NoDelay = true;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException && !aborted.IsCancellationRequested)
            {
                await pipe.WriteAsync(Pdu.Encode(new TsguChannelResponse(TsguStatus.TsConnectFailed)), aborted).ConfigureAwait(false);
                outcome = $"E_PROXY_TS_CONNECTFAILED: {(ex is SocketException s ? s.SocketErrorCode.ToString() : "connect timeout")}";
                return;
            }

            await pipe.WriteAsync(Pdu.Encode(new TsguChannelResponse(TsguStatus.Ok, ChannelId: 1)), aborted).ConfigureAwait(false);
            NetworkStream stream = client.GetStream();
            using var relay = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            Task fromTargetLoop = Task.Run(async () =>
            {
                byte[] buffer = new byte[16 * 1024];
                try
                {
                    int read;
                    while ((read = await stream.ReadAsync(buffer, relay.Token).ConfigureAwait(false)) > 0)
                    {
                        fromTarget += read;
                        await pipe.WriteAsync(Pdu.Encode(new TsguData(new ByteString(buffer.AsSpan(0, read)))), relay.Token).ConfigureAwait(false);
                    }

                    // The target closed: the gateway closes the channel (MS-TSGU 3.3.5.1 step 8).
                    await pipe.WriteAsync(Pdu.Encode(new TsguClose(0)), relay.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or WebSocketException or ObjectDisposedException)
                {
                    // Either side went away; the other loop ends too.
                }
            }, CancellationToken.None);
            outcome = "the client closed the tunnel";
            while (await pipe.ReadAsync(relay.Token).ConfigureAwait(false) is { } inbound)
            {
                switch (TsguPacketHeader.PeekType(inbound))
                {
                    case TsguPacketType.Data when Pdu.Decode<TsguData>(inbound) is { IsSuccess: true } data:
                        toTarget += data.Value.Payload.Length;
                        await stream.WriteAsync(data.Value.Payload.Span.ToArray(), relay.Token).ConfigureAwait(false);
                        break;
                    case TsguPacketType.CloseChannel:
                        await pipe.WriteAsync(Pdu.Encode(new TsguClose(0, Response: true)), relay.Token).ConfigureAwait(false);
                        outcome = "closed by the client's CLOSE_CHANNEL";
                        goto done;
                    case TsguPacketType.CloseChannelResponse:
                        outcome = "closed after the target ended the session";
                        goto done;
                    case TsguPacketType.KeepAlive:
                        break;
                    default:
                        outcome = $"ended: an unexpected {TsguPacketTypeNames.Name(TsguPacketHeader.PeekType(inbound) ?? 0)} from the client";
                        goto done;
                }
            }

        done:
            await relay.CancelAsync().ConfigureAwait(false);
            client.Close();
            await fromTargetLoop.ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            outcome = $"ended: {ex.Message}";
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or WebSocketException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            outcome = $"ended: the client went away ({ex.GetType().Name})";
        }
        finally
        {
            Report(context, transport, user, target, outcome, toTarget, fromTarget);
        }
    }

    /// <summary>Writes a step's response packet, or its fault; false when a fault ended the tunnel.</summary>
    private async Task<bool> AnswerAsync(HttpContext context, PacketPipe pipe, string step, Func<uint, byte[]> response)
    {
        GatewayFault? fault = FaultAt(step);
        switch (fault?.Kind)
        {
            case null:
                await pipe.WriteAsync(response(TsguStatus.Ok), context.RequestAborted).ConfigureAwait(false);
                return true;
            case "close":
                context.Abort();
                return false;
            case "stall":
                await StallAsync(context.RequestAborted).ConfigureAwait(false);
                return false;
            case "garbage":
                // A header whose length is smaller than any packet, then noise.
                await pipe.WriteAsync([0x47, 0x41, 0x52, 0x42, 0x02, 0x00, 0x00, 0x00, .. RandomNumberGenerator.GetBytes(24)], context.RequestAborted).ConfigureAwait(false);
                await StallAsync(context.RequestAborted).ConfigureAwait(false);
                return false;
            case "huge-length":
                // A response header announcing a 2 GiB packet, then a few bytes: a client must refuse the length, not wait or allocate.
                await pipe.WriteAsync([.. response(TsguStatus.Ok).AsSpan(0, 4), 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0], context.RequestAborted).ConfigureAwait(false);
                await StallAsync(context.RequestAborted).ConfigureAwait(false);
                return false;
            default:
                await pipe.WriteAsync(response(fault.Status!.Value), context.RequestAborted).ConfigureAwait(false);
                return false;
        }
    }

    /// <summary>The HTTP transport's pair: the IN channel's body, handed to the OUT channel; and the end of the tunnel.</summary>
    private sealed class HttpTunnel
    {
        public TaskCompletionSource<Stream> InBody { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Gateway packets over a byte source: read frames packets by their header (bounded by the largest DATA packet);
    /// writes are serialized, as the relay writes from two loops.
    /// </summary>
    private sealed class PacketPipe(Func<Memory<byte>, CancellationToken, ValueTask<int>> read, Func<byte[], CancellationToken, ValueTask> write)
    {
        private readonly byte[] _buffer = new byte[TsguPacketHeader.MaxPacketLength * 2];
        private readonly SemaphoreSlim _writing = new(1, 1);
        private int _count;

        public async ValueTask<byte[]?> ReadAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                FrameSize size = TsguPacketHeader.FindFrameSize(_buffer.AsSpan(0, _count));
                if (size.Status == FrameSizeStatus.Invalid)
                {
                    throw new InvalidDataException($"the client sent bytes that are not a gateway packet: {size.Error}");
                }

                if (size.Status == FrameSizeStatus.Complete && _count >= size.Length)
                {
                    byte[] packet = _buffer.AsSpan(0, size.Length).ToArray();
                    _buffer.AsSpan(size.Length, _count - size.Length).CopyTo(_buffer);
                    _count -= size.Length;
                    return packet;
                }

                int got = await read(_buffer.AsMemory(_count), cancellationToken).ConfigureAwait(false);
                if (got <= 0)
                {
                    return null;
                }

                _count += got;
            }
        }

        public async ValueTask WriteAsync(byte[] packet, CancellationToken cancellationToken)
        {
            await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await write(packet, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writing.Release();
            }
        }
    }
}
