using System.Buffers;
using System.Globalization;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>What a step after the Client Info waits for.</summary>
public enum Awaiting
{
    /// <summary>Licensing: a license error (STATUS_VALID_CLIENT) or a license, after any request and challenge.</summary>
    Licensing,

    /// <summary>The Demand Active (MS-RDPBCGR 2.2.1.13.1).</summary>
    DemandActive,

    /// <summary>The server's finalization PDUs up to the Font Map (MS-RDPBCGR 2.2.1.22).</summary>
    Finalization,
}

/// <summary>What one received frame did to a waiting step.</summary>
public enum Arrival
{
    /// <summary>Nothing the step waits for: recorded (answered when it asks for an answer), the wait goes on.</summary>
    Observed,

    /// <summary>Licensing ended well.</summary>
    LicensingDone,

    /// <summary>The Demand Active arrived (in place of licensing, a server that licenses nobody sends it at once).</summary>
    DemandActive,

    /// <summary>The Font Map arrived: the connection is up.</summary>
    Finalized,

    /// <summary>A Deactivate All during finalization: the capabilities exchange starts again (MS-RDPBCGR 1.3.1.3).</summary>
    Deactivated,

    /// <summary>The frame ends the connection.</summary>
    Failed,
}

/// <summary>What <see cref="ActivationReceiver.Receive"/> found: the step's record, and what it means for the wait.</summary>
public sealed record ArrivalResult(Arrival Arrival, StepResult? Step, Rejection? Rejection = null, string? RejectedStep = null);

/// <summary>
/// Everything the server sends on its channels after the Client Info, as the licensing, capabilities and
/// finalization sequences receive it: the MCS and security layers unwrapped, licensing answered, the share-layer
/// PDUs read, and what arrives in between (error info, logon notices, channel data, auto-detect, multitransport,
/// heartbeats, a redirection) handled the same way whichever step waits.
/// </summary>
public sealed class ActivationReceiver(ConnectionState connection)
{
    public const string LicensingStep = "licensing.license";
    public const string DemandActiveStep = "capabilities.demand-active";
    public const string FontMapStep = "finalization.font-map";
    public const string DeactivateAllStep = "finalization.deactivate-all";

    private int _interleaved;

    /// <summary>Reads one frame for a step waiting in <paramref name="plan"/> for <paramref name="awaiting"/>.</summary>
    public ArrivalResult Receive(Awaiting awaiting, StepPlan plan, ReadOnlySpan<byte> frame, IBufferWriter<byte> output)
    {
        string step = plan.Name;
        if (++_interleaved > connection.Options.Session.MaxInterleavedPdus)
        {
            return Reject(step, new Rejection("PDU", [], new ProtocolFailure(CauseId.NoProgress,
                $"the server sent {connection.Options.Session.MaxInterleavedPdus} PDUs without the one this step waits for")));
        }

        if (frame[0] != TpktHeader.Version3)
        {
            return Observed(Interleaved("session.fast-path", plan.Phase, "fast-path output PDU", [new StepField("length", frame.Length.ToString(CultureInfo.InvariantCulture))],
                $"fast-path update ({frame.Length} bytes)"));
        }

        if (connection.Channel.ReadDomainPdu(frame, "Send Data Indication", DomainMcsPduType.SendDataIndication, out byte[] mcs) is { } rejected)
        {
            return Reject(step, rejected);
        }

        DecodeResult<SendData> data = Pdu.Decode<SendData>(mcs);
        if (!data.IsSuccess)
        {
            return Reject(step, Rejection.Malformed(SendData.PduName, data.Error));
        }

        McsResultInfo channels = connection.Mcs;
        ushort channel = data.Value.ChannelId;
        if (channel != channels.IoChannelId && channel != channels.MessageChannelId && channel != channels.UserChannelId)
        {
            return Observed(Interleaved("session.channel-data", plan.Phase, "virtual channel PDU",
                [new StepField("channel", channels.ChannelName(channel)), new StepField("length", data.Value.UserData.Length.ToString(CultureInfo.InvariantCulture))],
                $"{data.Value.UserData.Length} bytes on {channels.ChannelName(channel)}"));
        }

        if (connection.Channel.Unprotect(data.Value.UserData.Span, out SecurityHeaderFlags? flags, out byte[] plain) is { } unprotected)
        {
            return Reject(step, unprotected);
        }

        SecurityHeaderFlags f = flags ?? 0;
        if ((f & SecurityHeaderFlags.LicensePkt) != 0)
        {
            return ReceiveLicensing(awaiting, plan.Phase, plain, output, channel);
        }

        if ((f & SecurityHeaderFlags.TransportReq) != 0)
        {
            return DeclineMultitransport(plan.Phase, plain, output, channel);
        }

        if ((f & SecurityHeaderFlags.AutodetectReq) != 0)
        {
            return AnswerAutoDetect(plan.Phase, plain, output, channel);
        }

        if ((f & SecurityHeaderFlags.Heartbeat) != 0)
        {
            return Observed(Interleaved("session.heartbeat", plan.Phase, "Heartbeat PDU", [new StepField("flags", $"0x{(ushort)f:x4}")], "heartbeat"));
        }

        if ((f & SecurityHeaderFlags.RedirectionPkt) != 0)
        {
            var redirectionReader = new PduReader(plain);
            DecodeResult<ServerRedirectionPacket> packet = ServerRedirectionPacket.Decode(ref redirectionReader);
            return packet.IsSuccess ? Redirected(step, packet.Value) : Reject(step, Rejection.Malformed(ServerRedirectionPacket.PduName, packet.Error));
        }

        return ReceiveShare(awaiting, plan, plain);
    }

    private ArrivalResult ReceiveShare(Awaiting awaiting, StepPlan plan, byte[] plain)
    {
        string step = plan.Name;
        DecodeResult<IReadOnlyList<SlowPathPdu>> pdus = SlowPathPdu.Decode(plain);
        if (!pdus.IsSuccess)
        {
            return Reject(step, Rejection.Malformed("Share Control PDU", pdus.Error));
        }

        var fields = new List<StepField>();
        var names = new List<string>();
        Awaiting now = awaiting;
        bool demandActive = false;
        bool deactivated = false;
        bool finalized = false;
        foreach (SlowPathPdu pdu in pdus.Value)
        {
            names.Add(pdu.Name);
            switch (pdu)
            {
                case SlowPathPdu.DemandActive demand when now is Awaiting.Licensing or Awaiting.DemandActive && !demandActive:
                    if (now == Awaiting.Licensing)
                    {
                        connection.LicensingOutcome ??= "skipped (the server sent the Demand Active without licensing)";
                        connection.Reach(ConnectionPhase.Licensing);
                    }

                    connection.DemandActive = demand.Pdu;
                    demandActive = true;
                    fields.Add(new StepField("shareId", $"0x{demand.Pdu.ShareId:x8}"));
                    fields.Add(new StepField("sourceDescriptor", System.Text.Encoding.ASCII.GetString(demand.Pdu.SourceDescriptor.Span).TrimEnd('\0')));
                    foreach (CapabilitySet set in demand.Pdu.CapabilitySets)
                    {
                        fields.Add(new StepField($"caps.{CapabilityNames.Name(set.Type)}", string.Join(", ", set.Describe().Select(d => $"{d.Name} {d.Value}"))));
                    }

                    break;
                case SlowPathPdu.DeactivateAll:
                    fields.Add(new StepField("deactivateAll", "the server deactivated the session; a new Demand Active follows"));
                    if (now == Awaiting.Finalization && !finalized)
                    {
                        now = Awaiting.DemandActive;
                        deactivated = true;
                        connection.DemandActive = null;
                        connection.FinalizationReceived.Clear();
                    }

                    break;
                case SlowPathPdu.ServerRedirection:
                    var redirectionReader = new PduReader(plain);
                    DecodeResult<EnhancedSecurityServerRedirection> redirection = EnhancedSecurityServerRedirection.Decode(ref redirectionReader);
                    return redirection.IsSuccess ? Redirected(step, redirection.Value.Packet) : Reject(step, Rejection.Malformed(EnhancedSecurityServerRedirection.PduName, redirection.Error));
                case SlowPathPdu.Data data:
                    finalized |= ReceiveData(data.Pdu, now == Awaiting.Finalization && !finalized, fields);
                    break;
                default:
                    fields.Add(new StepField("pdu", pdu.Name));
                    break;
            }
        }

        string summary = string.Join(", ", names);
        if (demandActive)
        {
            _interleaved = 0;
            return new ArrivalResult(Arrival.DemandActive, new StepResult(DemandActiveStep, ConnectionPhase.Capabilities, summary, fields,
                $"Demand Active with {connection.DemandActive!.CapabilitySets.Count} capability sets"));
        }

        if (finalized)
        {
            _interleaved = 0;
            connection.Reach(ConnectionPhase.Finalization);
            return new ArrivalResult(Arrival.Finalized, new StepResult(FontMapStep, ConnectionPhase.Finalization, summary, fields,
                $"connection finalized: {string.Join(", ", connection.FinalizationReceived)}"));
        }

        if (deactivated)
        {
            _interleaved = 0;
            return new ArrivalResult(Arrival.Deactivated, new StepResult(DeactivateAllStep, ConnectionPhase.Finalization, summary, fields,
                "the server deactivated the session: the capabilities exchange starts again"));
        }

        string name = ObservedStepName(pdus.Value);
        return Observed(new StepResult(name, plan.Phase, summary, fields, summary) { Interleaved = name.StartsWith(SessionPrefix, StringComparison.Ordinal) });
    }

    private const string SessionPrefix = "session.";

    private static string ObservedStepName(IReadOnlyList<SlowPathPdu> pdus) => pdus.Count == 1 && pdus[0] is SlowPathPdu.Data data
        ? data.Pdu.Header.PduType2 switch
        {
            PduType2.SetErrorInfoPdu => "session.error-info",
            PduType2.SaveSessionInfo => "session.save-session-info",
            PduType2.Synchronize or PduType2.Control => "finalization.server",
            _ => "session.data",
        }
        : "session.pdu";

    /// <summary>Handles one Share Data PDU; true when it is the Font Map that finalizes the connection.</summary>
    private bool ReceiveData(ShareDataPdu pdu, bool finalizing, List<StepField> fields)
    {
        switch (pdu.Body)
        {
            case SetErrorInfoPdu error:
                fields.Add(new StepField("errorInfo", $"0x{error.ErrorInfo:x8}"));
                if (error.ErrorInfo != 0)
                {
                    connection.LastErrorInfo = error.ErrorInfo;
                }

                return false;
            case SaveSessionInfoPdu info:
                fields.Add(new StepField("saveSessionInfo", info.InfoTypeName));
                if (info.InfoData is LogonInfoExtended { LogonErrors: { } errors })
                {
                    fields.Add(new StepField("logonError", $"{errors.TypeName}: {errors.DataName}"));
                }
                else if (info.InfoData is LogonInfoV1 v1)
                {
                    fields.Add(new StepField("logon", $"{v1.Domain}\\{v1.UserName}, session {v1.SessionId}"));
                }
                else if (info.InfoData is LogonInfoV2 v2)
                {
                    fields.Add(new StepField("logon", $"{v2.Domain}\\{v2.UserName}, session {v2.SessionId}"));
                }

                return false;
            case SynchronizePdu when finalizing:
                connection.FinalizationReceived.Add("Synchronize");
                fields.Add(new StepField("synchronize", "received"));
                return false;
            case ControlPdu control when finalizing:
                connection.FinalizationReceived.Add($"Control ({control.Action})");
                fields.Add(new StepField("control", control.Action.ToString()));
                return false;
            case FontMapPdu when finalizing:
                connection.FinalizationReceived.Add("Font Map");
                fields.Add(new StepField("fontMap", "received"));
                return true;
            case ShutdownDeniedPdu:
                fields.Add(new StepField("shutdown", "denied"));
                return false;
            default:
                fields.Add(new StepField("data", ShareNames.Name(pdu.Header.PduType2)));
                return false;
        }
    }

    private ArrivalResult ReceiveLicensing(Awaiting awaiting, ConnectionPhase phase, byte[] plain, IBufferWriter<byte> output, ushort channel)
    {
        var reader = new PduReader(plain);
        DecodeResult<LicensingPdu> decoded = LicensingPdu.Decode(ref reader);
        if (!decoded.IsSuccess)
        {
            return Reject(LicensingStep, Rejection.Malformed("licensing PDU", decoded.Error));
        }

        var fields = new List<StepField> { new("bMsgType", LicenseNames.Name(decoded.Value.Preamble.MsgType)) };
        switch (decoded.Value.Message)
        {
            case LicenseErrorMessage error when error.ErrorCode == LicenseErrorCode.StatusValidClient:
                fields.Add(new StepField("dwErrorCode", LicenseNames.Name(error.ErrorCode)));
                fields.Add(new StepField("dwStateTransition", LicenseNames.Name(error.StateTransition)));
                return LicensingDone(awaiting, fields, "STATUS_VALID_CLIENT", "the server needs no license from this client (STATUS_VALID_CLIENT)");
            case LicenseErrorMessage error:
                fields.Add(new StepField("dwErrorCode", $"{LicenseNames.Name(error.ErrorCode)} (0x{(uint)error.ErrorCode:x8})"));
                fields.Add(new StepField("dwStateTransition", LicenseNames.Name(error.StateTransition)));
                fields.Add(new StepField("meaning", LicenseNames.Meaning(error.ErrorCode)));
                connection.LicensingOutcome = LicenseNames.Name(error.ErrorCode);
                return Reject(LicensingStep, new Rejection("License Error PDU", fields, new ProtocolFailure(CauseId.LicenseError,
                    $"the server refused a license: {LicenseNames.Name(error.ErrorCode)} ({LicenseNames.Meaning(error.ErrorCode)}), state transition {LicenseNames.Name(error.StateTransition)}")
                { Detail = LicenseNames.Name(error.ErrorCode), Code = (uint)error.ErrorCode }));
            case ServerLicenseRequest request:
                if (connection.Services.Licensing is not { } licensing)
                {
                    return Reject(LicensingStep, new Rejection("Server License Request PDU", fields, new ProtocolFailure(CauseId.LicenseRequestUnanswered,
                        "the server asks for a license (it has licensing configured) and this client has no licensing provider")));
                }

                ClientNewLicenseRequest? answer = licensing.AnswerLicenseRequest(request, connection.Mcs.Server?.Security?.ServerCertificate ?? ByteString.Empty, out string? problem);
                if (answer is null)
                {
                    return Reject(LicensingStep, new Rejection("Server License Request PDU", fields, new ProtocolFailure(CauseId.LicenseRequestUnanswered,
                        $"the server's License Request cannot be answered: {problem}")));
                }

                fields.Add(new StepField("answer", "Client New License Request"));
                connection.Channel.Send(output, SecurityHeaderFlags.LicensePkt, Pdu.Encode(LicensingPdu.Create(answer)), channel);
                return Observed(new StepResult(LicensingStep, phase, "Server License Request PDU", fields, "the server asks for a license; answered with a New License Request"));
            case ServerPlatformChallenge challenge:
                ClientPlatformChallengeResponse? response = connection.Services.Licensing?.AnswerPlatformChallenge(challenge, out string? _);
                if (response is null)
                {
                    return Reject(LicensingStep, new Rejection("Server Platform Challenge PDU", fields, new ProtocolFailure(CauseId.PlatformChallengeFailed,
                        "the server's Platform Challenge cannot be answered (its MAC does not verify, or no licensing keys)")));
                }

                connection.Channel.Send(output, SecurityHeaderFlags.LicensePkt, Pdu.Encode(LicensingPdu.Create(response)), channel);
                return Observed(new StepResult(LicensingStep, phase, "Server Platform Challenge PDU", fields, "platform challenge answered"));
            case ServerNewLicense or ServerUpgradeLicense:
                return LicensingDone(awaiting, fields, "license issued", "the server issued a client license");
            default:
                return Reject(LicensingStep, new Rejection("licensing PDU", fields, new ProtocolFailure(CauseId.UnexpectedPdu,
                    $"unexpected licensing message {LicenseNames.Name(decoded.Value.Preamble.MsgType)}")));
        }
    }

    private ArrivalResult LicensingDone(Awaiting awaiting, List<StepField> fields, string outcome, string summary)
    {
        connection.LicensingOutcome = outcome;
        connection.Reach(ConnectionPhase.Licensing);
        var result = new StepResult(LicensingStep, ConnectionPhase.Licensing, "License Error PDU", fields, summary);
        if (awaiting != Awaiting.Licensing)
        {
            // Licensing ended long ago: recorded, and the wait goes on.
            return Observed(result);
        }

        _interleaved = 0;
        return new ArrivalResult(Arrival.LicensingDone, result);
    }

    private ArrivalResult DeclineMultitransport(ConnectionPhase phase, byte[] plain, IBufferWriter<byte> output, ushort channel)
    {
        var reader = new PduReader(plain);
        DecodeResult<InitiateMultitransportRequest> request = InitiateMultitransportRequest.Decode(ref reader);
        if (!request.IsSuccess)
        {
            return Reject("session.multitransport", Rejection.Malformed(InitiateMultitransportRequest.PduName, request.Error));
        }

        // MS-RDPBCGR 3.2.5.15.1: a client that does not support the UDP transport answers E_ABORT.
        var response = new InitiateMultitransportResponse(request.Value.RequestId, InitiateMultitransportResponse.EAbort);
        connection.Channel.Send(output, SecurityHeaderFlags.TransportRsp, Pdu.Encode(response), channel);
        return Observed(Interleaved("session.multitransport", phase, InitiateMultitransportRequest.PduName,
            [new StepField("requestId", request.Value.RequestId.ToString(CultureInfo.InvariantCulture)), new StepField("requestedProtocol", request.Value.RequestedProtocol.ToString()), new StepField("answer", "E_ABORT (UDP not used)")],
            "multitransport (UDP) offer declined"));
    }

    /// <summary>
    /// MS-RDPBCGR 2.2.14: an RTT Measure Request is answered at once (its timing is the server's business); the
    /// other auto-detect requests (bandwidth, network characteristics) are recorded and left unanswered, as a
    /// client that did not set SUPPORT_NETCHAR_AUTODETECT may.
    /// </summary>
    private ArrivalResult AnswerAutoDetect(ConnectionPhase phase, byte[] plain, IBufferWriter<byte> output, ushort channel)
    {
        var reader = new PduReader(plain);
        DecodeResult<AutoDetectRequest> request = AutoDetectRequest.Decode(ref reader);
        if (!request.IsSuccess)
        {
            return Reject("session.auto-detect", Rejection.Malformed(AutoDetectRequest.PduName, request.Error));
        }

        var fields = new List<StepField>
        {
            new("requestType", request.Value.RequestTypeName),
            new("sequenceNumber", request.Value.SequenceNumber.ToString(CultureInfo.InvariantCulture)),
        };
        if (!request.Value.IsRttMeasureRequest)
        {
            return Observed(Interleaved("session.auto-detect", phase, AutoDetectRequest.PduName, fields, $"auto-detect {request.Value.RequestTypeName} (not answered)"));
        }

        connection.Channel.Send(output, SecurityHeaderFlags.AutodetectRsp, Pdu.Encode(new RttMeasureResponse(request.Value.SequenceNumber)), channel);
        fields.Add(new StepField("answer", "RTT Measure Response"));
        return Observed(Interleaved("session.auto-detect", phase, AutoDetectRequest.PduName, fields, "RTT measure request answered"));
    }

    private ArrivalResult Redirected(string step, ServerRedirectionPacket packet)
    {
        connection.Redirection = packet;
        var fields = packet.Describe().Select(d => new StepField(d.Name, d.Value)).ToList();
        string target = packet.TargetFqdnText ?? packet.TargetNetAddressText ?? packet.TargetNetBiosNameText ?? "(no target name)";
        return Reject(step, new Rejection(ServerRedirectionPacket.PduName, fields, new ProtocolFailure(CauseId.Redirected,
            $"the server redirects the client to {target} (a connection broker's load balancing); --follow-redirect follows it")));
    }

    private static StepResult Interleaved(string step, ConnectionPhase phase, string pdu, IReadOnlyList<StepField> fields, string summary) =>
        new(step, phase, pdu, fields, summary) { Interleaved = true };

    private static ArrivalResult Observed(StepResult result) => new(Arrival.Observed, result);

    private static ArrivalResult Reject(string step, Rejection rejection) => new(Arrival.Failed, null, rejection, step);
}
