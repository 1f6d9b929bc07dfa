using System.Buffers;
using System.Globalization;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Sequence;

/// <summary>What the client sends from the MCS Connect Initial on, and how far it goes.</summary>
public sealed record SessionOptions
{
    /// <summary>
    /// The static virtual channels of CS_NET; by default the four a Windows client asks for (device
    /// redirection, sound, clipboard, dynamic channels), so a server sees a realistic request.
    /// </summary>
    public static IReadOnlyList<ChannelDefinition> DefaultChannels { get; } =
    [
        new("rdpdr", 0x80800000),
        new("rdpsnd", 0xC0000000),
        new("cliprdr", 0xC0A00000),
        new("drdynvc", 0xC0800000),
    ];

    /// <summary>The last phase to complete before disconnecting cleanly (<see cref="ConnectionPhase.Finalization"/>: all of it).</summary>
    public ConnectionPhase Until { get; init; } = ConnectionPhase.Finalization;

    /// <summary>The CS_CORE template; serverSelectedProtocol is filled in from the negotiation.</summary>
    public ClientCoreData Core { get; init; } = new();

    public IReadOnlyList<ChannelDefinition> Channels { get; init; } = DefaultChannels;

    /// <summary>
    /// CS_SECURITY encryptionMethods: 40-, 56-, 128-bit and FIPS (0x1B), as Windows offers them. A server that
    /// selected TLS or CredSSP ignores it.
    /// </summary>
    public uint EncryptionMethods { get; init; } = 0x1B;

    /// <summary>The size bound on any frame received.</summary>
    public int MaxFrameLength { get; init; } = TpktHeader.MaxPacketLength;
}

/// <summary>Where the session part of the sequence stands.</summary>
public enum SessionState
{
    SendConnectInitial,
    WaitConnectResponse,
    SendErectDomain,
    SendAttachUser,
    WaitAttachUserConfirm,
    SendChannelJoin,
    WaitChannelJoinConfirm,
    SendDisconnect,
    Done,
    Failed,
}

/// <summary>What the Basic Settings Exchange and Channel Connection established.</summary>
public sealed record McsResultInfo
{
    public ServerConferenceData? Server { get; init; }

    public ushort? UserChannelId { get; init; }

    public ushort IoChannelId { get; init; } = 1003;

    public ushort? MessageChannelId { get; init; }

    /// <summary>Static channels by name with the IDs the server assigned.</summary>
    public IReadOnlyList<(string Name, ushort Id)> StaticChannels { get; init; } = [];

    /// <summary>The channels joined, in order.</summary>
    public IReadOnlyList<ushort> Joined { get; init; } = [];
}

/// <summary>
/// The client side of the connection sequence after the security protocol is in place (MS-RDPBCGR 1.3.1.1
/// from Basic Settings Exchange on), as a sans-IO state machine over whole frames: the driver feeds it the
/// plaintext frames (decrypted by TLS when TLS is in use) and sends what it writes.
/// </summary>
public sealed class SessionConnector : IConnectionSequence
{
    public const string ConnectInitialStep = "mcs.connect-initial";
    public const string ConnectResponseStep = "mcs.connect-response";
    public const string ErectDomainStep = "mcs.erect-domain";
    public const string AttachUserStep = "mcs.attach-user";
    public const string AttachUserConfirmStep = "mcs.attach-user-confirm";
    public const string ChannelJoinStep = "mcs.channel-join";
    public const string ChannelJoinConfirmStep = "mcs.channel-join-confirm";
    public const string DisconnectStep = "disconnect";

    private readonly SessionOptions _options;
    private readonly SecurityProtocols _selected;
    private readonly SecurityProtocols _requested;
    private readonly Queue<ushort> _toJoin = new();
    private readonly List<ushort> _joined = [];
    private ushort _joining;

    public SessionConnector(SessionOptions options, SecurityProtocols requested, SecurityProtocols selected)
    {
        _options = options;
        _requested = requested;
        _selected = selected;
    }

    public SessionState State { get; private set; } = SessionState.SendConnectInitial;

    public bool IsTerminal => State is SessionState.Done or SessionState.Failed;

    /// <summary>The last phase completed.</summary>
    public ConnectionPhase? Reached { get; private set; }

    public ConnectionPhase Phase => State switch
    {
        _ => ConnectionPhase.Mcs,
    };

    public McsResultInfo Mcs { get; private set; } = new();

    public ProtocolFailure? Failure { get; private set; }

    public FrameHint? NextFrameHint => State switch
    {
        SessionState.WaitConnectResponse => new RdpFrameHint(ConnectResponseStep, McsConnectResponse.PduName, _options.MaxFrameLength),
        SessionState.WaitAttachUserConfirm => new RdpFrameHint(AttachUserConfirmStep, AttachUserConfirm.PduName, _options.MaxFrameLength),
        SessionState.WaitChannelJoinConfirm => new RdpFrameHint(JoinConfirmName(_joining), ChannelJoinConfirm.PduName, _options.MaxFrameLength),
        _ => null,
    };

    public string? NextStepName => State switch
    {
        SessionState.SendConnectInitial => ConnectInitialStep,
        SessionState.SendErectDomain => ErectDomainStep,
        SessionState.SendAttachUser => AttachUserStep,
        SessionState.SendChannelJoin => $"{ChannelJoinStep}.{_toJoin.Peek().ToString(CultureInfo.InvariantCulture)}",
        SessionState.SendDisconnect => DisconnectStep,
        _ => NextFrameHint?.StepName,
    };

    private static string JoinConfirmName(ushort channel) => $"{ChannelJoinConfirmStep}.{channel.ToString(CultureInfo.InvariantCulture)}";

    public StepResult Step(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (NextFrameHint is null && !input.IsEmpty)
        {
            ThrowHelper.ThrowInvalidState("feeding received bytes", State.ToString());
        }

        return State switch
        {
            SessionState.SendConnectInitial => SendConnectInitial(output),
            SessionState.WaitConnectResponse => ReceiveConnectResponse(input),
            SessionState.SendErectDomain => SendErectDomain(output),
            SessionState.SendAttachUser => SendAttachUser(output),
            SessionState.WaitAttachUserConfirm => ReceiveAttachUserConfirm(input),
            SessionState.SendChannelJoin => SendChannelJoin(output),
            SessionState.WaitChannelJoinConfirm => ReceiveChannelJoinConfirm(input),
            SessionState.SendDisconnect => SendDisconnect(output),
            _ => throw new InvalidOperationException($"{nameof(Step)} is not valid in state {State}"),
        };
    }

    public StepResult RejectFrame(DecodeError error)
    {
        FrameHint hint = NextFrameHint ?? throw new InvalidOperationException($"no frame is awaited in state {State}");
        return Fail(hint.StepName, hint.Expecting, [new StepField("error", error.ToString())],
            new ProtocolFailure(Phase, Causes.MalformedResponse, $"the server's answer is not a valid {hint.Expecting}: {error}", error));
    }

    private StepResult SendConnectInitial(IBufferWriter<byte> output)
    {
        ClientCoreData core = _options.Core with { ServerSelectedProtocol = (uint)_selected };
        bool standardSecurity = _selected == SecurityProtocols.Rdp;
        var blocks = new ClientConferenceData(
            core,
            new ClientSecurityData(_options.EncryptionMethods, 0),
            new ClientNetworkData(_options.Channels),
            new ClientClusterData(ClientClusterData.DefaultFlags, 0),
            []);
        byte[] gcc = Pdu.Encode(new GccConferenceCreateRequest(new ByteString(blocks.Encode())));
        int written = WriteData(output, Pdu.Encode(McsConnectInitial.ForRdp(gcc)));
        State = SessionState.WaitConnectResponse;
        var fields = new List<StepField>
        {
            new("CS_CORE.version", $"{UserDataNames.Version(core.Version)} (0x{core.Version:x8})"),
            new("CS_CORE.desktop", $"{core.DesktopWidth}x{core.DesktopHeight}, highColorDepth {core.HighColorDepth}"),
            new("CS_CORE.clientName", core.ClientNameText),
            new("CS_CORE.earlyCapabilityFlags", $"0x{(ushort)(core.EarlyCapabilityFlags ?? 0):x4}"),
            new("CS_CORE.serverSelectedProtocol", $"{NegotiationNames.SpecNames(_selected)} (0x{(uint)_selected:x8})"),
            new("CS_SECURITY.encryptionMethods", $"0x{_options.EncryptionMethods:x8}{(standardSecurity ? string.Empty : " (ignored with TLS)")}"),
            new("CS_NET.channels", _options.Channels.Count == 0 ? "none" : string.Join(", ", _options.Channels.Select(c => c.Name))),
        };
        return new StepResult(ConnectInitialStep, ConnectionPhase.Mcs, written, "MCS Connect Initial PDU with GCC Conference Create Request", fields,
            $"client data for {core.DesktopWidth}x{core.DesktopHeight}, {_options.Channels.Count} static channel(s)");
    }

    private StepResult ReceiveConnectResponse(ReadOnlySpan<byte> frame)
    {
        const string pdu = "MCS Connect Response PDU with GCC Conference Create Response";
        if (ReadData(frame, ConnectResponseStep, pdu, out byte[] mcs) is { } failed)
        {
            return failed;
        }

        DecodeResult<McsConnectResponse> response = Pdu.Decode<McsConnectResponse>(mcs);
        if (!response.IsSuccess)
        {
            return Malformed(ConnectResponseStep, pdu, response.Error);
        }

        var fields = new List<StepField>
        {
            new("result", McsResultNames.Name(response.Value.Result)),
            new("domainParameters", response.Value.DomainParameters.ToString()),
        };
        if (response.Value.Result != McsResult.Successful)
        {
            return Fail(ConnectResponseStep, pdu, fields, new ProtocolFailure(ConnectionPhase.Mcs,
                $"connect-response-result:{McsResultNames.Name(response.Value.Result)}",
                $"the server rejected the client's settings: Connect-Response result {McsResultNames.Name(response.Value.Result)}"));
        }

        DecodeResult<GccConferenceCreateResponse> gcc = Pdu.Decode<GccConferenceCreateResponse>(response.Value.UserData.Span);
        if (!gcc.IsSuccess)
        {
            return Malformed(ConnectResponseStep, pdu, gcc.Error, fields);
        }

        DecodeResult<ServerConferenceData> server = ServerConferenceData.Decode(gcc.Value.UserData.Span);
        if (!server.IsSuccess)
        {
            return Malformed(ConnectResponseStep, pdu, server.Error, fields);
        }

        fields.AddRange(server.Value.Describe());
        ServerConferenceData data = server.Value;
        if (data.Core is null || data.Network is null || data.Security is null)
        {
            string missing = data.Core is null ? "SC_CORE" : data.Network is null ? "SC_NET" : "SC_SECURITY";
            return Fail(ConnectResponseStep, pdu, fields, new ProtocolFailure(ConnectionPhase.Mcs, Causes.MalformedResponse,
                $"the server's GCC Conference Create Response has no {missing} block"));
        }

        // MS-RDPBCGR 3.2.5.3.4: clientRequestedProtocols must echo what the client requested; a difference means
        // something between client and server rewrote the Connection Request (a downgrade).
        if (data.Core.ClientRequestedProtocols is { } echoed && _selected != SecurityProtocols.Rdp && echoed != (uint)_requested)
        {
            return Fail(ConnectResponseStep, pdu, fields, new ProtocolFailure(ConnectionPhase.Mcs, "requested-protocols-mismatch",
                $"the server says the client requested {NegotiationNames.SpecNames((SecurityProtocols)echoed)}, but it requested {NegotiationNames.SpecNames(_requested)}: the Connection Request was altered on the way"));
        }

        if (data.Network.ChannelIds.Count != _options.Channels.Count)
        {
            return Fail(ConnectResponseStep, pdu, fields, new ProtocolFailure(ConnectionPhase.Mcs, Causes.MalformedResponse,
                $"the server assigned {data.Network.ChannelIds.Count} channel ID(s) for {_options.Channels.Count} requested channel(s)"));
        }

        var statics = _options.Channels.Select((c, i) => (c.Name, data.Network.ChannelIds[i])).ToList();
        Mcs = Mcs with
        {
            Server = data,
            IoChannelId = data.Network.McsChannelId,
            MessageChannelId = data.MessageChannel?.MessageChannelId,
            StaticChannels = statics,
        };
        State = SessionState.SendErectDomain;
        return new StepResult(ConnectResponseStep, ConnectionPhase.Mcs, 0, pdu, fields,
            $"{UserDataNames.Version(data.Core.Version)} server, I/O channel {data.Network.McsChannelId}, {statics.Count} static channel(s)");
    }

    private StepResult SendErectDomain(IBufferWriter<byte> output)
    {
        int written = WriteData(output, Pdu.Encode(new ErectDomainRequest()));
        State = SessionState.SendAttachUser;
        return new StepResult(ErectDomainStep, ConnectionPhase.Mcs, written, ErectDomainRequest.PduName, [new StepField("subHeight", "0"), new StepField("subInterval", "0")], "erect domain");
    }

    private StepResult SendAttachUser(IBufferWriter<byte> output)
    {
        int written = WriteData(output, Pdu.Encode(new AttachUserRequest()));
        State = SessionState.WaitAttachUserConfirm;
        return new StepResult(AttachUserStep, ConnectionPhase.Mcs, written, AttachUserRequest.PduName, [], "attach user");
    }

    private StepResult ReceiveAttachUserConfirm(ReadOnlySpan<byte> frame)
    {
        if (ReadDomainPdu(frame, AttachUserConfirmStep, AttachUserConfirm.PduName, DomainMcsPduType.AttachUserConfirm, out byte[] mcs) is { } failed)
        {
            return failed;
        }

        DecodeResult<AttachUserConfirm> confirm = Pdu.Decode<AttachUserConfirm>(mcs);
        if (!confirm.IsSuccess)
        {
            return Malformed(AttachUserConfirmStep, AttachUserConfirm.PduName, confirm.Error);
        }

        var fields = new List<StepField> { new("result", McsResultNames.Name(confirm.Value.Result)) };
        if (confirm.Value.Initiator is { } user)
        {
            fields.Add(new StepField("initiator", $"{user} (user channel)"));
        }

        if (confirm.Value.Result != McsResult.Successful || confirm.Value.Initiator is null)
        {
            return Fail(AttachUserConfirmStep, AttachUserConfirm.PduName, fields, new ProtocolFailure(ConnectionPhase.Mcs,
                $"attach-user-result:{McsResultNames.Name(confirm.Value.Result)}",
                $"the server refused to attach the user: {McsResultNames.Name(confirm.Value.Result)}{(confirm.Value.Initiator is null ? ", no user channel" : string.Empty)}"));
        }

        Mcs = Mcs with { UserChannelId = confirm.Value.Initiator };

        // MS-RDPBCGR 3.2.5.3.8: join the user channel, the I/O channel, the message channel, then each static channel.
        _toJoin.Enqueue(confirm.Value.Initiator.Value);
        _toJoin.Enqueue(Mcs.IoChannelId);
        if (Mcs.MessageChannelId is { } message)
        {
            _toJoin.Enqueue(message);
        }

        foreach ((_, ushort id) in Mcs.StaticChannels)
        {
            _toJoin.Enqueue(id);
        }

        State = SessionState.SendChannelJoin;
        return new StepResult(AttachUserConfirmStep, ConnectionPhase.Mcs, 0, AttachUserConfirm.PduName, fields, $"user channel {confirm.Value.Initiator}");
    }

    private StepResult SendChannelJoin(IBufferWriter<byte> output)
    {
        _joining = _toJoin.Dequeue();
        int written = WriteData(output, Pdu.Encode(new ChannelJoinRequest(Mcs.UserChannelId!.Value, _joining)));
        State = SessionState.WaitChannelJoinConfirm;
        string name = ChannelName(_joining);
        return new StepResult($"{ChannelJoinStep}.{_joining.ToString(CultureInfo.InvariantCulture)}", ConnectionPhase.Mcs, written, ChannelJoinRequest.PduName,
            [new StepField("initiator", Mcs.UserChannelId.Value.ToString(CultureInfo.InvariantCulture)), new StepField("channelId", $"{_joining} ({name})")], $"join {name}");
    }

    private StepResult ReceiveChannelJoinConfirm(ReadOnlySpan<byte> frame)
    {
        string step = JoinConfirmName(_joining);
        if (ReadDomainPdu(frame, step, ChannelJoinConfirm.PduName, DomainMcsPduType.ChannelJoinConfirm, out byte[] mcs) is { } failed)
        {
            return failed;
        }

        DecodeResult<ChannelJoinConfirm> confirm = Pdu.Decode<ChannelJoinConfirm>(mcs);
        if (!confirm.IsSuccess)
        {
            return Malformed(step, ChannelJoinConfirm.PduName, confirm.Error);
        }

        ChannelJoinConfirm value = confirm.Value;
        var fields = new List<StepField>
        {
            new("result", McsResultNames.Name(value.Result)),
            new("requested", value.Requested.ToString(CultureInfo.InvariantCulture)),
            new("channelId", value.ChannelId?.ToString(CultureInfo.InvariantCulture) ?? "absent"),
        };
        if (value.Result != McsResult.Successful || value.Requested != _joining)
        {
            string why = value.Result != McsResult.Successful ? McsResultNames.Name(value.Result) : $"the confirm is for channel {value.Requested}";
            return Fail(step, ChannelJoinConfirm.PduName, fields, new ProtocolFailure(ConnectionPhase.Mcs,
                $"channel-join-result:{McsResultNames.Name(value.Result)}", $"the server refused to join {ChannelName(_joining)}: {why}"));
        }

        _joined.Add(_joining);
        Mcs = Mcs with { Joined = [.. _joined] };
        if (_toJoin.Count > 0)
        {
            State = SessionState.SendChannelJoin;
        }
        else
        {
            Reached = ConnectionPhase.Mcs;
            State = SessionState.SendDisconnect;
        }

        return new StepResult(step, ConnectionPhase.Mcs, 0, ChannelJoinConfirm.PduName, fields, $"joined {ChannelName(_joining)}");
    }

    private StepResult SendDisconnect(IBufferWriter<byte> output)
    {
        int written = WriteData(output, Pdu.Encode(new DisconnectProviderUltimatum(McsDisconnectReason.UserRequested)));
        State = SessionState.Done;
        return new StepResult(DisconnectStep, Reached ?? ConnectionPhase.Mcs, written, DisconnectProviderUltimatum.PduName,
            [new StepField("reason", "rn-user-requested")], $"goal reached ({(Reached ?? ConnectionPhase.Mcs).Name()}): disconnecting cleanly");
    }

    private string ChannelName(ushort id)
    {
        if (id == Mcs.UserChannelId)
        {
            return $"user channel {id}";
        }

        if (id == Mcs.IoChannelId)
        {
            return $"I/O channel {id}";
        }

        if (id == Mcs.MessageChannelId)
        {
            return $"message channel {id}";
        }

        foreach ((string name, ushort channel) in Mcs.StaticChannels)
        {
            if (channel == id)
            {
                return $"{name} channel {id}";
            }
        }

        return $"channel {id}";
    }

    private static int WriteData(IBufferWriter<byte> output, byte[] userData) => Pdu.Encode(new X224Data(new ByteString(userData)), output);

    /// <summary>
    /// Unwraps a TPKT frame into its X.224 Data user data; an X.224 Disconnect Request, a fast-path PDU or
    /// anything else ends the sequence with a failure.
    /// </summary>
    private StepResult? ReadData(ReadOnlySpan<byte> frame, string step, string pdu, out byte[] userData)
    {
        userData = [];
        if (frame.Length > 0 && frame[0] != TpktHeader.Version3)
        {
            return Fail(step, pdu, [new StepField("frame", $"fast-path PDU of {frame.Length} bytes")], new ProtocolFailure(Phase, Causes.UnexpectedPdu,
                $"expected the {pdu}, got a fast-path PDU"));
        }

        if (X224Framing.PeekTpduCode(frame) == (byte)X224TpduCode.DisconnectRequest && Pdu.Decode<X224DisconnectRequest>(frame) is { IsSuccess: true } dr)
        {
            return Fail(step, X224DisconnectRequest.PduName, [new StepField("reason", dr.Value.ReasonName)], new ProtocolFailure(Phase, Causes.DisconnectRequest,
                $"the server ended the connection with an X.224 Disconnect Request ({dr.Value.ReasonName}) instead of the {pdu}"));
        }

        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(frame);
        if (!data.IsSuccess)
        {
            return Malformed(step, pdu, data.Error);
        }

        userData = data.Value.UserData.Span.ToArray();
        if (DomainPdu.PeekType(userData) == DomainMcsPduType.DisconnectProviderUltimatum && Pdu.Decode<DisconnectProviderUltimatum>(userData) is { IsSuccess: true } dpum)
        {
            return Fail(step, DisconnectProviderUltimatum.PduName, [new StepField("reason", dpum.Value.ReasonName)], new ProtocolFailure(Phase,
                $"{Causes.DisconnectUltimatum}:{dpum.Value.ReasonName}",
                $"the server ended the connection with an MCS Disconnect Provider Ultimatum ({dpum.Value.ReasonName}) instead of the {pdu}"));
        }

        return null;
    }

    private StepResult? ReadDomainPdu(ReadOnlySpan<byte> frame, string step, string pdu, DomainMcsPduType expected, out byte[] mcs)
    {
        if (ReadData(frame, step, pdu, out mcs) is { } failed)
        {
            return failed;
        }

        DomainMcsPduType? type = DomainPdu.PeekType(mcs);
        return type == expected
            ? null
            : Fail(step, pdu, [new StepField("domainPdu", type is { } t ? DomainPdu.Name(t) : "empty")], new ProtocolFailure(Phase, Causes.UnexpectedPdu,
                $"expected the {pdu}, got {(type is { } found ? DomainPdu.Name(found) : "an empty X.224 Data TPDU")}"));
    }

    private StepResult Malformed(string step, string pdu, DecodeError error, List<StepField>? fields = null) =>
        Fail(step, pdu, [.. fields ?? [], new StepField("error", error.ToString())], new ProtocolFailure(Phase, Causes.MalformedResponse,
            $"the server's {pdu} does not decode: {error}", error));

    private StepResult Fail(string step, string pdu, IReadOnlyList<StepField> fields, ProtocolFailure failure)
    {
        State = SessionState.Failed;
        Failure = failure;
        return new StepResult(step, failure.Phase, 0, pdu, fields, failure.Reason, failure);
    }
}
