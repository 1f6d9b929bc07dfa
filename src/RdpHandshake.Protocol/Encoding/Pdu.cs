using System.Buffers;

namespace RdpHandshake.Protocol.Encoding;

/// <summary>Convenience entry points over <see cref="IPdu{TSelf}"/>.</summary>
public static class Pdu
{
    /// <summary>Encodes into a new array of exactly <see cref="IPdu{TSelf}.Size"/> bytes.</summary>
    public static byte[] Encode<T>(T pdu) where T : IPdu<T>
    {
        byte[] buffer = new byte[pdu.Size];
        EncodeInto(pdu, buffer);
        return buffer;
    }

    /// <summary>Encodes into <paramref name="output"/> and returns the number of bytes written.</summary>
    public static int Encode<T>(T pdu, IBufferWriter<byte> output) where T : IPdu<T>
    {
        int size = pdu.Size;
        EncodeInto(pdu, output.GetSpan(size)[..size]);
        output.Advance(size);
        return size;
    }

    private static void EncodeInto<T>(T pdu, Span<byte> destination) where T : IPdu<T>
    {
        var writer = new PduWriter(destination);
        pdu.Encode(ref writer);
        if (writer.Position != destination.Length)
        {
            ThrowHelper.ThrowInvalidState($"encoding {T.PduName}", $"size mismatch: Size says {destination.Length}, wrote {writer.Position}");
        }
    }

    /// <summary>Decodes one PDU that must span all of <paramref name="bytes"/>; leftover bytes are an error.</summary>
    public static DecodeResult<T> Decode<T>(ReadOnlySpan<byte> bytes) where T : IPdu<T>
    {
        var reader = new PduReader(bytes);
        DecodeResult<T> result = T.Decode(ref reader);
        if (result.IsSuccess && reader.Remaining != 0)
        {
            return DecodeError.Trailing(T.PduName, reader.Position, reader.Remaining);
        }

        return result;
    }
}
