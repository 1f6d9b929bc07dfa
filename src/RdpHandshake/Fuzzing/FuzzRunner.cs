using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;
using RdpHandshake.Transport;

namespace RdpHandshake.Fuzzing;

/// <summary>How a fuzz run is paced and bounded.</summary>
public sealed record FuzzOptions
{
    public const int MaxConcurrency = 16;

    /// <summary>The most cases one run may have.</summary>
    public const int MaxCases = 1_000_000;

    public FuzzLayer Layer { get; init; } = FuzzLayer.X224;

    public ulong Seed { get; init; }

    /// <summary>How many cases, from <see cref="FirstIndex"/> on.</summary>
    public int Cases { get; init; } = 100;

    public int FirstIndex { get; init; }

    /// <summary>Connections open at once, 1 to <see cref="MaxConcurrency"/>.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>At most this many cases started per second; null for no limit beyond the concurrency.</summary>
    public double? Rate { get; init; }

    /// <summary>How long to wait for the server's reaction to a case (and for each answer of the correct steps before it).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Probe the server after every case (a fresh connection and a valid X.224 request); a failed probe is a crash and stops the run.</summary>
    public bool CheckLivenessAfterEachCase { get; init; } = true;

    /// <summary>How many bytes of each answer are kept.</summary>
    public int MaxReceivedBytes { get; init; } = 512;

    /// <summary>The proxy every connection goes through (its tunnel opened before each case), or null.</summary>
    public ProxySettings? Proxy { get; init; }
}

/// <summary>One case and the server's reaction to it.</summary>
/// <param name="Case">The case sent.</param>
/// <param name="Reaction">The reaction; <see cref="FuzzReaction.Crashed"/> when the server stopped accepting connections after it.</param>
/// <param name="Detail">The failure code, alert, errorCode or what ended the wait.</param>
/// <param name="Received">The first bytes of the answer (for TLS-wrapped layers, the decrypted ones), at most <see cref="FuzzOptions.MaxReceivedBytes"/>.</param>
/// <param name="Elapsed">From connecting to the classification.</param>
/// <param name="Observed">For a crash, the reaction the case itself saw.</param>
public sealed record FuzzCaseResult(FuzzCase Case, FuzzReaction Reaction, string Detail, byte[] Received, TimeSpan Elapsed, FuzzReaction? Observed = null)
{
    /// <summary>Worth a look: the server crashed, reset or hung, or accepted a PDU that breaks the spec.</summary>
    public bool Interesting => Reaction is FuzzReaction.Crashed or FuzzReaction.Reset or FuzzReaction.Timeout
        || (Reaction == FuzzReaction.Accepted && Case.Invalid);
}

/// <summary>Whether the server still accepts connections: a fresh TCP connection and a valid X.224 request answered.</summary>
public sealed record LivenessResult(bool Alive, string Detail, TimeSpan Elapsed);

/// <summary>The result of a fuzz run.</summary>
public sealed record FuzzReport
{
    public required string Target { get; init; }
    public required FuzzOptions Options { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required TimeSpan Elapsed { get; init; }

    /// <summary>The cases run, by index.</summary>
    public required IReadOnlyList<FuzzCaseResult> Cases { get; init; }

    /// <summary>The liveness probe after the run.</summary>
    public required LivenessResult Liveness { get; init; }

    /// <summary>Why the run stopped before its last case (a crash, an interruption), or null.</summary>
    public string? StoppedEarly { get; init; }

    /// <summary>How many cases got each reaction (every reaction listed, zeros included).</summary>
    public IReadOnlyDictionary<FuzzReaction, int> Summary =>
        FuzzReactionNames.All.ToDictionary(r => r, r => Cases.Count(c => c.Reaction == r));

    public bool Crashed => !Liveness.Alive || Cases.Any(c => c.Reaction == FuzzReaction.Crashed);
}

/// <summary>
/// Runs fuzz cases against a server: each case is a fresh connection that does the correct steps up to the
/// layer, sends the mutated PDU, and classifies the reaction; after each case a liveness probe tells whether the
/// server still accepts connections. Concurrency and rate are bounded by <see cref="FuzzOptions"/>.
/// </summary>
public sealed class FuzzRunner
{
    private const string Step = "fuzz";
    private readonly ProbeTarget _target;
    private readonly FuzzOptions _options;
    private readonly TimeProvider _time;

    public FuzzRunner(ProbeTarget target, FuzzOptions options, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Concurrency, FuzzOptions.MaxConcurrency);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Cases);
        _target = target;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Runs <see cref="FuzzOptions.Cases"/> cases; <paramref name="progress"/> hears of each as it ends (from any thread).</summary>
    public async Task<FuzzReport> RunAsync(Action<FuzzCaseResult>? progress = null, CancellationToken cancellationToken = default)
    {
        DateTimeOffset startedAt = _time.GetUtcNow();
        long started = _time.GetTimestamp();
        var results = new FuzzCaseResult?[_options.Cases];
        using var gate = new SemaphoreSlim(_options.Concurrency);
        var running = new List<Task>();
        string? stopped = null;
        int crashedAt = -1;

        for (int n = 0; n < _options.Cases; n++)
        {
            try
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (_options.Rate is { } rate && rate > 0)
                {
                    TimeSpan due = TimeSpan.FromSeconds(n / rate) - _time.GetElapsedTime(started);
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, _time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                stopped = "interrupted";
                break;
            }

            if (Volatile.Read(ref crashedAt) >= 0)
            {
                gate.Release();
                break;
            }

            int slot = n;
            FuzzCase fuzzCase = FuzzCaseGenerator.Generate(_options.Layer, _options.Seed, _options.FirstIndex + n);
            running.Add(Task.Run(
                async () =>
                {
                    try
                    {
                        FuzzCaseResult result = await RunCaseAsync(fuzzCase, cancellationToken).ConfigureAwait(false);
                        if (_options.CheckLivenessAfterEachCase && !cancellationToken.IsCancellationRequested)
                        {
                            LivenessResult alive = await CheckLivenessAsync(cancellationToken).ConfigureAwait(false);
                            if (!alive.Alive && !cancellationToken.IsCancellationRequested)
                            {
                                result = result with { Reaction = FuzzReaction.Crashed, Observed = result.Reaction, Detail = $"{result.Detail}; then {alive.Detail}" };
                                Interlocked.CompareExchange(ref crashedAt, fuzzCase.Index, -1);
                            }
                        }

                        results[slot] = result;
                        progress?.Invoke(result);
                    }
                    finally
                    {
                        gate.Release();
                    }
                },
                CancellationToken.None));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        if (crashedAt >= 0)
        {
            stopped = $"the server stopped accepting connections after case {_options.Seed}:{crashedAt}";
        }
        else if (cancellationToken.IsCancellationRequested)
        {
            stopped = "interrupted";
        }

        LivenessResult liveness = await CheckLivenessAsync(CancellationToken.None).ConfigureAwait(false);
        return new FuzzReport
        {
            Target = _target.ToString(),
            Options = _options,
            StartedAt = startedAt,
            Elapsed = _time.GetElapsedTime(started),
            Cases = results.Where(r => r is not null).Select(r => r!).ToArray(),
            Liveness = liveness,
            StoppedEarly = stopped,
        };
    }

    /// <summary>
    /// Whether the server accepts a connection and answers a valid X.224 Connection Request (with a Connection
    /// Confirm of any kind). A failure is retried twice, after 0.25 s and 1 s, so that a server busy ending the
    /// previous connection is not taken for a crashed one.
    /// </summary>
    public async Task<LivenessResult> CheckLivenessAsync(CancellationToken cancellationToken = default)
    {
        long started = _time.GetTimestamp();
        string detail = "not probed";
        TimeSpan[] pauses = [TimeSpan.Zero, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1)];
        foreach (TimeSpan pause in pauses)
        {
            if (pause > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            (bool alive, detail) = await ProbeOnceAsync(cancellationToken).ConfigureAwait(false);
            if (alive)
            {
                return new LivenessResult(true, detail, _time.GetElapsedTime(started));
            }
        }

        return new LivenessResult(false, $"the liveness probe failed {pauses.Length} times: {detail}", _time.GetElapsedTime(started));
    }

    private async Task<(bool Alive, string Detail)> ProbeOnceAsync(CancellationToken cancellationToken)
    {
        (IRdpTransport? transport, string? error) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (transport is null)
        {
            return (false, error!);
        }

        await using (transport.ConfigureAwait(false))
        {
            try
            {
                await transport.Output.WriteAsync(X224Mutations.Baseline(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException or OperationCanceledException)
            {
                return (false, $"sending a valid X.224 request failed: {ex.Message}");
            }

            FrameReadResult read = await FrameReader.ReadFrameAsync(transport, new TpktFrameHint(Step, "Connection Confirm"), _options.Timeout, cancellationToken).ConfigureAwait(false);
            if (read.Status != FrameReadStatus.Frame)
            {
                return (false, $"a valid X.224 request got no Connection Confirm: {FuzzClassifier.WithoutFrame(read, _options.Timeout).Detail}");
            }

            Classification answer = FuzzClassifier.X224(read.Bytes);
            return answer.Reaction is FuzzReaction.Accepted or FuzzReaction.NegotiationFailure
                ? (true, $"a valid X.224 request was answered: {answer.Detail}")
                : (false, $"a valid X.224 request got {FuzzReactionNames.Name(answer.Reaction)}: {answer.Detail}");
        }
    }

    /// <summary>Runs one case on a fresh connection and classifies the reaction (no liveness probe).</summary>
    public async Task<FuzzCaseResult> RunCaseAsync(FuzzCase fuzzCase, CancellationToken cancellationToken = default)
    {
        long started = _time.GetTimestamp();
        (IRdpTransport? transport, string? error) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (transport is null)
        {
            return new FuzzCaseResult(fuzzCase, FuzzReaction.SetupFailed, error!, [], _time.GetElapsedTime(started));
        }

        (Classification outcome, byte[] received) = (default, []);
        await using (transport.ConfigureAwait(false))
        {
            try
            {
                (outcome, received) = fuzzCase.Layer switch
                {
                    FuzzLayer.X224 => await X224Async(transport, fuzzCase.Bytes, cancellationToken).ConfigureAwait(false),
                    FuzzLayer.Tls => await TlsAsync(transport, fuzzCase.Bytes, cancellationToken).ConfigureAwait(false),
                    _ => await InsideTlsAsync(transport, fuzzCase, cancellationToken).ConfigureAwait(false),
                };
            }
            catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException or ObjectDisposedException)
            {
                TransportEnd end = TransportErrors.FromException(ex);
                outcome = new Classification(end.Kind == TransportEndKind.Closed ? FuzzReaction.Closed : FuzzReaction.Reset, $"sending failed: {end.Describe()}");
            }
        }

        byte[] kept = received.Length > _options.MaxReceivedBytes ? received[.._options.MaxReceivedBytes] : received;
        return new FuzzCaseResult(fuzzCase, outcome.Reaction, outcome.Detail, kept, _time.GetElapsedTime(started));
    }

    private async Task<(Classification, byte[])> X224Async(IRdpTransport transport, byte[] bytes, CancellationToken cancellationToken)
    {
        await transport.Output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        FrameReadResult read = await FrameReader.ReadFrameAsync(transport, new TpktFrameHint(Step, "Connection Confirm"), _options.Timeout, cancellationToken).ConfigureAwait(false);
        return (read.Status == FrameReadStatus.Frame ? FuzzClassifier.X224(read.Bytes) : FuzzClassifier.WithoutFrame(read, _options.Timeout), read.Bytes);
    }

    private async Task<(Classification, byte[])> TlsAsync(IRdpTransport transport, byte[] clientHello, CancellationToken cancellationToken)
    {
        if (await NegotiateAsync(transport, SecurityProtocols.Ssl, cancellationToken).ConfigureAwait(false) is { } setup)
        {
            return (setup, []);
        }

        await transport.Output.WriteAsync(clientHello, cancellationToken).ConfigureAwait(false);
        FrameReadResult read = await FrameReader.ReadFrameAsync(transport, new TlsRecordFrameHint(Step, "ServerHello"), _options.Timeout, cancellationToken).ConfigureAwait(false);
        if (read.Status == FrameReadStatus.Frame)
        {
            return (FuzzClassifier.TlsRecord(read.Bytes), read.Bytes);
        }

        if (read.Status == FrameReadStatus.Invalid && read.Bytes.Length > 0 && read.Bytes[0] == TpktHeader.Version3)
        {
            // An RDP packet where the ServerHello belongs (xrdp's Disconnect Provider Ultimatum).
            FrameReadResult tpkt = await FrameReader.ReadFrameAsync(transport, new TpktFrameHint(Step, "TPKT packet"), _options.Timeout, cancellationToken).ConfigureAwait(false);
            if (tpkt.Status == FrameReadStatus.Frame)
            {
                return (FuzzClassifier.OtherTpkt(tpkt.Bytes) ?? new Classification(FuzzReaction.MalformedAnswer, "a TPKT packet where the ServerHello belongs"), tpkt.Bytes);
            }
        }

        return (FuzzClassifier.WithoutFrame(read, _options.Timeout), read.Bytes);
    }

    private async Task<(Classification, byte[])> InsideTlsAsync(IRdpTransport transport, FuzzCase fuzzCase, CancellationToken cancellationToken)
    {
        SecurityProtocols wanted = fuzzCase.Layer == FuzzLayer.CredSsp ? SecurityProtocols.Hybrid : McsMutations.Selected;
        if (await NegotiateAsync(transport, wanted, cancellationToken).ConfigureAwait(false) is { } setup)
        {
            return (setup, []);
        }

        var session = new TlsClientSession(new TlsOffer());
        if (await HandshakeAsync(transport, session, cancellationToken).ConfigureAwait(false) is { } handshakeFailure)
        {
            return (handshakeFailure, []);
        }

        await transport.Output.WriteAsync(session.Encrypt(fuzzCase.Bytes), cancellationToken).ConfigureAwait(false);
        var channel = new TlsFrameChannel(transport, session, _time);
        FrameHint hint = fuzzCase.Layer == FuzzLayer.CredSsp ? new TsRequestFrameHint("fuzz", TsRequest.PduName) : new TpktFrameHint(Step, "MCS Connect Response");
        FrameReadResult read = await channel.ReadFrameAsync(hint, _options.Timeout, cancellationToken).ConfigureAwait(false);
        if (read.Status == FrameReadStatus.Frame)
        {
            return (fuzzCase.Layer == FuzzLayer.CredSsp ? FuzzClassifier.CredSsp(read.Bytes) : FuzzClassifier.Mcs(read.Bytes), read.Bytes);
        }

        if (channel.LastFailure is { Kind: TlsFailureKind.AlertReceived, Alert: { } alert })
        {
            return (new Classification(FuzzReaction.Alert, $"{(alert.IsFatal ? "fatal" : "warning")} alert {alert.DisplayName}"), read.Bytes);
        }

        if (read.Status == FrameReadStatus.Invalid && fuzzCase.Layer == FuzzLayer.CredSsp && read.Bytes.Length > 0 && read.Bytes[0] == TpktHeader.Version3)
        {
            return (new Classification(FuzzReaction.MalformedAnswer, "a TPKT packet where a TSRequest belongs"), read.Bytes);
        }

        return (FuzzClassifier.WithoutFrame(read, _options.Timeout), read.Bytes);
    }

    /// <summary>Sends a valid X.224 request for <paramref name="wanted"/>; returns a setup failure unless the server selects it.</summary>
    private async Task<Classification?> NegotiateAsync(IRdpTransport transport, SecurityProtocols wanted, CancellationToken cancellationToken)
    {
        byte[] request = Pdu.Encode(new X224ConnectionRequest(Cookie: X224Mutations.Cookie, NegotiationRequest: new RdpNegotiationRequest(wanted)));
        await transport.Output.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        FrameReadResult read = await FrameReader.ReadFrameAsync(transport, new TpktFrameHint(Step, "Connection Confirm"), _options.Timeout, cancellationToken).ConfigureAwait(false);
        if (read.Status != FrameReadStatus.Frame)
        {
            return new Classification(FuzzReaction.SetupFailed, $"the X.224 request for {NegotiationNames.SpecNames(wanted)} got no Connection Confirm: {FuzzClassifier.WithoutFrame(read, _options.Timeout).Detail}");
        }

        DecodeResult<X224ConnectionConfirm> confirm = Pdu.Decode<X224ConnectionConfirm>(read.Bytes);
        if (confirm.IsSuccess && confirm.Value.Response?.SelectedProtocol == wanted)
        {
            return null;
        }

        return new Classification(FuzzReaction.SetupFailed, $"the server did not select {NegotiationNames.SpecNames(wanted)}: {FuzzClassifier.X224(read.Bytes).Detail}");
    }

    /// <summary>Completes a TLS handshake with the library's client; returns a setup failure if it does not complete.</summary>
    private async Task<Classification?> HandshakeAsync(IRdpTransport transport, TlsClientSession session, CancellationToken cancellationToken)
    {
        await transport.Output.WriteAsync(session.Start(), cancellationToken).ConfigureAwait(false);
        while (!session.Seen.HandshakeComplete)
        {
            FrameReadResult read = await FrameReader.ReadFrameAsync(transport, new TlsRecordFrameHint(Step, "TLS handshake"), _options.Timeout, cancellationToken).ConfigureAwait(false);
            if (read.Status != FrameReadStatus.Frame)
            {
                return new Classification(FuzzReaction.SetupFailed, $"the TLS handshake did not complete: {FuzzClassifier.WithoutFrame(read, _options.Timeout).Detail}");
            }

            (byte[] output, TlsFailure? failure) = session.Receive(read.Bytes);
            if (output.Length > 0)
            {
                await transport.Output.WriteAsync(output, cancellationToken).ConfigureAwait(false);
            }

            if (failure is not null)
            {
                return new Classification(FuzzReaction.SetupFailed, $"the TLS handshake failed: {failure.Alert?.Name ?? failure.Message}");
            }
        }

        return null;
    }

    private async Task<(IRdpTransport? Transport, string? Error)> ConnectAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ConnectTimeout);
        try
        {
            // Through a proxy the connection goes to the proxy, which resolves and reaches the target.
            ProbeTarget first = _options.Proxy is { } via ? new ProbeTarget(via.Host, via.Port) : _target;
            IPAddress[] addresses = IPAddress.TryParse(first.Host, out IPAddress? literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(first.Host, deadline.Token).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                return (null, $"{first.Host} resolved to no address");
            }

            var remote = new IPEndPoint(addresses[0], first.Port);
            var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
                SocketTransport transport = SocketTransport.Create(socket, remote);
                if (_options.Proxy is { } proxy
                    && await ProxyHandshake.OpenAsync(transport, proxy, _target, _options.Timeout, cancellationToken).ConfigureAwait(false) is { } refused)
                {
                    await transport.DisposeAsync().ConfigureAwait(false);
                    return (null, $"through the proxy {first}: {refused}");
                }

                return (transport, null);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        catch (OperationCanceledException)
        {
            return (null, $"connecting to {_target} took longer than {_options.ConnectTimeout.TotalSeconds:0.###} s");
        }
        catch (SocketException ex)
        {
            return (null, $"connecting to {_target} failed: {ex.SocketErrorCode}");
        }
    }
}
