using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace RdpHandshake.IntegrationTests;

/// <summary>FreeRDP's shadow server with NLA, under Xvfb: a real CredSSP server on loopback.</summary>
public sealed class ShadowServerFixture : IAsyncLifetime
{
    private Process? _server;
    private string? _display;

    public int Port { get; private set; }

    public bool Available { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (Peers.Which("freerdp-shadow-cli") is null || Peers.Which("Xvfb") is null)
        {
            return;
        }

        int display = 500 + Random.Shared.Next(0, 400);
        await Peers.RunScriptAsync("xvfb.sh", "start", display.ToString(CultureInfo.InvariantCulture));
        _display = display.ToString(CultureInfo.InvariantCulture);
        Port = Peers.FreePort();
        var info = new ProcessStartInfo("freerdp-shadow-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add($"/port:{Port}");
        info.ArgumentList.Add("/sec:nla");
        info.ArgumentList.Add("-auth");
        info.Environment["DISPLAY"] = $":{display}";
        _server = Process.Start(info);
        _server!.OutputDataReceived += (_, e) => Remember(e.Data);
        _server.ErrorDataReceived += (_, e) => Remember(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        // The shadow server generates its TLS key at start-up, which takes a while on a busy machine.
        for (int i = 0; i < 300 && !_server.HasExited; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, Port);
                Available = true;
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        string state = _server.HasExited ? $"exited with {_server.ExitCode}" : "still running";
        throw new InvalidOperationException($"freerdp-shadow-cli did not listen on port {Port} within 30 s ({state}); its last output:\n{string.Join('\n', _output)}");
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 20)
        {
            _output.TryDequeue(out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        if (_display is not null)
        {
            await Peers.RunScriptAsync("xvfb.sh", "stop", _display);
        }
    }

    public void Require()
    {
        if (!Available)
        {
            Peers.Require("freerdp-shadow-cli", "Xvfb");
        }
    }
}

public sealed class ShadowServerTests(ShadowServerFixture shadow) : IClassFixture<ShadowServerFixture>
{
    [Fact]
    public async Task Ntlm_info_reads_the_shadow_servers_names_without_credentials()
    {
        shadow.Require();
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "ntlm-info", $"127.0.0.1:{shadow.Port}");
        Assert.True(run.ExitCode == 0, run.ToString());

        // winpr's NTLM server names itself after the host and reports NTLM from a Windows 7-era version.
        string host = Environment.MachineName.ToUpperInvariant();
        Assert.Matches($@"NetBIOS computer name\s+{System.Text.RegularExpressions.Regex.Escape(host)}", run.StdOut);
        Assert.Matches(@"Product version\s+\d+\.\d+\.\d+", run.StdOut);
        Assert.Contains("NTLM without SPNEGO", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_probe_of_the_shadow_server_selects_nla_and_completes_tls()
    {
        shadow.Require();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", shadow.Port), new ProbeOptions(), TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(Protocol.X224.SecurityProtocols.Hybrid, report.Negotiation!.Selected);
        Assert.True(report.Tls!.HandshakeComplete);
    }
}
