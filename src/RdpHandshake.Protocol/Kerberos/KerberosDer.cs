using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Numerics;
using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// A Kerberos ASN.1 type (RFC 4120 5, DER as 5.1 requires): how it writes itself and reads itself from a
/// <see cref="DerCursor"/> positioned on its element. Implemented explicitly, so it stays out of the public API.
/// </summary>
internal interface IDerElement<TSelf> where TSelf : IDerElement<TSelf>
{
    void Write(AsnWriter writer);

    static abstract TSelf Read(DerCursor cursor);
}

/// <summary>The named size bounds of the Kerberos codecs.</summary>
public static class KerberosLimits
{
    /// <summary>
    /// Bigger Kerberos messages are refused from their header, before anything is copied or parsed. A ticket with
    /// a large PAC is a few KiB and a reply to us carries one ticket, so 64 KiB is plenty.
    /// </summary>
    public const int MaxMessageSize = 64 * 1024;
}

/// <summary>What a received Kerberos message is, from its first byte.</summary>
public static class KerberosMessages
{
    /// <summary>
    /// The message type its APPLICATION tag announces (RFC 4120 5.4-5.9: identifier 0x60 | n), e.g. to tell a KDC's
    /// AS-REP from its KRB-ERROR before decoding; null for anything else.
    /// </summary>
    public static KerberosMessageType? PeekType(ReadOnlySpan<byte> message) =>
        message.IsEmpty || (message[0] & 0xE0) != 0x60 || (message[0] & 0x1F) == 0x1F
            ? null
            : (message[0] & 0x1F) switch
            {
                10 or 11 or 12 or 13 or 14 or 15 or 20 or 21 or 22 or 30 => (KerberosMessageType)(message[0] & 0x1F),
                _ => null,
            };
}

/// <summary>
/// What every Kerberos codec shares: the framing of one DER element (identifier, definite length, named
/// maximum), the one place where a decoding failure becomes a <see cref="DecodeError"/>, and the encoding
/// through <see cref="AsnWriter"/>.
/// </summary>
internal static class KerberosDer
{
    public static Asn1Tag Context(int number) => new(TagClass.ContextSpecific, number, isConstructed: true);

    public static Asn1Tag Application(int number) => new(TagClass.Application, number, isConstructed: true);

    /// <summary>KerberosString and Realm are GeneralString (RFC 4120 5.2.1), UNIVERSAL 27.</summary>
    public static readonly Asn1Tag GeneralString = new(UniversalTagNumber.GeneralString);

    /// <summary>Strict UTF-8: a byte string that is not UTF-8 is rejected, so every accepted name re-encodes exactly.</summary>
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] EncodeToArray<T>(T value) where T : IDerElement<T>
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        value.Write(writer);
        return writer.Encode();
    }

    public static int Size<T>(T value) where T : IDerElement<T> => EncodeToArray(value).Length;

    public static void Encode<T>(T value, ref PduWriter writer) where T : IDerElement<T> => writer.WriteBytes(EncodeToArray(value));

    /// <summary>
    /// Decodes one element of type <typeparamref name="T"/> at the reader's position and consumes exactly it. The
    /// header is read first: an incomplete one or a length past the bytes is <see cref="DecodeErrorKind.NotEnoughBytes"/>,
    /// a length over <paramref name="maxSize"/> is refused before the element is copied.
    /// </summary>
    public static DecodeResult<T> Decode<T>(ref PduReader reader, string context, int maxSize = KerberosLimits.MaxMessageSize)
        where T : IDerElement<T>
    {
        int start = reader.Position;
        DerHeader header = DerHeader.Read(reader.RemainingSpan);
        switch (header.Status)
        {
            case FrameSizeStatus.NeedMore:
                return DecodeError.NotEnoughBytes(context, start, header.TotalLength, reader.Remaining);
            case FrameSizeStatus.Invalid:
                return DecodeError.InvalidField(context, header.Field!, header.Reason!, start + header.ReasonOffset);
        }

        if (header.TotalLength > maxSize)
        {
            return DecodeError.LengthLimit(context, "length", start + 1, maxSize, header.TotalLength);
        }

        if (header.TotalLength > reader.Remaining)
        {
            return DecodeError.NotEnoughBytes(context, start, header.TotalLength, reader.Remaining);
        }

        int length = (int)header.TotalLength;
        try
        {
            var cursor = new DerCursor(reader.RemainingSpan[..length].ToArray(), start, null);
            T value = T.Read(cursor);
            cursor.End();
            reader.Skip(length);
            return value;
        }
        catch (DerDecodeException ex)
        {
            return ex.ToError(context);
        }
    }

    public static void WriteGeneralString(AsnWriter writer, string value)
    {
        byte[] content = Utf8.GetBytes(value);
        writer.WriteEncodedValue(TlvEncoding(0x1B, content));
    }

    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, DerCursor cursor)
    {
        try
        {
            return Utf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            cursor.Fail("not UTF-8");
            return null;
        }
    }

    /// <summary>A DER element with a one-byte identifier: the identifier, the definite length, the content.</summary>
    public static byte[] TlvEncoding(byte identifier, ReadOnlySpan<byte> content)
    {
        byte[] length = LengthOctets(content.Length);
        byte[] result = new byte[1 + length.Length + content.Length];
        result[0] = identifier;
        length.CopyTo(result, 1);
        content.CopyTo(result.AsSpan(1 + length.Length));
        return result;
    }

    /// <summary>X.690 8.1.3: the short form below 128, else the long form with the fewest length octets (10.1).</summary>
    public static byte[] LengthOctets(int length)
    {
        if (length < 0x80)
        {
            return [(byte)length];
        }

        int count = length <= 0xFF ? 1 : length <= 0xFFFF ? 2 : length <= 0xFFFFFF ? 3 : 4;
        byte[] octets = new byte[1 + count];
        octets[0] = (byte)(0x80 | count);
        for (int i = 0; i < count; i++)
        {
            octets[count - i] = (byte)(length >> (8 * i));
        }

        return octets;
    }

    public static void WriteInt32Field(AsnWriter writer, int tag, int value)
    {
        using (writer.PushSequence(Context(tag)))
        {
            writer.WriteInteger(value);
        }
    }

    public static void WriteUInt32Field(AsnWriter writer, int tag, uint value)
    {
        using (writer.PushSequence(Context(tag)))
        {
            writer.WriteInteger(value);
        }
    }

    public static void WriteOctetsField(AsnWriter writer, int tag, ByteString value)
    {
        using (writer.PushSequence(Context(tag)))
        {
            writer.WriteOctetString(value.Span);
        }
    }

    public static void WriteStringField(AsnWriter writer, int tag, string value)
    {
        using (writer.PushSequence(Context(tag)))
        {
            WriteGeneralString(writer, value);
        }
    }

    public static void Write<T>(AsnWriter writer, T value) where T : IDerElement<T> => value.Write(writer);

    public static void WriteField<T>(AsnWriter writer, int tag, T value) where T : IDerElement<T>
    {
        using (writer.PushSequence(Context(tag)))
        {
            value.Write(writer);
        }
    }

    public static void WriteSequenceOfField<T>(AsnWriter writer, int tag, SequenceOf<T> items) where T : IDerElement<T>
    {
        using (writer.PushSequence(Context(tag)))
        using (writer.PushSequence())
        {
            foreach (T item in items)
            {
                item.Write(writer);
            }
        }
    }

    /// <summary>The pvno or authenticator-vno field, always 5 (RFC 4120 5.4.1, 5.5.1).</summary>
    public const int ProtocolVersion = 5;

    public static void ReadVersion(DerCursor sequence, int tag, string field)
    {
        int version = sequence.Explicit(tag, field).ReadInt32AndEnd();
        if (version != ProtocolVersion)
        {
            sequence.Fail(field, $"expected {ProtocolVersion}, got {version}", DecodeErrorKind.UnsupportedVersion, ProtocolVersion, version);
        }
    }

    /// <summary>The msg-type field, which must name the message its APPLICATION tag announced.</summary>
    public static void ReadMessageType(DerCursor sequence, int tag, KerberosMessageType expected)
    {
        int type = sequence.Explicit(tag, "msg-type").ReadInt32AndEnd();
        if (type != (int)expected)
        {
            sequence.Fail("msg-type", $"expected {(int)expected} ({KerberosNames.MessageType((int)expected)}) as the tag says, got {type}", DecodeErrorKind.InvalidField, (int)expected, type);
        }
    }
}

/// <summary>What the first bytes of a DER element say: its total length, or why there is none.</summary>
internal readonly record struct DerHeader(FrameSizeStatus Status, long TotalLength, int HeaderLength, string? Field, string? Reason, int ReasonOffset)
{
    /// <summary>Identifiers longer than this (a tag number over 2^28) are not Kerberos.</summary>
    private const int MaxIdentifierLength = 5;

    /// <summary>
    /// X.690 8.1.2 (identifier, high tag numbers in base 128) and 8.1.3 (length) with the DER rules of 10.1: a
    /// definite length in the fewest octets, at most four of them.
    /// </summary>
    public static DerHeader Read(ReadOnlySpan<byte> buffered)
    {
        if (buffered.IsEmpty)
        {
            return NeedMore(2);
        }

        int position = 1;
        if ((buffered[0] & 0x1F) == 0x1F)
        {
            while (true)
            {
                if (position >= buffered.Length)
                {
                    return NeedMore(position + 2);
                }

                if (position == MaxIdentifierLength)
                {
                    return Invalid("tag", $"identifier longer than {MaxIdentifierLength} bytes", 0);
                }

                byte next = buffered[position++];
                if ((next & 0x80) == 0)
                {
                    break;
                }
            }
        }

        if (position >= buffered.Length)
        {
            return NeedMore(position + 1);
        }

        int lengthOffset = position;
        int first = buffered[position++];
        long contentLength;
        if (first < 0x80)
        {
            contentLength = first;
        }
        else
        {
            int count = first & 0x7F;
            if (count == 0)
            {
                return Invalid("length", "indefinite length is not DER", lengthOffset);
            }

            if (count > 4)
            {
                return Invalid("length", $"{count} length bytes", lengthOffset);
            }

            if (buffered.Length < position + count)
            {
                return NeedMore(position + count);
            }

            contentLength = 0;
            for (int i = 0; i < count; i++)
            {
                contentLength = (contentLength << 8) | buffered[position + i];
            }

            if (buffered[position] == 0 || contentLength < 0x80)
            {
                return Invalid("length", "length not in the fewest bytes (not DER)", lengthOffset);
            }

            position += count;
        }

        return new DerHeader(FrameSizeStatus.Complete, position + contentLength, position, null, null, 0);
    }

    private static DerHeader NeedMore(int atLeast) => new(FrameSizeStatus.NeedMore, atLeast, 0, null, null, 0);

    private static DerHeader Invalid(string field, string reason, int offset) => new(FrameSizeStatus.Invalid, 0, 0, field, reason, offset);
}

/// <summary>
/// A decoding failure inside the Kerberos DER readers, carried to <see cref="KerberosDer.Decode{T}"/>, which turns
/// it into a <see cref="DecodeError"/>. It never leaves the decoders.
/// </summary>
internal sealed class DerDecodeException(DecodeErrorKind kind, string? field, string reason, int offset, long? expected, long? received) : Exception
{
    public DecodeError ToError(string context) => new(kind, context, field, reason, offset, expected, received);
}

/// <summary>
/// A read position inside one DER element's bytes, with the absolute offset of those bytes in the decoded
/// buffer and the dotted path of the field being read, so a failure names both. Every call into
/// <see cref="AsnDecoder"/> goes through <see cref="Run{T}"/>, the one place where its
/// <see cref="AsnContentException"/> becomes a decode failure.
/// </summary>
internal sealed class DerCursor
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly int _origin;
    private int _position;

    public DerCursor(ReadOnlyMemory<byte> data, int origin, string? path)
    {
        _data = data;
        _origin = origin;
        Path = path;
    }

    /// <summary>The dotted field path, e.g. <c>ticket.enc-part.cipher</c>; null at the top of a message.</summary>
    public string? Path { get; }

    public bool HasData => _position < _data.Length;

    private int Offset => _origin + _position;

    private ReadOnlySpan<byte> Rest => _data.Span[_position..];

    private delegate T Step<T>(ReadOnlySpan<byte> rest, out int consumed);

    private T Run<T>(Step<T> step)
    {
        try
        {
            T value = step(Rest, out int consumed);
            _position += consumed;
            return value;
        }
        catch (AsnContentException ex)
        {
            throw new DerDecodeException(DecodeErrorKind.InvalidField, Path, $"not valid DER: {ex.Message}", Offset, null, null);
        }
    }

    private string FieldPath(string field) => Path is null ? field : $"{Path}.{field}";

    [DoesNotReturn]
    public void Fail(string reason, DecodeErrorKind kind = DecodeErrorKind.InvalidField, long? expected = null, long? received = null) =>
        throw new DerDecodeException(kind, Path, reason, Offset, expected, received);

    [DoesNotReturn]
    public void Fail(string field, string reason, DecodeErrorKind kind, long? expected = null, long? received = null) =>
        throw new DerDecodeException(kind, FieldPath(field), reason, Offset, expected, received);

    public Asn1Tag PeekTag()
    {
        if (!HasData)
        {
            Fail("ends early", DecodeErrorKind.NotEnoughBytes);
        }

        return Run((ReadOnlySpan<byte> rest, out int consumed) =>
        {
            consumed = 0;
            return Asn1Tag.Decode(rest, out _);
        });
    }

    public bool NextIs(Asn1Tag tag) => HasData && PeekTag() == tag;

    /// <summary>Enters a constructed element with <paramref name="tag"/>; the returned cursor covers its contents.</summary>
    public DerCursor Enter(Asn1Tag tag, string? field = null)
    {
        string? path = field is null ? Path : FieldPath(field);
        if (!HasData)
        {
            throw new DerDecodeException(DecodeErrorKind.InvalidField, path, "missing", Offset, null, null);
        }

        int start = Offset;
        Asn1Tag actual = PeekTag();
        if (actual != tag)
        {
            throw new DerDecodeException(DecodeErrorKind.InvalidField, path, $"expected {Describe(tag)}, got {Describe(actual)}", start, null, null);
        }

        (int contentOffset, int contentLength) = Run((ReadOnlySpan<byte> rest, out int consumed) =>
        {
            AsnDecoder.ReadEncodedValue(rest, AsnEncodingRules.DER, out int offset, out int length, out consumed);
            return (offset, length);
        });
        return new DerCursor(_data.Slice(start - _origin + contentOffset, contentLength), start + contentOffset, path);
    }

    /// <summary>
    /// Enters an <c>[APPLICATION n]</c> element whose number is one of <paramref name="numbers"/> and says which
    /// arrived. At the top of a message another tag is <see cref="DecodeErrorKind.UnexpectedMessageType"/> (field
    /// <c>tag</c>), so a KRB-ERROR where a reply was expected says so.
    /// </summary>
    public DerCursor EnterApplication(out int number, params int[] numbers)
    {
        int start = Offset;
        Asn1Tag actual = PeekTag();
        if (actual.TagClass != TagClass.Application || !actual.IsConstructed || Array.IndexOf(numbers, actual.TagValue) < 0)
        {
            string expected = string.Join(" or ", numbers.Select(n => Describe(KerberosDer.Application(n))));
            throw new DerDecodeException(
                Path is null ? DecodeErrorKind.UnexpectedMessageType : DecodeErrorKind.InvalidField,
                FieldPath("tag"),
                $"expected {expected}, got {Describe(actual)}",
                start,
                numbers[0],
                actual.TagClass == TagClass.Application ? actual.TagValue : null);
        }

        number = actual.TagValue;
        return Enter(actual);
    }

    /// <summary>Enters <c>[APPLICATION n] SEQUENCE</c>, the shape of every Kerberos message and encrypted part.</summary>
    public DerCursor EnterApplicationSequence(int number) => EnterApplicationSequence(out _, number);

    public DerCursor EnterApplicationSequence(out int number, params int[] numbers)
    {
        DerCursor application = EnterApplication(out number, numbers);
        DerCursor sequence = application.Enter(Asn1Tag.Sequence);
        application.End();
        return sequence;
    }

    /// <summary>A required <c>[n] EXPLICIT</c> field.</summary>
    public DerCursor Explicit(int tag, string field) => Enter(KerberosDer.Context(tag), field);

    /// <summary>An optional <c>[n] EXPLICIT</c> field: null when the next element has another tag.</summary>
    public DerCursor? Optional(int tag, string field) => NextIs(KerberosDer.Context(tag)) ? Enter(KerberosDer.Context(tag), field) : null;

    /// <summary>The SEQUENCE OF inside a field, each item read by <paramref name="read"/>.</summary>
    public SequenceOf<T> ReadSequenceOf<T>(Func<DerCursor, T> read)
    {
        DerCursor list = Enter(Asn1Tag.Sequence);
        var items = new List<T>();
        while (list.HasData)
        {
            items.Add(read(list));
        }

        End();
        return new SequenceOf<T>(items);
    }

    public SequenceOf<T> ReadSequenceOf<T>() where T : IDerElement<T> => ReadSequenceOf(static c => T.Read(c));

    public T Read<T>() where T : IDerElement<T> => T.Read(this);

    /// <summary>Reads one element of type <typeparamref name="T"/> and requires it to fill the field.</summary>
    public T ReadAndEnd<T>() where T : IDerElement<T> => AndEnd(T.Read(this));

    /// <summary>Fails if bytes remain: DER fields hold exactly one element, and unknown extension fields are refused.</summary>
    public void End()
    {
        if (HasData)
        {
            throw new DerDecodeException(DecodeErrorKind.TrailingBytes, Path, $"{_data.Length - _position} unexpected trailing byte(s)", Offset, 0, _data.Length - _position);
        }
    }

    public int ReadInt32()
    {
        int start = Offset;
        (bool fits, int value) = Run((ReadOnlySpan<byte> rest, out int consumed) =>
            (AsnDecoder.TryReadInt32(rest, AsnEncodingRules.DER, out int v, out consumed), v));
        if (!fits)
        {
            throw new DerDecodeException(DecodeErrorKind.InvalidField, Path, "does not fit a 32-bit signed integer (Int32, RFC 4120 5.2.4)", start, null, null);
        }

        return value;
    }

    public int ReadInt32AndEnd() => AndEnd(ReadInt32());

    public uint ReadUInt32()
    {
        int start = Offset;
        BigInteger value = Run((ReadOnlySpan<byte> rest, out int consumed) => AsnDecoder.ReadInteger(rest, AsnEncodingRules.DER, out consumed));
        if (value < 0 || value > uint.MaxValue)
        {
            throw new DerDecodeException(DecodeErrorKind.InvalidField, Path, "outside 0..4294967295 (UInt32, RFC 4120 5.2.4)", start, null, null);
        }

        return (uint)value;
    }

    public uint ReadUInt32AndEnd() => AndEnd(ReadUInt32());

    /// <summary>Microseconds ::= INTEGER (0..999999) (RFC 4120 5.2.4).</summary>
    public int ReadMicrosecondsAndEnd()
    {
        int start = Offset;
        int value = ReadInt32AndEnd();
        if (value is < 0 or > 999_999)
        {
            throw new DerDecodeException(DecodeErrorKind.InvalidField, Path, $"{value} is outside 0..999999 (Microseconds, RFC 4120 5.2.4)", start, null, value);
        }

        return value;
    }

    public bool ReadBooleanAndEnd() =>
        AndEnd(Run((ReadOnlySpan<byte> rest, out int consumed) => AsnDecoder.ReadBoolean(rest, AsnEncodingRules.DER, out consumed)));

    public ByteString ReadOctetString() =>
        Run((ReadOnlySpan<byte> rest, out int consumed) => new ByteString(AsnDecoder.ReadOctetString(rest, AsnEncodingRules.DER, out consumed)));

    public ByteString ReadOctetStringAndEnd() => AndEnd(ReadOctetString());

    public string ReadObjectIdentifier() =>
        Run((ReadOnlySpan<byte> rest, out int consumed) => AsnDecoder.ReadObjectIdentifier(rest, AsnEncodingRules.DER, out consumed));

    /// <summary>A GeneralString (RFC 4120 5.2.1): primitive, UNIVERSAL 27, its bytes UTF-8.</summary>
    public string ReadGeneralString()
    {
        Asn1Tag tag = PeekTag();
        if (tag != KerberosDer.GeneralString)
        {
            Fail($"expected a GeneralString, got {Describe(tag)}");
        }

        int length = Run((ReadOnlySpan<byte> rest, out int consumed) =>
        {
            AsnDecoder.ReadEncodedValue(rest, AsnEncodingRules.DER, out _, out int l, out consumed);
            return l;
        });

        // A definite-length element's content ends where the element does.
        return KerberosDer.DecodeUtf8(_data.Span.Slice(_position - length, length), this);
    }

    public string ReadGeneralStringAndEnd() => AndEnd(ReadGeneralString());

    /// <summary>GeneralizedTime in the DER form RFC 4120 5.2.3 requires: UTC (Z), whole seconds.</summary>
    public KerberosTime ReadKerberosTime()
    {
        int start = Offset;
        DateTimeOffset value = Run((ReadOnlySpan<byte> rest, out int consumed) => AsnDecoder.ReadGeneralizedTime(rest, AsnEncodingRules.DER, out consumed));
        if (value.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new DerDecodeException(DecodeErrorKind.InvalidField, Path, "fractional seconds (RFC 4120 5.2.3 forbids them)", start, null, null);
        }

        return new KerberosTime(value);
    }

    public KerberosTime ReadKerberosTimeAndEnd() => AndEnd(ReadKerberosTime());

    /// <summary>KerberosFlags (RFC 4120 5.2.8): a BIT STRING of exactly 32 bits, bit 0 the most significant.</summary>
    public uint ReadFlagsAndEnd()
    {
        int start = Offset;
        (byte[] bits, int unused) = Run((ReadOnlySpan<byte> rest, out int consumed) =>
        {
            byte[] b = AsnDecoder.ReadBitString(rest, AsnEncodingRules.DER, out int u, out consumed);
            return (b, u);
        });
        End();
        if (bits.Length != 4 || unused != 0)
        {
            throw new DerDecodeException(DecodeErrorKind.InvalidField, Path, $"expected 32 bits, got {(bits.Length * 8) - unused}", start, 32, (bits.Length * 8) - unused);
        }

        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bits);
    }

    private T AndEnd<T>(T value)
    {
        End();
        return value;
    }

    /// <summary>The bytes left in this element, consumed.</summary>
    public ReadOnlyMemory<byte> ReadRemaining()
    {
        ReadOnlyMemory<byte> rest = _data[_position..];
        _position = _data.Length;
        return rest;
    }

    public int AbsoluteOffset => Offset;

    public static string Describe(Asn1Tag tag) => tag.TagClass switch
    {
        TagClass.Application => $"[APPLICATION {tag.TagValue}]{KerberosNames.ApplicationTagSuffix(tag.TagValue)}",
        TagClass.ContextSpecific => $"[{tag.TagValue}]",
        TagClass.Private => $"[PRIVATE {tag.TagValue}]",
        _ => $"UNIVERSAL {tag.TagValue}",
    };
}
