using System.Net;
using System.Net.Sockets;
using System.Text;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Http;
using RdpHandshake.Protocol.Proxy;

namespace RdpHandshake.TestServer;

/// <summary>The steps at which the test proxy can misbehave, named as the client's steps they hit.</summary>
public static class ProxyFaultSteps
{
    /// <summary>Right after accepting the TCP connection, before reading anything.</summary>
    public const string Accept = "proxy.accept";

    /// <summary>SOCKS5: the method selection (and, with an account, the username/password status).</summary>
    public const string Auth = ProxySteps.Auth;

    /// <summary>The answer to the tunnel request: the SOCKS5 reply, or the HTTP response to CONNECT.</summary>
    public const string Tunnel = ProxySteps.Tunnel;

    public static IReadOnlyList<string> All { get; } = [Accept, Auth, Tunnel];

    /// <summary>The fault kinds each step supports.</summary>
    public static IReadOnlyList<FaultKind> KindsAt(string step) => step switch
    {
        Accept => [FaultKind.Close, FaultKind.Reset, FaultKind.Stall],
        Auth => [FaultKind.Close, FaultKind.Reset, FaultKind.Stall, FaultKind.Garbage, FaultKind.Truncated, FaultKind.Drip, FaultKind.Reject, FaultKind.Http],
        Tunnel => [FaultKind.Close, FaultKind.Reset, FaultKind.Stall, FaultKind.Garbage, FaultKind.Truncated, FaultKind.Drip, FaultKind.Reject, FaultKind.OversizeLength],
        _ => [],
    };

    /// <summary>Parses <c>STEP:KIND</c> for the proxy, e.g. <c>proxy.tunnel:stall</c>.</summary>
    public static bool TryParse(string text, out Fault? fault, out string? error)
    {
        fault = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}': expected STEP:KIND, e.g. proxy.tunnel:stall";
            return false;
        }

        string step = text[..colon].Trim().ToLowerInvariant();
        if (!All.Contains(step))
        {
            error = $"'{text}': unknown proxy step '{step}' (known: {string.Join(", ", All)})";
            return false;
        }

        if (!FaultNames.TryParse(text[(colon + 1)..].Trim(), out FaultKind kind) || !KindsAt(step).Contains(kind))
        {
            error = $"'{text}': the proxy's faults at {step} are {string.Join(", ", KindsAt(step).Select(FaultNames.Name))}";
            return false;
        }

        fault = new Fault(step, kind);
        error = null;
        return true;
    }
}

/// <summary>How the test proxy is set up.</summary>
public sealed record TestProxyOptions
{
    /// <summary>The account the proxy requires (SOCKS5 username/password, HTTP Basic), or null to require none.</summary>
    public (string User, string Password)? Account { get; init; }

    /// <summary>What goes wrong, at most one fault per step.</summary>
    public IReadOnlyList<Fault> Faults { get; init; } = [];

    /// <summary>The longest the proxy waits for a client's request.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Opens the connection to the requested server; by default a TCP connection, to loopback addresses only (a
    /// name must resolve to loopback): the test proxy never carries traffic off the machine.
    /// </summary>
    public Func<string, int, CancellationToken, Task<Socket>>? Dial { get; init; }
}

/// <summary>What the test proxy saw on one connection.</summary>
/// <param name="Kind">The protocol the client spoke, when it said anything.</param>
/// <param name="Target">The server the client asked for, as <c>host:port</c>.</param>
/// <param name="Fault">The fault injected, if any.</param>
/// <param name="Ending">How the connection ended, in words.</param>
public sealed record ProxyConnectionRecord(ProxyKind? Kind, string? Target, Fault? Fault, string Ending);

/// <summary>
/// A SOCKS5 (RFC 1928, RFC 1929) and HTTP CONNECT proxy on one port, for tests and <c>rdphs serve --proxy-port</c>: it
/// tells the two apart by the first byte, checks the account when one is set, connects to the server asked for and
/// relays; or misbehaves at a step as a <see cref="Fault"/> says. Every read has a deadline and a size bound.
/// </summary>
public sealed class TestProxyServer(TestProxyOptions options) : IAsyncDisposable
{
    /// <summary>The realm of the Basic challenge.</summary>
    public const string Realm = "rdphs test proxy";

    private readonly CancellationTokenSource _stopping = new();
    private readonly List<ProxyConnectionRecord> _connections = [];
    private readonly List<Task> _running = [];
    private Socket? _listener;
    private Task? _acceptLoop;

    /// <summary>Where the proxy listens, once started.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    /// <summary>The connections that ended, in order.</summary>
    public IReadOnlyList<ProxyConnectionRecord> Connections
    {
        get
        {
            lock (_connections)
            {
                return [.. _connections];
            }
        }
    }

    /// <summary>Raised when a connection ends.</summary>
    public event Action<ProxyConnectionRecord>? ConnectionEnded;

    /// <summary>Starts listening; port 0 picks a free port on 127.0.0.1.</summary>
    public IPEndPoint Start(IPEndPoint? endpoint = null)
    {
        endpoint ??= new IPEndPoint(IPAddress.Loopback, 0);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endpoint);
        listener.Listen(128);
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(listener);
        return EndPoint;
    }

    /// <summary>Waits until <paramref name="count"/> connections have ended, or the timeout passes.</summary>
    public async Task<IReadOnlyList<ProxyConnectionRecord>> WaitForConnectionsAsync(int count, TimeSpan timeout)
    {
        await Polling.UntilAsync(() => Connections.Count >= count, timeout).ConfigureAwait(false);
        return Connections;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Task served = ServeAsync(client);
            lock (_running)
            {
                _running.RemoveAll(t => t.IsCompleted);
                _running.Add(served);
            }
        }
    }

    private Fault? FaultAt(string step) => options.Faults.FirstOrDefault(f => f.Step == step);

    private async Task ServeAsync(Socket client)
    {
        var session = new Session(client, options.ReadTimeout, _stopping.Token);
        string ending;
        try
        {
            ending = await RunAsync(session).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            ending = $"ended: {ex.GetType().Name}: {ex.Message}";
        }
        finally
        {
            if (!session.Reset)
            {
                client.Dispose();
            }
        }

        var record = new ProxyConnectionRecord(session.Kind, session.Target, session.Fault, ending);
        lock (_connections)
        {
            _connections.Add(record);
        }

        ConnectionEnded?.Invoke(record);
    }

    private async Task<string> RunAsync(Session session)
    {
        if (FaultAt(ProxyFaultSteps.Accept) is { } atAccept)
        {
            return await session.MisbehaveAsync(atAccept, []).ConfigureAwait(false);
        }

        byte[] first = await session.ReadExactlyAsync(1).ConfigureAwait(false);
        if (first[0] == Socks5MethodRequest.Version5)
        {
            session.Kind = ProxyKind.Socks5;
            return await Socks5Async(session).ConfigureAwait(false);
        }

        session.Kind = ProxyKind.HttpConnect;
        return await HttpConnectAsync(session, first).ConfigureAwait(false);
    }

    private async Task<string> Socks5Async(Session session)
    {
        int count = (await session.ReadExactlyAsync(1).ConfigureAwait(false))[0];
        byte[] methods = await session.ReadExactlyAsync(count).ConfigureAwait(false);
        byte wanted = options.Account is null ? Socks5Methods.NoAuthentication : Socks5Methods.UsernamePassword;
        byte selected = methods.Contains(wanted) ? wanted : Socks5Methods.NoAcceptableMethods;
        if (FaultAt(ProxyFaultSteps.Auth) is { } atAuth)
        {
            return await session.MisbehaveAsync(atAuth, Pdu.Encode(new Socks5MethodSelection(selected)), Pdu.Encode(new Socks5MethodSelection(Socks5Methods.NoAcceptableMethods)))
                .ConfigureAwait(false);
        }

        await session.SendAsync(Pdu.Encode(new Socks5MethodSelection(selected))).ConfigureAwait(false);
        if (selected == Socks5Methods.NoAcceptableMethods)
        {
            return "refused: no acceptable method";
        }

        if (selected == Socks5Methods.UsernamePassword)
        {
            byte[] head = await session.ReadExactlyAsync(2).ConfigureAwait(false);
            byte[] user = await session.ReadExactlyAsync(head[1]).ConfigureAwait(false);
            int passwordLength = (await session.ReadExactlyAsync(1).ConfigureAwait(false))[0];
            byte[] password = await session.ReadExactlyAsync(passwordLength).ConfigureAwait(false);
            bool accepted = head[0] == Socks5UsernamePasswordRequest.SubnegotiationVersion
                && Encoding.UTF8.GetString(user) == options.Account!.Value.User && Encoding.UTF8.GetString(password) == options.Account.Value.Password;
            await session.SendAsync(Pdu.Encode(new Socks5UsernamePasswordStatus(accepted ? (byte)0 : (byte)1))).ConfigureAwait(false);
            if (!accepted)
            {
                return "refused: wrong user or password";
            }
        }

        byte[] fixedPart = await session.ReadExactlyAsync(4).ConfigureAwait(false);
        int addressLength = fixedPart[3] switch
        {
            (byte)Socks5AddressType.IPv4 => 4,
            (byte)Socks5AddressType.IPv6 => 16,
            (byte)Socks5AddressType.DomainName => (await session.ReadExactlyAsync(1).ConfigureAwait(false))[0] is var n ? -n : 0,
            _ => int.MinValue,
        };
        if (fixedPart[0] != Socks5MethodRequest.Version5 || fixedPart[1] != (byte)Socks5Command.Connect || addressLength == int.MinValue)
        {
            await session.SendAsync(Reply(fixedPart[1] != (byte)Socks5Command.Connect ? Socks5ReplyCode.CommandNotSupported : Socks5ReplyCode.AddressTypeNotSupported)).ConfigureAwait(false);
            return "refused: not a CONNECT this proxy takes";
        }

        byte[] address = await session.ReadExactlyAsync(Math.Abs(addressLength) + 2).ConfigureAwait(false);
        int port = (address[^2] << 8) | address[^1];
        string host = addressLength < 0 ? Encoding.ASCII.GetString(address, 0, -addressLength) : new IPAddress(address.AsSpan(0, addressLength)).ToString();
        session.Target = new Socks5Address(Socks5AddressType.DomainName, host, (ushort)port).ToString();
        if (FaultAt(ProxyFaultSteps.Tunnel) is { } atTunnel)
        {
            byte[] oversize = [Socks5MethodRequest.Version5, 0, 0, (byte)Socks5AddressType.DomainName, 0xFF, .. Enumerable.Repeat((byte)0xFF, 257)];
            return await session.MisbehaveAsync(atTunnel, Reply(Socks5ReplyCode.Succeeded), Reply(Socks5ReplyCode.ConnectionRefused), oversize).ConfigureAwait(false);
        }

        (Socket? server, Socks5ReplyCode code) = await DialAsync(host, port, session.Cancellation).ConfigureAwait(false);
        if (server is null)
        {
            await session.SendAsync(Reply(code)).ConfigureAwait(false);
            return $"refused: {Socks5ReplyNames.Name((byte)code)}";
        }

        using (server)
        {
            var bound = (IPEndPoint)server.LocalEndPoint!;
            await session.SendAsync(Pdu.Encode(new Socks5Reply(0, Socks5Address.Ip(bound.Address.GetAddressBytes(), (ushort)bound.Port)))).ConfigureAwait(false);
            return await session.RelayAsync(server).ConfigureAwait(false);
        }
    }

    private static byte[] Reply(Socks5ReplyCode code) => Pdu.Encode(new Socks5Reply((byte)code, Socks5Address.Ip([0, 0, 0, 0], 0)));

    private async Task<string> HttpConnectAsync(Session session, byte[] first)
    {
        byte[] head = await session.ReadHeadAsync(first).ConfigureAwait(false);
        DecodeResult<HttpRequestHead> decoded = Pdu.Decode<HttpRequestHead>(head);
        if (!decoded.IsSuccess || decoded.Value.Method != "CONNECT" || !TryAuthority(decoded.Value.Target, out string host, out int port))
        {
            await session.SendAsync(Response(400, "Bad Request")).ConfigureAwait(false);
            return "refused: not a CONNECT request";
        }

        session.Target = decoded.Value.Target;
        if (options.Account is { } account)
        {
            string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account.User}:{account.Password}"));
            if (decoded.Value["Proxy-Authorization"] != expected)
            {
                await session.SendAsync(Response(407, "Proxy Authentication Required", $"Proxy-Authenticate: Basic realm=\"{Realm}\"")).ConfigureAwait(false);
                return "refused: 407";
            }
        }

        if (FaultAt(ProxyFaultSteps.Tunnel) is { } atTunnel)
        {
            byte[] oversize = Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\nX-Padding: " + new string('a', 2 * HttpHead.MaxLength));
            return await session.MisbehaveAsync(atTunnel, Response(200, "Connection established"), Response(502, "Bad Gateway"), oversize).ConfigureAwait(false);
        }

        (Socket? server, Socks5ReplyCode code) = await DialAsync(host, port, session.Cancellation).ConfigureAwait(false);
        if (server is null)
        {
            await session.SendAsync(code == Socks5ReplyCode.NotAllowedByRuleset ? Response(403, "Forbidden") : Response(502, "Bad Gateway")).ConfigureAwait(false);
            return $"refused: {Socks5ReplyNames.Name((byte)code)}";
        }

        using (server)
        {
            await session.SendAsync(Response(200, "Connection established")).ConfigureAwait(false);
            return await session.RelayAsync(server).ConfigureAwait(false);
        }
    }

    private static byte[] Response(int status, string reason, string? field = null) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nProxy-Agent: rdphs-test-proxy\r\n{(field is null ? string.Empty : field + "\r\n")}{(status == 200 ? string.Empty : "Content-Length: 0\r\n")}\r\n");

    private static bool TryAuthority(string target, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        int colon = target.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = target[..colon].Trim('[', ']');
        return true;
    }

    /// <summary>Connects to the server asked for; loopback only unless <see cref="TestProxyOptions.Dial"/> says otherwise.</summary>
    private async Task<(Socket? Server, Socks5ReplyCode Code)> DialAsync(string host, int port, CancellationToken cancellationToken)
    {
        try
        {
            if (options.Dial is { } dial)
            {
                return (await dial(host, port, cancellationToken).ConfigureAwait(false), Socks5ReplyCode.Succeeded);
            }

            IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            IPAddress? address = addresses.FirstOrDefault(IPAddress.IsLoopback);
            if (address is null)
            {
                return (null, Socks5ReplyCode.NotAllowedByRuleset);
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(options.ReadTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token).ConfigureAwait(false);
                return (socket, Socks5ReplyCode.Succeeded);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        catch (SocketException ex)
        {
            return (null, ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => Socks5ReplyCode.ConnectionRefused,
                SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NoData => Socks5ReplyCode.HostUnreachable,
                SocketError.NetworkUnreachable => Socks5ReplyCode.NetworkUnreachable,
                _ => Socks5ReplyCode.GeneralFailure,
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, Socks5ReplyCode.TtlExpired);
        }
    }

    /// <summary>One client connection: bounded reads under the proxy's deadline, and the faults.</summary>
    private sealed class Session(Socket client, TimeSpan readTimeout, CancellationToken stopping)
    {
        public ProxyKind? Kind { get; set; }

        public string? Target { get; set; }

        public Fault? Fault { get; private set; }

        public bool Reset { get; private set; }

        public CancellationToken Cancellation => stopping;

        public async Task<byte[]> ReadExactlyAsync(int count)
        {
            byte[] buffer = new byte[count];
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            deadline.CancelAfter(readTimeout);
            int read = 0;
            while (read < count)
            {
                int got = await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (got == 0)
                {
                    throw new IOException("the client closed the connection");
                }

                read += got;
            }

            return buffer;
        }

        /// <summary>Reads an HTTP request head (after its <paramref name="first"/> bytes), at most <see cref="HttpHead.MaxLength"/> bytes.</summary>
        public async Task<byte[]> ReadHeadAsync(byte[] first)
        {
            var head = new List<byte>(first);
            while (HttpRequestHead.FindFrameSize(head.ToArray()) is { Status: not Protocol.Encoding.FrameSizeStatus.Complete and not Protocol.Encoding.FrameSizeStatus.Invalid })
            {
                head.AddRange(await ReadExactlyAsync(1).ConfigureAwait(false));
            }

            return [.. head];
        }

        public Task SendAsync(byte[] bytes) => client.SendAsync(bytes, SocketFlags.None, stopping).AsTask();

        /// <summary>
        /// Does what <paramref name="fault"/> says instead of sending <paramref name="answer"/>; <paramref name="refusal"/>
        /// is the step's refusal (for <see cref="FaultKind.Reject"/>) and <paramref name="oversize"/> its too-long answer.
        /// </summary>
        public async Task<string> MisbehaveAsync(Fault fault, byte[] answer, byte[]? refusal = null, byte[]? oversize = null)
        {
            Fault = fault;
            switch (fault.Kind)
            {
                case FaultKind.Close:
                    client.Shutdown(SocketShutdown.Both);
                    return $"{fault}: closed";
                case FaultKind.Reset:
                    client.LingerState = new LingerOption(true, 0);
                    client.Close();
                    Reset = true;
                    return $"{fault}: reset";
                case FaultKind.Stall:
                    await WaitForCloseAsync().ConfigureAwait(false);
                    return $"{fault}: stalled until the client left";
                case FaultKind.Garbage:
                    await SendAsync([0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]).ConfigureAwait(false);
                    await WaitForCloseAsync().ConfigureAwait(false);
                    return $"{fault}: sent garbage";
                case FaultKind.Truncated:
                    await SendAsync(answer[..Math.Max(1, answer.Length / 2)]).ConfigureAwait(false);
                    client.Shutdown(SocketShutdown.Both);
                    return $"{fault}: sent {Math.Max(1, answer.Length / 2)} of {answer.Length} bytes, then closed";
                case FaultKind.Drip:
                    foreach (byte b in answer)
                    {
                        await Task.Delay(fault.DripInterval, stopping).ConfigureAwait(false);
                        await SendAsync([b]).ConfigureAwait(false);
                    }

                    await WaitForCloseAsync().ConfigureAwait(false);
                    return $"{fault}: dripped";
                case FaultKind.Reject:
                    await SendAsync(refusal ?? answer).ConfigureAwait(false);
                    await WaitForCloseAsync().ConfigureAwait(false);
                    return $"{fault}: refused";
                case FaultKind.OversizeLength:
                    await SendAsync(oversize ?? answer).ConfigureAwait(false);
                    await WaitForCloseAsync().ConfigureAwait(false);
                    return $"{fault}: sent an oversized answer";
                case FaultKind.Http:
                    await SendAsync(Response(400, "Bad Request")).ConfigureAwait(false);
                    client.Shutdown(SocketShutdown.Both);
                    return $"{fault}: answered as a web server";
                default:
                    throw new InvalidOperationException($"the proxy has no fault {fault}");
            }
        }

        private async Task WaitForCloseAsync()
        {
            byte[] sink = new byte[4096];
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            deadline.CancelAfter(readTimeout);
            try
            {
                while (await client.ReceiveAsync(sink, SocketFlags.None, deadline.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                // The client left, or the proxy's own deadline passed.
            }
        }

        /// <summary>Copies both ways until either side closes.</summary>
        public async Task<string> RelayAsync(Socket server)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            Task up = CopyAsync(client, server, both.Token);
            Task down = CopyAsync(server, client, both.Token);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            await both.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // One side ended; the other copy was cancelled.
            }

            return $"relayed to {Target}";
        }

        private static async Task CopyAsync(Socket from, Socket to, CancellationToken cancellationToken)
        {
            byte[] buffer = new byte[16384];
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
