using System.Text;
using RdpHandshake.Analysis;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests.Analysis;

/// <summary>
/// What the analysis says of input that is not a good capture of RDP: a file that is not a capture, one cut short, one
/// without RDP or without TCP, one whose snap length cut the payloads. Always one line (an error or a finding), never
/// an exception other than <see cref="CaptureUnreadableException"/>.
/// </summary>
public sealed class BadCaptureTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rdphs-bad-capture-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private static AnalysisReport Analyse(string path) => CaptureAnalyzer.Analyze(path, new AnalysisOptions(), TestContext.Current.CancellationToken);

    /// <summary>A Connection Request as xfreerdp sends it (cookie, TLS and NLA requested).</summary>
    private static byte[] ConnectionRequest() => Protocol.Encoding.Pdu.Encode(new X224ConnectionRequest(
        "Cookie: mstshash=alice", null, new RdpNegotiationRequest(SecurityProtocols.Ssl | SecurityProtocols.Hybrid), null));

    [Theory]
    [InlineData("text", "hello, this is not a capture\n", "is not a pcap or pcapng capture (it starts with 68656c6c; an ETL trace")]
    [InlineData("json", "{\"schema\":\"rdphs.probe/1\"}", "is not a pcap or pcapng capture (it starts with 7b227363: JSON text)")]
    [InlineData("empty", "", "is empty, not a capture")]
    [InlineData("short", "ab", "is 2 byte(s) long, too short for a capture")]
    public void A_file_that_is_not_a_capture_is_one_line_that_says_what_it_is(string name, string content, string expected)
    {
        string path = PathOf(name);
        File.WriteAllText(path, content);

        CaptureUnreadableException error = Assert.Throws<CaptureUnreadableException>(() => Analyse(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_pcap_header_cut_short_is_unreadable_in_one_line()
    {
        string path = PathOf("header.pcap");
        File.WriteAllBytes(path, [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0]);

        CaptureUnreadableException error = Assert.Throws<CaptureUnreadableException>(() => Analyse(path));

        Assert.StartsWith($"{path} cannot be read as a pcap capture: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_capture_cut_in_its_last_frame_is_analysed_up_to_there_with_a_finding()
    {
        var capture = new SyntheticCapture();
        capture.Handshake();
        capture.Send(fromClient: true, ConnectionRequest());
        capture.Send(fromClient: false, new byte[300]);
        string whole = PathOf("whole.pcap");
        capture.Write(whole);
        byte[] bytes = File.ReadAllBytes(whole);
        string cut = PathOf("cut.pcap");
        File.WriteAllBytes(cut, bytes[..^100]);

        AnalysisReport report = Analyse(cut);

        Assert.NotNull(report.Capture.ReadError);
        Finding damaged = Assert.Single(report.Findings, f => f.Code == "capture-damaged");
        Assert.StartsWith($"reading stopped after frame {report.Capture.Frames}: ", damaged.Text, StringComparison.Ordinal);
        // The cut took the client's last ACK and the end of the server's 300 bytes: the frames before them are read.
        Assert.Equal(capture.Count - 2, report.Capture.Frames);
        ConnectionAnalysis connection = Assert.Single(report.Connections);
        Assert.Equal(AnalysisStatus.Incomplete, connection.Status);
    }

    [Fact]
    public void A_capture_without_RDP_says_so_and_analyses_nothing()
    {
        var capture = new SyntheticCapture(server: new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.20"), 80));
        capture.Handshake();
        capture.Send(fromClient: true, Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: example\r\n\r\n"));
        capture.Send(fromClient: false, Encoding.ASCII.GetBytes("HTTP/1.1 204 No Content\r\n\r\n"));
        capture.Fin(fromClient: true);
        capture.Fin(fromClient: false);
        string path = PathOf("http.pcap");
        capture.Write(path);

        AnalysisReport report = Analyse(path);

        Assert.Empty(report.Connections);
        Assert.Equal(1, report.Capture.Connections);
        Assert.Equal(0, report.Capture.RdpConnections);
        Finding none = Assert.Single(report.Findings);
        Assert.Equal(("no-rdp", "none of the 1 TCP connection(s) is RDP: no client's first payload is an X.224 Connection Request"), (none.Code, none.Text));
    }

    [Fact]
    public void A_capture_without_TCP_says_what_it_holds()
    {
        var capture = new SyntheticCapture();
        capture.Udp([1, 2, 3]);
        capture.Udp([4, 5, 6]);
        string path = PathOf("udp.pcap");
        capture.Write(path);

        AnalysisReport report = Analyse(path);

        Assert.Empty(report.Connections);
        Assert.Equal(2, report.Capture.OtherIp);
        Finding none = Assert.Single(report.Findings);
        Assert.Equal(("no-tcp", "the capture holds no TCP (2 frame(s): 2 other IP, 0 not IP, 0 undecodable)"), (none.Code, none.Text));
    }

    [Fact]
    public void An_empty_capture_says_it_holds_no_frames()
    {
        string path = PathOf("empty.pcap");
        new SyntheticCapture().Write(path);

        AnalysisReport report = Analyse(path);

        Assert.Equal(0, report.Capture.Frames);
        Assert.Equal("empty", Assert.Single(report.Findings).Code);
    }

    [Fact]
    public void Other_traffic_beside_an_RDP_connection_is_counted_and_passed_over()
    {
        var capture = new SyntheticCapture();
        capture.Udp([1]);
        capture.Handshake();
        capture.Udp([2]);
        capture.Send(fromClient: true, ConnectionRequest());
        capture.Udp([3]);
        capture.Rst(fromClient: false);
        string path = PathOf("mixed.pcap");
        capture.Write(path);

        AnalysisReport report = Analyse(path);

        Assert.Equal(3, report.Capture.OtherIp);
        ConnectionAnalysis connection = Assert.Single(report.Connections);
        Assert.Equal(ConnectionPhase.X224, connection.Report.Diagnosis!.Phase);
        Assert.Equal(CauseId.Reset, connection.Report.Diagnosis.Cause.Id);
    }

    [Fact]
    public void A_snap_length_that_cut_the_payloads_is_said_with_the_bytes_kept_and_nothing_is_guessed()
    {
        var capture = new SyntheticCapture();
        capture.Handshake();
        byte[] request = ConnectionRequest();
        capture.Send(fromClient: true, request);
        capture.Send(fromClient: false, new byte[] { 0x03, 0x00, 0x01, 0x00 }.Concat(new byte[252]).ToArray());
        string path = PathOf("snap.pcap");

        // Ethernet (14) + IPv4 (20) + TCP (20) + 96 bytes of payload.
        capture.Write(path, SyntheticLink.Ethernet, snapLength: 14 + 20 + 20 + 96);

        AnalysisReport report = Analyse(path);

        Assert.True(report.Capture.Undecodable == 0, $"{report.Capture}");
        Assert.Contains(report.Findings, f => f.Code == "snaplen" && f.Text.StartsWith("payloads truncated to 96 bytes", StringComparison.Ordinal));
        ConnectionAnalysis connection = Assert.Single(report.Connections);
        Assert.Equal(AnalysisStatus.Incomplete, connection.Status);
        Assert.Null(connection.Report.Diagnosis);
        Assert.Contains(connection.Findings, f => f.Code == "snaplen" && f.Text == "payloads truncated to 96 bytes by the capture's snap length (1 segment(s) from the server)");
    }

    [Fact]
    public void Frames_that_are_not_IP_or_do_not_decode_are_counted_not_fatal()
    {
        // A pcap of Ethernet frames: an ARP frame, a frame too short for its header, an IPv4 header that lies about its length.
        byte[][] frames =
        [
            [.. new byte[12], 0x08, 0x06, .. new byte[28]],
            [0x02, 0x00, 0x00],
            [.. new byte[12], 0x08, 0x00, 0x45, 0, 0xFF, 0xFF, 0, 0, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2],
        ];
        string path = PathOf("odd.pcap");
        using (FileStream file = File.Create(path))
        {
            file.Write([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0]);
            foreach (byte[] frame in frames)
            {
                byte[] record = new byte[16];
                BitConverter.TryWriteBytes(record.AsSpan(8), frame.Length);
                BitConverter.TryWriteBytes(record.AsSpan(12), frame.Length);
                file.Write(record);
                file.Write(frame);
            }
        }

        AnalysisReport report = Analyse(path);

        Assert.Equal(3, report.Capture.Frames);
        Assert.Equal(0, report.Capture.TcpSegments);
        Assert.Equal(3, report.Capture.NotIp + report.Capture.Undecodable + report.Capture.OtherIp);
        Assert.Equal("no-tcp", Assert.Single(report.Findings).Code);
    }

    [Fact]
    public async Task An_IP_header_that_nests_itself_for_ever_is_undecodable_not_a_hang()
    {
        // An IPv4 header of length 0 carrying protocol 4 (IP in IP): each layer's payload is the same bytes again.
        // PacketDotNet's Extract followed that chain without end (found by the capture fuzz target).
        byte[] frame = [.. new byte[12], 0x08, 0x00, 0x40, 0, 0, 40, 0, 0, 0, 0, 64, 4, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, .. new byte[20]];
        string path = PathOf("nested.pcap");
        using (FileStream file = File.Create(path))
        {
            file.Write([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0]);
            byte[] record = new byte[16];
            BitConverter.TryWriteBytes(record.AsSpan(8), frame.Length);
            BitConverter.TryWriteBytes(record.AsSpan(12), frame.Length);
            file.Write(record);
            file.Write(frame);
        }

        // The analysis runs beside the test so that a regression fails it instead of stopping the run.
        AnalysisReport report = await Task.Run(() => Analyse(path), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(1, report.Capture.Frames);
        Assert.Equal(1, report.Capture.Undecodable);
    }
}
