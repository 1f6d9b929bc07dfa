using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.2.5 HostAddress: <c>SEQUENCE { addr-type [0] Int32, address [1] OCTET STRING }</c>; HostAddresses is a
/// SEQUENCE OF them (the addresses of a KDC-REQ-BODY, the caddr of an EncKDCRepPart). Carried as received.
/// </summary>
/// <param name="AddrType">2 for IPv4, 24 for IPv6, 20 for a NetBIOS name (RFC 4120 7.5.3).</param>
/// <param name="Address">The address bytes.</param>
public sealed record HostAddress(int AddrType, ByteString Address) : IPdu<HostAddress>, IDerElement<HostAddress>
{
    public static string PduName => "Kerberos HostAddress";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<HostAddress> Decode(ref PduReader reader) => KerberosDer.Decode<HostAddress>(ref reader, PduName);

    void IDerElement<HostAddress>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, AddrType);
            KerberosDer.WriteOctetsField(writer, 1, Address);
        }
    }

    static HostAddress IDerElement<HostAddress>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        int type = sequence.Explicit(0, "addr-type").ReadInt32AndEnd();
        ByteString address = sequence.Explicit(1, "address").ReadOctetStringAndEnd();
        sequence.End();
        return new HostAddress(type, address);
    }
}

/// <summary>
/// One element of RFC 4120 5.2.6 AuthorizationData: <c>SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING }</c>
/// (AD-IF-RELEVANT, the PAC, restrictions), carried as received.
/// </summary>
public sealed record AuthorizationDataEntry(int AdType, ByteString AdData) : IPdu<AuthorizationDataEntry>, IDerElement<AuthorizationDataEntry>
{
    public static string PduName => "Kerberos AuthorizationData element";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<AuthorizationDataEntry> Decode(ref PduReader reader) => KerberosDer.Decode<AuthorizationDataEntry>(ref reader, PduName);

    void IDerElement<AuthorizationDataEntry>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, AdType);
            KerberosDer.WriteOctetsField(writer, 1, AdData);
        }
    }

    static AuthorizationDataEntry IDerElement<AuthorizationDataEntry>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        int type = sequence.Explicit(0, "ad-type").ReadInt32AndEnd();
        ByteString data = sequence.Explicit(1, "ad-data").ReadOctetStringAndEnd();
        sequence.End();
        return new AuthorizationDataEntry(type, data);
    }
}

/// <summary>One element of RFC 4120 5.4.2 LastReq: <c>SEQUENCE { lr-type [0] Int32, lr-value [1] KerberosTime }</c>.</summary>
public sealed record LastReqEntry(int LrType, KerberosTime LrValue) : IPdu<LastReqEntry>, IDerElement<LastReqEntry>
{
    public static string PduName => "Kerberos LastReq element";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<LastReqEntry> Decode(ref PduReader reader) => KerberosDer.Decode<LastReqEntry>(ref reader, PduName);

    void IDerElement<LastReqEntry>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, LrType);
            KerberosDer.WriteField(writer, 1, LrValue);
        }
    }

    static LastReqEntry IDerElement<LastReqEntry>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        int type = sequence.Explicit(0, "lr-type").ReadInt32AndEnd();
        KerberosTime value = sequence.Explicit(1, "lr-value").ReadKerberosTimeAndEnd();
        sequence.End();
        return new LastReqEntry(type, value);
    }
}
