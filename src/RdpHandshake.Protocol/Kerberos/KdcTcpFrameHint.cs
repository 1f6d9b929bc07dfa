using System.Buffers.Binary;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 7.2.2 Kerberos over TCP: each message is preceded by its length in four bytes, big-endian, whose high bit
/// is reserved (a KDC that sees it set answers KRB_ERR_FIELD_TOOLONG; a reply to us with it set is refused). The
/// <see cref="Message"/> is the DER of one Kerberos message.
/// </summary>
public sealed record KdcTcpFrame(ByteString Message) : IPdu<KdcTcpFrame>
{
    public const int LengthPrefixSize = 4;

    /// <summary>The bound on one message read from a KDC: a reply to us holds one ticket, so 64 KiB is plenty.</summary>
    public const int MaxMessageLength = KerberosLimits.MaxMessageSize;

    public static string PduName => "Kerberos TCP frame";

    public int Size => LengthPrefixSize + Message.Length;

    public void Encode(ref PduWriter writer)
    {
        Span<byte> prefix = stackalloc byte[LengthPrefixSize];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)Message.Length);
        writer.WriteBytes(prefix);
        writer.WriteBytes(Message.Span);
    }

    public static DecodeResult<KdcTcpFrame> Decode(ref PduReader reader)
    {
        FrameSize size = FindFrameSize(reader.RemainingSpan);
        switch (size.Status)
        {
            case FrameSizeStatus.Invalid:
                return size.Error!.Value with { Offset = reader.Position + size.Error.Value.Offset };
            case FrameSizeStatus.NeedMore:
                return DecodeError.NotEnoughBytes(PduName, reader.Position, size.Length, reader.Remaining);
        }

        if (reader.Ensure(size.Length, PduName) is { } missing)
        {
            return missing;
        }

        reader.Skip(LengthPrefixSize);
        return new KdcTcpFrame(new ByteString(reader.ReadBytes(size.Length - LengthPrefixSize)));
    }

    /// <summary>Sizes the next frame from its first four bytes: prefix plus message, the length checked against <paramref name="maxMessageLength"/>.</summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered, int maxMessageLength = MaxMessageLength)
    {
        if (buffered.Length < LengthPrefixSize)
        {
            return FrameSize.NeedMore(LengthPrefixSize);
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(buffered);
        if ((length & 0x8000_0000) != 0)
        {
            return FrameSize.Invalid(DecodeError.InvalidField(PduName, "length", $"reserved high bit set (0x{length:x8})", 0));
        }

        if (length == 0)
        {
            return FrameSize.Invalid(DecodeError.InvalidField(PduName, "length", "zero: no message", 0, null, 0));
        }

        return length > maxMessageLength
            ? FrameSize.Invalid(DecodeError.LengthLimit(PduName, "length", 0, maxMessageLength, length))
            : FrameSize.Complete(LengthPrefixSize + (int)length);
    }
}

/// <summary>Frames a KDC's reply on TCP (RFC 4120 7.2.2): the four-byte length, then that many bytes, bounded by <see cref="KdcTcpFrame.MaxMessageLength"/>.</summary>
public sealed class KdcTcpFrameHint(string stepName, string expecting, int maxMessageLength = KdcTcpFrame.MaxMessageLength)
    : FrameHint(stepName, expecting, KdcTcpFrame.LengthPrefixSize + Math.Min(maxMessageLength, KdcTcpFrame.MaxMessageLength))
{
    public override int HeaderLength => KdcTcpFrame.LengthPrefixSize;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) =>
        KdcTcpFrame.FindFrameSize(buffered, MaxFrameLength - KdcTcpFrame.LengthPrefixSize);
}
