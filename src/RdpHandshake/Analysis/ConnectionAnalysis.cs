using System.Net;

namespace RdpHandshake.Analysis;

/// <summary>How the analysis of a connection ended.</summary>
public enum AnalysisStatus
{
    /// <summary>The connection reached the end of the connection sequence (finalization).</summary>
    Finalized,

    /// <summary>The connection failed, and the diagnosis says where and why.</summary>
    Failed,

    /// <summary>The capture ends, or misses bytes, before the connection did: nothing is guessed.</summary>
    Incomplete,

    /// <summary>The connection went on, encrypted, where the analysis cannot see (no keys).</summary>
    NotVisible,
}

/// <summary>One direction's TCP facts.</summary>
public sealed record DirectionFacts(
    string From,
    DateTimeOffset? Syn,
    DateTimeOffset? Fin,
    DateTimeOffset? Rst,
    long Segments,
    long PayloadBytes,
    int Retransmissions,
    int OutOfOrder,
    int Overlaps,
    int Gaps,
    long GapBytes,
    int ZeroWindows,
    DateTimeOffset? FirstZeroWindow,
    int TruncatedPayloads,
    int TruncatedTo,
    bool MidStream)
{
    internal static DirectionFacts Of(TcpFlow flow) => new(
        flow.From.ToString(), flow.SynAt, flow.FinAt, flow.RstAt, flow.Segments, flow.PayloadBytes, flow.Retransmissions, flow.OutOfOrder,
        flow.Overlaps, flow.Gaps, flow.GapBytes, flow.ZeroWindows, flow.FirstZeroWindow, flow.TruncatedPayloads, flow.TruncatedTo, flow.MidStream);
}

/// <summary>Who ended the connection: which side, how (FIN or RST), when, after which PDU, after how long a silence.</summary>
public sealed record Ending(string By, string How, DateTimeOffset At, string? AfterPdu, TimeSpan? Silence, string Summary);

/// <summary>A fact about a connection or the capture that is not a step: a zero window, a gap, the MTU black hole.</summary>
public sealed record Finding(string Code, string Text);

/// <summary>The analysis of one RDP connection of a capture: the probe's report of it, and what only a capture shows.</summary>
public sealed record ConnectionAnalysis
{
    public required int Index { get; init; }

    public required IPEndPoint Client { get; init; }

    public required IPEndPoint Server { get; init; }

    public required DateTimeOffset FirstSeen { get; init; }

    public required DateTimeOffset LastSeen { get; init; }

    /// <summary>The timeline, the facts and the diagnosis, exactly as <c>rdphs probe</c> reports them.</summary>
    public required ProbeReport Report { get; init; }

    public required AnalysisStatus Status { get; init; }

    /// <summary>Where the analysis stops seeing, and why (no keys, a gap, the end of the capture); null when it saw everything.</summary>
    public string? VisibilityEnds { get; init; }

    public Ending? Ending { get; init; }

    public required DirectionFacts ClientTcp { get; init; }

    public required DirectionFacts ServerTcp { get; init; }

    public IReadOnlyList<Finding> Findings { get; init; } = [];

    public static string StatusName(AnalysisStatus status) => status switch
    {
        AnalysisStatus.Finalized => "finalized",
        AnalysisStatus.Failed => "failed",
        AnalysisStatus.Incomplete => "incomplete",
        AnalysisStatus.NotVisible => "not-visible",
    };
}
