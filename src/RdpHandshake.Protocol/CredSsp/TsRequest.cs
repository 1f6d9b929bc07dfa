using System.Formats.Asn1;
using System.Numerics;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>
/// MS-CSSP 2.2.1 TSRequest, DER with explicit context tags: version [0], negoTokens [1], authInfo [2],
/// pubKeyAuth [3], errorCode [4] (version 3 and later: the NTSTATUS of a failed logon), clientNonce [5]
/// (version 5 and later). The PDU is one DER SEQUENCE; decoding consumes exactly that element.
/// </summary>
public sealed record TsRequest(
    int Version,
    IReadOnlyList<ByteString> NegoTokens,
    ByteString AuthInfo = default,
    ByteString PubKeyAuth = default,
    uint? ErrorCode = null,
    ByteString ClientNonce = default) : IPdu<TsRequest>
{
    private CachedEncoding? _der;

    public static string PduName => "CredSSP TSRequest";

    /// <summary>Bigger TSRequests are refused before they are parsed: real ones are a few KiB.</summary>
    public const int MaxSize = 64 * 1024;

    /// <summary>
    /// The first version with clientNonce and the SHA-256 public key binding (MS-CSSP 2.2.1, 3.1.5), the fix for
    /// CVE-2018-0886; versions 2 to 4 bind the public key itself.
    /// </summary>
    public const int FirstNonceVersion = 5;

    /// <summary>The length of the DER encoding, which is computed once (DER lengths depend on every field).</summary>
    public int Size => Der.Cached(ref _der, this, static r => r.EncodeDer()).Length;

    public void Encode(ref PduWriter writer) => writer.WriteBytes(Der.Cached(ref _der, this, static r => r.EncodeDer()));

    private byte[] EncodeDer()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence(Der.Context(0)))
            {
                writer.WriteInteger(Version);
            }

            if (NegoTokens.Count > 0)
            {
                using (writer.PushSequence(Der.Context(1)))
                using (writer.PushSequence())
                {
                    foreach (ByteString token in NegoTokens)
                    {
                        using (writer.PushSequence())
                        using (writer.PushSequence(Der.Context(0)))
                        {
                            writer.WriteOctetString(token.Span);
                        }
                    }
                }
            }

            WriteOctets(writer, 2, AuthInfo);
            WriteOctets(writer, 3, PubKeyAuth);
            if (ErrorCode is { } code)
            {
                using (writer.PushSequence(Der.Context(4)))
                {
                    // An NTSTATUS such as 0xC000006D is written as the signed 32-bit INTEGER Windows sends.
                    writer.WriteInteger(unchecked((int)code));
                }
            }

            WriteOctets(writer, 5, ClientNonce);
        }

        return writer.Encode();
    }

    public static DecodeResult<TsRequest> Decode(ref PduReader reader)
    {
        int start = reader.Position;

        // The length is checked against the limit from the header alone, before the element is looked for.
        if (FindFrameSize(reader.RemainingSpan) is { Status: FrameSizeStatus.Invalid, Error: { Kind: DecodeErrorKind.LengthLimitExceeded } tooLong })
        {
            return tooLong with { Offset = start + tooLong.Offset };
        }

        if (Der.PeekElement(reader, PduName, out ReadOnlyMemory<byte> element) is { } framing)
        {
            return framing;
        }

        try
        {
            AsnReader sequence = new AsnReader(element, AsnEncodingRules.DER).ReadSequence();
            AsnReader versionField = sequence.ReadSequence(Der.Context(0));
            if (!versionField.TryReadInt32(out int version))
            {
                return DecodeError.InvalidField(PduName, "version", "does not fit a 32-bit integer", start);
            }

            versionField.ThrowIfNotEmpty();
            var tokens = new List<ByteString>();
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(Der.Context(1)))
            {
                AsnReader list = sequence.ReadSequence(Der.Context(1)).ReadSequence();
                while (list.HasData)
                {
                    AsnReader item = list.ReadSequence();
                    tokens.Add(new ByteString(item.ReadSequence(Der.Context(0)).ReadOctetString()));
                    item.ThrowIfNotEmpty();
                }
            }

            ByteString authInfo = ReadOctets(sequence, 2);
            ByteString pubKeyAuth = ReadOctets(sequence, 3);
            uint? errorCode = null;
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(Der.Context(4)))
            {
                BigInteger value = sequence.ReadSequence(Der.Context(4)).ReadInteger();
                if (value < int.MinValue || value > uint.MaxValue)
                {
                    return DecodeError.InvalidField(PduName, "errorCode", "does not fit 32 bits", start);
                }

                errorCode = unchecked((uint)(long)value);
            }

            ByteString nonce = ReadOctets(sequence, 5);
            sequence.ThrowIfNotEmpty();
            reader.Skip(element.Length);
            return new TsRequest(version, tokens, authInfo, pubKeyAuth, errorCode, nonce);
        }
        catch (AsnContentException ex)
        {
            return Der.NotDer(PduName, null, start, ex);
        }
    }

    /// <summary>
    /// Sizes the next DER element (a TSRequest is one SEQUENCE) from the first bytes of a stream: needed
    /// because CredSSP messages travel inside TLS with no framing of their own.
    /// </summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered)
    {
        if (buffered.Length < 2)
        {
            return FrameSize.NeedMore(2);
        }

        if (buffered[0] != 0x30)
        {
            return FrameSize.Invalid(new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "tag", $"expected a SEQUENCE (0x30), got 0x{buffered[0]:x2}", 0, 0x30, buffered[0]));
        }

        int first = buffered[1];
        if (first < 0x80)
        {
            return FrameSize.Complete(2 + first);
        }

        // X.690 8.1.3.5: long form, 1..4 length bytes; DER forbids the indefinite form (0x80).
        int count = first & 0x7F;
        if (count is 0 or > 4)
        {
            return FrameSize.Invalid(DecodeError.InvalidField(PduName, "length", count == 0 ? "indefinite length is not DER" : $"{count} length bytes", 1));
        }

        if (buffered.Length < 2 + count)
        {
            return FrameSize.NeedMore(2 + count);
        }

        long length = 0;
        for (int i = 0; i < count; i++)
        {
            length = (length << 8) | buffered[2 + i];
        }

        long total = 2 + count + length;
        return total > MaxSize
            ? FrameSize.Invalid(DecodeError.LengthLimit(PduName, "length", 1, MaxSize, total))
            : FrameSize.Complete((int)total);
    }

    public bool Equals(TsRequest? other) =>
        other is not null && Version == other.Version && NegoTokens.SequenceEqual(other.NegoTokens) && AuthInfo == other.AuthInfo
        && PubKeyAuth == other.PubKeyAuth && ErrorCode == other.ErrorCode && ClientNonce == other.ClientNonce;

    public override int GetHashCode() => HashCode.Combine(Version, NegoTokens.Count, AuthInfo, PubKeyAuth, ErrorCode, ClientNonce);

    private static void WriteOctets(AsnWriter writer, int tag, ByteString value)
    {
        if (value.IsEmpty)
        {
            return;
        }

        using (writer.PushSequence(Der.Context(tag)))
        {
            writer.WriteOctetString(value.Span);
        }
    }

    private static ByteString ReadOctets(AsnReader sequence, int tag)
    {
        if (!sequence.HasData || !sequence.PeekTag().HasSameClassAndValue(Der.Context(tag)))
        {
            return default;
        }

        AsnReader field = sequence.ReadSequence(Der.Context(tag));
        var value = new ByteString(field.ReadOctetString());
        field.ThrowIfNotEmpty();
        return value;
    }
}
