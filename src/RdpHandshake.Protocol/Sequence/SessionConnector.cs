using System.Buffers;
using System.Globalization;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
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

    /// <summary>The domain sent in the Client Info PDU (no password is ever sent: auto-logon stays off).</summary>
    public string Domain { get; init; } = string.Empty;

    /// <summary>The user name sent in the Client Info PDU.</summary>
    public string UserName { get; init; } = string.Empty;

    /// <summary>TS_INFO_PACKET flags: what mstsc sends without auto-logon.</summary>
    public ClientInfoFlags InfoFlags { get; init; } =
        ClientInfoFlags.Mouse | ClientInfoFlags.DisableCtrlAltDel | ClientInfoFlags.Unicode | ClientInfoFlags.MaximizeShell
        | ClientInfoFlags.LogonNotify | ClientInfoFlags.EnableWindowsKey | ClientInfoFlags.LogonErrors | ClientInfoFlags.MouseHasWheel;

    /// <summary>performanceFlags: wallpaper, full-window drag, menu animations, theming and cursor effects off.</summary>
    public PerformanceFlags PerformanceFlags { get; init; } =
        PerformanceFlags.DisableWallpaper | PerformanceFlags.DisableFullWindowDrag | PerformanceFlags.DisableMenuAnimations
        | PerformanceFlags.DisableTheming | PerformanceFlags.DisableCursorShadow | PerformanceFlags.DisableCursorSettings;

    /// <summary>The client address reported in the extended info (informational for the server).</summary>
    public string ClientAddress { get; init; } = "0.0.0.0";

    /// <summary>The cryptography of Standard RDP Security; without it a server that selects PROTOCOL_RDP stops the run after MCS.</summary>
    public IStandardSecurityProvider? StandardSecurity { get; init; }

    /// <summary>Answers a server that asks for a license (License Request, Platform Challenge); without it such a server stops the run.</summary>
    public ILicensingProvider? Licensing { get; init; }

    /// <summary>How many PDUs the server may send that do not advance the sequence, per step, before the run gives up.</summary>
    public int MaxInterleavedPdus { get; init; } = 256;
}

/// <summary>Answers the licensing messages of a server that wants a license (MS-RDPELE), with the cryptography the core cannot do.</summary>
public interface ILicensingProvider
{
    /// <summary>The Client New License Request answering a License Request, or null with <paramref name="problem"/> set.</summary>
    /// <param name="request">The server's License Request.</param>
    /// <param name="standardSecurityCertificate">The server certificate of SC_SECURITY, which Standard RDP Security servers may leave out of the License Request.</param>
    /// <param name="problem">Why there is no answer.</param>
    ClientNewLicenseRequest? AnswerLicenseRequest(ServerLicenseRequest request, ByteString standardSecurityCertificate, out string? problem);

    /// <summary>The Client Platform Challenge Response, or null with <paramref name="problem"/> set (e.g. the server's MAC is wrong).</summary>
    ClientPlatformChallengeResponse? AnswerPlatformChallenge(ServerPlatformChallenge challenge, out string? problem);
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
    SendSecurityExchange,
    SendClientInfo,
    WaitLicensing,
    WaitDemandActive,
    SendConfirmActive,
    SendSynchronize,
    SendControlCooperate,
    SendRequestControl,
    SendFontList,
    WaitFinalization,
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
    public const string SecurityExchangeStep = "security.exchange";
    public const string ClientInfoStep = "security.client-info";
    public const string LicensingStep = "licensing.license";
    public const string DemandActiveStep = "capabilities.demand-active";
    public const string ConfirmActiveStep = "capabilities.confirm-active";
    public const string SynchronizeStep = "finalization.synchronize";
    public const string ControlCooperateStep = "finalization.control-cooperate";
    public const string RequestControlStep = "finalization.request-control";
    public const string FontListStep = "finalization.font-list";
    public const string FontMapStep = "finalization.font-map";
    public const string DisconnectStep = "disconnect";

    /// <summary>The MCS channel of the server in Share Control headers (MS-RDPBCGR 2.2.1.13.2.1 originatorId).</summary>
    public const ushort ServerChannelId = 0x03EA;

    private readonly SessionOptions _options;
    private readonly SecurityProtocols _selected;
    private readonly SecurityProtocols _requested;
    private readonly Queue<ushort> _toJoin = new();
    private readonly List<ushort> _joined = [];
    private ushort _joining;
    private bool _standard;
    private bool _fips;
    private IPacketCipher? _encryptor;
    private IPacketCipher? _decryptor;
    private StandardSecuritySetup? _setup;
    private uint _shareId;
    private int _interleaved;
    private readonly List<string> _finalization = [];

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
        SessionState.SendSecurityExchange or SessionState.SendClientInfo => ConnectionPhase.Security,
        SessionState.WaitLicensing => ConnectionPhase.Licensing,
        SessionState.WaitDemandActive or SessionState.SendConfirmActive => ConnectionPhase.Capabilities,
        SessionState.SendSynchronize or SessionState.SendControlCooperate or SessionState.SendRequestControl
            or SessionState.SendFontList or SessionState.WaitFinalization => ConnectionPhase.Finalization,
        SessionState.SendDisconnect or SessionState.Done => Reached ?? ConnectionPhase.Mcs,
        _ => ConnectionPhase.Mcs,
    };

    public McsResultInfo Mcs { get; private set; } = new();

    /// <summary>True when the server selected Standard RDP Security (PROTOCOL_RDP).</summary>
    public bool StandardSecurity => _standard;

    /// <summary>The encryption method and level of Standard RDP Security (both 0 under TLS or CredSSP).</summary>
    public (EncryptionMethod Method, EncryptionLevel Level) Encryption { get; private set; }

    /// <summary>The last non-zero Set Error Info code the server sent (MS-RDPBCGR 2.2.5.1.1), if any.</summary>
    public uint? LastErrorInfo { get; private set; }

    /// <summary>How licensing ended, e.g. <c>STATUS_VALID_CLIENT</c>.</summary>
    public string? LicensingOutcome { get; private set; }

    /// <summary>The server's Demand Active, once received.</summary>
    public DemandActivePdu? DemandActive { get; private set; }

    /// <summary>The server's finalization PDUs in the order they arrived.</summary>
    public IReadOnlyList<string> FinalizationReceived => _finalization;

    /// <summary>Where the server redirected the client, when it did.</summary>
    public ServerRedirectionPacket? Redirection { get; private set; }

    public ProtocolFailure? Failure { get; private set; }

    public FrameHint? NextFrameHint => State switch
    {
        SessionState.WaitConnectResponse => new RdpFrameHint(ConnectResponseStep, McsConnectResponse.PduName, _options.MaxFrameLength),
        SessionState.WaitAttachUserConfirm => new RdpFrameHint(AttachUserConfirmStep, AttachUserConfirm.PduName, _options.MaxFrameLength),
        SessionState.WaitChannelJoinConfirm => new RdpFrameHint(JoinConfirmName(_joining), ChannelJoinConfirm.PduName, _options.MaxFrameLength),
        SessionState.WaitLicensing => new RdpFrameHint(LicensingStep, "licensing PDU", _options.MaxFrameLength),
        SessionState.WaitDemandActive => new RdpFrameHint(DemandActiveStep, "Demand Active PDU", _options.MaxFrameLength),
        SessionState.WaitFinalization => new RdpFrameHint(FontMapStep, "server finalization PDUs (Synchronize, Control, Font Map)", _options.MaxFrameLength),
        _ => null,
    };

    public string? NextStepName => State switch
    {
        SessionState.SendConnectInitial => ConnectInitialStep,
        SessionState.SendErectDomain => ErectDomainStep,
        SessionState.SendAttachUser => AttachUserStep,
        SessionState.SendChannelJoin => $"{ChannelJoinStep}.{_toJoin.Peek().ToString(CultureInfo.InvariantCulture)}",
        SessionState.SendSecurityExchange => SecurityExchangeStep,
        SessionState.SendClientInfo => ClientInfoStep,
        SessionState.SendConfirmActive => ConfirmActiveStep,
        SessionState.SendSynchronize => SynchronizeStep,
        SessionState.SendControlCooperate => ControlCooperateStep,
        SessionState.SendRequestControl => RequestControlStep,
        SessionState.SendFontList => FontListStep,
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
            SessionState.SendSecurityExchange => SendSecurityExchange(output),
            SessionState.SendClientInfo => SendClientInfo(output),
            SessionState.WaitLicensing or SessionState.WaitDemandActive or SessionState.WaitFinalization => ReceiveSession(input, output),
            SessionState.SendConfirmActive => SendConfirmActive(output),
            SessionState.SendSynchronize => SendShareData(output, SynchronizeStep, new SynchronizePdu(ServerChannelId), SessionState.SendControlCooperate, "Synchronize (target 1002)"),
            SessionState.SendControlCooperate => SendShareData(output, ControlCooperateStep, new ControlPdu(ControlAction.Cooperate), SessionState.SendRequestControl, "Control: cooperate"),
            SessionState.SendRequestControl => SendShareData(output, RequestControlStep, new ControlPdu(ControlAction.RequestControl), SessionState.SendFontList, "Control: request control"),
            SessionState.SendFontList => SendShareData(output, FontListStep, new FontListPdu(), SessionState.WaitFinalization, "Font List (no fonts, first and last)"),
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
        byte[] gcc = Pdu.Encode(new GccConferenceCreateRequest(new ByteString(Pdu.Encode(blocks))));
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

        DecodeResult<ServerConferenceData> server = Pdu.Decode<ServerConferenceData>(gcc.Value.UserData.Span);
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

        _standard = _selected == SecurityProtocols.Rdp;
        Encryption = ((EncryptionMethod)data.Security.EncryptionMethod, (EncryptionLevel)data.Security.EncryptionLevel);
        if (_standard && Encryption.Method != EncryptionMethod.None && data.Security.ServerRandom.IsEmpty)
        {
            return Fail(ConnectResponseStep, pdu, fields, new ProtocolFailure(ConnectionPhase.Security, Causes.MalformedResponse,
                $"the server chose {EncryptionNames.Method(Encryption.Method)} but sent no server random or certificate"));
        }

        if (_standard && Encryption.Method == EncryptionMethod.Fips && ((EncryptionMethod)_options.EncryptionMethods & EncryptionMethod.Fips) == 0)
        {
            return Fail(ConnectResponseStep, pdu, fields, new ProtocolFailure(ConnectionPhase.Security, "fips-required",
                $"the server requires FIPS encryption (level {EncryptionNames.Level(Encryption.Level)}), which the client did not offer (0x{_options.EncryptionMethods:x8})"));
        }

        if (_standard && Encryption.Method != EncryptionMethod.None && (Encryption.Method & (EncryptionMethod)_options.EncryptionMethods) == 0)
        {
            return Fail(ConnectResponseStep, pdu, fields, new ProtocolFailure(ConnectionPhase.Security, "no-common-encryption-method",
                $"the server chose {EncryptionNames.Method(Encryption.Method)}, which the client did not offer (0x{_options.EncryptionMethods:x8})"));
        }

        _fips = Encryption.Method == EncryptionMethod.Fips;
        var statics = _options.Channels.Select((c, i) => (c.Name, data.Network.ChannelIds[i])).ToList();
        Mcs = Mcs with
        {
            Server = data,
            IoChannelId = data.Network.McsChannelId,
            MessageChannelId = data.MessageChannel?.MessageChannelId,
            StaticChannels = statics,
        };
        State = SessionState.SendErectDomain;
        string security = _standard
            ? $", Standard RDP Security {EncryptionNames.Method(Encryption.Method)} at level {EncryptionNames.Level(Encryption.Level)}"
            : string.Empty;
        return new StepResult(ConnectResponseStep, ConnectionPhase.Mcs, 0, pdu, fields,
            $"{UserDataNames.Version(data.Core.Version)} server, I/O channel {data.Network.McsChannelId}, {statics.Count} static channel(s){security}");
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
            State = _options.Until <= ConnectionPhase.Mcs ? SessionState.SendDisconnect
                : _standard && Encryption.Method != EncryptionMethod.None ? SessionState.SendSecurityExchange
                : SessionState.SendClientInfo;
        }

        return new StepResult(step, ConnectionPhase.Mcs, 0, ChannelJoinConfirm.PduName, fields, $"joined {ChannelName(_joining)}");
    }

    private StepResult SendSecurityExchange(IBufferWriter<byte> output)
    {
        ServerSecurityData security = Mcs.Server!.Security!;
        if (_options.StandardSecurity is not { } provider)
        {
            return Fail(SecurityExchangeStep, SecurityExchangePdu.PduName, [], new ProtocolFailure(ConnectionPhase.Security, "standard-security-unavailable",
                "the server selected Standard RDP Security and this client has no cryptography provider for it"));
        }

        var certificateReader = new PduReader(security.ServerCertificate.Span);
        DecodeResult<ServerCertificate> certificate = ServerCertificate.Decode(ref certificateReader);
        if (!certificate.IsSuccess)
        {
            return Fail(SecurityExchangeStep, SecurityExchangePdu.PduName, [new StepField("error", certificate.Error.ToString())], new ProtocolFailure(ConnectionPhase.Security, "server-certificate-invalid",
                $"the server's certificate in SC_SECURITY does not decode: {certificate.Error}", certificate.Error));
        }

        _setup = provider.Establish(Encryption.Method, security.ServerRandom.Span, certificate.Value);
        var fields = new List<StepField>(_setup.Fields)
        {
            new("encryptionLevel", EncryptionNames.Level(Encryption.Level)),
        };
        if (_setup.CertificateProblem is { } problem || _setup.Encryptor is null || _setup.Decryptor is null)
        {
            return Fail(SecurityExchangeStep, SecurityExchangePdu.PduName, fields, new ProtocolFailure(ConnectionPhase.Security, "server-certificate-invalid",
                _setup.CertificateProblem ?? "the server certificate gives no usable key"));
        }

        _encryptor = _setup.Encryptor;
        _decryptor = _setup.Decryptor;
        int written = SendIoRaw(output, Pdu.Encode(new SecurityExchangePdu(_setup.EncryptedClientRandom)));
        State = SessionState.SendClientInfo;
        string weak = EncryptionNames.IsWeak(Encryption.Method) || EncryptionNames.IsWeak(Encryption.Level) ? " (weak)" : string.Empty;
        return new StepResult(SecurityExchangeStep, ConnectionPhase.Security, written, SecurityExchangePdu.PduName, fields,
            $"client random sent; {EncryptionNames.Method(Encryption.Method)}{weak}");
    }

    private StepResult SendClientInfo(IBufferWriter<byte> output)
    {
        var extended = new ExtendedInfoPacket(
            ClientAddressFamily.Inet,
            _options.ClientAddress,
            "rdphs",
            new TimeZoneInformation(0, "Coordinated Universal Time", default, 0, "Coordinated Universal Time", default, 0),
            0,
            _options.PerformanceFlags,
            ByteString.Empty);
        var info = new ClientInfoPacket(0x409, _options.InfoFlags, _options.Domain, _options.UserName, [], string.Empty, string.Empty, extended);
        int written = SendIo(output, SecurityHeaderFlags.InfoPkt, Pdu.Encode(info));
        State = SessionState.WaitLicensing;
        Reached = ConnectionPhase.Security;
        var fields = new List<StepField>
        {
            new("flags", $"0x{(uint)_options.InfoFlags:x8} (no auto-logon)"),
            new("domain", _options.Domain.Length == 0 ? "(empty)" : _options.Domain),
            new("userName", _options.UserName.Length == 0 ? "(empty)" : _options.UserName),
            new("password", "(none)"),
            new("performanceFlags", $"0x{(uint)_options.PerformanceFlags:x8}"),
        };
        return new StepResult(ClientInfoStep, ConnectionPhase.Security, written, "Client Info PDU", fields,
            _options.UserName.Length == 0 ? "client info without user name" : $"client info for {(_options.Domain.Length == 0 ? string.Empty : _options.Domain + "\\")}{_options.UserName}");
    }

    private StepResult SendConfirmActive(IBufferWriter<byte> output)
    {
        DemandActivePdu demand = DemandActive!;
        ushort width = _options.Core.DesktopWidth;
        ushort height = _options.Core.DesktopHeight;
        if (demand.Find(CapabilitySetType.Bitmap)?.Decode<BitmapCapability>() is { IsSuccess: true } bitmap)
        {
            // MS-RDPBCGR 3.2.5.13.2: the client takes the desktop size the server's Demand Active announces.
            (width, height) = (bitmap.Value.DesktopWidth, bitmap.Value.DesktopHeight);
        }

        ValueList<CapabilitySet> capabilities = ClientCapabilities.Create(Math.Clamp(width, (ushort)200, (ushort)8192), Math.Clamp(height, (ushort)200, (ushort)8192), 24);
        ConfirmActivePdu confirm = ClientCapabilities.CreateConfirmActive(demand, Mcs.UserChannelId!.Value, capabilities);
        int written = SendIo(output, 0, Pdu.Encode(confirm));
        Reached = ConnectionPhase.Capabilities;
        State = _options.Until <= ConnectionPhase.Capabilities ? SessionState.SendDisconnect : SessionState.SendSynchronize;
        var fields = new List<StepField>
        {
            new("shareId", $"0x{confirm.ShareId:x8}"),
            new("capabilitySets", string.Join(", ", confirm.CapabilitySets.Select(c => CapabilityNames.Name(c.Type)))),
        };
        return new StepResult(ConfirmActiveStep, ConnectionPhase.Capabilities, written, "Confirm Active PDU", fields,
            $"{confirm.CapabilitySets.Count} capability sets for {width}x{height}");
    }

    private StepResult SendShareData(IBufferWriter<byte> output, string step, ShareDataBody body, SessionState next, string summary)
    {
        var pdu = ShareDataPdu.Create(Mcs.UserChannelId!.Value, _shareId, body);
        int written = SendIo(output, 0, Pdu.Encode(pdu));
        State = next;
        return new StepResult(step, ConnectionPhase.Finalization, written, ShareNames.Name(body.PduType2), [new StepField("shareId", $"0x{_shareId:x8}")], summary);
    }

    /// <summary>
    /// Receives what the server sends on the channels after the Client Info: licensing, the Demand Active,
    /// finalization, and whatever arrives in between (error info, logon notices, channel data, redirection).
    /// </summary>
    private StepResult ReceiveSession(ReadOnlySpan<byte> frame, IBufferWriter<byte> output)
    {
        string step = NextFrameHint!.StepName;
        if (++_interleaved > _options.MaxInterleavedPdus)
        {
            return Fail(step, "PDU", [], new ProtocolFailure(Phase, "no-progress",
                $"the server sent {_options.MaxInterleavedPdus} PDUs without the one this step waits for"));
        }

        if (frame[0] != TpktHeader.Version3)
        {
            return Observed("session.fast-path", "fast-path output PDU", [new StepField("length", frame.Length.ToString(CultureInfo.InvariantCulture))],
                $"fast-path update ({frame.Length} bytes)");
        }

        if (ReadDomainPdu(frame, step, "Send Data Indication", DomainMcsPduType.SendDataIndication, out byte[] mcs) is { } failed)
        {
            return failed;
        }

        DecodeResult<SendData> data = Pdu.Decode<SendData>(mcs);
        if (!data.IsSuccess)
        {
            return Malformed(step, SendData.PduName, data.Error);
        }

        ushort channel = data.Value.ChannelId;
        if (channel != Mcs.IoChannelId && channel != Mcs.MessageChannelId && channel != Mcs.UserChannelId)
        {
            return Observed("session.channel-data", "virtual channel PDU", [new StepField("channel", ChannelName(channel)), new StepField("length", data.Value.UserData.Length.ToString(CultureInfo.InvariantCulture))],
                $"{data.Value.UserData.Length} bytes on {ChannelName(channel)}");
        }

        if (Unprotect(data.Value.UserData.Span, step, out SecurityHeaderFlags? flags, out byte[] plain) is { } unprotectFailure)
        {
            return unprotectFailure;
        }

        SecurityHeaderFlags f = flags ?? 0;
        if ((f & SecurityHeaderFlags.LicensePkt) != 0)
        {
            return ReceiveLicensing(plain, output, channel);
        }

        if ((f & SecurityHeaderFlags.TransportReq) != 0)
        {
            return DeclineMultitransport(plain, output, channel);
        }

        if ((f & SecurityHeaderFlags.AutodetectReq) != 0)
        {
            return AnswerAutoDetect(plain, output, channel);
        }

        if ((f & SecurityHeaderFlags.Heartbeat) != 0)
        {
            return Observed("session.heartbeat", "Heartbeat PDU", [new StepField("flags", $"0x{(ushort)f:x4}")], "heartbeat");
        }

        if ((f & SecurityHeaderFlags.RedirectionPkt) != 0)
        {
            var redirectionReader = new PduReader(plain);
            DecodeResult<ServerRedirectionPacket> packet = ServerRedirectionPacket.Decode(ref redirectionReader);
            return packet.IsSuccess ? Redirected(step, packet.Value) : Malformed(step, ServerRedirectionPacket.PduName, packet.Error);
        }

        return ReceiveShare(plain, step);
    }

    private StepResult ReceiveShare(byte[] plain, string step)
    {
        DecodeResult<IReadOnlyList<SlowPathPdu>> pdus = SlowPathPdu.Decode(plain);
        if (!pdus.IsSuccess)
        {
            return Malformed(step, "Share Control PDU", pdus.Error);
        }

        var fields = new List<StepField>();
        var names = new List<string>();
        SessionState before = State;
        foreach (SlowPathPdu pdu in pdus.Value)
        {
            names.Add(pdu.Name);
            switch (pdu)
            {
                case SlowPathPdu.DemandActive demand when State is SessionState.WaitLicensing or SessionState.WaitDemandActive:
                    if (State == SessionState.WaitLicensing)
                    {
                        LicensingOutcome ??= "skipped (the server sent the Demand Active without licensing)";
                        Reached = ConnectionPhase.Licensing;
                    }

                    DemandActive = demand.Pdu;
                    _shareId = demand.Pdu.ShareId;
                    fields.Add(new StepField("shareId", $"0x{demand.Pdu.ShareId:x8}"));
                    fields.Add(new StepField("sourceDescriptor", System.Text.Encoding.ASCII.GetString(demand.Pdu.SourceDescriptor.Span).TrimEnd('\0')));
                    foreach (CapabilitySet set in demand.Pdu.CapabilitySets)
                    {
                        fields.Add(new StepField($"caps.{CapabilityNames.Name(set.Type)}", string.Join(", ", set.Describe().Select(d => $"{d.Name} {d.Value}"))));
                    }

                    if (_options.Until <= ConnectionPhase.Licensing && State == SessionState.WaitLicensing)
                    {
                        State = SessionState.SendDisconnect;
                    }
                    else
                    {
                        State = SessionState.SendConfirmActive;
                    }

                    break;
                case SlowPathPdu.DeactivateAll:
                    fields.Add(new StepField("deactivateAll", "the server deactivated the session; a new Demand Active follows"));
                    if (State == SessionState.WaitFinalization)
                    {
                        State = SessionState.WaitDemandActive;
                    }

                    break;
                case SlowPathPdu.ServerRedirection:
                    var redirectionReader = new PduReader(plain);
                    DecodeResult<EnhancedSecurityServerRedirection> redirection = EnhancedSecurityServerRedirection.Decode(ref redirectionReader);
                    return redirection.IsSuccess ? Redirected(step, redirection.Value.Packet) : Malformed(step, EnhancedSecurityServerRedirection.PduName, redirection.Error);
                case SlowPathPdu.Data data:
                    if (ReceiveData(data.Pdu, step, fields) is { } dataFailure)
                    {
                        return dataFailure;
                    }

                    break;
                default:
                    fields.Add(new StepField("pdu", pdu.Name));
                    break;
            }
        }

        string summary = string.Join(", ", names);
        if (State == before && State != SessionState.SendDisconnect)
        {
            return Observed(ObservedStepName(pdus.Value), summary, fields, summary);
        }

        _interleaved = 0;
        string name = before switch
        {
            SessionState.WaitFinalization => FontMapStep,
            _ => DemandActive is not null && before is SessionState.WaitLicensing or SessionState.WaitDemandActive ? DemandActiveStep : step,
        };
        return new StepResult(name, before == SessionState.WaitFinalization ? ConnectionPhase.Finalization : ConnectionPhase.Capabilities, 0, summary, fields,
            before == SessionState.WaitFinalization ? $"connection finalized: {string.Join(", ", _finalization)}" : $"Demand Active with {DemandActive!.CapabilitySets.Count} capability sets");
    }

    private static string ObservedStepName(IReadOnlyList<SlowPathPdu> pdus) => pdus.Count == 1 && pdus[0] is SlowPathPdu.Data data
        ? data.Pdu.Header.PduType2 switch
        {
            PduType2.SetErrorInfoPdu => "session.error-info",
            PduType2.SaveSessionInfo => "session.save-session-info",
            PduType2.Synchronize or PduType2.Control => "finalization.server",
            _ => "session.data",
        }
        : "session.pdu";

    /// <summary>Handles one Share Data PDU; returns a failure when it ends the sequence.</summary>
    private StepResult? ReceiveData(ShareDataPdu pdu, string step, List<StepField> fields)
    {
        switch (pdu.Body)
        {
            case SetErrorInfoPdu error:
                fields.Add(new StepField("errorInfo", $"0x{error.ErrorInfo:x8}"));
                if (error.ErrorInfo != 0)
                {
                    LastErrorInfo = error.ErrorInfo;
                }

                return null;
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

                return null;
            case SynchronizePdu when State == SessionState.WaitFinalization:
                _finalization.Add("Synchronize");
                fields.Add(new StepField("synchronize", "received"));
                return null;
            case ControlPdu control when State == SessionState.WaitFinalization:
                _finalization.Add($"Control ({control.Action})");
                fields.Add(new StepField("control", control.Action.ToString()));
                return null;
            case FontMapPdu when State == SessionState.WaitFinalization:
                _finalization.Add("Font Map");
                fields.Add(new StepField("fontMap", "received"));
                Reached = ConnectionPhase.Finalization;
                State = SessionState.SendDisconnect;
                return null;
            case ShutdownDeniedPdu:
                fields.Add(new StepField("shutdown", "denied"));
                return null;
            default:
                fields.Add(new StepField("data", ShareNames.Name(pdu.Header.PduType2)));
                return null;
        }
    }

    private StepResult ReceiveLicensing(byte[] plain, IBufferWriter<byte> output, ushort channel)
    {
        var reader = new PduReader(plain);
        DecodeResult<LicensingPdu> decoded = LicensingPdu.Decode(ref reader);
        if (!decoded.IsSuccess)
        {
            return Malformed(LicensingStep, "licensing PDU", decoded.Error);
        }

        LicensingMessage message = decoded.Value.Message;
        var fields = new List<StepField> { new("bMsgType", LicenseNames.Name(decoded.Value.Preamble.MsgType)) };
        switch (message)
        {
            case LicenseErrorMessage error when error.ErrorCode == LicenseErrorCode.StatusValidClient:
                fields.Add(new StepField("dwErrorCode", LicenseNames.Name(error.ErrorCode)));
                fields.Add(new StepField("dwStateTransition", LicenseNames.Name(error.StateTransition)));
                return LicensingDone(fields, "STATUS_VALID_CLIENT", "the server needs no license from this client (STATUS_VALID_CLIENT)");
            case LicenseErrorMessage error:
                fields.Add(new StepField("dwErrorCode", $"{LicenseNames.Name(error.ErrorCode)} (0x{(uint)error.ErrorCode:x8})"));
                fields.Add(new StepField("dwStateTransition", LicenseNames.Name(error.StateTransition)));
                fields.Add(new StepField("meaning", LicenseNames.Meaning(error.ErrorCode)));
                LicensingOutcome = LicenseNames.Name(error.ErrorCode);
                return Fail(LicensingStep, "License Error PDU", fields, new ProtocolFailure(ConnectionPhase.Licensing,
                    $"license-error:{LicenseNames.Name(error.ErrorCode)}",
                    $"the server refused a license: {LicenseNames.Name(error.ErrorCode)} ({LicenseNames.Meaning(error.ErrorCode)}), state transition {LicenseNames.Name(error.StateTransition)}"));
            case ServerLicenseRequest request:
                if (_options.Licensing is not { } licensing)
                {
                    return Fail(LicensingStep, "Server License Request PDU", fields, new ProtocolFailure(ConnectionPhase.Licensing, "license-request-unanswered",
                        "the server asks for a license (it has licensing configured) and this client has no licensing provider"));
                }

                ClientNewLicenseRequest? answer = licensing.AnswerLicenseRequest(request, Mcs.Server?.Security?.ServerCertificate ?? ByteString.Empty, out string? problem);
                if (answer is null)
                {
                    return Fail(LicensingStep, "Server License Request PDU", fields, new ProtocolFailure(ConnectionPhase.Licensing, "license-request-unanswered",
                        $"the server's License Request cannot be answered: {problem}"));
                }

                fields.Add(new StepField("answer", "Client New License Request"));
                SendIo(output, SecurityHeaderFlags.LicensePkt, Pdu.Encode(LicensingPdu.Create(answer)), channel);
                return Observed(LicensingStep, "Server License Request PDU", fields, "the server asks for a license; answered with a New License Request");
            case ServerPlatformChallenge challenge:
                ClientPlatformChallengeResponse? response = _options.Licensing?.AnswerPlatformChallenge(challenge, out string? challengeProblem) is { } r ? r : null;
                if (response is null)
                {
                    return Fail(LicensingStep, "Server Platform Challenge PDU", fields, new ProtocolFailure(ConnectionPhase.Licensing, "platform-challenge-failed",
                        "the server's Platform Challenge cannot be answered (its MAC does not verify, or no licensing keys)"));
                }

                SendIo(output, SecurityHeaderFlags.LicensePkt, Pdu.Encode(LicensingPdu.Create(response)), channel);
                return Observed(LicensingStep, "Server Platform Challenge PDU", fields, "platform challenge answered");
            case ServerNewLicense or ServerUpgradeLicense:
                return LicensingDone(fields, "license issued", "the server issued a client license");
            default:
                return Fail(LicensingStep, "licensing PDU", fields, new ProtocolFailure(ConnectionPhase.Licensing, Causes.UnexpectedPdu,
                    $"unexpected licensing message {LicenseNames.Name(decoded.Value.Preamble.MsgType)}"));
        }
    }

    private StepResult LicensingDone(List<StepField> fields, string outcome, string summary)
    {
        LicensingOutcome = outcome;
        Reached = ConnectionPhase.Licensing;
        _interleaved = 0;
        State = _options.Until <= ConnectionPhase.Licensing ? SessionState.SendDisconnect : SessionState.WaitDemandActive;
        return new StepResult(LicensingStep, ConnectionPhase.Licensing, 0, "License Error PDU", fields, summary);
    }

    private StepResult DeclineMultitransport(byte[] plain, IBufferWriter<byte> output, ushort channel)
    {
        var reader = new PduReader(plain);
        DecodeResult<InitiateMultitransportRequest> request = InitiateMultitransportRequest.Decode(ref reader);
        if (!request.IsSuccess)
        {
            return Malformed("session.multitransport", InitiateMultitransportRequest.PduName, request.Error);
        }

        // MS-RDPBCGR 3.2.5.15.1: a client that does not support the UDP transport answers E_ABORT.
        var response = new InitiateMultitransportResponse(request.Value.RequestId, InitiateMultitransportResponse.EAbort);
        SendIo(output, SecurityHeaderFlags.TransportRsp, Pdu.Encode(response), channel);
        return Observed("session.multitransport", InitiateMultitransportRequest.PduName,
            [new StepField("requestId", request.Value.RequestId.ToString(CultureInfo.InvariantCulture)), new StepField("requestedProtocol", request.Value.RequestedProtocol.ToString()), new StepField("answer", "E_ABORT (UDP not used)")],
            "multitransport (UDP) offer declined");
    }

    /// <summary>
    /// MS-RDPBCGR 2.2.14: an RTT Measure Request is answered at once (its timing is the server's business); the
    /// other auto-detect requests (bandwidth, network characteristics) are recorded and left unanswered, as a
    /// client that did not set SUPPORT_NETCHAR_AUTODETECT may.
    /// </summary>
    private StepResult AnswerAutoDetect(byte[] plain, IBufferWriter<byte> output, ushort channel)
    {
        var reader = new PduReader(plain);
        DecodeResult<AutoDetectRequest> request = AutoDetectRequest.Decode(ref reader);
        if (!request.IsSuccess)
        {
            return Malformed("session.auto-detect", AutoDetectRequest.PduName, request.Error);
        }

        var fields = new List<StepField>
        {
            new("requestType", request.Value.RequestTypeName),
            new("sequenceNumber", request.Value.SequenceNumber.ToString(CultureInfo.InvariantCulture)),
        };
        if (!request.Value.IsRttMeasureRequest)
        {
            return Observed("session.auto-detect", AutoDetectRequest.PduName, fields, $"auto-detect {request.Value.RequestTypeName} (not answered)");
        }

        SendIo(output, SecurityHeaderFlags.AutodetectRsp, Pdu.Encode(new RttMeasureResponse(request.Value.SequenceNumber)), channel);
        fields.Add(new StepField("answer", "RTT Measure Response"));
        return Observed("session.auto-detect", AutoDetectRequest.PduName, fields, "RTT measure request answered");
    }

    private StepResult Redirected(string step, ServerRedirectionPacket packet)
    {
        Redirection = packet;
        var fields = packet.Describe().Select(d => new StepField(d.Name, d.Value)).ToList();
        string target = packet.TargetFqdnText ?? packet.TargetNetAddressText ?? packet.TargetNetBiosNameText ?? "(no target name)";
        return Fail(step, ServerRedirectionPacket.PduName, fields, new ProtocolFailure(Phase, "redirected",
            $"the server redirects the client to {target} (a connection broker's load balancing); --follow-redirect follows it"));
    }

    /// <summary>A PDU that does not advance the sequence: recorded as its own step, the wait goes on.</summary>
    private StepResult Observed(string step, string pdu, IReadOnlyList<StepField> fields, string summary) =>
        new(step, Phase, 0, pdu, fields, summary);

    /// <summary>Wraps a PDU for the I/O channel with the security header the mode needs, inside a Send Data Request.</summary>
    private int SendIo(IBufferWriter<byte> output, SecurityHeaderFlags flags, byte[] payload, ushort? channel = null) =>
        SendIoRaw(output, Protect(flags, payload), channel);

    private int SendIoRaw(IBufferWriter<byte> output, byte[] userData, ushort? channel = null) =>
        WriteData(output, Pdu.Encode(SendData.Request(Mcs.UserChannelId!.Value, channel ?? Mcs.IoChannelId, userData)));

    /// <summary>
    /// MS-RDPBCGR 5.3.8 and 5.4: under Standard RDP Security every PDU after the Security Exchange carries a
    /// security header and is encrypted; under TLS only the PDUs that need flags carry a basic header.
    /// </summary>
    private byte[] Protect(SecurityHeaderFlags flags, byte[] payload)
    {
        if (!_standard || _encryptor is null)
        {
            return flags == 0 && !_standard ? payload : [.. Pdu.Encode(new BasicSecurityHeader(flags)), .. payload];
        }

        byte[] cipher = _encryptor.Encrypt(payload, salted: false, out byte[] signature);
        byte[] header = _fips
            ? Pdu.Encode(new FipsSecurityHeader(flags | SecurityHeaderFlags.Encrypt, 0, (byte)(cipher.Length - payload.Length), new ByteString(signature)))
            : Pdu.Encode(new NonFipsSecurityHeader(flags | SecurityHeaderFlags.Encrypt, 0, new ByteString(signature)));
        return [.. header, .. cipher];
    }

    /// <summary>Removes the security header (and decrypts) what the server sent on the I/O or message channel.</summary>
    private StepResult? Unprotect(ReadOnlySpan<byte> data, string step, out SecurityHeaderFlags? flags, out byte[] plain)
    {
        flags = null;
        plain = [];
        if (!_standard && LooksLikeShareControl(data))
        {
            plain = data.ToArray();
            return null;
        }

        var reader = new PduReader(data);
        if (!_standard || (data.Length >= 2 && ((SecurityHeaderFlags)(data[0] | (data[1] << 8)) & SecurityHeaderFlags.Encrypt) == 0) || _decryptor is null)
        {
            DecodeResult<BasicSecurityHeader> basic = BasicSecurityHeader.Decode(ref reader);
            if (!basic.IsSuccess)
            {
                return Malformed(step, BasicSecurityHeader.PduName, basic.Error);
            }

            flags = basic.Value.Flags;
            plain = reader.RemainingSpan.ToArray();
            return null;
        }

        bool ok;
        if (_fips)
        {
            DecodeResult<FipsSecurityHeader> header = FipsSecurityHeader.Decode(ref reader);
            if (!header.IsSuccess)
            {
                return Malformed(step, FipsSecurityHeader.PduName, header.Error);
            }

            flags = header.Value.Flags;
            ok = _decryptor.TryDecrypt(reader.RemainingSpan, header.Value.DataSignature.Span, false, out plain, header.Value.PadLength);
        }
        else
        {
            DecodeResult<NonFipsSecurityHeader> header = NonFipsSecurityHeader.Decode(ref reader);
            if (!header.IsSuccess)
            {
                return Malformed(step, NonFipsSecurityHeader.PduName, header.Error);
            }

            flags = header.Value.Flags;
            ok = _decryptor.TryDecrypt(reader.RemainingSpan, header.Value.DataSignature.Span, (header.Value.Flags & SecurityHeaderFlags.SecureChecksum) != 0, out plain);
        }

        return ok
            ? null
            : Fail(step, "encrypted PDU", [new StepField("flags", $"0x{(ushort)flags:x4}")], new ProtocolFailure(ConnectionPhase.Security, "decrypt-failed",
                "a PDU from the server does not decrypt with the session keys (its MAC signature is wrong): the two sides derived different keys, or the stream was altered"));
    }

    /// <summary>
    /// Under TLS a PDU on the I/O channel is either a Share Control PDU (no security header) or a PDU with a
    /// basic security header (licensing, multitransport, auto-detect): a Share Control header announces a
    /// totalLength that fits the data and a TS_PROTOCOL_VERSION pduType.
    /// </summary>
    private static bool LooksLikeShareControl(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4)
        {
            return false;
        }

        int totalLength = data[0] | (data[1] << 8);
        if (totalLength == ShareControlHeader.FlowPduMarker)
        {
            return true;
        }

        int pduType = data[2] | (data[3] << 8);
        return totalLength >= 4 && totalLength <= data.Length && (pduType >> 4) == 1 && (pduType & 0xF) is 1 or 3 or 6 or 7 or 0xA;
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
            if (LastErrorInfo is { } errorInfo)
            {
                return Fail(step, DisconnectProviderUltimatum.PduName, [new StepField("reason", dpum.Value.ReasonName), new StepField("errorInfo", $"0x{errorInfo:x8}")], new ProtocolFailure(Phase,
                    $"{Causes.ServerErrorInfo}:0x{errorInfo:x8}",
                    $"the server ended the connection (Disconnect Provider Ultimatum {dpum.Value.ReasonName}) after a Set Error Info PDU with code 0x{errorInfo:x8}"));
            }

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
