using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>
/// RFC 4178 4.2.2 NegTokenResp as the later CredSSP negoTokens carry it (MS-SPNG 2.2):
/// <c>[1] NegTokenResp { negState [0], supportedMech [1], responseToken [2], mechListMIC [3] }</c>, every field
/// optional. An empty responseToken or mechListMIC is not written; the decoder skips fields it does not know.
/// Decoding consumes exactly the [1] element.
/// </summary>
/// <param name="State">negState, when present.</param>
/// <param name="SupportedMech">The mechanism the acceptor chose, in its first answer.</param>
/// <param name="ResponseToken">The mechanism's token (an NTLM CHALLENGE or AUTHENTICATE).</param>
/// <param name="MechListMic">The MIC over the MechTypeList (MS-SPNG 3.3.5.1).</param>
public sealed record SpnegoNegTokenResp(
    SpnegoNegState? State,
    string? SupportedMech,
    ByteString ResponseToken,
    ByteString MechListMic = default) : IPdu<SpnegoNegTokenResp>
{
    /// <summary>A token travels inside a TSRequest, so it is never bigger than one.</summary>
    public const int MaxSize = TsRequest.MaxSize;

    private CachedEncoding? _der;

    public static string PduName => "SPNEGO NegTokenResp";

    /// <summary>The length of the DER encoding, which is computed once.</summary>
    public int Size => Der.Cached(ref _der, this, static t => t.EncodeDer()).Length;

    public void Encode(ref PduWriter writer) => writer.WriteBytes(Der.Cached(ref _der, this, static t => t.EncodeDer()));

    private byte[] EncodeDer()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence(Der.Context(1)))
        using (writer.PushSequence())
        {
            if (State is { } state)
            {
                using (writer.PushSequence(Der.Context(0)))
                {
                    writer.WriteEnumeratedValue(state);
                }
            }

            if (SupportedMech is not null)
            {
                using (writer.PushSequence(Der.Context(1)))
                {
                    writer.WriteObjectIdentifier(SupportedMech);
                }
            }

            if (!ResponseToken.IsEmpty)
            {
                using (writer.PushSequence(Der.Context(2)))
                {
                    writer.WriteOctetString(ResponseToken.Span);
                }
            }

            if (!MechListMic.IsEmpty)
            {
                using (writer.PushSequence(Der.Context(3)))
                {
                    writer.WriteOctetString(MechListMic.Span);
                }
            }
        }

        return writer.Encode();
    }

    public static DecodeResult<SpnegoNegTokenResp> Decode(ref PduReader reader)
    {
        int start = reader.Position;
        if (Der.PeekElement(reader, PduName, MaxSize, out ReadOnlyMemory<byte> element) is { } framing)
        {
            return framing;
        }

        try
        {
            AsnReader resp = new AsnReader(element, AsnEncodingRules.DER).ReadSequence(Der.Context(1)).ReadSequence();
            SpnegoNegState? state = null;
            string? mech = null;
            ByteString token = default;
            ByteString mic = default;
            while (resp.HasData)
            {
                Asn1Tag tag = resp.PeekTag();
                if (tag.HasSameClassAndValue(Der.Context(0)))
                {
                    state = resp.ReadSequence(Der.Context(0)).ReadEnumeratedValue<SpnegoNegState>();
                }
                else if (tag.HasSameClassAndValue(Der.Context(1)))
                {
                    mech = resp.ReadSequence(Der.Context(1)).ReadObjectIdentifier();
                }
                else if (tag.HasSameClassAndValue(Der.Context(2)))
                {
                    token = new ByteString(resp.ReadSequence(Der.Context(2)).ReadOctetString());
                }
                else if (tag.HasSameClassAndValue(Der.Context(3)))
                {
                    mic = new ByteString(resp.ReadSequence(Der.Context(3)).ReadOctetString());
                }
                else
                {
                    resp.ReadEncodedValue();
                }
            }

            reader.Skip(element.Length);
            return new SpnegoNegTokenResp(state, mech, token, mic);
        }
        catch (AsnContentException ex)
        {
            return Der.NotDer(PduName, null, start, ex);
        }
    }

    public bool Equals(SpnegoNegTokenResp? other) =>
        other is not null && State == other.State && SupportedMech == other.SupportedMech && ResponseToken == other.ResponseToken && MechListMic == other.MechListMic;

    public override int GetHashCode() => HashCode.Combine(State, SupportedMech, ResponseToken, MechListMic);
}
