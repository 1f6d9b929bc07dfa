using System.Buffers;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Tests.Connector;

/// <summary>
/// The connector from the MCS Connect Initial on (channel connection, secure settings, licensing, capabilities,
/// finalization), sans-IO: a scripted server feeds frames built from the codecs, and each test checks what the
/// connector writes, where it stops and with which cause.
/// </summary>
public sealed class ConnectionSequenceTests
{
    private const ushort User = 1007;
    private const uint ShareId = 0x000103EA;

    /// <summary>Drives a TLS-mode connector (no Standard RDP Security) through MCS with the given channels.</summary>
    private sealed class Script
    {
        private readonly ArrayBufferWriter<byte> _output = new();

        public Script(ConnectionPhase until = ConnectionPhase.Finalization, SessionOptions? options = null)
        {
            var negotiation = new NegotiationResult(SecurityProtocols.Ssl | SecurityProtocols.Hybrid, true, SecurityProtocols.Ssl, NegotiationResponseFlags.None, null, true);
            Connector = ClientConnector.AfterNegotiation(
                new ClientConnectorOptions { Until = until, Session = options ?? new SessionOptions { Channels = [] } },
                new ConnectorServices { Random = ConnectorTestRandom.Instance },
                negotiation);
        }

        public Script(SessionOptions options)
            : this(ConnectionPhase.Finalization, options)
        {
        }

        public ClientConnector Connector { get; }

        public ConnectionState State => Connector.State;

        /// <summary>The step the connector takes next, or null once it is over.</summary>
        public string? NextStep => Connector.Next?.Name;

        /// <summary>The steps that wrote bytes, in order.</summary>
        public List<string> Sent { get; } = [];

        public List<StepResult> Steps { get; } = [];

        /// <summary>The bytes the connector wrote in its last step.</summary>
        public byte[] LastOutput { get; private set; } = [];

        /// <summary>Runs sending steps until the connector waits for a frame (or ends).</summary>
        public void SendAll()
        {
            while (Connector.Next is { Read: null })
            {
                _output.ResetWrittenCount();
                StepResult step = Connector.Step([], _output);
                Steps.Add(step);
                LastOutput = _output.WrittenSpan.ToArray();
                if (LastOutput.Length > 0)
                {
                    Sent.Add(step.StepName);
                }
            }
        }

        public StepResult Feed(byte[] frame)
        {
            FrameHint hint = Connector.Next?.Read ?? throw new InvalidOperationException("the connector awaits no frame");
            FrameSize size = hint.FindSize(frame.AsSpan(0, Math.Min(frame.Length, hint.HeaderLength)));
            Assert.Equal(FrameSizeStatus.Complete, size.Status);
            Assert.Equal(frame.Length, size.Length);
            _output.ResetWrittenCount();
            StepResult result = Connector.Step(frame, _output);
            LastOutput = _output.WrittenSpan.ToArray();
            Steps.Add(result);
            if (LastOutput.Length > 0)
            {
                Sent.Add(result.StepName);
            }

            SendAll();
            return result;
        }

        /// <summary>Connect Response, Attach User Confirm and every Channel Join Confirm, then the Client Info goes out.</summary>
        public void ThroughMcs(int channelCount = 0)
        {
            SendAll();
            var server = new ServerConferenceData(
                new ServerCoreData(0x00080004, 0x03, 0),
                new ServerSecurityData(0, 0, ByteString.Empty, ByteString.Empty),
                new ServerNetworkData(1003, [.. Enumerable.Range(1004, channelCount).Select(i => (ushort)i)]),
                null, null, []);
            byte[] gcc = Pdu.Encode(new GccConferenceCreateResponse(1002, 1, 0, new ByteString(Pdu.Encode(server))));
            Feed(Tpkt(Pdu.Encode(new McsConnectResponse(McsResult.Successful, 0, DomainParameters.Target, new ByteString(gcc)))));
            Feed(Tpkt(Pdu.Encode(new AttachUserConfirm(McsResult.Successful, User))));
            foreach (ushort channel in new ushort[] { User, 1003 }.Concat(Enumerable.Range(1004, channelCount).Select(i => (ushort)i)))
            {
                Feed(Tpkt(Pdu.Encode(new ChannelJoinConfirm(McsResult.Successful, User, channel, channel))));
            }
        }
    }

    private static byte[] Tpkt(byte[] mcs) => Pdu.Encode(new X224Data(new ByteString(mcs)));

    /// <summary>A Send Data Indication from the server on the I/O channel.</summary>
    private static byte[] Io(byte[] payload, ushort channel = 1003) => Tpkt(Pdu.Encode(SendData.Indication(1002, channel, payload)));

    private static byte[] Licensing(LicensingMessage message) =>
        Io([.. Pdu.Encode(new BasicSecurityHeader(SecurityHeaderFlags.LicensePkt)), .. Pdu.Encode(LicensingPdu.Create(message))]);

    private static byte[] Data(ShareDataBody body) => Io(Pdu.Encode(ShareDataPdu.CreateServer(ShareId, body)));

    private static byte[] DemandActive() =>
        Io(Pdu.Encode(ServerCapabilities.CreateDemandActive(ShareId, ServerCapabilities.Create(1024, 768, 24))));

    /// <summary>Unwraps what the client sent on the I/O channel: the Send Data Request's user data.</summary>
    private static byte[] SentPayload(byte[] tpkt)
    {
        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(tpkt);
        Assert.True(data.IsSuccess, data.ToString());
        DecodeResult<SendData> send = Pdu.Decode<SendData>(data.Value.UserData.Span);
        Assert.True(send.IsSuccess, send.ToString());
        Assert.Equal(DomainMcsPduType.SendDataRequest, send.Value.Type);
        Assert.Equal(User, send.Value.Initiator);
        return send.Value.UserData.Span.ToArray();
    }

    [Fact]
    public void A_scripted_windows_like_server_takes_the_client_to_finalization()
    {
        var script = new Script();
        script.ThroughMcs();
        Assert.Equal(ActivationReceiver.LicensingStep, script.NextStep);

        // The Client Info went out with a basic security header SEC_INFO_PKT and no password.
        StepResult clientInfo = script.Steps.Single(s => s.StepName == SecureSettingsExchange.ClientInfoStep);
        Assert.Equal(ConnectionPhase.Security, clientInfo.Phase);

        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        Assert.Equal("STATUS_VALID_CLIENT", script.State.LicensingOutcome);
        script.Feed(DemandActive());

        // Confirm Active, Synchronize, Control x2, Font List were sent; now the server's finalization is awaited.
        Assert.Equal(ActivationReceiver.FontMapStep, script.NextStep);
        string[] sent = script.Sent.TakeLast(5).ToArray();
        Assert.Equal([CapabilitiesExchange.ConfirmActiveStep, ConnectionFinalization.SynchronizeStep, ConnectionFinalization.ControlCooperateStep, ConnectionFinalization.RequestControlStep, ConnectionFinalization.FontListStep], sent);

        script.Feed(Data(new SynchronizePdu(User)));
        script.Feed(Data(new ControlPdu(ControlAction.Cooperate)));
        script.Feed(Data(new ControlPdu(ControlAction.GrantedControl, User, 0x03EA)));
        StepResult fontMap = script.Feed(Data(new FontMapPdu()));

        Assert.Equal(ActivationReceiver.FontMapStep, fontMap.StepName);
        Assert.Equal(ConnectionPhase.Finalization, script.State.Reached);
        Assert.True(script.Connector.IsTerminal);
        Assert.Null(script.Connector.Failure);
        Assert.Equal(Disconnection.DisconnectStep, script.Steps[^1].StepName);
        Assert.Equal("0300000902f0802180", Convert.ToHexStringLower(script.LastOutput));
    }

    [Fact]
    public void The_client_info_carries_the_user_name_and_never_a_password()
    {
        var script = new Script(new SessionOptions { Channels = [], UserName = "alice", Domain = "CORP" });
        script.ThroughMcs();
        Assert.Equal(SecureSettingsExchange.ClientInfoStep, script.Steps[^1].StepName);
        var reader = new PduReader(SentPayload(script.LastOutput));
        DecodeResult<BasicSecurityHeader> header = BasicSecurityHeader.Decode(ref reader);
        Assert.True(header.IsSuccess);
        Assert.Equal(SecurityHeaderFlags.InfoPkt, header.Value.Flags);
        DecodeResult<ClientInfoPacket> info = ClientInfoPacket.Decode(ref reader);
        Assert.True(info.IsSuccess, info.ToString());
        Assert.Equal(("CORP", "alice"), (info.Value.Domain, info.Value.UserName));
        Assert.Empty(info.Value.Password);
        Assert.Equal(0u, (uint)(info.Value.Flags & ClientInfoFlags.AutoLogon));
        Assert.True(info.Value.IsUnicode);
    }

    [Fact]
    public void Set_error_info_then_an_ultimatum_is_diagnosed_by_the_error_code()
    {
        var script = new Script();
        script.ThroughMcs();
        StepResult info = script.Feed(Data(new SetErrorInfoPdu(0x00000009)));
        Assert.Null(info.Failure);
        Assert.Equal("session.error-info", info.StepName);
        Assert.Equal(9u, script.State.LastErrorInfo);

        StepResult ended = script.Feed(Tpkt(Pdu.Encode(new DisconnectProviderUltimatum(McsDisconnectReason.ProviderInitiated))));
        Assert.Equal((CauseId.ServerErrorInfo, 9u), (ended.Failure!.Cause, ended.Failure.Code));
        Assert.Equal(ConnectionPhase.Licensing, ended.Phase);
    }

    [Fact]
    public void A_bare_ultimatum_is_disconnect_ultimatum_with_its_reason()
    {
        var script = new Script();
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        StepResult ended = script.Feed(Tpkt(Pdu.Encode(new DisconnectProviderUltimatum(McsDisconnectReason.ProviderInitiated))));
        Assert.Equal((CauseId.DisconnectUltimatum, "rn-provider-initiated"), (ended.Failure!.Cause, ended.Failure.Detail));
        Assert.Equal(ConnectionPhase.Capabilities, ended.Phase);
    }

    [Fact]
    public void A_licence_error_is_named()
    {
        var script = new Script();
        script.ThroughMcs();
        StepResult ended = script.Feed(Licensing(new LicenseErrorMessage(LicenseErrorCode.NoLicenseServer, LicenseStateTransition.TotalAbort, LicenseBinaryBlob.Empty(LicenseBlobType.Error))));
        Assert.Equal((CauseId.LicenseError, "ERR_NO_LICENSE_SERVER"), (ended.Failure!.Cause, ended.Failure.Detail));
        Assert.Equal(ConnectionPhase.Licensing, ended.Phase);
        Assert.Contains(ended.Fields, f => f.Name == "dwStateTransition" && f.Value == "ST_TOTAL_ABORT");
    }

    [Fact]
    public void A_connect_response_failure_result_is_named()
    {
        var script = new Script();
        script.SendAll();
        StepResult ended = script.Feed(Tpkt(Pdu.Encode(new McsConnectResponse(McsResult.UnspecifiedFailure, 0, DomainParameters.Target, ByteString.Empty))));
        Assert.Equal((CauseId.ConnectResponseResult, "rt-unspecified-failure"), (ended.Failure!.Cause, ended.Failure.Detail));
    }

    [Fact]
    public void A_multitransport_offer_is_declined_with_E_ABORT_and_the_wait_goes_on()
    {
        var script = new Script();
        script.ThroughMcs();
        var request = new InitiateMultitransportRequest(7, MultitransportProtocol.UdpFecReliable, new ByteString(new byte[16]));
        StepResult observed = script.Feed(Io([.. Pdu.Encode(new BasicSecurityHeader(SecurityHeaderFlags.TransportReq)), .. Pdu.Encode(request)]));

        Assert.Null(observed.Failure);
        Assert.True(observed.Interleaved);
        Assert.Equal(ActivationReceiver.LicensingStep, script.NextStep);
        byte[] answer = SentPayload(script.LastOutput);
        var reader = new PduReader(answer);
        Assert.Equal(SecurityHeaderFlags.TransportRsp, BasicSecurityHeader.Decode(ref reader).Value!.Flags);
        DecodeResult<InitiateMultitransportResponse> response = InitiateMultitransportResponse.Decode(ref reader);
        Assert.Equal(new InitiateMultitransportResponse(7, InitiateMultitransportResponse.EAbort), response.Value);
    }

    [Fact]
    public void A_redirection_is_reported_with_its_target_and_ends_the_run()
    {
        var script = new Script();
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        var packet = new ServerRedirectionPacket(5, RedirectionFlags.TargetNetAddress | RedirectionFlags.LoadBalanceInfo,
            TargetNetAddress: ServerRedirectionPacket.Text("10.0.0.7"), LoadBalanceInfo: new ByteString("tsv://MS Terminal Services Plugin.1.Farm"u8));
        StepResult ended = script.Feed(Io(Pdu.Encode(new EnhancedSecurityServerRedirection(1002, packet))));

        Assert.Equal(CauseId.Redirected, ended.Failure!.Cause);
        Assert.Contains("10.0.0.7", ended.Failure.Reason, StringComparison.Ordinal);
        Assert.Equal(packet, script.State.Redirection);
    }

    [Fact]
    public void A_server_that_never_progresses_is_cut_off_after_the_interleaved_bound()
    {
        var script = new Script(new SessionOptions { Channels = [], MaxInterleavedPdus = 5 });
        script.ThroughMcs();
        StepResult? last = null;
        for (int i = 0; i < 100 && !script.Connector.IsTerminal; i++)
        {
            last = script.Feed(Data(new SetErrorInfoPdu(0)));
        }

        Assert.Equal(CauseId.NoProgress, last!.Failure!.Cause);
        Assert.Equal(5, script.Steps.Count(s => s.StepName == "session.error-info"));
    }

    [Fact]
    public void Fast_path_updates_during_finalization_are_recorded_and_skipped()
    {
        var script = new Script();
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        script.Feed(DemandActive());
        StepResult fastPath = script.Feed([0x00, 0x05, 0x01, 0x02, 0x03]);
        Assert.Equal("session.fast-path", fastPath.StepName);
        Assert.Equal(ActivationReceiver.FontMapStep, script.NextStep);
    }

    [Fact]
    public void A_garbled_share_pdu_is_malformed_not_an_exception()
    {
        var script = new Script();
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        StepResult ended = script.Feed(Io([0x20, 0x00, 0x11, 0x00, 0xEA, 0x03, 0xFF]));
        Assert.Equal(CauseId.MalformedResponse, ended.Failure!.Cause);
    }

    [Fact]
    public void Until_licensing_disconnects_after_the_valid_client_answer()
    {
        var script = new Script(ConnectionPhase.Licensing);
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        Assert.True(script.Connector.IsTerminal);
        Assert.Equal(ConnectionPhase.Licensing, script.State.Reached);
        Assert.Equal(Disconnection.DisconnectStep, script.Steps[^1].StepName);
    }

    [Fact]
    public void An_rtt_measure_request_is_answered_with_its_sequence_number()
    {
        var script = new Script();
        script.ThroughMcs();
        StepResult observed = script.Feed(Io([.. Pdu.Encode(new BasicSecurityHeader(SecurityHeaderFlags.AutodetectReq)), .. Pdu.Encode(AutoDetectRequest.RttMeasure(42))]));

        Assert.Null(observed.Failure);
        Assert.Equal("session.auto-detect", observed.StepName);
        var reader = new PduReader(SentPayload(script.LastOutput));
        Assert.Equal(SecurityHeaderFlags.AutodetectRsp, BasicSecurityHeader.Decode(ref reader).Value!.Flags);
        Assert.Equal(new RttMeasureResponse(42), RttMeasureResponse.Decode(ref reader).Value);
        Assert.Equal(ActivationReceiver.LicensingStep, script.NextStep);
    }

    [Fact]
    public void A_deactivate_all_during_finalization_runs_the_capabilities_exchange_again()
    {
        // MS-RDPBCGR 1.3.1.3: Deactivate All, then a new Demand Active, a new Confirm Active and finalization anew.
        var script = new Script();
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        script.Feed(DemandActive());
        StepResult deactivated = script.Feed(Io(Pdu.Encode(DeactivateAllPdu.Create(ShareId))));
        Assert.Equal(ActivationReceiver.DeactivateAllStep, deactivated.StepName);
        Assert.Equal(ActivationReceiver.DemandActiveStep, script.NextStep);

        script.Feed(DemandActive());
        Assert.Equal(2, script.Sent.Count(s => s == CapabilitiesExchange.ConfirmActiveStep));
        Assert.Equal(2, script.Sent.Count(s => s == ConnectionFinalization.FontListStep));
        StepResult fontMap = script.Feed(Data(new FontMapPdu()));
        Assert.Equal(ActivationReceiver.FontMapStep, fontMap.StepName);
        Assert.Equal(ConnectionPhase.Finalization, script.State.Reached);
        Assert.True(script.Connector.IsTerminal);
    }

    [Fact]
    public void A_demand_active_in_place_of_licensing_skips_licensing()
    {
        var script = new Script();
        script.ThroughMcs();
        StepResult demand = script.Feed(DemandActive());
        Assert.Equal((ActivationReceiver.DemandActiveStep, ConnectionPhase.Capabilities), (demand.StepName, demand.Phase));
        Assert.StartsWith("skipped", script.State.LicensingOutcome, StringComparison.Ordinal);
        Assert.Equal(CapabilitiesExchange.ConfirmActiveStep, script.Sent[^5]);
    }
}
