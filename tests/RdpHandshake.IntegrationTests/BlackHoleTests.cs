using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using RdpHandshake.Cli;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// A real path MTU black hole (tests/peers/blackhole.sh: a namespace whose big segments are dropped without
/// ICMP), with the built-in server inside it: the probe must name the black hole, and after the fix (the MSS
/// follows the lower MTU, what the remedy asks for) the same probe must get through.
/// </summary>
public sealed class BlackHoleTests
{
    [Fact]
    public async Task A_black_hole_after_the_x224_exchange_is_diagnosed_as_such_and_the_remedy_works()
    {
        Peers.Require("ip");
        int n = Random.Shared.Next(1, 251);
        string address = $"10.98.{n}.2";
        await Peers.RunScriptAsync("blackhole.sh", "start", n.ToString(CultureInfo.InvariantCulture));
        Process? server = null;
        try
        {
            var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in new[] { "netns", "exec", $"rdphs-bh-{n}", "dotnet", Path.Combine(AppContext.BaseDirectory, "rdphs.dll"), "serve", "--bind", address, "--port", "3389", "--accept", "ssl" })
            {
                info.ArgumentList.Add(argument);
            }

            server = Process.Start(info)!;
            await WaitForListenerAsync(address, server);
            var options = new ProbeOptions
            {
                Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl, Cookie = "rdphs" },
                Until = ConnectionPhase.Tls,
                ReadTimeout = TimeSpan.FromSeconds(3),
            };

            ProbeReport blackHole = await new RdpProber().ProbeAsync(new ProbeTarget(address, 3389), options, TestContext.Current.CancellationToken);
            Assert.False(blackHole.Success, blackHole.Verdict);
            Assert.Contains(blackHole.Steps, s => s.Name == "x224.confirm" && s.Outcome == Recording.StepOutcome.Ok);
            Assert.Equal(ConnectionPhase.Tls, blackHole.Diagnosis!.Phase);
            Assert.StartsWith("timeout", blackHole.Diagnosis.Cause.Name, StringComparison.Ordinal);
            Assert.Contains("MTU", blackHole.Diagnosis.Explanation, StringComparison.Ordinal);
            Assert.Contains("MTU", blackHole.Diagnosis.Remedy, StringComparison.Ordinal);

            await Peers.RunScriptAsync("blackhole.sh", "fix", n.ToString(CultureInfo.InvariantCulture));
            ProbeReport fixedPath = await new RdpProber().ProbeAsync(new ProbeTarget(address, 3389), options, TestContext.Current.CancellationToken);
            Assert.True(fixedPath.Success, fixedPath.Verdict);
            Assert.Equal(ConnectionPhase.Tls, fixedPath.Reached);
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
            }

            server?.Dispose();
            await Peers.RunScriptAsync("blackhole.sh", "stop", n.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static async Task WaitForListenerAsync(string address, Process server)
    {
        for (int i = 0; i < 300; i++)
        {
            if (server.HasExited)
            {
                Assert.Fail($"rdphs serve exited with {server.ExitCode}: {await server.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Parse(address), 3389);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Fail($"rdphs serve did not listen on {address}:3389 within 30 s");
    }
}
