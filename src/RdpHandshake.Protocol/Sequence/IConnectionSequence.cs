using System.Buffers;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Sequence;

/// <summary>
/// A sans-IO part of the connection sequence: the driver asks what it waits for (<see cref="NextFrameHint"/>,
/// null when the next step only sends), feeds it exactly one frame or nothing, and writes what it outputs.
/// </summary>
public interface IConnectionSequence
{
    /// <summary>True once no further step is possible.</summary>
    bool IsTerminal { get; }

    /// <summary>The phase the next step belongs to (or the last one, once terminal).</summary>
    ConnectionPhase Phase { get; }

    /// <summary>The frame the next step needs, or null when the next step only sends (or the sequence is over).</summary>
    FrameHint? NextFrameHint { get; }

    /// <summary>The timeline name of the next step.</summary>
    string? NextStepName { get; }

    /// <summary>Why the sequence ended early, if it did.</summary>
    ProtocolFailure? Failure { get; }

    /// <summary>Runs one step: empty input for a sending step, else exactly one frame as sized by the hint.</summary>
    StepResult Step(ReadOnlySpan<byte> input, IBufferWriter<byte> output);

    /// <summary>Ends the sequence because the awaited frame could not even be sized.</summary>
    StepResult RejectFrame(DecodeError error);
}
