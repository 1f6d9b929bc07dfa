using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>
/// What the DER codecs of CredSSP and SPNEGO share: finding where one element ends, the one mapping of
/// <see cref="AsnContentException"/> to a <see cref="DecodeError"/>, and an encoding computed once for
/// <c>Size</c> and <c>Encode</c>.
/// </summary>
internal static class Der
{
    public static Asn1Tag Context(int number) => new(TagClass.ContextSpecific, number, isConstructed: true);

    /// <summary>
    /// The DER element at the reader's position (X.690 8.1.1: identifier, definite length, contents), copied
    /// out so <see cref="AsnReader"/> can parse it, and its length. Consumes nothing.
    /// </summary>
    public static DecodeError? PeekElement(in PduReader reader, string context, out ReadOnlyMemory<byte> element)
    {
        element = default;
        try
        {
            AsnDecoder.ReadEncodedValue(reader.RemainingSpan, AsnEncodingRules.DER, out _, out _, out int length);
            element = reader.RemainingSpan[..length].ToArray();
            return null;
        }
        catch (AsnContentException ex)
        {
            return NotDer(context, null, reader.Position, ex);
        }
    }

    /// <summary>
    /// <see cref="PeekElement(in PduReader, string, out ReadOnlyMemory{byte})"/>, refusing an element longer than
    /// <paramref name="maxSize"/>.
    /// </summary>
    public static DecodeError? PeekElement(in PduReader reader, string context, int maxSize, out ReadOnlyMemory<byte> element)
    {
        if (PeekElement(reader, context, out element) is { } framing)
        {
            return framing;
        }

        return element.Length > maxSize ? DecodeError.LengthLimit(context, "length", reader.Position, maxSize, element.Length) : null;
    }

    /// <summary>The one place where the ASN.1 library's exception becomes a <see cref="DecodeError"/>.</summary>
    public static DecodeError NotDer(string context, string? field, int offset, AsnContentException ex) =>
        new(DecodeErrorKind.InvalidField, context, field, $"not valid DER: {ex.Message}", offset);

    /// <summary>
    /// The DER encoding of <paramref name="value"/>, computed on first use and kept in <paramref name="cache"/>.
    /// The cache remembers whose encoding it holds: a <c>with</c> expression copies the field into a new value,
    /// which then encodes itself afresh.
    /// </summary>
    public static byte[] Cached<T>(ref CachedEncoding? cache, T value, Func<T, byte[]> encode) where T : class
    {
        CachedEncoding? current = cache;
        if (current is not null && ReferenceEquals(current.Owner, value))
        {
            return current.Bytes;
        }

        byte[] bytes = encode(value);
        cache = new CachedEncoding(value, bytes);
        return bytes;
    }
}

/// <summary>An encoding and the value it is the encoding of (see <see cref="Der.Cached"/>).</summary>
internal sealed class CachedEncoding(object owner, byte[] bytes)
{
    public object Owner { get; } = owner;

    public byte[] Bytes { get; } = bytes;
}
