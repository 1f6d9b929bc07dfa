using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// MS-KILE 2.2.2 KERB-ERROR-DATA: <c>SEQUENCE { data-type [1] INTEGER, data-value [2] OCTET STRING OPTIONAL }</c>, the
/// e-data a Windows server sends for clock-skew recovery and a Windows KDC for extended errors.
/// </summary>
/// <param name="DataType"><see cref="KerbApErrTypeSkewRecovery"/> or <see cref="KerbErrTypeExtended"/>.</param>
/// <param name="DataValue">For KERB_ERR_TYPE_EXTENDED, a <see cref="KerbExtError"/>; null when absent.</param>
public sealed record KerbErrorData(int DataType, ByteString? DataValue) : IPdu<KerbErrorData>, IDerElement<KerbErrorData>
{
    /// <summary>KERB_AP_ERR_TYPE_SKEW_RECOVERY: clock skew recovery was attempted; no data-value.</summary>
    public const int KerbApErrTypeSkewRecovery = 2;

    /// <summary>KERB_ERR_TYPE_EXTENDED: the data-value is a KERB-EXT-ERROR.</summary>
    public const int KerbErrTypeExtended = 3;

    public static string PduName => "Kerberos KERB-ERROR-DATA";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<KerbErrorData> Decode(ref PduReader reader) => KerberosDer.Decode<KerbErrorData>(ref reader, PduName);

    void IDerElement<KerbErrorData>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 1, DataType);
            if (DataValue is { } value)
            {
                KerberosDer.WriteOctetsField(writer, 2, value);
            }
        }
    }

    static KerbErrorData IDerElement<KerbErrorData>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        int type = sequence.Explicit(1, "data-type").ReadInt32AndEnd();
        ByteString? value = sequence.Optional(2, "data-value")?.ReadOctetStringAndEnd();
        sequence.End();
        return new KerbErrorData(type, value);
    }
}

/// <summary>
/// MS-KILE 2.2.1 KERB-EXT-ERROR: three little-endian 32-bit fields, status (an NTSTATUS, MS-ERREF 2.3), reserved
/// (zero, ignored on receipt) and flags (0x00000001). Windows puts it in KERB-ERROR-DATA or in a PA-PW-SALT of the
/// KRB-ERROR's METHOD-DATA; the NTSTATUS says what the Kerberos code cannot (a disabled account, a password that
/// must change, logon hours).
/// </summary>
public sealed record KerbExtError(uint Status, uint Reserved, uint Flags) : IPdu<KerbExtError>
{
    public const int FixedPartSize = 4 /* status */ + 4 /* reserved */ + 4 /* flags */;

    public static string PduName => "Kerberos KERB-EXT-ERROR";

    /// <summary>The form MS-KILE 2.2.1 prescribes: reserved zero, flags 1.</summary>
    public static KerbExtError Of(uint status) => new(status, 0, 1);

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(Status);
        writer.WriteUInt32Le(Reserved);
        writer.WriteUInt32Le(Flags);
    }

    public static DecodeResult<KerbExtError> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        return new KerbExtError(reader.ReadUInt32Le(), reader.ReadUInt32Le(), reader.ReadUInt32Le());
    }
}
