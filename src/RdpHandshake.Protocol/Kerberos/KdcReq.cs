using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.4.1 KDC-REQ: <c>SEQUENCE { pvno [1] INTEGER (5), msg-type [2] INTEGER, padata [3] SEQUENCE OF PA-DATA
/// OPTIONAL, req-body [4] KDC-REQ-BODY }</c> (the first tag is [1]), as AS-REQ ::= [APPLICATION 10] KDC-REQ and
/// TGS-REQ ::= [APPLICATION 12] KDC-REQ. One shape for both: <see cref="MessageType"/> is the msg-type and the tag.
/// The decoder takes either and requires the msg-type to match the tag.
/// </summary>
/// <param name="MessageType"><see cref="KerberosMessageType.AsReq"/> or <see cref="KerberosMessageType.TgsReq"/>.</param>
/// <param name="PaData">Pre-authentication data; null when absent (an empty list is sent as an empty SEQUENCE).</param>
/// <param name="ReqBody">The request body.</param>
public sealed record KdcReq(KerberosMessageType MessageType, SequenceOf<PaData>? PaData, KdcReqBody ReqBody) : IPdu<KdcReq>, IDerElement<KdcReq>
{
    public static string PduName => "Kerberos KDC-REQ";

    /// <summary>An AS-REQ (RFC 4120 3.1.1).</summary>
    public static KdcReq AsReq(SequenceOf<PaData>? paData, KdcReqBody body) => new(KerberosMessageType.AsReq, paData, body);

    /// <summary>A TGS-REQ (RFC 4120 3.3.1): the AP-REQ for the TGT goes first, as PA-TGS-REQ, then <paramref name="otherPaData"/>.</summary>
    public static KdcReq TgsReq(ApReq tgsApReq, KdcReqBody body, params PaData[] otherPaData) =>
        new(KerberosMessageType.TgsReq, [Kerberos.PaData.Of(PaDataType.TgsReq, tgsApReq), .. otherPaData], body);

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<KdcReq> Decode(ref PduReader reader) => KerberosDer.Decode<KdcReq>(ref reader, PduName);

    void IDerElement<KdcReq>.Write(AsnWriter writer)
    {
        if (MessageType is not (KerberosMessageType.AsReq or KerberosMessageType.TgsReq))
        {
            ThrowHelper.ThrowInvalidState("encoding a KDC-REQ", $"msg-type {(int)MessageType}");
        }

        using (writer.PushSequence(KerberosDer.Application((int)MessageType)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 1, KerberosDer.ProtocolVersion);
            KerberosDer.WriteInt32Field(writer, 2, (int)MessageType);
            if (PaData is { } paData)
            {
                KerberosDer.WriteSequenceOfField(writer, 3, paData);
            }

            KerberosDer.WriteField(writer, 4, ReqBody);
        }
    }

    static KdcReq IDerElement<KdcReq>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence(out int tag, (int)KerberosMessageType.AsReq, (int)KerberosMessageType.TgsReq);
        var type = (KerberosMessageType)tag;
        KerberosDer.ReadVersion(sequence, 1, "pvno");
        KerberosDer.ReadMessageType(sequence, 2, type);
        SequenceOf<PaData>? paData = sequence.Optional(3, "padata")?.ReadSequenceOf<PaData>();
        KdcReqBody body = sequence.Explicit(4, "req-body").ReadAndEnd<KdcReqBody>();
        sequence.End();
        return new KdcReq(type, paData, body);
    }
}
