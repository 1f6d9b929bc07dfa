using System.Globalization;
using RdpHandshake.Capture;
using RdpHandshake.Tls;

namespace RdpHandshake.IntegrationTests;

/// <summary>The synthesised pcapng of a probe of xrdp, read back by tshark: X.224 and TLS dissected, TLS decrypted.</summary>
public sealed class CaptureTests(XrdpFixture xrdp) : IClassFixture<XrdpFixture>
{
    [Fact]
    public async Task Tshark_dissects_the_capture_and_decrypts_it_with_the_key_log()
    {
        xrdp.Require();
        Peers.Require("tshark");
        string directory = Directory.CreateTempSubdirectory("rdphs-pcap-").FullName;
        string capture = Path.Combine(directory, "probe.pcapng");
        string keys = Path.Combine(directory, "keys.txt");
        string port = xrdp.NegotiatePort.ToString(CultureInfo.InvariantCulture);

        var lines = new List<string>();
        ProbeReport report = await new RdpProber().ProbeAsync(
            new ProbeTarget("127.0.0.1", xrdp.NegotiatePort), new ProbeOptions { KeyLog = lines.Add }, TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        await File.WriteAllLinesAsync(keys, lines, TestContext.Current.CancellationToken);
        await using (FileStream file = File.Create(capture))
        {
            PcapngWriter.Write(report.Wire!, file);
        }

        // The X.224 part, dissected as RDP over TPKT.
        ProcessResult rdp = await Peers.RunAsync("tshark",
            ["-r", capture, "-d", $"tcp.port=={port},tpkt", "-Y", "rdp", "-T", "fields", "-e", "_ws.col.Info"], TimeSpan.FromSeconds(30));
        Assert.Contains("Cookie: mstshash=rdphs, Negotiate Request", rdp.StdOut, StringComparison.Ordinal);
        Assert.Contains("Negotiate Response", rdp.StdOut, StringComparison.Ordinal);

        // The TLS part: the ClientHello in the clear, and with the keys the encrypted TLS 1.3 Certificate.
        string[] tls = ["-r", capture, "-d", $"tcp.port=={port},tls", "-T", "fields", "-e", "tls.handshake.type"];
        ProcessResult plain = await Peers.RunAsync("tshark", tls, TimeSpan.FromSeconds(30));
        ProcessResult decrypted = await Peers.RunAsync("tshark", [.. tls, "-o", $"tls.keylog_file:{keys}"], TimeSpan.FromSeconds(30));
        Directory.Delete(directory, recursive: true);

        string[] plainTypes = plain.StdOut.Split(['\n', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] decryptedTypes = decrypted.StdOut.Split(['\n', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("1", plainTypes); // ClientHello
        Assert.Contains("2", plainTypes); // ServerHello
        Assert.DoesNotContain("11", plainTypes); // the Certificate is encrypted in TLS 1.3
        Assert.Contains("11", decryptedTypes);
        Assert.Contains("20", decryptedTypes); // Finished
    }
}
