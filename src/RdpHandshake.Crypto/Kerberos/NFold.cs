namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// The n-fold function of RFC 3961 5.1: stretches or shrinks a string to n bits so that every input bit influences
/// the output. The simplified profile's key derivation (RFC 3961 5.3) folds its constants to the cipher block size.
/// </summary>
public static class NFold
{
    /// <summary>RFC 3961 5.1: each further copy of the input is rotated right by this many bits.</summary>
    private const int RotationBits = 13;

    /// <summary>
    /// n-fold(<paramref name="input"/>) to <paramref name="outputBytes"/> × 8 bits (RFC 3961 5.1): the input is repeated,
    /// each copy rotated 13 bits further right than the one before, up to the least common multiple of the input and
    /// output lengths; that string is cut into output-sized pieces, which are added with one's-complement addition
    /// (end-around carry).
    /// </summary>
    /// <exception cref="ArgumentException">The input is empty or the output length is not positive.</exception>
    public static byte[] Fold(ReadOnlySpan<byte> input, int outputBytes)
    {
        if (input.IsEmpty)
        {
            throw new ArgumentException("n-fold of an empty string is undefined", nameof(input));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputBytes);
        long inputBits = input.Length * 8L;
        long outputBits = outputBytes * 8L;
        long repeatedBits = inputBits / Gcd(inputBits, outputBits) * outputBits;

        // INVARIANT: each entry is the running sum of one output byte over the pieces, carries not yet moved.
        long[] sums = new long[outputBytes];
        for (long pieceStart = 0; pieceStart < repeatedBits; pieceStart += outputBits)
        {
            for (int index = 0; index < outputBytes; index++)
            {
                int value = 0;
                for (int bit = 0; bit < 8; bit++)
                {
                    value = (value << 1) | RepeatedBit(input, inputBits, pieceStart + index * 8L + bit);
                }

                sums[index] += value;
            }
        }

        // One's-complement addition: a carry out of the most significant byte comes back in at the least significant
        // one, until no carry is left.
        long carry;
        do
        {
            carry = 0;
            for (int index = outputBytes - 1; index >= 0; index--)
            {
                long total = sums[index] + carry;
                sums[index] = total & 0xFF;
                carry = total >> 8;
            }

            sums[^1] += carry;
        }
        while (carry != 0);

        byte[] output = new byte[outputBytes];
        for (int index = 0; index < outputBytes; index++)
        {
            output[index] = (byte)sums[index];
        }

        return output;
    }

    /// <summary>
    /// Bit <paramref name="position"/> (0 = most significant bit of the first byte) of the repeated string: copy j is
    /// the input rotated right by 13 × j bits, so its bit q is the input's bit (q − 13 × j) mod k.
    /// </summary>
    private static int RepeatedBit(ReadOnlySpan<byte> input, long inputBits, long position)
    {
        long copy = position / inputBits;
        long withinCopy = position % inputBits;
        long source = (withinCopy - RotationBits * (copy % inputBits)) % inputBits;
        if (source < 0)
        {
            source += inputBits;
        }

        return (input[(int)(source >> 3)] >> (7 - (int)(source & 7))) & 1;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
