using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Sequence;

/// <summary>
/// What the sequence waits for next: the step's name (for the timeline), a description of the PDU, and how
/// to find the frame boundary in a byte stream. The driver reads until <see cref="FindSize"/> says
/// <see cref="FrameSizeStatus.Complete"/> and the whole frame is buffered, then feeds exactly that frame.
/// </summary>
public abstract class FrameHint(string stepName, string expecting, int maxFrameLength)
{
    /// <summary>The timeline name of the receiving step, e.g. <c>x224.confirm</c>.</summary>
    public string StepName { get; } = stepName;

    /// <summary>The PDU expected, e.g. <c>X.224 Connection Confirm</c>.</summary>
    public string Expecting { get; } = expecting;

    /// <summary>The size bound on one frame; the driver never buffers more for this step.</summary>
    public int MaxFrameLength { get; } = maxFrameLength;

    /// <summary>How many leading bytes <see cref="FindSize"/> may look at.</summary>
    public abstract int HeaderLength { get; }

    /// <summary>Looks at up to <see cref="HeaderLength"/> buffered bytes and sizes the frame.</summary>
    public abstract FrameSize FindSize(ReadOnlySpan<byte> buffered);
}

/// <summary>Frames TPKT packets (every slow-path PDU before TLS and outside it).</summary>
public sealed class TpktFrameHint(string stepName, string expecting, int maxFrameLength = TpktHeader.MaxPacketLength)
    : FrameHint(stepName, expecting, Math.Min(maxFrameLength, TpktHeader.MaxPacketLength))
{
    public override int HeaderLength => TpktHeader.FixedPartSize;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) => TpktHeader.FindFrameSize(buffered, MaxFrameLength);
}
