using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.4.2 KDC-REP: <c>SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER, padata [2] SEQUENCE OF PA-DATA
/// OPTIONAL, crealm [3] Realm, cname [4] PrincipalName, ticket [5] Ticket, enc-part [6] EncryptedData }</c>, as
/// AS-REP ::= [APPLICATION 11] KDC-REP and TGS-REP ::= [APPLICATION 13] KDC-REP. The enc-part decrypts (key usage 3
/// for an AS-REP, 8 or 9 for a TGS-REP) to an <see cref="EncKdcRepPart"/>.
/// </summary>
/// <param name="MessageType"><see cref="KerberosMessageType.AsRep"/> or <see cref="KerberosMessageType.TgsRep"/>.</param>
/// <param name="PaData">The KDC's PA-DATA (an AS-REP carries PA-ETYPE-INFO2 with the salt used); null when absent.</param>
/// <param name="CRealm">The client's realm.</param>
/// <param name="CName">The client's name.</param>
/// <param name="Ticket">The new ticket.</param>
/// <param name="EncPart">The encrypted part.</param>
public sealed record KdcRep(
    KerberosMessageType MessageType,
    SequenceOf<PaData>? PaData,
    string CRealm,
    PrincipalName CName,
    Ticket Ticket,
    EncryptedData EncPart) : IPdu<KdcRep>, IDerElement<KdcRep>
{
    public static string PduName => "Kerberos KDC-REP";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    /// <summary>Decodes an AS-REP or a TGS-REP.</summary>
    public static DecodeResult<KdcRep> Decode(ref PduReader reader) => KerberosDer.Decode<KdcRep>(ref reader, PduName);

    /// <summary>
    /// Decodes the reply to a request of the given kind: a TGS-REP where an AS-REP was expected (or the reverse)
    /// is <see cref="DecodeErrorKind.UnexpectedMessageType"/>, as is a KRB-ERROR (decode that with <see cref="KrbError"/>).
    /// </summary>
    public static DecodeResult<KdcRep> Decode(ref PduReader reader, KerberosMessageType expected)
    {
        int start = reader.Position;
        PduReader probe = reader;
        DecodeResult<KdcRep> result = Decode(ref probe);
        if (result.IsSuccess && result.Value.MessageType != expected)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "tag",
                $"expected {KerberosNames.MessageType((int)expected)}, got {KerberosNames.MessageType((int)result.Value.MessageType)}",
                start, (int)expected, (int)result.Value.MessageType);
        }

        if (!result.IsSuccess && result.Error is { Kind: DecodeErrorKind.UnexpectedMessageType, Field: "tag" } other)
        {
            // Only the reply asked for is expected: say so rather than "AS-REP or TGS-REP".
            string received = other.Received is { } number ? KerberosNames.ApplicationTag((int)number) ?? $"[APPLICATION {number}]" : "not an APPLICATION element";
            return other with { Reason = $"expected {KerberosNames.MessageType((int)expected)}, got {received}", Expected = (int)expected };
        }

        reader = probe;
        return result;
    }

    void IDerElement<KdcRep>.Write(AsnWriter writer)
    {
        if (MessageType is not (KerberosMessageType.AsRep or KerberosMessageType.TgsRep))
        {
            ThrowHelper.ThrowInvalidState("encoding a KDC-REP", $"msg-type {(int)MessageType}");
        }

        using (writer.PushSequence(KerberosDer.Application((int)MessageType)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, KerberosDer.ProtocolVersion);
            KerberosDer.WriteInt32Field(writer, 1, (int)MessageType);
            if (PaData is { } paData)
            {
                KerberosDer.WriteSequenceOfField(writer, 2, paData);
            }

            KerberosDer.WriteStringField(writer, 3, CRealm);
            KerberosDer.WriteField(writer, 4, CName);
            KerberosDer.WriteField(writer, 5, Ticket);
            KerberosDer.WriteField(writer, 6, EncPart);
        }
    }

    static KdcRep IDerElement<KdcRep>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence(out int tag, (int)KerberosMessageType.AsRep, (int)KerberosMessageType.TgsRep);
        var type = (KerberosMessageType)tag;
        KerberosDer.ReadVersion(sequence, 0, "pvno");
        KerberosDer.ReadMessageType(sequence, 1, type);
        SequenceOf<PaData>? paData = sequence.Optional(2, "padata")?.ReadSequenceOf<PaData>();
        string crealm = sequence.Explicit(3, "crealm").ReadGeneralStringAndEnd();
        PrincipalName cname = sequence.Explicit(4, "cname").ReadAndEnd<PrincipalName>();
        Ticket ticket = sequence.Explicit(5, "ticket").ReadAndEnd<Ticket>();
        EncryptedData encPart = sequence.Explicit(6, "enc-part").ReadAndEnd<EncryptedData>();
        sequence.End();
        return new KdcRep(type, paData, crealm, cname, ticket, encPart);
    }
}
