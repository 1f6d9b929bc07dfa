using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.CredSsp;

/// <summary>
/// MS-CSSP 2.2.1 TSRequest (DER) and its frame sizer, and the RFC 4178 4.2.1 NegTokenInit and 4.2.2 NegTokenResp
/// SPNEGO tokens CredSSP carries (MS-SPNG 2.2): encodings, round trips, strict prefixes, and any bytes.
/// </summary>
public sealed class CredSspCodecTests
{
    // The MS-CSSP TSRequest shape as public implementations encode it (version 2, one negoToken 00 01 02).
    private static readonly byte[] VersionTwoWithToken = Hex("30 12 a0 03 02 01 02 a1 0b 30 09 30 07 a0 05 04 03 00 01 02");

    [Fact]
    public void TsRequest_with_one_token_encodes_as_DER()
    {
        var request = new TsRequest(2, [new ByteString(Hex("000102"))]);
        Assert.Equal(VersionTwoWithToken, Pdu.Encode(request));
        TsRequest decoded = Pdu.Decode<TsRequest>(VersionTwoWithToken).Value!;
        Assert.Equal(2, decoded.Version);
        Assert.Equal(Hex("000102"), decoded.NegoTokens.Single().Span.ToArray());
    }

    [Fact]
    public void TsRequest_with_pub_key_auth_appends_field_three()
    {
        byte[] expected = Hex("30 19 a0 03 02 01 02 a1 0b 30 09 30 07 a0 05 04 03 00 01 02 a3 05 04 03 00 01 02");
        Assert.Equal(expected, Pdu.Encode(new TsRequest(2, [new ByteString(Hex("000102"))], PubKeyAuth: new ByteString(Hex("000102")))));
    }

    [Fact]
    public void An_ntstatus_error_code_is_the_signed_integer_windows_sends()
    {
        byte[] bytes = Pdu.Encode(new TsRequest(6, [], ErrorCode: 0xC000006D));
        Assert.Equal(Hex("30 0d a0 03 02 01 06 a4 06 02 04 c0 00 00 6d"), bytes);
        Assert.Equal(0xC000006Du, Pdu.Decode<TsRequest>(bytes).Value!.ErrorCode);
    }

    [Fact]
    public void Frame_size_reads_short_and_long_DER_lengths()
    {
        Assert.Equal(FrameSize.Complete(20), TsRequest.FindFrameSize(VersionTwoWithToken));
        Assert.Equal(FrameSize.Complete(4 + 0x0123), TsRequest.FindFrameSize(Hex("30 82 01 23")));
        Assert.Equal(FrameSize.NeedMore(4), TsRequest.FindFrameSize(Hex("30 82 01")));
        Assert.Equal(FrameSizeStatus.Invalid, TsRequest.FindFrameSize(Hex("30 80")).Status);
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, TsRequest.FindFrameSize(Hex("30 84 7f ff ff ff")).Error!.Value.Kind);
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, TsRequest.FindFrameSize(Hex("16 03")).Error!.Value.Kind);
    }

    [Fact]
    public void The_frame_sizer_refuses_the_length_over_its_bound()
    {
        FrameSize size = TsRequest.FindFrameSize([0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF]);
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, size.Error!.Value.Kind);
    }

    [Fact]
    public void Spnego_carries_an_ntlm_negotiate_and_a_challenge()
    {
        byte[] negotiate = Pdu.Encode(new NtlmNegotiateMessage(NtlmNegotiateMessage.CredSspClientFlags));
        byte[] init = Pdu.Encode(new SpnegoNegTokenInit([Spnego.NtlmOid], new ByteString(negotiate)));
        Assert.Equal(Hex("60"), init[..1]);
        var (mechs, token) = Pdu.Decode<SpnegoNegTokenInit>(init).Value!;
        Assert.Equal([Spnego.NtlmOid], mechs);
        Assert.Equal(negotiate, token.Span.ToArray());

        byte[] challenge = Load("ntlm-challenge-4.2.4.3.hex");
        byte[] resp = Pdu.Encode(new SpnegoNegTokenResp(SpnegoNegState.AcceptIncomplete, Spnego.NtlmOid, new ByteString(challenge)));
        var (state, mech, responseToken, mic) = Pdu.Decode<SpnegoNegTokenResp>(resp).Value!;
        Assert.Equal(SpnegoNegState.AcceptIncomplete, state);
        Assert.Equal(Spnego.NtlmOid, mech);
        Assert.Equal(challenge, responseToken.Span.ToArray());
        Assert.True(mic.IsEmpty);
    }

    public static Arbitrary<TsRequest> TsRequests() =>
        (from version in Gen.Choose(2, 6)
         from tokens in Gen.Choose(0, 3).SelectMany(n => Gen.ListOf(Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 20), n))
         from auth in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 10)
         from pub in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 30)
         from hasError in ArbMap.Default.GeneratorFor<bool>()
         from error in ArbMap.Default.GeneratorFor<uint>()
         from nonce in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 32)
         select new TsRequest(version, tokens.Select(t => new ByteString(t)).ToArray(), new ByteString(auth), new ByteString(pub), hasError ? error : null, new ByteString(nonce)))
        .ToArbitrary();

    [Property(Arbitrary = [typeof(CredSspCodecTests)], MaxTest = 300)]
    public bool TsRequest_round_trips(TsRequest request)
    {
        byte[] bytes = Pdu.Encode(request);
        TsRequest? decoded = Pdu.Decode<TsRequest>(bytes).Value;
        return decoded is not null && Pdu.Encode(decoded).AsSpan().SequenceEqual(bytes)
            && TsRequest.FindFrameSize(bytes) == FrameSize.Complete(bytes.Length);
    }

    private static Gen<ByteString> Octets(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)).Select(b => new ByteString(b));

    /// <summary>Object identifiers DER can carry: the two SPNEGO mechanisms CredSSP meets, and generated arcs under 1.3.6.1.4.1.</summary>
    private static Gen<string> Oids =>
        Gen.OneOf(
            Gen.Elements(Spnego.NtlmOid, "1.2.840.113554.1.2.2", "1.2.840.48018.1.2.2", Spnego.SpnegoOid),
            from enterprise in Gen.Choose(0, 100_000)
            from arc in Gen.Choose(0, int.MaxValue)
            select $"1.3.6.1.4.1.{enterprise}.{arc}");

    public static Arbitrary<SpnegoNegTokenInit> NegTokenInits() =>
        (from mechs in Gen.Choose(0, 4).SelectMany(n => Gen.ListOf(Oids, n))
         from token in Octets(300)
         select new SpnegoNegTokenInit(mechs.ToArray(), token)).ToArbitrary();

    public static Arbitrary<SpnegoNegTokenResp> NegTokenResps() =>
        (from hasState in ArbMap.Default.GeneratorFor<bool>()
         from state in Gen.Elements(SpnegoNegState.AcceptCompleted, SpnegoNegState.AcceptIncomplete, SpnegoNegState.Reject, SpnegoNegState.RequestMic)
         from hasMech in ArbMap.Default.GeneratorFor<bool>()
         from mech in Oids
         from token in Octets(300)
         from mic in Octets(16)
         select new SpnegoNegTokenResp(hasState ? state : null, hasMech ? mech : null, token, mic)).ToArbitrary();

    [Property(Arbitrary = [typeof(CredSspCodecTests)], MaxTest = 300)]
    public bool TsRequest_round_trips_as_a_value_and_its_strict_prefixes_are_rejected(TsRequest request) =>
        CodecAssert.RoundTrips(request) && CodecAssert.EveryStrictPrefixIsRejected(request);

    [Property(Arbitrary = [typeof(CredSspCodecTests)], MaxTest = 300)]
    public bool NegTokenInit_round_trips_and_its_strict_prefixes_are_rejected(SpnegoNegTokenInit token) =>
        CodecAssert.RoundTrips(token) && CodecAssert.EveryStrictPrefixIsRejected(token);

    [Property(Arbitrary = [typeof(CredSspCodecTests)], MaxTest = 300)]
    public bool NegTokenResp_round_trips_and_its_strict_prefixes_are_rejected(SpnegoNegTokenResp token) =>
        CodecAssert.RoundTrips(token) && CodecAssert.EveryStrictPrefixIsRejected(token);

    [Fact]
    public void Each_der_decoder_consumes_exactly_its_element()
    {
        byte[] init = Pdu.Encode(new SpnegoNegTokenInit([Spnego.NtlmOid], new ByteString([1, 2, 3])));
        byte[] resp = Pdu.Encode(new SpnegoNegTokenResp(SpnegoNegState.AcceptCompleted, null, default, new ByteString([4, 5])));
        byte[] stream = [.. VersionTwoWithToken, .. init, .. resp, 0xEE];

        var reader = new PduReader(stream);
        Assert.True(TsRequest.Decode(ref reader).IsSuccess);
        Assert.Equal(VersionTwoWithToken.Length, reader.Position);
        Assert.True(SpnegoNegTokenInit.Decode(ref reader).IsSuccess);
        Assert.Equal(VersionTwoWithToken.Length + init.Length, reader.Position);
        Assert.True(SpnegoNegTokenResp.Decode(ref reader).IsSuccess);
        Assert.Equal(1, reader.Remaining);

        DecodeResult<TsRequest> trailing = Pdu.Decode<TsRequest>([.. VersionTwoWithToken, 0xEE]);
        Assert.Equal(DecodeErrorKind.TrailingBytes, trailing.Error.Kind);
    }

    [Fact]
    public void A_copy_made_with_with_encodes_its_own_fields_not_the_originals()
    {
        var request = new TsRequest(2, [new ByteString(Hex("000102"))]);
        Assert.Equal(VersionTwoWithToken.Length, request.Size); // the original's encoding is now kept
        TsRequest six = request with { Version = 6 };
        Assert.Equal(Hex("30 12 a0 03 02 01 06 a1 0b 30 09 30 07 a0 05 04 03 00 01 02"), Pdu.Encode(six));
        Assert.Equal(VersionTwoWithToken, Pdu.Encode(request));

        var resp = new SpnegoNegTokenResp(SpnegoNegState.AcceptIncomplete, Spnego.NtlmOid, new ByteString([1]));
        _ = resp.Size;
        Assert.Equal(SpnegoNegState.Reject, Pdu.Decode<SpnegoNegTokenResp>(Pdu.Encode(resp with { State = SpnegoNegState.Reject })).Value!.State);
    }

    [Fact]
    public void A_tsrequest_longer_than_its_limit_is_refused_from_its_header()
    {
        // SEQUENCE with a four-byte length of 0x00010000: 65542 bytes in all, over the 64 KiB limit, with none of them present.
        DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(Hex("30 84 00 01 00 00"));
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, decoded.Error.Kind);
        Assert.Equal(2 + 4 + 0x10000, decoded.Error.Received);
    }

    [Property(MaxTest = 2000)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes)
    {
        DecodeResult<TsRequest> request = Pdu.Decode<TsRequest>(bytes);
        _ = Pdu.Decode<SpnegoNegTokenInit>(bytes);
        _ = Pdu.Decode<SpnegoNegTokenResp>(bytes);
        _ = Pdu.Decode<NtlmChallengeMessage>(bytes);
        _ = Pdu.Decode<NtlmAuthenticateMessage>(bytes);
        _ = Pdu.Decode<NtlmNegotiateMessage>(bytes);
        return request.IsSuccess || request.Error.Reason.Length > 0;
    }

    [Property(MaxTest = 1000)]
    public bool Challenge_bytes_behind_a_valid_header_never_throw(byte[] tail, ushort nameLength, ushort nameOffset, ushort infoLength, ushort infoOffset)
    {
        byte[] header = Load("ntlm-challenge-4.2.4.3.hex")[..48];
        BitConverter.TryWriteBytes(header.AsSpan(12), nameLength);
        BitConverter.TryWriteBytes(header.AsSpan(16), (uint)nameOffset);
        BitConverter.TryWriteBytes(header.AsSpan(40), infoLength);
        BitConverter.TryWriteBytes(header.AsSpan(44), (uint)infoOffset);
        DecodeResult<NtlmChallengeMessage> result = Pdu.Decode<NtlmChallengeMessage>([.. header, .. tail]);
        return result.IsSuccess || result.Error.Reason.Length > 0;
    }
}
