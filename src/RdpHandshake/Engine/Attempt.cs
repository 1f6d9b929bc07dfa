using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RdpHandshake.Capture;
using RdpHandshake.CredSsp;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;
using RdpHandshake.Tls;
using RdpHandshake.Transport;

namespace RdpHandshake.Engine;

/// <summary>
/// One connection attempt's record: the timeline with every step's bytes and timing, the wire log for the capture,
/// the diagnosis built from a cause and its evidence, and the report at the end.
/// </summary>
internal sealed partial class Attempt(ILogger logger, TimeProvider time, Action<StepRecord>? observer, string target, ProbeOptions options)
{
    private readonly StepRecorder _recorder = new(time);
    private WireLog? _wire;
    private IPEndPoint? _server;
    private IPEndPoint? _client;
    private string? _remote;
    private string? _local;
    private byte[] _lastSent = [];
    private TransportEndKind? _serverEnded;
    private string? _tunnel;

    public TimeProvider Time => time;

    public ProbeOptions Options => options;

    /// <summary>The steps so far.</summary>
    public IReadOnlyList<StepRecord> Steps => _recorder.Steps;

    /// <summary>The step in flight, if any.</summary>
    public StepRecord? InFlight => _recorder.InFlight;

    /// <summary>Whether TCP connected (the run reached phase tcp).</summary>
    public bool Connected => _remote is not null;

    public StepRecord Begin(string name, ConnectionPhase phase)
    {
        StepRecord step = _recorder.Begin(name, phase);
        observer?.Invoke(step);
        return step;
    }

    public void End(StepRecord step, StepOutcome outcome, string? summary, IReadOnlyList<StepField>? fields = null, byte[]? sent = null, byte[]? received = null, string? pdu = null)
    {
        if (_tunnel is not null && !step.Name.StartsWith("gateway.", StringComparison.Ordinal))
        {
            // Every step of the sequence after the gateway hop ran inside its tunnel.
            fields = [.. fields ?? [], new StepField("tunnelled", _tunnel)];
        }

        _recorder.End(step, outcome, summary, fields, sent, received, pdu);
        LogStep(step.Name, outcome, summary);
        if (logger.IsEnabled(LogLevel.Trace))
        {
            LogStepBytes(step.Name, Hex(step.Sent), Hex(step.Received));
        }

        observer?.Invoke(step);
    }

    /// <summary>Records that the transport is up: the <c>tcp.connect</c> step ends (or is made) and the wire log starts.</summary>
    /// <remarks>
    /// Through a proxy (<c>proxy.connect</c>) the wire log starts only once the tunnel is open (<see cref="MarkProxyTunnelOpen"/>):
    /// the capture shows the tunnelled RDP stream, which a dissector reads from its first byte, and never the proxy's
    /// credentials.
    /// </remarks>
    public void MarkConnected(IRdpTransport transport, StepRecord? step = null, List<StepField>? fields = null)
    {
        _server = (transport as SocketTransport)?.RemoteEndPoint;
        _client = (transport as SocketTransport)?.LocalEndPoint;
        bool viaProxy = step?.Phase == ConnectionPhase.Proxy;
        if (!viaProxy)
        {
            _wire = new WireLog(_recorder.StartedAt) { ConnectedAt = _recorder.Elapsed, Server = _server, Client = _client };
        }

        _remote = transport.RemoteDescription;
        _local = transport.LocalDescription;
        step ??= Begin(RdpProber.TcpConnectStep, ConnectionPhase.Tcp);
        fields ??= [];
        fields.Add(new StepField("remote", _remote));
        if (_local is not null)
        {
            fields.Add(new StepField("local", _local));
        }

        End(step, StepOutcome.Ok, viaProxy ? $"connected to the proxy {_remote}" : $"connected to {_remote}", fields);
        LogConnected(_remote, _local);
    }

    /// <summary>
    /// Records that the sequence runs inside a tunnel from here on (an RD Gateway's channel): the wire log starts with
    /// the tunnelled stream, and every step after this is marked as tunnelled through <paramref name="via"/>.
    /// </summary>
    /// <remarks>
    /// The capture shows the tunnelled RDP stream as one TCP connection from <paramref name="client"/> (the local end of
    /// the connection to the gateway) to the target: at its address when <paramref name="target"/> is an IP address of the
    /// same family, else at <paramref name="gateway"/>'s address with the target's port. The pcapng comment says which.
    /// </remarks>
    public void MarkTunnelled(IRdpTransport transport, string via, IPEndPoint? client = null, IPEndPoint? gateway = null, ProbeTarget? target = null)
    {
        IPEndPoint? server = null;
        string? comment = null;
        if (client is not null && target is not null)
        {
            bool literal = IPAddress.TryParse(target.Host, out IPAddress? address) && address.AddressFamily == client.AddressFamily;
            server = literal ? new IPEndPoint(address!, target.Port) : new IPEndPoint(gateway?.Address ?? client.Address, target.Port);
            comment = $"The RDP stream to {target} tunnelled through {via} (MS-TSGU data packets), shown as one TCP connection from "
                + $"the local end of the gateway connection ({client}) to "
                + (literal ? $"the target's address ({server})." : $"{server}: the target is a name, so the gateway's address stands for it, with the target's port.")
                + " The gateway's own TLS and HTTP are not in this file.";
        }

        _wire = new WireLog(_recorder.StartedAt) { ConnectedAt = _recorder.Elapsed, Client = client, Server = server, Comment = comment };
        _remote = transport.RemoteDescription;
        _local = transport.LocalDescription;
        _tunnel = via;
        LogConnected(_remote, _local);
    }

    /// <summary>
    /// Records that the proxy's tunnel to <paramref name="targetHost"/> is open: the wire log starts here, as a connection
    /// from our end to the server's port (at the server's address when it is an IP address of the same family, else at
    /// the proxy's), so that the capture holds the RDP stream as the server sees it.
    /// </summary>
    public void MarkProxyTunnelOpen(string targetHost, int targetPort)
    {
        if (_wire is not null)
        {
            return;
        }

        IPAddress address = IPAddress.TryParse(targetHost, out IPAddress? literal) && literal.AddressFamily == (_client?.AddressFamily ?? literal.AddressFamily)
            ? literal
            : _server?.Address ?? IPAddress.Loopback;
        _wire = new WireLog(_recorder.StartedAt) { ConnectedAt = _recorder.Elapsed, Server = new IPEndPoint(address, targetPort), Client = _client };
    }

    /// <summary>Adds bytes the server sent to the wire log, for the capture.</summary>
    public void Received(byte[] bytes) => _wire?.Add(_recorder.Elapsed, WireDirection.ToClient, bytes);

    /// <summary>Adds bytes that went on the wire to the server, for the capture.</summary>
    public void Sent(byte[] wire) => _wire?.Add(_recorder.Elapsed, WireDirection.ToServer, wire);

    /// <summary>Remembers the last PDU sent, the evidence's <c>lastSentHex</c>.</summary>
    public void NoteSent(byte[] pdu) => _lastSent = pdu;

    /// <summary>A diagnosis of <paramref name="cause"/> with the evidence of <paramref name="step"/> and of the read that ended it.</summary>
    public Diagnosis Diagnose(Cause cause, string summary, StepRecord? step, FrameReadResult? read = null, SocketError? socketError = null, string? decodeError = null)
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(cause);
        _serverEnded = read?.End?.Kind ?? _serverEnded;
        var evidence = new Evidence(
            step?.Name,
            LastSentHex: _lastSent.Length == 0 ? null : Hex(_lastSent),
            ReceivedHex: read is { Bytes.Length: > 0 } ? Hex(read.Bytes) : step is { Received.Length: > 0 } ? Hex(step.Received) : null,
            ExpectedLength: read?.ExpectedLength,
            TransportEnd: read?.End?.KindName,
            SocketError: (read?.End?.SocketError ?? socketError)?.ToString(),
            DecodeError: decodeError ?? read?.Error?.ToString(),
            Fields: step?.Fields);
        return new Diagnosis(cause, summary, Trigger(cause, step) + entry.Explanation, evidence, entry.Mstsc, entry.Remedy) { MstscNote = entry.NoMstscCode };
    }

    /// <summary>
    /// When the server closes or resets while the client waits: the client PDUs sent since the server last spoke, as
    /// the likely trigger, read with the security mode in mind. After the Security Exchange and the Client Info under
    /// Standard RDP Security the server may have failed to decrypt the client random (a wrong or corrupt server key, a
    /// FIPS mismatch) or rejected the Client Info; under TLS, after the Client Info, it may have rejected the Client
    /// Info. Said before the catalogue's generic explanation (licensing's, for a close while waiting for licensing).
    /// </summary>
    private string Trigger(Cause cause, StepRecord? failed)
    {
        if (cause.Id is not (CauseId.ClosedByPeer or CauseId.Reset or CauseId.TruncatedResponse) || cause.Phase <= ConnectionPhase.Tcp)
        {
            return string.Empty;
        }

        var sent = new List<string>();
        IReadOnlyList<StepRecord> steps = _recorder.Steps;
        for (int i = steps.Count - 1; i >= 0; i--)
        {
            StepRecord step = steps[i];
            if (step.Received.Length > 0 && step != failed)
            {
                break;
            }

            if (step.Sent.Length > 0)
            {
                sent.Insert(0, step.Pdu is { Length: > 0 } pdu ? $"{pdu} ({step.Name})" : step.Name);
            }
        }

        if (sent.Count == 0)
        {
            return string.Empty;
        }

        bool standardSecurity = steps.Any(s => s.Name == Protocol.Connector.SecurityCommencement.SecurityExchangeStep);
        bool exchange = sent.Any(s => s.Contains(Protocol.Connector.SecurityCommencement.SecurityExchangeStep, StringComparison.Ordinal));
        bool clientInfo = sent.Any(s => s.Contains(Protocol.Connector.SecureSettingsExchange.ClientInfoStep, StringComparison.Ordinal));
        string text = $"The server ended the connection after the client sent {string.Join(", then ", sent)} without answering: {(sent.Count == 1 ? "that PDU" : "those PDUs")} most likely triggered it. ";
        if (standardSecurity && (exchange || clientInfo))
        {
            text += "Under Standard RDP Security, after the Security Exchange and the Client Info, the server may have failed to decrypt the client random (a wrong or corrupt server key, or a FIPS setting on one side only) or rejected the Client Info; look at that first. ";
        }
        else if (!standardSecurity && clientInfo)
        {
            text += "Under TLS, after the Client Info, the server may have rejected the Client Info (its user, domain, flags or time zone fields); look at that first. ";
        }

        return text;
    }

    /// <summary>The report of the attempt, ended by <paramref name="diagnosis"/> (null: it reached its goal).</summary>
    public ProbeReport Finish(Diagnosis? diagnosis, ConnectionState? connection, ProbeTlsSession? tls, CredSspResult? credssp)
    {
        ConnectionPhase? reached = connection?.Reached ?? (Connected ? ConnectionPhase.Tcp : null);
        TlsResult? tlsResult = tls?.Result();
        SessionResult? session = connection is { McsStarted: true } ? SessionResult.From(connection) : null;
        string verdict = diagnosis is null
            ? Verdicts.Success(connection?.Negotiation, tlsResult, reached, options.Until, session)
            : $"failed in {diagnosis.Phase.Name()}: {diagnosis.Cause.Name} - {diagnosis.Summary}";
        if (_wire is not null)
        {
            WireEnding ending = (diagnosis is null ? null : _serverEnded) switch
            {
                TransportEndKind.Closed => WireEnding.ServerClosed,
                TransportEndKind.Reset => WireEnding.ServerReset,
                _ => diagnosis?.Cause.Id is CauseId.Reset or CauseId.ResetAfterClientHello ? WireEnding.ServerReset
                    : diagnosis?.Cause.Id is CauseId.ClosedByPeer or CauseId.ClosedAfterClientHello ? WireEnding.ServerClosed
                    : WireEnding.ClientClosed,
            };
            _wire.Ending = (_recorder.Elapsed, ending);
        }

        var report = new ProbeReport
        {
            Target = target,
            RemoteAddress = _remote,
            LocalAddress = _local,
            StartedAt = _recorder.StartedAt,
            Elapsed = _recorder.Elapsed,
            Options = options,
            Steps = _recorder.Steps,
            Negotiation = connection?.Negotiation,
            Proxy = options.Proxy is { } proxy ? new ProxyHop(proxy.Kind, proxy.Address, proxy.User) { Remote = _remote, Facts = connection?.Proxy } : null,
            Tls = tlsResult,
            CredSsp = credssp,
            Session = session,
            Wire = _wire,
            Reached = reached,
            Goal = options.Until,
            Diagnosis = diagnosis,
            Verdict = verdict,
        };
        LogVerdict(verdict);
        return report;
    }

    /// <summary>A run that ended in our own exception: the step in flight is marked, and the report says so.</summary>
    public Diagnosis FailInternally(Exception ex, bool interrupted, ConnectionPhase? reached)
    {
        StepRecord? inFlight = _recorder.InFlight;
        if (inFlight is not null)
        {
            End(inFlight, interrupted ? StepOutcome.Interrupted : StepOutcome.Failed, interrupted ? "interrupted" : "internal error");
        }

        if (!interrupted)
        {
            // The exception's type and stack go to the log; the report says what happened in words.
            LogInternalError(ex);
        }

        ConnectionPhase phase = inFlight?.Phase ?? reached ?? ConnectionPhase.Tcp;
        string summary = interrupted ? "interrupted" : $"internal error: {ex.Message}";
        return Diagnose(new Cause(phase, interrupted ? CauseId.Interrupted : CauseId.InternalError), summary, inFlight);
    }

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Remote} from {Local}")]
    private partial void LogConnected(string remote, string? local);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Step {Step} ended {Outcome}: {Summary}")]
    private partial void LogStep(string step, StepOutcome outcome, string? summary);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Step {Step} sent {Sent} received {Received}")]
    private partial void LogStepBytes(string step, string sent, string received);

    [LoggerMessage(Level = LogLevel.Error, Message = "Internal error")]
    private partial void LogInternalError(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run ended: {Verdict}")]
    private partial void LogVerdict(string verdict);
}
