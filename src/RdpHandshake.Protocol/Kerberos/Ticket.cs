using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.3 Ticket ::= [APPLICATION 1] <c>SEQUENCE { tkt-vno [0] INTEGER (5), realm [1] Realm, sname [2]
/// PrincipalName, enc-part [3] EncryptedData }</c>. The enc-part (an EncTicketPart under the service's key) is
/// opaque to a client.
/// </summary>
public sealed record Ticket(string Realm, PrincipalName SName, EncryptedData EncPart) : IPdu<Ticket>, IDerElement<Ticket>
{
    public const int ApplicationTag = 1;

    public static string PduName => "Kerberos Ticket";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<Ticket> Decode(ref PduReader reader) => KerberosDer.Decode<Ticket>(ref reader, PduName);

    void IDerElement<Ticket>.Write(AsnWriter writer)
    {
        using (writer.PushSequence(KerberosDer.Application(ApplicationTag)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, KerberosDer.ProtocolVersion);
            KerberosDer.WriteStringField(writer, 1, Realm);
            KerberosDer.WriteField(writer, 2, SName);
            KerberosDer.WriteField(writer, 3, EncPart);
        }
    }

    static Ticket IDerElement<Ticket>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence(ApplicationTag);
        KerberosDer.ReadVersion(sequence, 0, "tkt-vno");
        string realm = sequence.Explicit(1, "realm").ReadGeneralStringAndEnd();
        PrincipalName sname = sequence.Explicit(2, "sname").ReadAndEnd<PrincipalName>();
        EncryptedData encPart = sequence.Explicit(3, "enc-part").ReadAndEnd<EncryptedData>();
        sequence.End();
        return new Ticket(realm, sname, encPart);
    }
}
