using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Tests;

/// <summary>
/// The checks every codec test shares: a published vector decodes to the value and the value encodes to the
/// vector; and the properties (round trip, strict prefixes rejected, a garbled byte rejected or re-encoded
/// exactly) that FsCheck runs over generated PDUs.
/// </summary>
internal static class CodecAssert
{
    /// <summary>Decode gives <paramref name="expected"/>, encode gives <paramref name="bytes"/>, and Size is their length.</summary>
    public static void Vector<T>(T expected, byte[] bytes) where T : IPdu<T>
    {
        DecodeResult<T> decoded = Pdu.Decode<T>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(expected, decoded.Value);
        Assert.Equal(bytes, Pdu.Encode(expected));
        Assert.Equal(bytes.Length, expected.Size);
    }

    public static bool RoundTrips<T>(T pdu) where T : IPdu<T>
    {
        byte[] bytes = Pdu.Encode(pdu);
        DecodeResult<T> decoded = Pdu.Decode<T>(bytes);
        return decoded.IsSuccess && decoded.Value!.Equals(pdu) && pdu.Size == bytes.Length;
    }

    /// <summary>Every strict prefix of the encoding is rejected with a reason (and by <paramref name="alsoRejects"/>, when given).</summary>
    public static bool EveryStrictPrefixIsRejected<T>(T pdu, Func<byte[], bool>? alsoRejects = null) where T : IPdu<T>
    {
        byte[] bytes = Pdu.Encode(pdu);
        for (int length = 0; length < bytes.Length; length++)
        {
            DecodeResult<T> result = Pdu.Decode<T>(bytes.AsSpan(0, length));
            if (result.IsSuccess || string.IsNullOrEmpty(result.Error.Reason) || (alsoRejects is not null && !alsoRejects(bytes[..length])))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A garbled byte is rejected with a reason, or decodes to a PDU that encodes to exactly the garbled bytes.</summary>
    public static bool GarbledIsRejectedOrExact<T>(T pdu, int position, byte mask) where T : IPdu<T>
    {
        byte[] bytes = Pdu.Encode(pdu);
        bytes[Math.Abs(position % bytes.Length)] ^= mask == 0 ? (byte)0x5A : mask;
        DecodeResult<T> result = Pdu.Decode<T>(bytes);
        return result.IsSuccess
            ? Pdu.Encode(result.Value!).AsSpan().SequenceEqual(bytes)
            : !string.IsNullOrEmpty(result.Error.Reason);
    }
}
