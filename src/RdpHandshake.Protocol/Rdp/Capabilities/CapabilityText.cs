using System.Globalization;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>How the capability sets write numbers for their descriptions, and their fixed-size UTF-16 fields.</summary>
internal static class CapabilityText
{
    public static string Dec(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Hex(uint value) => $"0x{value:x}";

    /// <summary>A fixed-size, NUL-padded UTF-16LE field as text (up to the first NUL).</summary>
    public static string Utf16Fixed(ReadOnlySpan<byte> field)
    {
        string text = System.Text.Encoding.Unicode.GetString(field[..(field.Length & ~1)]);
        int nul = text.IndexOf('\0', StringComparison.Ordinal);
        return nul < 0 ? text : text[..nul];
    }

    /// <summary>Writes <paramref name="text"/> as UTF-16LE into exactly <paramref name="size"/> bytes, NUL-padded.</summary>
    public static void WriteUtf16Fixed(ref PduWriter writer, string text, int size)
    {
        byte[] bytes = System.Text.Encoding.Unicode.GetBytes(text);
        if (!(bytes.Length < size))
        {
            ThrowHelper.ThrowArgument(nameof(text), $"'{text}' does not fit in {size} bytes with its terminator");
        }

        writer.WriteBytes(bytes);
        writer.WriteZeros(size - bytes.Length);
    }
}
