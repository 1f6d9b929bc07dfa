using System.Net;
using RdpHandshake.Crypto;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// The hostile-server matrix for the hop in front of the server: every fault the test proxy can inject at every proxy
/// step, for SOCKS5 and HTTP CONNECT. Each run must end in a diagnosis in phase <c>proxy</c> that names the step the
/// client waited in, within the read deadline, without an unhandled exception, and without the client holding more
/// received bytes than the step's frame bound allows.
/// </summary>
public sealed class HostileProxyMatrixTests
{
    private static readonly TimeSpan ReadTimeout = EngineHarness.FastOptions().ReadTimeout;

    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(4);

    public static TheoryData<string, string> All
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string kind in new[] { "socks5", "http" })
            {
                foreach (string step in ProxyFaultSteps.All)
                {
                    // An HTTP proxy takes the Basic credentials with CONNECT: it has no answer at proxy.auth.
                    if (kind == "http" && step == ProxyFaultSteps.Auth)
                    {
                        continue;
                    }

                    foreach (FaultKind fault in ProxyFaultSteps.KindsAt(step))
                    {
                        data.Add(kind, $"{step}:{FaultNames.Name(fault)}");
                    }
                }
            }

            return data;
        }
    }

    /// <summary>Probes the test server through the test proxy, both on loopback.</summary>
    internal static async Task<(ProbeReport Report, IReadOnlyList<ProxyConnectionRecord> Proxy)> ThroughTestProxyAsync(
        ProxyKind kind, TestProxyOptions proxyOptions, ProbeOptions? options = null, (string User, string Password)? account = null)
    {
        await using var server = new RdpTestServer(new TestServerOptions { Accepted = SecurityProtocols.Ssl, ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint target = server.Start();
        await using var proxy = new TestProxyServer(proxyOptions with { ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = proxy.Start();
        ProbeOptions probe = (options ?? new ProbeOptions()) with
        {
            Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl, Cookie = "rdphs" },
            Proxy = new ProxySettings(kind, endpoint.Address.ToString(), endpoint.Port, account?.User)
            {
                Password = account is { } given ? new Secret(given.Password) : null,
            },
        };
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget(target.Address.ToString(), target.Port), EngineHarness.FastOptions(probe),
            TestContext.Current.CancellationToken);
        IReadOnlyList<ProxyConnectionRecord> records = await proxy.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(10));
        return (report, records);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Every_proxy_fault_at_every_proxy_step_ends_in_a_bounded_diagnosis_naming_the_step(string kindText, string faultText)
    {
        Assert.True(ProxyFaultSteps.TryParse(faultText, out Fault? parsed, out string? error), error);
        // Slow enough that even the two-byte method selection cannot complete within the read deadline.
        Fault fault = parsed! with { DripInterval = TimeSpan.FromMilliseconds(1500) };
        ProxyKind kind = kindText == "socks5" ? ProxyKind.Socks5 : ProxyKind.HttpConnect;
        (ProbeReport report, IReadOnlyList<ProxyConnectionRecord> records) = await ThroughTestProxyAsync(kind, new TestProxyOptions { Faults = [fault] });

        ProxyConnectionRecord record = Assert.Single(records);
        Assert.Equal(fault, record.Fault);
        Assert.False(report.Success, $"{kindText} {faultText}: the run succeeded although the proxy misbehaved ({record.Ending})");
        Diagnosis diagnosis = report.Diagnosis!;
        string said = $"{kindText} {faultText}: {diagnosis.Phase.Name()}/{diagnosis.Cause.Name} at {diagnosis.Evidence.Step}: {diagnosis.Summary} (proxy: {record.Ending})";
        string clientStep = fault.Step == ProxyFaultSteps.Accept ? (kind == ProxyKind.Socks5 ? ProxySteps.Auth : ProxySteps.Tunnel) : fault.Step;
        Assert.True(diagnosis.Phase == ConnectionPhase.Proxy, said);
        // A reset right after the accept can reach the client while its connect is still completing: proxy.connect ends it.
        bool resetWhileConnecting = fault is { Step: ProxyFaultSteps.Accept, Kind: FaultKind.Reset } && diagnosis.Evidence.Step == ProxySteps.Connect && diagnosis.Cause.Id == CauseId.Reset;
        Assert.True(diagnosis.Evidence.Step == clientStep || resetWhileConnecting, said);
        Assert.NotEqual(CauseId.InternalError, diagnosis.Cause.Id);
        Assert.False(report.Proxy!.Facts?.Tunnelled ?? false, said);
        Assert.DoesNotContain(report.Steps, s => s.Phase > ConnectionPhase.Proxy);

        CatalogEntry entry = DiagnosisCatalog.Lookup(diagnosis.Cause);
        Assert.NotEmpty(diagnosis.Remedy);
        Assert.Equal(entry.Remedy, diagnosis.Remedy);
        // Every cause a proxy's misbehaviour ends in has an entry that speaks of the proxy, not of the RDP server.
        Assert.True(entry.Explanation.Contains("proxy", StringComparison.OrdinalIgnoreCase) || entry.Title.Contains("proxy", StringComparison.OrdinalIgnoreCase), $"{said}: {entry.Title}");

        StepRecord failed = report.Steps.Last();
        Assert.NotEqual(StepOutcome.Ok, failed.Outcome);
        Assert.True(failed.Duration <= ReadTimeout + TimeSpan.FromSeconds(1), $"{said}: step {failed.Name} took {failed.Duration}");
        Assert.True(report.Elapsed <= ReadTimeout + Slack, $"{said}: the run took {report.Elapsed}");
        Assert.All(report.Steps, step => Assert.True(
            step.PeakBuffered <= HostileServerMatrixTests.BufferBound(step),
            $"{said}: step {step.Name} held {step.PeakBuffered} received bytes, above its bound {HostileServerMatrixTests.BufferBound(step)}"));
    }

    [Theory]
    [InlineData(ProxyKind.Socks5)]
    [InlineData(ProxyKind.HttpConnect)]
    public async Task A_probe_through_the_test_proxy_with_its_account_reaches_finalization(ProxyKind kind)
    {
        (ProbeReport report, IReadOnlyList<ProxyConnectionRecord> records) = await ThroughTestProxyAsync(kind,
            new TestProxyOptions { Account = ("tester", "Proxy-Secret-1") }, account: ("tester", "Proxy-Secret-1"));

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        Assert.True(report.Proxy!.Facts!.Tunnelled);
        Assert.Equal("tester", report.Proxy.Facts.AuthenticatedAs);
        Assert.Equal(kind, Assert.Single(records).Kind);
        Assert.StartsWith("relayed to ", records[0].Ending, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ProxyKind.Socks5, "wrong", "proxy.auth", "proxy-auth-failed")]
    [InlineData(ProxyKind.Socks5, null, "proxy.auth", "proxy-no-acceptable-method")]
    [InlineData(ProxyKind.HttpConnect, "wrong", "proxy.tunnel", "proxy-auth-failed")]
    [InlineData(ProxyKind.HttpConnect, null, "proxy.tunnel", "proxy-auth-required")]
    public async Task The_test_proxy_refusing_credentials_is_typed_at_its_step(ProxyKind kind, string? password, string step, string cause)
    {
        (ProbeReport report, _) = await ThroughTestProxyAsync(kind, new TestProxyOptions { Account = ("tester", "Proxy-Secret-1") },
            account: password is null ? null : ("tester", password));

        Assert.Equal((ConnectionPhase.Proxy, cause, step), (report.Diagnosis!.Phase, report.Diagnosis.Cause.Name, report.Diagnosis.Evidence.Step));
    }

    [Theory]
    [InlineData(ProxyKind.Socks5, "socks-reply:connection-refused")]
    [InlineData(ProxyKind.HttpConnect, "proxy-http-status:502")]
    public async Task A_closed_port_behind_the_test_proxy_is_typed_at_the_tunnel(ProxyKind kind, string cause)
    {
        await using var proxy = new TestProxyServer(new TestProxyOptions());
        IPEndPoint endpoint = proxy.Start();
        int closed = FreePort();
        ProbeOptions options = EngineHarness.FastOptions(new ProbeOptions { Proxy = new ProxySettings(kind, "127.0.0.1", endpoint.Port, null) });
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", closed), options, TestContext.Current.CancellationToken);

        Assert.Equal((ConnectionPhase.Proxy, cause, ProxySteps.Tunnel), (report.Diagnosis!.Phase, report.Diagnosis.Cause.Name, report.Diagnosis.Evidence.Step));
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
