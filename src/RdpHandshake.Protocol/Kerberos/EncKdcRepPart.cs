using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>Which APPLICATION tag an <see cref="EncKdcRepPart"/> carried (RFC 4120 5.4.2).</summary>
public enum EncKdcRepPartTag
{
    /// <summary>EncASRepPart ::= [APPLICATION 25] EncKDCRepPart.</summary>
    EncAsRepPart = 25,

    /// <summary>EncTGSRepPart ::= [APPLICATION 26] EncKDCRepPart.</summary>
    EncTgsRepPart = 26,
}

/// <summary>
/// RFC 4120 5.4.2 EncKDCRepPart: <c>SEQUENCE { key [0] EncryptionKey, last-req [1] LastReq, nonce [2] UInt32,
/// key-expiration [3] KerberosTime OPTIONAL, flags [4] TicketFlags, authtime [5] KerberosTime, starttime [6]
/// KerberosTime OPTIONAL, endtime [7] KerberosTime, renew-till [8] KerberosTime OPTIONAL, srealm [9] Realm, sname [10]
/// PrincipalName, caddr [11] HostAddresses OPTIONAL, encrypted-pa-data [12] SEQUENCE OF PA-DATA OPTIONAL }</c>
/// (encrypted-pa-data is RFC 6806 11's), the plaintext of a KDC-REP's enc-part.
/// <para>
/// The decoder accepts both tags whatever the reply. RFC 4120 5.4.2's compatibility note: some implementations send
/// EncTGSRepPart [26] in every reply, and a client may relax its check of the tag. Windows KDCs do, and so does MIT's
/// (krb5kdc 1.20 answered kinit's AS-REQ with [26]; MIT's kinit accepted it); Kerberos.NET likewise has a CanDecode
/// for each tag. <see cref="Tag"/> records which arrived, and the encoder writes it back.
/// </para>
/// </summary>
public sealed record EncKdcRepPart(
    EncKdcRepPartTag Tag,
    EncryptionKey Key,
    SequenceOf<LastReqEntry> LastReq,
    uint Nonce,
    KerberosTime? KeyExpiration,
    TicketFlags Flags,
    KerberosTime AuthTime,
    KerberosTime? StartTime,
    KerberosTime EndTime,
    KerberosTime? RenewTill,
    string SRealm,
    PrincipalName SName,
    SequenceOf<HostAddress>? CAddr = null,
    SequenceOf<PaData>? EncryptedPaData = null) : IPdu<EncKdcRepPart>, IDerElement<EncKdcRepPart>
{
    public static string PduName => "Kerberos EncKDCRepPart";

    /// <summary>Whether the tag is the one RFC 4120 assigns to a reply of <paramref name="reply"/> (false for Windows' and MIT's AS-REP).</summary>
    public bool TagMatches(KerberosMessageType reply) =>
        (reply, Tag) is (KerberosMessageType.AsRep, EncKdcRepPartTag.EncAsRepPart) or (KerberosMessageType.TgsRep, EncKdcRepPartTag.EncTgsRepPart);

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<EncKdcRepPart> Decode(ref PduReader reader) => KerberosDer.Decode<EncKdcRepPart>(ref reader, PduName);

    void IDerElement<EncKdcRepPart>.Write(AsnWriter writer)
    {
        if (Tag is not (EncKdcRepPartTag.EncAsRepPart or EncKdcRepPartTag.EncTgsRepPart))
        {
            ThrowHelper.ThrowInvalidState("encoding an EncKDCRepPart", $"tag {(int)Tag}");
        }

        using (writer.PushSequence(KerberosDer.Application((int)Tag)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteField(writer, 0, Key);
            KerberosDer.WriteSequenceOfField(writer, 1, LastReq);
            KerberosDer.WriteUInt32Field(writer, 2, Nonce);
            if (KeyExpiration is { } keyExpiration)
            {
                KerberosDer.WriteField(writer, 3, keyExpiration);
            }

            KerberosFlagsEncoding.WriteField(writer, 4, (uint)Flags);
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

            KerberosDer.WriteStringField(writer, 9, SRealm);
            KerberosDer.WriteField(writer, 10, SName);
            if (CAddr is { } addresses)
            {
                KerberosDer.WriteSequenceOfField(writer, 11, addresses);
            }

            if (EncryptedPaData is { } paData)
            {
                KerberosDer.WriteSequenceOfField(writer, 12, paData);
            }
        }
    }

    static EncKdcRepPart IDerElement<EncKdcRepPart>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence(out int tag, (int)EncKdcRepPartTag.EncAsRepPart, (int)EncKdcRepPartTag.EncTgsRepPart);
        EncryptionKey key = sequence.Explicit(0, "key").ReadAndEnd<EncryptionKey>();
        SequenceOf<LastReqEntry> lastReq = sequence.Explicit(1, "last-req").ReadSequenceOf<LastReqEntry>();
        uint nonce = sequence.Explicit(2, "nonce").ReadUInt32AndEnd();
        KerberosTime? keyExpiration = sequence.Optional(3, "key-expiration")?.ReadKerberosTimeAndEnd();
        var flags = (TicketFlags)sequence.Explicit(4, "flags").ReadFlagsAndEnd();
        KerberosTime authTime = sequence.Explicit(5, "authtime").ReadKerberosTimeAndEnd();
        KerberosTime? startTime = sequence.Optional(6, "starttime")?.ReadKerberosTimeAndEnd();
        KerberosTime endTime = sequence.Explicit(7, "endtime").ReadKerberosTimeAndEnd();
        KerberosTime? renewTill = sequence.Optional(8, "renew-till")?.ReadKerberosTimeAndEnd();
        string srealm = sequence.Explicit(9, "srealm").ReadGeneralStringAndEnd();
        PrincipalName sname = sequence.Explicit(10, "sname").ReadAndEnd<PrincipalName>();
        SequenceOf<HostAddress>? caddr = sequence.Optional(11, "caddr")?.ReadSequenceOf<HostAddress>();
        SequenceOf<PaData>? paData = sequence.Optional(12, "encrypted-pa-data")?.ReadSequenceOf<PaData>();
        sequence.End();
        return new EncKdcRepPart((EncKdcRepPartTag)tag, key, lastReq, nonce, keyExpiration, flags, authTime, startTime, endTime, renewTill, srealm, sname, caddr, paData);
    }
}
