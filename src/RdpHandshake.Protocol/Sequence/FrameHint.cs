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

/// <summary>
/// Frames TPKT packets (every slow-path PDU before TLS and outside it). <paramref name="peekLength"/> lets a step see
/// more than the TPKT header of an answer that is not TPKT at all, to name what it is instead.
/// </summary>
public sealed class TpktFrameHint(string stepName, string expecting, int maxFrameLength = TpktHeader.MaxPacketLength, int peekLength = TpktHeader.FixedPartSize)
    : FrameHint(stepName, expecting, Math.Min(maxFrameLength, TpktHeader.MaxPacketLength))
{
    public override int HeaderLength { get; } = Math.Max(peekLength, TpktHeader.FixedPartSize);

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) => TpktHeader.FindFrameSize(buffered, MaxFrameLength);
}

/// <summary>
/// Frames what a server sends after the X.224 connection: TPKT packets (first byte 3) and fast-path output
/// PDUs (MS-RDPBCGR 2.2.9.1.2: action bits 0, then a one- or two-byte length that counts the whole PDU).
/// </summary>
public sealed class RdpFrameHint(string stepName, string expecting, int maxFrameLength = TpktHeader.MaxPacketLength)
    : FrameHint(stepName, expecting, Math.Min(maxFrameLength, TpktHeader.MaxPacketLength))
{
    public override int HeaderLength => TpktHeader.FixedPartSize;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered)
    {
        if (buffered.IsEmpty)
        {
            return FrameSize.NeedMore(1);
        }

        if (buffered[0] == TpktHeader.Version3)
        {
            return TpktHeader.FindFrameSize(buffered, MaxFrameLength);
        }

        if ((buffered[0] & 0x03) != 0)
        {
            return FrameSize.Invalid(DecodeError.InvalidField("RDP frame", "header", $"0x{buffered[0]:x2} starts neither a TPKT packet nor a fast-path PDU", 0));
        }

        if (buffered.Length < 2)
        {
            return FrameSize.NeedMore(2);
        }

        int length = buffered[1];
        int headerSize = 2;
        if ((length & 0x80) != 0)
        {
            if (buffered.Length < 3)
            {
                return FrameSize.NeedMore(3);
            }

            length = ((length & 0x7F) << 8) | buffered[2];
            headerSize = 3;
        }

        if (length <= headerSize)
        {
            return FrameSize.Invalid(DecodeError.InvalidField("fast-path PDU", "length", $"{length} does not exceed its {headerSize}-byte header", 1, headerSize + 1, length));
        }

        return length > MaxFrameLength
            ? FrameSize.Invalid(DecodeError.LengthLimit("fast-path PDU", "length", 1, MaxFrameLength, length))
            : FrameSize.Complete(length);
    }
}

/// <summary>Frames a PDU of fixed length (the four bytes of the Early User Authorization Result).</summary>
public sealed class FixedLengthFrameHint(string stepName, string expecting, int length) : FrameHint(stepName, expecting, length)
{
    public override int HeaderLength => 0;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) => FrameSize.Complete(MaxFrameLength);
}
