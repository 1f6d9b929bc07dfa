using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Sequence;

/// <summary>Where the client side of the connection sequence stands.</summary>
public enum ClientConnectorState
{
    /// <summary>Next: send the X.224 Connection Request (no input needed).</summary>
    SendConnectionRequest,

    /// <summary>Next: receive the X.224 Connection Confirm.</summary>
    WaitConnectionConfirm,

    /// <summary>Connection Initiation is complete: <see cref="ClientConnector.Negotiation"/> holds the selected protocol.</summary>
    ConnectionInitiated,

    /// <summary>The sequence cannot go on: <see cref="ClientConnector.Failure"/> says why.</summary>
    Failed,
}

/// <summary>What the client offers in the X.224 Connection Request.</summary>
public sealed record ClientConnectorOptions
{
    /// <summary>The requestedProtocols of RDP_NEG_REQ; the default is what current Windows clients offer.</summary>
    public SecurityProtocols RequestedProtocols { get; init; } = SecurityProtocols.Ssl | SecurityProtocols.Hybrid | SecurityProtocols.HybridEx;

    /// <summary>Send RDP_NEG_REQ at all; without it the server falls back to Standard RDP Security (pre-5.2 client).</summary>
    public bool SendNegotiationRequest { get; init; } = true;

    public NegotiationRequestFlags RequestFlags { get; init; }

    /// <summary>The <c>Cookie: mstshash=</c> identifier, or null to send none.</summary>
    public string? Cookie { get; init; }

    /// <summary>A routing token (without CR LF), or null to send none.</summary>
    public string? RoutingToken { get; init; }

    /// <summary>When set, an RDP_NEG_CORRELATION_INFO is sent and CORRELATION_INFO_PRESENT is set.</summary>
    public Guid? CorrelationId { get; init; }

    /// <summary>The size bound on any frame received.</summary>
    public int MaxFrameLength { get; init; } = TpktHeader.MaxPacketLength;

    /// <summary>Builds the Connection Request these options describe.</summary>
    public X224ConnectionRequest BuildConnectionRequest()
    {
        NegotiationRequestFlags flags = RequestFlags;
        RdpCorrelationInfo? correlation = null;
        if (CorrelationId is { } id && SendNegotiationRequest)
        {
            flags |= NegotiationRequestFlags.CorrelationInfoPresent;
            correlation = new RdpCorrelationInfo(id);
        }

        return new X224ConnectionRequest(
            Cookie,
            RoutingToken,
            SendNegotiationRequest ? new RdpNegotiationRequest(RequestedProtocols, flags) : null,
            correlation);
    }
}

/// <summary>The result of Connection Initiation (MS-RDPBCGR 1.3.1.1, first phase).</summary>
/// <param name="Requested">What the client asked for.</param>
/// <param name="RequestSent">Whether an RDP_NEG_REQ was sent at all.</param>
/// <param name="Selected">What the server selected; null after a failure.</param>
/// <param name="ResponseFlags">RDP_NEG_RSP flags.</param>
/// <param name="FailureCode">RDP_NEG_FAILURE code, when the server refused.</param>
/// <param name="ServerSentNegotiationData">False for a server that answers without RDP_NEG_RSP/RDP_NEG_FAILURE.</param>
public sealed record NegotiationResult(
    SecurityProtocols Requested,
    bool RequestSent,
    SecurityProtocols? Selected,
    NegotiationResponseFlags ResponseFlags,
    NegotiationFailureCode? FailureCode,
    bool ServerSentNegotiationData);

/// <summary>What one <see cref="ClientConnector.Step"/> did.</summary>
/// <param name="StepName">Timeline name, e.g. <c>x224.request</c>.</param>
/// <param name="Phase">The phase the step belongs to.</param>
/// <param name="BytesWritten">Bytes written to the output for the peer (0 for a receiving step).</param>
/// <param name="Pdu">The PDU sent or received, by its spec name.</param>
/// <param name="Fields">Decoded fields, in wire order.</param>
/// <param name="Summary">One line for humans.</param>
/// <param name="Failure">Set when this step ended the sequence.</param>
public sealed record StepResult(
    string StepName,
    ConnectionPhase Phase,
    int BytesWritten,
    string Pdu,
    IReadOnlyList<StepField> Fields,
    string Summary,
    ProtocolFailure? Failure = null);

/// <summary>
/// The client side of the RDP connection sequence as a sans-IO state machine: feed it whole received frames
/// (sized by <see cref="NextFrameHint"/>), and it writes what to send next into an <see cref="IBufferWriter{T}"/>.
/// It reads no clock and touches no socket, so the same instance runs over TCP, in memory, or in a fuzzer.
/// </summary>
public sealed class ClientConnector : IConnectionSequence
{
    public const string ConnectionRequestStep = "x224.request";
    public const string ConnectionConfirmStep = "x224.confirm";

    private readonly ClientConnectorOptions _options;
    private X224ConnectionRequest? _request;

    public ClientConnector(ClientConnectorOptions options)
    {
        _options = options;
    }

    public ClientConnectorState State { get; private set; } = ClientConnectorState.SendConnectionRequest;

    /// <summary>True once no further step is possible.</summary>
    public bool IsTerminal => State is ClientConnectorState.ConnectionInitiated or ClientConnectorState.Failed;

    /// <summary>The phase the next step belongs to (or the last one, once terminal).</summary>
    public ConnectionPhase Phase => ConnectionPhase.X224;

    /// <summary>The frame the next step needs, or null when the next step only sends (or the sequence is over).</summary>
    public FrameHint? NextFrameHint => State == ClientConnectorState.WaitConnectionConfirm
        // A Connection Confirm cannot exceed what its one-byte length indicator describes (259 bytes), so a
        // larger TPKT length is rejected at once instead of waiting for bytes that would be invalid anyway.
        ? new TpktFrameHint(ConnectionConfirmStep, X224ConnectionConfirm.PduName, Math.Min(_options.MaxFrameLength, X224Framing.MaxConnectionPduSize))
        : null;

    /// <summary>The timeline name of the next step.</summary>
    public string? NextStepName => State switch
    {
        ClientConnectorState.SendConnectionRequest => ConnectionRequestStep,
        ClientConnectorState.WaitConnectionConfirm => ConnectionConfirmStep,
        _ => null,
    };

    public NegotiationResult? Negotiation { get; private set; }

    public ProtocolFailure? Failure { get; private set; }

    /// <summary>
    /// True once Connection Initiation selected a protocol that runs inside TLS (PROTOCOL_SSL, HYBRID,
    /// HYBRID_EX, RDSTLS): the next bytes on the wire are a TLS handshake, which the engine runs.
    /// </summary>
    public bool RequiresTls => State == ClientConnectorState.ConnectionInitiated
        && Negotiation?.Selected is SecurityProtocols.Ssl or SecurityProtocols.Hybrid or SecurityProtocols.HybridEx or SecurityProtocols.RdsTls;

    /// <summary>
    /// Runs one step: with empty <paramref name="input"/> when <see cref="NextFrameHint"/> is null (a sending
    /// step), else with exactly one frame as sized by the hint.
    /// </summary>
    public StepResult Step(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        switch (State)
        {
            case ClientConnectorState.SendConnectionRequest:
                if (!input.IsEmpty)
                {
                    ThrowHelper.ThrowInvalidState("feeding received bytes", State.ToString());
                }

                return SendConnectionRequest(output);
            case ClientConnectorState.WaitConnectionConfirm:
                return ReceiveConnectionConfirm(input);
            default:
                ThrowHelper.ThrowInvalidState(nameof(Step), State.ToString());
                return null!;
        }
    }

    /// <summary>
    /// Ends the sequence because the frame awaited by <see cref="NextFrameHint"/> could not even be sized
    /// (e.g. a wrong TPKT version or a length over the bound).
    /// </summary>
    public StepResult RejectFrame(DecodeError error)
    {
        FrameHint hint = NextFrameHint ?? throw new InvalidOperationException($"no frame is awaited in state {State}");
        return Fail(hint.StepName, hint.Expecting, [new StepField("error", error.ToString())],
            new ProtocolFailure(Phase, Causes.MalformedResponse, $"the server's answer is not a valid {hint.Expecting}: {error}", error));
    }

    private StepResult SendConnectionRequest(IBufferWriter<byte> output)
    {
        _request = _options.BuildConnectionRequest();
        int written = Pdu.Encode(_request, output);
        State = ClientConnectorState.WaitConnectionConfirm;

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

        return new StepResult(ConnectionRequestStep, Phase, written, X224ConnectionRequest.PduName, fields, summary);
    }

    private StepResult ReceiveConnectionConfirm(ReadOnlySpan<byte> frame)
    {
        SecurityProtocols requested = _request?.NegotiationRequest?.RequestedProtocols ?? SecurityProtocols.Rdp;
        bool requestSent = _request?.NegotiationRequest is not null;

        byte? code = X224Framing.PeekTpduCode(frame);
        if (code == (byte)X224TpduCode.DisconnectRequest)
        {
            DecodeResult<X224DisconnectRequest> dr = Pdu.Decode<X224DisconnectRequest>(frame);
            if (dr.IsSuccess)
            {
                var drFields = new List<StepField>
                {
                    new("tpdu", "DR (0x80)"),
                    new("reason", $"{dr.Value.Reason} ({dr.Value.ReasonName})"),
                };
                return Fail(ConnectionConfirmStep, X224DisconnectRequest.PduName, drFields,
                    new ProtocolFailure(Phase, Causes.DisconnectRequest,
                        $"the server refused the connection with an X.224 Disconnect Request (reason {dr.Value.Reason}: {dr.Value.ReasonName})"));
            }
        }

        if (code == (byte)X224TpduCode.Data && TryDecodeUltimatum(frame) is { } ultimatum)
        {
            var dpumFields = new List<StepField>
            {
                new("tpdu", "DT (0xf0)"),
                new("mcsPdu", "DisconnectProviderUltimatum"),
                new("reason", ultimatum.ReasonName),
            };
            return Fail(ConnectionConfirmStep, DisconnectProviderUltimatum.PduName, dpumFields,
                new ProtocolFailure(Phase, Causes.DisconnectProviderUltimatum,
                    $"the server answered the Connection Request with an MCS Disconnect Provider Ultimatum ({ultimatum.ReasonName}) instead of a Connection Confirm"));
        }

        DecodeResult<X224ConnectionConfirm> decoded = Pdu.Decode<X224ConnectionConfirm>(frame);
        if (!decoded.IsSuccess)
        {
            DecodeError error = decoded.Error;
            string cause = error.Kind == DecodeErrorKind.UnexpectedMessageType && error.Field == "code"
                ? Causes.UnexpectedPdu
                : Causes.MalformedResponse;
            return Fail(ConnectionConfirmStep, X224ConnectionConfirm.PduName, [new StepField("error", error.ToString())],
                new ProtocolFailure(Phase, cause, $"expected an X.224 Connection Confirm: {error}", error));
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
            Negotiation = new NegotiationResult(requested, requestSent, null, NegotiationResponseFlags.None, failure.FailureCode, true);
            return Fail(ConnectionConfirmStep, RdpNegotiationFailure.PduName, fields,
                new ProtocolFailure(Phase, Causes.ForNegotiationFailure(failure.FailureCode),
                    $"the server refused {NegotiationNames.SpecNames(requested)}: {NegotiationNames.Name(failure.FailureCode)}, {NegotiationNames.Meaning(failure.FailureCode)}"));
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

        Negotiation = new NegotiationResult(requested, requestSent, selected, flags, null, cc.Response is not null);

        bool selectedOne = selected == SecurityProtocols.Rdp || (System.Numerics.BitOperations.PopCount((uint)selected) == 1 && (selected & requested) == selected);
        if (!selectedOne)
        {
            return Fail(ConnectionConfirmStep, RdpNegotiationResponse.PduName, fields,
                new ProtocolFailure(Phase, Causes.ProtocolNotRequested,
                    $"the server selected {NegotiationNames.SpecNames(selected)}, which is not one of the requested {NegotiationNames.SpecNames(requested)}"));
        }

        State = ClientConnectorState.ConnectionInitiated;
        string summary = cc.Response is null
            ? "no negotiation data: Standard RDP Security"
            : $"selected {NegotiationNames.SpecNames(selected)}";
        return new StepResult(ConnectionConfirmStep, Phase, 0, X224ConnectionConfirm.PduName, fields, summary);
    }

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

    private StepResult Fail(string stepName, string pdu, IReadOnlyList<StepField> fields, ProtocolFailure failure)
    {
        State = ClientConnectorState.Failed;
        Failure = failure;
        return new StepResult(stepName, Phase, 0, pdu, fields, failure.Reason, failure);
    }
}
