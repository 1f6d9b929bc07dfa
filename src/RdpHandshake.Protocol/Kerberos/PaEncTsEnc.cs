using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.2.7.2 PA-ENC-TS-ENC: <c>SEQUENCE { patimestamp [0] KerberosTime, pausec [1] Microseconds OPTIONAL }</c>,
/// the plaintext that, encrypted with the client's key (key usage 1), becomes the PA-ENC-TIMESTAMP value. The time is
/// the caller's: the core reads no clock.
/// </summary>
public sealed record PaEncTsEnc(KerberosTime PaTimestamp, int? PaUsec) : IPdu<PaEncTsEnc>, IDerElement<PaEncTsEnc>
{
    public static string PduName => "Kerberos PA-ENC-TS-ENC";

    /// <summary>The timestamp of <paramref name="now"/>: the whole second and its microseconds.</summary>
    public static PaEncTsEnc At(DateTimeOffset now) => new(KerberosTime.FromInstant(now), KerberosTime.Microseconds(now));

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<PaEncTsEnc> Decode(ref PduReader reader) => KerberosDer.Decode<PaEncTsEnc>(ref reader, PduName);

    void IDerElement<PaEncTsEnc>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteField(writer, 0, PaTimestamp);
            if (PaUsec is { } usec)
            {
                KerberosDer.WriteInt32Field(writer, 1, usec);
            }
        }
    }

    static PaEncTsEnc IDerElement<PaEncTsEnc>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        KerberosTime timestamp = sequence.Explicit(0, "patimestamp").ReadKerberosTimeAndEnd();
        int? usec = sequence.Optional(1, "pausec")?.ReadMicrosecondsAndEnd();
        sequence.End();
        return new PaEncTsEnc(timestamp, usec);
    }
}
