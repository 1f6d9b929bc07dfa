using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Kerberos;

/// <summary>
/// Malformed Kerberos input is a <see cref="DecodeError"/> naming the structure (context), the field (a dotted path
/// inside nested structures) and a reason: a wrong APPLICATION tag, a missing required field, a length over the named
/// bound, a wrong pvno or msg-type, and the TCP and GSS framing faults.
/// </summary>
public sealed class KerberosDecodeErrorTests
{
    private static DecodeError Reject<T>(byte[] bytes) where T : IPdu<T>
    {
        DecodeResult<T> result = Pdu.Decode<T>(bytes);
        Assert.False(result.IsSuccess, $"expected a decode error, got {result}");
        Assert.False(string.IsNullOrWhiteSpace(result.Error.Reason));
        return result.Error;
    }

    [Fact]
    public void A_krb_error_where_a_reply_was_expected_is_an_unexpected_message_type()
    {
        DecodeError error = Reject<KdcRep>(Load("kerberos-krb-error-preauth-required.hex"));
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, error.Kind);
        Assert.Equal("Kerberos KDC-REP", error.Context);
        Assert.Equal("tag", error.Field);
        Assert.Equal(11, error.Expected);
        Assert.Equal(30, error.Received);
        Assert.Equal(0, error.Offset);
        Assert.Equal(
            "decode Kerberos KDC-REP: invalid tag: expected [APPLICATION 11] (AS-REP) or [APPLICATION 13] (TGS-REP), got [APPLICATION 30] (KRB-ERROR) (at offset 0)",
            error.ToString());
    }

    [Fact]
    public void A_krb_error_where_a_tgs_rep_was_expected_names_both()
    {
        var reader = new PduReader(Load("kerberos-krb-error-principal-unknown.hex"));
        DecodeError error = KdcRep.Decode(ref reader, KerberosMessageType.TgsRep).Error;
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, error.Kind);
        Assert.Equal("expected TGS-REP, got KRB-ERROR", error.Reason);
        Assert.Equal(13, error.Expected);
        Assert.Equal(30, error.Received);
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void An_as_rep_is_not_an_ap_rep()
    {
        DecodeError error = Reject<ApRep>(Load("kerberos-as-rep.hex"));
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, error.Kind);
        Assert.Equal(15, error.Expected);
        Assert.Equal(11, error.Received);
    }

    [Fact]
    public void A_principal_name_without_name_string_is_missing_a_field()
    {
        // SEQUENCE { name-type [0] 1 }: name-string [1] is required.
        DecodeError error = Reject<PrincipalName>(Hex("30 05 a0 03 02 01 01"));
        Assert.Equal(DecodeErrorKind.InvalidField, error.Kind);
        Assert.Equal("Kerberos PrincipalName", error.Context);
        Assert.Equal("name-string", error.Field);
        Assert.Equal("missing", error.Reason);
        Assert.Equal(7, error.Offset);
    }

    [Fact]
    public void A_krb_error_without_stime_names_the_field()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence(new Asn1Tag(TagClass.Application, 30, isConstructed: true)))
        using (writer.PushSequence())
        {
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            {
                writer.WriteInteger(5);
            }

            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true)))
            {
                writer.WriteInteger(30);
            }

            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 5, isConstructed: true)))
            {
                writer.WriteInteger(0);
            }
        }

        DecodeError error = Reject<KrbError>(writer.Encode());
        Assert.Equal(DecodeErrorKind.InvalidField, error.Kind);
        Assert.Equal("stime", error.Field);
        Assert.Equal("expected [4], got [5]", error.Reason);
    }

    [Fact]
    public void A_fault_deep_inside_names_the_path_to_it()
    {
        // The ticket's sname in the AS-REP is the first "krbtgt": make its first byte not UTF-8.
        byte[] bytes = Load("kerberos-as-rep.hex");
        int at = bytes.AsSpan().IndexOf("krbtgt"u8);
        bytes[at] = 0xFF;
        DecodeError error = Reject<KdcRep>(bytes);
        Assert.Equal(DecodeErrorKind.InvalidField, error.Kind);
        Assert.Equal("ticket.sname.name-string", error.Field);
        Assert.Equal("not UTF-8", error.Reason);
        Assert.Equal(at + "krbtgt".Length, error.Offset); // after the string element read
    }

    [Fact]
    public void A_length_over_the_bound_is_refused_from_the_header()
    {
        // AS-REP [APPLICATION 11] announcing 65536 bytes of content, none present.
        DecodeError error = Reject<KdcRep>(Hex("6b 83 01 00 00"));
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, error.Kind);
        Assert.Equal("length", error.Field);
        Assert.Equal(KerberosLimits.MaxMessageSize, error.Expected);
        Assert.Equal(5 + 0x10000, error.Received);

        DecodeError gss = Reject<KerberosGssToken>(Hex("60 83 01 00 00"));
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, gss.Kind);
    }

    [Fact]
    public void A_length_past_the_bytes_is_not_enough_bytes()
    {
        byte[] bytes = Load("kerberos-as-rep.hex");
        DecodeError error = Reject<KdcRep>(bytes[..^1]);
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, error.Kind);
        Assert.Equal(bytes.Length, error.Expected);
        Assert.Equal(bytes.Length - 1, error.Received);
    }

    [Fact]
    public void Indefinite_and_non_minimal_lengths_are_not_der()
    {
        Assert.Equal("indefinite length is not DER", Reject<KrbError>(Hex("7e 80 30 80 00 00 00 00")).Reason);
        DecodeError padded = Reject<KrbError>(Hex("7e 81 05 30 03 a0 01 05"));
        Assert.Equal("length", padded.Field);
        Assert.Contains("fewest", padded.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pvno_other_than_five_is_an_unsupported_version()
    {
        byte[] bytes = Load("kerberos-gss-krb-error.hex")[15..]; // the KRB-ERROR after the GSS header (2), OID (11) and TOK_ID (2)
        Assert.Equal(Hex("7e 5a 30 58 a0 03 02 01 05"), bytes[..9]);
        bytes[8] = 4;
        DecodeError error = Reject<KrbError>(bytes);
        Assert.Equal(DecodeErrorKind.UnsupportedVersion, error.Kind);
        Assert.Equal("pvno", error.Field);
        Assert.Equal(5, error.Expected);
        Assert.Equal(4, error.Received);
    }

    [Fact]
    public void A_msg_type_that_contradicts_the_tag_is_invalid()
    {
        byte[] bytes = Load("kerberos-gss-krb-error.hex")[15..];
        Assert.Equal(Hex("a1 03 02 01 1e"), bytes[9..14]);
        bytes[13] = 0x1f;
        DecodeError error = Reject<KrbError>(bytes);
        Assert.Equal(DecodeErrorKind.InvalidField, error.Kind);
        Assert.Equal("msg-type", error.Field);
        Assert.Equal(30, error.Expected);
        Assert.Equal(31, error.Received);
    }

    [Fact]
    public void Kerberos_flags_must_be_32_bits()
    {
        // A KDC-REQ-BODY whose kdc-options BIT STRING holds 16 bits.
        DecodeError error = Reject<KdcReqBody>(Hex("30 09 a0 05 03 03 00 40 00 a2 00"));
        Assert.Equal("kdc-options", error.Field);
        Assert.Equal("expected 32 bits, got 16", error.Reason);
    }

    [Fact]
    public void Fractional_seconds_and_out_of_range_microseconds_are_refused()
    {
        Assert.Contains("fractional", Reject<KerberosTime>(Hex("18 11") .Concat("20261204212358.5Z"u8.ToArray()).ToArray()).Reason, StringComparison.Ordinal);
        // PA-ENC-TS-ENC with pausec 1000000.
        DecodeError usec = Reject<PaEncTsEnc>(Hex("30 1a a0 11 18 0f 32 30 32 36 31 32 30 34 32 31 32 33 35 38 5a a1 05 02 03 0f 42 40"));
        Assert.Equal("pausec", usec.Field);
        Assert.Equal(1_000_000, usec.Received);
    }

    [Fact]
    public void An_empty_etype_info2_is_refused()
    {
        DecodeError error = Reject<EtypeInfo2>(Hex("30 00"));
        Assert.Contains("SIZE (1..MAX)", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_trailing_fields_are_refused_rather_than_dropped()
    {
        // EncryptionKey with an extra [2] field: decoding it could not re-encode the same bytes.
        DecodeError error = Reject<EncryptionKey>(Hex("30 0e a0 03 02 01 12 a1 02 04 00 a2 03 02 01 00"));
        Assert.Equal(DecodeErrorKind.TrailingBytes, error.Kind);
    }

    [Fact]
    public void Tcp_frames_refuse_the_reserved_bit_a_zero_length_and_a_length_over_the_bound()
    {
        FrameSize reserved = KdcTcpFrame.FindFrameSize(Hex("80 00 00 10"));
        Assert.Equal(FrameSizeStatus.Invalid, reserved.Status);
        Assert.Contains("reserved high bit", reserved.Error!.Value.Reason, StringComparison.Ordinal);
        Assert.Equal("length", reserved.Error.Value.Field);

        Assert.Equal(FrameSizeStatus.Invalid, KdcTcpFrame.FindFrameSize(Hex("00 00 00 00")).Status);

        FrameSize huge = KdcTcpFrame.FindFrameSize(Hex("00 01 00 01"));
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, huge.Error!.Value.Kind);
        Assert.Equal(0x10001, huge.Error.Value.Received);
        Assert.Equal(FrameSize.Complete(4 + 0x10000), KdcTcpFrame.FindFrameSize(Hex("00 01 00 00")));
        Assert.Equal(FrameSize.NeedMore(4), KdcTcpFrame.FindFrameSize(Hex("00 00 01")));

        var narrow = new KdcTcpFrameHint("kerberos.tgs", "TGS-REP", 1000);
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, narrow.FindSize(Hex("00 00 03 e9")).Error!.Value.Kind);
        Assert.Equal(FrameSize.Complete(1004), narrow.FindSize(Hex("00 00 03 e8")));

        DecodeError truncated = Reject<KdcTcpFrame>(Hex("00 00 00 05 01 02"));
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, truncated.Kind);
    }

    [Fact]
    public void Gss_tokens_refuse_another_mechanism_an_unknown_tok_id_and_a_mismatched_message()
    {
        byte[] token = Load("kerberos-gss-ap-rep.hex");
        Assert.Equal(Hex("60 81 99 06 09 2a 86 48 86 f7 12 01 02 02 02 00 6f"), token[..17]);

        byte[] otherMech = (byte[])token.Clone();
        otherMech[13] = 0x0a; // 1.2.840.113554.1.2.10
        Assert.Equal("thisMech", Reject<KerberosGssToken>(otherMech).Field);

        byte[] unknownId = (byte[])token.Clone();
        unknownId[14] = 0x04; // 04 00: a TGT request, not one of the three tokens
        Assert.Equal("TOK_ID", Reject<KerberosGssToken>(unknownId).Field);

        byte[] mismatched = (byte[])token.Clone();
        mismatched[14] = 0x01; // says AP-REQ, holds an AP-REP
        Assert.Equal("innerToken", Reject<KerberosGssToken>(mismatched).Field);

        DecodeError notGss = Reject<KerberosGssToken>(Load("kerberos-as-rep.hex"));
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, notGss.Kind);
    }

    [Fact]
    public void A_gss_checksum_with_a_wrong_length_or_delegation_option_is_refused()
    {
        byte[] noBindings = [0x10, 0, 0, 0, .. new byte[16], 0x02, 0, 0, 0];
        Assert.True(Pdu.Decode<GssChecksum>(noBindings).IsSuccess);

        byte[] badLength = (byte[])noBindings.Clone();
        badLength[0] = 0x20;
        DecodeError length = Reject<GssChecksum>(badLength);
        Assert.Equal("Lgth", length.Field);
        Assert.Equal(32, length.Received);

        byte[] delegating = [0x10, 0, 0, 0, .. new byte[16], 0x03, 0, 0, 0, 0x02, 0x00, 0x00, 0x00];
        Assert.Equal("DlgOpt", Reject<GssChecksum>(delegating).Field);

        byte[] shortDeleg = [0x10, 0, 0, 0, .. new byte[16], 0x03, 0, 0, 0, 0x01, 0x00, 0x05, 0x00, 0x76];
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, Reject<GssChecksum>(shortDeleg).Kind);
    }
}
