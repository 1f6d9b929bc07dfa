using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.3 EncTicketPart ::= [APPLICATION 3] <c>SEQUENCE { flags [0] TicketFlags, key [1] EncryptionKey, crealm [2]
/// Realm, cname [3] PrincipalName, transited [4] TransitedEncoding, authtime [5] KerberosTime, starttime [6] KerberosTime
/// OPTIONAL, endtime [7] KerberosTime, renew-till [8] KerberosTime OPTIONAL, caddr [9] HostAddresses OPTIONAL,
/// authorization-data [10] AuthorizationData OPTIONAL }</c>: the plaintext of a <see cref="Ticket"/>'s enc-part, under
/// the service's key (key usage 2). Only the KDC that issues a ticket and the service it is for read this part; a
/// client never does.
/// </summary>
/// <param name="Flags">The ticket's flags.</param>
/// <param name="Key">The session key the client also received, in its KDC-REP's encrypted part.</param>
/// <param name="CRealm">The client's realm.</param>
/// <param name="CName">The client's name.</param>
/// <param name="Transited">The realms crossed on the way to the issuing realm.</param>
/// <param name="AuthTime">When the client authenticated (its AS exchange).</param>
/// <param name="StartTime">When the ticket becomes valid, if not at <paramref name="AuthTime"/>.</param>
/// <param name="EndTime">When it expires.</param>
/// <param name="RenewTill">The latest end a renewal may reach, for a renewable ticket.</param>
/// <param name="CAddr">The addresses the ticket may be used from, when restricted.</param>
/// <param name="AuthorizationData">Authorization data (a Windows KDC's PAC goes here, inside AD-IF-RELEVANT).</param>
public sealed record EncTicketPart(
    TicketFlags Flags,
    EncryptionKey Key,
    string CRealm,
    PrincipalName CName,
    TransitedEncoding Transited,
    KerberosTime AuthTime,
    KerberosTime? StartTime,
    KerberosTime EndTime,
    KerberosTime? RenewTill,
    SequenceOf<HostAddress>? CAddr = null,
    SequenceOf<AuthorizationDataEntry>? AuthorizationData = null) : IPdu<EncTicketPart>, IDerElement<EncTicketPart>
{
    public const int ApplicationTag = 3;

    public static string PduName => "Kerberos EncTicketPart";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<EncTicketPart> Decode(ref PduReader reader) => KerberosDer.Decode<EncTicketPart>(ref reader, PduName);

    void IDerElement<EncTicketPart>.Write(AsnWriter writer)
    {
        using (writer.PushSequence(KerberosDer.Application(ApplicationTag)))
        using (writer.PushSequence())
        {
            KerberosFlagsEncoding.WriteField(writer, 0, (uint)Flags);
            KerberosDer.WriteField(writer, 1, Key);
            KerberosDer.WriteStringField(writer, 2, CRealm);
            KerberosDer.WriteField(writer, 3, CName);
            KerberosDer.WriteField(writer, 4, Transited);
            KerberosDer.WriteField(writer, 5, AuthTime);
            if (StartTime is { } start)
            {
                KerberosDer.WriteField(writer, 6, start);
            }

            KerberosDer.WriteField(writer, 7, EndTime);
            if (RenewTill is { } renewTill)
            {
                KerberosDer.WriteField(writer, 8, renewTill);
            }

            if (CAddr is { } addresses)
            {
                KerberosDer.WriteSequenceOfField(writer, 9, addresses);
            }

            if (AuthorizationData is { } authorizationData)
            {
                KerberosDer.WriteSequenceOfField(writer, 10, authorizationData);
            }
        }
    }

    static EncTicketPart IDerElement<EncTicketPart>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence(ApplicationTag);
        var flags = (TicketFlags)sequence.Explicit(0, "flags").ReadFlagsAndEnd();
        EncryptionKey key = sequence.Explicit(1, "key").ReadAndEnd<EncryptionKey>();
        string crealm = sequence.Explicit(2, "crealm").ReadGeneralStringAndEnd();
        PrincipalName cname = sequence.Explicit(3, "cname").ReadAndEnd<PrincipalName>();
        TransitedEncoding transited = sequence.Explicit(4, "transited").ReadAndEnd<TransitedEncoding>();
        KerberosTime authTime = sequence.Explicit(5, "authtime").ReadKerberosTimeAndEnd();
        KerberosTime? startTime = sequence.Optional(6, "starttime")?.ReadKerberosTimeAndEnd();
        KerberosTime endTime = sequence.Explicit(7, "endtime").ReadKerberosTimeAndEnd();
        KerberosTime? renewTill = sequence.Optional(8, "renew-till")?.ReadKerberosTimeAndEnd();
        SequenceOf<HostAddress>? caddr = sequence.Optional(9, "caddr")?.ReadSequenceOf<HostAddress>();
        SequenceOf<AuthorizationDataEntry>? authorizationData = sequence.Optional(10, "authorization-data")?.ReadSequenceOf<AuthorizationDataEntry>();
        sequence.End();
        return new EncTicketPart(flags, key, crealm, cname, transited, authTime, startTime, endTime, renewTill, caddr, authorizationData);
    }
}

/// <summary>
/// RFC 4120 5.3 TransitedEncoding: <c>SEQUENCE { tr-type [0] Int32, contents [1] OCTET STRING }</c>, the realms a
/// cross-realm ticket passed through (tr-type 1, DOMAIN-X500-COMPRESS, RFC 4120 3.3.3.2); empty contents for a ticket
/// issued in the client's own realm.
/// </summary>
/// <param name="TrType">The encoding of <paramref name="Contents"/>: 1 for DOMAIN-X500-COMPRESS.</param>
/// <param name="Contents">The encoded list of realms.</param>
public sealed record TransitedEncoding(int TrType, ByteString Contents) : IPdu<TransitedEncoding>, IDerElement<TransitedEncoding>
{
    /// <summary>RFC 4120 3.3.3.2 DOMAIN-X500-COMPRESS, the only registered tr-type.</summary>
    public const int DomainX500Compress = 1;

    public static string PduName => "Kerberos TransitedEncoding";

    /// <summary>No realm crossed: DOMAIN-X500-COMPRESS with empty contents, as a KDC writes it into a ticket for its own realm.</summary>
    public static TransitedEncoding None { get; } = new(DomainX500Compress, ByteString.Empty);

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<TransitedEncoding> Decode(ref PduReader reader) => KerberosDer.Decode<TransitedEncoding>(ref reader, PduName);

    void IDerElement<TransitedEncoding>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, TrType);
            KerberosDer.WriteOctetsField(writer, 1, Contents);
        }
    }

    static TransitedEncoding IDerElement<TransitedEncoding>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        int type = sequence.Explicit(0, "tr-type").ReadInt32AndEnd();
        ByteString contents = sequence.Explicit(1, "contents").ReadOctetStringAndEnd();
        sequence.End();
        return new TransitedEncoding(type, contents);
    }
}
