using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.2.9 EncryptedData: <c>SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING }</c>.
/// The cipher is carried as bytes; the Kerberos cryptography lives elsewhere.
/// </summary>
/// <param name="EType">The encryption type of the cipher.</param>
/// <param name="Kvno">The version of the key that encrypted it, when the sender names one (tickets and AS-REP parts do).</param>
/// <param name="Cipher">The ciphertext, integrity tag included.</param>
public sealed record EncryptedData(EncryptionType EType, uint? Kvno, ByteString Cipher) : IPdu<EncryptedData>, IDerElement<EncryptedData>
{
    public static string PduName => "Kerberos EncryptedData";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<EncryptedData> Decode(ref PduReader reader) => KerberosDer.Decode<EncryptedData>(ref reader, PduName);

    void IDerElement<EncryptedData>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, (int)EType);
            if (Kvno is { } kvno)
            {
                KerberosDer.WriteUInt32Field(writer, 1, kvno);
            }

            KerberosDer.WriteOctetsField(writer, 2, Cipher);
        }
    }

    static EncryptedData IDerElement<EncryptedData>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        var etype = (EncryptionType)sequence.Explicit(0, "etype").ReadInt32AndEnd();
        uint? kvno = sequence.Optional(1, "kvno")?.ReadUInt32AndEnd();
        ByteString cipher = sequence.Explicit(2, "cipher").ReadOctetStringAndEnd();
        sequence.End();
        return new EncryptedData(etype, kvno, cipher);
    }
}

/// <summary>
/// RFC 4120 5.2.9 EncryptionKey: <c>SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING }</c>, as a session key or
/// subkey travels inside encrypted parts. Its text form leaves the key out.
/// </summary>
public sealed record EncryptionKey(EncryptionType KeyType, ByteString KeyValue) : IPdu<EncryptionKey>, IDerElement<EncryptionKey>
{
    public static string PduName => "Kerberos EncryptionKey";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<EncryptionKey> Decode(ref PduReader reader) => KerberosDer.Decode<EncryptionKey>(ref reader, PduName);

    void IDerElement<EncryptionKey>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, (int)KeyType);
            KerberosDer.WriteOctetsField(writer, 1, KeyValue);
        }
    }

    static EncryptionKey IDerElement<EncryptionKey>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        var type = (EncryptionType)sequence.Explicit(0, "keytype").ReadInt32AndEnd();
        ByteString value = sequence.Explicit(1, "keyvalue").ReadOctetStringAndEnd();
        sequence.End();
        return new EncryptionKey(type, value);
    }

    /// <summary>Keys never reach logs or reports: only the type and length are shown.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"KeyType = {KeyType}, KeyValue = ({KeyValue.Length} bytes)");
        return true;
    }
}

/// <summary>RFC 4120 5.2.9 Checksum: <c>SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING }</c>.</summary>
/// <param name="CksumType">The checksum type; <see cref="ChecksumType.Gssapi"/> carries a <see cref="GssChecksum"/>.</param>
/// <param name="Value">The checksum bytes.</param>
public sealed record Checksum(ChecksumType CksumType, ByteString Value) : IPdu<Checksum>, IDerElement<Checksum>
{
    public static string PduName => "Kerberos Checksum";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<Checksum> Decode(ref PduReader reader) => KerberosDer.Decode<Checksum>(ref reader, PduName);

    void IDerElement<Checksum>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, (int)CksumType);
            KerberosDer.WriteOctetsField(writer, 1, Value);
        }
    }

    static Checksum IDerElement<Checksum>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        var type = (ChecksumType)sequence.Explicit(0, "cksumtype").ReadInt32AndEnd();
        ByteString value = sequence.Explicit(1, "checksum").ReadOctetStringAndEnd();
        sequence.End();
        return new Checksum(type, value);
    }
}
