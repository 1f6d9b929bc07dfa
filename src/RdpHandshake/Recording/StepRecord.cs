using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Transport;

namespace RdpHandshake.Recording;

/// <summary>How a step ended.</summary>
public enum StepOutcome
{
    /// <summary>Still running: the run ended (or was interrupted) while this step was in flight.</summary>
    InFlight,

    Ok,

    Failed,

    /// <summary>Ctrl-C or SIGTERM stopped the run during this step.</summary>
    Interrupted,
}

/// <summary>
/// One step of the timeline: what was sent and received (bytes as hex), what they decode to, when, and how
/// it ended. Times are offsets from the start of the run.
/// </summary>
public sealed class StepRecord
{
    internal StepRecord(int index, string name, ConnectionPhase phase, TimeSpan start)
    {
        Index = index;
        Name = name;
        Phase = phase;
        Start = start;
    }

    /// <summary>1-based position in the timeline.</summary>
    public int Index { get; }

    /// <summary>Timeline name, e.g. <c>x224.confirm</c>.</summary>
    public string Name { get; internal set; }

    public ConnectionPhase Phase { get; internal set; }

    /// <summary>The PDU sent or received, by its spec name.</summary>
    public string? Pdu { get; internal set; }

    public TimeSpan Start { get; }

    /// <summary>Set when the step ends.</summary>
    public TimeSpan? Duration { get; internal set; }

    public byte[] Sent { get; internal set; } = [];

    public byte[] Received { get; internal set; } = [];

    public IReadOnlyList<StepField> Fields { get; internal set; } = [];

    public StepOutcome Outcome { get; internal set; } = StepOutcome.InFlight;

    /// <summary>One line for humans: what happened.</summary>
    public string? Summary { get; internal set; }

    /// <summary>
    /// The most received bytes the client held at once during this step (see <see cref="FrameReadResult.PeakBuffered"/>);
    /// zero for steps that only send.
    /// </summary>
    internal long PeakBuffered { get; private set; }

    /// <summary>The largest frame the step would accept: the bound that <see cref="PeakBuffered"/> is measured against.</summary>
    internal int FrameBound { get; private set; }

    /// <summary>
    /// Counts <paramref name="held"/> received bytes held at once against <paramref name="bound"/>, for reads that do not
    /// go through one frame hint (the RD Gateway's TLS connection, its HTTP heads and its packet stream).
    /// </summary>
    internal void NoteHeld(long held, int bound)
    {
        PeakBuffered = Math.Max(PeakBuffered, held);
        FrameBound = Math.Max(FrameBound, bound);
    }

    internal void NoteRead(FrameHint hint, FrameReadResult read)
    {
        PeakBuffered = Math.Max(PeakBuffered, read.PeakBuffered);
        FrameBound = Math.Max(FrameBound, hint.MaxFrameLength);
    }
}
