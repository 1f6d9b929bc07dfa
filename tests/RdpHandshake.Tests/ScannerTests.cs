using System.Net;
using RdpHandshake.Cli;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Scan;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>The scanner against several test servers on loopback: results per host, concurrency, deadlines, streaming.</summary>
public sealed class ScannerTests
{
    private static Fault ParseFault(string text)
    {
        Assert.True(Fault.TryParse(text, out Fault? fault, out string? error), error);
        return fault!;
    }

    private static async Task<(RdpTestServer Server, ProbeTarget Target)> StartAsync(TestServerOptions options)
    {
        var server = new RdpTestServer(options with { ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = server.Start();
        await Task.CompletedTask;
        return (server, new ProbeTarget(endpoint.Address.ToString(), endpoint.Port));
    }

    private static ScanOptions Options(int concurrency = 8, double hostSeconds = 20) => new()
    {
        Probe = EngineHarness.FastOptions(new ProbeOptions { Until = ConnectionPhase.Tls }),
        Concurrency = concurrency,
        HostTimeout = TimeSpan.FromSeconds(hostSeconds),
    };

    private static async Task<List<ScanResult>> CollectAsync(Scanner scanner, IEnumerable<ProbeTarget> targets, CancellationToken cancellationToken = default)
    {
        var results = new List<ScanResult>();
        await foreach (ScanResult result in scanner.ScanAsync(targets, cancellationToken))
        {
            results.Add(result);
        }

        return results;
    }

    [Fact]
    public async Task Each_host_gets_its_own_result_healthy_and_faulty_alike()
    {
        var servers = new List<RdpTestServer>();
        try
        {
            async Task<ProbeTarget> Add(TestServerOptions options)
            {
                (RdpTestServer server, ProbeTarget target) = await StartAsync(options);
                servers.Add(server);
                return target;
            }

            ProbeTarget healthy = await Add(new TestServerOptions());
            ProbeTarget tlsOnly = await Add(new TestServerOptions { Accepted = SecurityProtocols.Ssl });
            ProbeTarget nlaRequired = await Add(new TestServerOptions { ForcedFailure = NegotiationFailureCode.HybridRequiredByServer });
            ProbeTarget closing = await Add(new TestServerOptions { Faults = [ParseFault("x224.confirm:close")] });
            ProbeTarget stalling = await Add(new TestServerOptions { Faults = [ParseFault("tcp.accept:stall")] });
            ProbeTarget[] targets = [healthy, tlsOnly, nlaRequired, closing, stalling, new ProbeTarget("127.0.0.1", Peers.ClosedPort())];

            List<ScanResult> results = await CollectAsync(new Scanner(Options()), targets, TestContext.Current.CancellationToken);

            Assert.Equal(targets.Length, results.Count);
            Assert.Equal(Enumerable.Range(0, targets.Length).Select(i => (long)i), results.Select(r => r.Index).Order());
            ScanResult For(ProbeTarget t) => results.Single(r => r.Target == t.ToString());

            ScanResult ok = For(healthy);
            Assert.True(ok.Success, ok.Summary);
            Assert.Equal(ConnectionPhase.Tls, ok.Reached);
            Assert.Equal(ConnectionPhase.Tls, ok.Goal);
            Assert.NotNull(ok.Selected);
            Assert.NotNull(ok.TlsVersion);
            Assert.NotNull(ok.TlsCipherSuite);
            Assert.NotNull(ok.CertificateSubject);
            Assert.InRange(ok.CertificateDaysLeft!.Value, 1, 3650);
            Assert.Equal(0, ExitCodes.For(ok));
            Assert.Equal(healthy.ToString(), ok.Remote);

            ScanResult tls = For(tlsOnly);
            Assert.True(tls.Success, tls.Summary);
            Assert.Equal(SecurityProtocols.Ssl, tls.Selected);
            Assert.Equal(NlaStatus.NotSelected, tls.Nla);

            ScanResult nla = For(nlaRequired);
            Assert.False(nla.Success);
            Assert.Equal(NlaStatus.Required, nla.Nla);
            Assert.Equal(NegotiationFailureCode.HybridRequiredByServer, nla.NegotiationFailure);
            Assert.Equal((ConnectionPhase.X224, "nla-required"), (nla.FailedPhase!.Value, nla.Cause!.Value.Name));

            ScanResult closed = For(closing);
            Assert.False(closed.Success);
            Assert.Equal((ConnectionPhase.X224, "closed-by-peer"), (closed.FailedPhase!.Value, closed.Cause!.Value.Name));
            Assert.Equal(ConnectionPhase.Tcp, closed.Reached);
            Assert.Equal(11, ExitCodes.For(closed));

            ScanResult stalled = For(stalling);
            Assert.Equal((ConnectionPhase.X224, "timeout"), (stalled.FailedPhase!.Value, stalled.Cause!.Value.Name));

            ScanResult refused = results.Single(r => r.Index == targets.Length - 1);
            Assert.Equal((ConnectionPhase.Tcp, "connection-refused"), (refused.FailedPhase!.Value, refused.Cause!.Value.Name));
            Assert.Null(refused.Reached);
            Assert.Null(refused.Nla);

            foreach (ScanResult result in results)
            {
                Assert.Contains("\"schema\":\"rdphs.scan/1\"", ScanResultJson.ToLine(result, ExitCodes.For(result)), StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach (RdpTestServer server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task No_more_probes_run_at_once_than_the_concurrency()
    {
        (RdpTestServer server, ProbeTarget target) = await StartAsync(new TestServerOptions());
        await using (server)
        {
            int running = 0;
            int peak = 0;
            var prober = new RdpProber();
            async Task<ProbeReport> Counting(ProbeTarget t, ProbeOptions o, CancellationToken c)
            {
                int now = Interlocked.Increment(ref running);
                InterlockedMax(ref peak, now);
                try
                {
                    await Task.Delay(50, c);
                    return await prober.ProbeAsync(t, o with { Until = ConnectionPhase.X224 }, c);
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            }

            List<ScanResult> results = await CollectAsync(new Scanner(Options(concurrency: 3), Counting), Enumerable.Repeat(target, 15), TestContext.Current.CancellationToken);

            Assert.Equal(15, results.Count);
            Assert.All(results, r => Assert.True(r.Success, r.Summary));
            Assert.Equal(3, peak);
            Assert.Equal(0, running);
        }
    }

    [Fact]
    public async Task Targets_are_pulled_lazily_only_when_a_slot_is_free()
    {
        int pulled = 0;
        IEnumerable<ProbeTarget> Endless()
        {
            for (int i = 0; ; i++)
            {
                Interlocked.Increment(ref pulled);
                yield return new ProbeTarget("192.0.2.1", 3389);
            }
        }

        var gate = new TaskCompletionSource();
        async Task<ProbeReport> Blocked(ProbeTarget t, ProbeOptions o, CancellationToken c)
        {
            await gate.Task.WaitAsync(c);
            throw new InvalidOperationException("not reached");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var scanner = new Scanner(Options(concurrency: 4), Blocked);
        Task<List<ScanResult>> scanning = CollectAsync(scanner, Endless(), stop.Token);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.InRange(Volatile.Read(ref pulled), 4, 5);
        await stop.CancelAsync();
        List<ScanResult> results = await scanning.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(4, results.Count);
        Assert.All(results, r => Assert.Equal(CauseId.Interrupted, r.Cause?.Id));
    }

    [Fact]
    public async Task The_per_host_deadline_cuts_a_slow_host_short_and_names_it()
    {
        (RdpTestServer server, ProbeTarget target) = await StartAsync(new TestServerOptions { Faults = [ParseFault("x224.confirm:stall")] });
        await using (server)
        {
            ScanOptions options = Options(hostSeconds: 1) with
            {
                Probe = new ProbeOptions { Until = ConnectionPhase.Tls, ReadTimeout = TimeSpan.FromSeconds(30) },
            };
            DateTime started = DateTime.UtcNow;
            List<ScanResult> results = await CollectAsync(new Scanner(options), [target], TestContext.Current.CancellationToken);

            ScanResult result = Assert.Single(results);
            Assert.Equal(CauseId.HostTimeout, result.Cause?.Id);
            Assert.Equal(ConnectionPhase.X224, result.FailedPhase);
            Assert.Equal(ConnectionPhase.Tcp, result.Reached);
            Assert.Equal(11, ExitCodes.For(result));
            Assert.InRange(result.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15));
        }
    }

    [Fact]
    public async Task A_probe_that_ignores_cancellation_still_ends_at_the_deadline_plus_grace()
    {
        async Task<ProbeReport> Deaf(ProbeTarget t, ProbeOptions o, CancellationToken c)
        {
            await Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            throw new InvalidOperationException("not reached");
        }

        List<ScanResult> results = await CollectAsync(new Scanner(Options(hostSeconds: 0.5), Deaf), [new ProbeTarget("192.0.2.1")], TestContext.Current.CancellationToken);
        ScanResult result = Assert.Single(results);
        Assert.Equal(CauseId.HostTimeout, result.Cause?.Id);
        Assert.Null(result.Reached);
    }

    [Fact]
    public async Task Results_stream_the_first_arrives_before_the_last_host_finishes()
    {
        (RdpTestServer slow, ProbeTarget slowTarget) = await StartAsync(new TestServerOptions { Faults = [ParseFault("tcp.accept:stall")] });
        (RdpTestServer fast, ProbeTarget fastTarget) = await StartAsync(new TestServerOptions());
        await using (slow)
        await using (fast)
        {
            bool slowDone = false;
            var prober = new RdpProber();
            async Task<ProbeReport> Watching(ProbeTarget t, ProbeOptions o, CancellationToken c)
            {
                ProbeReport report = await prober.ProbeAsync(t, o with { ReadTimeout = t == slowTarget ? TimeSpan.FromSeconds(4) : o.ReadTimeout }, c);
                if (t == slowTarget)
                {
                    Volatile.Write(ref slowDone, true);
                }

                return report;
            }

            var seen = new List<(ScanResult Result, bool SlowDoneThen)>();
            await foreach (ScanResult result in new Scanner(Options(concurrency: 4), Watching).ScanAsync([slowTarget, fastTarget, fastTarget], TestContext.Current.CancellationToken))
            {
                seen.Add((result, Volatile.Read(ref slowDone)));
            }

            Assert.Equal(3, seen.Count);
            Assert.False(seen[0].SlowDoneThen, "the first result waited for the slow host");
            Assert.Equal(fastTarget.ToString(), seen[0].Result.Target);
            Assert.Equal(slowTarget.ToString(), seen[^1].Result.Target);
            Assert.Equal(CauseId.Timeout, seen[^1].Result.Cause?.Id);
        }
    }

    [Fact]
    public async Task The_summary_counts_phases_and_causes_and_drops_rows_past_fifty()
    {
        var summary = new ScanSummary();
        ScanResult Result(long i, CauseId? cause) => new(i, $"10.0.0.{i}:3389", null, ConnectionPhase.Tls, cause is null ? ConnectionPhase.Tls : ConnectionPhase.Tcp,
            null, null, null, null, null, null, null, cause is null ? null : ConnectionPhase.X224, cause is { } id ? new Cause(ConnectionPhase.X224, id) : null, "s", DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        for (int i = 0; i < 50; i++)
        {
            summary.Add(Result(49 - i, i % 5 == 0 ? CauseId.ClosedByPeer : null));
        }

        Assert.Equal(50, summary.Done);
        Assert.Equal(10, summary.Failed);
        Assert.Equal([new("tls", 40L), new("tcp", 10L)], summary.ByReached);
        Assert.Equal([new("x224 closed-by-peer", 10L)], summary.ByCause);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), summary.Rows!.Select(r => r.Index));

        summary.Add(Result(50, CauseId.Reset));
        Assert.Null(summary.Rows);
        Assert.Equal(2, summary.ByCause.Count);
        await Task.CompletedTask;
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int current = Volatile.Read(ref location);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static class Peers
    {
        /// <summary>A loopback port nothing listens on (bound, then released).</summary>
        public static int ClosedPort()
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)socket.LocalEndPoint!).Port;
        }
    }
}
