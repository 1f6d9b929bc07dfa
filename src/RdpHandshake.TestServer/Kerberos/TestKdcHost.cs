using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;

namespace RdpHandshake.TestServer.Kerberos;

/// <summary>A request that reached the host: how, for which realm and exchange, and the wire fault it met.</summary>
/// <param name="Transport">TCP or UDP.</param>
/// <param name="Kind">AS-REQ or TGS-REQ; null for bytes that are neither.</param>
/// <param name="Realm">The realm of the KDC that answered (or would have).</param>
/// <param name="Length">The request's length in bytes, without the TCP length prefix.</param>
/// <param name="Fault">The wire fault applied instead of the plain answer, if any.</param>
public sealed record KdcRequestRecord(KdcTransport Transport, KdcRequestKind? Kind, string Realm, int Length, KdcFault? Fault);

/// <summary>
/// Serves one or more <see cref="TestKdc"/>s on loopback as a KDC does (RFC 4120 7.2): TCP with the four-byte length
/// before each message (7.2.2) and UDP, one datagram a message (7.2.1), both on the same port. A request goes to the
/// KDC of its req-body's realm (the first KDC when it names none of them), so one host can answer a referral's chain
/// of realms behind one <c>--kdc</c>. The wire faults of that KDC's <see cref="TestKdcOptions.Faults"/> are applied
/// here: stall, drip, close, reset, garbage, a 2 GB length, a truncated or unframed reply.
/// </summary>
public sealed partial class TestKdcHost : IAsyncDisposable
{
    /// <summary>A request longer than this is refused (KRB_ERR_FIELD_TOOLONG, then the connection closes).</summary>
    public const int MaxRequestLength = KerberosLimits.MaxMessageSize;

    private readonly IReadOnlyList<TestKdc> _kdcs;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<KdcRequestRecord> _requests = new();
    private readonly ConcurrentDictionary<int, Task> _running = new();
    private readonly Random _garbage = new(4120);
    private Socket? _listener;
    private Socket? _udp;
    private Task? _acceptLoop;
    private Task? _datagramLoop;
    private int _nextId;

    /// <param name="kdcs">The realms served; the first answers requests for a realm none of them serves.</param>
    /// <param name="logger">Where the host says what it does (never a key or a password).</param>
    public TestKdcHost(IEnumerable<TestKdc> kdcs, ILogger? logger = null)
    {
        _kdcs = [.. kdcs];
        if (_kdcs.Count == 0)
        {
            throw new ArgumentException("a KDC host needs at least one KDC", nameof(kdcs));
        }

        _logger = logger ?? NullLogger.Instance;
    }

    public TestKdcHost(params TestKdc[] kdcs)
        : this((IEnumerable<TestKdc>)kdcs)
    {
    }

    /// <summary>The bound endpoint (the same port for TCP and UDP), once <see cref="Start"/> has run.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    /// <summary>How long the host waits for the rest of a request on a TCP connection.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every request so far, in the order they arrived.</summary>
    public IReadOnlyList<KdcRequestRecord> Requests => [.. _requests];

    /// <summary>Starts serving on TCP and UDP on the same port; port 0 (the default) picks one free for both on 127.0.0.1.</summary>
    public IPEndPoint Start(IPEndPoint? endpoint = null)
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("the KDC host is already started");
        }

        endpoint ??= new IPEndPoint(IPAddress.Loopback, 0);
        for (int attempt = 0; ; attempt++)
        {
            var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                listener.Bind(endpoint);
                var bound = (IPEndPoint)listener.LocalEndPoint!;
                udp.Bind(bound);
                listener.Listen(64);
                (_listener, _udp, EndPoint) = (listener, udp, bound);
                break;
            }
            catch (SocketException) when (endpoint.Port == 0 && attempt < 20)
            {
                // The port TCP got is taken for UDP: try another.
                listener.Dispose();
                udp.Dispose();
            }
        }

        _acceptLoop = AcceptLoopAsync(_listener);
        _datagramLoop = DatagramLoopAsync(_udp);
        LogListening(EndPoint, string.Join(", ", _kdcs.Select(k => k.Realm)));
        return EndPoint;
    }

    /// <summary>Waits until <paramref name="count"/> requests have arrived, or the timeout passes.</summary>
    public async Task<IReadOnlyList<KdcRequestRecord>> WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        await Polling.UntilAsync(() => _requests.Count >= count, timeout).ConfigureAwait(false);
        return Requests;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        _udp?.Dispose();
        foreach (Task? loop in new[] { _acceptLoop, _datagramLoop })
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(false);
            }
        }

        await Task.WhenAll(_running.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>The KDC a request goes to: its realm's, else the first.</summary>
    private TestKdc Route(ReadOnlySpan<byte> request) =>
        TestKdc.RealmOf(request) is { } realm ? _kdcs.FirstOrDefault(k => k.Realm.Equals(realm, StringComparison.OrdinalIgnoreCase)) ?? _kdcs[0] : _kdcs[0];

    private void Track(Func<Task> work)
    {
        int key = Interlocked.Increment(ref _nextId);
        Task task = Task.Run(work);
        _running[key] = task;
        _ = task.ContinueWith(_ => _running.TryRemove(key, out Task? _), TaskScheduler.Default);
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

            Track(() => ServeStreamAsync(client, _stopping.Token));
        }
    }

    /// <summary>One TCP connection: length-prefixed requests, each answered (or faulted), until the client closes.</summary>
    private async Task ServeStreamAsync(Socket client, CancellationToken stopping)
    {
        using (client)
        {
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    byte[] prefix = new byte[KdcTcpFrame.LengthPrefixSize];
                    if (!await ReadExactlyAsync(client, prefix, stopping).ConfigureAwait(false))
                    {
                        return;
                    }

                    uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
                    if (length is 0 or > MaxRequestLength)
                    {
                        // RFC 4120 7.2.2: a length with the high bit set (or one too long to hold) is answered KRB_ERR_FIELD_TOOLONG.
                        await SendAsync(client, Framed(TooLong()), stopping).ConfigureAwait(false);
                        return;
                    }

                    byte[] request = new byte[length];
                    if (!await ReadExactlyAsync(client, request, stopping).ConfigureAwait(false))
                    {
                        return;
                    }

                    if (!await AnswerStreamAsync(client, request, stopping).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The client left, or the host is stopping.
            }
        }
    }

    /// <summary>Answers one request on a TCP connection; false when the connection is to end (closed, reset, stalled out).</summary>
    private async Task<bool> AnswerStreamAsync(Socket client, byte[] request, CancellationToken stopping)
    {
        TestKdc kdc = Route(request);
        KdcRequestKind? kind = TestKdc.KindOf(request);
        KdcFault? fault = kdc.TakeWireFault(kind, KdcTransport.Tcp);
        _requests.Enqueue(new KdcRequestRecord(KdcTransport.Tcp, kind, kdc.Realm, request.Length, fault));
        LogRequest("TCP", kind?.ToString() ?? "unknown", kdc.Realm, fault?.ToString() ?? "none");
        switch (fault?.Kind)
        {
            case null:
                await SendAsync(client, Framed(kdc.Answer(request, KdcTransport.Tcp)), stopping).ConfigureAwait(false);
                return true;
            case KdcFaultKind.Stall:
                // Hold the connection until the client gives up (or the host stops): read and drop whatever comes.
                byte[] sink = new byte[256];
                while (await client.ReceiveAsync(sink, SocketFlags.None, stopping).ConfigureAwait(false) > 0)
                {
                }

                return false;
            case KdcFaultKind.Drip:
                foreach (byte b in Framed(kdc.Answer(request, KdcTransport.Tcp)))
                {
                    await SendAsync(client, [b], stopping).ConfigureAwait(false);
                    await Task.Delay(fault.DripInterval, stopping).ConfigureAwait(false);
                }

                return true;
            case KdcFaultKind.Close:
                client.Shutdown(SocketShutdown.Both);
                return false;
            case KdcFaultKind.Reset:
                // A zero linger time makes the close an RST.
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                return false;
            case KdcFaultKind.Garbage:
                byte[] garbage = Garbage(64);
                garbage[0] |= 0x80;
                await SendAsync(client, garbage, stopping).ConfigureAwait(false);
                return true;
            case KdcFaultKind.GarbageFramed:
                await SendAsync(client, Framed(Garbage(64)), stopping).ConfigureAwait(false);
                return true;
            case KdcFaultKind.HugeLength:
                byte[] answer = kdc.Answer(request, KdcTransport.Tcp);
                byte[] huge = new byte[KdcTcpFrame.LengthPrefixSize + answer.Length];
                BinaryPrimitives.WriteUInt32BigEndian(huge, 0x7FFF_FFFF);
                answer.CopyTo(huge, KdcTcpFrame.LengthPrefixSize);
                await SendAsync(client, huge, stopping).ConfigureAwait(false);
                return true;
            case KdcFaultKind.Truncated:
                byte[] framed = Framed(kdc.Answer(request, KdcTransport.Tcp));
                await SendAsync(client, framed[..(framed.Length / 2)], stopping).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Both);
                return false;
            case KdcFaultKind.Unframed:
                await SendAsync(client, kdc.Answer(request, KdcTransport.Tcp), stopping).ConfigureAwait(false);
                return true;
            default:
                throw new InvalidOperationException($"{fault} is not a fault of the wire");
        }
    }

    private async Task DatagramLoopAsync(Socket udp)
    {
        byte[] buffer = new byte[ushort.MaxValue];
        while (!_stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier reply (the client had gone): go on.
                continue;
            }

            byte[] request = buffer[..received.ReceivedBytes];
            EndPoint from = received.RemoteEndPoint;
            Track(() => AnswerDatagramAsync(udp, request, from, _stopping.Token));
        }
    }

    /// <summary>Answers one datagram (or faults it): the faults of a stream that a datagram cannot have never apply here.</summary>
    private async Task AnswerDatagramAsync(Socket udp, byte[] request, EndPoint from, CancellationToken stopping)
    {
        TestKdc kdc = Route(request);
        KdcRequestKind? kind = TestKdc.KindOf(request);
        KdcFault? fault = kdc.TakeWireFault(kind, KdcTransport.Udp);
        _requests.Enqueue(new KdcRequestRecord(KdcTransport.Udp, kind, kdc.Realm, request.Length, fault));
        LogRequest("UDP", kind?.ToString() ?? "unknown", kdc.Realm, fault?.ToString() ?? "none");
        static byte[] FirstHalf(byte[] whole) => whole[..(whole.Length / 2)];
        byte[]? reply = fault?.Kind switch
        {
            null => kdc.Answer(request, KdcTransport.Udp),
            KdcFaultKind.Stall => null,
            KdcFaultKind.Garbage => Garbage(64),
            KdcFaultKind.Truncated => FirstHalf(kdc.Answer(request, KdcTransport.Udp)),
            _ => throw new InvalidOperationException($"{fault} does not apply to UDP"),
        };
        if (reply is null)
        {
            return;
        }

        try
        {
            await udp.SendToAsync(reply, SocketFlags.None, from, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The host is stopping.
        }
    }

    /// <summary>Random bytes, from a seeded generator so that a run can be repeated; never a KRB-ERROR's first byte.</summary>
    private byte[] Garbage(int length)
    {
        byte[] bytes = new byte[length];
        lock (_garbage)
        {
            _garbage.NextBytes(bytes);
        }

        if (bytes[0] == 0x7E)
        {
            bytes[0] = 0x7F;
        }

        return bytes;
    }

    private byte[] TooLong()
    {
        var error = new KrbError(null, null, KerberosTime.FromInstant(DateTimeOffset.UtcNow), 0, KerberosErrorCode.KRB_ERR_FIELD_TOOLONG,
            null, null, _kdcs[0].Realm, PrincipalName.Krbtgt(_kdcs[0].Realm));
        return Pdu.Encode(error);
    }

    private static byte[] Framed(byte[] message) => Pdu.Encode(new KdcTcpFrame(new ByteString(message)));

    private static async Task SendAsync(Socket socket, byte[] bytes, CancellationToken cancellationToken)
    {
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken stopping)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(ReadTimeout);
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Test KDC listening on {EndPoint} (TCP and UDP) for {Realms}")]
    private partial void LogListening(IPEndPoint endPoint, string realms);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Transport} request {Kind} for {Realm}, fault {Fault}")]
    private partial void LogRequest(string transport, string kind, string realm, string fault);
}
