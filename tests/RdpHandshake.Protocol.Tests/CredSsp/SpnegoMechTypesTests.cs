using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;

namespace RdpHandshake.Protocol.Tests.CredSsp;

/// <summary>
/// RFC 4178 4.2.1 MechTypeList, as MS-SPNG 3.3.5.1 has the mechListMIC sign it: taken from the NegTokenInit's
/// bytes as they were sent, and refused from anything that is not a whole NegTokenInit.
/// </summary>
public sealed class SpnegoMechTypesTests
{
    [Fact]
    public void The_mech_types_are_taken_as_encoded_in_the_neg_token_init()
    {
        byte[] token = Pdu.Encode(new SpnegoNegTokenInit([Spnego.NtlmOid], new ByteString(Pdu.Encode(new NtlmNegotiateMessage(NtlmNegotiateMessage.CredSspClientFlags, null)))));
        DecodeResult<ByteString> mechTypes = Spnego.MechTypesBytes(token);
        Assert.True(mechTypes.IsSuccess, mechTypes.IsSuccess ? null : mechTypes.Error.ToString());

        // RFC 4178 4.2.1: MechTypeList ::= SEQUENCE OF MechType; 1.3.6.1.4.1.311.2.2.10 is 2b 06 01 04 01 82 37 02 02 0a.
        Assert.Equal("300c060a2b06010401823702020a", Convert.ToHexStringLower(mechTypes.Value.Span));
    }

    [Fact]
    public void Truncated_or_garbled_neg_token_inits_are_decode_errors()
    {
        byte[] token = Pdu.Encode(new SpnegoNegTokenInit([Spnego.NtlmOid, "1.2.840.113554.1.2.2"], new ByteString([1, 2, 3])));
        for (int length = 0; length < token.Length; length++)
        {
            Assert.False(Spnego.MechTypesBytes(token.AsSpan(0, length)).IsSuccess);
        }

        for (int at = 0; at < token.Length; at++)
        {
            byte[] garbled = [.. token];
            garbled[at] ^= 0xFF;
            _ = Spnego.MechTypesBytes(garbled); // never throws
        }

        Assert.False(Spnego.MechTypesBytes(Pdu.Encode(new SpnegoNegTokenResp(SpnegoNegState.AcceptIncomplete, Spnego.NtlmOid, new ByteString([1])))).IsSuccess);
    }
}
