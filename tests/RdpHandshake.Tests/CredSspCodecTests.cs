using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests;

public sealed class CredSspCodecTests
{
    // The MS-CSSP TSRequest shape as public implementations encode it (version 2, one negoToken 00 01 02).
    private static readonly byte[] VersionTwoWithToken = Hex("30 12 a0 03 02 01 02 a1 0b 30 09 30 07 a0 05 04 03 00 01 02");

    [Fact]
    public void TsRequest_with_one_token_encodes_as_DER()
    {
        var request = new TsRequest(2, [new ByteString(Hex("000102"))]);
        Assert.Equal(VersionTwoWithToken, request.Encode());
        TsRequest decoded = TsRequest.Decode(VersionTwoWithToken).Value!;
        Assert.Equal(2, decoded.Version);
        Assert.Equal(Hex("000102"), decoded.NegoTokens.Single().Span.ToArray());
    }

    [Fact]
    public void TsRequest_with_pub_key_auth_appends_field_three()
    {
        byte[] expected = Hex("30 19 a0 03 02 01 02 a1 0b 30 09 30 07 a0 05 04 03 00 01 02 a3 05 04 03 00 01 02");
        Assert.Equal(expected, new TsRequest(2, [new ByteString(Hex("000102"))], PubKeyAuth: new ByteString(Hex("000102"))).Encode());
    }

    [Fact]
    public void An_ntstatus_error_code_is_the_signed_integer_windows_sends()
    {
        byte[] bytes = new TsRequest(6, [], ErrorCode: 0xC000006D).Encode();
        Assert.Equal(Hex("30 0d a0 03 02 01 06 a4 06 02 04 c0 00 00 6d"), bytes);
        Assert.Equal(0xC000006Du, TsRequest.Decode(bytes).Value!.ErrorCode);
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
    public void Spnego_carries_an_ntlm_negotiate_and_a_challenge()
    {
        byte[] negotiate = Pdu.Encode(new NtlmNegotiateMessage(NtlmNegotiateMessage.CredSspClientFlags));
        byte[] init = Spnego.EncodeNegTokenInit([Spnego.NtlmOid], negotiate);
        Assert.Equal(Hex("60"), init[..1]);
        var (mechs, token) = Spnego.DecodeNegTokenInit(init).Value;
        Assert.Equal([Spnego.NtlmOid], mechs);
        Assert.Equal(negotiate, token.Span.ToArray());

        byte[] challenge = Load("ntlm-challenge-4.2.4.3.hex");
        byte[] resp = Spnego.EncodeNegTokenResp(SpnegoNegState.AcceptIncomplete, Spnego.NtlmOid, challenge);
        var (state, mech, responseToken, mic) = Spnego.DecodeNegTokenResp(resp).Value;
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
        byte[] bytes = request.Encode();
        TsRequest? decoded = TsRequest.Decode(bytes).Value;
        return decoded is not null && decoded.Encode().AsSpan().SequenceEqual(bytes)
            && TsRequest.FindFrameSize(bytes) == FrameSize.Complete(bytes.Length);
    }

    [Property(MaxTest = 2000)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes)
    {
        DecodeResult<TsRequest> request = TsRequest.Decode(bytes);
        _ = Spnego.DecodeNegTokenInit(bytes);
        _ = Spnego.DecodeNegTokenResp(bytes);
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
