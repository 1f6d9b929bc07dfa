namespace RdpHandshake.Protocol.Encoding;

/// <summary>
/// The codec contract every PDU follows: it knows its encoded <see cref="Size"/>, encodes itself into a
/// <see cref="PduWriter"/> and decodes from a <see cref="PduReader"/> without throwing.
/// </summary>
public interface IPdu<TSelf> where TSelf : IPdu<TSelf>
{
    /// <summary>The specification's name for the structure, used as decode-error context.</summary>
    static abstract string PduName { get; }

    /// <summary>The exact number of bytes <see cref="Encode"/> writes.</summary>
    int Size { get; }

    void Encode(ref PduWriter writer);

    static abstract DecodeResult<TSelf> Decode(ref PduReader reader);
}
