using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.9.1 KRB-ERROR ::= [APPLICATION 30] <c>SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (30), ctime [2]
/// KerberosTime OPTIONAL, cusec [3] Microseconds OPTIONAL, stime [4] KerberosTime, susec [5] Microseconds, error-code
/// [6] Int32, crealm [7] Realm OPTIONAL, cname [8] PrincipalName OPTIONAL, realm [9] Realm, sname [10] PrincipalName,
/// e-text [11] KerberosString OPTIONAL, e-data [12] OCTET STRING OPTIONAL }</c>. The e-data is kept as bytes and read on
/// demand: METHOD-DATA (<see cref="MethodData"/>, RFC 4120 7.5.2), or from a Windows KDC KERB-ERROR-DATA
/// (<see cref="KerbErrorData"/>, MS-KILE 2.2.2) or a PA-PW-SALT holding a KERB-EXT-ERROR (MS-KILE 2.2.1).
/// </summary>
/// <param name="CTime">The client's time from the request, when the server echoes it.</param>
/// <param name="Cusec">Its microseconds.</param>
/// <param name="STime">The server's time: with <paramref name="SUsec"/>, what a KRB_AP_ERR_SKEW is measured against.</param>
/// <param name="SUsec">Its microseconds.</param>
/// <param name="ErrorCode">The error (RFC 4120 7.5.9); a number outside the enum stays as that number.</param>
/// <param name="CRealm">The client's realm, when given.</param>
/// <param name="CName">The client's name, when given.</param>
/// <param name="Realm">The realm of the server that answered.</param>
/// <param name="SName">The server's name.</param>
/// <param name="EText">Additional text, when sent (MIT sends one, e.g. "NEEDED_PREAUTH").</param>
/// <param name="EData">Additional data, when sent.</param>
public sealed record KrbError(
    KerberosTime? CTime,
    int? Cusec,
    KerberosTime STime,
    int SUsec,
    KerberosErrorCode ErrorCode,
    string? CRealm,
    PrincipalName? CName,
    string Realm,
    PrincipalName SName,
    string? EText = null,
    ByteString? EData = null) : IPdu<KrbError>, IDerElement<KrbError>
{
    public static string PduName => "Kerberos KRB-ERROR";

    /// <summary>The e-data as METHOD-DATA, as a KDC_ERR_PREAUTH_REQUIRED (and MIT's KDC_ERR_PREAUTH_FAILED) carries it.</summary>
    public DecodeResult<MethodData> DecodeMethodData() =>
        EData is { } data ? Pdu.Decode<MethodData>(data.Span) : DecodeError.InvalidField(PduName, "e-data", "absent", 0);

    /// <summary>The first ETYPE-INFO2 in the e-data's METHOD-DATA (the salts and types a password-based retry needs), or null.</summary>
    public EtypeInfo2? FindEtypeInfo2() =>
        DecodeMethodData() is { IsSuccess: true } methods
        && methods.Value.Find(PaDataType.EtypeInfo2) is { } entry
        && entry.DecodeValue<EtypeInfo2>() is { IsSuccess: true } info
            ? info.Value
            : null;

    /// <summary>
    /// The NTSTATUS a Windows KDC or server adds to the error (MS-KILE 2.2.1 KERB-EXT-ERROR), found either in a
    /// KERB-ERROR-DATA of data-type KERB_ERR_TYPE_EXTENDED (MS-KILE 2.2.2) or in a METHOD-DATA whose PA-PW-SALT (3)
    /// holds the 12-byte KERB-EXT-ERROR with its flags bit 0 set (a real salt is text, never that). Null otherwise.
    /// </summary>
    public uint? FindNtStatus()
    {
        if (EData is not { } data)
        {
            return null;
        }

        if (Pdu.Decode<KerbErrorData>(data.Span) is { IsSuccess: true } errorData)
        {
            return errorData.Value.DataType == KerbErrorData.KerbErrTypeExtended
                && errorData.Value.DataValue is { } value
                && Pdu.Decode<KerbExtError>(value.Span) is { IsSuccess: true } extended
                    ? extended.Value.Status
                    : null;
        }

        return DecodeMethodData() is { IsSuccess: true } methods
            && methods.Value.Find(PaDataType.PwSalt) is { } salt
            && Pdu.Decode<KerbExtError>(salt.Value.Span) is { IsSuccess: true } fromSalt
            && (fromSalt.Value.Flags & 1) != 0
                ? fromSalt.Value.Status
                : null;
    }

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<KrbError> Decode(ref PduReader reader) => KerberosDer.Decode<KrbError>(ref reader, PduName);

    void IDerElement<KrbError>.Write(AsnWriter writer)
    {
        using (writer.PushSequence(KerberosDer.Application((int)KerberosMessageType.KrbError)))
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, KerberosDer.ProtocolVersion);
            KerberosDer.WriteInt32Field(writer, 1, (int)KerberosMessageType.KrbError);
            if (CTime is { } ctime)
            {
                KerberosDer.WriteField(writer, 2, ctime);
            }

            if (Cusec is { } cusec)
            {
                KerberosDer.WriteInt32Field(writer, 3, cusec);
            }

            KerberosDer.WriteField(writer, 4, STime);
            KerberosDer.WriteInt32Field(writer, 5, SUsec);
            KerberosDer.WriteInt32Field(writer, 6, (int)ErrorCode);
            if (CRealm is not null)
            {
                KerberosDer.WriteStringField(writer, 7, CRealm);
            }

            if (CName is not null)
            {
                KerberosDer.WriteField(writer, 8, CName);
            }

            KerberosDer.WriteStringField(writer, 9, Realm);
            KerberosDer.WriteField(writer, 10, SName);
            if (EText is not null)
            {
                KerberosDer.WriteStringField(writer, 11, EText);
            }

            if (EData is { } data)
            {
                KerberosDer.WriteOctetsField(writer, 12, data);
            }
        }
    }

    static KrbError IDerElement<KrbError>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.EnterApplicationSequence((int)KerberosMessageType.KrbError);
        KerberosDer.ReadVersion(sequence, 0, "pvno");
        KerberosDer.ReadMessageType(sequence, 1, KerberosMessageType.KrbError);
        KerberosTime? ctime = sequence.Optional(2, "ctime")?.ReadKerberosTimeAndEnd();
        int? cusec = sequence.Optional(3, "cusec")?.ReadMicrosecondsAndEnd();
        KerberosTime stime = sequence.Explicit(4, "stime").ReadKerberosTimeAndEnd();
        int susec = sequence.Explicit(5, "susec").ReadMicrosecondsAndEnd();
        var code = (KerberosErrorCode)sequence.Explicit(6, "error-code").ReadInt32AndEnd();
        string? crealm = sequence.Optional(7, "crealm")?.ReadGeneralStringAndEnd();
        PrincipalName? cname = sequence.Optional(8, "cname")?.ReadAndEnd<PrincipalName>();
        string realm = sequence.Explicit(9, "realm").ReadGeneralStringAndEnd();
        PrincipalName sname = sequence.Explicit(10, "sname").ReadAndEnd<PrincipalName>();
        string? etext = sequence.Optional(11, "e-text")?.ReadGeneralStringAndEnd();
        ByteString? edata = sequence.Optional(12, "e-data")?.ReadOctetStringAndEnd();
        sequence.End();
        return new KrbError(ctime, cusec, stime, susec, code, crealm, cname, realm, sname, etext, edata);
    }

    public override string ToString() =>
        $"KRB-ERROR {KerberosNames.ErrorCode((int)ErrorCode)} ({KerberosNames.ErrorMeaning(ErrorCode) ?? "unassigned"}) from {SName}@{Realm}{(EText is null ? "" : $": {EText}")}";
}
