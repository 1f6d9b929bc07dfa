using System.Buffers;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Connector;

/// <summary>The connector's X.224 negotiation (MS-RDPBCGR 3.2.5.3.1-2) fed with scripted server bytes, no I/O at all.</summary>
public sealed class X224NegotiationTests
{
    /// <summary>A connector that stops after X.224, as <c>--until x224</c> does, and its Connection Request.</summary>
    private static (ClientConnector Connector, byte[] Sent) Start(NegotiationOptions? options = null)
    {
        var connector = new ClientConnector(
            new ClientConnectorOptions { Negotiation = options ?? new NegotiationOptions { Cookie = "eltons", RequestedProtocols = SecurityProtocols.Rdp }, Until = ConnectionPhase.X224 },
            new ConnectorServices { Random = ConnectorTestRandom.Instance });
        Assert.Null(connector.Next!.Read);
        Assert.Equal(X224Negotiation.ConnectionRequestStep, connector.Next.Name);
        var output = new ArrayBufferWriter<byte>();
        StepResult sent = connector.Step([], output);
        Assert.Null(sent.Failure);
        Assert.Equal(X224Negotiation.ConnectionConfirmStep, connector.Next!.Name);
        return (connector, output.WrittenSpan.ToArray());
    }

    private static StepResult Feed(ClientConnector connector, byte[] frame)
    {
        FrameHint hint = connector.Next!.Read!;
        Assert.Equal(X224Negotiation.ConnectionConfirmStep, hint.StepName);
        Assert.Equal(FrameSize.Complete(frame.Length), hint.FindSize(frame.AsSpan(0, Math.Min(frame.Length, hint.HeaderLength))));
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
        Assert.True(connector.IsTerminal);
        Assert.Null(connector.Failure);
        Assert.Equal(ConnectionPhase.X224, connector.State.Reached);
        Assert.Equal(SecurityProtocols.Rdp, connector.State.Negotiation!.Selected);
        Assert.True(connector.State.Negotiation.ServerSentNegotiationData);
        Assert.Contains(new StepField("selectedProtocol", "PROTOCOL_RDP (0x00000000)"), result.Fields);
    }

    [Fact]
    public void Records_the_selected_protocol_and_flags()
    {
        (ClientConnector connector, _) = Start(new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl | SecurityProtocols.Hybrid });
        StepResult result = Feed(connector, Hex("03 00 00 13 0e d0 00 00 12 34 00 02 1f 08 00 02 00 00 00"));
        Assert.Null(result.Failure);
        Assert.Equal(SecurityProtocols.Hybrid, connector.State.Negotiation!.Selected);
        Assert.Equal((NegotiationResponseFlags)0x1F, connector.State.Negotiation.ResponseFlags);
        Assert.Equal("selected PROTOCOL_HYBRID", result.Summary);
    }

    [Theory]
    [InlineData(NegotiationFailureCode.SslRequiredByServer, CauseId.NegotiationFailure, "SSL_REQUIRED_BY_SERVER")]
    [InlineData(NegotiationFailureCode.SslNotAllowedByServer, CauseId.NegotiationFailure, "SSL_NOT_ALLOWED_BY_SERVER")]
    [InlineData(NegotiationFailureCode.SslCertNotOnServer, CauseId.NegotiationFailure, "SSL_CERT_NOT_ON_SERVER")]
    [InlineData(NegotiationFailureCode.InconsistentFlags, CauseId.NegotiationFailure, "INCONSISTENT_FLAGS")]
    [InlineData(NegotiationFailureCode.HybridRequiredByServer, CauseId.NlaRequired, null)]
    [InlineData(NegotiationFailureCode.SslWithUserAuthRequiredByServer, CauseId.NegotiationFailure, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER")]
    public void A_negotiation_failure_ends_in_its_named_cause(NegotiationFailureCode code, CauseId cause, string? detail)
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Pdu.Encode(new X224ConnectionConfirm(Failure: new RdpNegotiationFailure(code))));
        Assert.True(connector.IsTerminal);
        Assert.Equal((cause, detail, (uint)code), (result.Failure!.Cause, result.Failure.Detail, result.Failure.Code));
        Assert.Equal(ConnectionPhase.X224, result.Phase);
        Assert.Equal(code, connector.State.Negotiation!.FailureCode);
        Assert.Null(connector.State.Negotiation.Selected);
    }

    [Fact]
    public void A_confirm_without_negotiation_data_means_standard_security()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Hex("03 00 00 0b 06 d0 00 00 12 34 00"));
        Assert.Null(result.Failure);
        Assert.Equal(SecurityProtocols.Rdp, connector.State.Negotiation!.Selected);
        Assert.False(connector.State.Negotiation.ServerSentNegotiationData);
    }

    [Fact]
    public void A_protocol_that_was_not_requested_is_a_failure()
    {
        (ClientConnector connector, _) = Start(new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl });
        StepResult result = Feed(connector, Pdu.Encode(new X224ConnectionConfirm(new RdpNegotiationResponse(SecurityProtocols.Hybrid))));
        Assert.Equal(CauseId.ProtocolNotRequested, result.Failure!.Cause);
        Assert.Equal(SecurityProtocols.Hybrid, connector.State.Negotiation!.Selected);
    }

    [Fact]
    public void Several_protocols_selected_at_once_is_a_failure()
    {
        (ClientConnector connector, _) = Start(new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl | SecurityProtocols.Hybrid });
        StepResult result = Feed(connector, Pdu.Encode(new X224ConnectionConfirm(new RdpNegotiationResponse(SecurityProtocols.Ssl | SecurityProtocols.Hybrid))));
        Assert.Equal(CauseId.ProtocolNotRequested, result.Failure!.Cause);
    }

    [Fact]
    public void A_disconnect_request_is_named_with_its_reason()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Pdu.Encode(new X224DisconnectRequest(Reason: 136)));
        Assert.Equal(CauseId.X224DisconnectRequest, result.Failure!.Cause);
        Assert.Contains("reason 136: connection request refused on this network connection", result.Failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_confirm_carries_its_decode_error()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Hex("03 00 00 13 0e d0 00 00 12 34 00 02 00 09 00 01 00 00 00"));
        Assert.Equal(CauseId.MalformedResponse, result.Failure!.Cause);
        Assert.Equal("length", result.Failure.DecodeError!.Value.Field);
    }

    [Fact]
    public void A_data_tpdu_instead_of_a_confirm_is_an_unexpected_pdu()
    {
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Hex("03 00 00 0c 02 f0 80 04 01 00 01 00"));
        Assert.Equal(CauseId.UnexpectedPdu, result.Failure!.Cause);
    }

    [Fact]
    public void An_mcs_disconnect_provider_ultimatum_instead_of_a_confirm_is_the_one_ultimatum_cause()
    {
        // What xrdp 0.9.21 sends when requestedProtocols has a flag it does not know (e.g. PROTOCOL_RDSAAD).
        (ClientConnector connector, _) = Start();
        StepResult result = Feed(connector, Hex("03 00 00 09 02 f0 80 21 80"));
        Assert.Equal((CauseId.DisconnectUltimatum, "rn-user-requested"), (result.Failure!.Cause, result.Failure.Detail));
        Assert.Contains(new StepField("reason", "rn-user-requested"), result.Fields);
    }

    [Fact]
    public void A_frame_that_cannot_be_sized_is_rejected_through_the_connector()
    {
        (ClientConnector connector, _) = Start();
        byte[] received = Hex("7f 00 00 13 0e d0");
        FrameSize size = connector.Next!.Read!.FindSize(received);
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        StepResult result = connector.RejectFrame(size.Error!.Value, received);
        Assert.Equal(CauseId.MalformedResponse, result.Failure!.Cause);
        Assert.True(connector.IsTerminal);
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n", "HTTP", "the port answered HTTP/1.1: a web server, not RDP")]
    [InlineData("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "SSH", "the port answered SSH-2.0-OpenSSH_9.2p1: an SSH server, not RDP")]
    [InlineData("RFB 003.008\n", "VNC", "the port answered RFB 003.008: a VNC server, not RDP")]
    public void A_text_answer_of_another_protocol_is_named(string answer, string protocol, string reason)
    {
        (ClientConnector connector, _) = Start();
        byte[] received = System.Text.Encoding.ASCII.GetBytes(answer);
        FrameSize size = connector.Next!.Read!.FindSize(received);
        StepResult result = connector.RejectFrame(size.Error!.Value, received);
        Assert.Equal((CauseId.NotRdp, protocol, reason), (result.Failure!.Cause, result.Failure.Detail, result.Failure.Reason));
        Assert.True(connector.IsTerminal);
    }

    [Theory]
    [InlineData("15 03 03 00 02 02 0a", "TLS", "the port answered a TLS alert record: a TLS server that does not begin with the X.224 negotiation, not RDP")]
    [InlineData("16 03 01 00 4a 02 00 00 46 03 03", "TLS", "the port answered a TLS handshake record: a TLS server that does not begin with the X.224 negotiation, not RDP")]
    [InlineData("00 00 00 48 fe 53 4d 42 40 00 01 00", "SMB", "the port answered SMB2: an SMB file server, not RDP")]
    [InlineData("00 00 00 23 ff 53 4d 42 72 00", "SMB", "the port answered SMB1: an SMB file server, not RDP")]
    [InlineData("83 00 00 01 8f", "SMB", "the port answered a NetBIOS negative session response: a NetBIOS session service (SMB on port 139), not RDP")]
    public void A_binary_answer_of_another_protocol_is_named(string hex, string protocol, string reason)
    {
        (ClientConnector connector, _) = Start();
        byte[] received = Hex(hex);
        FrameSize size = connector.Next!.Read!.FindSize(received);
        Assert.Equal(FrameSizeStatus.Invalid, size.Status);
        StepResult result = connector.RejectFrame(size.Error!.Value, received);
        Assert.Equal((CauseId.NotRdp, protocol, reason), (result.Failure!.Cause, result.Failure.Detail, result.Failure.Reason));
    }

    [Fact]
    public void The_confirm_hint_looks_far_enough_into_a_foreign_answer_to_name_it()
    {
        (ClientConnector connector, _) = Start();
        Assert.Equal(NonRdpAnswer.PeekLength, connector.Next!.Read!.HeaderLength);
    }

    [Fact]
    public void The_confirm_hint_is_bounded_by_what_the_length_indicator_allows()
    {
        (ClientConnector connector, _) = Start();
        Assert.Equal(X224Framing.MaxConnectionPduSize, connector.Next!.Read!.MaxFrameLength);
    }

    [Fact]
    public void Correlation_info_sets_its_flag()
    {
        var id = Guid.Parse("11223344-5566-7788-99aa-bbccddeeff01");
        (_, byte[] sent) = Start(new NegotiationOptions { RequestedProtocols = SecurityProtocols.Ssl, CorrelationId = id });
        X224ConnectionRequest request = Pdu.Decode<X224ConnectionRequest>(sent).Value!;
        Assert.Equal(NegotiationRequestFlags.CorrelationInfoPresent, request.NegotiationRequest!.Flags);
        Assert.Equal(id, request.CorrelationInfo!.CorrelationId);
    }

    [Fact]
    public void A_legacy_request_has_no_negotiation_data()
    {
        (_, byte[] sent) = Start(new NegotiationOptions { SendNegotiationRequest = false, Cookie = "eltons" });
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

/// <summary>Deterministic bytes for the connector's nonces in tests.</summary>
internal sealed class ConnectorTestRandom : IRandomSource
{
    public static ConnectorTestRandom Instance { get; } = new();

    public void Fill(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)i;
        }
    }
}
