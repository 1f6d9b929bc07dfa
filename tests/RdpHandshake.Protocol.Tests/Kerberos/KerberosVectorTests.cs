using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Kerberos;

/// <summary>
/// RFC 4120 5 messages and RFC 4121 4.1 tokens recorded from MIT Kerberos 1.20 on loopback (kinit, kvno, gss-client
/// against krb5kdc and gss-server; tests/data/vectors/kerberos-*.hex): each decodes to the values the exchange is
/// known to hold (realm, names, etypes, salt, error code, nonces) and re-encodes byte for byte.
/// </summary>
public sealed class KerberosVectorTests
{
    private static readonly PrincipalName Alice = PrincipalName.User("alice");
    private static readonly PrincipalName Tgs = PrincipalName.Krbtgt("RDPHS.TEST");
    private static readonly SequenceOf<EncryptionType> MitDefaultEtypes =
    [
        EncryptionType.Aes256CtsHmacSha196, EncryptionType.Aes128CtsHmacSha196, EncryptionType.Aes256CtsHmacSha384192,
        EncryptionType.Aes128CtsHmacSha256128, EncryptionType.Des3CbcSha1Kd, EncryptionType.Rc4Hmac, (EncryptionType)25, (EncryptionType)26,
    ];

    private static readonly DateTimeOffset Recorded = new(2026, 12, 4, 21, 23, 58, TimeSpan.Zero);

    /// <summary>Decodes a vector that must re-encode to exactly its bytes, with Size agreeing.</summary>
    private static T Exact<T>(string vector) where T : IPdu<T>
    {
        byte[] bytes = Load(vector);
        DecodeResult<T> decoded = Pdu.Decode<T>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(bytes, Pdu.Encode(decoded.Value));
        Assert.Equal(bytes.Length, decoded.Value.Size);
        return decoded.Value;
    }

    [Fact]
    public void The_first_as_req_names_alice_the_tgs_and_mits_etypes()
    {
        KdcReq request = Exact<KdcReq>("kerberos-as-req-initial.hex");
        Assert.Equal(KerberosMessageType.AsReq, request.MessageType);
        Assert.Equal([PaDataType.AsFreshness, PaDataType.ReqEncPaRep], request.PaData!.Value.Select(p => p.Type));
        KdcReqBody body = request.ReqBody;
        Assert.Equal(KdcOptions.RenewableOk, body.KdcOptions);
        Assert.Equal(Alice, body.CName);
        Assert.Equal("RDPHS.TEST", body.Realm);
        Assert.Equal(Tgs, body.SName);
        Assert.Equal(new KerberosTime(Recorded.AddDays(1)), body.Till);
        Assert.Null(body.From);
        Assert.Equal(173937477u, body.Nonce);
        Assert.Equal(MitDefaultEtypes, body.EType);
        Assert.Equal(KerberosMessageType.AsReq, KerberosMessages.PeekType(Load("kerberos-as-req-initial.hex")));
    }

    [Fact]
    public void Preauth_required_carries_etype_info2_with_the_salt()
    {
        KrbError error = Exact<KrbError>("kerberos-krb-error-preauth-required.hex");
        Assert.Equal(KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED, error.ErrorCode);
        Assert.Equal(new KerberosTime(Recorded), error.STime);
        Assert.Equal("RDPHS.TEST", error.CRealm);
        Assert.Equal(Alice, error.CName);
        Assert.Equal("RDPHS.TEST", error.Realm);
        Assert.Equal(Tgs, error.SName);
        Assert.Equal("NEEDED_PREAUTH", error.EText);

        MethodData methods = error.DecodeMethodData().Value!;
        Assert.Equal([PaDataType.FxFast, PaDataType.EtypeInfo2, PaDataType.EncTimestamp, PaDataType.FxCookie], methods.Entries.Select(p => p.Type));
        EtypeInfo2 info = error.FindEtypeInfo2()!;
        Assert.Equal([new EtypeInfo2Entry(EncryptionType.Aes256CtsHmacSha196, "RDPHS.TESTalice", null)], info.Entries);
        Assert.Null(error.FindNtStatus());
        Assert.Equal("additional pre-authentication is required", KerberosNames.ErrorMeaning(error.ErrorCode));
    }

    [Fact]
    public void The_retry_carries_the_encrypted_timestamp_and_the_cookie()
    {
        KdcReq request = Exact<KdcReq>("kerberos-as-req-timestamp.hex");
        Assert.Equal([PaDataType.FxCookie, PaDataType.EncTimestamp, PaDataType.AsFreshness, PaDataType.ReqEncPaRep], request.PaData!.Value.Select(p => p.Type));
        EncryptedData timestamp = request.PaData.Value[1].DecodeValue<EncryptedData>().Value!;
        Assert.Equal(EncryptionType.Aes256CtsHmacSha196, timestamp.EType);
        Assert.Null(timestamp.Kvno);
        Assert.Equal(16 + 28 + 12, timestamp.Cipher.Length); // confounder, the 28-byte PA-ENC-TS-ENC, HMAC-SHA1-96
        // kinit's trace printed this ciphertext beside the plaintext of kerberos-pa-enc-ts-enc.hex.
        Assert.Equal(Hex("29ef4806 7c2e6bbe 5da0ec02 8e227d9f 91d563a0 5580dff7 ddf4e68a 29379eac 54fde6f7 f4cbd357 6966c665 f50a3812 e05f6c0f 28d331c9"), timestamp.Cipher.Span.ToArray());
        Assert.Equal(1952939255u, request.ReqBody.Nonce);
    }

    [Fact]
    public void The_pa_enc_ts_enc_kinit_encrypted_is_the_time_and_microseconds()
    {
        var expected = new PaEncTsEnc(new KerberosTime(Recorded), 56824);
        CodecAssert.Vector(expected, Load("kerberos-pa-enc-ts-enc.hex"));
        Assert.Equal(expected, PaEncTsEnc.At(Recorded.AddTicks(56824 * 10)));
    }

    [Fact]
    public void The_as_rep_holds_the_tgt_and_the_salt_it_used()
    {
        KdcRep reply = Exact<KdcRep>("kerberos-as-rep.hex");
        Assert.Equal(KerberosMessageType.AsRep, reply.MessageType);
        PaData info = Assert.Single(reply.PaData!.Value);
        Assert.Equal([new EtypeInfo2Entry(EncryptionType.Aes256CtsHmacSha196, "RDPHS.TESTalice", null)], info.DecodeValue<EtypeInfo2>().Value!.Entries);
        Assert.Equal("RDPHS.TEST", reply.CRealm);
        Assert.Equal(Alice, reply.CName);
        Assert.Equal("RDPHS.TEST", reply.Ticket.Realm);
        Assert.Equal(Tgs, reply.Ticket.SName);
        Assert.Equal(EncryptionType.Aes256CtsHmacSha196, reply.Ticket.EncPart.EType);
        Assert.Equal(1u, reply.Ticket.EncPart.Kvno);
        Assert.Equal(EncryptionType.Aes256CtsHmacSha196, reply.EncPart.EType);
        Assert.Null(reply.EncPart.Kvno);

        var reader = new PduReader(Load("kerberos-as-rep.hex"));
        Assert.True(KdcRep.Decode(ref reader, KerberosMessageType.AsRep).IsSuccess);
        reader = new PduReader(Load("kerberos-as-rep.hex"));
        DecodeResult<KdcRep> asTgs = KdcRep.Decode(ref reader, KerberosMessageType.TgsRep);
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, asTgs.Error.Kind);
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void Mits_kdc_tags_the_as_reps_encrypted_part_as_an_enc_tgs_rep_part()
    {
        EncKdcRepPart part = Exact<EncKdcRepPart>("kerberos-enc-as-rep-part.hex");
        Assert.Equal(EncKdcRepPartTag.EncTgsRepPart, part.Tag);
        Assert.False(part.TagMatches(KerberosMessageType.AsRep));
        Assert.Equal(1952939255u, part.Nonce); // the retry's nonce
        Assert.Equal(EncryptionType.Aes256CtsHmacSha196, part.Key.KeyType);
        Assert.Equal(32, part.Key.KeyValue.Length);
        Assert.Equal(TicketFlags.Renewable | TicketFlags.Initial | TicketFlags.PreAuthent | TicketFlags.EncPaRep, part.Flags); // 00 e1 00 00
        Assert.Equal("renewable initial pre-authent enc-pa-rep", KerberosNames.Flags(part.Flags));
        Assert.Equal(new KerberosTime(Recorded), part.AuthTime);
        Assert.Equal(new KerberosTime(Recorded.AddHours(10)), part.EndTime);
        Assert.Equal("RDPHS.TEST", part.SRealm);
        Assert.Equal(Tgs, part.SName);
        Assert.NotNull(part.EncryptedPaData);

        // The same structure under the RFC's AS tag encodes with tag 25 and decodes back to it.
        EncKdcRepPart asTagged = part with { Tag = EncKdcRepPartTag.EncAsRepPart };
        byte[] bytes = Pdu.Encode(asTagged);
        Assert.Equal(0x79, bytes[0]);
        Assert.Equal(asTagged, Pdu.Decode<EncKdcRepPart>(bytes).Value);
        Assert.True(asTagged.TagMatches(KerberosMessageType.AsRep));
    }

    [Fact]
    public void The_tgs_req_carries_the_tgt_in_an_ap_req_and_asks_for_termsrv()
    {
        KdcReq request = Exact<KdcReq>("kerberos-tgs-req.hex");
        Assert.Equal(KerberosMessageType.TgsReq, request.MessageType);
        Assert.Equal([PaDataType.TgsReq, PaDataType.FxFast], request.PaData!.Value.Select(p => p.Type));
        ApReq apReq = request.PaData.Value[0].DecodeValue<ApReq>().Value!;
        Assert.Equal(ApOptions.None, apReq.ApOptions);
        Assert.Equal(Pdu.Decode<KdcRep>(Load("kerberos-as-rep.hex")).Value!.Ticket, apReq.Ticket); // the TGT the AS-REP gave
        Assert.Equal(EncryptionType.Aes256CtsHmacSha196, apReq.Authenticator.EType);
        Assert.Equal(KdcOptions.Renewable | KdcOptions.Canonicalize, request.ReqBody.KdcOptions);
        Assert.Null(request.ReqBody.CName);
        Assert.Equal(new PrincipalName(PrincipalNameType.Principal, ["TERMSRV", "localhost"]), request.ReqBody.SName);
        Assert.Equal(46469505u, request.ReqBody.Nonce);
        Assert.Equal(MitDefaultEtypes, request.ReqBody.EType);
    }

    [Fact]
    public void The_tgs_rep_holds_the_termsrv_ticket()
    {
        KdcRep reply = Exact<KdcRep>("kerberos-tgs-rep.hex");
        Assert.Equal(KerberosMessageType.TgsRep, reply.MessageType);
        Assert.Equal(PaDataType.FxFast, Assert.Single(reply.PaData!.Value).Type);
        Assert.Equal(Alice, reply.CName);
        Assert.Equal(new PrincipalName(PrincipalNameType.Principal, ["TERMSRV", "localhost"]), reply.Ticket.SName);
        Assert.Equal(2u, reply.Ticket.EncPart.Kvno);
        Assert.Equal("TERMSRV/localhost", reply.Ticket.SName.ToString());
    }

    [Fact]
    public void The_gss_ap_req_wraps_an_ap_req_with_mutual_authentication()
    {
        KerberosGssToken token = Exact<KerberosGssToken>("kerberos-gss-ap-req.hex");
        Assert.Equal(KerberosMechanism.KerberosV5Oid, token.ThisMech);
        Assert.Equal(GssTokenId.ApReq, token.TokenId);
        ApReq apReq = token.DecodeApReq().Value!;
        Assert.Equal(ApOptions.MutualRequired, apReq.ApOptions);
        Assert.Equal(new PrincipalName(PrincipalNameType.Principal, ["TERMSRV", "localhost"]), apReq.Ticket.SName);
        Assert.Equal(2u, apReq.Ticket.EncPart.Kvno);
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, token.DecodeApRep().Error.Kind);
        Assert.Equal(token, KerberosGssToken.ForApReq(apReq));
    }

    [Fact]
    public void The_gss_authenticator_carries_the_8003_checksum()
    {
        Authenticator authenticator = Exact<Authenticator>("kerberos-gss-authenticator.hex");
        Assert.Equal("RDPHS.TEST", authenticator.CRealm);
        Assert.Equal(Alice, authenticator.CName);
        Assert.Equal(67800, authenticator.Cusec);
        Assert.Equal(new KerberosTime(Recorded), authenticator.CTime);
        Assert.Equal(EncryptionType.Aes256CtsHmacSha196, authenticator.Subkey!.KeyType);
        Assert.Equal(0x37dd085au, authenticator.SeqNumber);
        Assert.Null(authenticator.AuthorizationData);

        Checksum cksum = authenticator.Cksum!;
        Assert.Equal(ChecksumType.Gssapi, cksum.CksumType);
        var expected = new GssChecksum(
            GssChecksum.NoChannelBindings,
            GssContextFlags.GSS_C_MUTUAL_FLAG | GssContextFlags.GSS_C_REPLAY_FLAG | GssContextFlags.GSS_C_CONF_FLAG
            | GssContextFlags.GSS_C_INTEG_FLAG | GssContextFlags.GSS_C_TRANS_FLAG);
        CodecAssert.Vector(expected, cksum.Value.Span.ToArray());
        Assert.Equal(cksum, expected.ToChecksum());
    }

    [Fact]
    public void The_gss_ap_rep_and_its_encrypted_part_echo_the_authenticator()
    {
        KerberosGssToken token = Exact<KerberosGssToken>("kerberos-gss-ap-rep.hex");
        Assert.Equal(GssTokenId.ApRep, token.TokenId);
        ApRep reply = token.DecodeApRep().Value!;
        Assert.Equal(EncryptionType.Aes256CtsHmacSha196, reply.EncPart.EType);
        Assert.Null(reply.EncPart.Kvno);

        EncApRepPart part = Exact<EncApRepPart>("kerberos-enc-ap-rep-part.hex");
        Assert.Equal(new KerberosTime(Recorded), part.CTime);
        Assert.Equal(67800, part.Cusec);
        Assert.Equal(EncryptionType.Aes256CtsHmacSha196, part.Subkey!.KeyType);
        Assert.Equal(0x39b8c949u, part.SeqNumber);
        Assert.DoesNotContain(Convert.ToHexStringLower(part.Subkey.KeyValue.Span), part.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_gss_krb_error_says_the_service_key_was_wrong()
    {
        KerberosGssToken token = Exact<KerberosGssToken>("kerberos-gss-krb-error.hex");
        Assert.Equal(GssTokenId.KrbError, token.TokenId);
        KrbError error = token.DecodeKrbError().Value!;
        Assert.Equal(KerberosErrorCode.KRB_AP_ERR_BAD_INTEGRITY, error.ErrorCode);
        Assert.Equal("RDPHS.TEST", error.Realm);
        Assert.Equal("TERMSRV/localhost", error.SName.ToString());
        Assert.Null(error.EText);
        Assert.Null(error.EData);
        Assert.Null(error.CTime);
    }

    [Fact]
    public void An_unknown_client_and_a_wrong_password_are_told_apart()
    {
        KrbError unknown = Exact<KrbError>("kerberos-krb-error-principal-unknown.hex");
        Assert.Equal(KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, unknown.ErrorCode);
        Assert.Equal(PrincipalName.User("bob"), unknown.CName);
        Assert.Equal("CLIENT_NOT_FOUND", unknown.EText);
        Assert.Null(unknown.FindEtypeInfo2());

        KrbError failed = Exact<KrbError>("kerberos-krb-error-preauth-failed.hex");
        Assert.Equal(KerberosErrorCode.KDC_ERR_PREAUTH_FAILED, failed.ErrorCode);
        Assert.Equal("RDPHS.TESTalice", failed.FindEtypeInfo2()!.Entries[0].Salt);
    }

    [Fact]
    public void A_tgs_req_authenticator_checksums_the_body_as_encoded()
    {
        // The KDC verifies the authenticator's checksum over the KDC-REQ-BODY bytes: re-encoding the decoded body
        // must give the bytes that were sent, which are the [4] field of the captured request.
        byte[] bytes = Load("kerberos-tgs-req.hex");
        KdcReq request = Pdu.Decode<KdcReq>(bytes).Value!;
        byte[] body = Pdu.Encode(request.ReqBody);
        Assert.True(bytes.AsSpan()[^body.Length..].SequenceEqual(body));
    }

    [Fact]
    public void Kdc_replies_arrive_behind_a_four_byte_length()
    {
        byte[] message = Load("kerberos-krb-error-preauth-required.hex");
        byte[] frame = Pdu.Encode(new KdcTcpFrame(new ByteString(message)));
        Assert.Equal(Hex("00 00 00 e5"), frame[..4]); // the prefix recorded on the wire
        Assert.Equal(message, Pdu.Decode<KdcTcpFrame>(frame).Value!.Message.Span.ToArray());

        var hint = new KdcTcpFrameHint("kerberos.as", "AS-REP or KRB-ERROR");
        Assert.Equal(FrameSize.Complete(4 + 0xe5), hint.FindSize(frame.AsSpan(0, 4)));
        Assert.Equal(4 + KerberosLimits.MaxMessageSize, hint.MaxFrameLength);
        Assert.Equal(KerberosMessageType.KrbError, KerberosMessages.PeekType(message));
    }
}
