using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests;

/// <summary>The sans-IO state machine fed with scripted server bytes, no I/O at all.</summary>
public sealed class ClientConnectorTests
{
    private static (ClientConnector Connector, byte[] Sent) Start(ClientConnectorOptions? options = null)
    {
        var connector = new ClientConnector(options ?? new ClientConnectorOptions { Cookie = "eltons", RequestedProtocols = SecurityProtocols.Rdp });
        Assert.Null(connector.NextFrameHint);
        Assert.Equal(ClientConnector.ConnectionRequestStep, connector.NextStepName);
        var output = new ArrayBufferWriter<byte>();
        StepResult sent = connector.Step([], output);
        Assert.Null(sent.Failure);
        Assert.Equal(output.WrittenCount, sent.BytesWritten);
        Assert.Equal(ClientConnectorState.WaitConnectionConfirm, connector.State);
        return (connector, output.WrittenSpan.ToArray());
    }

    private static StepResult Feed(ClientConnector connector, byte[] frame)
    {
        FrameHint hint = connector.NextFrameHint!;
        Assert.Equal(ClientConnector.ConnectionConfirmStep, hint.StepName);
        Assert.Equal(FrameSize.Complete(frame.Length), hint.FindSize(frame.AsSpan(0, hint.HeaderLength)));
        return connector.Step(frame, new ArrayBufferWriter<byte>());
    }

    [Fact]
    public void Sends_the_4_1_1_request_for_the_same_options()
    {
        (_, byte[] sent) = Start();
        Assert.Equal(Load("x224-connection-request-4.1.1.hex"), sent);
    }

    [Fact]
    public void Reaches_connection_initiated_on_the_4_1_2_confirm()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Load("x224-connection-confirm-4.1.2.hex"));
        Assert.Null(result.Failure);
        Assert.Equal(ClientConnectorState.ConnectionInitiated, connector.State);
        Assert.True(connector.IsTerminal);
        Assert.Equal(SecurityProtocols.Rdp, connector.Negotiation!.Selected);
        Assert.True(connector.Negotiation.ServerSentNegotiationData);
        Assert.Contains(new StepField("selectedProtocol", "PROTOCOL_RDP (0x00000000)"), result.Fields);
    }

    [Fact]
    public void Records_the_selected_protocol_and_flags()
    {
        (ClientConnector connector, _) = Start(new ClientConnectorOptions { RequestedProtocols = SecurityProtocols.Ssl | SecurityProtocols.Hybrid });
        StepResult result = Feed(connector, Hex("03 00 00 13 0e d0 00 00 12 34 00 02 1f 08 00 02 00 00 00"));
        Assert.Null(result.Failure);
        Assert.Equal(SecurityProtocols.Hybrid, connector.Negotiation!.Selected);
        Assert.Equal((NegotiationResponseFlags)0x1F, connector.Negotiation.ResponseFlags);
        Assert.Equal("selected PROTOCOL_HYBRID", result.Summary);
    }

    [Theory]
    [InlineData(NegotiationFailureCode.SslRequiredByServer, "negotiation-failure:SSL_REQUIRED_BY_SERVER")]
    [InlineData(NegotiationFailureCode.SslNotAllowedByServer, "negotiation-failure:SSL_NOT_ALLOWED_BY_SERVER")]
    [InlineData(NegotiationFailureCode.SslCertNotOnServer, "negotiation-failure:SSL_CERT_NOT_ON_SERVER")]
    [InlineData(NegotiationFailureCode.InconsistentFlags, "negotiation-failure:INCONSISTENT_FLAGS")]
    [InlineData(NegotiationFailureCode.HybridRequiredByServer, "negotiation-failure:HYBRID_REQUIRED_BY_SERVER")]
    [InlineData(NegotiationFailureCode.SslWithUserAuthRequiredByServer, "negotiation-failure:SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER")]
    public void A_negotiation_failure_ends_in_its_named_cause(NegotiationFailureCode code, string cause)
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Pdu.Encode(new X224ConnectionConfirm(Failure: new RdpNegotiationFailure(code))));
        Assert.Equal(ClientConnectorState.Failed, connector.State);
        Assert.Equal(cause, result.Failure!.Cause);
        Assert.Equal(ConnectionPhase.X224, result.Failure.Phase);
        Assert.Equal(code, connector.Negotiation!.FailureCode);
        Assert.Null(connector.Negotiation.Selected);
    }

    [Fact]
    public void A_confirm_without_negotiation_data_means_standard_security()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Hex("03 00 00 0b 06 d0 00 00 12 34 00"));
        Assert.Null(result.Failure);
        Assert.Equal(SecurityProtocols.Rdp, connector.Negotiation!.Selected);
        Assert.False(connector.Negotiation.ServerSentNegotiationData);
    }

    [Fact]
    public void A_protocol_that_was_not_requested_is_a_failure()
    {
        (ClientConnector connector, _) = Start(new ClientConnectorOptions { RequestedProtocols = SecurityProtocols.Ssl });
        StepResult result = Feed(connector, Pdu.Encode(new X224ConnectionConfirm(new RdpNegotiationResponse(SecurityProtocols.Hybrid))));
        Assert.Equal(Causes.ProtocolNotRequested, result.Failure!.Cause);
        Assert.Equal(SecurityProtocols.Hybrid, connector.Negotiation!.Selected);
    }

    [Fact]
    public void Several_protocols_selected_at_once_is_a_failure()
    {
        (ClientConnector connector, _) = Start(new ClientConnectorOptions { RequestedProtocols = SecurityProtocols.Ssl | SecurityProtocols.Hybrid });
        StepResult result = Feed(connector, Pdu.Encode(new X224ConnectionConfirm(new RdpNegotiationResponse(SecurityProtocols.Ssl | SecurityProtocols.Hybrid))));
        Assert.Equal(Causes.ProtocolNotRequested, result.Failure!.Cause);
    }

    [Fact]
    public void A_disconnect_request_is_named_with_its_reason()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Pdu.Encode(new X224DisconnectRequest(Reason: 136)));
        Assert.Equal(Causes.DisconnectRequest, result.Failure!.Cause);
        Assert.Contains("reason 136: connection request refused on this network connection", result.Failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_confirm_carries_its_decode_error()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Hex("03 00 00 13 0e d0 00 00 12 34 00 02 00 09 00 01 00 00 00"));
        Assert.Equal(Causes.MalformedResponse, result.Failure!.Cause);
        Assert.Equal("length", result.Failure.DecodeError!.Value.Field);
    }

    [Fact]
    public void A_data_tpdu_instead_of_a_confirm_is_an_unexpected_pdu()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Hex("03 00 00 0c 02 f0 80 04 01 00 01 00"));
        Assert.Equal(Causes.UnexpectedPdu, result.Failure!.Cause);
    }

    [Fact]
    public void An_mcs_disconnect_provider_ultimatum_instead_of_a_confirm_is_named()
    {
        // What xrdp 0.9.21 sends when requestedProtocols has a flag it does not know (e.g. PROTOCOL_RDSAAD).
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Hex("03 00 00 09 02 f0 80 21 80"));
        Assert.Equal(Causes.DisconnectProviderUltimatum, result.Failure!.Cause);
        Assert.Contains(new StepField("reason", "rn-user-requested"), result.Fields);
    }

    [Fact]
    public void A_frame_that_cannot_be_sized_is_rejected_through_the_connector()
    {
        (ClientConnector connector, _) = Start();
        FrameSize size = connector.NextFrameHint!.FindSize(Hex("16 03 01 00"));
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        StepResult result = connector.RejectFrame(size.Error!.Value);
        Assert.Equal(Causes.MalformedResponse, result.Failure!.Cause);
        Assert.True(connector.IsTerminal);
    }

    [Fact]
    public void The_confirm_hint_is_bounded_by_what_the_length_indicator_allows()
    {
        (ClientConnector connector, _) = Start();
        Assert.Equal(X224Framing.MaxConnectionPduSize, connector.NextFrameHint!.MaxFrameLength);
    }

    [Fact]
    public void Correlation_info_sets_its_flag()
    {
        var id = Guid.Parse("11223344-5566-7788-99aa-bbccddeeff01");
        (_, byte[] sent) = Start(new ClientConnectorOptions { RequestedProtocols = SecurityProtocols.Ssl, CorrelationId = id });
        X224ConnectionRequest request = Pdu.Decode<X224ConnectionRequest>(sent).Value!;
        Assert.Equal(NegotiationRequestFlags.CorrelationInfoPresent, request.NegotiationRequest!.Flags);
        Assert.Equal(id, request.CorrelationInfo!.CorrelationId);
    }

    [Fact]
    public void A_legacy_request_has_no_negotiation_data()
    {
        (_, byte[] sent) = Start(new ClientConnectorOptions { SendNegotiationRequest = false, Cookie = "eltons" });
        X224ConnectionRequest request = Pdu.Decode<X224ConnectionRequest>(sent).Value!;
        Assert.Null(request.NegotiationRequest);
        Assert.Equal("eltons", request.Cookie);
    }

    [Fact]
    public void Stepping_a_terminal_connector_is_a_caller_bug()
    {
        (ClientConnector connector, _) = Start();
        Feed(connector, Load("x224-connection-confirm-4.1.2.hex"));
        Assert.Throws<InvalidOperationException>(() => connector.Step([], new ArrayBufferWriter<byte>()));
    }
}
