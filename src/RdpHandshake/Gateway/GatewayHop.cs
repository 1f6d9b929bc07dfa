using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Diagnostics;
using RdpHandshake.Engine;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Gateway;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;
using RdpHandshake.Tls;
using RdpHandshake.Transport;

namespace RdpHandshake.Gateway;

/// <summary>
/// The RD Gateway hop (MS-TSGU 3.3.5.1, HTTP transport), step by step: <c>gateway.connect</c>, <c>gateway.tls</c>
/// (the gateway's certificate analysed as the host's is), <c>gateway.http-auth</c> (NTLM or Basic; for the HTTP
/// transport once on RDG_OUT_DATA and once on RDG_IN_DATA), <c>gateway.handshake</c>, <c>gateway.tunnel</c>,
/// <c>gateway.authorize</c> and <c>gateway.channel</c>. Its result is the tunnel as the transport the connection
/// sequence runs over; every way it can fail is a typed cause in phase <c>gateway</c>.
/// </summary>
internal sealed class GatewayHop(Attempt attempt, GatewayOptions gateway, ProbeTarget target, TimeProvider time)
{
    public const string ConnectStep = "gateway.connect";
    public const string TlsStep = "gateway.tls";
    public const string HttpAuthStep = "gateway.http-auth";
    public const string HandshakeStep = "gateway.handshake";
    public const string TunnelStep = "gateway.tunnel";
    public const string AuthorizeStep = "gateway.authorize";
    public const string ChannelStep = "gateway.channel";
    public const string CloseStep = "gateway.close";

    private const ConnectionPhase Phase = ConnectionPhase.Gateway;

    private readonly string _connectionId = $"{{{Guid.NewGuid().ToString().ToUpperInvariant()}}}";
    private ProbeOptions Options => attempt.Options;

    private TimeSpan ReadTimeout => Options.ReadTimeout;

    /// <summary>Opens the tunnel to the target: the transport, or the diagnosis of the step that failed.</summary>
    public async Task<(TunnelTransport? Tunnel, Diagnosis? Failure)> OpenAsync(CancellationToken cancellationToken)
    {
        bool wantWebSocket = gateway.Transport != GatewayTransport.Http;
        (GatewayConnection? outChannel, Diagnosis? failed) = await ConnectAsync("RDG_OUT_DATA", cancellationToken).ConfigureAwait(false);
        if (outChannel is null)
        {
            return (null, failed);
        }

        GatewayConnection? inChannel = null;
        try
        {
            (HttpResponseHead? head, failed) = await AuthenticateAsync(outChannel, "RDG_OUT_DATA", wantWebSocket, cancellationToken).ConfigureAwait(false);
            outChannel.Step = null;
            if (head is null)
            {
                await outChannel.DisposeAsync().ConfigureAwait(false);
                return (null, failed);
            }

            bool webSocket = head.StatusCode == 101;
            ChunkedDecoder? chunked = null;
            byte[] afterSeed = [];
            if (!webSocket)
            {
                chunked = head.IsChunked ? new ChunkedDecoder() : null;
                // The HTTP transport's OUT channel starts with a random seed the client skips (MS-TSGU 3.3.5.1).
                (afterSeed, Diagnosis? seedFailure) = await SkipSeedAsync(outChannel, chunked, cancellationToken).ConfigureAwait(false);
                if (seedFailure is not null)
                {
                    await outChannel.DisposeAsync().ConfigureAwait(false);
                    return (null, seedFailure);
                }

                (inChannel, failed) = await ConnectAsync("RDG_IN_DATA", cancellationToken).ConfigureAwait(false);
                if (inChannel is null)
                {
                    await outChannel.DisposeAsync().ConfigureAwait(false);
                    return (null, failed);
                }

                (HttpResponseHead? inHead, failed) = await AuthenticateAsync(inChannel, "RDG_IN_DATA", false, cancellationToken).ConfigureAwait(false);
                inChannel.Step = null;
                if (inHead is null)
                {
                    await outChannel.DisposeAsync().ConfigureAwait(false);
                    await inChannel.DisposeAsync().ConfigureAwait(false);
                    return (null, failed);
                }

                // The request whose chunked body carries every packet to the gateway; no answer comes to it.
                await inChannel.WriteAsync(Encoding.ASCII.GetBytes(Request("RDG_IN_DATA", null, webSocketKey: null, chunked: true)), cancellationToken).ConfigureAwait(false);
            }

            var channel = new GatewayChannel(outChannel, inChannel, webSocket, chunked, time, afterSeed);
            Diagnosis? refused = await TunnelAsync(channel, cancellationToken).ConfigureAwait(false);
            // From here the RDP sequence's steps read through the tunnel transport, which bounds and counts its own reads.
            channel.Step = null;
            if (refused is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
                return (null, refused);
            }

            var tunnel = new TunnelTransport(channel, $"{target} via {gateway}", outChannel.Transport.LocalDescription)
            {
                LocalEndPoint = outChannel.Transport.LocalEndPoint,
                GatewayEndPoint = outChannel.Transport.RemoteEndPoint,
            };
            return (tunnel, null);
        }
        catch
        {
            await outChannel.DisposeAsync().ConfigureAwait(false);
            if (inChannel is not null)
            {
                await inChannel.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary><c>gateway.connect</c> and <c>gateway.tls</c> for one channel.</summary>
    private async Task<(GatewayConnection? Connection, Diagnosis? Failure)> ConnectAsync(string channel, CancellationToken cancellationToken)
    {
        StepRecord step = attempt.Begin(ConnectStep, Phase);
        var fields = new List<StepField> { new("gateway", gateway.ToString()), new("channel", channel) };
        SocketTransport? transport = null;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(Options.ConnectTimeout);
            try
            {
                IPAddress[] addresses = IPAddress.TryParse(gateway.Host, out IPAddress? literal) ? [literal] : await Dns.GetHostAddressesAsync(gateway.Host, deadline.Token).ConfigureAwait(false);
                SocketException? last = null;
                foreach (IPAddress address in addresses)
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        var remote = new IPEndPoint(address, gateway.Port);
                        await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
                        transport = SocketTransport.Create(socket, remote);
                        break;
                    }
                    catch (SocketException ex)
                    {
                        socket.Dispose();
                        last = ex;
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                }

                if (transport is null)
                {
                    SocketError error = last?.SocketErrorCode ?? SocketError.HostNotFound;
                    CauseId cause = error switch
                    {
                        SocketError.ConnectionRefused => CauseId.ConnectionRefused,
                        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => CauseId.Unreachable,
                        SocketError.TimedOut => CauseId.ConnectTimeout,
                        _ => CauseId.SocketError,
                    };
                    return (null, Fail(step, cause, $"connecting to the RD Gateway {gateway} failed: {last?.Message ?? error.ToString()}", fields, error));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException)
            {
                return (null, Fail(step, CauseId.ConnectTimeout, $"no answer from the RD Gateway {gateway} within the connect timeout ({Options.ConnectTimeout.TotalSeconds:0.###} s)", fields, SocketError.TimedOut));
            }
            catch (SocketException ex)
            {
                return (null, Fail(step, CauseId.NameNotResolved, $"the RD Gateway's name {gateway.Host} does not resolve: {ex.Message}", fields, ex.SocketErrorCode));
            }
        }

        fields.Add(new StepField("remote", transport.RemoteDescription));
        attempt.End(step, StepOutcome.Ok, $"connected to the RD Gateway at {transport.RemoteDescription} for {channel}", fields);

        StepRecord tlsStep = attempt.Begin(TlsStep, Phase);
        string? serverName = IPAddress.TryParse(gateway.Host, out _) ? null : gateway.Host;
        var session = new TlsClientSession(Options.Tls with { ServerName = serverName }, keyLog: Options.KeyLog);
        var tls = new ProbeTlsSession(session, serverName, gateway.Host, time.GetUtcNow, Options.Trust, Options.CertificatePolicy);
        var connection = new GatewayConnection(transport, tls, time) { Step = tlsStep };
        FrameReadResult? ended = await connection.HandshakeAsync(ReadTimeout, cancellationToken).ConfigureAwait(false);
        connection.Step = null;
        List<StepField> tlsFields = [new("channel", channel), new("sni", serverName ?? "none")];
        if (tls.Milestone >= Protocol.Tls.TlsMilestone.ServerHello)
        {
            tlsFields.AddRange(tls.Describe(Protocol.Tls.TlsMilestone.ServerHello).Fields);
        }

        if (tls.Milestone >= Protocol.Tls.TlsMilestone.Certificate)
        {
            tlsFields.AddRange(tls.Describe(Protocol.Tls.TlsMilestone.Certificate).Fields);
        }

        if (ended is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return (null, FailRead(tlsStep, ended, "the TLS handshake with the RD Gateway", tlsFields));
        }

        if (tls.PolicyViolation is { } violation)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            attempt.End(tlsStep, StepOutcome.Failed, $"the RD Gateway's certificate: {violation.Text}", tlsFields);
            return (null, attempt.Diagnose(new Cause(Phase, CauseId.CertificateRejected, violation.Code), $"the RD Gateway's certificate is refused by the certificate policy: {violation.Text}", tlsStep));
        }

        attempt.End(tlsStep, StepOutcome.Ok, $"TLS with the RD Gateway: {tls.ServerVersion}, {tls.Certificate?.Subject ?? "no certificate"}", tlsFields);
        return (connection, null);
    }

    /// <summary>
    /// <c>gateway.http-auth</c>: the request with the credentials (NTLM across two requests on one connection, or Basic),
    /// until the gateway answers 101 (WebSocket) or 200 (HTTP transport).
    /// </summary>
    private async Task<(HttpResponseHead? Head, Diagnosis? Failure)> AuthenticateAsync(GatewayConnection connection, string method, bool webSocket, CancellationToken cancellationToken)
    {
        StepRecord step = attempt.Begin(HttpAuthStep, Phase);
        connection.Step = step;
        var fields = new List<StepField> { new("request", $"{method} /remoteDesktopGateway/"), new("transport", webSocket ? "websocket upgrade asked" : "http") };
        string? key = webSocket ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)) : null;
        using NtlmPackage? ntlm = gateway is { Credentials: { } credentials, Auth: GatewayAuthScheme.Ntlm } ? new NtlmPackage(credentials, $"HTTP/{gateway.Host}", time) : null;
        await using GatewayKerberos? kerberos = gateway is { Credentials: not null, Auth: GatewayAuthScheme.Negotiate }
            ? GatewayKerberos.Create(gateway, Options.Kerberos, ReadTimeout, Options.ConnectTimeout, time)
            : null;
        fields.Add(new StepField("auth", gateway.Credentials is null ? "none" : $"{gateway.Auth.ToString().ToUpperInvariant()} as {gateway.Credentials}"));
        string? authorization = gateway.Credentials switch
        {
            null => null,
            { } c when gateway.Auth == GatewayAuthScheme.Basic => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c}:{c.Password.Reveal()}")),
            _ when kerberos is not null => null,
            _ => "NTLM " + Convert.ToBase64String(ntlm!.FirstToken().Token),
        };
        if (kerberos is not null)
        {
            (authorization, ProtocolFailure? kdcFailure) = await kerberos.AuthorizationAsync(fields, cancellationToken).ConfigureAwait(false);
            if (kdcFailure is not null)
            {
                return (null, FailKerberos(step, kdcFailure, fields, "getting a Kerberos ticket for the RD Gateway"));
            }
        }

        var sent = new List<byte>();
        var received = new List<byte>();
        for (int round = 0; ; round++)
        {
            byte[] request = Encoding.ASCII.GetBytes(Request(method, authorization, key, chunked: false));
            // Credentials are never recorded: the request's bytes are kept without its Authorization line.
            sent.AddRange(Encoding.ASCII.GetBytes(Request(method, authorization is null ? null : $"{authorization.Split(' ')[0]} (withheld)", key, chunked: false)));
            if (await connection.WriteAsync(request, cancellationToken).ConfigureAwait(false) is { } end)
            {
                attempt.End(step, StepOutcome.Failed, $"sending {method} failed: {end.Describe()}", fields, sent: [.. sent]);
                return (null, attempt.Diagnose(new Cause(Phase, end.Kind == TransportEndKind.Reset ? CauseId.Reset : CauseId.SocketError), $"sending {method} to the RD Gateway failed: {end.Describe()}", step, socketError: end.SocketError));
            }

            (HttpResponseHead? head, byte[] headBytes, Diagnosis? failed) = await ReadHeadAsync(connection, step, method, fields, sent, received, cancellationToken).ConfigureAwait(false);
            if (head is null)
            {
                return (null, failed);
            }

            received.AddRange(headBytes);
            fields.Add(new StepField(round == 0 ? "status" : $"status{round + 1}", $"{head.StatusCode} {head.Reason}"));
            string offered = string.Join(", ", head.AllHeaders("WWW-Authenticate").Select(h => h.Split(' ')[0]));
            if (offered.Length > 0)
            {
                fields.Add(new StepField("wwwAuthenticate", offered));
            }

            switch (head.StatusCode)
            {
                case 101 when key is not null:
                    if (!string.Equals(head.Header("Sec-WebSocket-Accept"), WebSocketFrame.AcceptFor(key), StringComparison.Ordinal))
                    {
                        attempt.End(step, StepOutcome.Failed, "101 with a Sec-WebSocket-Accept that does not match the key", fields, [.. sent], [.. received]);
                        return (null, attempt.Diagnose(new Cause(Phase, CauseId.MalformedResponse), "the RD Gateway switched to WebSocket with a Sec-WebSocket-Accept that does not answer the key sent (RFC 6455 4.2.2)", step));
                    }

                    if (kerberos is not null && MutualAuthentication(kerberos, head, fields) is { } unproven)
                    {
                        return (null, FailKerberos(step, unproven, fields, "the RD Gateway's Kerberos answer", [.. sent], [.. received]));
                    }

                    attempt.End(step, StepOutcome.Ok, $"{method}: 101 Switching Protocols, WebSocket transport{(gateway.Credentials is null ? string.Empty : $", authenticated as {gateway.Credentials}")}", fields, [.. sent], [.. received]);
                    return (head, null);
                case 200 when gateway.Transport == GatewayTransport.WebSocket && method == "RDG_OUT_DATA":
                    attempt.End(step, StepOutcome.Failed, "200 to the WebSocket upgrade: the gateway serves the HTTP transport only", fields, [.. sent], [.. received]);
                    return (null, attempt.Diagnose(new Cause(Phase, CauseId.GatewayTransportUnsupported, "websocket"), "the RD Gateway answered the WebSocket upgrade with 200: it serves only the HTTP transport (RDG_OUT_DATA and RDG_IN_DATA)", step));
                case 200:
                    await DiscardBodyAsync(connection, head, method == "RDG_IN_DATA", cancellationToken).ConfigureAwait(false);
                    if (kerberos is not null && MutualAuthentication(kerberos, head, fields) is { } unproven200)
                    {
                        return (null, FailKerberos(step, unproven200, fields, "the RD Gateway's Kerberos answer", [.. sent], [.. received]));
                    }

                    attempt.End(step, StepOutcome.Ok, $"{method}: 200 OK, HTTP transport{(gateway.Credentials is null ? string.Empty : $", authenticated as {gateway.Credentials}")}", fields, [.. sent], [.. received]);
                    return (head, null);
                case 401 when round == 0 && ntlm is not null && NtlmChallenge(head) is { } challenge:
                    await DiscardBodyAsync(connection, head, true, cancellationToken).ConfigureAwait(false);
                    PackageAnswer answer = ntlm.AcceptServerToken(challenge);
                    if (answer.Failure is { } refused)
                    {
                        attempt.End(step, StepOutcome.Failed, $"the gateway's NTLM CHALLENGE is unusable: {refused.Reason}", fields, [.. sent], [.. received]);
                        return (null, attempt.Diagnose(new Cause(Phase, CauseId.MalformedResponse), $"the RD Gateway's NTLM CHALLENGE is unusable: {refused.Reason}", step));
                    }

                    fields.AddRange(answer.Fields.Select(f => f with { Name = $"challenge.{f.Name}" }));
                    authorization = "NTLM " + Convert.ToBase64String(ntlm.FinalToken().Token);
                    continue;
                case 401 when gateway.Credentials is null:
                    attempt.End(step, StepOutcome.Failed, $"401: the gateway asks for credentials ({offered})", fields, [.. sent], [.. received]);
                    return (null, attempt.Diagnose(new Cause(Phase, CauseId.GatewayHttpStatus, "401"), $"the RD Gateway answered {method} with 401 Unauthorized and rdphs has no gateway credentials (give --gateway-user); it offers {(offered.Length == 0 ? "no scheme" : offered)}", step));
                case 401 when kerberos is not null && NegotiateToken(head) is { Length: > 0 } refusal && kerberos.AcceptGatewayToken(refusal, fields) is { } why:
                    return (null, FailKerberos(step, why, fields, "the RD Gateway refused the Kerberos token", [.. sent], [.. received]));
                case 401:
                    attempt.End(step, StepOutcome.Failed, $"401: the gateway refused the {gateway.Auth} credentials of {gateway.Credentials}", fields, [.. sent], [.. received]);
                    return (null, attempt.Diagnose(new Cause(Phase, CauseId.GatewayAuthFailed), $"the RD Gateway refused the {gateway.Auth.ToString().ToUpperInvariant()} credentials of {gateway.Credentials} (401 Unauthorized{(offered.Length == 0 ? string.Empty : $"; it offers {offered}")})", step));
                default:
                    string status = head.StatusCode.ToString(CultureInfo.InvariantCulture);
                    attempt.End(step, StepOutcome.Failed, $"{head.StatusCode} {head.Reason}", fields, [.. sent], [.. received]);
                    return (null, attempt.Diagnose(new Cause(Phase, CauseId.GatewayHttpStatus, status, (uint)head.StatusCode), $"the RD Gateway answered {method} with HTTP {head.StatusCode} {head.Reason}", step));
            }
        }
    }

    /// <summary>
    /// Mutual authentication: the AP-REP in the gateway's <c>WWW-Authenticate: Negotiate</c> answer, checked; null when
    /// it proves the gateway holds its key, or when the gateway sent none (RFC 4559 makes it optional; the step says so).
    /// </summary>
    private static ProtocolFailure? MutualAuthentication(GatewayKerberos kerberos, HttpResponseHead head, List<StepField> fields)
    {
        if (NegotiateToken(head) is not { Length: > 0 } token)
        {
            fields.Add(new StepField("kerberos.mutual-auth", "not offered: the gateway's answer carries no Negotiate token"));
            return null;
        }

        ProtocolFailure? failure = kerberos.AcceptGatewayToken(token, fields);
        if (failure is null)
        {
            fields.Add(new StepField("kerberos.mutual-auth", "the gateway's AP-REP checked"));
        }

        return failure;
    }

    /// <summary>The token of a <c>WWW-Authenticate: Negotiate</c> header; empty for a bare <c>Negotiate</c>, null when there is none or it is not base64.</summary>
    private static byte[]? NegotiateToken(HttpResponseHead head)
    {
        foreach (string value in head.AllHeaders("WWW-Authenticate"))
        {
            if (value.StartsWith("Negotiate", StringComparison.OrdinalIgnoreCase) && (value.Length == 9 || value[9] == ' '))
            {
                try
                {
                    return Convert.FromBase64String(value[9..].Trim());
                }
                catch (FormatException)
                {
                    return null;
                }
            }
        }

        return null;
    }

    /// <summary>A Kerberos failure at <c>gateway.http-auth</c>: the KDC's or the gateway's, typed as for the session host.</summary>
    private Diagnosis FailKerberos(StepRecord step, ProtocolFailure failure, List<StepField> fields, string what, byte[]? sent = null, byte[]? received = null)
    {
        attempt.End(step, StepOutcome.Failed, $"{what}: {failure.Reason}", [.. fields, new StepField("kdc.bytes", "withheld: the KDC exchanges carry tickets")], sent, received);
        return attempt.Diagnose(new Cause(Phase, failure.Cause, failure.Detail, failure.Code), $"{what}: {failure.Reason}", step, decodeError: failure.DecodeError?.ToString());
    }

    private static byte[]? NtlmChallenge(HttpResponseHead head)
    {
        foreach (string value in head.AllHeaders("WWW-Authenticate"))
        {
            if (value.StartsWith("NTLM ", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    return Convert.FromBase64String(value[5..].Trim());
                }
                catch (FormatException)
                {
                    return null;
                }
            }
        }

        return null;
    }

    private string Request(string method, string? authorization, string? webSocketKey, bool chunked)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{method} /remoteDesktopGateway/ HTTP/1.1\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Host: {gateway.Host}\r\n");
        text.Append("Accept: */*\r\nCache-Control: no-cache\r\nPragma: no-cache\r\nUser-Agent: MS-RDGateway/1.0 (rdphs)\r\n");
        text.Append(CultureInfo.InvariantCulture, $"RDG-Connection-Id: {_connectionId}\r\n");
        if (gateway.PaaCookie is not null)
        {
            // Pluggable authentication: the cookie in the tunnel create packet authenticates, as FreeRDP sends it.
            text.Append("RDG-Auth-Scheme: PAA\r\n");
        }

        if (webSocketKey is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {webSocketKey}\r\n");
        }
        else
        {
            text.Append("Connection: Keep-Alive\r\n");
        }

        text.Append(chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: 0\r\n");
        if (authorization is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Authorization: {authorization}\r\n");
        }

        return text.Append("\r\n").ToString();
    }

    /// <summary>Reads the response head within the read timeout; a failure is diagnosed on <paramref name="step"/>.</summary>
    private async Task<(HttpResponseHead? Head, byte[] Bytes, Diagnosis? Failure)> ReadHeadAsync(
        GatewayConnection connection, StepRecord step, string method, List<StepField> fields, List<byte> sent, List<byte> received, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        while (true)
        {
            FrameSize size = HttpResponseHead.FindHeadLength(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(connection.Buffer));
            if (size.Status == FrameSizeStatus.Invalid)
            {
                byte[] shown = [.. connection.Buffer.Take(256)];
                attempt.End(step, StepOutcome.Failed, "no HTTP response head within its bound", fields, [.. sent], [.. received, .. shown]);
                return (null, [], attempt.Diagnose(new Cause(Phase, CauseId.MalformedResponse), $"the RD Gateway's answer to {method} is not an HTTP response within {HttpResponseHead.MaxHeadLength} bytes", step, decodeError: size.Error?.ToString()));
            }

            if (size.Status == FrameSizeStatus.Complete)
            {
                byte[] bytes = connection.Take(size.Length);
                DecodeResult<HttpResponseHead> parsed = HttpResponseHead.Parse(bytes);
                if (!parsed.IsSuccess)
                {
                    attempt.End(step, StepOutcome.Failed, "the answer is not an HTTP response", fields, [.. sent], [.. received, .. bytes]);
                    return (null, bytes, attempt.Diagnose(new Cause(Phase, CauseId.MalformedResponse), $"the RD Gateway's answer to {method} is not an HTTP response", step, decodeError: parsed.Error.ToString()));
                }

                return (parsed.Value, bytes, null);
            }

            TimeSpan left = ReadTimeout - time.GetElapsedTime(started);
            FrameReadResult? ended = left <= TimeSpan.Zero ? new FrameReadResult(FrameReadStatus.Timeout, []) : await connection.FillAsync(left, cancellationToken).ConfigureAwait(false);
            if (ended is not null)
            {
                byte[] partial = [.. connection.Buffer];
                return (null, [], FailRead(step, ended with { Bytes = partial }, $"the answer to {method}", fields, [.. sent], [.. received, .. partial]));
            }
        }
    }

    /// <summary>Reads and drops a response body of a known length (a 401's page), bounded; an RDG_IN_DATA 200 has none to wait for.</summary>
    private async Task DiscardBodyAsync(GatewayConnection connection, HttpResponseHead head, bool whole, CancellationToken cancellationToken)
    {
        if (!whole || head.ContentLength is not ({ } length and > 0 and <= 64 * 1024))
        {
            return;
        }

        long started = time.GetTimestamp();
        while (connection.Buffer.Count < length && time.GetElapsedTime(started) < ReadTimeout)
        {
            if (await connection.FillAsync(ReadTimeout - time.GetElapsedTime(started), cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }
        }

        connection.Take((int)Math.Min(length, connection.Buffer.Count));
    }

    /// <summary>Skips the 10-byte seed at the start of the HTTP transport's RDG_OUT_DATA body.</summary>
    private async Task<(byte[] AfterSeed, Diagnosis? Failure)> SkipSeedAsync(GatewayConnection connection, ChunkedDecoder? chunked, CancellationToken cancellationToken)
    {
        const int SeedLength = 10;
        var body = new List<byte>();
        long started = time.GetTimestamp();
        while (true)
        {
            if (connection.Buffer.Count > 0)
            {
                byte[] bytes = connection.Take(connection.Buffer.Count);
                if (chunked is null)
                {
                    body.AddRange(bytes);
                }
                else if (chunked.Feed(bytes, body) is { } invalid)
                {
                    StepRecord bad = attempt.Begin(HandshakeStep, Phase);
                    attempt.End(bad, StepOutcome.Failed, "the RDG_OUT_DATA body is not chunked as its header says", received: bytes);
                    return ([], attempt.Diagnose(new Cause(Phase, CauseId.MalformedResponse), "the RD Gateway's RDG_OUT_DATA body is not valid chunked encoding", bad, decodeError: invalid.ToString()));
                }
            }

            if (body.Count >= SeedLength)
            {
                // What follows the seed already belongs to the packet stream (decoded).
                return ([.. body.Skip(SeedLength)], null);
            }

            TimeSpan left = ReadTimeout - time.GetElapsedTime(started);
            FrameReadResult? ended = left <= TimeSpan.Zero ? new FrameReadResult(FrameReadStatus.Timeout, []) : await connection.FillAsync(left, cancellationToken).ConfigureAwait(false);
            if (ended is not null)
            {
                StepRecord step = attempt.Begin(HandshakeStep, Phase);
                return ([], FailRead(step, ended, "the RDG_OUT_DATA seed", [new StepField("channel", "RDG_OUT_DATA")]));
            }
        }
    }

    /// <summary>The four exchanges of the tunnel (MS-TSGU 3.3.5.1 steps 3 to 6), each its step; null when the channel is open.</summary>
    private async Task<Diagnosis?> TunnelAsync(GatewayChannel channel, CancellationToken cancellationToken)
    {
        Diagnosis? failed = await ExchangeAsync<TsguHandshakeResponse>(channel, HandshakeStep, Pdu.Encode(new TsguHandshakeRequest(gateway.PaaCookie is null ? TsguExtendedAuth.None : TsguExtendedAuth.Paa)),
            "HTTP_HANDSHAKE_RESPONSE_PACKET", r => r.ErrorCode,
            r => [new("version", $"{r.VersionMajor}.{r.VersionMinor}"), new("serverVersion", r.ServerVersion.ToString(CultureInfo.InvariantCulture)), new("extendedAuth", r.ExtendedAuth.ToString())],
            cancellationToken).ConfigureAwait(false);
        if (failed is not null)
        {
            return failed;
        }

        TsguCapabilities caps = TsguCapabilities.QuarantineSoh | TsguCapabilities.ConsentMessage | TsguCapabilities.ServiceMessage;
        // The PAA cookie (MS-TSGU 2.2.10.19) is a credential: sent as given, recorded as asterisks of the same length.
        string? cookie = gateway.PaaCookie;
        failed = await ExchangeAsync<TsguTunnelResponse>(channel, TunnelStep,
            Pdu.Encode(new TsguTunnelCreate(caps, cookie is null ? null : TsguText.Encode(cookie))),
            "HTTP_TUNNEL_RESPONSE", r => r.StatusCode,
            r => [new("tunnelId", r.TunnelId?.ToString(CultureInfo.InvariantCulture) ?? "none"), new("capabilities", r.Capabilities?.ToString() ?? "none"), .. r.ConsentMessage is { } consent ? [new StepField("consentMessage", TsguText.Text(consent))] : Array.Empty<StepField>()],
            cancellationToken,
            recorded: cookie is null ? null : Pdu.Encode(new TsguTunnelCreate(caps, TsguText.Encode(new string('*', cookie.Length)))),
            sentFields: [new("paaCookie", cookie is null ? "none" : $"sent ({cookie.Length} characters, withheld)")]).ConfigureAwait(false);
        if (failed is not null)
        {
            return failed;
        }

        failed = await ExchangeAsync<TsguTunnelAuthResponse>(channel, AuthorizeStep, Pdu.Encode(new TsguTunnelAuth(TsguText.Encode(gateway.ClientName))),
            "HTTP_TUNNEL_AUTH_RESPONSE", r => r.ErrorCode,
            r => [new("clientName", gateway.ClientName), new("redirectionFlags", r.RedirectionFlags is { } f ? $"0x{f:x8}" : "none"), new("idleTimeoutMinutes", r.IdleTimeoutMinutes?.ToString(CultureInfo.InvariantCulture) ?? "none")],
            cancellationToken).ConfigureAwait(false);
        if (failed is not null)
        {
            return failed;
        }

        return await ExchangeAsync<TsguChannelResponse>(channel, ChannelStep, Pdu.Encode(TsguChannelCreate.To(target.Host, (ushort)target.Port)),
            "HTTP_CHANNEL_RESPONSE", r => r.ErrorCode,
            r => [new("target", target.ToString()), new("channelId", r.ChannelId?.ToString(CultureInfo.InvariantCulture) ?? "none")],
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One request packet and its response packet: the step, its fields, and the cause of a failing status.</summary>
    private async Task<Diagnosis?> ExchangeAsync<T>(
        GatewayChannel channel, string name, byte[] request, string expecting, Func<T, uint> status, Func<T, IReadOnlyList<StepField>> describe, CancellationToken cancellationToken,
        byte[]? recorded = null, IReadOnlyList<StepField>? sentFields = null)
        where T : IPdu<T>
    {
        StepRecord step = attempt.Begin(name, Phase);
        channel.Step = step;
        byte[] wire = request;
        // A secret inside the packet (the PAA cookie) is recorded overwritten: the report keeps the packet's shape only.
        request = recorded ?? request;
        attempt.NoteSent(request);
        if (await channel.SendPacketAsync(wire, cancellationToken).ConfigureAwait(false) is { } end)
        {
            attempt.End(step, StepOutcome.Failed, $"sending failed: {end.Describe()}", sent: request);
            return attempt.Diagnose(new Cause(Phase, end.Kind == TransportEndKind.Reset ? CauseId.Reset : CauseId.SocketError), $"sending to the RD Gateway failed: {end.Describe()}", step, socketError: end.SocketError);
        }

        long started = time.GetTimestamp();
        var received = new List<byte>();
        var fields = new List<StepField>(sentFields ?? []);
        while (true)
        {
            TimeSpan left = ReadTimeout - time.GetElapsedTime(started);
            PacketRead read = left <= TimeSpan.Zero
                ? new PacketRead(null, new FrameReadResult(FrameReadStatus.Timeout, []))
                : await channel.ReadPacketAsync(left, cancellationToken).ConfigureAwait(false);
            if (read.Invalid is { } invalid)
            {
                attempt.End(step, StepOutcome.Failed, $"not an MS-TSGU packet: {invalid.Reason}", fields, request, [.. received, .. read.Partial ?? []]);
                return attempt.Diagnose(new Cause(Phase, CauseId.MalformedResponse), $"the RD Gateway answered with bytes that are not a tunnel packet where the {expecting} belongs", step, decodeError: invalid.ToString());
            }

            if (read.Packet is not { } packet)
            {
                return FailRead(step, read.Ended!, $"the {expecting}", fields, request, [.. received, .. read.Partial ?? []]);
            }

            received.AddRange(packet);
            TsguPacketType? type = TsguPacketHeader.PeekType(packet);
            if (type is TsguPacketType.KeepAlive or TsguPacketType.ServiceMessage)
            {
                if (type == TsguPacketType.ServiceMessage && Pdu.Decode<TsguServiceMessage>(packet) is { IsSuccess: true } message)
                {
                    fields.Add(new StepField("serviceMessage", TsguText.Text(message.Value.Message)));
                }

                continue;
            }

            if (type == TsguPacketType.CloseChannel && Pdu.Decode<TsguClose>(packet) is { IsSuccess: true } closed)
            {
                attempt.End(step, StepOutcome.Failed, $"the gateway closed the channel: {TsguStatus.Name(closed.Value.StatusCode)}", fields, request, [.. received]);
                return Refused(step, closed.Value.StatusCode, $"the RD Gateway closed the tunnel instead of the {expecting}");
            }

            DecodeResult<T> decoded = Pdu.Decode<T>(packet);
            if (!decoded.IsSuccess)
            {
                CauseId cause = decoded.Error.Kind == DecodeErrorKind.UnexpectedMessageType ? CauseId.UnexpectedPdu : CauseId.MalformedResponse;
                attempt.End(step, StepOutcome.Failed, decoded.Error.Reason, fields, request, [.. received]);
                return attempt.Diagnose(new Cause(Phase, cause), $"the RD Gateway's answer is not a valid {expecting}: {decoded.Error.Reason}", step, decodeError: decoded.Error.ToString());
            }

            uint code = status(decoded.Value);
            fields.Add(new StepField("status", TsguStatus.Name(code)));
            fields.AddRange(describe(decoded.Value));
            if (TsguStatus.IsFailure(code))
            {
                attempt.End(step, StepOutcome.Failed, $"{expecting}: {TsguStatus.Name(code)}", fields, request, [.. received], expecting);
                return Refused(step, code, $"the RD Gateway refused at {name}");
            }

            attempt.End(step, StepOutcome.Ok, $"{expecting}: {TsguStatus.Name(code)}", fields, request, [.. received], expecting);
            return null;
        }
    }

    private Diagnosis Refused(StepRecord step, uint code, string what)
    {
        TsguStatusEntry? entry = TsguStatus.Lookup(code);
        string name = entry?.Name ?? $"0x{code:x8}";
        return attempt.Diagnose(new Cause(Phase, CauseId.GatewayRefused, name, code), $"{what}: {name}{(entry is null ? string.Empty : $", {entry.Meaning}")}", step);
    }

    /// <summary>A read that ended without its answer: closed, reset, stalled or a TLS failure, at this step.</summary>
    private Diagnosis FailRead(StepRecord step, FrameReadResult read, string expecting, IReadOnlyList<StepField> fields, byte[]? sent = null, byte[]? received = null)
    {
        string timeout = $"{ReadTimeout.TotalSeconds:0.###} s";
        (CauseId cause, string what) = read.Status switch
        {
            FrameReadStatus.Timeout => (read.Bytes.Length > 0 ? CauseId.TimeoutMidAnswer : CauseId.Timeout,
                read.Bytes.Length > 0 ? $"the RD Gateway sent {read.Bytes.Length} byte(s) of {expecting} and then nothing within {timeout}" : $"the RD Gateway did not send {expecting} within {timeout}"),
            FrameReadStatus.Cancelled => (CauseId.Interrupted, $"interrupted while waiting for {expecting}"),
            FrameReadStatus.Invalid => (CauseId.MalformedRecord, $"the RD Gateway sent bytes that are not TLS where {expecting} belongs: {read.Error}"),
            _ => read.End!.Kind switch
            {
                TransportEndKind.Reset => (CauseId.Reset, $"the RD Gateway reset the connection while rdphs waited for {expecting}"),
                TransportEndKind.Closed when read.End.Detail is { } detail && detail.StartsWith("TLS", StringComparison.Ordinal) => (CauseId.ServerAlert, $"{detail} while rdphs waited for {expecting}"),
                TransportEndKind.Closed => (read.Bytes.Length > 0 ? CauseId.TruncatedResponse : CauseId.ClosedByPeer, $"the RD Gateway closed the connection while rdphs waited for {expecting}{(read.Bytes.Length > 0 ? $", after {read.Bytes.Length} byte(s) of it" : string.Empty)}"),
                _ => (CauseId.SocketError, $"{read.End.Describe()} while rdphs waited for {expecting}"),
            },
        };
        attempt.End(step, read.Status == FrameReadStatus.Cancelled ? StepOutcome.Interrupted : StepOutcome.Failed, what, fields, sent, received ?? read.Bytes);
        return attempt.Diagnose(new Cause(Phase, cause), what, step, read);
    }

    private Diagnosis Fail(StepRecord step, CauseId cause, string summary, IReadOnlyList<StepField> fields, SocketError? error)
    {
        attempt.End(step, StepOutcome.Failed, summary, fields);
        return attempt.Diagnose(new Cause(Phase, cause), summary, step, socketError: error);
    }

    /// <summary>
    /// <c>gateway.close</c>: PKT_TYPE_CLOSE_CHANNEL after the RDP sequence, and the gateway's answer (MS-TSGU 3.3.5.1
    /// step 8). Recorded, never a cause: the run's verdict is the RDP sequence's.
    /// </summary>
    public async Task CloseAsync(TunnelTransport tunnel, CancellationToken cancellationToken)
    {
        if (tunnel.ClosedByGateway is { } status)
        {
            StepRecord closed = attempt.Begin(CloseStep, Phase);
            attempt.End(closed, StepOutcome.Ok, $"the gateway had closed the channel ({TsguStatus.Name(status)})", [new("closedBy", "gateway"), new("status", TsguStatus.Name(status))]);
            return;
        }

        StepRecord step = attempt.Begin(CloseStep, Phase);
        (bool sent, uint? answer) = await tunnel.CloseChannelAsync(TimeSpan.FromSeconds(Math.Min(5, ReadTimeout.TotalSeconds)), cancellationToken).ConfigureAwait(false);
        if (!sent)
        {
            attempt.End(step, StepOutcome.Ok, "the channel was already closed", [new("closedBy", "gateway")]);
            return;
        }

        attempt.End(step, answer is null ? StepOutcome.Failed : StepOutcome.Ok,
            answer is { } code ? $"PKT_TYPE_CLOSE_CHANNEL answered: {TsguStatus.Name(code)}" : "PKT_TYPE_CLOSE_CHANNEL sent, no answer",
            [new("closedBy", "rdphs"), new("answer", answer is { } c ? TsguStatus.Name(c) : "none")], sent: Pdu.Encode(new TsguClose(0)));
    }
}
