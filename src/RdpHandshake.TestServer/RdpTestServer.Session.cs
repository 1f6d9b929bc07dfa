using System.Security.Cryptography;
using Org.BouncyCastle.Tls;
using RdpHandshake.Crypto.StandardSecurity;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.X224;
using ProprietaryCertificate = RdpHandshake.Protocol.Security.ServerCertificate;

namespace RdpHandshake.TestServer;

/// <summary>
/// The rest of the connection sequence after the security layer (MS-RDPBCGR 1.3.1.1): Basic Settings Exchange,
/// Channel Connection, Security Commencement, Secure Settings Exchange, Licensing, Capabilities Exchange and
/// Connection Finalization, served as a Windows server does, with a fault at each step that waits for the server.
/// </summary>
public sealed partial class RdpTestServer
{
    /// <summary>The MCS channel of the server (the pduSource and initiator of its PDUs).</summary>
    public const ushort ServerChannelId = 1002;

    /// <summary>The MCS I/O channel announced in TS_UD_SC_NET.</summary>
    public const ushort IoChannelId = 1003;

    /// <summary>The node ID of the GCC Conference Create Response, as Windows sends it (0x79F3 above 1001).</summary>
    private const ushort GccNodeId = GccConferenceCreateResponse.MinNodeId + 0x79F3;

    /// <summary>The domain parameters a Windows server answers with (MS-RDPBCGR 4.1.4).</summary>
    private static readonly DomainParameters AnsweredDomainParameters = new(34, 3, 0, 1, 0, 1, 0xFFF8, 2);

    /// <summary>Raised when a connection reaches a new stage, while it is still open (e.g. to stop a real client).</summary>
    public event Action<ServerConnectionRecord>? StageReached;

    private void Reach(ServerConnectionRecord record, ServerStage stage)
    {
        if (stage > record.Stage)
        {
            record.Stage = stage;
            StageReached?.Invoke(record);
        }
    }

    /// <summary>What one connection agreed on, for the steps that follow.</summary>
    private sealed class Session(IFrameStream stream, ILink link, ServerConnectionRecord record)
    {
        public IFrameStream Stream { get; } = stream;

        public ILink Link { get; } = link;

        public ServerConnectionRecord Record { get; } = record;

        public ServerSecurityLayer Security { get; set; } = ServerSecurityLayer.Plain;

        public ushort UserChannel { get; set; }

        public bool ErrorInfoSupported { get; set; }

        public uint ShareId { get; set; }

        /// <summary>The frames of the last answer sent through a fault point (at first, the X.224 Connection Confirm).</summary>
        public byte[][] LastAnswer { get; set; } = [];
    }

    /// <summary>Serves everything after the X.224 exchange (and TLS/CredSSP when selected) on <paramref name="stream"/>.</summary>
    private async Task ServeSessionAsync(ILink link, IFrameStream stream, ServerConnectionRecord record, bool standardSecurity, SecurityProtocols requested, CancellationToken cancellationToken)
    {
        var session = new Session(stream, link, record);
        if (record.Answer is { } confirm)
        {
            session.LastAnswer = [Pdu.Encode(confirm)];
        }

        record.SecurityLayer = standardSecurity ? "rdp" : "tls";
        try
        {
            await ServeSessionStepsAsync(session, standardSecurity, requested, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            session.Security.Dispose();
        }
    }

    private async Task ServeSessionStepsAsync(Session session, bool standardSecurity, SecurityProtocols requested, CancellationToken cancellationToken)
    {
        ServerConnectionRecord record = session.Record;

        // 1. MCS Connect Initial with the GCC Conference Create Request and the client data blocks.
        byte[]? connectInitial = await ReadMcsAsync(session, "the MCS Connect Initial", cancellationToken).ConfigureAwait(false);
        if (connectInitial is null)
        {
            return;
        }

        if (standardSecurity && record.BytesAfterNegotiation.Length == 0)
        {
            record.BytesAfterNegotiation = connectInitial.Length <= MaxBytesKeptAfterNegotiation ? connectInitial : connectInitial[..MaxBytesKeptAfterNegotiation];
        }

        DecodeResult<ClientConferenceData> decoded = DecodeConnectInitial(connectInitial);
        if (!decoded.IsSuccess)
        {
            // MS-RDPBCGR 3.3.5.3.3: a malformed Connect Initial drops the connection.
            record.Ending = $"dropped a malformed MCS Connect Initial: {decoded.Error}";
            return;
        }

        ClientConferenceData client = decoded.Value;
        record.ClientName = client.Core.ClientNameText;
        record.ClientVersion = client.Core.Version;
        record.ServerSelectedProtocol = client.Core.ServerSelectedProtocol;
        record.EarlyCapabilityFlags = client.Core.EarlyCapabilityFlags;
        var clientMethods = (EncryptionMethod)(client.Security.EncryptionMethods != 0 ? client.Security.EncryptionMethods : client.Security.ExtEncryptionMethods);
        record.ClientEncryptionMethods = clientMethods;
        IReadOnlyList<ChannelDefinition> channels = client.Network?.Channels ?? [];
        record.RequestedChannels = [.. channels.Select(c => c.Name)];
        session.ErrorInfoSupported = (client.Core.EarlyCapabilityFlags & ClientEarlyCapabilities.SupportErrInfoPdu) != 0;
        Reach(record, ServerStage.McsConnectInitialReceived);

        // 2. MCS Connect Response: SC_CORE, SC_NET, SC_SECURITY and optionally SC_MCS_MSGCHANNEL.
        EncryptionLevel level = standardSecurity ? _options.StandardSecurityLevel : EncryptionLevel.None;
        EncryptionMethod? method = standardSecurity ? ChooseMethod(clientMethods, _options.AllowedEncryptionMethods, level) : EncryptionMethod.None;
        ushort[] channelIds = [.. Enumerable.Range(IoChannelId + 1, channels.Count).Select(i => (ushort)i)];
        ushort next = (ushort)(IoChannelId + 1 + channels.Count);
        ushort? messageChannel = _options.SendMessageChannel ? next++ : null;
        session.UserChannel = next;
        byte[] serverRandom = RandomNumberGenerator.GetBytes(ServerSecurityData.ServerRandomSize);
        RdpServerKeyPair? keyPair = null;
        ServerSecurityData security = new(0, 0, ByteString.Empty, ByteString.Empty);
        if (method is { } chosen && chosen != EncryptionMethod.None)
        {
            (keyPair, byte[] certificate) = await StandardSecurityKeyAsync().ConfigureAwait(false);
            security = new ServerSecurityData((uint)chosen, (uint)level, new ByteString(serverRandom), new ByteString(certificate));
        }
        else if (standardSecurity && method == EncryptionMethod.None)
        {
            level = EncryptionLevel.None;
        }

        record.SelectedEncryptionMethod = method;
        record.SelectedEncryptionLevel = level;
        var serverData = new ServerConferenceData(
            new ServerCoreData(_options.RdpVersion, (uint)requested, _options.ServerEarlyCapabilityFlags),
            security,
            new ServerNetworkData(IoChannelId, channelIds),
            messageChannel is { } m ? new ServerMessageChannelData(m) : null,
            null,
            []);
        byte[] ConnectResponse(McsResult result) => McsFrame(Pdu.Encode(new McsConnectResponse(
            result, 0, AnsweredDomainParameters,
            new ByteString(Pdu.Encode(new GccConferenceCreateResponse(GccNodeId, 1, 0, new ByteString(Pdu.Encode(serverData))))))));

        if (method is null)
        {
            await session.Stream.WriteAsync(ConnectResponse(McsResult.ParametersUnacceptable), cancellationToken).ConfigureAwait(false);
            record.Ending = $"the client offers no allowed encryption method ({EncryptionNames.Method(clientMethods)}) for {EncryptionNames.Level(level)}: answered rt-parameters-unacceptable and closed";
            return;
        }

        if (!await SendOrFaultAsync(session, FaultSteps.McsConnectResponse, "MCS Connect Response", () => [ConnectResponse(McsResult.Successful)],
            () => ConnectResponse(McsResult.UnspecifiedFailure), "rt-unspecified-failure", cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        Reach(record, ServerStage.McsConnectResponseSent);

        // 3. Erect Domain, Attach User, then the channel joins in whatever order the client asks.
        byte[]? attach;
        while (true)
        {
            attach = await ReadMcsAsync(session, "the MCS Attach User Request", cancellationToken).ConfigureAwait(false);
            if (attach is null)
            {
                return;
            }

            if (DomainPdu.PeekType(attach) == DomainMcsPduType.ErectDomainRequest)
            {
                continue;
            }

            if (!Pdu.Decode<AttachUserRequest>(attach).IsSuccess)
            {
                record.Ending = $"expected an MCS Attach User Request, got {DescribeMcs(attach)}";
                return;
            }

            break;
        }

        record.UserChannelId = session.UserChannel;
        if (!await SendOrFaultAsync(session, FaultSteps.McsAttachUserConfirm, "MCS Attach User Confirm", () => [McsFrame(Pdu.Encode(new AttachUserConfirm(McsResult.Successful, session.UserChannel)))],
            () => McsFrame(Pdu.Encode(new AttachUserConfirm(McsResult.TooManyUsers, null))), "rt-too-many-users", cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        Reach(record, ServerStage.UserAttached);
        HashSet<ushort> known = [session.UserChannel, IoChannelId, .. channelIds];
        if (messageChannel is { } message)
        {
            known.Add(message);
        }

        SendData? pending;
        while (true)
        {
            byte[]? mcs = await ReadMcsAsync(session, "an MCS Channel Join Request", cancellationToken).ConfigureAwait(false);
            if (mcs is null)
            {
                return;
            }

            DecodeResult<ChannelJoinRequest> join = Pdu.Decode<ChannelJoinRequest>(mcs);
            if (join.IsSuccess)
            {
                ushort requestedChannel = join.Value.ChannelId;
                record._joinedChannels.Add(requestedChannel);
                McsResult result = known.Contains(requestedChannel) ? McsResult.Successful : McsResult.NoSuchChannel;
                byte[] confirm = McsFrame(Pdu.Encode(new ChannelJoinConfirm(result, session.UserChannel, requestedChannel, result == McsResult.Successful ? requestedChannel : null)));
                bool first = record._joinedChannels.Count == 1;
                if (first)
                {
                    if (!await SendOrFaultAsync(session, FaultSteps.McsChannelJoinConfirm, "MCS Channel Join Confirm", () => [confirm],
                        () => McsFrame(Pdu.Encode(new ChannelJoinConfirm(McsResult.NoSuchChannel, session.UserChannel, requestedChannel, null))), "rt-no-such-channel", cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                else
                {
                    await session.Stream.WriteAsync(confirm, cancellationToken).ConfigureAwait(false);
                }

                Reach(record, ServerStage.ChannelJoined);
                continue;
            }

            DecodeResult<SendData> data = Pdu.Decode<SendData>(mcs);
            if (data.IsSuccess && data.Value.Type == DomainMcsPduType.SendDataRequest)
            {
                pending = data.Value;
                break;
            }

            record.Ending = $"expected an MCS Channel Join Request or Send Data Request, got {DescribeMcs(mcs)}";
            return;
        }

        // 4. Standard RDP Security: the Security Exchange PDU, the client random and the session keys.
        if (keyPair is not null)
        {
            DecodeResult<SecurityExchangePdu> exchange = Pdu.Decode<SecurityExchangePdu>(pending.UserData.Span);
            if (!exchange.IsSuccess)
            {
                record.Ending = $"expected the Security Exchange PDU: {exchange.Error}";
                return;
            }

            if (!keyPair.TryDecryptClientRandom(exchange.Value.EncryptedClientRandom.Span, out byte[] clientRandom))
            {
                record.Ending = "the encrypted client random does not decrypt with the server's key";
                return;
            }

            using (StandardSecurityKeys keys = StandardSecurityKeys.Derive(clientRandom, serverRandom, method.Value))
            {
                session.Security = ServerSecurityLayer.Standard(keys.Server, level);
            }

            CryptographicOperations.ZeroMemory(clientRandom);
            Reach(record, ServerStage.SecurityExchanged);
            pending = await ReadSendDataAsync(session, "the Client Info PDU", cancellationToken).ConfigureAwait(false);
            if (pending is null)
            {
                return;
            }
        }

        // 5. Client Info PDU: keep the names and flags, and only the length of the password.
        byte[]? info = session.Security.Unwrap(pending.UserData.Span, expectHeader: true, out SecurityHeaderFlags infoFlags, out string? problem);
        if (info is null)
        {
            record.Ending = $"the Client Info PDU's security header is wrong: {problem}";
            return;
        }

        try
        {
            if ((infoFlags & SecurityHeaderFlags.InfoPkt) == 0)
            {
                record.Ending = $"expected the Client Info PDU (SEC_INFO_PKT), got security flags 0x{(ushort)infoFlags:x4}";
                return;
            }

            DecodeResult<ClientInfoPacket> packet = Pdu.Decode<ClientInfoPacket>(info);
            if (!packet.IsSuccess)
            {
                record.Ending = $"the Client Info PDU does not decode: {packet.Error.Kind} in {packet.Error.Context} at {packet.Error.Field}";
                return;
            }

            record.ClientInfoDomain = packet.Value.Domain;
            record.ClientInfoUserName = packet.Value.UserName;
            record.ClientInfoFlags = packet.Value.Flags;
            record.ClientInfoPasswordLength = packet.Value.Password.Length;
            CryptographicOperations.ZeroMemory(packet.Value.Password);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(info);
        }

        record.ClientUsedSaltedMac = session.Security.Salted;
        Reach(record, ServerStage.ClientInfoReceived);

        // 6. Licensing: STATUS_VALID_CLIENT, or the configured error and a close.
        var license = new LicenseErrorMessage(_options.LicenseErrorCode, _options.LicenseStateTransition, LicenseBinaryBlob.Empty(LicenseBlobType.Error));
        var refusal = new LicenseErrorMessage(LicenseErrorCode.NoLicenseServer, LicenseStateTransition.TotalAbort, LicenseBinaryBlob.Empty(LicenseBlobType.Error));
        byte[] LicenseFrame(LicenseErrorMessage message) =>
            IoFrame(session, Pdu.Encode(LicensingPdu.Create(message)), SecurityHeaderFlags.LicensePkt, mayEncrypt: false);
        if (!await SendOrFaultAsync(session, FaultSteps.LicensingLicense, "licensing PDU", () => [LicenseFrame(license)],
            () => LicenseFrame(refusal), refusal.ToString(), cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        record.LicenseSent = license.ToString();
        Reach(record, ServerStage.LicensingSent);
        if (!license.IsValidClient)
        {
            record.Ending = $"sent the license error {LicenseNames.Name(license.ErrorCode)} with {LicenseNames.Name(license.StateTransition)} and closed, as a server without licenses does";
            return;
        }

        if (_options.Redirection is { } redirection)
        {
            // A broker sends the client on to the server that holds its session (MS-RDPBCGR 2.2.13.2 / 2.2.13.3).
            byte[] frame = standardSecurity
                ? IoFrame(session, Pdu.Encode(redirection), SecurityHeaderFlags.RedirectionPkt)
                : IoFrame(session, Pdu.Encode(new EnhancedSecurityServerRedirection(ServerChannelId, redirection)));
            await session.Stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            record.Ending = $"sent a Server Redirection to {redirection.TargetNetAddressText ?? redirection.TargetFqdnText ?? "(no address)"} and closed, as a connection broker does";
            return;
        }

        // 7. Capabilities exchange.
        session.ShareId = _options.ShareId;
        DemandActivePdu demand = ServerCapabilities.CreateDemandActive(session.ShareId, Capabilities(client.Core));
        if (!await SendOrFaultAsync(session, FaultSteps.CapabilitiesDemandActive, "Demand Active PDU", () => [IoFrame(session, Pdu.Encode(demand))], null, null, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        Reach(record, ServerStage.DemandActiveSent);
        ConfirmActivePdu? confirmActive = null;
        while (confirmActive is null)
        {
            IReadOnlyList<SlowPathPdu>? pdus = await ReadShareAsync(session, "the Confirm Active PDU", cancellationToken).ConfigureAwait(false);
            if (pdus is null)
            {
                return;
            }

            confirmActive = pdus.OfType<SlowPathPdu.ConfirmActive>().FirstOrDefault()?.Pdu;
        }

        record.ConfirmActiveCapabilitySets = [.. confirmActive.CapabilitySets.Select(s => s.Type)];
        Reach(record, ServerStage.ConfirmActiveReceived);

        // 8. Finalization: the client's Synchronize, Control (Cooperate, Request Control) and Font List, then ours.
        bool fontList = false;
        while (!fontList)
        {
            IReadOnlyList<SlowPathPdu>? pdus = await ReadShareAsync(session, "the client's finalization PDUs", cancellationToken).ConfigureAwait(false);
            if (pdus is null)
            {
                return;
            }

            foreach (SlowPathPdu.Data data in pdus.OfType<SlowPathPdu.Data>())
            {
                record._clientFinalizationPdus.Add(data.Pdu.Body is ControlPdu control ? $"{data.Name} {control.Action}" : data.Name);
                fontList |= data.PduType2 == PduType2.FontList;
            }
        }

        Reach(record, ServerStage.ClientFinalizationReceived);
        byte[][] Finalization() =>
        [
            IoFrame(session, Pdu.Encode(ShareDataPdu.CreateServer(session.ShareId, new SynchronizePdu(session.UserChannel)))),
            IoFrame(session, Pdu.Encode(ShareDataPdu.CreateServer(session.ShareId, new ControlPdu(ControlAction.Cooperate)))),
            IoFrame(session, Pdu.Encode(ShareDataPdu.CreateServer(session.ShareId, new ControlPdu(ControlAction.GrantedControl, session.UserChannel, ServerChannelId)))),
            IoFrame(session, Pdu.Encode(ShareDataPdu.CreateServer(session.ShareId, new FontMapPdu()))),
        ];
        if (!await SendOrFaultAsync(session, FaultSteps.FinalizationFontMap, "finalization PDUs", Finalization, null, null, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        Reach(record, ServerStage.Finalized);
        await WaitForDepartureAsync(session, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After finalization: waits, within the read timeout, for a Disconnect Provider Ultimatum or a close.</summary>
    private async Task WaitForDepartureAsync(Session session, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + _options.ReadTimeout;
        while (true)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            FrameRead read = left > TimeSpan.Zero
                ? await session.Stream.ReadAsync(left, cancellationToken).ConfigureAwait(false)
                : new FrameRead(null, FrameEnd.Timeout);
            if (read.Frame is { } frame)
            {
                if (frame[0] == TpktHeader.Version3 && Pdu.Decode<X224Data>(frame) is { IsSuccess: true } data
                    && DomainPdu.PeekType(data.Value.UserData.Span) == DomainMcsPduType.DisconnectProviderUltimatum)
                {
                    session.Record.ClientDeparture = "disconnect-provider-ultimatum";
                    session.Record.Ending = "finalized; the client left with a Disconnect Provider Ultimatum";
                    return;
                }

                continue;
            }

            (session.Record.ClientDeparture, session.Record.Ending) = read.End switch
            {
                FrameEnd.Closed => ("closed", "finalized; the client closed the connection"),
                FrameEnd.Reset => ("reset", $"finalized; the connection failed ({read.Detail})"),
                FrameEnd.Timeout => ("still connected at the read timeout", "finalized; the client stayed past the read timeout, so the server closed"),
                _ => ("sent an unframeable byte", $"finalized; {read.Describe()}"),
            };
            return;
        }
    }

    /// <summary>How many useless PDUs a flood fault sends at most (a client is expected to give up far sooner).</summary>
    private const int MaxFloodPdus = 1000;

    /// <summary>
    /// Sends the frames <paramref name="answer"/> builds, or the fault configured at <paramref name="step"/> instead.
    /// False when the connection ends here (the fault's ending is recorded). The answer is built only when some of it
    /// is sent: under Standard RDP Security building it encrypts it, which moves the RC4 stream on.
    /// <paramref name="withHugeLength"/> rewrites the answer's first frame for the huge-length fault (by default the BER
    /// length of an MCS PDU in an X.224 Data frame).
    /// </summary>
    private async Task<bool> SendOrFaultAsync(Session session, string step, string what, Func<byte[][]> answer, Func<byte[]>? reject, string? rejectName, CancellationToken cancellationToken, Func<byte[], byte[]>? withHugeLength = null)
    {
        IFrameStream stream = session.Stream;
        ServerConnectionRecord record = session.Record;
        if (_options.FaultAt(step) is not { } fault)
        {
            byte[][] frames = answer();
            foreach (byte[] frame in frames)
            {
                await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }

            session.LastAnswer = frames;
            return true;
        }

        record.FaultInjected = fault;
        byte[] All() => [.. answer().SelectMany(f => f)];

        // A valid PDU that answers nothing, for flood and trickle. Each is built afresh: under Standard RDP Security
        // each is encrypted with the next RC4 bytes.
        byte[] Notice() => IoFrame(session, Pdu.Encode(ShareDataPdu.CreateServer(session.ShareId, new SaveSessionInfoPdu(new PlainNotify()))));
        switch (fault.Kind)
        {
            case FaultKind.Close:
                record.Ending = $"closed instead of sending the {what} (fault)";
                return false;
            case FaultKind.Reset:
                session.Link.Reset();
                record.Ending = $"reset the connection instead of sending the {what} (fault)";
                return false;
            case FaultKind.Stall:
                record.Ending = $"stalled instead of sending the {what} (fault)";
                await WaitForClientToLeaveAsync(session.Link, cancellationToken).ConfigureAwait(false);
                return false;
            case FaultKind.Garbage:
                byte[] garbage = new byte[All().Length]; // as long as the answer would have been
                new Random(_options.GarbageSeed).NextBytes(garbage);
                garbage[0] = 0x7F; // neither a TPKT version (3) nor a fast-path header
                await stream.WriteAsync(garbage, cancellationToken).ConfigureAwait(false);
                record.Ending = $"sent {garbage.Length} bytes of garbage instead of the {what}, then waited for the client to leave (fault)";
                await WaitForClientToLeaveAsync(session.Link, cancellationToken).ConfigureAwait(false);
                return false;
            case FaultKind.Truncated:
                byte[] all = All();
                await stream.WriteAsync(all.AsMemory(0, all.Length / 2), cancellationToken).ConfigureAwait(false);
                record.Ending = $"sent {all.Length / 2} of the {all.Length} bytes of the {what}, then closed (fault)";
                return false;
            case FaultKind.Ultimatum:
                await stream.WriteAsync(UltimatumFrame(), cancellationToken).ConfigureAwait(false);
                record.Ending = $"sent an MCS Disconnect Provider Ultimatum (rn-provider-initiated) instead of the {what}, then closed (fault)";
                return false;
            case FaultKind.Drip:
                // One byte at a time (inside TLS: one record per byte), as a server on a choking link would; it gives
                // up after its own read timeout, so a client that left does not keep it dripping into the void.
                long giveUpAt = Environment.TickCount64 + (long)_options.ReadTimeout.TotalMilliseconds;
                byte[] dripped = All();
                for (int i = 0; i < dripped.Length; i++)
                {
                    if (Environment.TickCount64 > giveUpAt)
                    {
                        record.Ending = $"dripped {i} of the {dripped.Length} bytes of the {what}, then gave up after {_options.ReadTimeout.TotalSeconds:0} s (fault)";
                        return false;
                    }

                    await stream.WriteAsync(dripped.AsMemory(i, 1), cancellationToken).ConfigureAwait(false);
                    await Task.Delay(fault.DripInterval, cancellationToken).ConfigureAwait(false);
                }

                record.Ending = $"dripped the {dripped.Length} bytes of the {what} one every {fault.DripInterval.TotalMilliseconds:0} ms (fault)";
                return true;
            case FaultKind.Flood:
                // Valid share-layer PDUs that advance nothing; a bounded client gives up, this loop gives up too.
                long floodUntil = Environment.TickCount64 + (long)_options.ReadTimeout.TotalMilliseconds;
                int sentNotices = 0;
                while (sentNotices < MaxFloodPdus && Environment.TickCount64 < floodUntil)
                {
                    await stream.WriteAsync(Notice(), cancellationToken).ConfigureAwait(false);
                    sentNotices++;
                }

                record.Ending = $"sent {sentNotices} Save Session Info notices instead of the {what} (fault)";
                return false;
            case FaultKind.Trickle:
                // The same notices, one every DripInterval, for as long as the client stays (a minute at most): a server
                // that keeps talking without ever answering. Only a deadline that each notice does not restart ends it.
                Task left = WaitForClientToLeaveAsync(session.Link, cancellationToken, TimeSpan.FromMinutes(1));
                int trickled = 0;
                try
                {
                    while (!left.IsCompleted)
                    {
                        await stream.WriteAsync(Notice(), cancellationToken).ConfigureAwait(false);
                        trickled++;
                        await Task.WhenAny(left, Task.Delay(fault.DripInterval, cancellationToken)).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
                {
                    // The client is gone.
                }

                await left.ConfigureAwait(false);
                record.Ending = $"sent {trickled} Save Session Info notices, one every {fault.DripInterval.TotalMilliseconds:0} ms, instead of the {what}, until the client left (fault)";
                return false;
            case FaultKind.OversizeLength:
                // The TPKT length of the first frame says 65535: a client that trusted it would wait for bytes that never come.
                byte[] oversize = answer()[0];
                oversize[2] = 0xFF;
                oversize[3] = 0xFF;
                await stream.WriteAsync(oversize, cancellationToken).ConfigureAwait(false);
                record.Ending = $"sent the {what} with a TPKT length of 65535, then waited for the client to leave (fault)";
                await WaitForClientToLeaveAsync(session.Link, cancellationToken).ConfigureAwait(false);
                return false;
            case FaultKind.Alert:
                // internal_error (80): what a TLS stack says when it gives up on its own side.
                string alert = await stream.SendFatalAlertAsync(AlertDescription.internal_error, cancellationToken).ConfigureAwait(false);
                record.Ending = $"sent {alert} instead of the {what}, then waited for the client to leave (fault)";
                await WaitForClientToLeaveAsync(session.Link, cancellationToken).ConfigureAwait(false);
                return false;
            case FaultKind.HugeLength:
                await stream.WriteAsync((withHugeLength ?? WithHugeBerLength)(answer()[0]), cancellationToken).ConfigureAwait(false);
                record.Ending = $"sent the {what} with a length of 2 GB inside it, then waited for the client to leave (fault)";
                await WaitForClientToLeaveAsync(session.Link, cancellationToken).ConfigureAwait(false);
                return false;
            case FaultKind.RepeatPrevious:
                foreach (byte[] frame in session.LastAnswer)
                {
                    await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                }

                record.Ending = $"sent its previous answer again ({session.LastAnswer.Sum(f => f.Length)} bytes) instead of the {what}, then waited for the client to leave (fault)";
                await WaitForClientToLeaveAsync(session.Link, cancellationToken).ConfigureAwait(false);
                return false;
            case FaultKind.Reject when reject is not null:
                await stream.WriteAsync(reject(), cancellationToken).ConfigureAwait(false);
                record.Ending = $"refused with {rejectName} instead of the {what}, then closed (fault)";
                return false;
            case FaultKind.ErrorInfo:
                string sent = "sent";
                if (session.ErrorInfoSupported)
                {
                    var errorInfo = ShareDataPdu.CreateServer(session.ShareId, new SetErrorInfoPdu(_options.ErrorInfo), pduSource: 0);
                    await stream.WriteAsync(IoFrame(session, Pdu.Encode(errorInfo)), cancellationToken).ConfigureAwait(false);
                    record.ErrorInfoSent = _options.ErrorInfo;
                    sent = $"sent a Set Error Info PDU (0x{_options.ErrorInfo:x8}) and";
                }
                else
                {
                    // MS-RDPBCGR 2.2.5.1: never to a client without RNS_UD_CS_SUPPORT_ERRINFO_PDU.
                    sent = "skipped the Set Error Info PDU (the client did not set RNS_UD_CS_SUPPORT_ERRINFO_PDU) and sent";
                }

                await stream.WriteAsync(UltimatumFrame(), cancellationToken).ConfigureAwait(false);
                record.Ending = $"{sent} an MCS Disconnect Provider Ultimatum instead of the {what}, then closed (fault)";
                return false;
            default:
                throw new InvalidOperationException($"fault {fault} is not handled at {fault.Step}");
        }
    }

    /// <summary>
    /// Rewrites the length of the BER-encoded MCS PDU in an X.224 Data frame (TPKT 4 bytes, X.224 Data 3 bytes, then
    /// a two-byte application tag such as Connect-Response's 7F 66) as the long form 84 7F FF FF FF, keeping the
    /// contents: the frame stays well-formed, only the inner length lies.
    /// </summary>
    private static byte[] WithHugeBerLength(byte[] frame)
    {
        const int tagOffset = TpktHeader.FixedPartSize + 3 /* X.224 Data header */;
        int lengthOffset = tagOffset + 2;
        int lengthBytes = frame[lengthOffset] < 0x80 ? 1 : 1 + (frame[lengthOffset] & 0x7F);
        byte[] huge = [.. frame.AsSpan(0, lengthOffset), 0x84, 0x7F, 0xFF, 0xFF, 0xFF, .. frame.AsSpan(lengthOffset + lengthBytes)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(huge.AsSpan(2), checked((ushort)huge.Length));
        return huge;
    }

    private static byte[] UltimatumFrame() => McsFrame(Pdu.Encode(new DisconnectProviderUltimatum(McsDisconnectReason.ProviderInitiated)));

    /// <summary>An MCS PDU in an X.224 Data TPDU.</summary>
    private static byte[] McsFrame(byte[] mcs) => Pdu.Encode(new X224Data(new ByteString(mcs)));

    /// <summary>A server PDU on the I/O channel: security header (as the layer wants), Send Data Indication, X.224 Data.</summary>
    private static byte[] IoFrame(Session session, byte[] pdu, SecurityHeaderFlags flags = SecurityHeaderFlags.None, bool mayEncrypt = true) =>
        McsFrame(Pdu.Encode(SendData.Indication(ServerChannelId, IoChannelId, session.Security.Wrap(pdu, flags, mayEncrypt))));

    /// <summary>Reads the next slow-path frame's MCS PDU; null (with the ending recorded) when there is none.</summary>
    private async Task<byte[]?> ReadMcsAsync(Session session, string waitingFor, CancellationToken cancellationToken)
    {
        while (true)
        {
            FrameRead read = await session.Stream.ReadAsync(_options.ReadTimeout, cancellationToken).ConfigureAwait(false);
            if (read.Frame is not { } frame)
            {
                if (read.End is FrameEnd.Closed or FrameEnd.Reset)
                {
                    session.Record.ClientDeparture = read.End == FrameEnd.Closed ? "closed" : "reset";
                }

                session.Record.Ending = $"{read.Describe()} while the server waited for {waitingFor}";
                return null;
            }

            if (frame[0] != TpktHeader.Version3)
            {
                // Fast-path input before finalization is not expected; it has no place in the sequence, so skip it.
                continue;
            }

            DecodeResult<X224Data> data = Pdu.Decode<X224Data>(frame);
            if (!data.IsSuccess)
            {
                session.Record.Ending = $"expected {waitingFor} in an X.224 Data TPDU: {data.Error}";
                return null;
            }

            byte[] mcs = data.Value.UserData.Span.ToArray();
            if (DomainPdu.PeekType(mcs) == DomainMcsPduType.DisconnectProviderUltimatum)
            {
                session.Record.ClientDeparture = "disconnect-provider-ultimatum";
                session.Record.Ending = $"the client sent a Disconnect Provider Ultimatum while the server waited for {waitingFor}";
                return null;
            }

            return mcs;
        }
    }

    /// <summary>Reads the next MCS Send Data Request.</summary>
    private async Task<SendData?> ReadSendDataAsync(Session session, string waitingFor, CancellationToken cancellationToken)
    {
        byte[]? mcs = await ReadMcsAsync(session, waitingFor, cancellationToken).ConfigureAwait(false);
        if (mcs is null)
        {
            return null;
        }

        DecodeResult<SendData> data = Pdu.Decode<SendData>(mcs);
        if (!data.IsSuccess || data.Value.Type != DomainMcsPduType.SendDataRequest)
        {
            session.Record.Ending = $"expected {waitingFor} in an MCS Send Data Request, got {DescribeMcs(mcs)}";
            return null;
        }

        return data.Value;
    }

    /// <summary>
    /// Reads the next Share Control PDUs on the I/O channel. PDUs on other channels are decrypted (to keep the
    /// cipher in step) and skipped, as an empty list.
    /// </summary>
    private async Task<IReadOnlyList<SlowPathPdu>?> ReadShareAsync(Session session, string waitingFor, CancellationToken cancellationToken)
    {
        SendData? data = await ReadSendDataAsync(session, waitingFor, cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            return null;
        }

        byte[]? plain = session.Security.Unwrap(data.UserData.Span, expectHeader: false, out _, out string? problem);
        if (plain is null)
        {
            session.Record.Ending = $"the security header before {waitingFor} is wrong: {problem}";
            return null;
        }

        if (data.ChannelId != IoChannelId)
        {
            return [];
        }

        DecodeResult<IReadOnlyList<SlowPathPdu>> pdus = SlowPathPdu.Decode(plain);
        if (!pdus.IsSuccess)
        {
            session.Record.Ending = $"expected {waitingFor}: {pdus.Error}";
            return null;
        }

        return pdus.Value;
    }

    private static string DescribeMcs(ReadOnlySpan<byte> mcs) =>
        DomainPdu.PeekType(mcs) is { } type ? DomainPdu.Name(type) : "an empty MCS PDU";

    private static DecodeResult<ClientConferenceData> DecodeConnectInitial(ReadOnlySpan<byte> mcs)
    {
        DecodeResult<McsConnectInitial> initial = Pdu.Decode<McsConnectInitial>(mcs);
        if (!initial.IsSuccess)
        {
            return initial.Error;
        }

        DecodeResult<GccConferenceCreateRequest> gcc = Pdu.Decode<GccConferenceCreateRequest>(initial.Value.UserData.Span);
        return gcc.IsSuccess ? Pdu.Decode<ClientConferenceData>(gcc.Value.UserData.Span) : gcc.Error;
    }

    /// <summary>
    /// The method the server selects (MS-RDPBCGR 5.3.2): FIPS at the FIPS level, 128-bit at HIGH, otherwise the
    /// strongest RC4 both allow (FIPS when nothing else is common); null when nothing fits.
    /// </summary>
    internal static EncryptionMethod? ChooseMethod(EncryptionMethod client, EncryptionMethod allowed, EncryptionLevel level)
    {
        EncryptionMethod common = client & allowed;
        EncryptionMethod[] order = level switch
        {
            EncryptionLevel.None => [EncryptionMethod.None],
            EncryptionLevel.Fips => [EncryptionMethod.Fips],
            EncryptionLevel.High => [EncryptionMethod.Bit128],
            _ => [EncryptionMethod.Bit128, EncryptionMethod.Bit56, EncryptionMethod.Bit40, EncryptionMethod.Fips],
        };
        foreach (EncryptionMethod candidate in order)
        {
            if (candidate == EncryptionMethod.None || (common & candidate) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The server's capability sets for the client's desktop (1024x768 at 16 bpp when its values are unusable).</summary>
    private static ValueList<CapabilitySet> Capabilities(ClientCoreData core)
    {
        try
        {
            return ServerCapabilities.Create(core.DesktopWidth, core.DesktopHeight, (ushort)(core.HighColorDepth ?? 16));
        }
        catch (ArgumentException)
        {
            return ServerCapabilities.Create(1024, 768, 16);
        }
    }

    /// <summary>The Standard RDP Security key pair and its proprietary certificate, generated once per server.</summary>
    private Task<(RdpServerKeyPair Key, byte[] Certificate)> StandardSecurityKeyAsync()
    {
        if (_standardSecurityKey is null)
        {
            Interlocked.CompareExchange(ref _standardSecurityKey, new Lazy<Task<(RdpServerKeyPair, byte[])>>(() => Task.Run(() =>
            {
                RdpServerKeyPair key = RdpServerKeyPair.Generate(_options.StandardSecurityKeyBits);
                ProprietaryCertificate certificate = key.CreateProprietaryCertificate();
                return (key, Pdu.Encode(certificate));
            })), null);
        }

        return _standardSecurityKey.Value;
    }

    private Lazy<Task<(RdpServerKeyPair Key, byte[] Certificate)>>? _standardSecurityKey;
}
