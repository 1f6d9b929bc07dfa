using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Kerberos;

/// <summary>
/// The helpers around the codecs: RFC names of numbers and flags, principal names as users and services write them,
/// the MS-KILE extended error a Windows KDC hides in e-data, and the message type peeked from a reply's first byte.
/// </summary>
public sealed class KerberosNamesTests
{
    private static readonly KerberosTime Noon = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(17, "aes128-cts-hmac-sha1-96")]
    [InlineData(18, "aes256-cts-hmac-sha1-96")]
    [InlineData(19, "aes128-cts-hmac-sha256-128")]
    [InlineData(20, "aes256-cts-hmac-sha384-192")]
    [InlineData(23, "rc4-hmac")]
    [InlineData(1, "des-cbc-crc")]
    [InlineData(3, "des-cbc-md5")]
    [InlineData(-135, "-135")]
    public void Encryption_types_have_their_rfc_names(int etype, string name) => Assert.Equal(name, KerberosNames.EncryptionType(etype));

    [Theory]
    [InlineData(2, "PA-ENC-TIMESTAMP")]
    [InlineData(3, "PA-PW-SALT")]
    [InlineData(11, "PA-ETYPE-INFO")]
    [InlineData(19, "PA-ETYPE-INFO2")]
    [InlineData(128, "PA-PAC-REQUEST")]
    [InlineData(9999, "9999")]
    public void Pa_data_types_have_their_rfc_names(int type, string name) => Assert.Equal(name, KerberosNames.PaDataType(type));

    [Fact]
    public void Message_and_name_types_have_their_rfc_names()
    {
        Assert.Equal("AS-REQ", KerberosNames.MessageType((int)KerberosMessageType.AsReq));
        Assert.Equal("KRB-ERROR", KerberosNames.MessageType(30));
        Assert.Equal("NT-SRV-INST", KerberosNames.NameType((int)PrincipalNameType.SrvInst));
        Assert.Equal("NT-ENTERPRISE", KerberosNames.NameType(10));
    }

    [Fact]
    public void Every_error_code_has_a_lowercase_one_line_meaning()
    {
        foreach (KerberosErrorCode code in Enum.GetValues<KerberosErrorCode>())
        {
            string? meaning = KerberosNames.ErrorMeaning(code);
            Assert.False(string.IsNullOrEmpty(meaning), code.ToString());
            Assert.Equal(meaning, meaning!.ToLowerInvariant());
            Assert.DoesNotContain('\n', meaning);
            Assert.False(meaning.EndsWith('.'), code.ToString());
        }

        Assert.Equal("KRB_AP_ERR_SKEW", KerberosNames.ErrorCode(37));
        Assert.Equal("the clock skew is too great", KerberosNames.ErrorMeaning(KerberosErrorCode.KRB_AP_ERR_SKEW));
        Assert.Equal(68, (int)KerberosErrorCode.KDC_ERR_WRONG_REALM);
        Assert.Equal(52, (int)KerberosErrorCode.KRB_ERR_RESPONSE_TOO_BIG);
        Assert.Equal("43", KerberosNames.ErrorCode(43));
        Assert.Null(KerberosNames.ErrorMeaning((KerberosErrorCode)43));
    }

    [Fact]
    public void Flags_are_named_bit_by_bit_with_bit_zero_the_most_significant()
    {
        Assert.Equal(0x40000000u, (uint)KdcOptions.Forwardable);
        Assert.Equal(0x00000010u, (uint)KdcOptions.RenewableOk);
        Assert.Equal("forwardable renewable canonicalize renewable-ok", KerberosNames.Flags(KdcOptions.Forwardable | KdcOptions.Renewable | KdcOptions.Canonicalize | KdcOptions.RenewableOk));
        Assert.Equal("mutual-required", KerberosNames.Flags(ApOptions.MutualRequired));
        Assert.Equal("initial bit20", KerberosNames.Flags(TicketFlags.Initial | (TicketFlags)(1u << 11)));

        // KDC-REQ-BODY kdc-options forwardable renewable: the BIT STRING 03 05 00 40 80 00 00.
        var body = new KdcReqBody(KdcOptions.Forwardable | KdcOptions.Renewable, null, "R", null, null, Noon, null, 1, []);
        Assert.Equal(Hex("a0 07 03 05 00 40 80 00 00"), Pdu.Encode(body)[2..11]);
    }

    [Fact]
    public void Principal_names_for_users_the_tgs_and_remote_desktop()
    {
        Assert.Equal(new PrincipalName(PrincipalNameType.Principal, ["alice"]), PrincipalName.User("alice"));
        Assert.Equal(new PrincipalName(PrincipalNameType.SrvInst, ["krbtgt", "EXAMPLE.COM"]), PrincipalName.Krbtgt("EXAMPLE.COM"));
        Assert.Equal(new PrincipalName(PrincipalNameType.SrvInst, ["TERMSRV", "rdp.example.com"]), PrincipalName.TermSrv("rdp.example.com"));
        Assert.Equal("TERMSRV/rdp.example.com", PrincipalName.TermSrv("rdp.example.com").ToString());
    }

    [Theory]
    [InlineData("TERMSRV/host", new[] { "TERMSRV", "host" })]
    [InlineData("HTTP/web.example.com", new[] { "HTTP", "web.example.com" })]
    [InlineData("a/b/c", new[] { "a", "b", "c" })]
    [InlineData(@"svc/x\/y", new[] { "svc", "x/y" })]
    public void Service_strings_parse_into_srv_inst_components(string text, string[] components)
    {
        Assert.True(PrincipalName.TryParseService(text, out PrincipalName? name));
        Assert.Equal(PrincipalNameType.SrvInst, name!.NameType);
        Assert.Equal(components, name.NameString);
        Assert.True(PrincipalName.TryParseService(name.ToString(), out PrincipalName? again));
        Assert.Equal(name, again);
    }

    [Theory]
    [InlineData("TERMSRV")]
    [InlineData("TERMSRV/")]
    [InlineData("/host")]
    [InlineData("TERMSRV/host@REALM")]
    [InlineData(@"TERMSRV/host\")]
    [InlineData("")]
    public void Malformed_service_strings_are_refused(string text) => Assert.False(PrincipalName.TryParseService(text, out _));

    private static KrbError ErrorWith(ByteString? eData) =>
        new(null, null, Noon, 0, KerberosErrorCode.KDC_ERR_CLIENT_REVOKED, "EXAMPLE.COM", PrincipalName.User("bob"), "EXAMPLE.COM", PrincipalName.Krbtgt("EXAMPLE.COM"), null, eData);

    [Fact]
    public void A_windows_kdc_reports_the_ntstatus_in_kerb_error_data()
    {
        // STATUS_ACCOUNT_DISABLED in a KERB-EXT-ERROR, inside KERB-ERROR-DATA of type KERB_ERR_TYPE_EXTENDED.
        byte[] extended = Pdu.Encode(KerbExtError.Of(0xC0000072));
        Assert.Equal(Hex("72 00 00 c0 00 00 00 00 01 00 00 00"), extended);
        var data = new KerbErrorData(KerbErrorData.KerbErrTypeExtended, new ByteString(extended));
        Assert.Equal(0xC0000072u, ErrorWith(new ByteString(Pdu.Encode(data))).FindNtStatus());

        var skew = new KerbErrorData(KerbErrorData.KerbApErrTypeSkewRecovery, null);
        Assert.Null(ErrorWith(new ByteString(Pdu.Encode(skew))).FindNtStatus());
    }

    [Fact]
    public void A_windows_kdc_reports_the_ntstatus_in_a_pa_pw_salt()
    {
        // METHOD-DATA { PA-PW-SALT (3) holding KERB-EXT-ERROR STATUS_ACCOUNT_LOCKED_OUT }.
        var methods = new MethodData([PaData.Of(PaDataType.PwSalt, KerbExtError.Of(0xC0000234))]);
        KrbError error = ErrorWith(new ByteString(Pdu.Encode(methods)));
        Assert.Equal(0xC0000234u, error.FindNtStatus());
        Assert.Null(error.FindEtypeInfo2());

        // A real salt in PA-PW-SALT is text, not a 12-byte structure with flags bit 0 set.
        var salt = new MethodData([new PaData(PaDataType.PwSalt, new ByteString("EXAMPLE.COMbob"u8))]);
        Assert.Null(ErrorWith(new ByteString(Pdu.Encode(salt))).FindNtStatus());
        Assert.Null(ErrorWith(null).FindNtStatus());
    }

    [Fact]
    public void A_pac_request_is_the_ms_kile_padata()
    {
        PaData pac = new PaPacRequest(true).ToPaData();
        Assert.Equal(PaDataType.PacRequest, pac.Type);
        Assert.Equal(Hex("30 05 a0 03 01 01 ff"), pac.Value.Span.ToArray());
        Assert.Equal(Hex("30 11 a1 04 02 02 00 80 a2 09 04 07 30 05 a0 03 01 01 ff"), Pdu.Encode(pac));
    }

    [Fact]
    public void The_message_type_is_peeked_from_the_first_byte()
    {
        Assert.Equal(KerberosMessageType.AsRep, KerberosMessages.PeekType(Load("kerberos-as-rep.hex")));
        Assert.Equal(KerberosMessageType.TgsRep, KerberosMessages.PeekType(Load("kerberos-tgs-rep.hex")));
        Assert.Null(KerberosMessages.PeekType(Load("kerberos-gss-ap-rep.hex"))); // [APPLICATION 0]: a GSS token
        Assert.Null(KerberosMessages.PeekType([]));
        Assert.Null(KerberosMessages.PeekType([0x30]));
    }

    [Fact]
    public void A_tgs_req_puts_the_ap_req_first()
    {
        KdcReq asRequest = Pdu.Decode<KdcReq>(Load("kerberos-tgs-req.hex")).Value!;
        ApReq apReq = asRequest.PaData!.Value[0].DecodeValue<ApReq>().Value!;
        KdcReq rebuilt = KdcReq.TgsReq(apReq, asRequest.ReqBody, asRequest.PaData.Value[1]);
        Assert.Equal(asRequest, rebuilt);
        Assert.Equal(Load("kerberos-tgs-req.hex"), Pdu.Encode(rebuilt));
    }

    [Fact]
    public void Times_are_whole_seconds_and_the_core_takes_them_as_parameters()
    {
        var instant = new DateTimeOffset(2026, 12, 4, 22, 23, 58, 123, TimeSpan.FromHours(1)).AddTicks(4567);
        Assert.Equal(new KerberosTime(new DateTimeOffset(2026, 12, 4, 21, 23, 58, TimeSpan.Zero)), KerberosTime.FromInstant(instant));
        Assert.Equal(123456, KerberosTime.Microseconds(instant));
        Assert.Equal(Hex("18 0f") .Concat("20261204212358Z"u8.ToArray()), Pdu.Encode(KerberosTime.FromInstant(instant)));
        Assert.Throws<ArgumentException>(() => new KerberosTime(instant));
    }
}
