using RdpHandshake.Fuzzing;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Transport;

namespace RdpHandshake.Tests;

/// <summary>The reaction classifier on canned answers.</summary>
public sealed class FuzzClassifierTests
{
    [Fact]
    public void A_connection_confirm_is_accepted_and_a_failure_is_a_negotiation_failure()
    {
        Classification accepted = FuzzClassifier.X224(Pdu.Encode(new X224ConnectionConfirm(new RdpNegotiationResponse(SecurityProtocols.Ssl))));
        Assert.Equal(FuzzReaction.Accepted, accepted.Reaction);
        Assert.Contains("PROTOCOL_SSL", accepted.Detail, StringComparison.Ordinal);

        Classification failed = FuzzClassifier.X224(Pdu.Encode(new X224ConnectionConfirm(Failure: new RdpNegotiationFailure(NegotiationFailureCode.SslRequiredByServer))));
        Assert.Equal(FuzzReaction.NegotiationFailure, failed.Reaction);
        Assert.Contains("SSL_REQUIRED_BY_SERVER", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ultimatum_or_disconnect_request_is_an_error_answer_and_garbage_is_malformed()
    {
        // xrdp's answer to a Connection Request it rejects: an MCS Disconnect Provider Ultimatum (rn-user-requested).
        Classification ultimatum = FuzzClassifier.X224(Convert.FromHexString("0300000902f0802180"));
        Assert.Equal(FuzzReaction.ErrorAnswer, ultimatum.Reaction);
        Assert.Contains("Disconnect Provider Ultimatum", ultimatum.Detail, StringComparison.Ordinal);
        Assert.Equal(FuzzReaction.ErrorAnswer, FuzzClassifier.X224(Pdu.Encode(new X224DisconnectRequest())).Reaction);
        Assert.Equal(FuzzReaction.MalformedAnswer, FuzzClassifier.X224(Convert.FromHexString("0300000b06a0000000000000")).Reaction);
    }

    [Fact]
    public void Tls_alerts_are_named_and_a_server_hello_is_accepted()
    {
        Classification alert = FuzzClassifier.TlsRecord(Convert.FromHexString("15030300020228"));
        Assert.Equal(FuzzReaction.Alert, alert.Reaction);
        Assert.Contains("handshake_failure", alert.Detail, StringComparison.Ordinal);

        byte[] serverHello = [0x16, 0x03, 0x03, 0x00, 0x2A, 0x02, 0x00, 0x00, 0x26, 0x03, 0x03, .. new byte[32], 0x00, 0xC0, 0x2F, 0x00];
        Classification hello = FuzzClassifier.TlsRecord(serverHello);
        Assert.Equal(FuzzReaction.Accepted, hello.Reaction);
        Assert.Contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", hello.Detail, StringComparison.Ordinal);

        Assert.Equal(FuzzReaction.MalformedAnswer, FuzzClassifier.TlsRecord(Convert.FromHexString("170303000401020304")).Reaction);
    }

    [Fact]
    public void A_tsrequest_with_an_error_code_is_an_error_answer_and_with_a_token_accepted()
    {
        Classification error = FuzzClassifier.CredSsp(Pdu.Encode(new TsRequest(6, [], ErrorCode: 0xC000006D)));
        Assert.Equal(FuzzReaction.ErrorAnswer, error.Reaction);
        Assert.Contains("c000006d", error.Detail, StringComparison.Ordinal);
        Assert.Equal(FuzzReaction.Accepted, FuzzClassifier.CredSsp(Pdu.Encode(new TsRequest(6, [new ByteString([1, 2, 3])]))).Reaction);
        Assert.Equal(FuzzReaction.MalformedAnswer, FuzzClassifier.CredSsp([0x30, 0x03, 0x02, 0x01, 0x06]).Reaction);
        Assert.Equal(FuzzReaction.MalformedAnswer, FuzzClassifier.CredSsp([0x04, 0x00]).Reaction);
    }

    [Fact]
    public void An_mcs_connect_response_is_accepted_or_an_error_answer_by_its_result()
    {
        static byte[] Response(McsResult result) => Pdu.Encode(new X224Data(new ByteString(Pdu.Encode(new McsConnectResponse(result, 0, DomainParameters.Target, new ByteString([1, 2]))))));
        Assert.Equal(FuzzReaction.Accepted, FuzzClassifier.Mcs(Response(McsResult.Successful)).Reaction);
        Classification refused = FuzzClassifier.Mcs(Response(McsResult.UnspecifiedFailure));
        Assert.Equal(FuzzReaction.ErrorAnswer, refused.Reaction);
        Assert.Contains("rt-unspecified-failure", refused.Detail, StringComparison.Ordinal);
        Assert.Equal(FuzzReaction.ErrorAnswer, FuzzClassifier.Mcs(Convert.FromHexString("0300000902f0802180")).Reaction);
        Assert.Equal(FuzzReaction.MalformedAnswer, FuzzClassifier.Mcs(Convert.FromHexString("0300000802f08001")).Reaction);
    }

    [Fact]
    public void Waits_without_a_frame_are_timeout_closed_reset_or_malformed()
    {
        TimeSpan timeout = TimeSpan.FromSeconds(2);
        Assert.Equal(FuzzReaction.Timeout, FuzzClassifier.WithoutFrame(new FrameReadResult(FrameReadStatus.Timeout, []), timeout).Reaction);
        Assert.Equal(FuzzReaction.Closed, FuzzClassifier.WithoutFrame(new FrameReadResult(FrameReadStatus.Ended, [], End: new TransportEnd(TransportEndKind.Closed)), timeout).Reaction);
        Assert.Equal(FuzzReaction.Reset, FuzzClassifier.WithoutFrame(new FrameReadResult(FrameReadStatus.Ended, [1], End: new TransportEnd(TransportEndKind.Reset)), timeout).Reaction);
        Assert.Equal(FuzzReaction.MalformedAnswer, FuzzClassifier.WithoutFrame(new FrameReadResult(FrameReadStatus.Invalid, [9], Error: DecodeError.InvalidField("x", "y", "z", 0)), timeout).Reaction);
    }

    [Fact]
    public void Every_reaction_has_a_distinct_report_name()
    {
        string[] names = FuzzReactionNames.All.Select(FuzzReactionNames.Name).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Contains("negotiation-failure", names);
        Assert.Contains("crashed", names);
    }
}
