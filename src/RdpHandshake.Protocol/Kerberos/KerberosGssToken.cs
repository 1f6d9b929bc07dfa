using System.Buffers.Binary;
using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>The GSS-API mechanism identifiers of Kerberos: RFC 4121's, and the one Microsoft's SPNEGO offers besides it.</summary>
public static class KerberosMechanism
{
    /// <summary>Kerberos V5, {iso(1) member-body(2) United States(840) mit(113554) infosys(1) gssapi(2) krb5(2)}.</summary>
    public const string KerberosV5Oid = "1.2.840.113554.1.2.2";

    /// <summary>The identifier Windows offers first in SPNEGO: the Kerberos V5 OID with the MIT arc truncated to 16 bits (48018).</summary>
    public const string MicrosoftKerberosV5Oid = "1.2.840.48018.1.2.2";

    public static bool IsKerberos(string oid) => oid is KerberosV5Oid or MicrosoftKerberosV5Oid;
}

/// <summary>The TOK_ID of a Kerberos context token (RFC 4121 4.1): two bytes, big-endian here.</summary>
public enum GssTokenId : ushort
{
    /// <summary>01 00: KRB_AP_REQ.</summary>
    ApReq = 0x0100,

    /// <summary>02 00: KRB_AP_REP.</summary>
    ApRep = 0x0200,

    /// <summary>03 00: KRB_ERROR.</summary>
    KrbError = 0x0300,
}

/// <summary>
/// A Kerberos context-establishment token (RFC 4121 4.1) in the RFC 2743 3.1 InitialContextToken framing:
/// <c>[APPLICATION 0] IMPLICIT SEQUENCE { thisMech MechType, innerToken }</c>, where innerToken is the two-byte TOK_ID
/// followed by the DER of the AP-REQ, AP-REP or KRB-ERROR. This is the mechToken or responseToken SPNEGO carries.
/// Decoding consumes exactly the [APPLICATION 0] element and checks that the inner message is one DER element of the
/// type TOK_ID names; <see cref="DecodeApReq"/>, <see cref="DecodeApRep"/> and <see cref="DecodeKrbError"/> read it.
/// </summary>
/// <param name="ThisMech">The mechanism OID, one of <see cref="KerberosMechanism"/>.</param>
/// <param name="TokenId">What the inner message is.</param>
/// <param name="InnerMessage">The DER of the AP-REQ, AP-REP or KRB-ERROR.</param>
public sealed record KerberosGssToken(string ThisMech, GssTokenId TokenId, ByteString InnerMessage) : IPdu<KerberosGssToken>
{
    /// <summary>The InitialContextToken identifier, [APPLICATION 0] constructed.</summary>
    private const byte Identifier = 0x60;

    private const int TokenIdSize = 2;

    public static string PduName => "GSS-API Kerberos token";

    public static KerberosGssToken ForApReq(ApReq apReq, string mech = KerberosMechanism.KerberosV5Oid) => new(mech, GssTokenId.ApReq, new ByteString(Pdu.Encode(apReq)));

    public static KerberosGssToken ForApRep(ApRep apRep, string mech = KerberosMechanism.KerberosV5Oid) => new(mech, GssTokenId.ApRep, new ByteString(Pdu.Encode(apRep)));

    public static KerberosGssToken ForKrbError(KrbError error, string mech = KerberosMechanism.KerberosV5Oid) => new(mech, GssTokenId.KrbError, new ByteString(Pdu.Encode(error)));

    public DecodeResult<ApReq> DecodeApReq() => DecodeInner<ApReq>(GssTokenId.ApReq);

    public DecodeResult<ApRep> DecodeApRep() => DecodeInner<ApRep>(GssTokenId.ApRep);

    public DecodeResult<KrbError> DecodeKrbError() => DecodeInner<KrbError>(GssTokenId.KrbError);

    private DecodeResult<T> DecodeInner<T>(GssTokenId expected) where T : IPdu<T> =>
        TokenId == expected
            ? Pdu.Decode<T>(InnerMessage.Span)
            : new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "TOK_ID", $"expected {(ushort)expected:x4}, got {(ushort)TokenId:x4}", 0, (ushort)expected, (ushort)TokenId);

    public int Size => EncodeToArray().Length;

    public void Encode(ref PduWriter writer) => writer.WriteBytes(EncodeToArray());

    private byte[] EncodeToArray()
    {
        var oid = new AsnWriter(AsnEncodingRules.DER);
        oid.WriteObjectIdentifier(ThisMech);
        byte[] mech = oid.Encode();
        byte[] content = new byte[mech.Length + TokenIdSize + InnerMessage.Length];
        mech.CopyTo(content, 0);
        BinaryPrimitives.WriteUInt16BigEndian(content.AsSpan(mech.Length), (ushort)TokenId);
        InnerMessage.Span.CopyTo(content.AsSpan(mech.Length + TokenIdSize));
        return KerberosDer.TlvEncoding(Identifier, content);
    }

    public static DecodeResult<KerberosGssToken> Decode(ref PduReader reader)
    {
        int start = reader.Position;
        DerHeader header = DerHeader.Read(reader.RemainingSpan);
        switch (header.Status)
        {
            case FrameSizeStatus.NeedMore:
                return DecodeError.NotEnoughBytes(PduName, start, header.TotalLength, reader.Remaining);
            case FrameSizeStatus.Invalid:
                return DecodeError.InvalidField(PduName, header.Field!, header.Reason!, start + header.ReasonOffset);
        }

        if (reader.PeekByte() != Identifier)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "tag", $"expected [APPLICATION 0] (0x60), got 0x{reader.PeekByte():x2}", start, Identifier, reader.PeekByte());
        }

        if (header.TotalLength > KerberosLimits.MaxMessageSize)
        {
            return DecodeError.LengthLimit(PduName, "length", start + 1, KerberosLimits.MaxMessageSize, header.TotalLength);
        }

        if (header.TotalLength > reader.Remaining)
        {
            return DecodeError.NotEnoughBytes(PduName, start, header.TotalLength, reader.Remaining);
        }

        int total = (int)header.TotalLength;
        byte[] content = reader.RemainingSpan[header.HeaderLength..total].ToArray();
        try
        {
            var cursor = new DerCursor(content, start + header.HeaderLength, null);
            string mech = cursor.ReadObjectIdentifier();
            if (!KerberosMechanism.IsKerberos(mech))
            {
                return DecodeError.InvalidField(PduName, "thisMech", $"{mech} is not a Kerberos mechanism", start + header.HeaderLength);
            }

            int tokenOffset = cursor.AbsoluteOffset;
            ReadOnlyMemory<byte> inner = cursor.ReadRemaining();
            if (inner.Length < TokenIdSize)
            {
                return DecodeError.InvalidField(PduName, "TOK_ID", "missing", tokenOffset);
            }

            var tokenId = (GssTokenId)BinaryPrimitives.ReadUInt16BigEndian(inner.Span);
            byte expectedTag = tokenId switch
            {
                GssTokenId.ApReq => 0x60 | (int)KerberosMessageType.ApReq,
                GssTokenId.ApRep => 0x60 | (int)KerberosMessageType.ApRep,
                GssTokenId.KrbError => 0x60 | (int)KerberosMessageType.KrbError,
                _ => 0,
            };
            if (expectedTag == 0)
            {
                return DecodeError.InvalidField(PduName, "TOK_ID", $"{(ushort)tokenId:x4} is none of 0100 (AP-REQ), 0200 (AP-REP), 0300 (KRB-ERROR)", tokenOffset);
            }

            ReadOnlySpan<byte> message = inner.Span[TokenIdSize..];
            DerHeader messageHeader = DerHeader.Read(message);
            if (messageHeader.Status != FrameSizeStatus.Complete || messageHeader.TotalLength != message.Length || message[0] != expectedTag)
            {
                return DecodeError.InvalidField(PduName, "innerToken", $"not one DER element with the tag 0x{expectedTag:x2} that TOK_ID {(ushort)tokenId:x4} names", tokenOffset + TokenIdSize);
            }

            reader.Skip(total);
            return new KerberosGssToken(mech, tokenId, new ByteString(message));
        }
        catch (DerDecodeException ex)
        {
            return ex.ToError(PduName);
        }
    }
}
