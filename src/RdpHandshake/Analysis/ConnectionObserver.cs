using System.Buffers;
using System.Globalization;
using RdpHandshake.CredSsp;
using RdpHandshake.Diagnostics;
using RdpHandshake.Engine;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;

namespace RdpHandshake.Analysis;

/// <summary>A clock that reads the capture: the time of the packet being looked at.</summary>
internal sealed class CaptureClock : TimeProvider
{
    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;

    public override long GetTimestamp() => Now.UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Moves the clock forward only: steps never end before they began.</summary>
    public void At(DateTimeOffset? time)
    {
        if (time is { } t && t > Now)
        {
            Now = t;
        }
    }
}

/// <summary>
/// The observer mode of the connection sequence: the client's own connector (<see cref="ClientConnector"/>, with the
/// options the captured client sent) is fed the server's frames from the capture and writes nothing anyone reads;
/// each step the connector would send is checked against the PDU the captured client sent instead. The timeline,
/// the facts and the typed diagnosis are the probe's own; what only a capture shows (who ended the connection,
/// after what, after how long a silence) is added. CredSSP, whose answers a passive observer cannot verify, is
/// read PDU by PDU with the same codecs and causes.
/// </summary>
internal sealed class ConnectionObserver
{
    private const string StopReading = "stop";

    private readonly TcpConnection _connection;
    private readonly TlsKeyLog _keys;
    private readonly CaptureClock _clock = new();
    private readonly StepRecorder _recorder;
    private readonly TcpFlow _client;
    private readonly TcpFlow _server;
    private readonly List<Finding> _findings = [];
    private readonly ArrayBufferWriter<byte> _discard = new();
    private StreamCursor _clientCursor;
    private StreamCursor _serverCursor;
    private byte[] _lastSent = [];
    private string _lastPdu = "the X.224 Connection Request";
    private bool _lastFromClient = true;
    private Diagnosis? _diagnosis;
    private AnalysisStatus? _status;
    private string? _visibility;
    private ObservedTlsSession? _tls;
    private ConnectionState? _negotiated;
    private ConnectionState? _session;
    private CredSspResult? _credssp;
    private ConnectionPhase? _reached;
    private ProbeOptions _options = new();

    private readonly CertificateCache? _certificates;
    private readonly ObservedStandardSecurity _standard;
    private byte[]? _securityExchange;
    private string? _clientUndecryptable;

    public ConnectionObserver(TcpConnection connection, TlsKeyLog keys, CertificateCache? certificates = null)
    {
        _connection = connection;
        _keys = keys;
        _standard = new ObservedStandardSecurity(keys);
        _certificates = certificates;
        _client = connection.Client!;
        _server = connection.Server!;
        _clock.Now = _client.SynAt ?? connection.FirstSeen;
        _recorder = new StepRecorder(_clock);
        _clientCursor = new StreamCursor(_client.Stream);
        _serverCursor = new StreamCursor(_server.Stream);
    }

    public ConnectionAnalysis Run()
    {
        try
        {
            Observe();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException or FormatException or NullReferenceException or KeyNotFoundException)
        {
            // A connector that cannot follow this client (a sequence it would never run) stops the analysis, never the tool.
            _status ??= AnalysisStatus.Incomplete;
            _visibility ??= $"the analysis stopped: {ex.Message}";
            _findings.Add(new Finding("analysis-stopped", $"the observer could not follow the connection here: {ex.Message}"));
        }

        return Build();
    }

    private void Observe()
    {
        TcpStep();
        CursorRead request = _clientCursor.Read(new TpktFrameHint(X224Negotiation.ConnectionRequestStep, X224ConnectionRequest.PduName, X224Framing.MaxConnectionPduSize));
        DecodeResult<X224ConnectionRequest> decodedRequest = Pdu.Decode<X224ConnectionRequest>(request.Bytes);
        if (!decodedRequest.IsSuccess)
        {
            Incomplete("the client's first PDU is not a whole X.224 Connection Request");
            return;
        }

        X224ConnectionRequest cr = decodedRequest.Value;
        var negotiation = new NegotiationOptions
        {
            RequestedProtocols = cr.NegotiationRequest?.RequestedProtocols ?? SecurityProtocols.Rdp,
            SendNegotiationRequest = cr.NegotiationRequest is not null,
            RequestFlags = (cr.NegotiationRequest?.Flags ?? 0) & ~NegotiationRequestFlags.CorrelationInfoPresent,
            Cookie = cr.Cookie,
            RoutingToken = cr.RoutingToken,
            CorrelationId = cr.CorrelationInfo?.CorrelationId,
        };
        _options = new ProbeOptions { Negotiation = negotiation, Until = ConnectionPhase.Finalization, ReadTimeout = TimeSpan.Zero };

        var conversation = new TlsConversation(_keys);
        _tls = new ObservedTlsSession(conversation, () => _clock.Now, _certificates);
        var services = new ConnectorServices { Random = new ZeroRandom(), TlsSession = () => _tls, Licensing = new ObservedLicensing(), StandardSecurity = _standard, ChannelJoinOrder = CapturedJoinOrder };
        var upgrade = new ClientConnector(new ClientConnectorOptions { Negotiation = negotiation, Until = ConnectionPhase.Tls }, services, [.. ClientConnector.StandardLinks.Where(link => link.Phase is ConnectionPhase.X224 or ConnectionPhase.Tls)]);
        _negotiated = upgrade.State;
        (byte[] Bytes, DateTimeOffset? Time)? pendingRequest = (request.Bytes, request.Time);
        bool upgraded = Drive(upgrade, plan =>
        {
            if (plan.Name == X224Negotiation.ConnectionRequestStep && pendingRequest is { } r)
            {
                pendingRequest = null;
                return r;
            }

            return plan.Name == TlsUpgrade.ClientHelloStep ? ClientHello(conversation) : null;
        }, TlsHandshakeOpaque);
        _reached = upgrade.State.Reached;
        if (!upgraded)
        {
            return;
        }

        if (upgrade.State.Negotiation is not { Selected: { } selected } negotiated)
        {
            return;
        }

        if (negotiated.RequiresTls)
        {
            if (conversation.Opaque || !conversation.HasKeys)
            {
                NotVisible(conversation, negotiated);
                return;
            }

            Decrypt(conversation);
        }

        if (negotiated.RequiresCredSsp && !ObserveCredSsp(negotiated))
        {
            return;
        }

        if (negotiated.RequiresCredSsp)
        {
            _reached = ConnectionPhase.CredSsp;
        }

        ObserveSession(negotiated, services);
    }

    /// <summary>The TCP handshake as the capture shows it.</summary>
    private void TcpStep()
    {
        StepRecord step = _recorder.Begin(RdpProber.TcpConnectStep, ConnectionPhase.Tcp);
        var fields = new List<StepField> { new("client", _client.From.ToString()), new("server", _server.From.ToString()) };
        string summary;
        if (_client.SynAt is { } syn)
        {
            fields.Add(new StepField("syn", Time(syn)));
            if (_server.SynAt is { } synAck)
            {
                fields.Add(new StepField("syn-ack", $"{Time(synAck)} (+{Ms(synAck - syn)})"));
                _clock.At(synAck);
            }

            summary = $"connected {_client.From} to {_server.From}";
        }
        else
        {
            summary = $"the capture starts mid-connection ({_client.From} to {_server.From}): no TCP handshake seen";
        }

        _recorder.End(step, StepOutcome.Ok, summary, fields);
    }

    /// <summary>The client's TLS records up to and with its ClientHello, fed to the conversation.</summary>
    private (byte[], DateTimeOffset?)? ClientHello(TlsConversation conversation)
    {
        var bytes = new List<byte>();
        DateTimeOffset? time = null;
        while (!conversation.SawClientHello)
        {
            CursorRead record = _clientCursor.Read(new TlsRecordFrameHint(TlsUpgrade.ClientHelloStep, "TLS ClientHello"));
            if (record.Status != CursorStatus.Frame)
            {
                return null;
            }

            bytes.AddRange(record.Bytes);
            time = record.Time;
            conversation.Feed(fromClient: true, record.Bytes, record.Time ?? _clock.Now);
        }

        return ([.. bytes], time);
    }

    /// <summary>TLS 1.3 without keys: once the ServerHello is in, the rest of the handshake cannot be followed.</summary>
    private bool TlsHandshakeOpaque(StepPlan plan) => plan.Phase == ConnectionPhase.Tls && plan.Read is not null && _tls!.Conversation.Opaque;

    /// <summary>
    /// Runs a connector over the capture: send steps take the captured client's PDU (<paramref name="clientPdu"/>),
    /// read steps the server's next frame. False when the analysis ended (a diagnosis, or nothing more to see).
    /// </summary>
    private bool Drive(ClientConnector connector, Func<StepPlan, (byte[] Bytes, DateTimeOffset? Time)?> clientPdu, Func<StepPlan, bool>? stopBefore = null)
    {
        StepRecord? open = null;
        var received = new List<byte>();
        while (connector.Next is { } plan)
        {
            if (stopBefore?.Invoke(plan) == true || plan.Name == Disconnection.DisconnectStep)
            {
                return true;
            }

            _discard.ResetWrittenCount();
            StepResult result;
            StepRecord step;
            byte[] sent = [];
            if (plan.Read is null)
            {
                (byte[] Bytes, DateTimeOffset? Time)? pdu = clientPdu(plan);
                if (pdu is null)
                {
                    if (_status is not null)
                    {
                        return false;
                    }

                    ClientLeft(plan);
                    return false;
                }

                _clock.At(pdu.Value.Time);
                step = open ?? _recorder.Begin(plan.Name, plan.Phase);
                result = connector.Step(ReadOnlySpan<byte>.Empty, _discard);
                sent = pdu.Value.Bytes;
                if (plan.Name == SecureSettingsExchange.ClientInfoStep && CapturedClientInfo(sent) is { } info)
                {
                    result = result with { Summary = info.Summary, Fields = info.Fields };
                    if (info.Fields.Any(f => f.Name == "password" && f.Value != "(none)"))
                    {
                        // Decrypted (TLS or Standard RDP Security with the key log), the PDU holds the password in the clear.
                        result = result with { Fields = [.. info.Fields, new StepField("bytes", "withheld: the Client Info PDU carries the password")] };
                        sent = [];
                    }
                }

                if (plan.Name == SecurityCommencement.SecurityExchangeStep && _securityExchange is not null && result.Failure is null)
                {
                    result = result with { Fields = [.. result.Fields, new StepField("keys", $"from the key log's {Crypto.StandardSecurity.StandardSecurityProvider.KeyLogLabel} line: both directions are decrypted")] };
                }

                _lastSent = sent;
                _lastPdu = result.Pdu;
                _lastFromClient = true;
            }
            else
            {
                step = open ?? _recorder.Begin(plan.Name, plan.Phase);
                if (plan.Phase == ConnectionPhase.Tls)
                {
                    FeedClientTlsUntil(_serverCursor.NextTime);
                    if (_diagnosis is not null)
                    {
                        _recorder.End(step, StepOutcome.Failed, _diagnosis.Summary);
                        return false;
                    }
                }

                CursorRead read = _serverCursor.Read(plan.Read);
                if (_tls is not null)
                {
                    _tls.RecordTime = read.Time ?? _clock.Now;
                }

                if (ClientGaveUp(read) is { } gaveUp)
                {
                    _clock.At(gaveUp);
                    FailRead(plan, step, read, clientGaveUp: true);
                    return false;
                }

                _clock.At(read.Time);
                switch (read.Status)
                {
                    case CursorStatus.Frame:
                        received.AddRange(read.Bytes);
                        result = connector.Step(read.Bytes, _discard);
                        _lastPdu = result.Pdu;
                        _lastFromClient = false;
                        break;
                    case CursorStatus.Invalid:
                        received.AddRange(read.Bytes);
                        result = connector.RejectFrame(read.Error!.Value, read.Bytes);
                        break;
                    default:
                        FailRead(plan, step, read, clientGaveUp: false);
                        return false;
                }
            }

            if (result.Continues)
            {
                open = step;
                continue;
            }

            step.Name = result.StepName;
            step.Phase = result.Phase;
            StepOutcome outcome = result.Failure is null && result.Setback is null ? StepOutcome.Ok : StepOutcome.Failed;
            _recorder.End(step, outcome, result.Summary, result.Fields, sent: sent, received: [.. received], pdu: result.Pdu);
            open = null;
            received.Clear();
        }

        if (connector.Failure is { } failure)
        {
            DiagnoseFailure(failure);
            return false;
        }

        return true;
    }

    /// <summary>The client's TLS records that came before the server's next record: an alert from the client ends the attempt.</summary>
    private void FeedClientTlsUntil(DateTimeOffset? serverTime)
    {
        TlsConversation conversation = _tls!.Conversation;
        while (!_clientCursor.AtEnd && !_clientCursor.AtGap && (serverTime is null || _clientCursor.NextTime <= serverTime))
        {
            CursorRead record = _clientCursor.Read(new TlsRecordFrameHint("tls.client", "TLS record"));
            if (record.Status != CursorStatus.Frame)
            {
                return;
            }

            foreach (TlsConversation.TlsEvent e in conversation.Feed(fromClient: true, record.Bytes, record.Time ?? _clock.Now))
            {
                if (e.Alert is { IsFatal: true } alert)
                {
                    _clock.At(record.Time);
                    StepRecord step = _recorder.Begin("tls.client-alert", ConnectionPhase.Tls);
                    _recorder.End(step, StepOutcome.Failed, $"the client aborted the handshake with the alert {alert.DisplayName}", [new StepField("alertSent", alert.DisplayName)], sent: record.Bytes, pdu: "TLS alert");
                    _lastSent = record.Bytes;
                    Diagnose(new Cause(ConnectionPhase.Tls, CauseId.LocalAlert, alert.Name, alert.Description),
                        $"the client aborted the TLS handshake with the alert {alert.DisplayName}", step);
                    return;
                }
            }
        }
    }

    /// <summary>When the client ended the connection before the server's frame was whole (it gave up waiting), or null.</summary>
    private DateTimeOffset? ClientGaveUp(CursorRead read)
    {
        if (_client.Stream.End is not { Kind: StreamEndKind.Fin or StreamEndKind.Reset } end)
        {
            return null;
        }

        bool late = read.Status switch
        {
            CursorStatus.Frame or CursorStatus.Invalid => read.Time > end.Time,
            CursorStatus.Ended => end.Before(_server.Stream.End!),
            // Bytes of the server's are missing: whether they would have been the answer is not known, and not guessed.
            CursorStatus.Gap => false,
            _ => true,
        };
        return late && _clientCursor.Stream.Chunks.Count > 0 ? end.Time : null;
    }

    /// <summary>A read that gave no frame: the server's FIN or RST, the client giving up, a gap, or the end of the capture.</summary>
    private void FailRead(StepPlan plan, StepRecord step, CursorRead read, bool clientGaveUp)
    {
        string expecting = plan.Read!.Expecting;
        int partial = read.FirstByte is { } first && (!clientGaveUp || first <= _client.Stream.End!.Time) ? read.Bytes.Length : 0;
        string got = partial == 0 ? "nothing of it" : read.ExpectedLength is { } total ? $"{partial} of {total} byte(s)" : $"{partial} byte(s)";
        byte[] receivedBytes = partial == 0 ? [] : read.Bytes;
        if (clientGaveUp)
        {
            StreamEnd end = _client.Stream.End!;
            string silence = $"{(end.Time - (_recorder.StartedAt + step.Start)).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
            string what = $"the client gave up ({(end.Kind == StreamEndKind.Reset ? "RST" : "FIN")}) after waiting {silence} for the {expecting}, having received {got}";
            _recorder.End(step, StepOutcome.Failed, what, received: receivedBytes);
            CauseId cause = partial > 0 ? CauseId.TimeoutMidAnswer : plan.WhenTimedOut;
            Diagnose(new Cause(plan.Phase, cause), what, step, received: receivedBytes, expected: read.ExpectedLength, transportEnd: null);
            return;
        }

        switch (read.Status)
        {
            case CursorStatus.Gap:
                _recorder.End(step, StepOutcome.InFlight, $"bytes are missing from the capture in the {expecting}", received: receivedBytes);
                Incomplete($"bytes are missing from the capture (the server's direction) in the {expecting}, at step {plan.Name}: nothing after them is guessed");
                return;
            case CursorStatus.CaptureEnded:
                _recorder.End(step, StepOutcome.InFlight, $"the capture ends while the client waits for the {expecting}", received: receivedBytes);
                Incomplete(_server.Stream.ClippedAt is not null
                    ? $"the analysis keeps {_server.Stream.Bound} bytes of each direction, and the {expecting} lies beyond"
                    : $"the capture ends while the client waits for the {expecting} (step {plan.Name})");
                return;
        }

        StreamEnd serverEnd = _server.Stream.End!;
        if (serverEnd.Detail is { } detail && detail.StartsWith(NotARecord, StringComparison.Ordinal))
        {
            string reason = $"the server sent bytes that are not a TLS record: {detail[NotARecord.Length..]}";
            _recorder.End(step, StepOutcome.Failed, reason, [new StepField("error", detail[NotARecord.Length..])], received: receivedBytes, pdu: "TLS record");
            Diagnose(new Cause(plan.Phase, CauseId.MalformedRecord), reason, step, received: receivedBytes);
            return;
        }

        CauseId endCause = serverEnd.Kind == StreamEndKind.Reset
            ? partial > 0 ? CauseId.Reset : plan.WhenReset
            : partial > 0 ? CauseId.TruncatedResponse : plan.WhenClosed;
        string how = serverEnd.Describe("the server");
        string summary = $"{how} while the client waited for the {expecting}, {(partial == 0 ? "before sending anything" : $"after {got}")}";
        _recorder.End(step, StepOutcome.Failed, summary, received: receivedBytes);
        ConnectionState? state = _session ?? _negotiated;
        if (endCause is CauseId.ClosedByPeer or CauseId.Reset or CauseId.TruncatedResponse && state?.LastErrorInfo is { } errorInfo)
        {
            CodeEntry named = ErrorInfoName(errorInfo);
            Diagnose(new Cause(plan.Phase, CauseId.ServerErrorInfo, named.Name, errorInfo),
                $"the server closed the connection after a Set Error Info PDU: {named.Name} ({named.Meaning})", step, received: receivedBytes, transportEnd: serverEnd);
            return;
        }

        Diagnose(new Cause(plan.Phase, endCause), summary, step, received: receivedBytes, expected: read.ExpectedLength, transportEnd: serverEnd);
    }

    /// <summary>The client sent no PDU where the sequence needs one: it ended the connection, or the capture ends.</summary>
    private void ClientLeft(StepPlan plan)
    {
        StepRecord step = _recorder.Begin(plan.Name, plan.Phase);
        if (_client.Stream.End is { Kind: StreamEndKind.Fin or StreamEndKind.Reset } end && !_clientCursor.AtGap)
        {
            _clock.At(end.Time);
            string summary = $"{end.Describe("the client")} instead of sending its next PDU (step {plan.Name}), after the server's {_lastPdu}";
            _recorder.End(step, StepOutcome.Failed, summary);
            Diagnose(new Cause(plan.Phase, CauseId.ClientClosed), summary, step);
            return;
        }

        if (_clientUndecryptable is { } why)
        {
            _recorder.End(step, StepOutcome.InFlight, why);
            Incomplete($"visibility ends in the client's direction: {why}");
            return;
        }

        _recorder.End(step, StepOutcome.InFlight, _clientCursor.AtGap ? "bytes are missing from the capture (the client's direction)" : "the capture ends before the client's next PDU");
        Incomplete(_clientCursor.AtGap
            ? $"bytes are missing from the capture in the client's direction at step {plan.Name}: nothing after them is guessed"
            : $"the capture ends before the client's next PDU (step {plan.Name})");
    }

    private const string NotARecord = "not a TLS record: ";

    /// <summary>Decrypts both directions after the handshake into streams of application data, each ending as its direction did.</summary>
    private void Decrypt(TlsConversation conversation)
    {
        TimedStream clientData = Plaintext(conversation, fromClient: true, _clientCursor, _client.Stream);
        TimedStream serverData = Plaintext(conversation, fromClient: false, _serverCursor, _server.Stream);
        _clientCursor = new StreamCursor(clientData);
        _serverCursor = new StreamCursor(serverData);
        if (conversation.DecryptFailure is { } failed)
        {
            _findings.Add(new Finding("decrypt-failed", failed));
        }
    }

    private static TimedStream Plaintext(TlsConversation conversation, bool fromClient, StreamCursor raw, TimedStream rawStream)
    {
        var pieces = new List<(byte[], DateTimeOffset)>();
        StreamEnd? end = null;
        while (end is null)
        {
            CursorRead record = raw.Read(new TlsRecordFrameHint("tls.record", "TLS record"));
            switch (record.Status)
            {
                case CursorStatus.Frame:
                    foreach (TlsConversation.TlsEvent e in conversation.Feed(fromClient, record.Bytes, record.Time!.Value))
                    {
                        if (e.ApplicationData is { Length: > 0 } data)
                        {
                            pieces.Add((data, e.Time));
                        }
                        else if (e.Alert is { } alert && (alert.IsFatal || alert.Description == 0))
                        {
                            end = new StreamEnd(StreamEndKind.Fin, e.Time, $"TLS alert from the {(fromClient ? "client" : "server")}: {alert.DisplayName}");
                        }
                    }

                    break;
                case CursorStatus.Invalid:
                    end = new StreamEnd(StreamEndKind.Fin, record.Time ?? rawStream.End?.Time ?? default, NotARecord + record.Error);
                    break;
                case CursorStatus.Gap:
                    TimedStream withGap = TimedStream.Of(pieces, null);
                    withGap.AppendGap(1, record.Time ?? default, "bytes missing from the capture");
                    withGap.End = rawStream.End;
                    return withGap;
                default:
                    end = rawStream.End ?? new StreamEnd(StreamEndKind.CaptureEnded, record.Time ?? default);
                    if (record.Bytes.Length > 0 && end.Kind != StreamEndKind.CaptureEnded)
                    {
                        // Part of a record, then the end: the application data stops before it.
                        end = end with { };
                    }

                    break;
            }
        }

        return TimedStream.Of(pieces, end);
    }

    /// <summary>
    /// TLS without the keys: what follows the handshake (TLS 1.2) or the ServerHello (TLS 1.3) is encrypted. The
    /// records are counted, and the ending said as the capture shows it; the phase is the first that may have been in flight.
    /// </summary>
    private void NotVisible(TlsConversation conversation, NegotiationResult negotiated)
    {
        var counts = new int[2];
        var bytes = new long[2];
        DateTimeOffset? lastClient = null;
        DateTimeOffset? lastServer = null;
        foreach ((StreamCursor cursor, int side) in new[] { (_clientCursor, 0), (_serverCursor, 1) })
        {
            while (true)
            {
                CursorRead record = cursor.Read(new TlsRecordFrameHint("tls.record", "TLS record"));
                if (record.Status != CursorStatus.Frame)
                {
                    break;
                }

                counts[side]++;
                bytes[side] += record.Bytes.Length;
                conversation.Feed(side == 0, record.Bytes, record.Time!.Value);
                if (side == 0)
                {
                    lastClient = record.Time;
                }
                else
                {
                    lastServer = record.Time;
                }
            }
        }

        bool handshakeSeen = conversation.Seen.HandshakeComplete || conversation.ClientAcceptedHandshake;
        ConnectionPhase phase = handshakeSeen ? negotiated.RequiresCredSsp ? ConnectionPhase.CredSsp : ConnectionPhase.Mcs : ConnectionPhase.Tls;
        if (handshakeSeen)
        {
            _reached = ConnectionPhase.Tls;
        }

        string why = conversation.NoDecryption ?? conversation.DecryptFailure ?? "no key log was given (--keylog)";
        string where = conversation.IsTls13 && !handshakeSeen
            ? "after the ServerHello: TLS 1.3 encrypts the rest of the handshake"
            : handshakeSeen ? "after the TLS handshake: everything after it is encrypted" : "in the TLS handshake";
        _visibility = $"visibility ends {where} ({why})";
        DateTimeOffset at = new[] { lastClient, lastServer }.Max() ?? _clock.Now;
        _clock.At(at);
        StepRecord step = _recorder.Begin("tls.encrypted", phase);
        _recorder.End(step, StepOutcome.InFlight, $"{counts[0]} encrypted record(s) from the client ({bytes[0]} bytes), {counts[1]} from the server ({bytes[1]} bytes): not decrypted",
            [new StepField("visibility", _visibility), new StepField("handshake", handshakeSeen ? "complete (the client sent application data)" : "not seen to complete")]);
        _status = AnalysisStatus.NotVisible;
        bool serverFirst = _server.Stream.End is { Kind: StreamEndKind.Fin or StreamEndKind.Reset } s
            && (_client.Stream.End is not { Kind: StreamEndKind.Fin or StreamEndKind.Reset } c || s.Time <= c.Time);
        if (serverFirst && lastServer <= lastClient || (serverFirst && lastServer is null))
        {
            StreamEnd end = _server.Stream.End!;
            CauseId cause = end.Kind == StreamEndKind.Reset ? CauseId.Reset : CauseId.ClosedByPeer;
            Diagnose(new Cause(phase, cause), $"{end.Describe("the server")} after the client's last encrypted record; without the keys the step in flight is not visible (phase {phase.Name()} or later)", step, transportEnd: end);
        }
    }

    /// <summary>
    /// CredSSP (MS-CSSP 3.1.5) observed PDU by PDU: each side's TSRequest decoded, the NTLM messages named, the
    /// server's refusals and endings given the causes the client's sequence gives them. The pubKeyAuth cannot be
    /// verified from outside (it takes the session key) and is reported as seen.
    /// </summary>
    private bool ObserveCredSsp(NegotiationResult negotiated)
    {
        string first = "credssp.negotiate";
        string serverToken = "credssp.challenge";
        string final = "credssp.authenticate";
        int round = 0;
        int serverVersion = 0;
        NtlmChallengeMessage? challenge = null;
        string? mech = null;
        bool spnego = true;
        while (true)
        {
            round++;
            string clientStep = round switch { 1 => first, 2 => final, _ => CredSspSequence.CredentialsStep };
            CursorRead client = _clientCursor.Read(new TsRequestFrameHint(clientStep, TsRequest.PduName));
            if (client.Status != CursorStatus.Frame)
            {
                ClientLeft(new StepPlan(clientStep, ConnectionPhase.CredSsp, null, FrameLayer.Tls));
                return false;
            }

            _clock.At(client.Time);
            DecodeResult<TsRequest> sent = Pdu.Decode<TsRequest>(client.Bytes);
            var fields = new List<StepField>();
            string summary = "TSRequest";
            if (sent.IsSuccess)
            {
                TsRequest ts = sent.Value;
                fields.Add(new StepField("tsRequest.version", ts.Version.ToString(CultureInfo.InvariantCulture)));
                if (ts.NegoTokens.Count > 0)
                {
                    (string pdu, string? kerberos, bool wrapped, List<StepField> tokenFields) = ClientToken(ts.NegoTokens[0].Span);
                    spnego &= wrapped || round > 1;
                    fields.AddRange(tokenFields);
                    summary = $"TSRequest with {pdu}";
                    if (round == 1 && kerberos is not null)
                    {
                        (first, serverToken, final) = ("credssp.ap-request", "credssp.ap-reply", "credssp.pubkey-auth");
                        clientStep = first;
                    }
                }

                if (!ts.PubKeyAuth.IsEmpty)
                {
                    fields.Add(new StepField("pubKeyAuth", $"{ts.PubKeyAuth.Length} bytes, sealed"));
                    summary += " and pubKeyAuth";
                }

                if (!ts.AuthInfo.IsEmpty)
                {
                    fields.Add(new StepField("authInfo", "TSCredentials, sealed (not shown)"));
                    summary = "TSRequest with the sealed TSCredentials";
                    clientStep = CredSspSequence.CredentialsStep;
                }
            }
            else
            {
                fields.Add(new StepField("error", sent.Error.ToString()));
            }

            StepRecord sentStep = _recorder.Begin(clientStep, ConnectionPhase.CredSsp);
            _recorder.End(sentStep, StepOutcome.Ok, summary, fields, sent: client.Bytes, pdu: TsRequest.PduName);
            _lastSent = client.Bytes;
            _lastPdu = TsRequest.PduName;
            bool credentials = sent.IsSuccess && !sent.Value.AuthInfo.IsEmpty;
            if (credentials && negotiated.Selected != SecurityProtocols.HybridEx)
            {
                break;
            }

            string waitStep = credentials ? CredSspSequence.EarlyAuthStep : round == 1 ? serverToken : CredSspSequence.PubKeyStep;
            FrameHint hint = credentials ? new FixedLengthFrameHint(waitStep, "Early User Authorization Result", 4) : new TsRequestFrameHint(waitStep, TsRequest.PduName);
            var plan = new StepPlan(waitStep, ConnectionPhase.CredSsp, hint, FrameLayer.Tls)
            {
                WhenClosed = round >= 2 && !credentials ? CauseId.ClosedAfterAuthenticate : CauseId.ClosedByPeer,
                WhenReset = round >= 2 && !credentials ? CauseId.ClosedAfterAuthenticate : CauseId.Reset,
            };
            StepRecord step = _recorder.Begin(waitStep, ConnectionPhase.CredSsp);
            CursorRead answer = _serverCursor.Read(hint);
            if (ClientGaveUp(answer) is { } gaveUp)
            {
                _clock.At(gaveUp);
                FailRead(plan, step, answer, clientGaveUp: true);
                return false;
            }

            _clock.At(answer.Time);
            if (answer.Status != CursorStatus.Frame)
            {
                if (answer.Status == CursorStatus.Invalid)
                {
                    _recorder.End(step, StepOutcome.Failed, $"the server's answer is not a valid {hint.Expecting}: {answer.Error}", [new StepField("error", answer.Error.ToString()!)], received: answer.Bytes, pdu: hint.Expecting);
                    Diagnose(new Cause(ConnectionPhase.CredSsp, CauseId.MalformedResponse), $"the server's answer is not a valid {hint.Expecting}: {answer.Error}", step, received: answer.Bytes);
                    return false;
                }

                FailRead(plan, step, answer, clientGaveUp: false);
                return false;
            }

            _lastPdu = hint.Expecting;
            _lastFromClient = false;
            if (credentials)
            {
                uint result = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(answer.Bytes);
                if (result != 0)
                {
                    _recorder.End(step, StepOutcome.Failed, "access denied", [new StepField("authorizationResult", result == 5 ? "AUTHZ_ACCESS_DENIED (5)" : $"0x{result:x8}")], received: answer.Bytes, pdu: "Early User Authorization Result PDU");
                    Diagnose(new Cause(ConnectionPhase.CredSsp, CauseId.AccessDenied), "the credentials are valid, but the user may not log on to this server (Early User Authorization: access denied)", step, received: answer.Bytes);
                    return false;
                }

                _recorder.End(step, StepOutcome.Ok, "AUTHZ_SUCCESS", [new StepField("authorizationResult", "AUTHZ_SUCCESS (0)")], received: answer.Bytes, pdu: "Early User Authorization Result PDU");
                break;
            }

            DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(answer.Bytes);
            if (!decoded.IsSuccess)
            {
                _recorder.End(step, StepOutcome.Failed, $"the server's TSRequest does not decode: {decoded.Error}", [new StepField("error", decoded.Error.ToString())], received: answer.Bytes, pdu: TsRequest.PduName);
                Diagnose(new Cause(ConnectionPhase.CredSsp, CauseId.MalformedResponse), $"the server's {TsRequest.PduName} is malformed: {decoded.Error}", step, received: answer.Bytes, decodeError: decoded.Error.ToString());
                return false;
            }

            TsRequest ts2 = decoded.Value;
            serverVersion = serverVersion == 0 ? ts2.Version : serverVersion;
            var got = new List<StepField> { new("tsRequest.version", ts2.Version.ToString(CultureInfo.InvariantCulture)) };
            if (ts2.ErrorCode is { } code)
            {
                got.Add(new StepField("errorCode", $"{NtStatus.Name(code)} (0x{code:x8})"));
                Cause cause = round == 1
                    ? code == NtStatus.NtlmBlocked ? new Cause(ConnectionPhase.CredSsp, CauseId.NtlmBlocked, null, code) : new Cause(ConnectionPhase.CredSsp, CauseId.ServerError, $"0x{code:x8}", code)
                    : new Cause(ConnectionPhase.CredSsp, CauseId.AuthFailed, NtStatus.Name(code), code);
                string why = round == 1 ? $"the server refused the CredSSP negotiation with error 0x{code:x8} ({NtStatus.Meaning(code)})" : $"the server refused the credentials: {NtStatus.Name(code)}, {NtStatus.Meaning(code)}";
                _recorder.End(step, StepOutcome.Failed, why, got, received: answer.Bytes, pdu: TsRequest.PduName);
                Diagnose(cause, why, step, received: answer.Bytes);
                _credssp = new CredSspResult(serverVersion, challenge, mech) { NtlmInSpnego = spnego };
                return false;
            }

            string answerSummary = "TSRequest";
            if (ts2.NegoTokens.Count > 0)
            {
                ReadOnlySpan<byte> token = ts2.NegoTokens[0].Span;
                if (!token.IsEmpty && token[0] == 0xA1 && Pdu.Decode<SpnegoNegTokenResp>(token) is { IsSuccess: true } resp)
                {
                    got.Add(new StepField("spnego.negState", resp.Value.State?.ToString() ?? "absent"));
                    mech ??= resp.Value.SupportedMech;
                    if (resp.Value.State == SpnegoNegState.Reject)
                    {
                        _recorder.End(step, StepOutcome.Failed, "the server's SPNEGO answer rejects the mechanism", got, received: answer.Bytes, pdu: TsRequest.PduName);
                        Diagnose(new Cause(ConnectionPhase.CredSsp, CauseId.NtlmRejected), "the server's SPNEGO answer rejects NTLM (it may accept Kerberos only)", step, received: answer.Bytes);
                        return false;
                    }

                    token = resp.Value.ResponseToken.Span;
                }

                if (round == 1 && Pdu.Decode<NtlmChallengeMessage>(token) is { IsSuccess: true } ntlm)
                {
                    challenge = ntlm.Value;
                    foreach ((string key, string value) in NtlmChallengeInfo.Of(challenge))
                    {
                        got.Add(new StepField(key, value));
                    }

                    answerSummary = $"NTLM CHALLENGE from {challenge.TargetName}";
                }
            }

            if (!ts2.PubKeyAuth.IsEmpty)
            {
                got.Add(new StepField("pubKeyAuth", $"{ts2.PubKeyAuth.Length} bytes, sealed: not verified (that takes the session key)"));
                answerSummary = "the server answered with its pubKeyAuth (the logon was accepted)";
            }

            _recorder.End(step, StepOutcome.Ok, answerSummary, got, received: answer.Bytes, pdu: TsRequest.PduName);
            _credssp = new CredSspResult(serverVersion, challenge, mech) { NtlmInSpnego = spnego, Package = first == "credssp.ap-request" ? "Kerberos" : "NTLM" };
        }

        _credssp ??= new CredSspResult(serverVersion, challenge, mech) { NtlmInSpnego = spnego };
        return true;
    }

    /// <summary>What the client's token is: SPNEGO around NTLM or Kerberos, or bare NTLM, with the AUTHENTICATE's names.</summary>
    private static (string Pdu, string? Kerberos, bool Spnego, List<StepField> Fields) ClientToken(ReadOnlySpan<byte> token)
    {
        var fields = new List<StepField>();
        bool spnego = false;
        string? kerberos = null;
        if (!token.IsEmpty && token[0] == 0x60 && Pdu.Decode<SpnegoNegTokenInit>(token) is { IsSuccess: true } init)
        {
            spnego = true;
            fields.Add(new StepField("negoToken", $"SPNEGO NegTokenInit, mechTypes {string.Join(", ", init.Value.MechTypes.Select(Spnego.MechName))}"));
            token = init.Value.MechToken.Span;
            if (init.Value.MechTypes.Count > 0 && init.Value.MechTypes[0] != Spnego.NtlmOid && (token.IsEmpty || token[0] != (byte)'N'))
            {
                kerberos = init.Value.MechTypes[0];
            }
        }
        else if (!token.IsEmpty && token[0] == 0xA1 && Pdu.Decode<SpnegoNegTokenResp>(token) is { IsSuccess: true } resp)
        {
            spnego = true;
            token = resp.Value.ResponseToken.Span;
        }

        if (Pdu.Decode<NtlmNegotiateMessage>(token) is { IsSuccess: true })
        {
            return ("NTLM NEGOTIATE", null, spnego, fields);
        }

        if (Pdu.Decode<NtlmAuthenticateMessage>(token) is { IsSuccess: true } auth)
        {
            fields.Add(new StepField("user", string.IsNullOrEmpty(auth.Value.DomainName) ? auth.Value.UserName : $"{auth.Value.DomainName}\\{auth.Value.UserName}"));
            fields.Add(new StepField("workstation", auth.Value.Workstation));
            return ("NTLM AUTHENTICATE", null, spnego, fields);
        }

        return (kerberos is not null ? "Kerberos AP-REQ" : "a token", kerberos, spnego, fields);
    }

    /// <summary>From the MCS Connect Initial on: the client's connector, built from the captured Connect Initial, fed the server's frames.</summary>
    private void ObserveSession(NegotiationResult negotiated, ConnectorServices services)
    {
        CursorRead peek = new StreamCursor(_clientCursor.Stream).Read(new RdpFrameHint("peek", "PDU"));
        // The cursor over the same stream starts at the beginning: look at the client's next frame instead.
        byte[] next = NextClientFrame(out _, consume: false) ?? [];
        _ = peek;
        SessionOptions session = new();
        if (Pdu.Decode<X224Data>(next) is { IsSuccess: true } data
            && Pdu.Decode<McsConnectInitial>(data.Value.UserData.Span) is { IsSuccess: true } ci
            && Pdu.Decode<GccConferenceCreateRequest>(ci.Value.UserData.Span) is { IsSuccess: true } gcc
            && Pdu.Decode<ClientConferenceData>(gcc.Value.UserData.Span) is { IsSuccess: true } blocks)
        {
            session = new SessionOptions
            {
                Core = blocks.Value.Core,
                Channels = blocks.Value.Network?.Channels ?? [],
                EncryptionMethods = blocks.Value.Security.EncryptionMethods,
            };
        }

        var options = new ClientConnectorOptions { Negotiation = _options.Negotiation, Session = session, Until = ConnectionPhase.Finalization };
        _options = _options with { Session = session };
        ClientConnector connector = ClientConnector.AfterNegotiation(options, services, negotiated);
        _session = connector.State;
        bool finished = Drive(connector, plan =>
        {
            if (plan.Name == SecurityCommencement.SecurityExchangeStep)
            {
                if (connector.State.Mcs.Server?.Security is { } security && _standard.HasKeys(security.ServerRandom.Span)
                    && NextClientFrame(out DateTimeOffset? time, consume: true) is { } exchange)
                {
                    _securityExchange = exchange;
                    return (exchange, time);
                }

                StandardSecurityNotVisible(plan);
                return null;
            }

            if (_securityExchange is not null && !StartStandardDecryption(plan))
            {
                return null;
            }

            return ClientPduFor(plan);
        });
        _reached = connector.State.Reached > _reached ? connector.State.Reached : _reached;
        if (finished && _status is null && connector.State.Reached >= ConnectionPhase.Finalization)
        {
            _status = AnalysisStatus.Finalized;
        }
    }

    /// <summary>
    /// Standard RDP Security with encryption and no key log line for this connection: the client random travels
    /// encrypted with the server's key, and nothing after it can be read.
    /// </summary>
    private void StandardSecurityNotVisible(StepPlan plan)
    {
        byte[]? exchange = NextClientFrame(out DateTimeOffset? time, consume: true);
        _clock.At(time);
        StepRecord step = _recorder.Begin(plan.Name, plan.Phase);
        _visibility = "visibility ends at the Security Exchange: under Standard RDP Security the client random travels encrypted with the server's key, and every PDU after it is encrypted"
            + $" (the key log has no {Crypto.StandardSecurity.StandardSecurityProvider.KeyLogLabel} line for this server random; rdphs probe --keylog writes one)";
        _recorder.End(step, StepOutcome.Ok, "client random sent, encrypted with the server's public key", [new StepField("visibility", _visibility)], sent: exchange ?? [], pdu: "Security Exchange PDU");
        _status = AnalysisStatus.NotVisible;
        EndByTransport(plan.Phase);
    }

    /// <summary>
    /// After a Security Exchange the key log let the connector follow: the client random the key log gives must be
    /// the one the captured client sent (RSA without padding is deterministic, so the encrypted randoms are
    /// compared); then the client's direction is decrypted from here on. False, with visibility ending, on a mismatch.
    /// </summary>
    private bool StartStandardDecryption(StepPlan plan)
    {
        byte[] exchange = _securityExchange!;
        _securityExchange = null;
        ReadOnlySpan<byte> captured = Pdu.Decode<X224Data>(exchange) is { IsSuccess: true } data
            && Pdu.Decode<SendData>(data.Value.UserData.Span) is { IsSuccess: true } send
            && Pdu.Decode<Protocol.Security.SecurityExchangePdu>(send.Value.UserData.Span) is { IsSuccess: true } pdu
            ? pdu.Value.EncryptedClientRandom.Span
            : [];
        if (captured.IsEmpty || !captured.TrimEnd((byte)0).SequenceEqual(_standard.Expected.Span.TrimEnd((byte)0)))
        {
            StepRecord step = _recorder.Begin(plan.Name, plan.Phase);
            _visibility = $"visibility ends at the Security Exchange: the key log's {Crypto.StandardSecurity.StandardSecurityProvider.KeyLogLabel} line for this server random does not give the client random the captured client sent (a key log of another connection?)";
            _recorder.End(step, StepOutcome.InFlight, _visibility, [new StepField("visibility", _visibility)]);
            _findings.Add(new Finding("keylog-mismatch", _visibility));
            _status = AnalysisStatus.NotVisible;
            EndByTransport(plan.Phase);
            return false;
        }

        _clientCursor = new StreamCursor(StandardPlaintext(_clientCursor, _client.Stream));
        return true;
    }

    /// <summary>The client's frames from the cursor on, decrypted, each with its time; the stream ends as the client's did.</summary>
    private TimedStream StandardPlaintext(StreamCursor raw, TimedStream rawStream)
    {
        var pieces = new List<(byte[], DateTimeOffset)>();
        while (true)
        {
            CursorRead frame = raw.Read(new RdpFrameHint("client", "PDU"));
            switch (frame.Status)
            {
                case CursorStatus.Frame:
                    if (_standard.DecryptClientFrame(frame.Bytes, out string? error) is { } clear)
                    {
                        pieces.Add((clear, frame.Time!.Value));
                        continue;
                    }

                    _clientUndecryptable = error;
                    _findings.Add(new Finding("decrypt-failed", error!));
                    return TimedStream.Of(pieces, new StreamEnd(StreamEndKind.CaptureEnded, frame.Time!.Value, error));
                case CursorStatus.Gap:
                    TimedStream withGap = TimedStream.Of(pieces, null);
                    withGap.AppendGap(1, frame.Time ?? default, "bytes missing from the capture");
                    withGap.End = rawStream.End;
                    return withGap;
                default:
                    return TimedStream.Of(pieces, rawStream.End ?? new StreamEnd(StreamEndKind.CaptureEnded, frame.Time ?? default));
            }
        }
    }

    /// <summary>Without visibility, the ending as TCP shows it: a server that closed or reset after the client's last PDU.</summary>
    private void EndByTransport(ConnectionPhase phase)
    {
        if (_server.Stream.End is { Kind: StreamEndKind.Fin or StreamEndKind.Reset } end
            && (_client.Stream.End is not { Kind: StreamEndKind.Fin or StreamEndKind.Reset } c || end.Time <= c.Time))
        {
            CauseId cause = end.Kind == StreamEndKind.Reset ? CauseId.Reset : CauseId.ClosedByPeer;
            StepRecord last = _recorder.Steps[^1];
            Diagnose(new Cause(phase, cause), $"{end.Describe("the server")}; the PDUs before it are encrypted (phase {phase.Name()} or later)", last, transportEnd: end);
        }
    }

    /// <summary>The client's next PDU that answers <paramref name="plan"/>'s send step, past the client PDUs no step sends (input, channel data, answers).</summary>
    private (byte[], DateTimeOffset?)? ClientPduFor(StepPlan plan)
    {
        for (int skipped = 0; skipped < 64; skipped++)
        {
            byte[]? frame = NextClientFrame(out DateTimeOffset? time, consume: false);
            if (frame is null)
            {
                return null;
            }

            string kind = ClientPduKind(frame);
            if (kind == plan.Name)
            {
                NextClientFrame(out _, consume: true);
                return (frame, time);
            }

            if (kind is "disconnect")
            {
                return null;
            }

            if (kind.StartsWith("mcs.", StringComparison.Ordinal) || kind.StartsWith("security.", StringComparison.Ordinal) || kind.StartsWith("capabilities.", StringComparison.Ordinal)
                || kind.StartsWith("finalization.", StringComparison.Ordinal))
            {
                // The client sends a step the sequence does not have here (another join order, joins skipped).
                _clock.At(time);
                StepRecord step = _recorder.Begin(plan.Name, plan.Phase);
                _visibility = $"the client sent {kind} where rdphs's sequence sends {plan.Name}: the analysis does not follow another client's order here";
                _recorder.End(step, StepOutcome.InFlight, _visibility, sent: frame);
                _status = AnalysisStatus.Incomplete;
                return null;
            }

            NextClientFrame(out _, consume: true);
            _clock.At(time);
            StepRecord other = _recorder.Begin("client.pdu", plan.Phase);
            _recorder.End(other, StepOutcome.Ok, $"the client sent {kind}", sent: frame, pdu: kind);
        }

        return null;
    }

    /// <summary>
    /// The channels in the order the captured client joined them (its Channel Join Requests before its first Send
    /// Data Request), for the connector to join them in that order. Where the capture stops first (the client left,
    /// or bytes are missing), the channels it did not reach follow in the standard order, for the step in flight to
    /// be the one the client never sent.
    /// </summary>
    private IReadOnlyList<ushort> CapturedJoinOrder(IReadOnlyList<ushort> standard)
    {
        var cursor = new StreamCursor(_clientCursor.Stream);
        var order = new List<ushort>();
        for (int frames = 0; frames < 1024; frames++)
        {
            CursorRead read = cursor.Read(new RdpFrameHint("client", "PDU"));
            if (read.Status != CursorStatus.Frame)
            {
                break;
            }

            if (read.Bytes.Length == 0 || read.Bytes[0] != TpktHeader.Version3 || Pdu.Decode<X224Data>(read.Bytes) is not { IsSuccess: true } data)
            {
                continue;
            }

            ReadOnlySpan<byte> mcs = data.Value.UserData.Span;
            DomainMcsPduType? type = mcs.Length >= 2 && mcs[0] == 0x7F && mcs[1] == 0x65 ? null : DomainPdu.PeekType(mcs);
            if (type == DomainMcsPduType.SendDataRequest)
            {
                return order;
            }

            if (type == DomainMcsPduType.ChannelJoinRequest && Pdu.Decode<ChannelJoinRequest>(mcs) is { IsSuccess: true } join && !order.Contains(join.Value.ChannelId))
            {
                order.Add(join.Value.ChannelId);
            }
        }

        return [.. order, .. standard.Where(id => !order.Contains(id))];
    }

    private byte[]? NextClientFrame(out DateTimeOffset? time, bool consume)
    {
        time = null;
        if (consume)
        {
            CursorRead read = _clientCursor.Read(new RdpFrameHint("client", "PDU"));
            time = read.Time;
            return read.Status == CursorStatus.Frame ? read.Bytes : null;
        }

        byte[] head = _clientCursor.Peek(4, out _);
        if (head.Length < 2)
        {
            return null;
        }

        var probe = new RdpFrameHint("client", "PDU");
        FrameSize size = probe.FindSize(head);
        if (size.Status != FrameSizeStatus.Complete)
        {
            return null;
        }

        byte[] frame = _clientCursor.Peek(size.Length, out time);
        return frame.Length == size.Length ? frame : null;
    }

    /// <summary>
    /// What the captured client's Client Info PDU says (in the clear: under TLS, or Standard RDP Security without
    /// encryption): its user and domain, and whether it carries a password, never the password itself.
    /// </summary>
    internal static (string Summary, IReadOnlyList<StepField> Fields)? CapturedClientInfo(byte[] frame)
    {
        if (Pdu.Decode<X224Data>(frame) is not { IsSuccess: true } data
            || Pdu.Decode<SendData>(data.Value.UserData.Span) is not { IsSuccess: true } send)
        {
            return null;
        }

        ReadOnlySpan<byte> payload = send.Value.UserData.Span;
        if (payload.Length < 4 || ((Protocol.Security.SecurityHeaderFlags)(payload[0] | (payload[1] << 8)) & Protocol.Security.SecurityHeaderFlags.Encrypt) != 0)
        {
            return null;
        }

        if (Pdu.Decode<Protocol.Rdp.ClientInfoPacket>(payload[4..]) is not { IsSuccess: true } decoded)
        {
            return null;
        }

        Protocol.Rdp.ClientInfoPacket info = decoded.Value;
        var fields = new List<StepField>
        {
            new("flags", $"0x{(uint)info.Flags:x8}"),
            new("domain", info.Domain.Length == 0 ? "(empty)" : info.Domain),
            new("userName", info.UserName.Length == 0 ? "(empty)" : info.UserName),
            new("password", info.Password.Length == 0 ? "(none)" : "(present, not shown)"),
        };
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(info.Password);
        string summary = info.UserName.Length == 0 ? "client info without user name" : $"client info for {(info.Domain.Length == 0 ? string.Empty : info.Domain + "\\")}{info.UserName}";
        return (summary, fields);
    }

    /// <summary>Names a client frame by the step that sends it (<c>mcs.channel-join.1004</c>), or what it is when no step sends it.</summary>
    internal static string ClientPduKind(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty || frame[0] != TpktHeader.Version3)
        {
            return "fast-path input";
        }

        if (X224Framing.PeekTpduCode(frame) == (byte)X224TpduCode.DisconnectRequest)
        {
            return "disconnect";
        }

        if (Pdu.Decode<X224Data>(frame) is not { IsSuccess: true } data)
        {
            return "TPKT packet";
        }

        ReadOnlySpan<byte> mcs = data.Value.UserData.Span;
        if (mcs.Length >= 2 && mcs[0] == 0x7F && mcs[1] == 0x65)
        {
            return ChannelConnection.ConnectInitialStep;
        }

        return DomainPdu.PeekType(mcs) switch
        {
            DomainMcsPduType.ErectDomainRequest => ChannelConnection.ErectDomainStep,
            DomainMcsPduType.AttachUserRequest => ChannelConnection.AttachUserStep,
            DomainMcsPduType.ChannelJoinRequest when Pdu.Decode<ChannelJoinRequest>(mcs) is { IsSuccess: true } join =>
                $"{ChannelConnection.ChannelJoinStep}.{join.Value.ChannelId.ToString(CultureInfo.InvariantCulture)}",
            DomainMcsPduType.DisconnectProviderUltimatum => "disconnect",
            DomainMcsPduType.SendDataRequest when Pdu.Decode<SendData>(mcs) is { IsSuccess: true } send => SendDataKind(send.Value.UserData.Span),
            _ => "MCS PDU",
        };
    }

    private static string SendDataKind(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            return "MCS Send Data";
        }

        int totalLength = payload[0] | (payload[1] << 8);
        int pduType = payload[2] | (payload[3] << 8);
        bool share = totalLength >= 4 && totalLength <= payload.Length && (pduType >> 4) == 1 && (pduType & 0xF) is 1 or 3 or 6 or 7 or 0xA;
        if (!share && payload.Length > 8 && payload[0] == 0 && payload[1] == 0)
        {
            // A basic security header without flags before the PDU (Standard RDP Security without encryption).
            return SendDataKind(payload[4..]);
        }

        if (!share)
        {
            var flags = (Protocol.Security.SecurityHeaderFlags)(payload[0] | (payload[1] << 8));
            if ((flags & Protocol.Security.SecurityHeaderFlags.ExchangePkt) != 0)
            {
                return SecurityCommencement.SecurityExchangeStep;
            }

            if ((flags & Protocol.Security.SecurityHeaderFlags.InfoPkt) != 0)
            {
                return SecureSettingsExchange.ClientInfoStep;
            }

            if ((flags & Protocol.Security.SecurityHeaderFlags.Encrypt) != 0)
            {
                return "encrypted PDU";
            }

            if ((flags & Protocol.Security.SecurityHeaderFlags.LicensePkt) != 0)
            {
                return "licensing PDU";
            }

            return "PDU with a security header";
        }

        return (pduType & 0xF) switch
        {
            3 => CapabilitiesExchange.ConfirmActiveStep,
            7 => ShareDataKind(payload[..totalLength]),
            _ => "Share Control PDU",
        };
    }

    /// <summary>
    /// A client's Share Data PDU by its pduType2 (MS-RDPBCGR 2.2.8.1.1.1.2): the finalization PDUs by the step that
    /// sends them, the others (Persistent Key List, Refresh Rect, Suppress Output, Shutdown Request, input) by name.
    /// </summary>
    private static string ShareDataKind(ReadOnlySpan<byte> pdu)
    {
        // TS_SHARECONTROLHEADER (6 bytes), then TS_SHAREDATAHEADER: shareId (4), pad1, streamId, uncompressedLength (2), pduType2.
        const int PduType2 = 6 + 4 + 1 + 1 + 2;
        if (pdu.Length <= PduType2)
        {
            return "Share Data PDU";
        }

        const int ControlAction = PduType2 + 4;
        return pdu[PduType2] switch
        {
            0x1F => ConnectionFinalization.SynchronizeStep,
            0x14 when pdu.Length >= ControlAction + 2 && (pdu[ControlAction] | (pdu[ControlAction + 1] << 8)) == 0x0004 => ConnectionFinalization.ControlCooperateStep,
            0x14 when pdu.Length >= ControlAction + 2 && (pdu[ControlAction] | (pdu[ControlAction + 1] << 8)) == 0x0001 => ConnectionFinalization.RequestControlStep,
            0x14 => "Control PDU",
            0x27 => ConnectionFinalization.FontListStep,
            0x2B => "Persistent Key List PDU",
            0x21 => "Refresh Rect PDU",
            0x23 => "Suppress Output PDU",
            0x24 => "Shutdown Request PDU",
            0x1C => "Input Event PDU",
            byte other => $"Share Data PDU (pduType2 {other.ToString(CultureInfo.InvariantCulture)})",
        };
    }

    private void DiagnoseFailure(ProtocolFailure failure)
    {
        IReadOnlyList<StepRecord> steps = _recorder.Steps;
        StepRecord last = steps[^1];
        StepRecord evidence = failure.EvidenceStep is { } name ? steps.Last(s => s.Name == name) : last;
        string reason = failure.Reason;
        string? detail = failure.Detail;
        if (failure.Cause == CauseId.ServerErrorInfo && failure.Code is { } code)
        {
            CodeEntry named = ErrorInfoName(code);
            detail = named.Name;
            reason = $"{reason}: {named.Name}, {named.Meaning}";
        }

        Diagnose(new Cause(last.Phase, failure.Cause, detail, failure.Code), reason, evidence, decodeError: failure.DecodeError?.ToString());
    }

    private void Diagnose(Cause cause, string summary, StepRecord? step, byte[]? received = null, int? expected = null, StreamEnd? transportEnd = null, string? decodeError = null)
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(cause);
        byte[] got = received is { Length: > 0 } ? received : step?.Received ?? [];
        var evidence = new Evidence(
            step?.Name,
            LastSentHex: _lastSent.Length == 0 ? null : Convert.ToHexStringLower(_lastSent),
            ReceivedHex: got.Length == 0 ? null : Convert.ToHexStringLower(got),
            ExpectedLength: expected,
            TransportEnd: transportEnd?.Kind switch { StreamEndKind.Fin => "closed", StreamEndKind.Reset => "reset", _ => null },
            DecodeError: decodeError,
            Fields: step?.Fields);
        _diagnosis = new Diagnosis(cause, summary, entry.Explanation, evidence, entry.Mstsc, entry.Remedy) { MstscNote = entry.NoMstscCode };
        _status = _status == AnalysisStatus.NotVisible ? AnalysisStatus.NotVisible : AnalysisStatus.Failed;
    }

    private void Incomplete(string why)
    {
        _status = AnalysisStatus.Incomplete;
        _visibility = why;
    }

    private static CodeEntry ErrorInfoName(uint code) =>
        MstscCodes.ExtendedReason((int)code) ?? new CodeEntry((int)code, $"0x{code:x8}", "an ERRINFO code rdphs does not know");

    private ConnectionAnalysis Build()
    {
        AnalysisStatus status = _status ?? (_diagnosis is null ? AnalysisStatus.Incomplete : AnalysisStatus.Failed);
        if (_status is null && _diagnosis is null)
        {
            _visibility ??= "the connection sequence did not reach finalization in what the capture holds";
        }

        ConnectionState? state = _session;
        SessionResult? session = state is { McsStarted: true } ? SessionResult.From(state) : null;
        Tls.TlsResult? tls = _negotiated?.Negotiation?.RequiresTls == true ? _tls?.Result() : null;
        string verdict = status switch
        {
            AnalysisStatus.Finalized => Verdicts.Success(_negotiated?.Negotiation, tls, _reached, ConnectionPhase.Finalization, session),
            _ when _diagnosis is { } d => $"failed in {d.Phase.Name()}: {d.Cause.Name} - {d.Summary}",
            _ => $"{ConnectionAnalysis.StatusName(status)}: {_visibility}",
        };
        var report = new ProbeReport
        {
            Target = _server.From.ToString(),
            RemoteAddress = _server.From.ToString(),
            LocalAddress = _client.From.ToString(),
            StartedAt = _recorder.StartedAt,
            Elapsed = (_connection.LastSeen > _clock.Now ? _connection.LastSeen : _clock.Now) - _recorder.StartedAt,
            Options = _options,
            Steps = _recorder.Steps,
            Negotiation = _negotiated?.Negotiation,
            Tls = tls,
            CredSsp = _credssp,
            Session = session,
            Reached = _reached ?? ConnectionPhase.Tcp,
            Goal = ConnectionPhase.Finalization,
            Diagnosis = _diagnosis,
            Verdict = verdict,
        };
        AddFindings();
        return new ConnectionAnalysis
        {
            Index = _connection.Index,
            Client = _client.From,
            Server = _server.From,
            FirstSeen = _connection.FirstSeen,
            LastSeen = _connection.LastSeen,
            Report = report,
            Status = status,
            VisibilityEnds = status == AnalysisStatus.Finalized ? null : _visibility,
            Ending = WhoEnded(),
            ClientTcp = DirectionFacts.Of(_client),
            ServerTcp = DirectionFacts.Of(_server),
            Findings = _findings,
        };
    }

    /// <summary>Who ended the connection: the first side to send FIN or RST, after which PDU, after how long a silence.</summary>
    private Ending? WhoEnded()
    {
        (string Who, TcpFlow Flow)[] sides = [("client", _client), ("server", _server)];
        (string who, TcpFlow flow, DateTimeOffset at, string how)? first = null;
        foreach ((string who, TcpFlow flow) in sides)
        {
            foreach ((DateTimeOffset? time, string how) in new[] { (flow.FinAt, "FIN"), (flow.RstAt, "RST") })
            {
                if (time is { } t && (first is null || t < first.Value.at))
                {
                    first = (who, flow, t, how);
                }
            }
        }

        if (first is not { } f)
        {
            return null;
        }

        DateTimeOffset? lastData = new[] { _client.LastPayloadAt, _server.LastPayloadAt }.Where(t => t <= f.at).Max();
        TimeSpan? silence = lastData is { } d ? f.at - d : null;
        string after = _lastFromClient ? $"the client's {_lastPdu}" : $"the server's {_lastPdu}";
        string summary = $"the {f.who} ended the connection ({f.how}) at {Time(f.at)}, after {after}{(silence is { } s ? $", {Seconds(s)} after the last payload" : string.Empty)}";
        return new Ending(f.who, f.how, f.at, after, silence, summary);
    }

    private void AddFindings()
    {
        foreach ((string who, TcpFlow flow) in new[] { ("client", _client), ("server", _server) })
        {
            if (flow.ZeroWindows > 0)
            {
                _findings.Add(new Finding("zero-window", $"the {who} advertised a zero receive window {flow.ZeroWindows} time(s), first at {Time(flow.FirstZeroWindow!.Value)}: its receive buffer was full"));
            }

            if (flow.Retransmissions > 0)
            {
                _findings.Add(new Finding("retransmissions", $"the {who} retransmitted {flow.Retransmissions} segment(s)"));
            }

            if (flow.Gaps > 0)
            {
                _findings.Add(new Finding("gap", $"{flow.GapBytes} byte(s) the {who} sent are missing from the capture ({flow.Gaps} gap(s)): they are not guessed"));
            }

            if (flow.TruncatedPayloads > 0)
            {
                _findings.Add(new Finding("snaplen", $"payloads truncated to {flow.TruncatedTo} bytes by the capture's snap length ({flow.TruncatedPayloads} segment(s) from the {who})"));
            }

            if (flow.BlackHole is { } hole)
            {
                _findings.Add(new Finding("mtu-black-hole",
                    $"the {who} sent the same {hole.Length}-byte segment {hole.Sent} times over {Seconds(hole.Over)} without an acknowledgement, while segments of up to {hole.LargestAcked} bytes were acknowledged: the MTU black-hole signature (a path that drops large packets and the ICMP that would say so); lower the MTU or fix PMTUD on the path"));
            }
        }
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan span) => $"{span.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)} ms";

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    private sealed class ZeroRandom : IRandomSource
    {
        public void Fill(Span<byte> buffer) => buffer.Clear();
    }

    /// <summary>
    /// The client's licensing answers are in the capture (its New License Request and Platform Challenge Response are
    /// passed over as client PDUs no step of the sequence sends); the observer's connector only needs to go on, so it
    /// is handed placeholders that nobody reads. What licensing encrypts (with a premaster secret only the client and
    /// the server know) is not decrypted: the server's next licensing message or its Demand Active says how it went.
    /// </summary>
    private sealed class ObservedLicensing : Protocol.Licensing.ILicensingProvider
    {
        private static readonly Protocol.Licensing.LicenseBinaryBlob Empty = new(Protocol.Licensing.LicenseBlobType.Data, ByteString.Empty);

        public Protocol.Licensing.ClientNewLicenseRequest? AnswerLicenseRequest(Protocol.Licensing.ServerLicenseRequest request, ByteString standardSecurityCertificate, out string? problem)
        {
            problem = null;
            return new Protocol.Licensing.ClientNewLicenseRequest(Protocol.Licensing.KeyExchangeAlgorithm.Rsa, 0, new ByteString(new byte[32]),
                new Protocol.Licensing.LicenseBinaryBlob(Protocol.Licensing.LicenseBlobType.Random, ByteString.Empty),
                new Protocol.Licensing.LicenseBinaryBlob(Protocol.Licensing.LicenseBlobType.ClientUserName, ByteString.Empty),
                new Protocol.Licensing.LicenseBinaryBlob(Protocol.Licensing.LicenseBlobType.ClientMachineName, ByteString.Empty));
        }

        public Protocol.Licensing.ClientPlatformChallengeResponse? AnswerPlatformChallenge(Protocol.Licensing.ServerPlatformChallenge challenge, out string? problem)
        {
            problem = null;
            return new Protocol.Licensing.ClientPlatformChallengeResponse(Empty, Empty, new ByteString(new byte[16]));
        }
    }
}
