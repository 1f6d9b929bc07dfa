using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.4.1 KDC-REQ-BODY: <c>SEQUENCE { kdc-options [0] KDCOptions, cname [1] PrincipalName OPTIONAL, realm [2]
/// Realm, sname [3] PrincipalName OPTIONAL, from [4] KerberosTime OPTIONAL, till [5] KerberosTime, rtime [6]
/// KerberosTime OPTIONAL, nonce [7] UInt32, etype [8] SEQUENCE OF Int32, addresses [9] HostAddresses OPTIONAL,
/// enc-authorization-data [10] EncryptedData OPTIONAL, additional-tickets [11] SEQUENCE OF Ticket OPTIONAL }</c>.
/// A TGS-REQ's authenticator checksums this body's encoding (<c>Pdu.Encode(body)</c>); the nonce and the times
/// are the caller's.
/// </summary>
/// <param name="KdcOptions">The options requested.</param>
/// <param name="CName">The client (AS-REQ only).</param>
/// <param name="Realm">The realm of the server (and, in an AS-REQ, of the client).</param>
/// <param name="SName">The server: krbtgt/REALM in an AS-REQ, the service in a TGS-REQ.</param>
/// <param name="From">A postdated start, rarely sent.</param>
/// <param name="Till">The requested end time (Windows clients ask for 20370913024805Z).</param>
/// <param name="RTime">The requested renew-till, with the renewable option.</param>
/// <param name="Nonce">A random number the reply must echo in its encrypted part.</param>
/// <param name="EType">The encryption types the client accepts, most preferred first.</param>
/// <param name="Addresses">The client's addresses, when it restricts the ticket to them.</param>
/// <param name="EncAuthorizationData">Authorization data for the ticket (TGS-REQ).</param>
/// <param name="AdditionalTickets">Tickets for user-to-user or constrained delegation.</param>
public sealed record KdcReqBody(
    KdcOptions KdcOptions,
    PrincipalName? CName,
    string Realm,
    PrincipalName? SName,
    KerberosTime? From,
    KerberosTime Till,
    KerberosTime? RTime,
    uint Nonce,
    SequenceOf<EncryptionType> EType,
    SequenceOf<HostAddress>? Addresses = null,
    EncryptedData? EncAuthorizationData = null,
    SequenceOf<Ticket>? AdditionalTickets = null) : IPdu<KdcReqBody>, IDerElement<KdcReqBody>
{
    public static string PduName => "Kerberos KDC-REQ-BODY";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<KdcReqBody> Decode(ref PduReader reader) => KerberosDer.Decode<KdcReqBody>(ref reader, PduName);

    void IDerElement<KdcReqBody>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosFlagsEncoding.WriteField(writer, 0, (uint)KdcOptions);
            if (CName is not null)
            {
                KerberosDer.WriteField(writer, 1, CName);
            }

            KerberosDer.WriteStringField(writer, 2, Realm);
            if (SName is not null)
            {
                KerberosDer.WriteField(writer, 3, SName);
            }

            if (From is { } from)
            {
                KerberosDer.WriteField(writer, 4, from);
            }

            KerberosDer.WriteField(writer, 5, Till);
            if (RTime is { } rtime)
            {
                KerberosDer.WriteField(writer, 6, rtime);
            }

            KerberosDer.WriteUInt32Field(writer, 7, Nonce);
            using (writer.PushSequence(KerberosDer.Context(8)))
            using (writer.PushSequence())
            {
                foreach (EncryptionType etype in EType)
                {
                    writer.WriteInteger((int)etype);
                }
            }

            if (Addresses is { } addresses)
            {
                KerberosDer.WriteSequenceOfField(writer, 9, addresses);
            }

            if (EncAuthorizationData is not null)
            {
                KerberosDer.WriteField(writer, 10, EncAuthorizationData);
            }

            if (AdditionalTickets is { } tickets)
            {
                KerberosDer.WriteSequenceOfField(writer, 11, tickets);
            }
        }
    }

    static KdcReqBody IDerElement<KdcReqBody>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        var options = (KdcOptions)sequence.Explicit(0, "kdc-options").ReadFlagsAndEnd();
        PrincipalName? cname = sequence.Optional(1, "cname")?.ReadAndEnd<PrincipalName>();
        string realm = sequence.Explicit(2, "realm").ReadGeneralStringAndEnd();
        PrincipalName? sname = sequence.Optional(3, "sname")?.ReadAndEnd<PrincipalName>();
        KerberosTime? from = sequence.Optional(4, "from")?.ReadKerberosTimeAndEnd();
        KerberosTime till = sequence.Explicit(5, "till").ReadKerberosTimeAndEnd();
        KerberosTime? rtime = sequence.Optional(6, "rtime")?.ReadKerberosTimeAndEnd();
        uint nonce = sequence.Explicit(7, "nonce").ReadUInt32AndEnd();
        SequenceOf<EncryptionType> etypes = sequence.Explicit(8, "etype").ReadSequenceOf(static c => (EncryptionType)c.ReadInt32());
        SequenceOf<HostAddress>? addresses = sequence.Optional(9, "addresses")?.ReadSequenceOf<HostAddress>();
        EncryptedData? authorization = sequence.Optional(10, "enc-authorization-data")?.ReadAndEnd<EncryptedData>();
        SequenceOf<Ticket>? tickets = sequence.Optional(11, "additional-tickets")?.ReadSequenceOf<Ticket>();
        sequence.End();
        return new KdcReqBody(options, cname, realm, sname, from, till, rtime, nonce, etypes, addresses, authorization, tickets);
    }
}
