using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.5.1 AP-REQ ::= [APPLICATION 14] <c>SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (14), ap-options
/// [2] APOptions, ticket [3] Ticket, authenticator [4] EncryptedData }</c>: the ticket and an
/// <see cref="Authenticator"/> encrypted in its session key (key usage 11, or 7 inside a TGS-REQ).
/// </summary>
public sealed record ApReq(ApOptions ApOptions, Ticket Ticket, EncryptedData Authenticator) : IPdu<ApReq>, IDerElement<ApReq>
{
    public static string PduName => "Kerberos AP-REQ";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<ApReq> Decode(ref PduReader reader) => KerberosDer.Decode<ApReq>(ref reader, PduName);

    void IDerElement<ApReq>.Write(AsnWriter writer)
    {
        using (writer.PushSequence(KerberosDer.Application((int)KerberosMessageType.ApReq)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, KerberosDer.ProtocolVersion);
            KerberosDer.WriteInt32Field(writer, 1, (int)KerberosMessageType.ApReq);
            KerberosFlagsEncoding.WriteField(writer, 2, (uint)ApOptions);
            KerberosDer.WriteField(writer, 3, Ticket);
            KerberosDer.WriteField(writer, 4, Authenticator);
        }
    }

    static ApReq IDerElement<ApReq>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence((int)KerberosMessageType.ApReq);
        KerberosDer.ReadVersion(sequence, 0, "pvno");
        KerberosDer.ReadMessageType(sequence, 1, KerberosMessageType.ApReq);
        var options = (ApOptions)sequence.Explicit(2, "ap-options").ReadFlagsAndEnd();
        Ticket ticket = sequence.Explicit(3, "ticket").ReadAndEnd<Ticket>();
        EncryptedData authenticator = sequence.Explicit(4, "authenticator").ReadAndEnd<EncryptedData>();
        sequence.End();
        return new ApReq(options, ticket, authenticator);
    }
}

/// <summary>
/// RFC 4120 5.5.2 AP-REP ::= [APPLICATION 15] <c>SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (15), enc-part [2]
/// EncryptedData }</c>; the enc-part decrypts (key usage 12) to an <see cref="EncApRepPart"/>.
/// </summary>
public sealed record ApRep(EncryptedData EncPart) : IPdu<ApRep>, IDerElement<ApRep>
{
    public static string PduName => "Kerberos AP-REP";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<ApRep> Decode(ref PduReader reader) => KerberosDer.Decode<ApRep>(ref reader, PduName);

    void IDerElement<ApRep>.Write(AsnWriter writer)
    {
        using (writer.PushSequence(KerberosDer.Application((int)KerberosMessageType.ApRep)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, KerberosDer.ProtocolVersion);
            KerberosDer.WriteInt32Field(writer, 1, (int)KerberosMessageType.ApRep);
            KerberosDer.WriteField(writer, 2, EncPart);
        }
    }

    static ApRep IDerElement<ApRep>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence((int)KerberosMessageType.ApRep);
        KerberosDer.ReadVersion(sequence, 0, "pvno");
        KerberosDer.ReadMessageType(sequence, 1, KerberosMessageType.ApRep);
        EncryptedData encPart = sequence.Explicit(2, "enc-part").ReadAndEnd<EncryptedData>();
        sequence.End();
        return new ApRep(encPart);
    }
}
