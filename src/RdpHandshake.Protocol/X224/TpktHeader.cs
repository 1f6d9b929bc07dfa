using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.X224;

/// <summary>
/// TPKT header (RFC 1006 section 6, T.123 section 8): <c>version(1)=3 reserved(1)=0 length(2, big-endian)</c>,
/// where <c>length</c> counts the whole packet including these four bytes.
/// </summary>
public readonly record struct TpktHeader(ushort PacketLength, byte Version = TpktHeader.Version3, byte Reserved = 0) : IPdu<TpktHeader>
{
    public const byte Version3 = 3;

    /// <summary>Size of the header: 1 /* version */ + 1 /* reserved */ + 2 /* length */.</summary>
    public const int FixedPartSize = 1 /* version */ + 1 /* reserved */ + 2 /* length */;

    /// <summary>The smallest legal packet: this header plus the smallest X.224 TPDU (a 3-byte Data TPDU header).</summary>
    public const int MinPacketLength = FixedPartSize + 3;

    /// <summary>The largest packet the 16-bit length field can describe.</summary>
    public const int MaxPacketLength = ushort.MaxValue;

    public static string PduName => "TPKT header";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(Version);
        writer.WriteByte(Reserved);
        writer.WriteUInt16Be(PacketLength);
    }

    public static DecodeResult<TpktHeader> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte version = reader.ReadByte();
        if (version != Version3)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "version",
                $"expected 3, got 0x{version:x2}", start, Version3, version);
        }

        byte reserved = reader.ReadByte();
        ushort length = reader.ReadUInt16Be();
        if (length < MinPacketLength)
        {
            return DecodeError.InvalidField(PduName, "length", $"{length} is smaller than the minimum of {MinPacketLength}",
                start + 2, MinPacketLength, length);
        }

        return new TpktHeader(length, version, reserved);
    }

    /// <summary>
    /// Frames a TPKT packet from the first bytes of a stream: the whole packet's size once the header is in,
    /// "need more" before, or an error for a header no TPKT sender would write.
    /// </summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered, int maxPacketLength = MaxPacketLength)
    {
        if (buffered.Length < FixedPartSize)
        {
            return FrameSize.NeedMore(FixedPartSize);
        }

        var reader = new PduReader(buffered[..FixedPartSize]);
        DecodeResult<TpktHeader> header = Decode(ref reader);
        if (!header.IsSuccess)
        {
            return FrameSize.Invalid(header.Error);
        }

        int length = header.Value.PacketLength;
        if (length > maxPacketLength)
        {
            return FrameSize.Invalid(DecodeError.LengthLimit(PduName, "length", 2, maxPacketLength, length));
        }

        return FrameSize.Complete(length);
    }
}
