using System.Buffers.Binary;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>
/// Lossless text conversions for the RDP string fields: UTF-16LE code units map one to one onto
/// <see cref="char"/> (lone surrogates survive, unlike <see cref="System.Text.Encoding.Unicode"/>), and the
/// "ANSI" variant maps each byte onto the character of the same value (Latin-1), so decoding then encoding
/// gives back the received bytes.
/// </summary>
internal static class RdpText
{
    /// <summary>UTF-16LE code units, byte for byte; <paramref name="bytes"/> must have an even length.</summary>
    public static string DecodeUtf16(ReadOnlySpan<byte> bytes)
    {
        System.Diagnostics.Debug.Assert(bytes.Length % 2 == 0);
        return string.Create(bytes.Length / 2, bytes.ToArray(), static (chars, source) =>
        {
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(source.AsSpan(2 * i));
            }
        });
    }

    public static void WriteUtf16(Span<byte> destination, string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], text[i]);
        }
    }

    /// <summary>One byte per character: the wire bytes of an ANSI string, whatever its code page.</summary>
    public static string DecodeAnsi(ReadOnlySpan<byte> bytes) => System.Text.Encoding.Latin1.GetString(bytes);

    public static void WriteAnsi(Span<byte> destination, string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            destination[i] = (byte)text[i];
        }
    }

    public static int ByteCount(string text, bool unicode) => unicode ? 2 * text.Length : text.Length;

    public static string Decode(ReadOnlySpan<byte> bytes, bool unicode) => unicode ? DecodeUtf16(bytes) : DecodeAnsi(bytes);

    public static void Write(ref Encoding.PduWriter writer, string text, bool unicode)
    {
        int count = ByteCount(text, unicode);
        byte[] buffer = new byte[count];
        if (unicode)
        {
            WriteUtf16(buffer, text);
        }
        else
        {
            WriteAnsi(buffer, text);
        }

        writer.WriteBytes(buffer);
    }

    /// <summary>True when every character fits the encoding (ANSI text is bytes, so characters above 0xFF do not).</summary>
    public static bool Fits(string text, bool unicode) => unicode || !text.AsSpan().ContainsAnyExceptInRange((char)0, (char)0xFF);
}
