using System.Formats.Asn1;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>
/// MS-CSSP 2.2.1.2 TSCredentials with 2.2.1.2.1 TSPasswordCreds (credType 1): the user's domain, name and
/// password, UTF-16LE, sent sealed in the last TSRequest. The caller owns the buffers and must clear them.
/// </summary>
public static class TsCredentials
{
    public const int PasswordCredType = 1;

    public static byte[] EncodePassword(ReadOnlySpan<byte> domainUtf16, ReadOnlySpan<byte> userUtf16, ReadOnlySpan<byte> passwordUtf16)
    {
        var inner = new AsnWriter(AsnEncodingRules.DER);
        using (inner.PushSequence())
        {
            Field(inner, 0, domainUtf16);
            Field(inner, 1, userUtf16);
            Field(inner, 2, passwordUtf16);
        }

        byte[] creds = inner.Encode();
        inner.Reset();
        var outer = new AsnWriter(AsnEncodingRules.DER);
        using (outer.PushSequence())
        {
            using (outer.PushSequence(Tag(0)))
            {
                outer.WriteInteger(PasswordCredType);
            }

            Field(outer, 1, creds);
        }

        byte[] result = outer.Encode();
        outer.Reset();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(creds);
        return result;
    }

    private static void Field(AsnWriter writer, int tag, ReadOnlySpan<byte> value)
    {
        using (writer.PushSequence(Tag(tag)))
        {
            writer.WriteOctetString(value);
        }
    }

    private static Asn1Tag Tag(int number) => new(TagClass.ContextSpecific, number, isConstructed: true);
}
