using System.Runtime.CompilerServices;
using System.Threading.Channels;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Scan;

/// <summary>How a scan runs.</summary>
public sealed record ScanOptions
{
    public const int DefaultConcurrency = 32;
    public const int MaxConcurrency = 1024;
    public const int DefaultHostTimeoutSeconds = 30;

    /// <summary>
    /// What each probe does. The default is cheap: TLS offered as mstsc does, stopping after the TLS handshake,
    /// no credentials.
    /// </summary>
    public ProbeOptions Probe { get; init; } = new() { Until = ConnectionPhase.Tls };

    /// <summary>How many probes may run at once (1 to <see cref="MaxConcurrency"/>).</summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>
    /// The deadline for a whole probe of one host, on top of the probe's own connect and read timeouts; when it
    /// passes, the probe is cancelled and the host's cause is <see cref="CauseId.HostTimeout"/>.
    /// </summary>
    public TimeSpan HostTimeout { get; init; } = TimeSpan.FromSeconds(DefaultHostTimeoutSeconds);
}

/// <summary>
/// Probes many targets with bounded concurrency and yields one <see cref="ScanResult"/> per host as soon as that
/// host is done (in completion order, not target order). Targets are pulled from the sequence only when a probe
/// slot is free and each full report is dropped once its compact result is taken, so memory stays flat however
/// many targets there are.
/// </summary>
public sealed class Scanner
{
    /// <summary>How long a probe may go on after its deadline was cancelled before the scan stops waiting for it.</summary>
    private static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(5);

    private readonly ScanOptions _options;
    private readonly Func<ProbeTarget, ProbeOptions, CancellationToken, Task<ProbeReport>> _probe;
    private readonly TimeProvider _time;

    /// <summary>A scanner that probes with <paramref name="prober"/> (a new <see cref="RdpProber"/> by default).</summary>
    public Scanner(ScanOptions options, RdpProber? prober = null, TimeProvider? time = null)
        : this(options, (prober ?? new RdpProber()).ProbeAsync, time)
    {
    }

    /// <summary>A scanner that probes each target with <paramref name="probe"/> (to wrap or replace the prober).</summary>
    public Scanner(ScanOptions options, Func<ProbeTarget, ProbeOptions, CancellationToken, Task<ProbeReport>> probe, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Concurrency, ScanOptions.MaxConcurrency);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HostTimeout, TimeSpan.Zero);
        _options = options;
        _probe = probe;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Called when a probe starts, with the target's index and the number of probes now running.</summary>
    public Action<long, int>? Started { get; init; }

    /// <summary>
    /// Probes every target. Cancelling <paramref name="cancellationToken"/> stops launching probes and cancels
    /// the running ones, whose (interrupted) results are still yielded; the enumeration then ends normally.
    /// </summary>
    public async IAsyncEnumerable<ScanResult> ScanAsync(IEnumerable<ProbeTarget> targets, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var results = Channel.CreateBounded<ScanResult>(new BoundedChannelOptions(_options.Concurrency)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // Stops the writers if the consumer leaves the loop early; the user's token only stops launching.
        using var abandon = new CancellationTokenSource();
        Task launching = LaunchAllAsync(targets, results.Writer, cancellationToken, abandon.Token);
        try
        {
            await foreach (ScanResult result in results.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                yield return result;
            }

            await launching.ConfigureAwait(false);
        }
        finally
        {
            await abandon.CancelAsync().ConfigureAwait(false);
            try
            {
                await launching.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task LaunchAllAsync(IEnumerable<ProbeTarget> targets, ChannelWriter<ScanResult> writer, CancellationToken stop, CancellationToken abandon)
    {
        using var slots = new SemaphoreSlim(_options.Concurrency, _options.Concurrency);
        using var stopOrAbandon = CancellationTokenSource.CreateLinkedTokenSource(stop, abandon);
        var running = new HashSet<Task>();
        Exception? failure = null;
        try
        {
            long index = 0;
            foreach (ProbeTarget target in targets)
            {
                try
                {
                    await slots.WaitAsync(stopOrAbandon.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                if (stop.IsCancellationRequested || abandon.IsCancellationRequested)
                {
                    // A running probe, cancelled by the same stop, may free its slot before the wait sees the stop (the linked
                    // source is cancelled by a callback that may not have run yet; the token itself already says so).
                    slots.Release();
                    break;
                }

                int active = _options.Concurrency - slots.CurrentCount;
                Started?.Invoke(index, active);
                Task probe = ProbeOneAsync(index++, target, writer, slots, stop, abandon);
                lock (running)
                {
                    running.Add(probe);
                }

                _ = probe.ContinueWith(
                    done =>
                    {
                        lock (running)
                        {
                            running.Remove(done);
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
        catch (Exception ex)
        {
            // The target sequence itself failed (e.g. a file became unreadable): finish what runs, then report it.
            failure = ex;
        }

        Task[] remaining;
        lock (running)
        {
            remaining = [.. running];
        }

        try
        {
            await Task.WhenAll(remaining).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
        }

        writer.TryComplete(failure);
    }

    private async Task ProbeOneAsync(long index, ProbeTarget target, ChannelWriter<ScanResult> writer, SemaphoreSlim slots, CancellationToken stop, CancellationToken abandon)
    {
        try
        {
            await Task.Yield();
            ScanResult result = await RunProbeAsync(index, target, stop).ConfigureAwait(false);
            await writer.WriteAsync(result, abandon).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task<ScanResult> RunProbeAsync(long index, ProbeTarget target, CancellationToken stop)
    {
        DateTimeOffset started = _time.GetUtcNow();
        long startTicks = _time.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(_options.HostTimeout);
        try
        {
            Task<ProbeReport> probe = _probe(target, _options.Probe, deadline.Token);
            ProbeReport report = await probe.WaitAsync(_options.HostTimeout + CancellationGrace, _time, CancellationToken.None).ConfigureAwait(false);
            bool timedOut = deadline.IsCancellationRequested && !stop.IsCancellationRequested;
            return ScanResult.From(index, target, report, timedOut);
        }
        catch (TimeoutException)
        {
            return Synthetic(index, target, started, startTicks, stop.IsCancellationRequested ? CauseId.Interrupted : CauseId.HostTimeout,
                "the probe did not end within the per-host deadline, even once cancelled");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            bool interrupted = stop.IsCancellationRequested;
            return Synthetic(index, target, started, startTicks, interrupted ? CauseId.Interrupted : CauseId.HostTimeout,
                interrupted ? "the scan was stopped while this host was probed" : "the scan's per-host deadline passed");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Synthetic(index, target, started, startTicks, CauseId.InternalError, $"internal error: {ex.Message}");
        }
    }

    /// <summary>A result for a probe that never returned its report: no phase is known, so the cause is given in the first.</summary>
    private ScanResult Synthetic(long index, ProbeTarget target, DateTimeOffset started, long startTicks, CauseId cause, string summary) => new(
        index, target.ToString(), null, _options.Probe.Until, null, null, null, null, null, null, null, null,
        null, new Cause(ConnectionPhase.Tcp, cause), summary, started, _time.GetElapsedTime(startTicks));
}
