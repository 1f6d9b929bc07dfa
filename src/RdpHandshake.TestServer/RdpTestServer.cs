using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.TestServer;

/// <summary>
/// The server side of the RDP connection sequence, built on the same PDU codecs as the client, scriptable
/// through <see cref="TestServerOptions"/> and able to inject a fault at any step. It listens on loopback
/// sockets or serves an in-memory pipe.
/// </summary>
public sealed partial class RdpTestServer : IAsyncDisposable
{
    private const int MaxBytesKeptAfterNegotiation = 4096;

    private readonly TestServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<ServerConnectionRecord> _connections = new();
    private readonly ConcurrentDictionary<int, Task> _running = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _nextId;

    public RdpTestServer(TestServerOptions? options = null, ILogger? logger = null)
    {
        _options = options ?? new TestServerOptions();
        _logger = logger ?? NullLogger.Instance;

        // RSA key generation takes a noticeable moment: start it now rather than when the first client is waiting.
        _certificate = _options.SuppliedCertificate is { } supplied
            ? Task.FromResult(supplied)
            : Task.Run(() => TestCertificates.For(_options.Certificate));
    }

    private readonly Task<ServerCertificate> _certificate;

    public TestServerOptions Options => _options;

    /// <summary>The bound endpoint, once <see cref="Start"/> has run.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    /// <summary>Every connection so far, in the order they ended.</summary>
    public IReadOnlyList<ServerConnectionRecord> Connections => [.. _connections];

    /// <summary>Raised when a connection ends, with what the client did.</summary>
    public event Action<ServerConnectionRecord>? ConnectionEnded;

    /// <summary>
    /// Null when the system GSS-API can make an acceptor credential from <paramref name="keytab"/> (what
    /// <see cref="TestServerOptions.KerberosKeytab"/> needs), else why not, e.g. a missing libgssapi_krb5 or an empty keytab.
    /// </summary>
    public static string? CheckKerberosKeytab(string keytab) => GssapiAcceptor.Check(keytab);

    /// <summary>Starts listening; port 0 (the default) picks a free port on 127.0.0.1.</summary>
    public IPEndPoint Start(IPEndPoint? endpoint = null)
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("the test server is already started");
        }

        endpoint ??= new IPEndPoint(IPAddress.Loopback, 0);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endpoint);
        listener.Listen(512);
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(listener);
        LogListening(EndPoint);
        return EndPoint;
    }

    /// <summary>Waits until <paramref name="count"/> connections have ended, or the timeout passes.</summary>
    public async Task<IReadOnlyList<ServerConnectionRecord>> WaitForConnectionsAsync(int count, TimeSpan timeout)
    {
        await Polling.UntilAsync(() => _connections.Count >= count, timeout).ConfigureAwait(false);
        return Connections;
    }

    /// <summary>
    /// Serves one connection over an in-memory pipe. Completing the output with a
    /// <see cref="SocketException"/> of <see cref="SocketError.ConnectionReset"/> is how a reset is simulated.
    /// </summary>
    public Task ServeAsync(IDuplexPipe pipe, string remote = "in-memory", CancellationToken cancellationToken = default)
    {
        var link = new PipeLink(pipe, remote);
        return ServeLinkAsync(link, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        await Task.WhenAll(_running.Values).ConfigureAwait(false);
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

            var link = new SocketLink(client);
            int key = Interlocked.Increment(ref _nextId);
            Task task = Task.Run(() => ServeLinkAsync(link, _stopping.Token, key));
            _running[key] = task;
            _ = task.ContinueWith(_ => _running.TryRemove(key, out Task? _), TaskScheduler.Default);
        }
    }

    private async Task ServeLinkAsync(ILink link, CancellationToken cancellationToken, int? id = null)
    {
        var record = new ServerConnectionRecord(id ?? Interlocked.Increment(ref _nextId), link.Remote);
        try
        {
            await ServeConnectionAsync(link, record, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            record.Ending ??= "server stopping";
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
        {
            record.Ending ??= $"connection error: {ex.Message}";
        }
        finally
        {
            await link.DisposeAsync().ConfigureAwait(false);
            _connections.Enqueue(record);
            LogConnectionEnded(record.Id, record.Remote, record.Request?.NegotiationRequest?.RequestedProtocols, record.Ending);
            ConnectionEnded?.Invoke(record);
        }
    }

    private async Task ServeConnectionAsync(ILink link, ServerConnectionRecord record, CancellationToken cancellationToken)
    {
        if (_options.FaultAt(FaultSteps.TcpAccept) is { } acceptFault)
        {
            record.FaultInjected = acceptFault;
            await InjectWithoutAnswerAsync(link, record, acceptFault, cancellationToken).ConfigureAwait(false);
            return;
        }

        byte[]? frame = await ReadTpktAsync(link.Pipe.Input, X224Framing.MaxConnectionPduSize, cancellationToken).ConfigureAwait(false);
        if (frame is null)
        {
            record.Ending = "the client sent no complete X.224 Connection Request";
            return;
        }

        record.RequestBytes = frame;
        DecodeResult<X224ConnectionRequest> request = Pdu.Decode<X224ConnectionRequest>(frame);
        if (!request.IsSuccess)
        {
            // MS-RDPBCGR 3.3.5.3.1: a malformed Connection Request drops the connection.
            record.RequestError = request.Error;
            record.Ending = $"dropped a malformed Connection Request: {request.Error}";
            return;
        }

        record.Request = request.Value;
        X224ConnectionConfirm answer = NegotiationPolicy.Answer(request.Value, _options);
        record.Answer = answer;
        byte[] confirm = Pdu.Encode(answer);

        if (_options.FaultAt(FaultSteps.X224Confirm) is { } fault)
        {
            record.FaultInjected = fault;
            bool answered = await InjectAnswerFaultAsync(link, record, fault, confirm, cancellationToken).ConfigureAwait(false);
            if (!answered)
            {
                return;
            }
        }
        else
        {
            await link.Pipe.Output.WriteAsync(confirm, cancellationToken).ConfigureAwait(false);
        }

        if (answer.Failure is not null)
        {
            // A server that refuses negotiation closes the connection after the failure.
            record.Ending = "closed after RDP_NEG_FAILURE";
            return;
        }

        Reach(record, ServerStage.X224Confirmed);
        SecurityProtocols requested = request.Value.NegotiationRequest?.RequestedProtocols ?? SecurityProtocols.Rdp;

        if (answer.Response?.SelectedProtocol is SecurityProtocols.Ssl or SecurityProtocols.Hybrid or SecurityProtocols.HybridEx or SecurityProtocols.RdsTls)
        {
            await ServeTlsAsync(link, record, answer.Response.SelectedProtocol, requested, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (answer.Response?.SelectedProtocol is null or SecurityProtocols.Rdp)
        {
            await ServeSessionAsync(link, new RawFrameStream(link.Pipe), record, standardSecurity: true, requested, cancellationToken).ConfigureAwait(false);
            return;
        }

        await DrainAfterNegotiationAsync(link, record, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies a fault that replaces the answer. Returns true when the (spoiled) answer left and the connection goes on.</summary>
    private async Task<bool> InjectAnswerFaultAsync(ILink link, ServerConnectionRecord record, Fault fault, byte[] answer, CancellationToken cancellationToken)
    {
        PipeWriter output = link.Pipe.Output;
        switch (fault.Kind)
        {
            case FaultKind.Close or FaultKind.Reset or FaultKind.Stall:
                await InjectWithoutAnswerAsync(link, record, fault, cancellationToken).ConfigureAwait(false);
                return false;
            case FaultKind.Garbage:
                var random = new Random(_options.GarbageSeed);
                byte[] garbage = new byte[answer.Length];
                random.NextBytes(garbage);
                garbage[0] = 0x7F; // never a TPKT version byte (3) nor a fast-path header, so it cannot frame
                await output.WriteAsync(garbage, cancellationToken).ConfigureAwait(false);
                return await HoldThenCloseAsync(link, record, "sent garbage", cancellationToken).ConfigureAwait(false);
            case FaultKind.Truncated:
                await output.WriteAsync(answer.AsMemory(0, answer.Length / 2), cancellationToken).ConfigureAwait(false);
                record.Ending = $"sent {answer.Length / 2} of {answer.Length} bytes, then closed";
                return false;
            case FaultKind.OversizeLength:
                byte[] oversize = (byte[])answer.Clone();
                oversize[2] = 0xFF;
                oversize[3] = 0xFF;
                await output.WriteAsync(oversize, cancellationToken).ConfigureAwait(false);
                return await HoldThenCloseAsync(link, record, "sent a TPKT length of 65535", cancellationToken).ConfigureAwait(false);
            case FaultKind.WrongTpktVersion:
                byte[] wrongVersion = (byte[])answer.Clone();
                wrongVersion[0] = 0x02;
                await output.WriteAsync(wrongVersion, cancellationToken).ConfigureAwait(false);
                return await HoldThenCloseAsync(link, record, "sent TPKT version 2", cancellationToken).ConfigureAwait(false);
            case FaultKind.Drip:
                foreach (byte b in answer)
                {
                    await output.WriteAsync(new[] { b }, cancellationToken).ConfigureAwait(false);
                    await Task.Delay(fault.DripInterval, cancellationToken).ConfigureAwait(false);
                }

                return true;
            case FaultKind.DisconnectRequest:
                await output.WriteAsync(Pdu.Encode(new X224DisconnectRequest(Reason: 0)), cancellationToken).ConfigureAwait(false);
                record.Ending = "sent an X.224 Disconnect Request";
                return false;
            case FaultKind.Http or FaultKind.Ssh or FaultKind.Smb or FaultKind.Vnc or FaultKind.TlsWithoutX224:
                await output.WriteAsync(ForeignAnswers.For(fault.Kind), cancellationToken).ConfigureAwait(false);
                record.Ending = $"answered as {FaultNames.Name(fault.Kind)} would, then closed";
                return false;
            default:
                throw new InvalidOperationException($"fault {fault} is not handled at {fault.Step}");
        }
    }

    private async Task InjectWithoutAnswerAsync(ILink link, ServerConnectionRecord record, Fault fault, CancellationToken cancellationToken)
    {
        switch (fault.Kind)
        {
            case FaultKind.Close:
                record.Ending = "closed without answering (fault)";
                break;
            case FaultKind.Reset:
                link.Reset();
                record.Ending = "reset the connection (fault)";
                break;
            case FaultKind.Stall:
                record.Ending = "stalled (fault)";
                await WaitForClientToLeaveAsync(link, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"fault {fault} is not supported at {fault.Step} (use close, reset or stall)");
        }
    }

    private async Task<bool> HoldThenCloseAsync(ILink link, ServerConnectionRecord record, string what, CancellationToken cancellationToken)
    {
        record.Ending = $"{what}, then waited for the client to leave";
        await WaitForClientToLeaveAsync(link, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>Reads and discards until the client closes, or the read timeout passes.</summary>
    private async Task WaitForClientToLeaveAsync(ILink link, CancellationToken cancellationToken, TimeSpan? patience = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(patience ?? _options.ReadTimeout);
        PipeReader input = link.Pipe.Input;
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
        }
    }

    /// <summary>
    /// After a successful negotiation, later layers are not served yet: keep the first bytes the client sends
    /// (e.g. its TLS ClientHello) for tests, then close.
    /// </summary>
    private async Task DrainAfterNegotiationAsync(ILink link, ServerConnectionRecord record, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ReadTimeout);
        PipeReader input = link.Pipe.Input;
        var kept = new ArrayBufferWriter<byte>();
        try
        {
            while (kept.WrittenCount < MaxBytesKeptAfterNegotiation)
            {
                ReadResult read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                if (!buffer.IsEmpty)
                {
                    long take = Math.Min(buffer.Length, MaxBytesKeptAfterNegotiation - kept.WrittenCount);
                    foreach (ReadOnlyMemory<byte> segment in buffer.Slice(0, take))
                    {
                        kept.Write(segment.Span);
                    }

                    input.AdvanceTo(buffer.End);
                    record.BytesAfterNegotiation = kept.WrittenSpan.ToArray();
                    record.Ending = "the client went on past negotiation; this server stops after X.224, so it closed";
                    return;
                }

                input.AdvanceTo(buffer.End);
                if (read.IsCompleted)
                {
                    record.Ending = "the client closed after negotiation";
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            record.Ending = "the client sent nothing after negotiation (server read timeout)";
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            record.Ending = $"the client reset the connection after negotiation: {ex.Message}";
        }
    }

    private Task<byte[]?> ReadTpktAsync(PipeReader input, int maxLength, CancellationToken cancellationToken) =>
        ReadFrameAsync(input, TpktHeader.FixedPartSize, header => TpktHeader.FindFrameSize(header, maxLength), cancellationToken);

    /// <summary>Reads one frame sized by <paramref name="sizer"/>, or null on a bad header, end of stream or timeout.</summary>
    private async Task<byte[]?> ReadFrameAsync(PipeReader input, int headerLength, Func<byte[], FrameSize> sizer, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ReadTimeout);
        byte[] header = new byte[headerLength];
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                if (buffer.Length >= headerLength)
                {
                    buffer.Slice(0, headerLength).CopyTo(header);
                    FrameSize size = sizer(header);
                    if (size.Status == FrameSizeStatus.Invalid)
                    {
                        input.AdvanceTo(buffer.End);
                        return null;
                    }

                    if (buffer.Length >= size.Length)
                    {
                        byte[] frame = buffer.Slice(0, size.Length).ToArray();
                        input.AdvanceTo(buffer.GetPosition(size.Length));
                        return frame;
                    }
                }

                if (read.IsCompleted)
                {
                    input.AdvanceTo(buffer.End);
                    return null;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// Serves the TLS handshake that follows a TLS-based selection, or the fault injected in its place, then
    /// keeps the first application data (later layers are served by later versions of this server).
    /// </summary>
    private async Task ServeTlsAsync(ILink link, ServerConnectionRecord record, SecurityProtocols selected, SecurityProtocols requested, CancellationToken cancellationToken)
    {
        IFrameStream? session = null;
        PipeReader input = link.Pipe.Input;
        PipeWriter output = link.Pipe.Output;
        byte[]? clientHello = await ReadFrameAsync(input, TlsRecordHeader.FixedPartSize, header => TlsRecordHeader.FindFrameSize(header), cancellationToken).ConfigureAwait(false);
        if (clientHello is null)
        {
            record.Ending = "the client sent no TLS record after the Connection Confirm";
            return;
        }

        record.BytesAfterNegotiation = clientHello.Length <= MaxBytesKeptAfterNegotiation ? clientHello : clientHello[..MaxBytesKeptAfterNegotiation];
        var tls = new AlertingTlsServerProtocol();
        var server = new TestTlsServer(new BcTlsCrypto(new SecureRandom()), await _certificate.ConfigureAwait(false), _options.TlsVersions, _options.TlsCipherSuites);
        Fault? fault = _options.FaultAt(FaultSteps.TlsServerHello);
        if (fault is not null)
        {
            record.FaultInjected = fault;
            switch (fault.Kind)
            {
                case FaultKind.Close or FaultKind.Reset or FaultKind.Stall:
                    await InjectWithoutAnswerAsync(link, record, fault, cancellationToken).ConfigureAwait(false);
                    return;
                case FaultKind.Alert:
                    // A fatal handshake_failure(40) alert record, in the clear as before any key exchange.
                    await output.WriteAsync(new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 }, cancellationToken).ConfigureAwait(false);
                    record.Ending = "answered the ClientHello with a handshake_failure alert (fault)";
                    return;
                case FaultKind.Ultimatum:
                    var ultimatum = new X224Data(new ByteString(Pdu.Encode(new DisconnectProviderUltimatum(McsDisconnectReason.UserRequested))));
                    await output.WriteAsync(Pdu.Encode(ultimatum), cancellationToken).ConfigureAwait(false);
                    record.Ending = "answered the ClientHello with an MCS Disconnect Provider Ultimatum, as xrdp does when TLS cannot start (fault)";
                    return;
                case FaultKind.Garbage:
                    byte[] garbage = new byte[64];
                    new Random(_options.GarbageSeed).NextBytes(garbage);
                    garbage[0] = 0x7F; // not a TLS content type
                    await output.WriteAsync(garbage, cancellationToken).ConfigureAwait(false);
                    await HoldThenCloseAsync(link, record, "sent garbage instead of a ServerHello", cancellationToken).ConfigureAwait(false);
                    return;
                case FaultKind.Truncated:
                    tls.Accept(server);
                    tls.OfferInput(clientHello);
                    byte[] flight = DrainTls(tls);
                    await output.WriteAsync(flight.AsMemory(0, flight.Length / 2), cancellationToken).ConfigureAwait(false);
                    record.Ending = $"sent {flight.Length / 2} of the {flight.Length}-byte ServerHello flight, then closed (fault)";
                    return;
                case FaultKind.OversizeLength:
                    // A handshake record header whose length (65535) is beyond any TLS record (2^14 + 2048), then a few bytes.
                    await output.WriteAsync(new byte[] { 0x16, 0x03, 0x03, 0xFF, 0xFF, 0x02, 0x00, 0x00 }, cancellationToken).ConfigureAwait(false);
                    await HoldThenCloseAsync(link, record, "sent a TLS record header with length 65535 instead of a ServerHello", cancellationToken).ConfigureAwait(false);
                    return;
                case FaultKind.Drip:
                    tls.Accept(server);
                    tls.OfferInput(clientHello);
                    byte[] dripped = DrainTls(tls);
                    long giveUpAt = Environment.TickCount64 + (long)_options.ReadTimeout.TotalMilliseconds;
                    int sentBytes = 0;
                    while (sentBytes < dripped.Length && Environment.TickCount64 <= giveUpAt)
                    {
                        await output.WriteAsync(dripped.AsMemory(sentBytes++, 1), cancellationToken).ConfigureAwait(false);
                        await Task.Delay(fault.DripInterval, cancellationToken).ConfigureAwait(false);
                    }

                    record.Ending = $"dripped {sentBytes} of the {dripped.Length} bytes of the ServerHello flight one every {fault.DripInterval.TotalMilliseconds:0} ms, then stopped (fault)";
                    return;
                default:
                    throw new InvalidOperationException($"fault {fault} is not handled at {fault.Step}");
            }
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ReadTimeout);
        try
        {
            tls.Accept(server);
            tls.OfferInput(clientHello);
            await output.WriteAsync(DrainTls(tls), cancellationToken).ConfigureAwait(false);
            while (tls.IsHandshaking || tls.GetAvailableInputBytes() == 0)
            {
                ReadResult read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                byte[] chunk = read.Buffer.ToArray();
                input.AdvanceTo(read.Buffer.End);
                if (chunk.Length > 0)
                {
                    tls.OfferInput(chunk);
                    byte[] answer = DrainTls(tls);
                    if (answer.Length > 0)
                    {
                        await output.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (!tls.IsHandshaking && record.TlsVersion is null && server.NegotiatedVersion is { } version)
                {
                    record.TlsVersion = version.ToString();
                    record.TlsCipherSuite = server.NegotiatedCipherSuite;
                }

                if (read.IsCompleted)
                {
                    record.Ending = tls.IsHandshaking ? "the client closed during the TLS handshake" : "the client closed after the TLS handshake";
                    return;
                }
            }

            Reach(record, ServerStage.TlsEstablished);
            byte[] data = new byte[Math.Min(tls.GetAvailableInputBytes(), MaxBytesKeptAfterNegotiation)];
            tls.ReadInput(data, 0, data.Length);
            record.BytesAfterTls = data;
            if (selected is SecurityProtocols.Hybrid or SecurityProtocols.HybridEx)
            {
                ServerCertificate certificate = await _certificate.ConfigureAwait(false);
                byte[] publicKey = certificate.Certificate.CertificateStructure.SubjectPublicKeyInfo.PublicKey.GetBytes();
                List<byte>? rest = await ServeCredSspAsync(link, tls, data, record, selected, publicKey, deadline.Token).ConfigureAwait(false);
                session = rest is null ? null : new TlsFrameStream(link.Pipe, tls, rest);
            }
            else if (selected == SecurityProtocols.Ssl)
            {
                session = new TlsFrameStream(link.Pipe, tls, data);
            }
            else
            {
                record.Ending = $"the client went on past TLS; this server does not serve {selected} further, so it closed";
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            record.Ending = tls.IsHandshaking ? "the TLS handshake timed out" : "the client sent nothing after the TLS handshake (server read timeout)";
        }
        catch (IOException ex)
        {
            // TlsFatalAlert and TlsFatalAlertReceived are IOExceptions: the handshake failed on one side.
            record.TlsError = server.AlertReason is { } reason ? $"{ex.Message} ({reason})" : ex.Message;
            record.Ending = $"the TLS handshake failed: {record.TlsError}";
            byte[] alert = DrainTls(tls);
            if (alert.Length > 0)
            {
                await output.WriteAsync(alert, cancellationToken).ConfigureAwait(false);
            }
        }

        if (session is not null)
        {
            await ServeSessionAsync(link, session, record, standardSecurity: false, requested, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Serves CredSSP inside TLS: the CHALLENGE, the check of the AUTHENTICATE and pubKeyAuth, the sealed
    /// credentials and, for HYBRID_EX, the Early User Authorization Result; each fault where it belongs.
    /// </summary>
    private async Task<List<byte>?> ServeCredSspAsync(ILink link, AlertingTlsServerProtocol tls, byte[] first, ServerConnectionRecord record, SecurityProtocols selected, byte[] publicKey, CancellationToken deadline)
    {
        using var credssp = new CredSspServer(_options, publicKey);
        var plaintext = new List<byte>(first);

        DecodeResult<TsRequest> negotiate = await NextTsRequestAsync(link, tls, plaintext, deadline).ConfigureAwait(false);
        if (!negotiate.IsSuccess)
        {
            record.Ending = $"the client's first TLS data is not a TSRequest: {negotiate.Error}";
            return null;
        }

        record.CredSspClientVersion = negotiate.Value.Version;
        bool authenticated = credssp.SelectsKerberos(negotiate.Value)
            ? await ServeKerberosAsync(link, tls, plaintext, record, credssp, negotiate.Value, deadline).ConfigureAwait(false)
            : await ServeNtlmAsync(link, tls, plaintext, record, credssp, negotiate.Value, deadline).ConfigureAwait(false);
        record.CredSspPackage = credssp.Package;
        record.CredSspErrorCode = credssp.ErrorCodeSent;
        if (!authenticated)
        {
            return null;
        }

        record.CredSspUser = credssp.AuthenticatedUser;
        DecodeResult<TsRequest> credentials = await NextTsRequestAsync(link, tls, plaintext, deadline).ConfigureAwait(false);
        if (!credentials.IsSuccess)
        {
            record.Ending = "the client closed before sending its credentials (it may have refused our pubKeyAuth)";
            return null;
        }

        credssp.ReceiveCredentials(credentials.Value);
        record.CredentialsReceived = credssp.CredentialsReceived;
        if (selected == SecurityProtocols.HybridEx)
        {
            await SendTlsAsync(link, tls, BitConverter.GetBytes(_options.EarlyUserAuthorizationResult), deadline).ConfigureAwait(false);
            if (_options.EarlyUserAuthorizationResult != 0)
            {
                record.Ending = $"sent the Early User Authorization Result {_options.EarlyUserAuthorizationResult} (a refusal) and closed";
                return null;
            }
        }

        if (!credssp.CredentialsReceived)
        {
            record.Ending = "the client's TSCredentials did not unseal, so the server closed";
            return null;
        }

        Reach(record, ServerStage.CredSspCompleted);
        return plaintext;
    }

    /// <summary>
    /// CredSSP with NTLM: the CHALLENGE, then the check of the AUTHENTICATE and pubKeyAuth. True when the client
    /// authenticated and the server sent its pubKeyAuth.
    /// </summary>
    private async Task<bool> ServeNtlmAsync(ILink link, AlertingTlsServerProtocol tls, List<byte> plaintext, ServerConnectionRecord record, CredSspServer credssp, TsRequest negotiate, CancellationToken deadline)
    {
        byte[]? challenge = credssp.AnswerNegotiate(negotiate, _options.Ntlm);
        if (challenge is null)
        {
            record.Ending = "the client's TSRequest carries no NTLM NEGOTIATE";
            return false;
        }

        if (!await SendCredSspOrFaultAsync(link, tls, record, FaultSteps.CredSspChallenge, "NTLM CHALLENGE", challenge, deadline).ConfigureAwait(false))
        {
            return false;
        }

        if (credssp.NegotiateRefused)
        {
            record.Ending = _options.KerberosOnly
                ? "refused NTLM with errorCode STATUS_NTLM_BLOCKED (Kerberos only) and closed"
                : "refused the SPNEGO-wrapped NEGOTIATE with an errorCode and closed";
            return false;
        }

        record.NtlmChallengeSent = true;
        DecodeResult<TsRequest> authenticate = await NextTsRequestAsync(link, tls, plaintext, deadline).ConfigureAwait(false);
        if (!authenticate.IsSuccess)
        {
            record.Ending = "sent the NTLM CHALLENGE; the client closed";
            return false;
        }

        byte[]? answer = credssp.AnswerAuthenticate(authenticate.Value);
        record.MechListMicVerified = credssp.ClientMechListMicVerified;
        if (answer is null)
        {
            record.Ending = "closed after the AUTHENTICATE without an errorCode";
            return false;
        }

        if (!await SendCredSspOrFaultAsync(link, tls, record, FaultSteps.CredSspPubKey, "pubKeyAuth", answer, deadline).ConfigureAwait(false))
        {
            return false;
        }

        if (credssp.AuthenticatedUser is null)
        {
            record.Ending = "refused the AUTHENTICATE with an errorCode";
            return false;
        }

        return true;
    }

    /// <summary>
    /// CredSSP with Kerberos: the client's SPNEGO tokens go to the system GSS-API until the context is complete (the
    /// AP-REQ, answered with the AP-REP), then its pubKeyAuth is checked and answered. True when the client
    /// authenticated and the server sent its pubKeyAuth.
    /// </summary>
    private async Task<bool> ServeKerberosAsync(ILink link, AlertingTlsServerProtocol tls, List<byte> plaintext, ServerConnectionRecord record, CredSspServer credssp, TsRequest first, CancellationToken deadline)
    {
        TsRequest request = first;
        while (true)
        {
            KerberosAnswer answer = credssp.AnswerKerberos(request);
            record.KerberosError = credssp.KerberosError;
            record.KerberosErrorCode = credssp.KerberosErrorCode;
            if (!await SendCredSspOrFaultAsync(link, tls, record, answer.Step, answer.What, answer.Bytes, deadline, credssp.SpnegoReject, "a SPNEGO reject").ConfigureAwait(false))
            {
                return false;
            }

            switch (answer.Kind)
            {
                case KerberosAnswerKind.Refusal:
                    record.Ending = answer.Step == FaultSteps.CredSspApReply
                        ? $"refused the Kerberos AP-REQ with {answer.What}{(credssp.KerberosError is { } why ? $" ({why})" : string.Empty)} and closed"
                        : $"refused the pubKeyAuth with {answer.What} and closed";
                    return false;
                case KerberosAnswerKind.PubKeyAuth:
                    return credssp.AuthenticatedUser is not null;
                case KerberosAnswerKind.Token:
                    record.KerberosApRepSent = true;
                    DecodeResult<TsRequest> next = await NextTsRequestAsync(link, tls, plaintext, deadline).ConfigureAwait(false);
                    if (!next.IsSuccess)
                    {
                        record.Ending = "sent the SPNEGO answer to the Kerberos AP-REQ; the client closed (it may have refused the AP-REP)";
                        return false;
                    }

                    request = next.Value;
                    break;
            }
        }
    }

    /// <summary>
    /// Sends a CredSSP answer (a TSRequest) inside TLS, or the fault configured at <paramref name="step"/> instead,
    /// through the same fault injection as the later steps. False when the connection ends here.
    /// </summary>
    private async Task<bool> SendCredSspOrFaultAsync(ILink link, AlertingTlsServerProtocol tls, ServerConnectionRecord record, string step, string what, byte[] answer, CancellationToken deadline, Func<byte[]>? reject = null, string? rejectName = null)
    {
        var session = new Session(new TlsFrameStream(link.Pipe, tls, []), link, record);
        try
        {
            return await SendOrFaultAsync(session, step, what, () => [answer], reject, rejectName, deadline, WithHugeDerLength).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (record.FaultInjected is not null)
        {
            // The server's deadline for the CredSSP exchange passed while the fault waited for the client to leave.
            return false;
        }
    }

    /// <summary>A TSRequest with its outer DER length rewritten as 84 7F FF FF FF: 2 GB announced, a few hundred bytes sent.</summary>
    private static byte[] WithHugeDerLength(byte[] tsRequest)
    {
        int lengthBytes = tsRequest[1] < 0x80 ? 1 : 1 + (tsRequest[1] & 0x7F);
        return [tsRequest[0], 0x84, 0x7F, 0xFF, 0xFF, 0xFF, .. tsRequest.AsSpan(1 + lengthBytes)];
    }

    /// <summary>Reads TLS input until the plaintext holds a whole TSRequest (DER SEQUENCE); consumes it.</summary>
    private static async Task<DecodeResult<TsRequest>> NextTsRequestAsync(ILink link, TlsServerProtocol tls, List<byte> plaintext, CancellationToken deadline)
    {
        PipeReader input = link.Pipe.Input;
        while (true)
        {
            if (plaintext.Count >= 2)
            {
                FrameSize size = TsRequest.FindFrameSize(plaintext.ToArray().AsSpan(0, Math.Min(plaintext.Count, 6)));
                if (size.Status == FrameSizeStatus.Invalid)
                {
                    return size.Error!.Value;
                }

                if (size.Status == FrameSizeStatus.Complete && plaintext.Count >= size.Length)
                {
                    byte[] frame = [.. plaintext.Take(size.Length)];
                    plaintext.RemoveRange(0, size.Length);
                    return Pdu.Decode<TsRequest>(frame);
                }
            }

            ReadResult read = await input.ReadAsync(deadline).ConfigureAwait(false);
            byte[] chunk = read.Buffer.ToArray();
            input.AdvanceTo(read.Buffer.End);
            if (chunk.Length > 0)
            {
                tls.OfferInput(chunk);
                byte[] data = new byte[tls.GetAvailableInputBytes()];
                tls.ReadInput(data, 0, data.Length);
                plaintext.AddRange(data);
            }
            else if (read.IsCompleted)
            {
                return new DecodeError(DecodeErrorKind.NotEnoughBytes, TsRequest.PduName, null, "the client closed", plaintext.Count);
            }
        }
    }

    private static async Task SendTlsAsync(ILink link, TlsServerProtocol tls, byte[] plaintext, CancellationToken cancellationToken)
    {
        tls.WriteApplicationData(plaintext, 0, plaintext.Length);
        await link.Pipe.Output.WriteAsync(DrainTls(tls), cancellationToken).ConfigureAwait(false);
    }

    private static byte[] DrainTls(TlsProtocol tls)
    {
        byte[] bytes = new byte[tls.GetAvailableOutputBytes()];
        if (bytes.Length > 0)
        {
            tls.ReadOutput(bytes, 0, bytes.Length);
        }

        return bytes;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Test server listening on {EndPoint}")]
    private partial void LogListening(IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {Id} from {Remote} ended (requested {Requested}): {Ending}")]
    private partial void LogConnectionEnded(int id, string remote, SecurityProtocols? requested, string? ending);

    /// <summary>One accepted connection: its pipes, and a way to reset it.</summary>
    private interface ILink : IAsyncDisposable
    {
        IDuplexPipe Pipe { get; }

        string Remote { get; }

        /// <summary>Aborts the connection with a TCP reset (or its in-memory equivalent).</summary>
        void Reset();
    }

    /// <summary>
    /// A socket served through stream-backed pipes: a completed flush means the bytes reached the kernel, so
    /// an answer followed by a close or reset leaves in that order.
    /// </summary>
    private sealed class SocketLink : ILink
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private bool _reset;

        public SocketLink(Socket socket)
        {
            _socket = socket;
            socket.NoDelay = true;
            Remote = socket.RemoteEndPoint?.ToString() ?? "unknown";
            _stream = new NetworkStream(socket, ownsSocket: false);
            Pipe = new StreamDuplexPipe(
                PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true)),
                PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true)));
        }

        public IDuplexPipe Pipe { get; }

        public string Remote { get; }

        public void Reset()
        {
            // Linger on with a zero timeout makes close send RST instead of FIN.
            _reset = true;
            _socket.LingerState = new LingerOption(true, 0);
            _socket.Close();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_reset)
            {
                try
                {
                    await Pipe.Output.CompleteAsync().ConfigureAwait(false);
                    _socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
                {
                }
            }

            await Pipe.Input.CompleteAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
        }

        private sealed record StreamDuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
    }

    private sealed class PipeLink(IDuplexPipe pipe, string remote) : ILink
    {
        private bool _reset;

        public IDuplexPipe Pipe { get; } = pipe;

        public string Remote { get; } = remote;

        public void Reset()
        {
            _reset = true;
            Pipe.Output.Complete(new SocketException((int)SocketError.ConnectionReset));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_reset)
            {
                await Pipe.Output.CompleteAsync().ConfigureAwait(false);
            }

            await Pipe.Input.CompleteAsync().ConfigureAwait(false);
        }
    }
}
