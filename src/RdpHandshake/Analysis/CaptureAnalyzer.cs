using System.Net;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Analysis;

/// <summary>Which connections of a capture to analyse.</summary>
public sealed record AnalysisOptions
{
    /// <summary>The key log that decrypts TLS; empty when none was given.</summary>
    public TlsKeyLog Keys { get; init; } = TlsKeyLog.Empty;

    /// <summary>Only the connection of this index (<c>--stream N</c>), or null.</summary>
    public int? Stream { get; init; }

    /// <summary>Only connections to or from this host (<c>--host</c>), or null.</summary>
    public IPAddress? Host { get; init; }

    /// <summary>Only connections to or from this port (<c>--port</c>), or null.</summary>
    public int? Port { get; init; }

    /// <summary>What each direction keeps for the analysis.</summary>
    public long Bound { get; init; } = TimedStream.DefaultBound;

    /// <summary>
    /// How many connection reports are kept (each holds its steps' bytes, tens of KiB): later RDP connections are
    /// analysed and counted, and <c>--stream</c>, <c>--host</c> or <c>--port</c> select them. This keeps a capture of
    /// thousands of connections within bounded memory.
    /// </summary>
    public int MaxReports { get; init; } = 200;

    public bool Selects(TcpConnection connection) =>
        (Stream is null || connection.Index == Stream)
        && (Host is null || connection.Client!.From.Address.Equals(Host) || connection.Server!.From.Address.Equals(Host))
        && (Port is null || connection.Client!.From.Port == Port || connection.Server!.From.Port == Port);
}

/// <summary>What the capture as a whole held.</summary>
public sealed record CaptureSummary(
    string Path,
    CaptureFormat Format,
    long Bytes,
    long Frames,
    long TcpSegments,
    long OtherIp,
    long NotIp,
    long Undecodable,
    IReadOnlyList<string> LinkTypes,
    DateTimeOffset? First,
    DateTimeOffset? Last,
    int Connections,
    int RdpConnections,
    string? ReadError);

/// <summary>The analysis of a capture: the capture's facts, its findings, and one analysis per RDP connection selected.</summary>
public sealed record AnalysisReport(CaptureSummary Capture, IReadOnlyList<ConnectionAnalysis> Connections, IReadOnlyList<Finding> Findings)
{
    /// <summary>RDP connections analysed beyond <see cref="AnalysisOptions.MaxReports"/>, not kept.</summary>
    public int NotKept { get; init; }
}

/// <summary>
/// Reads a capture once, streaming: every frame is decoded, every TCP connection reassembled, each RDP connection
/// found (on any port) and analysed by the <see cref="ConnectionObserver"/> as soon as it is over, then its bytes
/// dropped. Memory stays bounded by the connections open at once, not by the capture's size.
/// </summary>
public static class CaptureAnalyzer
{
    /// <summary>Analyses <paramref name="path"/>; throws <see cref="CaptureUnreadableException"/> when it is not a capture.</summary>
    public static AnalysisReport Analyze(string path, AnalysisOptions options, CancellationToken cancellationToken = default)
    {
        using CaptureFile file = CaptureFile.Open(path);
        var analyses = new List<ConnectionAnalysis>();
        var certificates = new CertificateCache();
        int notKept = 0;
        var tracker = new TcpTracker(options.Bound)
        {
            Completed = connection =>
            {
                if (!options.Selects(connection))
                {
                    return;
                }

                ConnectionAnalysis analysis = new ConnectionObserver(connection, options.Keys, certificates).Run();
                if (analyses.Count < options.MaxReports)
                {
                    analyses.Add(analysis);
                }
                else
                {
                    notKept++;
                }
            },
        };

        long frames = 0, tcp = 0, otherIp = 0, notIp = 0, undecodable = 0;
        var links = new SortedSet<string>(StringComparer.Ordinal);
        DateTimeOffset? first = null, last = null;
        while (file.Next() is { } frame)
        {
            if ((frames & 0x3FF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            frames++;
            links.Add(LinkName(frame.LinkType));
            first ??= frame.Time;
            last = frame.Time;
            switch (SegmentDecoder.Decode(frame, out TcpSegment? segment))
            {
                case FrameKind.Tcp:
                    tcp++;
                    tracker.Add(segment!);
                    break;
                case FrameKind.OtherIp:
                    otherIp++;
                    break;
                case FrameKind.NotIp:
                    notIp++;
                    break;
                case FrameKind.Undecodable:
                    undecodable++;
                    break;
            }
        }

        tracker.Finish();
        var summary = new CaptureSummary(path, file.Format, file.Length, frames, tcp, otherIp, notIp, undecodable, [.. links], first, last,
            tracker.Connections, tracker.RdpConnections, file.ReadError);
        analyses.Sort((a, b) => a.Index.CompareTo(b.Index));
        return new AnalysisReport(summary, analyses, Findings(summary, analyses)) { NotKept = notKept };
    }

    /// <summary>
    /// Analyses TCP segments already decoded (a test's or a fuzzer's), in capture order, as <see cref="Analyze"/> does a
    /// capture's: every RDP connection among them, reassembled and observed.
    /// </summary>
    public static IReadOnlyList<ConnectionAnalysis> AnalyzeSegments(IEnumerable<TcpSegment> segments, AnalysisOptions options)
    {
        var analyses = new List<ConnectionAnalysis>();
        var certificates = new CertificateCache();
        var tracker = new TcpTracker(options.Bound)
        {
            Completed = connection =>
            {
                if (options.Selects(connection) && analyses.Count < options.MaxReports)
                {
                    analyses.Add(new ConnectionObserver(connection, options.Keys, certificates).Run());
                }
            },
        };
        foreach (TcpSegment segment in segments)
        {
            tracker.Add(segment);
        }

        tracker.Finish();
        analyses.Sort((a, b) => a.Index.CompareTo(b.Index));
        return analyses;
    }

    private static List<Finding> Findings(CaptureSummary capture, List<ConnectionAnalysis> analyses)
    {
        var findings = new List<Finding>();
        if (capture.ReadError is { } error)
        {
            findings.Add(new Finding("capture-damaged", $"reading stopped after frame {capture.Frames}: {error} (a truncated or damaged capture; what came before is analysed)"));
        }

        if (capture.Frames == 0)
        {
            findings.Add(new Finding("empty", "the capture holds no frames"));
        }
        else if (capture.TcpSegments == 0)
        {
            findings.Add(new Finding("no-tcp", $"the capture holds no TCP ({capture.Frames} frame(s): {capture.OtherIp} other IP, {capture.NotIp} not IP, {capture.Undecodable} undecodable)"));
        }
        else if (capture.RdpConnections == 0)
        {
            findings.Add(new Finding("no-rdp", $"none of the {capture.Connections} TCP connection(s) is RDP: no client's first payload is an X.224 Connection Request"));
        }

        int truncated = analyses.Sum(a => a.ClientTcp.TruncatedPayloads + a.ServerTcp.TruncatedPayloads);
        if (truncated > 0)
        {
            int to = analyses.Max(a => Math.Max(a.ClientTcp.TruncatedTo, a.ServerTcp.TruncatedTo));
            findings.Add(new Finding("snaplen", $"payloads truncated to {to} bytes: the capture was taken with a snap length too small for RDP (capture again with -s 0)"));
        }

        return findings;
    }

    public static string LinkName(PacketDotNet.LinkLayers link) => link switch
    {
        PacketDotNet.LinkLayers.Ethernet => "Ethernet",
        PacketDotNet.LinkLayers.LinuxSll => "Linux cooked (SLL)",
        PacketDotNet.LinkLayers.LinuxSll2 => "Linux cooked (SLL2)",
        PacketDotNet.LinkLayers.Raw or PacketDotNet.LinkLayers.RawLegacy => "raw IP",
        PacketDotNet.LinkLayers.IPv4 => "raw IPv4",
        PacketDotNet.LinkLayers.IPv6 => "raw IPv6",
        PacketDotNet.LinkLayers.Null or PacketDotNet.LinkLayers.Loop => "BSD loopback",
        _ => link.ToString(),
    };

    /// <summary>The phase an analysis reached, for listings.</summary>
    public static string Reached(ConnectionAnalysis analysis) => analysis.Report.Reached?.Name() ?? "none";
}
