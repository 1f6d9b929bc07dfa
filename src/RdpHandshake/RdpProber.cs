using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RdpHandshake.Capture;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.Transport;
using C = RdpHandshake.Diagnostics.DiagnosisCatalog.EngineCauses;

namespace RdpHandshake;

/// <summary>
/// Runs the client side of the connection sequence against one server and records every step. This is the
/// engine's entry point for the CLI and for engineers' own tests; it never throws for anything the server
/// does: the report's <see cref="ProbeReport.Diagnosis"/> says what went wrong.
/// </summary>
public sealed partial class RdpProber
{
    public const string TcpConnectStep = "tcp.connect";

    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public RdpProber(ILogger? logger = null, TimeProvider? time = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Called when a step begins and again when it ends, for live progress.</summary>
    public Action<StepRecord>? StepObserver { get; init; }

    /// <summary>
    /// Connects to <paramref name="target"/> over TCP and runs the sequence; with
    /// <see cref="ProbeOptions.FollowRedirects"/>, follows a broker's Server Redirection to the server it names.
    /// </summary>
    public async Task<ProbeReport> ProbeAsync(ProbeTarget target, ProbeOptions options, CancellationToken cancellationToken = default)
    {
        ProbeReport report = await ProbeConnectionAsync(target, options, cancellationToken).ConfigureAwait(false);
        var hops = new List<ProbeReport>();
        while (hops.Count < options.FollowRedirects
            && report.Diagnosis?.Cause == "redirected"
            && report.Session?.RedirectionTarget is { Length: > 0 } next
            && !cancellationToken.IsCancellationRequested)
        {
            hops.Add(report);
            ProbeOptions followed = options with
            {
                Connector = options.Connector with { RoutingToken = report.Session.RedirectionRoutingToken ?? options.Connector.RoutingToken },
            };
            LogFollowing(next, target.Port);
            report = await ProbeConnectionAsync(new ProbeTarget(next, target.Port), followed, cancellationToken).ConfigureAwait(false);
        }

        if (hops.Count == 0)
        {
            return report;
        }

        return report with
        {
            Verdict = $"{report.Verdict} (after following {hops.Count} redirection(s) from {hops[0].Target})",
            PreviousHops = hops,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following the redirection to {Host}:{Port}")]
    private partial void LogFollowing(string host, int port);

    private async Task<ProbeReport> ProbeOnceAsync(ProbeTarget target, ProbeOptions options, CancellationToken cancellationToken)
    {
        var run = new Run(this, target.ToString(), options);
        IRdpTransport? transport = null;
        try
        {
            transport = await run.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            if (transport is null)
            {
                return run.FinishUnconnected();
            }

            return await run.NegotiateAsync(transport, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return run.FailInternally(ex, cancellationToken);
        }
        finally
        {
            if (transport is not null)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs the sequence over an already connected transport (in memory, a replay, a test pipe).</summary>
    public async Task<ProbeReport> ProbeAsync(IRdpTransport transport, ProbeOptions options, CancellationToken cancellationToken = default)
    {
        var run = new Run(this, transport.RemoteDescription, options);
        try
        {
            run.RecordConnected(transport);
            return await run.NegotiateAsync(transport, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return run.FailInternally(ex, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Remote} from {Local}")]
    private partial void LogConnected(string remote, string? local);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Step {Step} ended {Outcome}: {Summary}")]
    private partial void LogStep(string step, StepOutcome outcome, string? summary);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Step {Step} sent {Sent} received {Received}")]
    private partial void LogStepBytes(string step, string sent, string received);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run ended: {Verdict}")]
    private partial void LogVerdict(string verdict);

    /// <summary>The state of one run: its recorder and what it learned so far.</summary>
    private sealed partial class Run(RdpProber owner, string target, ProbeOptions options)
    {
        private readonly StepRecorder _recorder = new(owner._time);
        private WireLog? _wire;
        private string? _remote;
        private string? _local;
        private ConnectionPhase? _reached;
        private NegotiationResult? _negotiation;
        private byte[] _lastSent = [];
        private Diagnosis? _pendingDiagnosis;
        private string? _hostName;

        public async Task<IRdpTransport?> ConnectAsync(ProbeTarget probeTarget, CancellationToken cancellationToken)
        {
            _hostName = probeTarget.Host;
            StepRecord step = Begin(TcpConnectStep, ConnectionPhase.Tcp);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.ConnectTimeout);
            IPAddress[] addresses;
            try
            {
                addresses = IPAddress.TryParse(probeTarget.Host, out IPAddress? literal)
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(probeTarget.Host, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Interrupt(step);
            }
            catch (OperationCanceledException)
            {
                return FailTcp(step, C.ConnectTimeout, $"resolving {probeTarget.Host} took longer than the connect timeout ({options.ConnectTimeout.TotalSeconds:0.###} s)", null);
            }
            catch (SocketException ex)
            {
                return FailTcp(step, C.NameNotResolved, $"{probeTarget.Host} does not resolve: {ex.Message}", ex.SocketErrorCode);
            }

            if (addresses.Length == 0)
            {
                return FailTcp(step, C.NameNotResolved, $"{probeTarget.Host} resolved to no address", null);
            }

            var fields = new List<StepField> { new("host", probeTarget.Host), new("port", probeTarget.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            if (addresses.Length > 1 || !IPAddress.TryParse(probeTarget.Host, out _))
            {
                fields.Add(new StepField("resolved", string.Join(", ", addresses.Select(a => a.ToString()))));
            }

            SocketException? last = null;
            foreach (IPAddress address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    var remote = new IPEndPoint(address, probeTarget.Port);
                    await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
                    SocketTransport transport = SocketTransport.Create(socket, remote);
                    RecordConnected(transport, step, fields);
                    return transport;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    socket.Dispose();
                    return Interrupt(step);
                }
                catch (OperationCanceledException)
                {
                    socket.Dispose();
                    return FailTcp(step, C.ConnectTimeout, $"no answer from {address}:{probeTarget.Port} within the connect timeout ({options.ConnectTimeout.TotalSeconds:0.###} s)", SocketError.TimedOut, fields);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    last = ex;
                }
            }

            SocketError error = last?.SocketErrorCode ?? SocketError.SocketError;
            string cause = error switch
            {
                SocketError.ConnectionRefused => C.ConnectionRefused,
                SocketError.ConnectionReset or SocketError.ConnectionAborted => C.Reset,
                SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => C.Unreachable,
                SocketError.TimedOut => C.ConnectTimeout,
                _ => C.SocketError,
            };
            return FailTcp(step, cause, $"connecting to {probeTarget} failed: {last?.Message ?? error.ToString()}", error, fields);
        }

        public void RecordConnected(IRdpTransport transport, StepRecord? step = null, List<StepField>? fields = null)
        {
            _wire = new WireLog(_recorder.StartedAt)
            {
                ConnectedAt = _recorder.Elapsed,
                Server = (transport as SocketTransport)?.RemoteEndPoint,
                Client = (transport as SocketTransport)?.LocalEndPoint,
            };
            _remote = transport.RemoteDescription;
            _local = transport.LocalDescription;
            step ??= Begin(TcpConnectStep, ConnectionPhase.Tcp);
            fields ??= [];
            fields.Add(new StepField("remote", _remote));
            if (_local is not null)
            {
                fields.Add(new StepField("local", _local));
            }

            End(step, StepOutcome.Ok, $"connected to {_remote}", fields);
            _reached = ConnectionPhase.Tcp;
            owner.LogConnected(_remote, _local);
        }

        public async Task<ProbeReport> NegotiateAsync(IRdpTransport transport, CancellationToken cancellationToken)
        {
            var connector = new ClientConnector(options.Connector);
            var output = new ArrayBufferWriter<byte>();
            while (!connector.IsTerminal)
            {
                if (connector.NextFrameHint is { } hint)
                {
                    StepRecord step = Begin(hint.StepName, connector.Phase);
                    FrameReadResult read = await FrameReader.ReadFrameAsync(transport, hint, options.ReadTimeout, cancellationToken).ConfigureAwait(false);
                    step.NoteRead(hint, read);
                    Received(read.Bytes);
                    switch (read.Status)
                    {
                        case FrameReadStatus.Frame:
                            StepResult received = connector.Step(read.Bytes, output);
                            End(step, received.Failure is null ? StepOutcome.Ok : StepOutcome.Failed, received.Summary, received.Fields, received: read.Bytes, pdu: received.Pdu);
                            break;
                        case FrameReadStatus.Invalid:
                            StepResult rejected = connector.RejectFrame(read.Error!.Value);
                            End(step, StepOutcome.Failed, rejected.Summary, rejected.Fields, received: read.Bytes, pdu: rejected.Pdu);
                            break;
                        default:
                            return Finish(FailRead(connector.Phase, step, hint.Expecting, read, EndCause(read)));
                    }
                }
                else
                {
                    StepRecord step = Begin(connector.NextStepName!, connector.Phase);
                    output.ResetWrittenCount();
                    StepResult sent = connector.Step(ReadOnlySpan<byte>.Empty, output);
                    if (await SendAsync(transport, step, output.WrittenSpan.ToArray(), sent.Pdu, sent.Summary, sent.Fields, cancellationToken).ConfigureAwait(false) is { } sendFailure)
                    {
                        return Finish(sendFailure);
                    }
                }
            }

            _negotiation = connector.Negotiation;
            if (connector.Failure is { } failure)
            {
                StepRecord failed = _recorder.Steps[^1];
                return Finish(DiagnoseProtocol(failure, failed));
            }

            _reached = ConnectionPhase.X224;
            if (connector.RequiresTls && options.Until >= ConnectionPhase.Tls)
            {
                return await RunTlsAsync(transport, cancellationToken).ConfigureAwait(false);
            }

            if (_negotiation?.Selected == SecurityProtocols.Rdp && options.Until >= ConnectionPhase.Mcs)
            {
                return Finish(await RunSessionAsync(transport, new RawFrameChannel(transport), cancellationToken).ConfigureAwait(false));
            }

            return Finish(null);
        }

        /// <summary>The cause for a read that did not deliver a frame: FIN with or without partial bytes, RST, timeout.</summary>
        private static string EndCause(FrameReadResult read) => read.Status switch
        {
            FrameReadStatus.Cancelled => C.Interrupted,
            FrameReadStatus.Timeout => read.Bytes.Length > 0 ? C.TimeoutMidAnswer : C.Timeout,
            _ => read.End!.Kind switch
            {
                TransportEndKind.Closed when read.Bytes.Length > 0 => C.Truncated,
                TransportEndKind.Closed => C.ClosedByPeer,
                TransportEndKind.Reset => C.Reset,
                _ => C.SocketError,
            },
        };

        /// <summary>
        /// Ends <paramref name="step"/> for a read that timed out, ended or was cancelled, and diagnoses it; a timeout
        /// names the <paramref name="unanswering"/> PDUs that arrived meanwhile without answering (they do not restart
        /// the deadline).
        /// </summary>
        private Diagnosis FailRead(ConnectionPhase phase, StepRecord step, string expecting, FrameReadResult read, string cause, int unanswering = 0)
        {
            string partial = read.ExpectedLength is { } total ? $"{read.Bytes.Length} of {total}" : $"{read.Bytes.Length}";
            switch (read.Status)
            {
                case FrameReadStatus.Cancelled:
                    End(step, StepOutcome.Interrupted, "interrupted while waiting for the server", received: read.Bytes);
                    return Diagnose(phase, cause, $"interrupted while waiting for the {expecting}", step, read);
                case FrameReadStatus.Timeout:
                    string meanwhile = unanswering > 0 ? $" ({unanswering} PDU(s) that do not answer it arrived meanwhile)" : string.Empty;
                    string waited = read.Bytes.Length == 0
                        ? $"no answer within {options.ReadTimeout.TotalSeconds:0.###} s{meanwhile}"
                        : $"only {partial} byte(s) within {options.ReadTimeout.TotalSeconds:0.###} s{meanwhile}";
                    End(step, StepOutcome.Failed, $"timeout: {waited}", received: read.Bytes);
                    return Diagnose(phase, cause, $"timeout waiting for the {expecting}: {waited}", step, read);
                default:
                    string got = read.Bytes.Length == 0 ? "before sending anything" : $"after {partial} bytes of it";
                    string what = $"{read.End!.Describe()} while rdphs waited for the {expecting}, {got}";
                    End(step, StepOutcome.Failed, what, received: read.Bytes);
                    return Diagnose(phase, cause, what, step, read);
            }
        }

        /// <summary>Adds bytes the server sent to the wire log, for the capture.</summary>
        private void Received(byte[] bytes) => _wire?.Add(_recorder.Elapsed, WireDirection.ToClient, bytes);

        /// <summary>Adds bytes we sent to the wire log, for the capture.</summary>
        private void Sent(byte[] bytes) => _wire?.Add(_recorder.Elapsed, WireDirection.ToServer, bytes);

        /// <summary>Sends one step's bytes and ends the step; returns a diagnosis when sending fails.</summary>
        /// <remarks>
        /// <paramref name="wire"/> is what goes on the wire when it differs from the step's bytes (TLS
        /// ciphertext of a plaintext PDU): the step records the PDU, the capture the wire bytes.
        /// </remarks>
        private async Task<Diagnosis?> SendAsync(IRdpTransport transport, StepRecord step, byte[] bytes, string? pdu, string? summary, IReadOnlyList<StepField>? fields, CancellationToken cancellationToken, byte[]? wire = null)
        {
            wire ??= bytes;
            try
            {
                await transport.Output.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                End(step, StepOutcome.Interrupted, "interrupted while sending", fields, sent: bytes, pdu: pdu);
                return Diagnose(step.Phase, C.Interrupted, $"interrupted while sending the {pdu}", step, null);
            }
            catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
            {
                TransportEnd end = TransportErrors.FromException(ex);
                End(step, StepOutcome.Failed, $"sending failed: {end.Describe()}", fields, sent: bytes, pdu: pdu);
                return Diagnose(step.Phase, end.Kind == TransportEndKind.Reset ? C.Reset : C.SocketError, $"sending the {pdu} failed: {end.Describe()}", step, null);
            }

            _lastSent = bytes;
            Sent(wire);
            End(step, StepOutcome.Ok, summary, fields, sent: bytes, pdu: pdu);
            return null;
        }

        public ProbeReport Finish(Diagnosis? diagnosis)
        {
            string verdict = diagnosis is null
                ? Verdicts.Success(_negotiation, _tls, _reached, options.Until, _sessionResult)
                : $"failed in {diagnosis.Phase.Name()}: {diagnosis.Cause} - {diagnosis.Summary}";
            if (_wire is not null)
            {
                WireEnding ending = diagnosis?.Evidence.TransportEnd switch
                {
                    "closed" => WireEnding.ServerClosed,
                    "reset" => WireEnding.ServerReset,
                    _ => diagnosis?.Cause is C.Reset or DiagnosisCatalog.TlsCauses.ResetAfterClientHello ? WireEnding.ServerReset
                        : diagnosis?.Cause is C.ClosedByPeer or DiagnosisCatalog.TlsCauses.ClosedAfterClientHello ? WireEnding.ServerClosed
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
                Negotiation = _negotiation,
                Tls = _tls,
                CredSsp = _credssp,
                Session = _sessionResult,
                Wire = _wire,
                Reached = _reached,
                Goal = options.Until,
                Diagnosis = diagnosis,
                Verdict = verdict,
            };
            owner.LogVerdict(verdict);
            return report;
        }

        public ProbeReport FailInternally(Exception ex, CancellationToken cancellationToken)
        {
            StepRecord? inFlight = _recorder.InFlight;
            bool interrupted = ex is OperationCanceledException && cancellationToken.IsCancellationRequested;
            if (inFlight is not null)
            {
                End(inFlight, interrupted ? StepOutcome.Interrupted : StepOutcome.Failed, interrupted ? "interrupted" : $"internal error: {ex.GetType().Name}");
            }

            ConnectionPhase phase = inFlight?.Phase ?? _reached ?? ConnectionPhase.Tcp;
            string summary = interrupted ? "interrupted" : $"internal error: {ex.GetType().Name}: {ex.Message}";
            return Finish(Diagnose(phase, interrupted ? C.Interrupted : C.InternalError, summary, inFlight, null));
        }

        private IRdpTransport? Interrupt(StepRecord step)
        {
            End(step, StepOutcome.Interrupted, "interrupted");
            _pendingDiagnosis = Diagnose(step.Phase, C.Interrupted, "interrupted while connecting", step, null);
            return null;
        }

        private IRdpTransport? FailTcp(StepRecord step, string cause, string summary, SocketError? error, IReadOnlyList<StepField>? fields = null)
        {
            End(step, StepOutcome.Failed, summary, fields);
            _pendingDiagnosis = Diagnose(ConnectionPhase.Tcp, cause, summary, step, null, error);
            return null;
        }

        /// <summary>Finishes a run that ended before the transport was up, with the diagnosis set on the way.</summary>
        public ProbeReport FinishUnconnected() => Finish(_pendingDiagnosis);

        private Diagnosis DiagnoseProtocol(ProtocolFailure failure, StepRecord step)
        {
            // HYBRID_REQUIRED_BY_SERVER is an X.224 answer, but what it says is about NLA: the attempt died
            // because the server demands CredSSP and the client did not offer it (issue taxonomy: credssp).
            if (failure.Cause == Causes.ForNegotiationFailure(NegotiationFailureCode.HybridRequiredByServer))
            {
                failure = failure with { Phase = ConnectionPhase.CredSsp, Cause = DiagnosisCatalog.CredSspCauses.NlaRequired };
            }

            CatalogEntry entry = DiagnosisCatalog.Lookup(failure.Phase, failure.Cause);
            var evidence = new Evidence(
                step.Name,
                LastSentHex: Hex(_lastSent),
                ReceivedHex: Hex(step.Received),
                DecodeError: failure.DecodeError?.ToString(),
                Fields: step.Fields);
            return new Diagnosis(failure.Phase, failure.Cause, failure.Reason, entry.Explanation, evidence, entry.Mstsc, entry.Remedy) { MstscNote = entry.NoMstscCode };
        }

        private Diagnosis Diagnose(ConnectionPhase phase, string cause, string summary, StepRecord? step, FrameReadResult? read, SocketError? socketError = null)
        {
            CatalogEntry entry = DiagnosisCatalog.Lookup(phase, cause);
            var evidence = new Evidence(
                step?.Name,
                LastSentHex: _lastSent.Length == 0 ? null : Hex(_lastSent),
                ReceivedHex: read is { Bytes.Length: > 0 } ? Hex(read.Bytes) : step is { Received.Length: > 0 } ? Hex(step.Received) : null,
                ExpectedLength: read?.ExpectedLength,
                TransportEnd: read?.End?.KindName,
                SocketError: (read?.End?.SocketError ?? socketError)?.ToString(),
                DecodeError: read?.Error?.ToString(),
                Fields: step?.Fields);
            return new Diagnosis(phase, cause, summary, entry.Explanation, evidence, entry.Mstsc, entry.Remedy) { MstscNote = entry.NoMstscCode };
        }

        /// <summary>What is left of the read timeout for an answer (possibly several records) whose wait began at <paramref name="started"/>.</summary>
        private TimeSpan TimeLeft(long started)
        {
            TimeSpan left = options.ReadTimeout - owner._time.GetElapsedTime(started);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }

        private StepRecord Begin(string name, ConnectionPhase phase)
        {
            StepRecord step = _recorder.Begin(name, phase);
            owner.StepObserver?.Invoke(step);
            return step;
        }

        private void End(StepRecord step, StepOutcome outcome, string? summary, IReadOnlyList<StepField>? fields = null, byte[]? sent = null, byte[]? received = null, string? pdu = null)
        {
            _recorder.End(step, outcome, summary, fields, sent, received, pdu);
            owner.LogStep(step.Name, outcome, summary);
            if (owner._logger.IsEnabled(LogLevel.Trace))
            {
                owner.LogStepBytes(step.Name, Hex(step.Sent), Hex(step.Received));
            }

            owner.StepObserver?.Invoke(step);
        }

        private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
    }
}

/// <summary>One-line verdicts for successful runs.</summary>
internal static class Verdicts
{
    public static string Success(NegotiationResult? negotiation, Tls.TlsResult? tls, ConnectionPhase? reached, ConnectionPhase until, SessionResult? session = null)
    {
        if (negotiation?.Selected is not { } selected)
        {
            return $"reached {reached?.Name() ?? "nothing"}";
        }

        string meaning = selected switch
        {
            SecurityProtocols.Rdp => session?.EncryptionMethod is { } method
                ? $"Standard RDP Security: {method} at {session.EncryptionLevel}{(session.WeakEncryption ? ", weak" : string.Empty)}, no server authentication"
                : "Standard RDP Security, no server authentication",
            SecurityProtocols.Ssl => "TLS",
            SecurityProtocols.Hybrid => "CredSSP / NLA",
            SecurityProtocols.HybridEx => "CredSSP / NLA with Early User Authorization",
            SecurityProtocols.RdsTls => "RDSTLS",
            SecurityProtocols.RdsAad => "RDS AAD authentication",
            _ => "an unknown protocol",
        };
        string verdict = $"reached {reached?.Name()}: the server selected {NegotiationNames.SpecNames(selected)} ({meaning})";
        if (tls is { HandshakeComplete: true })
        {
            verdict += $", {Tls.TlsNames.Version(tls.Version)} with {Tls.TlsNames.CipherSuite(tls.CipherSuite ?? 0)}";
            if (tls.Certificate is { } certificate)
            {
                int notable = certificate.Findings.Count(f => f.Severity != Tls.FindingSeverity.Info);
                verdict += notable == 0 ? ", certificate fine" : $", {notable} certificate finding(s)";
            }
        }
        if (reached < until)
        {
            verdict += reached < ConnectionPhase.CredSsp && selected is SecurityProtocols.Hybrid or SecurityProtocols.HybridEx && until >= ConnectionPhase.Mcs
                ? $"; {until.Name()} needs credentials (--user) to get past CredSSP"
                : $"; the steps after {reached?.Name()} are not implemented for this server's choices yet";
        }

        return verdict;
    }
}
