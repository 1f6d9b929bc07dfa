using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Tls;

/// <summary>TLS record content types (RFC 8446 5.1, RFC 5246 6.2.1).</summary>
public enum TlsContentType : byte
{
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
}

/// <summary>
/// The 5-byte TLS record header: <c>type(1) legacy_version(2) length(2, big-endian)</c>. After X.224
/// negotiation selects TLS or CredSSP, the server's bytes are TLS records with no TPKT around them
/// (MS-RDPBCGR 5.4.5.1), so the engine frames them by this header. Only the framing is here; the
/// cryptography is the TLS library's.
/// </summary>
public readonly record struct TlsRecordHeader(TlsContentType Type, ushort Version, ushort Length) : IPdu<TlsRecordHeader>
{
    public const int FixedPartSize = 1 /* type */ + 2 /* legacy_record_version */ + 2 /* length */;

    /// <summary>TLSCiphertext.length may be at most 2^14 + 2048 (RFC 5246 6.2.3; TLS 1.3 allows less).</summary>
    public const int MaxLength = 16384 + 2048;

    public const int MaxRecordSize = FixedPartSize + MaxLength;

    public static string PduName => "TLS record header";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte((byte)Type);
        writer.WriteUInt16Be(Version);
        writer.WriteUInt16Be(Length);
    }

    public static DecodeResult<TlsRecordHeader> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte type = reader.ReadByte();
        if (type is < (byte)TlsContentType.ChangeCipherSpec or > (byte)TlsContentType.ApplicationData)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "type",
                $"0x{type:x2} is not a TLS content type (20-23){Hint(type)}", start, null, type);
        }

        ushort version = reader.ReadUInt16Be();
        if (version >> 8 != 3)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "legacy_record_version",
                $"0x{version:x4} is not an SSL 3 / TLS record version", start + 1, 0x0303, version);
        }

        ushort length = reader.ReadUInt16Be();
        if (length > MaxLength)
        {
            return DecodeError.LengthLimit(PduName, "length", start + 3, MaxLength, length);
        }

        return new TlsRecordHeader((TlsContentType)type, version, length);
    }

    /// <summary>Sizes the next record from the first bytes of a stream.</summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered)
    {
        if (buffered.Length < FixedPartSize)
        {
            return FrameSize.NeedMore(FixedPartSize);
        }

        var reader = new PduReader(buffered[..FixedPartSize]);
        DecodeResult<TlsRecordHeader> header = Decode(ref reader);
        return header.IsSuccess
            ? FrameSize.Complete(FixedPartSize + header.Value.Length)
            : FrameSize.Invalid(header.Error);
    }

    /// <summary>A guess at what the bytes are when they are not TLS, for the diagnosis.</summary>
    private static string Hint(byte first) => first switch
    {
        0x03 => ": it looks like a TPKT header (the server did not start TLS)",
        (byte)'H' => ": it looks like HTTP",
        (byte)'S' => ": it looks like an SSH banner",
        _ => string.Empty,
    };
}

/// <summary>Frames TLS records (the server's side of a TLS handshake inside RDP).</summary>
public sealed class TlsRecordFrameHint(string stepName, string expecting)
    : FrameHint(stepName, expecting, TlsRecordHeader.MaxRecordSize)
{
    public override int HeaderLength => TlsRecordHeader.FixedPartSize;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) => TlsRecordHeader.FindFrameSize(buffered);
}

/// <summary>
/// Frames the server's first answer to a ClientHello: a TLS record, or, when the server did not start TLS and
/// answers with an RDP packet instead (xrdp sends an MCS Disconnect Provider Ultimatum), that TPKT packet, so that
/// it can be read whole and named.
/// </summary>
public sealed class TlsRecordOrTpktFrameHint(string stepName, string expecting)
    : FrameHint(stepName, expecting, TlsRecordHeader.MaxRecordSize)
{
    public override int HeaderLength => TlsRecordHeader.FixedPartSize;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) =>
        !buffered.IsEmpty && buffered[0] == X224.TpktHeader.Version3
            ? X224.TpktHeader.FindFrameSize(buffered, MaxFrameLength)
            : TlsRecordHeader.FindFrameSize(buffered);
}
