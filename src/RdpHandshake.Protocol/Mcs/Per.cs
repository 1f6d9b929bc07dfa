using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>
/// The subset of ITU-T X.691 aligned Packed Encoding Rules used by T.125 domain PDUs and the T.124 GCC
/// Conference Create Request and Response.
/// </summary>
public static class Per
{
    /// <summary>The largest length a one- or two-byte length determinant holds (X.691 11.9.3.6 and 11.9.3.7).</summary>
    public const int MaxLength = 0x3FFF;

    /// <summary>The size of a length determinant: one byte under 128, else two (X.691 11.9.3.7).</summary>
    public static int LengthSize(int length) => length < 0x80 ? 1 : 2;

    public static void WriteLength(ref PduWriter writer, int length)
    {
        if (length > MaxLength)
        {
            ThrowHelper.ThrowArgument(nameof(length), $"a PER length of {length} needs fragmentation, which is not implemented");
        }

        if (length < 0x80)
        {
            writer.WriteByte((byte)length);
        }
        else
        {
            writer.WriteUInt16Be((ushort)(0x8000 | length));
        }
    }

    /// <summary>Reads a length determinant; the fragmented form (<c>11xxxxxx</c>) is rejected.</summary>
    public static DecodeResult<int> ReadLength(ref PduReader reader, string context, string field)
    {
        if (reader.Ensure(1, context) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte first = reader.ReadByte();
        if ((first & 0x80) == 0)
        {
            return (int)first;
        }

        if ((first & 0x40) != 0)
        {
            return DecodeError.InvalidField(context, field, "fragmented PER lengths are not used by RDP", start);
        }

        if (reader.Ensure(1, context) is { } missingSecond)
        {
            return missingSecond;
        }

        return ((first & 0x3F) << 8) | reader.ReadByte();
    }

    /// <summary>Reads a length determinant and checks that many bytes remain.</summary>
    public static DecodeResult<int> ReadBoundedLength(ref PduReader reader, string context, string field)
    {
        DecodeResult<int> length = ReadLength(ref reader, context, field);
        if (length.IsSuccess && length.Value > reader.Remaining)
        {
            return DecodeError.NotEnoughBytes(context, reader.Position, length.Value, reader.Remaining);
        }

        return length;
    }

    /// <summary>Checks that the next bytes are exactly <paramref name="expected"/>.</summary>
    public static DecodeError? ExpectBytes(ref PduReader reader, ReadOnlySpan<byte> expected, string context, string field)
    {
        if (reader.Ensure(expected.Length, context) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        ReadOnlySpan<byte> found = reader.ReadBytes(expected.Length);
        return found.SequenceEqual(expected)
            ? null
            : DecodeError.InvalidField(context, field, $"expected {Convert.ToHexStringLower(expected)}, got {Convert.ToHexStringLower(found)}", start);
    }
}
