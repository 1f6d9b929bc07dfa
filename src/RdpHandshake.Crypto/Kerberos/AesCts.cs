using System.Diagnostics;
using System.Security.Cryptography;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// AES in CBC mode with ciphertext stealing, the E and D functions of RFC 3962 5 (also used by RFC 8009 5): CBC over
/// the input padded with zeros to whole blocks, then the last two ciphertext blocks swapped and the output cut to the
/// input's length, even when the last block is full; exactly one block is plain AES (ECB). Every Kerberos message is
/// at least one block long (the confounder alone is one), so shorter input is a caller bug.
/// </summary>
internal static class AesCts
{
    /// <summary>The AES block size, also the size of the CBC initial vector.</summary>
    public const int BlockSize = 16;

    /// <summary>The initial cipher state of every Kerberos encryption here: a block of zeros (RFC 3961 5.3, RFC 8009 5).</summary>
    public static ReadOnlySpan<byte> ZeroIv => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>E(key, input, iv) of RFC 3962 5; <paramref name="input"/> is at least one block.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input)
    {
        Debug.Assert(iv.Length == BlockSize);
        if (input.Length < BlockSize)
        {
            throw new ArgumentException("CBC-CTS input must be at least one block", nameof(input));
        }

        using Aes aes = Aes.Create();
        aes.SetKey(key);
        if (input.Length == BlockSize)
        {
            return aes.EncryptCbc(input, iv, PaddingMode.None);
        }

        int blocks = (input.Length + BlockSize - 1) / BlockSize;
        int lastLength = input.Length - (blocks - 1) * BlockSize;
        byte[] padded = new byte[blocks * BlockSize];
        input.CopyTo(padded);
        byte[] chained = aes.EncryptCbc(padded, iv, PaddingMode.None);
        CryptographicOperations.ZeroMemory(padded);

        // C1 .. C(m-2), then Cm whole, then the first bytes of C(m-1): the stolen ciphertext.
        byte[] output = new byte[input.Length];
        int swapAt = (blocks - 2) * BlockSize;
        chained.AsSpan(0, swapAt).CopyTo(output);
        chained.AsSpan(swapAt + BlockSize, BlockSize).CopyTo(output.AsSpan(swapAt));
        chained.AsSpan(swapAt, lastLength).CopyTo(output.AsSpan(swapAt + BlockSize));
        return output;
    }

    /// <summary>D(key, input, iv) of RFC 3962 5; <paramref name="input"/> is at least one block.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input)
    {
        Debug.Assert(iv.Length == BlockSize);
        if (input.Length < BlockSize)
        {
            throw new ArgumentException("CBC-CTS input must be at least one block", nameof(input));
        }

        using Aes aes = Aes.Create();
        aes.SetKey(key);
        if (input.Length == BlockSize)
        {
            return aes.DecryptCbc(input, iv, PaddingMode.None);
        }

        int blocks = (input.Length + BlockSize - 1) / BlockSize;
        int lastLength = input.Length - (blocks - 1) * BlockSize;
        int swapAt = (blocks - 2) * BlockSize;
        ReadOnlySpan<byte> lastWhole = input.Slice(swapAt, BlockSize);
        ReadOnlySpan<byte> stolen = input.Slice(swapAt + BlockSize, lastLength);

        // D(Cm) = (Pm ‖ zeros) ⊕ C(m-1): its first bytes give Pm against the stolen part of C(m-1), and its tail is
        // the tail of C(m-1) that the encryption dropped.
        byte[] decryptedLast = aes.DecryptEcb(lastWhole, PaddingMode.None);
        byte[] chained = new byte[(blocks - 1) * BlockSize];
        input[..swapAt].CopyTo(chained);
        stolen.CopyTo(chained.AsSpan(swapAt));
        decryptedLast.AsSpan(lastLength).CopyTo(chained.AsSpan(swapAt + lastLength));

        byte[] output = new byte[input.Length];
        aes.DecryptCbc(chained, iv, output.AsSpan(0, chained.Length), PaddingMode.None);
        for (int i = 0; i < lastLength; i++)
        {
            output[swapAt + BlockSize + i] = (byte)(decryptedLast[i] ^ stolen[i]);
        }

        CryptographicOperations.ZeroMemory(decryptedLast);
        return output;
    }
}
