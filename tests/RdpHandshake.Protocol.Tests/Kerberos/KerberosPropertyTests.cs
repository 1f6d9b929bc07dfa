using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.Kerberos;

/// <summary>
/// Properties of every Kerberos codec over generated values (<see cref="KerberosArbitraries"/>): the value round trips
/// with Size equal to the encoding's length, every strict prefix of the encoding is rejected with a reason, and a
/// garbled byte is either rejected or decodes to a value that encodes to exactly the garbled bytes. Arbitrary bytes
/// never make a decoder throw, and a success consumes exactly the value's Size.
/// </summary>
public sealed class KerberosPropertyTests
{
    private static bool Holds<T>(T value) where T : IPdu<T> => CodecAssert.RoundTrips(value) && CodecAssert.EveryStrictPrefixIsRejected(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 200)]
    public bool KerberosTime_holds(KerberosTime value) => Holds(value) && Pdu.Encode(value).Length == 17;

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 200)]
    public bool PrincipalName_holds(PrincipalName value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 200)]
    public bool EncryptedData_holds(EncryptedData value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool EncryptionKey_holds(EncryptionKey value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool Checksum_holds(Checksum value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool HostAddress_holds(HostAddress value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool AuthorizationData_holds(AuthorizationDataEntry value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool LastReq_holds(LastReqEntry value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool PaData_holds(PaData value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool MethodData_holds(MethodData value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool PaEncTsEnc_holds(PaEncTsEnc value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool EtypeInfo2Entry_holds(EtypeInfo2Entry value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool EtypeInfo2_holds(EtypeInfo2 value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 20)]
    public bool PaPacRequest_holds(PaPacRequest value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool Ticket_holds(Ticket value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool KdcReqBody_holds(KdcReqBody value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool KdcReq_holds(KdcReq value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool KdcRep_holds(KdcRep value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool EncKdcRepPart_holds_with_either_tag(EncKdcRepPart value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool ApReq_holds(ApReq value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool ApRep_holds(ApRep value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool Authenticator_holds(Authenticator value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool EncApRepPart_holds(EncApRepPart value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool KrbError_holds(KrbError value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool KerbErrorData_holds(KerbErrorData value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool KerbExtError_holds(KerbExtError value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool GssToken_holds(KerberosGssToken value) => Holds(value);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 100)]
    public bool KdcTcpFrame_holds(KdcTcpFrame value) =>
        Holds(value) && KdcTcpFrame.FindFrameSize(Pdu.Encode(value)) == FrameSize.Complete(value.Size);

    /// <summary>
    /// Exts run to the end of the checksum value (RFC 4121 4.1.1; the enclosing Checksum's OCTET STRING bounds them), so
    /// a prefix that cuts only Exts is another valid checksum: strict prefixes are checked on checksums without Exts.
    /// </summary>
    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 200)]
    public bool GssChecksum_round_trips(GssChecksum value) => CodecAssert.RoundTrips(value);

    [Property(MaxTest = 200)]
    public Property GssChecksum_without_extensions_rejects_its_strict_prefixes() =>
        Prop.ForAll(KerberosArbitraries.GssChecksumGen(withExtensions: false).ToArbitrary(), value => Holds(value));

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 150)]
    public bool A_garbled_kdc_rep_is_rejected_or_exact(KdcRep value, int position, byte mask) => CodecAssert.GarbledIsRejectedOrExact(value, position, mask);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 150)]
    public bool A_garbled_krb_error_is_rejected_or_exact(KrbError value, int position, byte mask) => CodecAssert.GarbledIsRejectedOrExact(value, position, mask);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 150)]
    public bool A_garbled_enc_kdc_rep_part_is_rejected_or_exact(EncKdcRepPart value, int position, byte mask) => CodecAssert.GarbledIsRejectedOrExact(value, position, mask);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 150)]
    public bool A_garbled_gss_token_is_rejected_or_exact(KerberosGssToken value, int position, byte mask) => CodecAssert.GarbledIsRejectedOrExact(value, position, mask);

    [Property(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 150)]
    public bool A_garbled_authenticator_is_rejected_or_exact(Authenticator value, int position, byte mask) => CodecAssert.GarbledIsRejectedOrExact(value, position, mask);

    /// <summary>Decodes at the start of <paramref name="bytes"/>: no throw, a reason on failure, never past the end, and on success exactly Size bytes consumed.</summary>
    private static bool Contained<T>(byte[] bytes) where T : IPdu<T>
    {
        var reader = new PduReader(bytes);
        DecodeResult<T> result = T.Decode(ref reader);
        return result.IsSuccess
            ? reader.Position == result.Value.Size && reader.Position <= bytes.Length
            : !string.IsNullOrEmpty(result.Error.Reason) && reader.Position <= bytes.Length;
    }

    private static bool AllContained(byte[] bytes) =>
        Contained<KerberosTime>(bytes) && Contained<PrincipalName>(bytes) && Contained<EncryptedData>(bytes) && Contained<EncryptionKey>(bytes)
        && Contained<Checksum>(bytes) && Contained<HostAddress>(bytes) && Contained<AuthorizationDataEntry>(bytes) && Contained<LastReqEntry>(bytes)
        && Contained<PaData>(bytes) && Contained<MethodData>(bytes) && Contained<PaEncTsEnc>(bytes) && Contained<EtypeInfo2Entry>(bytes)
        && Contained<EtypeInfo2>(bytes) && Contained<PaPacRequest>(bytes) && Contained<Ticket>(bytes) && Contained<KdcReqBody>(bytes)
        && Contained<KdcReq>(bytes) && Contained<KdcRep>(bytes) && Contained<EncKdcRepPart>(bytes) && Contained<ApReq>(bytes)
        && Contained<ApRep>(bytes) && Contained<Authenticator>(bytes) && Contained<EncApRepPart>(bytes) && Contained<KrbError>(bytes)
        && Contained<KerbErrorData>(bytes) && Contained<KerbExtError>(bytes) && Contained<GssChecksum>(bytes)
        && Contained<KerberosGssToken>(bytes) && Contained<KdcTcpFrame>(bytes);

    [Property(MaxTest = 2000)]
    public bool Arbitrary_bytes_never_throw_nor_overreach(byte[] bytes) => AllContained(bytes);

    /// <summary>Bytes behind each APPLICATION and SEQUENCE header a Kerberos decoder starts with, so the fields are reached.</summary>
    [Property(MaxTest = 1000)]
    public bool Arbitrary_contents_behind_a_plausible_header_never_throw(byte[] tail, byte which)
    {
        byte[] identifiers = [0x30, 0x61, 0x62, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x79, 0x7a, 0x7b, 0x7e, 0x60];
        byte identifier = identifiers[which % identifiers.Length];
        byte[] length = tail.Length < 0x80 ? [(byte)tail.Length] : [0x82, (byte)(tail.Length >> 8), (byte)tail.Length];
        return AllContained([identifier, .. length, .. tail]);
    }
}
