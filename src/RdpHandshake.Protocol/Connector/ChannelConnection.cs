using System.Buffers;
using System.Globalization;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// Basic Settings Exchange and Channel Connection (MS-RDPBCGR 1.3.1.1, 3.2.5.3.3-3.2.5.3.9): the MCS Connect
/// Initial with the client data blocks and the server's Connect Response, Erect Domain, Attach User, and one
/// Channel Join per channel (user, I/O, message, each static channel).
/// </summary>
public sealed class ChannelConnection(ConnectionState connection) : Sequence<ChannelConnection.Steps>(Steps.SendConnectInitial)
{
    public const string ConnectInitialStep = "mcs.connect-initial";
    public const string ConnectResponseStep = "mcs.connect-response";
    public const string ErectDomainStep = "mcs.erect-domain";
    public const string AttachUserStep = "mcs.attach-user";
    public const string AttachUserConfirmStep = "mcs.attach-user-confirm";
    public const string ChannelJoinStep = "mcs.channel-join";
    public const string ChannelJoinConfirmStep = "mcs.channel-join-confirm";

    private const string ConnectResponsePdu = "MCS Connect Response PDU with GCC Conference Create Response";

    private readonly Queue<ushort> _toJoin = new();
    private readonly List<ushort> _joined = [];
    private ushort _joining;

    public enum Steps
    {
        SendConnectInitial,
        WaitConnectResponse,
        SendErectDomain,
        SendAttachUser,
        WaitAttachUserConfirm,
        SendChannelJoin,
        WaitChannelJoinConfirm,
    }

    private SessionOptions Options => connection.Options.Session;

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendConnectInitial => Sending(ConnectInitialStep),
        Steps.WaitConnectResponse => Receiving(ConnectResponseStep, McsConnectResponse.PduName),
        Steps.SendErectDomain => Sending(ErectDomainStep),
        Steps.SendAttachUser => Sending(AttachUserStep),
        Steps.WaitAttachUserConfirm => Receiving(AttachUserConfirmStep, AttachUserConfirm.PduName),
        Steps.SendChannelJoin => Sending($"{ChannelJoinStep}.{_toJoin.Peek().ToString(CultureInfo.InvariantCulture)}"),
        Steps.WaitChannelJoinConfirm => Receiving(JoinConfirmName(_joining), ChannelJoinConfirm.PduName),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendConnectInitial => SendConnectInitial(output),
        Steps.WaitConnectResponse => ReceiveConnectResponse(input),
        Steps.SendErectDomain => SendErectDomain(output),
        Steps.SendAttachUser => SendAttachUser(output),
        Steps.WaitAttachUserConfirm => ReceiveAttachUserConfirm(input),
        Steps.SendChannelJoin => SendChannelJoin(output),
        Steps.WaitChannelJoinConfirm => ReceiveChannelJoinConfirm(input),
    };

    private StepPlan Sending(string name) => new(name, ConnectionPhase.Mcs, null, connection.Layer);

    private StepPlan Receiving(string name, string pdu) => new(name, ConnectionPhase.Mcs, new RdpFrameHint(name, pdu, Options.MaxFrameLength), connection.Layer);

    private static string JoinConfirmName(ushort channel) => $"{ChannelJoinConfirmStep}.{channel.ToString(CultureInfo.InvariantCulture)}";

    private StepResult SendConnectInitial(IBufferWriter<byte> output)
    {
        SecurityProtocols selected = connection.Selected;
        ClientCoreData core = Options.Core with { ServerSelectedProtocol = (uint)selected };
        bool standardSecurity = selected == SecurityProtocols.Rdp;
        var blocks = new ClientConferenceData(
            core,
            new ClientSecurityData(Options.EncryptionMethods, 0),
            new ClientNetworkData(Options.Channels),
            new ClientClusterData(ClientClusterData.DefaultFlags, 0),
            []);
        byte[] gcc = Pdu.Encode(new GccConferenceCreateRequest(new ByteString(Pdu.Encode(blocks))));
        IoChannel.WriteData(output, Pdu.Encode(McsConnectInitial.ForRdp(gcc)));
        connection.McsStarted = true;
        State = Steps.WaitConnectResponse;
        var fields = new List<StepField>
        {
            new("CS_CORE.version", $"{UserDataNames.Version(core.Version)} (0x{core.Version:x8})"),
            new("CS_CORE.desktop", $"{core.DesktopWidth}x{core.DesktopHeight}, highColorDepth {core.HighColorDepth}"),
            new("CS_CORE.clientName", core.ClientNameText),
            new("CS_CORE.earlyCapabilityFlags", $"0x{(ushort)(core.EarlyCapabilityFlags ?? 0):x4}"),
            new("CS_CORE.serverSelectedProtocol", $"{NegotiationNames.SpecNames(selected)} (0x{(uint)selected:x8})"),
            new("CS_SECURITY.encryptionMethods", $"0x{Options.EncryptionMethods:x8}{(standardSecurity ? string.Empty : " (ignored with TLS)")}"),
            new("CS_NET.channels", Options.Channels.Count == 0 ? "none" : string.Join(", ", Options.Channels.Select(c => c.Name))),
        };
        return new StepResult(ConnectInitialStep, ConnectionPhase.Mcs, "MCS Connect Initial PDU with GCC Conference Create Request", fields,
            $"client data for {core.DesktopWidth}x{core.DesktopHeight}, {Options.Channels.Count} static channel(s)");
    }

    private StepResult ReceiveConnectResponse(ReadOnlySpan<byte> frame)
    {
        if (connection.Channel.ReadData(frame, ConnectResponsePdu, out byte[] mcs) is { } rejected)
        {
            return Fail(ConnectResponseStep, rejected);
        }

        DecodeResult<McsConnectResponse> response = Pdu.Decode<McsConnectResponse>(mcs);
        if (!response.IsSuccess)
        {
            return Fail(ConnectResponseStep, Rejection.Malformed(ConnectResponsePdu, response.Error));
        }

        var fields = new List<StepField>
        {
            new("result", McsResultNames.Name(response.Value.Result)),
            new("domainParameters", response.Value.DomainParameters.ToString()),
        };
        if (response.Value.Result != McsResult.Successful)
        {
            return Fail(ConnectResponseStep, new Rejection(ConnectResponsePdu, fields, new ProtocolFailure(CauseId.ConnectResponseResult,
                $"the server rejected the client's settings: Connect-Response result {McsResultNames.Name(response.Value.Result)}")
            { Detail = McsResultNames.Name(response.Value.Result), Code = (uint)response.Value.Result }));
        }

        DecodeResult<GccConferenceCreateResponse> gcc = Pdu.Decode<GccConferenceCreateResponse>(response.Value.UserData.Span);
        if (!gcc.IsSuccess)
        {
            return Fail(ConnectResponseStep, Rejection.Malformed(ConnectResponsePdu, gcc.Error, fields));
        }

        DecodeResult<ServerConferenceData> server = Pdu.Decode<ServerConferenceData>(gcc.Value.UserData.Span);
        if (!server.IsSuccess)
        {
            return Fail(ConnectResponseStep, Rejection.Malformed(ConnectResponsePdu, server.Error, fields));
        }

        fields.AddRange(server.Value.Describe());
        ServerConferenceData data = server.Value;
        if (data.Core is null || data.Network is null || data.Security is null)
        {
            string missing = data.Core is null ? "SC_CORE" : data.Network is null ? "SC_NET" : "SC_SECURITY";
            return Refuse(fields, CauseId.MalformedResponse, $"the server's GCC Conference Create Response has no {missing} block");
        }

        SecurityProtocols selected = connection.Selected;
        SecurityProtocols requested = connection.Negotiation?.Requested ?? SecurityProtocols.Rdp;
        // MS-RDPBCGR 3.2.5.3.4: clientRequestedProtocols must echo what the client requested; a difference means
        // something between client and server rewrote the Connection Request (a downgrade).
        if (data.Core.ClientRequestedProtocols is { } echoed && selected != SecurityProtocols.Rdp && echoed != (uint)requested)
        {
            return Refuse(fields, CauseId.RequestedProtocolsMismatch,
                $"the server says the client requested {NegotiationNames.SpecNames((SecurityProtocols)echoed)}, but it requested {NegotiationNames.SpecNames(requested)}: the Connection Request was altered on the way");
        }

        if (data.Network.ChannelIds.Count != Options.Channels.Count)
        {
            return Refuse(fields, CauseId.MalformedResponse,
                $"the server assigned {data.Network.ChannelIds.Count} channel ID(s) for {Options.Channels.Count} requested channel(s)");
        }

        bool standard = selected == SecurityProtocols.Rdp;
        var encryption = ((EncryptionMethod)data.Security.EncryptionMethod, (EncryptionLevel)data.Security.EncryptionLevel);
        connection.StandardSecurity = standard;
        connection.Encryption = encryption;
        if (standard && encryption.Item1 != EncryptionMethod.None && data.Security.ServerRandom.IsEmpty)
        {
            return Refuse(fields, CauseId.MalformedResponse, $"the server chose {EncryptionNames.Method(encryption.Item1)} but sent no server random or certificate");
        }

        if (standard && encryption.Item1 == EncryptionMethod.Fips && ((EncryptionMethod)Options.EncryptionMethods & EncryptionMethod.Fips) == 0)
        {
            return Refuse(fields, CauseId.FipsRequired,
                $"the server requires FIPS encryption (level {EncryptionNames.Level(encryption.Item2)}), which the client did not offer (0x{Options.EncryptionMethods:x8})");
        }

        if (standard && encryption.Item1 != EncryptionMethod.None && (encryption.Item1 & (EncryptionMethod)Options.EncryptionMethods) == 0)
        {
            return Refuse(fields, CauseId.NoCommonEncryptionMethod,
                $"the server chose {EncryptionNames.Method(encryption.Item1)}, which the client did not offer (0x{Options.EncryptionMethods:x8})");
        }

        var statics = Options.Channels.Select((c, i) => (c.Name, data.Network.ChannelIds[i])).ToList();
        connection.Mcs = connection.Mcs with
        {
            Server = data,
            IoChannelId = data.Network.McsChannelId,
            MessageChannelId = data.MessageChannel?.MessageChannelId,
            StaticChannels = statics,
        };
        State = Steps.SendErectDomain;
        string security = standard
            ? $", Standard RDP Security {EncryptionNames.Method(encryption.Item1)} at level {EncryptionNames.Level(encryption.Item2)}"
            : string.Empty;
        return new StepResult(ConnectResponseStep, ConnectionPhase.Mcs, ConnectResponsePdu, fields,
            $"{UserDataNames.Version(data.Core.Version)} server, I/O channel {data.Network.McsChannelId}, {statics.Count} static channel(s){security}");
    }

    private StepResult Refuse(IReadOnlyList<StepField> fields, CauseId cause, string reason) =>
        Fail(ConnectResponseStep, new Rejection(ConnectResponsePdu, fields, new ProtocolFailure(cause, reason)));

    private StepResult SendErectDomain(IBufferWriter<byte> output)
    {
        IoChannel.WriteData(output, Pdu.Encode(new ErectDomainRequest()));
        State = Steps.SendAttachUser;
        return new StepResult(ErectDomainStep, ConnectionPhase.Mcs, ErectDomainRequest.PduName, [new StepField("subHeight", "0"), new StepField("subInterval", "0")], "erect domain");
    }

    private StepResult SendAttachUser(IBufferWriter<byte> output)
    {
        IoChannel.WriteData(output, Pdu.Encode(new AttachUserRequest()));
        State = Steps.WaitAttachUserConfirm;
        return new StepResult(AttachUserStep, ConnectionPhase.Mcs, AttachUserRequest.PduName, [], "attach user");
    }

    private StepResult ReceiveAttachUserConfirm(ReadOnlySpan<byte> frame)
    {
        if (connection.Channel.ReadDomainPdu(frame, AttachUserConfirm.PduName, DomainMcsPduType.AttachUserConfirm, out byte[] mcs) is { } rejected)
        {
            return Fail(AttachUserConfirmStep, rejected);
        }

        DecodeResult<AttachUserConfirm> confirm = Pdu.Decode<AttachUserConfirm>(mcs);
        if (!confirm.IsSuccess)
        {
            return Fail(AttachUserConfirmStep, Rejection.Malformed(AttachUserConfirm.PduName, confirm.Error));
        }

        var fields = new List<StepField> { new("result", McsResultNames.Name(confirm.Value.Result)) };
        if (confirm.Value.Initiator is { } user)
        {
            fields.Add(new StepField("initiator", $"{user} (user channel)"));
        }

        if (confirm.Value.Result != McsResult.Successful || confirm.Value.Initiator is null)
        {
            return Fail(AttachUserConfirmStep, new Rejection(AttachUserConfirm.PduName, fields, new ProtocolFailure(CauseId.AttachUserResult,
                $"the server refused to attach the user: {McsResultNames.Name(confirm.Value.Result)}{(confirm.Value.Initiator is null ? ", no user channel" : string.Empty)}")
            { Detail = McsResultNames.Name(confirm.Value.Result), Code = (uint)confirm.Value.Result }));
        }

        connection.Mcs = connection.Mcs with { UserChannelId = confirm.Value.Initiator };

        // MS-RDPBCGR 3.2.5.3.8: join the user channel, the I/O channel, the message channel, then each static channel.
        var joins = new List<ushort> { confirm.Value.Initiator.Value, connection.Mcs.IoChannelId };
        if (connection.Mcs.MessageChannelId is { } message)
        {
            joins.Add(message);
        }

        foreach ((_, ushort id) in connection.Mcs.StaticChannels)
        {
            joins.Add(id);
        }

        foreach (ushort id in connection.Services.ChannelJoinOrder?.Invoke(joins) ?? joins)
        {
            _toJoin.Enqueue(id);
        }

        if (_toJoin.Count == 0)
        {
            // No join at all (a client that skips them, MS-RDPBCGR 3.2.5.3.8 and RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED).
            connection.Reach(ConnectionPhase.Mcs);
            Complete();
        }
        else
        {
            State = Steps.SendChannelJoin;
        }

        return new StepResult(AttachUserConfirmStep, ConnectionPhase.Mcs, AttachUserConfirm.PduName, fields, $"user channel {confirm.Value.Initiator}");
    }

    private StepResult SendChannelJoin(IBufferWriter<byte> output)
    {
        _joining = _toJoin.Dequeue();
        ushort user = connection.Mcs.UserChannelId!.Value;
        IoChannel.WriteData(output, Pdu.Encode(new ChannelJoinRequest(user, _joining)));
        State = Steps.WaitChannelJoinConfirm;
        string name = connection.Mcs.ChannelName(_joining);
        return new StepResult($"{ChannelJoinStep}.{_joining.ToString(CultureInfo.InvariantCulture)}", ConnectionPhase.Mcs, ChannelJoinRequest.PduName,
            [new StepField("initiator", user.ToString(CultureInfo.InvariantCulture)), new StepField("channelId", $"{_joining} ({name})")], $"join {name}");
    }

    private StepResult ReceiveChannelJoinConfirm(ReadOnlySpan<byte> frame)
    {
        string step = JoinConfirmName(_joining);
        if (connection.Channel.ReadDomainPdu(frame, ChannelJoinConfirm.PduName, DomainMcsPduType.ChannelJoinConfirm, out byte[] mcs) is { } rejected)
        {
            return Fail(step, rejected);
        }

        DecodeResult<ChannelJoinConfirm> confirm = Pdu.Decode<ChannelJoinConfirm>(mcs);
        if (!confirm.IsSuccess)
        {
            return Fail(step, Rejection.Malformed(ChannelJoinConfirm.PduName, confirm.Error));
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
            return Fail(step, new Rejection(ChannelJoinConfirm.PduName, fields, new ProtocolFailure(CauseId.ChannelJoinResult,
                $"the server refused to join {connection.Mcs.ChannelName(_joining)}: {why}")
            { Detail = McsResultNames.Name(value.Result), Code = (uint)value.Result }));
        }

        _joined.Add(_joining);
        connection.Mcs = connection.Mcs with { Joined = [.. _joined] };
        if (_toJoin.Count > 0)
        {
            State = Steps.SendChannelJoin;
        }
        else
        {
            connection.Reach(ConnectionPhase.Mcs);
            Complete();
        }

        return new StepResult(step, ConnectionPhase.Mcs, ChannelJoinConfirm.PduName, fields, $"joined {connection.Mcs.ChannelName(_joining)}");
    }

    private StepResult Fail(string step, Rejection rejection) => Fail(step, ConnectionPhase.Mcs, rejection);
}
