using System.Globalization;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Tls;

namespace RdpHandshake.IntegrationTests;

/// <summary>The key log decrypts a real capture: tshark records a probe of xrdp and reads it back with the keys.</summary>
public sealed class KeyLogCaptureTests(XrdpFixture xrdp) : IClassFixture<XrdpFixture>
{
    [Theory]
    [InlineData("1.3")]
    [InlineData("1.2")]
    public async Task Tshark_decrypts_the_tls_finished_messages_with_the_key_log(string versionText)
    {
        xrdp.Require();
        Peers.Require("tshark");
        Assert.True(TlsNames.TryParseVersion(versionText, out RdpHandshake.Protocol.Tls.TlsVersion version));
        string directory = Directory.CreateTempSubdirectory("rdphs-keylog-").FullName;
        string capture = Path.Combine(directory, "probe.pcapng");
        string keys = Path.Combine(directory, "keys.txt");
        string port = xrdp.NegotiatePort.ToString(CultureInfo.InvariantCulture);

        var capturing = new TaskCompletionSource();
        Task<ProcessResult> tshark = Peers.RunAsync(
            "tshark",
            ["-i", "lo", "-f", $"tcp port {port}", "-w", capture, "-a", "duration:5"],
            TimeSpan.FromSeconds(30),
            onStdErrLine: line =>
            {
                if (line.Contains("Capturing on", StringComparison.Ordinal))
                {
                    capturing.TrySetResult();
                }

                return true;
            });
        await capturing.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        // tshark announces the capture a moment before its filter is live; a ClientHello it misses would make
        // the capture undecryptable whatever the keys.
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        var lines = new List<string>();
        ProbeReport report = await new RdpProber().ProbeAsync(
            new ProbeTarget("127.0.0.1", xrdp.NegotiatePort),
            new ProbeOptions { KeyLog = lines.Add, Tls = new TlsOffer { Versions = [version] } },
            TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        await File.WriteAllLinesAsync(keys, lines, TestContext.Current.CancellationToken);
        ProcessResult captured = await tshark;
        Assert.True(File.Exists(capture), captured.ToString());

        string[] read = ["-r", capture, "-d", $"tcp.port=={port},tls", "-Y", "tls.handshake.type == 20", "-T", "fields", "-e", "frame.number"];
        ProcessResult without = await Peers.RunAsync("tshark", read, TimeSpan.FromSeconds(30));
        ProcessResult with = await Peers.RunAsync("tshark", [.. read, "-o", $"tls.keylog_file:{keys}"], TimeSpan.FromSeconds(30));
        Directory.Delete(directory, recursive: true);

        // The Finished messages travel encrypted: tshark sees them only with the keys.
        Assert.Equal(string.Empty, without.StdOut.Trim());
        Assert.True(with.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 1, with.ToString());
    }
}
