using System.Net;
using RdpHandshake.Analysis;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Fuzz;

/// <summary>
/// Oracles for <c>rdphs analyze</c>: arbitrary bytes as a capture file, and arbitrary TCP segments (data anywhere in
/// the sequence space, FIN and RST, either side) of a connection whose client opened with a Connection Request. The
/// analysis never throws (a file that is not a capture is <see cref="CaptureUnreadableException"/>, one line), and
/// every connection it reports is consistent: a failed one has a diagnosis, a finalized one none.
/// </summary>
public static class AnalysisOracles
{
    /// <summary>
    /// Where each input is written for libpcap to read: fuzz/run.sh names a scratch directory in memory (tmpfs), as a
    /// file created and removed on disk for every execution costs more than the analysis. The file is overwritten
    /// for each input and removed when the process ends normally.
    /// </summary>
    private static readonly string CapturePath = ScratchFile();

    private static readonly IPEndPoint Client = new(IPAddress.Parse("10.0.0.1"), 50_000);
    private static readonly IPEndPoint Server = new(IPAddress.Parse("10.0.0.2"), 3389);
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The client's first PDU: what makes a connection RDP to the analysis.</summary>
    private static readonly byte[] Request = Pdu.Encode(new X224ConnectionRequest("Cookie: mstshash=fuzz", null, new RdpNegotiationRequest(SecurityProtocols.Ssl | SecurityProtocols.Hybrid)));

    /// <summary>The input as a capture file (pcap or pcapng, or anything else), read by SharpPcap and libpcap.</summary>
    public static void Capture(byte[] input)
    {
        File.WriteAllBytes(CapturePath, input);
        AnalysisReport report;
        try
        {
            report = CaptureAnalyzer.Analyze(CapturePath, new AnalysisOptions { MaxReports = 16 });
        }
        catch (CaptureUnreadableException ex)
        {
            if (string.IsNullOrWhiteSpace(ex.Message) || ex.Message.Contains('\n'))
            {
                throw new InvalidOperationException($"an unreadable capture must be said in one line, not '{ex.Message}'");
            }

            return;
        }

        if (report.Capture.Frames < report.Capture.TcpSegments + report.Capture.OtherIp + report.Capture.NotIp + report.Capture.Undecodable)
        {
            throw new InvalidOperationException("more frames counted by kind than were read");
        }

        foreach (ConnectionAnalysis connection in report.Connections)
        {
            Consistent(connection);
        }
    }

    private static string ScratchFile()
    {
        string path = Path.Combine(Environment.GetEnvironmentVariable("RDPHS_FUZZ_SCRATCH") ?? Path.GetTempPath(), $"rdphs-fuzz-capture-{Environment.ProcessId}.pcap");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }

    /// <summary>
    /// The input as TCP segments after a handshake and the client's Connection Request: per segment, one byte (bit 0
    /// the side, bits 1-2 in order / at a shifted offset / FIN / RST, bits 3-7 milliseconds later), a shift byte for a
    /// shifted segment, a length byte and that many payload bytes.
    /// </summary>
    public static void TcpStream(byte[] input)
    {
        var segments = new List<TcpSegment>();
        long[] sent = [Request.Length, 0];
        uint[] isn = [1000, 0xFFFF_F000];
        DateTimeOffset time = Start;
        long frame = 0;
        void Add(bool fromClient, long offset, TcpFlags flags, byte[] payload)
        {
            int side = fromClient ? 0 : 1;
            segments.Add(new TcpSegment(++frame, time, fromClient ? Client : Server, fromClient ? Server : Client,
                unchecked(isn[side] + 1 + (uint)offset), unchecked(isn[1 - side] + 1 + (uint)sent[1 - side]), flags, 64_240, payload, payload.Length));
        }

        segments.Add(new TcpSegment(++frame, time, Client, Server, isn[0], 0, TcpFlags.Syn, 64_240, [], 0));
        segments.Add(new TcpSegment(++frame, time, Server, Client, isn[1], isn[0] + 1, TcpFlags.Syn | TcpFlags.Ack, 64_240, [], 0));
        Add(true, 0, TcpFlags.Psh | TcpFlags.Ack, Request);
        for (int i = 0; i < input.Length;)
        {
            byte op = input[i++];
            bool fromClient = (op & 1) == 0;
            int side = fromClient ? 0 : 1;
            time += TimeSpan.FromMilliseconds(op >> 3);
            switch ((op >> 1) & 3)
            {
                case 0 or 1:
                    int shift = 0;
                    if (((op >> 1) & 3) == 1)
                    {
                        shift = i < input.Length ? (sbyte)input[i++] * 16 : 0;
                    }

                    int length = i < input.Length ? input[i++] : 0;
                    byte[] payload = input.AsSpan(i, Math.Min(length, input.Length - i)).ToArray();
                    i += payload.Length;
                    long offset = Math.Max(0, sent[side] + shift);
                    Add(fromClient, offset, TcpFlags.Psh | TcpFlags.Ack, payload);
                    sent[side] = Math.Max(sent[side], offset + payload.Length);
                    break;
                case 2:
                    Add(fromClient, sent[side], TcpFlags.Fin | TcpFlags.Ack, []);
                    break;
                default:
                    Add(fromClient, sent[side], TcpFlags.Rst, []);
                    break;
            }
        }

        IReadOnlyList<ConnectionAnalysis> analyses = CaptureAnalyzer.AnalyzeSegments(segments, new AnalysisOptions());
        if (analyses.Count != 1)
        {
            throw new InvalidOperationException($"one RDP connection went in, {analyses.Count} came out");
        }

        Consistent(analyses[0]);
    }

    private static void Consistent(ConnectionAnalysis connection)
    {
        // Where visibility ends, the transport may still say how it ended (a server that closed after the client's
        // last, encrypted PDU): a diagnosis there is allowed; a failure without one, or a finalized one with one, is not.
        if ((connection.Status == AnalysisStatus.Failed && connection.Report.Diagnosis is null)
            || (connection.Status == AnalysisStatus.Finalized && connection.Report.Diagnosis is not null))
        {
            throw new InvalidOperationException($"status {connection.Status} with diagnosis {connection.Report.Diagnosis?.Cause.Name ?? "none"}");
        }

        if (connection.Status is AnalysisStatus.Incomplete or AnalysisStatus.NotVisible && string.IsNullOrEmpty(connection.VisibilityEnds))
        {
            throw new InvalidOperationException($"status {connection.Status} without saying where visibility ends");
        }

        if (string.IsNullOrEmpty(connection.Report.Verdict))
        {
            throw new InvalidOperationException("an analysis without a verdict");
        }
    }
}
