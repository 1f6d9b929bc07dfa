using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.2.7.5 ETYPE-INFO2-ENTRY: <c>SEQUENCE { etype [0] Int32, salt [1] KerberosString OPTIONAL, s2kparams [2]
/// OCTET STRING OPTIONAL }</c>: what a client needs to turn its password into the key of <see cref="EType"/>. An absent
/// salt means the default one (realm followed by the name components, RFC 4120 4).
/// </summary>
/// <param name="EType">The encryption type the KDC will accept.</param>
/// <param name="Salt">The salt, e.g. <c>EXAMPLE.COMalice</c>; null when absent.</param>
/// <param name="S2kParams">The string-to-key parameters (an iteration count for the AES types, RFC 3962 4); null when absent.</param>
public sealed record EtypeInfo2Entry(EncryptionType EType, string? Salt, ByteString? S2kParams) : IPdu<EtypeInfo2Entry>, IDerElement<EtypeInfo2Entry>
{
    public static string PduName => "Kerberos ETYPE-INFO2-ENTRY";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<EtypeInfo2Entry> Decode(ref PduReader reader) => KerberosDer.Decode<EtypeInfo2Entry>(ref reader, PduName);

    void IDerElement<EtypeInfo2Entry>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, (int)EType);
            if (Salt is not null)
            {
                KerberosDer.WriteStringField(writer, 1, Salt);
            }

            if (S2kParams is { } parameters)
            {
                KerberosDer.WriteOctetsField(writer, 2, parameters);
            }
        }
    }

    static EtypeInfo2Entry IDerElement<EtypeInfo2Entry>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        var etype = (EncryptionType)sequence.Explicit(0, "etype").ReadInt32AndEnd();
        string? salt = sequence.Optional(1, "salt")?.ReadGeneralStringAndEnd();
        ByteString? parameters = sequence.Optional(2, "s2kparams")?.ReadOctetStringAndEnd();
        sequence.End();
        return new EtypeInfo2Entry(etype, salt, parameters);
    }
}

/// <summary>RFC 4120 5.2.7.5 ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY, the PA-ETYPE-INFO2 value, the KDC's preference first.</summary>
public sealed record EtypeInfo2(SequenceOf<EtypeInfo2Entry> Entries) : IPdu<EtypeInfo2>, IDerElement<EtypeInfo2>
{
    public static string PduName => "Kerberos ETYPE-INFO2";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<EtypeInfo2> Decode(ref PduReader reader) => KerberosDer.Decode<EtypeInfo2>(ref reader, PduName);

    void IDerElement<EtypeInfo2>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            foreach (EtypeInfo2Entry entry in Entries)
            {
                KerberosDer.Write(writer, entry);
            }
        }
    }

    static EtypeInfo2 IDerElement<EtypeInfo2>.Read(DerCursor cursor)
    {
        DerCursor list = cursor.Enter(Asn1Tag.Sequence);
        var entries = new List<EtypeInfo2Entry>();
        while (list.HasData)
        {
            entries.Add(list.Read<EtypeInfo2Entry>());
        }

        if (entries.Count == 0)
        {
            list.Fail("empty (SIZE (1..MAX))");
        }

        return new EtypeInfo2(new SequenceOf<EtypeInfo2Entry>(entries));
    }
}
