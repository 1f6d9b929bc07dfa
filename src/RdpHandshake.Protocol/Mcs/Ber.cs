using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>
/// The subset of ITU-T X.690 Basic Encoding Rules that T.125 MCS Connect-Initial and Connect-Response use.
/// Readers return a <see cref="DecodeError"/> instead of throwing; writers size everything up front.
/// </summary>
/// <remarks>
/// MCS integers are written the way Windows writes them (MS-RDPBCGR 4.1.3): the fewest unsigned big-endian
/// bytes, so 65535 is <c>02 02 ff ff</c> although X.690 8.3 would want a leading zero. The reader accepts
/// both, up to four content bytes.
/// </remarks>
public static class Ber
{
    public const byte TagBoolean = 0x01;
    public const byte TagInteger = 0x02;
    public const byte TagOctetString = 0x04;
    public const byte TagEnumerated = 0x0A;

    /// <summary>SEQUENCE, constructed (X.690 8.9).</summary>
    public const byte TagSequence = 0x30;

    /// <summary>The leading byte of an application-class, constructed, high-tag-number identifier (X.690 8.1.2.4).</summary>
    public const byte ApplicationConstructedHighTag = 0x7F;

    /// <summary>The number of bytes the definite length <paramref name="length"/> takes (X.690 8.1.3).</summary>
    public static int LengthSize(int length) => length switch
    {
        < 0x80 => 1,
        <= 0xFF => 2,
        <= 0xFFFF => 3,
        _ => 4,
    };

    public static void WriteLength(ref PduWriter writer, int length)
    {
        switch (LengthSize(length))
        {
            case 1:
                writer.WriteByte((byte)length);
                break;
            case 2:
                writer.WriteByte(0x81);
                writer.WriteByte((byte)length);
                break;
            case 3:
                writer.WriteByte(0x82);
                writer.WriteUInt16Be((ushort)length);
                break;
            default:
                writer.WriteByte(0x83);
                writer.WriteByte((byte)(length >> 16));
                writer.WriteUInt16Be((ushort)length);
                break;
        }
    }

    /// <summary>
    /// Reads a definite length (X.690 8.1.3.4 short form, 8.1.3.5 long form of up to three bytes) and checks
    /// that the content fits in what remains.
    /// </summary>
    public static DecodeResult<int> ReadLength(ref PduReader reader, string context, string field)
    {
        if (reader.Ensure(1, context) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte first = reader.ReadByte();
        int length;
        if (first < 0x80)
        {
            length = first;
        }
        else
        {
            int count = first & 0x7F;
            if (count == 0)
            {
                // X.690 8.1.3.6: the indefinite form, which DER forbids and no MCS peer sends.
                return DecodeError.InvalidField(context, field, "indefinite length is not allowed", start);
            }

            if (count > 3)
            {
                return DecodeError.InvalidField(context, field, $"a {count}-byte length is larger than any MCS PDU", start, 3, count);
            }

            if (reader.Ensure(count, context) is { } missingLength)
            {
                return missingLength;
            }

            length = 0;
            for (int i = 0; i < count; i++)
            {
                length = (length << 8) | reader.ReadByte();
            }
        }

        if (length > reader.Remaining)
        {
            return DecodeError.NotEnoughBytes(context, reader.Position, length, reader.Remaining);
        }

        return length;
    }

    /// <summary>Reads an identifier of one byte and fails unless it is <paramref name="tag"/>.</summary>
    public static DecodeError? ExpectTag(ref PduReader reader, byte tag, string context, string field)
    {
        if (reader.Ensure(1, context) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte found = reader.ReadByte();
        return found == tag
            ? null
            : new DecodeError(DecodeErrorKind.InvalidField, context, field, $"expected tag 0x{tag:x2}, got 0x{found:x2}", start, tag, found);
    }

    /// <summary>The size of an application tag of number 31 or more in two bytes (X.690 8.1.2.4), plus the length.</summary>
    public static int ApplicationHeaderSize(int contentLength) => 2 + LengthSize(contentLength);

    public static void WriteApplicationHeader(ref PduWriter writer, byte number, int contentLength)
    {
        writer.WriteByte(ApplicationConstructedHighTag);
        writer.WriteByte(number);
        WriteLength(ref writer, contentLength);
    }

    /// <summary>Reads <c>7F nn LEN</c> and returns the content length.</summary>
    public static DecodeResult<int> ReadApplicationHeader(ref PduReader reader, byte number, string context)
    {
        if (reader.Ensure(2, context) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte first = reader.ReadByte();
        byte second = reader.ReadByte();
        if (first != ApplicationConstructedHighTag || second != number)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, context, "tag",
                $"expected [APPLICATION {number}] (7f {number:x2}), got {first:x2} {second:x2}", start, number, second);
        }

        return ReadLength(ref reader, context, "length");
    }

    /// <summary>The number of content bytes <see cref="WriteInteger"/> uses: the fewest unsigned bytes, at least one.</summary>
    public static int IntegerContentSize(uint value) => value switch
    {
        <= 0xFF => 1,
        <= 0xFFFF => 2,
        <= 0xFFFFFF => 3,
        _ => 4,
    };

    public static int IntegerSize(uint value) => 1 /* tag */ + 1 /* length */ + IntegerContentSize(value);

    public static void WriteInteger(ref PduWriter writer, uint value, byte tag = TagInteger)
    {
        int size = IntegerContentSize(value);
        writer.WriteByte(tag);
        writer.WriteByte((byte)size);
        for (int shift = (size - 1) * 8; shift >= 0; shift -= 8)
        {
            writer.WriteByte((byte)(value >> shift));
        }
    }

    /// <summary>Reads an INTEGER (or, with <paramref name="tag"/>, an ENUMERATED) of one to four content bytes as unsigned.</summary>
    public static DecodeResult<uint> ReadInteger(ref PduReader reader, string context, string field, byte tag = TagInteger)
    {
        if (ExpectTag(ref reader, tag, context, field) is { } tagError)
        {
            return tagError;
        }

        int lengthAt = reader.Position;
        DecodeResult<int> length = ReadLength(ref reader, context, field);
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        // Up to four value bytes, plus the leading zero a strict X.690 encoder puts before a high bit.
        if (length.Value is < 1 or > 5)
        {
            return DecodeError.InvalidField(context, field, $"an integer of {length.Value} bytes is out of range", lengthAt, 4, length.Value);
        }

        ulong value = 0;
        for (int i = 0; i < length.Value; i++)
        {
            value = (value << 8) | reader.ReadByte();
        }

        if (value > uint.MaxValue)
        {
            return DecodeError.InvalidField(context, field, $"{value} does not fit 32 bits", lengthAt);
        }

        return (uint)value;
    }

    public static int BooleanSize => 3;

    public static void WriteBoolean(ref PduWriter writer, bool value)
    {
        writer.WriteByte(TagBoolean);
        writer.WriteByte(1);
        writer.WriteByte(value ? (byte)0xFF : (byte)0x00);
    }

    public static DecodeResult<bool> ReadBoolean(ref PduReader reader, string context, string field)
    {
        if (ExpectTag(ref reader, TagBoolean, context, field) is { } tagError)
        {
            return tagError;
        }

        int lengthAt = reader.Position;
        DecodeResult<int> length = ReadLength(ref reader, context, field);
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        if (length.Value != 1)
        {
            return DecodeError.InvalidField(context, field, $"a BOOLEAN has one content byte, got {length.Value}", lengthAt, 1, length.Value);
        }

        // X.690 11.1 (DER, and what every MCS peer sends): FALSE is 0x00 and TRUE is 0xFF.
        byte value = reader.ReadByte();
        return value switch
        {
            0x00 => false,
            0xFF => true,
            _ => DecodeError.InvalidField(context, field, $"a BOOLEAN is 00 or ff, got {value:x2}", reader.Position - 1, 0xFF, value),
        };
    }

    public static int OctetStringSize(int length) => 1 /* tag */ + LengthSize(length) + length;

    public static void WriteOctetString(ref PduWriter writer, ReadOnlySpan<byte> value)
    {
        writer.WriteByte(TagOctetString);
        WriteLength(ref writer, value.Length);
        writer.WriteBytes(value);
    }

    public static DecodeResult<ByteString> ReadOctetString(ref PduReader reader, string context, string field)
    {
        if (ExpectTag(ref reader, TagOctetString, context, field) is { } tagError)
        {
            return tagError;
        }

        DecodeResult<int> length = ReadLength(ref reader, context, field);
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        return new ByteString(reader.ReadBytes(length.Value));
    }
}
