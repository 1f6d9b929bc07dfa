using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.Kerberos;

/// <summary>
/// RFC 4120 5.3 EncTicketPart and TransitedEncoding: a ticket as its KDC writes it, field by field, then the properties
/// every Kerberos codec has (round trip, strict prefixes rejected, a garbled byte rejected or exact).
/// </summary>
public sealed class EncTicketPartTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    private static readonly EncTicketPart Tgt = new(
        TicketFlags.Forwardable | TicketFlags.Renewable | TicketFlags.Initial | TicketFlags.PreAuthent,
        new EncryptionKey(EncryptionType.Aes256CtsHmacSha196, new ByteString(Key)),
        "RDPHS.TEST",
        PrincipalName.User("alice"),
        TransitedEncoding.None,
        new KerberosTime(new DateTimeOffset(2026, 12, 4, 21, 23, 58, TimeSpan.Zero)),
        null,
        new KerberosTime(new DateTimeOffset(2026, 12, 5, 7, 23, 58, TimeSpan.Zero)),
        new KerberosTime(new DateTimeOffset(2026, 12, 11, 21, 23, 58, TimeSpan.Zero)));

    private static readonly byte[] TgtBytes =
    [
        0x63, 0x81, 0xa1, //                       [APPLICATION 3], 161 bytes
        0x30, 0x81, 0x9e, //                       SEQUENCE, 158 bytes
        0xa0, 0x07, 0x03, 0x05, 0x00, 0x40, 0xe0, 0x00, 0x00, // flags [0]: forwardable renewable initial pre-authent
        0xa1, 0x2b, 0x30, 0x29, //                 key [1] EncryptionKey
        0xa0, 0x03, 0x02, 0x01, 0x12, //           keytype [0] 18 aes256-cts-hmac-sha1-96
        0xa1, 0x22, 0x04, 0x20, //                 keyvalue [1] OCTET STRING, 32 bytes
        .. Key,
        0xa2, 0x0c, 0x1b, 0x0a, .. "RDPHS.TEST"u8, // crealm [2]
        0xa3, 0x12, 0x30, 0x10, //                 cname [3] PrincipalName
        0xa0, 0x03, 0x02, 0x01, 0x01, //           name-type [0] NT-PRINCIPAL
        0xa1, 0x09, 0x30, 0x07, 0x1b, 0x05, .. "alice"u8, // name-string [1]
        0xa4, 0x0b, 0x30, 0x09, //                 transited [4] TransitedEncoding
        0xa0, 0x03, 0x02, 0x01, 0x01, //           tr-type [0] 1 DOMAIN-X500-COMPRESS
        0xa1, 0x02, 0x04, 0x00, //                 contents [1] empty
        0xa5, 0x11, 0x18, 0x0f, .. "20261204212358Z"u8, // authtime [5]
        0xa7, 0x11, 0x18, 0x0f, .. "20261205072358Z"u8, // endtime [7] (no starttime [6])
        0xa8, 0x11, 0x18, 0x0f, .. "20261211212358Z"u8, // renew-till [8]
    ];

    [Fact]
    public void A_tgt_encodes_field_by_field_and_decodes_back() => CodecAssert.Vector(Tgt, TgtBytes);

    [Fact]
    public void Its_text_form_leaves_the_session_key_out()
    {
        string text = Tgt.ToString();
        Assert.Contains("(32 bytes)", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(Key), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("0, 1, 2, 3", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_application_tag_is_not_a_ticket_part()
    {
        byte[] bytes = [.. TgtBytes];
        bytes[0] = 0x79; // [APPLICATION 25], an EncASRepPart
        DecodeResult<EncTicketPart> decoded = Pdu.Decode<EncTicketPart>(bytes);
        Assert.False(decoded.IsSuccess);
        Assert.Equal(EncTicketPart.PduName, decoded.Error.Context);
    }

    [Property(Arbitrary = [typeof(EncTicketPartArbitraries)], MaxTest = 150)]
    public bool EncTicketPart_holds(EncTicketPart value) => CodecAssert.RoundTrips(value) && CodecAssert.EveryStrictPrefixIsRejected(value);

    [Property(Arbitrary = [typeof(EncTicketPartArbitraries)], MaxTest = 100)]
    public bool TransitedEncoding_holds(TransitedEncoding value) => CodecAssert.RoundTrips(value) && CodecAssert.EveryStrictPrefixIsRejected(value);

    [Property(Arbitrary = [typeof(EncTicketPartArbitraries)], MaxTest = 150)]
    public bool A_garbled_enc_ticket_part_is_rejected_or_exact(EncTicketPart value, int position, byte mask) => CodecAssert.GarbledIsRejectedOrExact(value, position, mask);

    [Property(MaxTest = 300)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes)
    {
        var reader = new PduReader(bytes);
        DecodeResult<EncTicketPart> result = EncTicketPart.Decode(ref reader);
        return result.IsSuccess ? reader.Position == result.Value.Size : !string.IsNullOrEmpty(result.Error.Reason);
    }
}

/// <summary>Generated EncTicketParts, every field within its ASN.1 type.</summary>
public static class EncTicketPartArbitraries
{
    private static Gen<bool> Bool => ArbMap.Default.GeneratorFor<bool>();

    private static Gen<ByteString> Octets(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), n)).Select(b => new ByteString(b));

    private static Gen<T?> MaybeValue<T>(Gen<T> gen) where T : struct => from present in Bool from value in gen select present ? value : (T?)null;

    private static Gen<SequenceOf<T>> ListOf<T>(Gen<T> gen, int max) => Gen.Choose(0, max).SelectMany(n => Gen.ListOf(gen, n)).Select(items => new SequenceOf<T>(items));

    private static Gen<TransitedEncoding> TransitedGen =>
        from type in ArbMap.Default.GeneratorFor<int>()
        from contents in Octets(40)
        select new TransitedEncoding(type, contents);

    public static Arbitrary<TransitedEncoding> Transiteds() => TransitedGen.ToArbitrary();

    public static Arbitrary<EncTicketPart> EncTicketParts() =>
        (from flags in ArbMap.Default.GeneratorFor<uint>()
         from key in KerberosArbitraries.EncryptionKeyGen
         from crealm in KerberosArbitraries.KerberosString
         from cname in KerberosArbitraries.PrincipalNameGen
         from transited in TransitedGen
         from times in Gen.Four(KerberosArbitraries.Time)
         from optionalTimes in Gen.Two(Bool)
         from caddr in MaybeValue(ListOf(KerberosArbitraries.HostAddressGen, 2))
         from authorization in MaybeValue(ListOf(KerberosArbitraries.AuthorizationDataGen, 2))
         select new EncTicketPart((TicketFlags)flags, key, crealm, cname, transited, times.Item1,
             optionalTimes.Item1 ? times.Item2 : null, times.Item3, optionalTimes.Item2 ? times.Item4 : null, caddr, authorization)).ToArbitrary();
}
