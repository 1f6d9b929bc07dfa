using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>
/// RFC 4178 4.2.1 NegTokenInit inside the RFC 2743 3.1 InitialContextToken, as CredSSP's first negoToken
/// carries it (MS-SPNG 2.2): <c>[APPLICATION 0] { SPNEGO OID, [0] NegTokenInit { mechTypes [0], mechToken [2] } }</c>.
/// The encoder always writes mechToken; the decoder skips reqFlags [1] and mechListMIC [3]. Decoding consumes
/// exactly the [APPLICATION 0] element.
/// </summary>
/// <param name="MechTypes">The mechanism OIDs offered, most preferred first.</param>
/// <param name="MechToken">The optimistic token of the first mechanism (an NTLM NEGOTIATE).</param>
public sealed record SpnegoNegTokenInit(IReadOnlyList<string> MechTypes, ByteString MechToken) : IPdu<SpnegoNegTokenInit>
{
    /// <summary>A token travels inside a TSRequest, so it is never bigger than one.</summary>
    public const int MaxSize = TsRequest.MaxSize;

    private CachedEncoding? _der;

    public static string PduName => "SPNEGO NegTokenInit";

    /// <summary>The GSS-API InitialContextToken tag, [APPLICATION 0] constructed (RFC 2743 3.1).</summary>
    internal static Asn1Tag GssApiTag => new(TagClass.Application, 0, isConstructed: true);

    /// <summary>The length of the DER encoding, which is computed once.</summary>
    public int Size => Der.Cached(ref _der, this, static t => t.EncodeDer()).Length;

    public void Encode(ref PduWriter writer) => writer.WriteBytes(Der.Cached(ref _der, this, static t => t.EncodeDer()));

    private byte[] EncodeDer()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence(GssApiTag))
        {
            writer.WriteObjectIdentifier(Spnego.SpnegoOid);
            using (writer.PushSequence(Der.Context(0)))
            using (writer.PushSequence())
            {
                using (writer.PushSequence(Der.Context(0)))
                using (writer.PushSequence())
                {
                    foreach (string mech in MechTypes)
                    {
                        writer.WriteObjectIdentifier(mech);
                    }
                }

                using (writer.PushSequence(Der.Context(2)))
                {
                    writer.WriteOctetString(MechToken.Span);
                }
            }
        }

        return writer.Encode();
    }

    public static DecodeResult<SpnegoNegTokenInit> Decode(ref PduReader reader)
    {
        int start = reader.Position;
        if (Der.PeekElement(reader, PduName, MaxSize, out ReadOnlyMemory<byte> element) is { } framing)
        {
            return framing;
        }

        try
        {
            AsnReader gss = new AsnReader(element, AsnEncodingRules.DER).ReadSequence(GssApiTag);
            string oid = gss.ReadObjectIdentifier();
            if (oid != Spnego.SpnegoOid)
            {
                return DecodeError.InvalidField(PduName, "thisMech", $"expected {Spnego.SpnegoOid}, got {oid}", start);
            }

            AsnReader init = gss.ReadSequence(Der.Context(0)).ReadSequence();
            var mechs = new List<string>();
            ByteString token = default;
            while (init.HasData)
            {
                Asn1Tag tag = init.PeekTag();
                if (tag.HasSameClassAndValue(Der.Context(0)))
                {
                    AsnReader list = init.ReadSequence(Der.Context(0)).ReadSequence();
                    while (list.HasData)
                    {
                        mechs.Add(list.ReadObjectIdentifier());
                    }
                }
                else if (tag.HasSameClassAndValue(Der.Context(2)))
                {
                    token = new ByteString(init.ReadSequence(Der.Context(2)).ReadOctetString());
                }
                else
                {
                    init.ReadEncodedValue(); // reqFlags [1], mechListMIC [3]: not used here
                }
            }

            reader.Skip(element.Length);
            return new SpnegoNegTokenInit(mechs, token);
        }
        catch (AsnContentException ex)
        {
            return Der.NotDer(PduName, null, start, ex);
        }
    }

    public bool Equals(SpnegoNegTokenInit? other) => other is not null && MechTypes.SequenceEqual(other.MechTypes) && MechToken == other.MechToken;

    public override int GetHashCode() => HashCode.Combine(MechTypes.Count, MechToken);
}
