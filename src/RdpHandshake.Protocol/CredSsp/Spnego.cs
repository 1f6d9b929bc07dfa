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
/// What the two SPNEGO tokens CredSSP carries (RFC 4178, MS-SPNG) share: the object identifiers, and the
/// MechTypeList as it was sent, which the mechListMIC signs. The tokens themselves are
/// <see cref="SpnegoNegTokenInit"/> and <see cref="SpnegoNegTokenResp"/>.
/// </summary>
public static class Spnego
{
    public const string SpnegoOid = "1.3.6.1.5.5.2";
    public const string NtlmOid = "1.3.6.1.4.1.311.2.2.10";

    /// <summary>A mechanism OID by name, as the timeline shows it: <c>Kerberos (1.2.840.113554.1.2.2)</c>.</summary>
    public static string MechName(string oid) => oid switch
    {
        NtlmOid => $"NTLM ({oid})",
        Kerberos.KerberosMechanism.KerberosV5Oid => $"Kerberos ({oid})",
        Kerberos.KerberosMechanism.MicrosoftKerberosV5Oid => $"Microsoft Kerberos ({oid})",
        _ => oid,
    };

    /// <summary>
    /// The MechTypeList of a NegTokenInit as it was encoded (the SEQUENCE OF OID inside mechTypes [0]): what the
    /// mechListMIC signs (RFC 4178 5, MS-SPNG 3.3.5.1), taken from the bytes sent rather than re-encoded.
    /// </summary>
    public static DecodeResult<ByteString> MechTypesBytes(ReadOnlySpan<byte> negTokenInit)
    {
        try
        {
            var reader = new AsnReader(negTokenInit.ToArray(), AsnEncodingRules.DER);
            AsnReader gss = reader.ReadSequence(SpnegoNegTokenInit.GssApiTag);
            if (gss.ReadObjectIdentifier() != SpnegoOid)
            {
                return DecodeError.InvalidField(SpnegoNegTokenInit.PduName, "thisMech", $"expected {SpnegoOid}", 0);
            }

            AsnReader init = gss.ReadSequence(Der.Context(0)).ReadSequence();
            if (!init.HasData || !init.PeekTag().HasSameClassAndValue(Der.Context(0)))
            {
                return DecodeError.InvalidField(SpnegoNegTokenInit.PduName, "mechTypes", "absent", 0);
            }

            return new ByteString(init.ReadSequence(Der.Context(0)).ReadEncodedValue().ToArray());
        }
        catch (AsnContentException ex)
        {
            return Der.NotDer(SpnegoNegTokenInit.PduName, "mechTypes", 0, ex);
        }
    }
}
