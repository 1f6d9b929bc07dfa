using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// MS-KILE 2.2.3 KERB-PA-PAC-REQUEST: <c>SEQUENCE { include-pac [0] BOOLEAN }</c>, the PA-PAC-REQUEST (128) value with
/// which a client asks for a ticket with or without a PAC.
/// </summary>
public sealed record PaPacRequest(bool IncludePac) : IPdu<PaPacRequest>, IDerElement<PaPacRequest>
{
    public static string PduName => "Kerberos KERB-PA-PAC-REQUEST";

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<PaPacRequest> Decode(ref PduReader reader) => KerberosDer.Decode<PaPacRequest>(ref reader, PduName);

    /// <summary>The PA-DATA entry carrying this request.</summary>
    public PaData ToPaData() => PaData.Of(PaDataType.PacRequest, this);

    void IDerElement<PaPacRequest>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        using (writer.PushSequence(KerberosDer.Context(0)))
        {
            writer.WriteBoolean(IncludePac);
        }
    }

    static PaPacRequest IDerElement<PaPacRequest>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        bool include = sequence.Explicit(0, "include-pac").ReadBooleanAndEnd();
        sequence.End();
        return new PaPacRequest(include);
    }
}
