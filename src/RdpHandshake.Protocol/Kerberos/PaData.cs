using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.2.7 PA-DATA: <c>SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }</c> (the first tag is
/// [1], not [0]). The value is decoded on demand with <see cref="DecodeValue{T}"/>.
/// </summary>
public sealed record PaData(PaDataType Type, ByteString Value) : IPdu<PaData>, IDerElement<PaData>
{
    public static string PduName => "Kerberos PA-DATA";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<PaData> Decode(ref PduReader reader) => KerberosDer.Decode<PaData>(ref reader, PduName);

    /// <summary>PA-DATA carrying the encoding of <paramref name="value"/>.</summary>
    public static PaData Of<T>(PaDataType type, T value) where T : IPdu<T> => new(type, new ByteString(Pdu.Encode(value)));

    /// <summary>The padata-value decoded as <typeparamref name="T"/>, which must fill it.</summary>
    public DecodeResult<T> DecodeValue<T>() where T : IPdu<T> => Pdu.Decode<T>(Value.Span);

    void IDerElement<PaData>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 1, (int)Type);
            KerberosDer.WriteOctetsField(writer, 2, Value);
        }
    }

    static PaData IDerElement<PaData>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        var type = (PaDataType)sequence.Explicit(1, "padata-type").ReadInt32AndEnd();
        ByteString value = sequence.Explicit(2, "padata-value").ReadOctetStringAndEnd();
        sequence.End();
        return new PaData(type, value);
    }

    public override string ToString() => $"{KerberosNames.PaDataType((int)Type)} ({Value.Length} bytes)";
}

/// <summary>
/// RFC 4120 5.9.1 METHOD-DATA ::= SEQUENCE OF PA-DATA: the e-data of a KDC_ERR_PREAUTH_REQUIRED (with
/// PA-ETYPE-INFO2 among the methods), and of a Windows KDC's other errors (a PA-PW-SALT holding a KERB-EXT-ERROR,
/// MS-KILE 2.2.1).
/// </summary>
public sealed record MethodData(SequenceOf<PaData> Entries) : IPdu<MethodData>, IDerElement<MethodData>
{
    public static string PduName => "Kerberos METHOD-DATA";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<MethodData> Decode(ref PduReader reader) => KerberosDer.Decode<MethodData>(ref reader, PduName);

    /// <summary>The first entry of <paramref name="type"/>, or null.</summary>
    public PaData? Find(PaDataType type) => Entries.FirstOrDefault(p => p.Type == type);

    void IDerElement<MethodData>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            foreach (PaData entry in Entries)
            {
                KerberosDer.Write(writer, entry);
            }
        }
    }

    static MethodData IDerElement<MethodData>.Read(DerCursor cursor)
    {
        DerCursor list = cursor.Enter(Asn1Tag.Sequence);
        var entries = new List<PaData>();
        while (list.HasData)
        {
            entries.Add(list.Read<PaData>());
        }

        return new MethodData(new SequenceOf<PaData>(entries));
    }
}
