namespace RdpHandshake.Protocol.Encoding;

/// <summary>What the first bytes of a stream say about the next frame.</summary>
public enum FrameSizeStatus
{
    /// <summary>Not enough bytes to know; read at least <see cref="FrameSize.Length"/> in all.</summary>
    NeedMore,

    /// <summary>The frame is <see cref="FrameSize.Length"/> bytes long (it may not all be buffered yet).</summary>
    Complete,

    /// <summary>The header is not one a conforming peer sends; see <see cref="FrameSize.Error"/>.</summary>
    Invalid,
}

/// <summary>The answer of a frame hint: how many bytes make the next frame.</summary>
public readonly record struct FrameSize(FrameSizeStatus Status, int Length, DecodeError? Error)
{
    public static FrameSize NeedMore(int atLeast) => new(FrameSizeStatus.NeedMore, atLeast, null);

    public static FrameSize Complete(int length) => new(FrameSizeStatus.Complete, length, null);

    public static FrameSize Invalid(DecodeError error) => new(FrameSizeStatus.Invalid, 0, error);
}
