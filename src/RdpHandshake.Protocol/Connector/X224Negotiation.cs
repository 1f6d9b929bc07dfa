using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// Connection Initiation (MS-RDPBCGR 1.3.1.1, 3.2.5.3.1-2): the X.224 Connection Request with the security
/// protocols offered, and the server's Connection Confirm with the one it selected, or why it refused.
/// </summary>
public sealed class X224Negotiation(ConnectionState connection) : Sequence<X224Negotiation.Steps>(Steps.SendConnectionRequest)
{
    public const string ConnectionRequestStep = "x224.request";
    public const string ConnectionConfirmStep = "x224.confirm";

    private X224ConnectionRequest? _request;

    public enum Steps
    {
        SendConnectionRequest,
        WaitConnectionConfirm,
    }

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendConnectionRequest => new StepPlan(ConnectionRequestStep, ConnectionPhase.X224, null, FrameLayer.Transport),
        // A Connection Confirm cannot exceed what its one-byte length indicator describes (259 bytes), so a larger
        // TPKT length is rejected at once instead of waiting for bytes that would be invalid anyway.
        Steps.WaitConnectionConfirm => new StepPlan(ConnectionConfirmStep, ConnectionPhase.X224,
            new TpktFrameHint(ConnectionConfirmStep, X224ConnectionConfirm.PduName, Math.Min(connection.Options.Negotiation.MaxFrameLength, X224Framing.MaxConnectionPduSize), NonRdpAnswer.PeekLength),
            FrameLayer.Transport),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendConnectionRequest => SendConnectionRequest(output),
        Steps.WaitConnectionConfirm => ReceiveConnectionConfirm(input),
    };

    private StepResult SendConnectionRequest(IBufferWriter<byte> output)
    {
        _request = connection.Options.Negotiation.BuildConnectionRequest();
        Pdu.Encode(_request, output);
        State = Steps.WaitConnectionConfirm;

        var fields = new List<StepField> { new("tpdu", "CR (0xe0)") };
        if (_request.RoutingToken is { } token)
        {
            fields.Add(new StepField("routingToken", token));
        }

        if (_request.Cookie is { } cookie)
        {
            fields.Add(new StepField("cookie", X224ConnectionRequest.CookiePrefix + cookie));
        }

        string summary;
        if (_request.NegotiationRequest is { } negReq)
        {
            fields.Add(new StepField("rdpNegReq.flags", NegotiationNames.FlagNames(negReq.Flags)));
            fields.Add(new StepField("requestedProtocols", $"{NegotiationNames.SpecNames(negReq.RequestedProtocols)} (0x{(uint)negReq.RequestedProtocols:x8})"));
            summary = $"requested {NegotiationNames.SpecNames(negReq.RequestedProtocols)}";
        }
        else
        {
            fields.Add(new StepField("rdpNegReq", "absent (legacy request: Standard RDP Security)"));
            summary = "legacy request without RDP_NEG_REQ";
        }

        if (_request.CorrelationInfo is { } correlation)
        {
            fields.Add(new StepField("correlationId", correlation.CorrelationId.ToString()));
        }

        return new StepResult(ConnectionRequestStep, ConnectionPhase.X224, X224ConnectionRequest.PduName, fields, summary);
    }

    private StepResult ReceiveConnectionConfirm(ReadOnlySpan<byte> frame)
    {
        SecurityProtocols requested = _request?.NegotiationRequest?.RequestedProtocols ?? SecurityProtocols.Rdp;
        bool requestSent = _request?.NegotiationRequest is not null;

        byte? code = X224Framing.PeekTpduCode(frame);
        if (code == (byte)X224TpduCode.DisconnectRequest && Pdu.Decode<X224DisconnectRequest>(frame) is { IsSuccess: true } dr)
        {
            return Fail([new("tpdu", "DR (0x80)"), new("reason", $"{dr.Value.Reason} ({dr.Value.ReasonName})")], X224DisconnectRequest.PduName,
                new ProtocolFailure(CauseId.X224DisconnectRequest,
                    $"the server refused the connection with an X.224 Disconnect Request (reason {dr.Value.Reason}: {dr.Value.ReasonName})"));
        }

        if (code == (byte)X224TpduCode.Data && TryDecodeUltimatum(frame) is { } ultimatum)
        {
            return Fail([new("tpdu", "DT (0xf0)"), new("mcsPdu", "DisconnectProviderUltimatum"), new("reason", ultimatum.ReasonName)], DisconnectProviderUltimatum.PduName,
                new ProtocolFailure(CauseId.DisconnectUltimatum,
                    $"the server answered the Connection Request with an MCS Disconnect Provider Ultimatum ({ultimatum.ReasonName}) instead of a Connection Confirm")
                { Detail = ultimatum.ReasonName });
        }

        DecodeResult<X224ConnectionConfirm> decoded = Pdu.Decode<X224ConnectionConfirm>(frame);
        if (!decoded.IsSuccess)
        {
            DecodeError error = decoded.Error;
            CauseId cause = error.Kind == DecodeErrorKind.UnexpectedMessageType && error.Field == "code" ? CauseId.UnexpectedPdu : CauseId.MalformedResponse;
            return Fail([new("error", error.ToString())], X224ConnectionConfirm.PduName,
                new ProtocolFailure(cause, $"expected an X.224 Connection Confirm: {error}") { DecodeError = error });
        }

        X224ConnectionConfirm cc = decoded.Value;
        var fields = new List<StepField>
        {
            new("tpdu", "CC (0xd0)"),
            new("srcRef", $"0x{cc.SrcRef:x4}"),
        };

        if (cc.Failure is { } failure)
        {
            fields.Add(new StepField("rdpNegData", "RDP_NEG_FAILURE"));
            fields.Add(new StepField("failureCode", $"{NegotiationNames.Name(failure.FailureCode)} (0x{(uint)failure.FailureCode:x8})"));
            fields.Add(new StepField("meaning", NegotiationNames.Meaning(failure.FailureCode)));
            connection.Negotiation = new NegotiationResult(requested, requestSent, null, NegotiationResponseFlags.None, failure.FailureCode, true);
            string reason = $"the server refused {NegotiationNames.SpecNames(requested)}: {NegotiationNames.Name(failure.FailureCode)}, {NegotiationNames.Meaning(failure.FailureCode)}";
            // HYBRID_REQUIRED_BY_SERVER is an X.224 answer that says something about NLA: its own cause, in this phase.
            ProtocolFailure refused = failure.FailureCode == NegotiationFailureCode.HybridRequiredByServer
                ? new ProtocolFailure(CauseId.NlaRequired, reason) { Code = (uint)failure.FailureCode }
                : new ProtocolFailure(CauseId.NegotiationFailure, reason) { Detail = NegotiationNames.Name(failure.FailureCode), Code = (uint)failure.FailureCode };
            return Fail(fields, RdpNegotiationFailure.PduName, refused);
        }

        SecurityProtocols selected;
        NegotiationResponseFlags flags = NegotiationResponseFlags.None;
        if (cc.Response is { } response)
        {
            selected = response.SelectedProtocol;
            flags = response.Flags;
            fields.Add(new StepField("rdpNegData", "RDP_NEG_RSP"));
            fields.Add(new StepField("rdpNegRsp.flags", $"{NegotiationNames.FlagNames(flags)} (0x{(byte)flags:x2})"));
            fields.Add(new StepField("selectedProtocol", $"{NegotiationNames.SpecNames(selected)} (0x{(uint)selected:x8})"));
        }
        else
        {
            // MS-RDPBCGR 3.2.5.3.2: no negotiation data means the server uses Standard RDP Security.
            selected = SecurityProtocols.Rdp;
            fields.Add(new StepField("rdpNegData", "absent (server uses Standard RDP Security)"));
        }

        connection.Negotiation = new NegotiationResult(requested, requestSent, selected, flags, null, cc.Response is not null);

        bool selectedOne = selected == SecurityProtocols.Rdp || (System.Numerics.BitOperations.PopCount((uint)selected) == 1 && (selected & requested) == selected);
        if (!selectedOne)
        {
            return Fail(fields, RdpNegotiationResponse.PduName, new ProtocolFailure(CauseId.ProtocolNotRequested,
                $"the server selected {NegotiationNames.SpecNames(selected)}, which is not one of the requested {NegotiationNames.SpecNames(requested)}"));
        }

        connection.Reach(ConnectionPhase.X224);
        Complete();
        string summary = cc.Response is null ? "no negotiation data: Standard RDP Security" : $"selected {NegotiationNames.SpecNames(selected)}";
        return new StepResult(ConnectionConfirmStep, ConnectionPhase.X224, X224ConnectionConfirm.PduName, fields, summary);
    }

    /// <summary>
    /// An answer that is not even TPKT: when its first bytes are another protocol's (an HTTP status line, an SSH banner, a
    /// TLS record, an SMB message), the port serves that protocol, and the failure says which; otherwise it is malformed.
    /// </summary>
    public override StepResult RejectFrame(DecodeError error, ReadOnlySpan<byte> received)
    {
        if (State == Steps.WaitConnectionConfirm && NonRdpAnswer.Recognise(received) is { } other)
        {
            return Fail([new("answer", other.Answer), new("protocol", other.Protocol), new("error", error.ToString())], $"{other.Protocol} answer",
                new ProtocolFailure(CauseId.NotRdp, $"the port answered {other.Answer}: {other.Service}, not RDP") { Detail = other.Protocol, DecodeError = error });
        }

        return base.RejectFrame(error, received);
    }

    private StepResult Fail(IReadOnlyList<StepField> fields, string pdu, ProtocolFailure failure) =>
        Fail(ConnectionConfirmStep, ConnectionPhase.X224, pdu, fields, failure);

    private static DisconnectProviderUltimatum? TryDecodeUltimatum(ReadOnlySpan<byte> frame)
    {
        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(frame);
        if (!data.IsSuccess)
        {
            return null;
        }

        DecodeResult<DisconnectProviderUltimatum> dpum = Pdu.Decode<DisconnectProviderUltimatum>(data.Value.UserData.Span);
        return dpum.IsSuccess ? dpum.Value : null;
    }
}
