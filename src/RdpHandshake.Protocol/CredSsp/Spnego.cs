using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>SPNEGO negotiation states (RFC 4178 4.2.2).</summary>
public enum SpnegoNegState
{
    AcceptCompleted = 0,
    AcceptIncomplete = 1,
    Reject = 2,
    RequestMic = 3,
}

/// <summary>
/// The two SPNEGO tokens CredSSP carries (RFC 4178, MS-SPNG): the client's NegTokenInit offering NTLM, and
/// NegTokenResp, which carries the NTLM CHALLENGE and AUTHENTICATE.
/// </summary>
public static class Spnego
{
    public const string SpnegoOid = "1.3.6.1.5.5.2";
    public const string NtlmOid = "1.3.6.1.4.1.311.2.2.10";

    /// <summary>GSS-API InitialContextToken [APPLICATION 0] { SPNEGO OID, NegTokenInit { mechTypes [0], mechToken [2] } }.</summary>
    public static byte[] EncodeNegTokenInit(IReadOnlyList<string> mechTypes, ReadOnlySpan<byte> mechToken)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence(new Asn1Tag(TagClass.Application, 0, isConstructed: true)))
        {
            writer.WriteObjectIdentifier(SpnegoOid);
            using (writer.PushSequence(Context(0)))
            using (writer.PushSequence())
            {
                using (writer.PushSequence(Context(0)))
                using (writer.PushSequence())
                {
                    foreach (string mech in mechTypes)
                    {
                        writer.WriteObjectIdentifier(mech);
                    }
                }

                using (writer.PushSequence(Context(2)))
                {
                    writer.WriteOctetString(mechToken);
                }
            }
        }

        return writer.Encode();
    }

    /// <summary>
    /// The MechTypeList of a NegTokenInit as it was encoded (the SEQUENCE OF OID inside mechTypes [0]): what the
    /// mechListMIC signs (RFC 4178 5, MS-SPNG 3.3.5.1), taken from the bytes sent rather than re-encoded.
    /// </summary>
    public static DecodeResult<ByteString> MechTypesBytes(ReadOnlySpan<byte> negTokenInit)
    {
        try
        {
            var reader = new AsnReader(negTokenInit.ToArray(), AsnEncodingRules.DER);
            AsnReader gss = reader.ReadSequence(new Asn1Tag(TagClass.Application, 0, isConstructed: true));
            if (gss.ReadObjectIdentifier() != SpnegoOid)
            {
                return DecodeError.InvalidField("SPNEGO NegTokenInit", "thisMech", $"expected {SpnegoOid}", 0);
            }

            AsnReader init = gss.ReadSequence(Context(0)).ReadSequence();
            if (!init.HasData || !init.PeekTag().HasSameClassAndValue(Context(0)))
            {
                return DecodeError.InvalidField("SPNEGO NegTokenInit", "mechTypes", "absent", 0);
            }

            return new ByteString(init.ReadSequence(Context(0)).ReadEncodedValue().ToArray());
        }
        catch (AsnContentException ex)
        {
            return new DecodeError(DecodeErrorKind.InvalidField, "SPNEGO NegTokenInit", "mechTypes", $"not valid DER: {ex.Message}", 0);
        }
    }

    /// <summary>Reads the mechToken of a NegTokenInit (what a server needs from the client's first token).</summary>
    public static DecodeResult<(IReadOnlyList<string> MechTypes, ByteString MechToken)> DecodeNegTokenInit(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new AsnReader(bytes.ToArray(), AsnEncodingRules.DER);
            AsnReader gss = reader.ReadSequence(new Asn1Tag(TagClass.Application, 0, isConstructed: true));
            string oid = gss.ReadObjectIdentifier();
            if (oid != SpnegoOid)
            {
                return DecodeError.InvalidField("SPNEGO NegTokenInit", "thisMech", $"expected {SpnegoOid}, got {oid}", 0);
            }

            AsnReader init = gss.ReadSequence(Context(0)).ReadSequence();
            var mechs = new List<string>();
            ByteString token = default;
            while (init.HasData)
            {
                Asn1Tag tag = init.PeekTag();
                if (tag.HasSameClassAndValue(Context(0)))
                {
                    AsnReader list = init.ReadSequence(Context(0)).ReadSequence();
                    while (list.HasData)
                    {
                        mechs.Add(list.ReadObjectIdentifier());
                    }
                }
                else if (tag.HasSameClassAndValue(Context(2)))
                {
                    token = new ByteString(init.ReadSequence(Context(2)).ReadOctetString());
                }
                else
                {
                    init.ReadEncodedValue(); // reqFlags [1], mechListMIC [3]: not used here
                }
            }

            return (mechs, token);
        }
        catch (AsnContentException ex)
        {
            return new DecodeError(DecodeErrorKind.InvalidField, "SPNEGO NegTokenInit", null, $"not valid DER: {ex.Message}", 0);
        }
    }

    /// <summary>NegTokenResp [1] { negState [0], supportedMech [1], responseToken [2], mechListMIC [3] }.</summary>
    public static byte[] EncodeNegTokenResp(SpnegoNegState? state, string? supportedMech, ReadOnlySpan<byte> responseToken, ReadOnlySpan<byte> mechListMic = default)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence(Context(1)))
        using (writer.PushSequence())
        {
            if (state is { } s)
            {
                using (writer.PushSequence(Context(0)))
                {
                    writer.WriteEnumeratedValue(s);
                }
            }

            if (supportedMech is not null)
            {
                using (writer.PushSequence(Context(1)))
                {
                    writer.WriteObjectIdentifier(supportedMech);
                }
            }

            if (!responseToken.IsEmpty)
            {
                using (writer.PushSequence(Context(2)))
                {
                    writer.WriteOctetString(responseToken);
                }
            }

            if (!mechListMic.IsEmpty)
            {
                using (writer.PushSequence(Context(3)))
                {
                    writer.WriteOctetString(mechListMic);
                }
            }
        }

        return writer.Encode();
    }

    public static DecodeResult<(SpnegoNegState? State, string? SupportedMech, ByteString ResponseToken, ByteString MechListMic)> DecodeNegTokenResp(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new AsnReader(bytes.ToArray(), AsnEncodingRules.DER);
            AsnReader resp = reader.ReadSequence(Context(1)).ReadSequence();
            SpnegoNegState? state = null;
            string? mech = null;
            ByteString token = default;
            ByteString mic = default;
            while (resp.HasData)
            {
                Asn1Tag tag = resp.PeekTag();
                if (tag.HasSameClassAndValue(Context(0)))
                {
                    state = resp.ReadSequence(Context(0)).ReadEnumeratedValue<SpnegoNegState>();
                }
                else if (tag.HasSameClassAndValue(Context(1)))
                {
                    mech = resp.ReadSequence(Context(1)).ReadObjectIdentifier();
                }
                else if (tag.HasSameClassAndValue(Context(2)))
                {
                    token = new ByteString(resp.ReadSequence(Context(2)).ReadOctetString());
                }
                else if (tag.HasSameClassAndValue(Context(3)))
                {
                    mic = new ByteString(resp.ReadSequence(Context(3)).ReadOctetString());
                }
                else
                {
                    resp.ReadEncodedValue();
                }
            }

            return (state, mech, token, mic);
        }
        catch (AsnContentException ex)
        {
            return new DecodeError(DecodeErrorKind.InvalidField, "SPNEGO NegTokenResp", null, $"not valid DER: {ex.Message}", 0);
        }
    }

    private static Asn1Tag Context(int number) => new(TagClass.ContextSpecific, number, isConstructed: true);
}
