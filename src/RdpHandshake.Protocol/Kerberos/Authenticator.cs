using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.5.1 Authenticator ::= [APPLICATION 2] <c>SEQUENCE { authenticator-vno [0] INTEGER (5), crealm [1] Realm,
/// cname [2] PrincipalName, cksum [3] Checksum OPTIONAL, cusec [4] Microseconds, ctime [5] KerberosTime, subkey [6]
/// EncryptionKey OPTIONAL, seq-number [7] UInt32 OPTIONAL, authorization-data [8] AuthorizationData OPTIONAL }</c>,
/// the plaintext of an AP-REQ's authenticator. Under GSS-API the cksum is the 0x8003 <see cref="GssChecksum"/>
/// (RFC 4121 4.1.1); in a TGS-REQ it is a keyed checksum of the KDC-REQ-BODY. Times, subkey and sequence number are
/// the caller's.
/// </summary>
public sealed record Authenticator(
    string CRealm,
    PrincipalName CName,
    Checksum? Cksum,
    int Cusec,
    KerberosTime CTime,
    EncryptionKey? Subkey = null,
    uint? SeqNumber = null,
    SequenceOf<AuthorizationDataEntry>? AuthorizationData = null) : IPdu<Authenticator>, IDerElement<Authenticator>
{
    public const int ApplicationTag = 2;

    public static string PduName => "Kerberos Authenticator";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<Authenticator> Decode(ref PduReader reader) => KerberosDer.Decode<Authenticator>(ref reader, PduName);

    void IDerElement<Authenticator>.Write(AsnWriter writer)
    {
        using (writer.PushSequence(KerberosDer.Application(ApplicationTag)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, KerberosDer.ProtocolVersion);
            KerberosDer.WriteStringField(writer, 1, CRealm);
            KerberosDer.WriteField(writer, 2, CName);
            if (Cksum is not null)
            {
                KerberosDer.WriteField(writer, 3, Cksum);
            }

            KerberosDer.WriteInt32Field(writer, 4, Cusec);
            KerberosDer.WriteField(writer, 5, CTime);
            if (Subkey is not null)
            {
                KerberosDer.WriteField(writer, 6, Subkey);
            }

            if (SeqNumber is { } sequenceNumber)
            {
                KerberosDer.WriteUInt32Field(writer, 7, sequenceNumber);
            }

            if (AuthorizationData is { } authorizationData)
            {
                KerberosDer.WriteSequenceOfField(writer, 8, authorizationData);
            }
        }
    }

    static Authenticator IDerElement<Authenticator>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence(ApplicationTag);
        KerberosDer.ReadVersion(sequence, 0, "authenticator-vno");
        string crealm = sequence.Explicit(1, "crealm").ReadGeneralStringAndEnd();
        PrincipalName cname = sequence.Explicit(2, "cname").ReadAndEnd<PrincipalName>();
        Checksum? cksum = sequence.Optional(3, "cksum")?.ReadAndEnd<Checksum>();
        int cusec = sequence.Explicit(4, "cusec").ReadMicrosecondsAndEnd();
        KerberosTime ctime = sequence.Explicit(5, "ctime").ReadKerberosTimeAndEnd();
        EncryptionKey? subkey = sequence.Optional(6, "subkey")?.ReadAndEnd<EncryptionKey>();
        uint? seqNumber = sequence.Optional(7, "seq-number")?.ReadUInt32AndEnd();
        SequenceOf<AuthorizationDataEntry>? authorizationData = sequence.Optional(8, "authorization-data")?.ReadSequenceOf<AuthorizationDataEntry>();
        sequence.End();
        return new Authenticator(crealm, cname, cksum, cusec, ctime, subkey, seqNumber, authorizationData);
    }
}

/// <summary>
/// RFC 4120 5.5.2 EncAPRepPart ::= [APPLICATION 27] <c>SEQUENCE { ctime [0] KerberosTime, cusec [1] Microseconds, subkey
/// [2] EncryptionKey OPTIONAL, seq-number [3] UInt32 OPTIONAL }</c>: the server's proof, echoing the authenticator's
/// ctime and cusec, with the acceptor's subkey and sequence number under GSS-API (RFC 4121 4.1).
/// </summary>
public sealed record EncApRepPart(KerberosTime CTime, int Cusec, EncryptionKey? Subkey = null, uint? SeqNumber = null) : IPdu<EncApRepPart>, IDerElement<EncApRepPart>
{
    public const int ApplicationTag = 27;

    public static string PduName => "Kerberos EncAPRepPart";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<EncApRepPart> Decode(ref PduReader reader) => KerberosDer.Decode<EncApRepPart>(ref reader, PduName);

    void IDerElement<EncApRepPart>.Write(AsnWriter writer)
    {
        using (writer.PushSequence(KerberosDer.Application(ApplicationTag)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteField(writer, 0, CTime);
            KerberosDer.WriteInt32Field(writer, 1, Cusec);
            if (Subkey is not null)
            {
                KerberosDer.WriteField(writer, 2, Subkey);
            }

            if (SeqNumber is { } sequenceNumber)
            {
                KerberosDer.WriteUInt32Field(writer, 3, sequenceNumber);
            }
        }
    }

    static EncApRepPart IDerElement<EncApRepPart>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence(ApplicationTag);
        KerberosTime ctime = sequence.Explicit(0, "ctime").ReadKerberosTimeAndEnd();
        int cusec = sequence.Explicit(1, "cusec").ReadMicrosecondsAndEnd();
        EncryptionKey? subkey = sequence.Optional(2, "subkey")?.ReadAndEnd<EncryptionKey>();
        uint? seqNumber = sequence.Optional(3, "seq-number")?.ReadUInt32AndEnd();
        sequence.End();
        return new EncApRepPart(ctime, cusec, subkey, seqNumber);
    }
}
