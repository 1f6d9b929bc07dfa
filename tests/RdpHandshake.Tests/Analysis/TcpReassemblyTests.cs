using System.Net;
using RdpHandshake.Analysis;
using RdpHandshake.Capture;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests.Analysis;

/// <summary>
/// TCP reassembly as the analysis does it, on pcap files built here segment by segment around a real connection (the
/// bytes of an rdphs probe of the test server over TLS to finalization, and the key log it wrote): the segments out of
/// order, twice, overlapping, missing, with zero windows, FIN and RST from either side, and the MTU black hole's
/// signature. A reassembly that got one byte wrong would not decrypt, and the analysis would not reach finalization.
/// </summary>
public sealed class TcpReassemblyTests
{
    private const int Mss = 200;

    private static readonly Lazy<Task<(WireLog Log, TlsKeyLog Keys)>> Recorded = new(RecordAsync);

    private static async Task<(WireLog Log, TlsKeyLog Keys)> RecordAsync()
    {
        var keys = new TlsKeyLog();
        var options = new ProbeOptions { Until = ConnectionPhase.Finalization, KeyLog = line => { lock (keys) { keys.Add(line); } } };
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl }, options);
        Assert.Null(report.Diagnosis);
        return (report.Wire!, keys);
    }

    /// <summary>The first answer of the server long enough to be cut into several segments (its TLS flight with the certificate).</summary>
    private static int LongServerEvent(WireLog log)
    {
        for (int i = 0; i < log.Events.Count; i++)
        {
            if (log.Events[i].Direction == WireDirection.ToClient && log.Events[i].Payload.Length > 3 * Mss)
            {
                return i;
            }
        }

        throw new InvalidOperationException("the probe's server sent no long answer: " + string.Join(",", log.Events.Select(e => $"{e.Direction}:{e.Payload.Length}")));
    }

    /// <summary>Replays the conversation, handing the long server answer to <paramref name="special"/> instead.</summary>
    private static SyntheticCapture Replay(WireLog log, Action<SyntheticCapture, byte[][]> special, SyntheticCapture? capture = null)
    {
        capture ??= new SyntheticCapture();
        int target = LongServerEvent(log);
        capture.Handshake();
        for (int i = 0; i < log.Events.Count; i++)
        {
            WireEvent e = log.Events[i];
            if (i == target)
            {
                special(capture, e.Payload.Chunk(Mss).ToArray());
            }
            else
            {
                capture.Send(e.Direction == WireDirection.ToServer, e.Payload, Mss);
            }
        }

        capture.Fin(fromClient: true);
        capture.Fin(fromClient: false);
        capture.Ack(fromClient: true);
        return capture;
    }

    private static (AnalysisReport Report, ConnectionAnalysis Connection) Analyse(SyntheticCapture capture, TlsKeyLog? keys, SyntheticLink link = SyntheticLink.Ethernet, int snapLength = 262_144)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rdphs-tcp-{Guid.NewGuid():n}.pcap");
        try
        {
            capture.Write(path, link, snapLength);
            AnalysisReport report = CaptureAnalyzer.Analyze(path, new AnalysisOptions { Keys = keys ?? TlsKeyLog.Empty }, TestContext.Current.CancellationToken);
            return (report, Assert.Single(report.Connections));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Said(ConnectionAnalysis c) =>
        $"{ConnectionAnalysis.StatusName(c.Status)}: {c.Report.Verdict} / {c.VisibilityEnds} / {string.Join("; ", c.Findings.Select(f => f.Code + ": " + f.Text))}";

    public static TheoryData<SyntheticLink, bool> Links()
    {
        var data = new TheoryData<SyntheticLink, bool>();
        foreach (SyntheticLink link in Enum.GetValues<SyntheticLink>())
        {
            data.Add(link, false);
            data.Add(link, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Links))]
    public async Task Every_link_layer_over_IPv4_and_IPv6_is_read_to_finalization(SyntheticLink link, bool ipv6)
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        SyntheticCapture capture = ipv6
            ? new SyntheticCapture(new IPEndPoint(IPAddress.Parse("2001:db8::10"), 50_123), new IPEndPoint(IPAddress.Parse("2001:db8::20"), 3389))
            : new SyntheticCapture();
        Replay(log, (c, pieces) => c.Send(fromClient: false, pieces.SelectMany(p => p).ToArray(), Mss), capture);

        (AnalysisReport report, ConnectionAnalysis connection) = Analyse(capture, keys, link);

        Assert.True(connection.Status == AnalysisStatus.Finalized, Said(connection));
        Assert.Equal(capture.Server, connection.Server);
        Assert.Equal(capture.Client, connection.Client);
        string expected = link switch
        {
            SyntheticLink.Ethernet or SyntheticLink.EthernetVlan => "Ethernet",
            SyntheticLink.Raw => "raw IP",
            SyntheticLink.LinuxSll => "Linux cooked (SLL)",
            SyntheticLink.LinuxSll2 => "Linux cooked (SLL2)",
        };
        Assert.Equal([expected], report.Capture.LinkTypes);
        Assert.Equal(0, connection.ServerTcp.Gaps);
        Assert.Equal(0, connection.ServerTcp.OutOfOrder);
        Assert.Equal(0, connection.ServerTcp.Retransmissions);
        Assert.NotNull(connection.ClientTcp.Syn);
        Assert.NotNull(connection.ServerTcp.Syn);
    }

    [Fact]
    public async Task Segments_captured_in_reverse_order_are_put_back_in_sequence_order()
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        int pieces = 0;
        SyntheticCapture capture = Replay(log, (c, chunks) =>
        {
            pieces = chunks.Length;
            long start = c.Sent(fromClient: false);
            for (int k = chunks.Length - 1; k >= 0; k--)
            {
                c.Segment(fromClient: false, start + (k * Mss), chunks[k]);
            }

            c.Ack(fromClient: true);
        });

        (_, ConnectionAnalysis connection) = Analyse(capture, keys);

        Assert.True(connection.Status == AnalysisStatus.Finalized, Said(connection));
        Assert.Equal(pieces - 1, connection.ServerTcp.OutOfOrder);
        Assert.Equal(0, connection.ServerTcp.Gaps);
        Assert.Equal(0, connection.ServerTcp.Retransmissions);
    }

    [Fact]
    public async Task Retransmitted_segments_are_counted_once_in_the_stream()
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        int pieces = 0;
        SyntheticCapture capture = Replay(log, (c, chunks) =>
        {
            pieces = chunks.Length;
            int first = c.Count;
            foreach (byte[] chunk in chunks)
            {
                c.Segment(fromClient: false, c.Sent(fromClient: false), chunk);
            }

            for (int k = 0; k < chunks.Length; k++)
            {
                c.Repeat(first + k);
            }

            c.Ack(fromClient: true);
        });

        (_, ConnectionAnalysis connection) = Analyse(capture, keys);

        Assert.True(connection.Status == AnalysisStatus.Finalized, Said(connection));
        Assert.Equal(pieces, connection.ServerTcp.Retransmissions);
        Assert.Contains(connection.Findings, f => f.Code == "retransmissions" && f.Text.Contains($"server retransmitted {pieces} segment(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_overlapping_segment_adds_only_its_new_bytes_and_the_first_copy_wins()
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        SyntheticCapture capture = Replay(log, (c, chunks) =>
        {
            byte[] all = chunks.SelectMany(p => p).ToArray();
            long start = c.Sent(fromClient: false);
            c.Segment(fromClient: false, start, all[..500]);

            // The second segment repeats bytes 300 to 500 with other contents: a receiver keeps the ones it has.
            byte[] second = all[300..];
            second.AsSpan(0, 200).Fill(0xEE);
            c.Segment(fromClient: false, start + 300, second);
            c.Ack(fromClient: true);
        });

        (_, ConnectionAnalysis connection) = Analyse(capture, keys);

        Assert.True(connection.Status == AnalysisStatus.Finalized, Said(connection));
        Assert.Equal(1, connection.ServerTcp.Overlaps);
        Assert.Equal(0, connection.ServerTcp.Gaps);
    }

    [Fact]
    public async Task Missing_bytes_are_reported_as_a_gap_and_nothing_after_them_is_guessed()
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        int missing = 0;
        SyntheticCapture capture = Replay(log, (c, chunks) =>
        {
            long start = c.Sent(fromClient: false);
            for (int k = 0; k < chunks.Length; k++)
            {
                if (k == 1)
                {
                    missing = chunks[k].Length;
                    continue;
                }

                c.Segment(fromClient: false, start + (k * Mss), chunks[k]);
            }

            c.Ack(fromClient: true);
        });

        (_, ConnectionAnalysis connection) = Analyse(capture, keys);

        Assert.True(connection.Status == AnalysisStatus.Incomplete, Said(connection));
        Assert.Null(connection.Report.Diagnosis);
        Assert.Equal(1, connection.ServerTcp.Gaps);
        Assert.Equal(missing, connection.ServerTcp.GapBytes);
        Assert.Contains(connection.Findings, f => f.Code == "gap" && f.Text.StartsWith($"{missing} byte(s) the server sent are missing", StringComparison.Ordinal));
        Assert.Contains("missing from the capture", connection.VisibilityEnds, StringComparison.Ordinal);
        Assert.True(connection.Report.Reached < ConnectionPhase.Finalization);
    }

    [Fact]
    public async Task A_hole_that_a_later_retransmission_fills_is_not_a_gap()
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        SyntheticCapture capture = Replay(log, (c, chunks) =>
        {
            long start = c.Sent(fromClient: false);
            for (int k = 0; k < chunks.Length; k++)
            {
                if (k != 1)
                {
                    c.Segment(fromClient: false, start + (k * Mss), chunks[k]);
                }
            }

            c.Ack(fromClient: true, upTo: start + Mss);
            c.Wait(TimeSpan.FromMilliseconds(200));
            c.Segment(fromClient: false, start + Mss, chunks[1]);
            c.Ack(fromClient: true);
        });

        (_, ConnectionAnalysis connection) = Analyse(capture, keys);

        Assert.True(connection.Status == AnalysisStatus.Finalized, Said(connection));
        Assert.Equal(0, connection.ServerTcp.Gaps);
        Assert.True(connection.ServerTcp.OutOfOrder >= 1);
    }

    /// <summary>The connection up to the server's Connection Confirm, from the recorded probe.</summary>
    private static SyntheticCapture ToConfirm(WireLog log)
    {
        var capture = new SyntheticCapture();
        capture.Handshake();
        capture.Send(fromClient: true, log.Events[0].Payload);
        capture.Send(fromClient: false, log.Events[1].Payload);
        return capture;
    }

    [Fact]
    public async Task A_FIN_from_the_client_where_its_next_PDU_was_due_is_the_client_closing()
    {
        (WireLog log, _) = await Recorded.Value;
        SyntheticCapture capture = ToConfirm(log);
        capture.Wait(TimeSpan.FromSeconds(2));
        capture.Fin(fromClient: true);
        capture.Fin(fromClient: false);
        capture.Ack(fromClient: true);

        (_, ConnectionAnalysis connection) = Analyse(capture, null);

        Assert.True(connection.Status == AnalysisStatus.Failed, Said(connection));
        Assert.Equal(CauseId.ClientClosed, connection.Report.Diagnosis!.Cause.Id);
        Assert.Equal(ConnectionPhase.Tls, connection.Report.Diagnosis.Phase);
        Ending ending = connection.Ending!;
        Assert.Equal(("client", "FIN"), (ending.By, ending.How));
        Assert.Equal(TimeSpan.FromMilliseconds(2002), ending.Silence); // the confirm, the client's ACK a millisecond later, two seconds of nothing
        Assert.NotNull(connection.ClientTcp.Fin);
        Assert.NotNull(connection.ServerTcp.Fin);
        Assert.Null(connection.ClientTcp.Rst);
        Assert.Null(connection.ServerTcp.Rst);
        Assert.True(connection.ClientTcp.Fin < connection.ServerTcp.Fin);
    }

    [Fact]
    public async Task A_RST_from_the_server_in_place_of_its_confirm_is_the_server_resetting()
    {
        (WireLog log, _) = await Recorded.Value;
        var capture = new SyntheticCapture();
        capture.Handshake();
        capture.Send(fromClient: true, log.Events[0].Payload);
        capture.Rst(fromClient: false);

        (_, ConnectionAnalysis connection) = Analyse(capture, null);

        Assert.True(connection.Status == AnalysisStatus.Failed, Said(connection));
        Assert.Equal(ConnectionPhase.X224, connection.Report.Diagnosis!.Phase);
        Assert.Equal(CauseId.Reset, connection.Report.Diagnosis.Cause.Id);
        Assert.Equal(("server", "RST"), (connection.Ending!.By, connection.Ending.How));
        Assert.NotNull(connection.ServerTcp.Rst);
        Assert.Null(connection.ClientTcp.Rst);
        Assert.Null(connection.ClientTcp.Fin);
    }

    [Fact]
    public async Task A_RST_from_the_client_while_it_waits_is_the_client_giving_up()
    {
        (WireLog log, _) = await Recorded.Value;
        var capture = new SyntheticCapture();
        capture.Handshake();
        capture.Send(fromClient: true, log.Events[0].Payload);
        capture.Wait(TimeSpan.FromSeconds(10));
        capture.Rst(fromClient: true);

        (_, ConnectionAnalysis connection) = Analyse(capture, null);

        Assert.True(connection.Status == AnalysisStatus.Failed, Said(connection));
        Assert.Equal(ConnectionPhase.X224, connection.Report.Diagnosis!.Phase);
        Assert.Contains("the client gave up (RST) after waiting 10", connection.Report.Diagnosis.Summary, StringComparison.Ordinal);
        Assert.Equal(("client", "RST"), (connection.Ending!.By, connection.Ending.How));
        Assert.NotNull(connection.ClientTcp.Rst);
        Assert.Null(connection.ServerTcp.Rst);
    }

    [Fact]
    public async Task Zero_windows_are_counted_and_reported()
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        SyntheticCapture capture = Replay(log, (c, chunks) =>
        {
            foreach (byte[] chunk in chunks)
            {
                c.Segment(fromClient: false, c.Sent(fromClient: false), chunk);
                c.Ack(fromClient: true, window: 0);
            }

            c.Ack(fromClient: true);
        });

        (_, ConnectionAnalysis connection) = Analyse(capture, keys);

        Assert.True(connection.Status == AnalysisStatus.Finalized, Said(connection));
        Assert.Equal(LongChunks(log), connection.ClientTcp.ZeroWindows);
        Assert.Equal(0, connection.ServerTcp.ZeroWindows);
        Assert.Contains(connection.Findings, f => f.Code == "zero-window" && f.Text.StartsWith("the client advertised a zero receive window", StringComparison.Ordinal));
    }

    private static int LongChunks(WireLog log) => (log.Events[LongServerEvent(log)].Payload.Length + Mss - 1) / Mss;

    /// <summary>Up to the client's first TLS record (small segments, acknowledged), then the first <paramref name="length"/> bytes of the server's flight sent five times over 15 s, acknowledged after the first resend or never.</summary>
    private static (AnalysisReport, ConnectionAnalysis) BlackHole(WireLog log, TlsKeyLog keys, int length, bool ackedOnce)
    {
        SyntheticCapture capture = ToConfirm(log);
        capture.Send(fromClient: true, log.Events[2].Payload);
        byte[] flight = log.Events.Skip(3).Where(e => e.Direction == WireDirection.ToClient).SelectMany(e => e.Payload).ToArray();
        Assert.True(flight.Length >= length);
        int index = capture.Count;
        capture.Segment(fromClient: false, 0 + capture.Sent(fromClient: false), flight[..length]);
        for (int i = 0; i < 4; i++)
        {
            capture.Wait(TimeSpan.FromSeconds(1 << i));
            capture.Repeat(index);
            if (ackedOnce && i == 0)
            {
                capture.Ack(fromClient: true);
            }
        }

        capture.Wait(TimeSpan.FromSeconds(5));
        capture.Rst(fromClient: true);
        return Analyse(capture, keys);
    }

    [Fact]
    public async Task The_same_large_segment_retransmitted_without_an_ack_while_small_ones_pass_is_the_MTU_black_hole()
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        (_, ConnectionAnalysis connection) = BlackHole(log, keys, 1200, ackedOnce: false);

        Finding hole = Assert.Single(connection.Findings, f => f.Code == "mtu-black-hole");
        Assert.StartsWith("the server sent the same 1200-byte segment 5 times over 15.004 s without an acknowledgement", hole.Text, StringComparison.Ordinal);
        Assert.Equal(4, connection.ServerTcp.Retransmissions);
        Assert.True(connection.Report.Diagnosis is { Phase: ConnectionPhase.Tls, Cause.Id: CauseId.TimeoutMidAnswer }, Said(connection));
        Assert.Equal(("client", "RST"), (connection.Ending!.By, connection.Ending.How));
    }

    [Theory]
    [InlineData(1200, true)]
    [InlineData(600, false)]
    public async Task A_large_segment_acknowledged_or_a_small_one_retransmitted_is_not_the_MTU_black_hole(int length, bool ackedOnce)
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        (_, ConnectionAnalysis connection) = BlackHole(log, keys, length, ackedOnce);

        Assert.DoesNotContain(connection.Findings, f => f.Code == "mtu-black-hole");
        Assert.Equal(4, connection.ServerTcp.Retransmissions);
    }

    [Fact]
    public async Task The_probes_own_pcapng_capture_reads_back_byte_for_byte()
    {
        (WireLog log, TlsKeyLog keys) = await Recorded.Value;
        string path = Path.Combine(Path.GetTempPath(), $"rdphs-own-{Guid.NewGuid():n}.pcapng");
        try
        {
            using (FileStream file = File.Create(path))
            {
                PcapngWriter.Write(log, file);
            }

            byte[] toServer = log.Events.Where(e => e.Direction == WireDirection.ToServer).SelectMany(e => e.Payload).ToArray();
            byte[] toClient = log.Events.Where(e => e.Direction == WireDirection.ToClient).SelectMany(e => e.Payload).ToArray();
            byte[]? client = null, server = null;
            var tracker = new TcpTracker
            {
                Completed = c =>
                {
                    client = c.Client!.Stream.Chunks.SelectMany(chunk => chunk.Data!).ToArray();
                    server = c.Server!.Stream.Chunks.SelectMany(chunk => chunk.Data!).ToArray();
                },
            };
            using (CaptureFile capture = CaptureFile.Open(path))
            {
                Assert.Equal(CaptureFormat.Pcapng, capture.Format);
                while (capture.Next() is { } frame)
                {
                    Assert.Equal(FrameKind.Tcp, SegmentDecoder.Decode(frame, out TcpSegment? segment));
                    tracker.Add(segment!);
                }

                Assert.Null(capture.ReadError);
            }

            tracker.Finish();
            Assert.Equal(toServer, client);
            Assert.Equal(toClient, server);

            AnalysisReport report = CaptureAnalyzer.Analyze(path, new AnalysisOptions { Keys = keys }, TestContext.Current.CancellationToken);
            Assert.Equal(["raw IP"], report.Capture.LinkTypes);
            Assert.Equal(AnalysisStatus.Finalized, Assert.Single(report.Connections).Status);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
