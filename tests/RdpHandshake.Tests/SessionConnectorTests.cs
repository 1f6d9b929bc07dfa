using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests;

/// <summary>
/// The session part of the sequence, sans-IO: a scripted server feeds frames built from the codecs, and each
/// test checks what the connector writes, where it stops and with which cause.
/// </summary>
public sealed class SessionConnectorTests
{
    private const ushort User = 1007;
    private const uint ShareId = 0x000103EA;

    /// <summary>Drives a TLS-mode connector (no Standard RDP Security) through MCS with the given channels.</summary>
    private sealed class Script
    {
        private readonly ArrayBufferWriter<byte> _output = new();

        public Script(ConnectionPhase until = ConnectionPhase.Finalization)
            : this(new SessionOptions { Until = until, Channels = [] })
        {
        }

        public Script(SessionOptions options)
        {
            Connector = new SessionConnector(options, SecurityProtocols.Ssl | SecurityProtocols.Hybrid, SecurityProtocols.Ssl);
        }

        public SessionConnector Connector { get; }

        public List<StepResult> Steps { get; } = [];

        /// <summary>The bytes the connector wrote in its last step.</summary>
        public byte[] LastOutput { get; private set; } = [];

        /// <summary>Runs sending steps until the connector waits for a frame (or ends).</summary>
        public void SendAll()
        {
            while (!Connector.IsTerminal && Connector.NextFrameHint is null)
            {
                _output.ResetWrittenCount();
                Steps.Add(Connector.Step([], _output));
                LastOutput = _output.WrittenSpan.ToArray();
            }
        }

        public StepResult Feed(byte[] frame)
        {
            Assert.NotNull(Connector.NextFrameHint);
            FrameSize size = Connector.NextFrameHint!.FindSize(frame.AsSpan(0, Math.Min(frame.Length, Connector.NextFrameHint.HeaderLength)));
            Assert.Equal(FrameSizeStatus.Complete, size.Status);
            Assert.Equal(frame.Length, size.Length);
            _output.ResetWrittenCount();
            StepResult result = Connector.Step(frame, _output);
            LastOutput = _output.WrittenSpan.ToArray();
            Steps.Add(result);
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
        Assert.Equal(SessionState.WaitLicensing, script.Connector.State);

        // The Client Info went out with a basic security header SEC_INFO_PKT and no password.
        StepResult clientInfo = script.Steps.Single(s => s.StepName == SessionConnector.ClientInfoStep);
        Assert.Equal(ConnectionPhase.Security, clientInfo.Phase);

        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        Assert.Equal("STATUS_VALID_CLIENT", script.Connector.LicensingOutcome);
        script.Feed(DemandActive());

        // Confirm Active, Synchronize, Control x2, Font List were sent; now the server's finalization is awaited.
        Assert.Equal(SessionState.WaitFinalization, script.Connector.State);
        string[] sent = script.Steps.Where(s => s.BytesWritten > 0).Select(s => s.StepName).TakeLast(5).ToArray();
        Assert.Equal([SessionConnector.ConfirmActiveStep, SessionConnector.SynchronizeStep, SessionConnector.ControlCooperateStep, SessionConnector.RequestControlStep, SessionConnector.FontListStep], sent);

        script.Feed(Data(new SynchronizePdu(User)));
        script.Feed(Data(new ControlPdu(ControlAction.Cooperate)));
        script.Feed(Data(new ControlPdu(ControlAction.GrantedControl, User, 0x03EA)));
        StepResult fontMap = script.Feed(Data(new FontMapPdu()));

        Assert.Equal(SessionConnector.FontMapStep, fontMap.StepName);
        Assert.Equal(ConnectionPhase.Finalization, script.Connector.Reached);
        Assert.Equal(SessionState.Done, script.Connector.State);
        Assert.Equal("0300000902f0802180", Convert.ToHexStringLower(script.LastOutput));
    }

    [Fact]
    public void The_client_info_carries_the_user_name_and_never_a_password()
    {
        var script = new Script(new SessionOptions { Channels = [], UserName = "alice", Domain = "CORP" });
        script.ThroughMcs();
        Assert.Equal(SessionConnector.ClientInfoStep, script.Steps[^1].StepName);
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
        Assert.Equal(9u, script.Connector.LastErrorInfo);

        StepResult ended = script.Feed(Tpkt(Pdu.Encode(new DisconnectProviderUltimatum(McsDisconnectReason.ProviderInitiated))));
        Assert.Equal("server-error-info:0x00000009", ended.Failure!.Cause);
        Assert.Equal(ConnectionPhase.Licensing, ended.Failure.Phase);
    }

    [Fact]
    public void A_bare_ultimatum_is_disconnect_ultimatum_with_its_reason()
    {
        var script = new Script();
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        StepResult ended = script.Feed(Tpkt(Pdu.Encode(new DisconnectProviderUltimatum(McsDisconnectReason.ProviderInitiated))));
        Assert.Equal("disconnect-ultimatum:rn-provider-initiated", ended.Failure!.Cause);
        Assert.Equal(ConnectionPhase.Capabilities, ended.Failure.Phase);
    }

    [Fact]
    public void A_licence_error_is_named()
    {
        var script = new Script();
        script.ThroughMcs();
        StepResult ended = script.Feed(Licensing(new LicenseErrorMessage(LicenseErrorCode.NoLicenseServer, LicenseStateTransition.TotalAbort, LicenseBinaryBlob.Empty(LicenseBlobType.Error))));
        Assert.Equal("license-error:ERR_NO_LICENSE_SERVER", ended.Failure!.Cause);
        Assert.Equal(ConnectionPhase.Licensing, ended.Failure.Phase);
        Assert.Contains(ended.Fields, f => f.Name == "dwStateTransition" && f.Value == "ST_TOTAL_ABORT");
    }

    [Fact]
    public void A_connect_response_failure_result_is_named()
    {
        var script = new Script();
        script.SendAll();
        StepResult ended = script.Feed(Tpkt(Pdu.Encode(new McsConnectResponse(McsResult.UnspecifiedFailure, 0, DomainParameters.Target, ByteString.Empty))));
        Assert.Equal("connect-response-result:rt-unspecified-failure", ended.Failure!.Cause);
    }

    [Fact]
    public void A_multitransport_offer_is_declined_with_E_ABORT_and_the_wait_goes_on()
    {
        var script = new Script();
        script.ThroughMcs();
        var request = new InitiateMultitransportRequest(7, MultitransportProtocol.UdpFecReliable, new ByteString(new byte[16]));
        StepResult observed = script.Feed(Io([.. Pdu.Encode(new BasicSecurityHeader(SecurityHeaderFlags.TransportReq)), .. Pdu.Encode(request)]));

        Assert.Null(observed.Failure);
        Assert.Equal(SessionState.WaitLicensing, script.Connector.State);
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

        Assert.Equal("redirected", ended.Failure!.Cause);
        Assert.Contains("10.0.0.7", ended.Failure.Reason, StringComparison.Ordinal);
        Assert.Equal(packet, script.Connector.Redirection);
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

        Assert.Equal("no-progress", last!.Failure!.Cause);
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
        Assert.Equal(SessionState.WaitFinalization, script.Connector.State);
    }

    [Fact]
    public void A_garbled_share_pdu_is_malformed_not_an_exception()
    {
        var script = new Script();
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        StepResult ended = script.Feed(Io([0x20, 0x00, 0x11, 0x00, 0xEA, 0x03, 0xFF]));
        Assert.Equal(Causes.MalformedResponse, ended.Failure!.Cause);
    }

    [Fact]
    public void Until_licensing_disconnects_after_the_valid_client_answer()
    {
        var script = new Script(ConnectionPhase.Licensing);
        script.ThroughMcs();
        script.Feed(Licensing(LicenseErrorMessage.ValidClient));
        Assert.Equal(SessionState.Done, script.Connector.State);
        Assert.Equal(ConnectionPhase.Licensing, script.Connector.Reached);
        Assert.Equal(SessionConnector.DisconnectStep, script.Steps[^1].StepName);
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
        Assert.Equal(SessionState.WaitLicensing, script.Connector.State);
    }
}
