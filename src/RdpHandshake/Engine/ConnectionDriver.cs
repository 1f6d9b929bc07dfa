using System.Buffers;
using System.Net.Sockets;
using RdpHandshake.Diagnostics;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;
using RdpHandshake.Transport;

namespace RdpHandshake.Engine;

/// <summary>
/// The one loop that drives the connector over a transport (after IronRDP's <c>single_sequence_step</c>): open the
/// step the connector plans, read one frame as its hint sizes it (from the TCP stream, or from TLS application data
/// once TLS is up) within the deadline, feed it, send what the connector wrote, and record the step. A read that
/// ends without a frame (FIN, RST, timeout, Ctrl-C) is diagnosed here; everything the bytes say, the connector says.
/// </summary>
/// <remarks>
/// The read deadline runs from what the client last sent that asks for an answer: PDUs that answer nothing (notices,
/// error info, channel data) do not restart it, and a TLS flight spread over records shares one deadline, so a server
/// that keeps talking without answering, or drips its answer, cannot hold a step open.
/// </remarks>
internal sealed class ConnectionDriver(Attempt attempt, IRdpTransport transport, TimeSpan readTimeout, KdcLocator? kdcLocator = null, TimeSpan? connectTimeout = null)
    : IAsyncDisposable
{
    /// <summary>The step that finds a realm's KDCs, before the first request to them.</summary>
    public const string KdcLookupStep = "kerberos.kdc-lookup";

    private readonly RawFrameChannel _raw = new(transport) { OnWireReceived = attempt.Received, OnWireSent = attempt.Sent };
    private readonly KdcChannel _kdc = new(connectTimeout ?? readTimeout);
    private TlsFrameChannel? _tls;

    public ValueTask DisposeAsync() => _kdc.DisposeAsync();

    /// <summary>Runs <paramref name="connector"/> to its end; the diagnosis when it ended short of its goal, else null.</summary>
    public async Task<Diagnosis?> DriveAsync(ClientConnector connector, CancellationToken cancellationToken)
    {
        TimeProvider time = attempt.Time;
        var output = new ArrayBufferWriter<byte>();
        long answerStarted = time.GetTimestamp();
        int unanswering = 0;
        StepRecord? open = null;
        var sent = new List<byte>();
        var received = new List<byte>();
        string? kdcPeer = null;
        while (connector.Next is { } plan)
        {
            if (plan is { Layer: FrameLayer.Kdc, Read: null, Kdc: { } target } && !_kdc.IsLocated(target.Realm) && open is null)
            {
                await LocateKdcAsync(connector, plan, target, cancellationToken).ConfigureAwait(false);
                continue;
            }

            IFrameChannel channel = ChannelFor(plan, connector);
            StepRecord step = open ?? attempt.Begin(plan.Name, plan.Phase);
            output.ResetWrittenCount();
            StepResult result;
            if (plan.Read is { } hint)
            {
                FrameReadResult read = await channel.ReadFrameAsync(hint, TimeLeft(answerStarted), cancellationToken).ConfigureAwait(false);
                step.NoteRead(hint, read);
                switch (read.Status)
                {
                    case FrameReadStatus.Frame:
                        received.AddRange(read.Bytes);
                        result = connector.Step(read.Bytes, output);
                        break;
                    case FrameReadStatus.Invalid when read.RecordLayer:
                        return FailRecord(plan, step, read, [.. sent], [.. received, .. read.Bytes]);
                    case FrameReadStatus.Invalid:
                        received.AddRange(read.Bytes);
                        result = connector.RejectFrame(read.Error!.Value, read.Bytes);
                        break;
                    case FrameReadStatus.Timeout or FrameReadStatus.Ended when plan.Layer == FrameLayer.Kdc:
                        // A KDC that stays silent, closes or resets: the connector decides (Negotiate goes on with NTLM).
                        received.AddRange(read.Bytes);
                        result = connector.EndpointFailed(_kdc.Unreachable(read.Status == FrameReadStatus.Timeout ? null : read.End, read.Bytes.Length, hint.Expecting, readTimeout));
                        break;
                    default:
                        return FailRead(connector.State, plan, step, hint.Expecting, read, unanswering);
                }
            }
            else
            {
                result = connector.Step(ReadOnlySpan<byte>.Empty, output);
            }

            byte[] written = output.WrittenSpan.ToArray();
            if (written.Length > 0)
            {
                if (await channel.SendAsync(written, cancellationToken).ConfigureAwait(false) is { } end && result.Failure is null)
                {
                    if (plan.Layer == FrameLayer.Kdc)
                    {
                        // No KDC took the request: as for a silent one, the connector decides.
                        result = connector.EndpointFailed(_kdc.Unreachable(end, 0, result.Pdu, readTimeout, connecting: true));
                        written = [];
                    }
                    else
                    {
                        // A write that fails after a step that went well: the connection broke under us. (After a failed step
                        // the server may already be gone; what we tried to tell it does not matter.)
                        attempt.End(step, StepOutcome.Failed, $"sending failed: {end.Describe()}", result.Fields, sent: [.. sent, .. written], received: [.. received], pdu: result.Pdu);
                        CauseId cause = end.Kind == TransportEndKind.Reset ? CauseId.Reset : CauseId.SocketError;
                        return attempt.Diagnose(new Cause(step.Phase, cause), $"sending the {result.Pdu} failed: {end.Describe()}", step, socketError: end.SocketError);
                    }
                }

                // A secret the protocol sends in the clear (a proxy password) is recorded overwritten.
                byte[] recorded = result.RedactedOutput ?? written;
                sent.AddRange(recorded);
                // The evidence's last sent PDU: none for a step whose bytes are withheld (not the PDU before it).
                attempt.NoteSent(result.BytesWithheld is null ? recorded : []);
            }

            if (plan.Layer == FrameLayer.Kdc && written.Length > 0)
            {
                kdcPeer = _kdc.Peer;
            }

            if (result.Continues)
            {
                open = step;
                RestartDeadlineIfAsked(result, written, ref answerStarted, ref unanswering);
                continue;
            }

            step.Name = result.StepName;
            step.Phase = result.Phase;
            EndStep(step, kdcPeer is null ? result : result with { Fields = [new StepField("kdc", kdcPeer), .. result.Fields] }, [.. sent], [.. received]);
            if (connector.State is { Proxy.Tunnelled: true, Options.Proxy: { } tunnel })
            {
                attempt.MarkProxyTunnelOpen(tunnel.TargetHost, tunnel.TargetPort);
            }

            kdcPeer = null;
            open = null;
            sent.Clear();
            received.Clear();
            if (!RestartDeadlineIfAsked(result, written, ref answerStarted, ref unanswering) && result.Interleaved)
            {
                unanswering++;
            }
        }

        return connector.Failure is { } failure ? DiagnoseFailure(failure) : null;

        TimeSpan TimeLeft(long started)
        {
            TimeSpan left = readTimeout - time.GetElapsedTime(started);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }

        bool RestartDeadlineIfAsked(StepResult result, byte[] written, ref long started, ref int count)
        {
            if (written.Length == 0 || !result.AwaitsAnswer)
            {
                return false;
            }

            started = time.GetTimestamp();
            count = 0;
            return true;
        }
    }

    private IFrameChannel ChannelFor(StepPlan plan, ClientConnector connector) => plan.Layer switch
    {
        FrameLayer.Transport => _raw,
        FrameLayer.Kdc => KdcChannelFor(plan.Kdc ?? throw new InvalidOperationException($"step {plan.Name} talks to a KDC and names none")),
        FrameLayer.Tls => _tls ??= new TlsFrameChannel(transport, connector.State.Tls ?? throw new InvalidOperationException("a step inside TLS before the TLS upgrade"), attempt.Time)
        {
            OnWireReceived = attempt.Received,
            OnWireSent = attempt.Sent,
        },
    };

    private KdcChannel KdcChannelFor(KdcTarget target)
    {
        _kdc.Target = target;
        return _kdc;
    }

    /// <summary>
    /// The <c>kerberos.kdc-lookup</c> step: where the realm's KDCs are. When none is found the connector hears it as
    /// an endpoint failure and decides, and this step records its verdict.
    /// </summary>
    private async Task LocateKdcAsync(ClientConnector connector, StepPlan plan, KdcTarget target, CancellationToken cancellationToken)
    {
        StepRecord step = attempt.Begin(KdcLookupStep, plan.Phase);
        KdcLocator locator = kdcLocator ?? new KdcLocator(new KerberosSettings());
        (KdcLocation? location, string? whyNot) = await locator.LocateAsync(target.Realm, target.Transport, connectTimeout ?? readTimeout, cancellationToken).ConfigureAwait(false);
        if (location is not null)
        {
            _kdc.Located(location);
            List<StepField> fields = [new("realm", location.Realm), new("source", location.Source), new("kdcs", string.Join(", ", location.Endpoints))];
            attempt.End(step, StepOutcome.Ok, $"the KDCs of {location.Realm} from {location.Source}: {string.Join(", ", location.Endpoints)}", fields);
            return;
        }

        StepResult result = connector.EndpointFailed(new ProtocolFailure(CauseId.KdcNotFound, whyNot!));
        EndStep(step, result with { Fields = [new StepField("realm", target.Realm), .. result.Fields] }, [], []);
    }

    /// <summary>Records the end of a step: failed when it ended the run or was recovered from, its bytes unless they must be withheld.</summary>
    private void EndStep(StepRecord step, StepResult result, byte[] sent, byte[] received)
    {
        StepOutcome outcome = result.Failure is null && result.Setback is null ? StepOutcome.Ok : StepOutcome.Failed;
        if (result.BytesWithheld is { } why)
        {
            attempt.End(step, outcome, result.Summary, [.. result.Fields, new StepField("bytes", $"withheld: {why}")], pdu: result.Pdu);
            return;
        }

        attempt.End(step, outcome, result.Summary, result.Fields, sent: sent, received: received, pdu: result.Pdu);
    }

    /// <summary>The cause of a read that did not deliver a frame: FIN with or without part of it, RST, timeout, Ctrl-C.</summary>
    private static CauseId EndCause(StepPlan plan, FrameReadResult read) => read.Status switch
    {
        FrameReadStatus.Cancelled => CauseId.Interrupted,
        FrameReadStatus.Timeout => read.Bytes.Length > 0 ? CauseId.TimeoutMidAnswer : plan.WhenTimedOut,
        FrameReadStatus.Ended => read.End!.Kind switch
        {
            TransportEndKind.Closed => read.Bytes.Length > 0 ? CauseId.TruncatedResponse : plan.WhenClosed,
            TransportEndKind.Reset => read.Bytes.Length > 0 ? CauseId.Reset : plan.WhenReset,
            TransportEndKind.SocketError => CauseId.SocketError,
        },
        FrameReadStatus.Frame or FrameReadStatus.Invalid => throw new System.Diagnostics.UnreachableException($"a read that ended {read.Status} has no ending cause"),
    };

    /// <summary>
    /// Ends the step of a read that timed out, ended or was cancelled, and diagnoses it; a timeout names the
    /// <paramref name="unanswering"/> PDUs that arrived meanwhile without answering (they do not restart the deadline).
    /// </summary>
    private Diagnosis FailRead(ConnectionState connection, StepPlan plan, StepRecord step, string expecting, FrameReadResult read, int unanswering)
    {
        CauseId cause = EndCause(plan, read);
        string partial = read.ExpectedLength is { } total ? $"{read.Bytes.Length} of {total}" : $"{read.Bytes.Length}";
        string timeout = $"{readTimeout.TotalSeconds:0.###} s";
        switch (read.Status)
        {
            case FrameReadStatus.Cancelled:
                attempt.End(step, StepOutcome.Interrupted, "interrupted while waiting for the server", received: read.Bytes);
                return attempt.Diagnose(new Cause(step.Phase, cause), $"interrupted while waiting for the {expecting}", step, read);
            case FrameReadStatus.Timeout:
                string meanwhile = unanswering > 0 ? $" ({unanswering} PDU(s) that do not answer it arrived meanwhile)" : string.Empty;
                string waited = read.Bytes.Length == 0 ? $"no answer within {timeout}{meanwhile}" : $"only {partial} byte(s) within {timeout}{meanwhile}";
                attempt.End(step, StepOutcome.Failed, $"timeout: {waited}", received: read.Bytes);
                return attempt.Diagnose(new Cause(step.Phase, cause), $"timeout waiting for the {expecting}: {waited}", step, read);
            default:
                string got = read.Bytes.Length == 0 ? "before sending anything" : $"after {partial} bytes of it";
                string what = $"{read.End!.Describe()} while rdphs waited for the {expecting}, {got}";
                attempt.End(step, StepOutcome.Failed, what, received: read.Bytes);
                if (cause is CauseId.ClosedByPeer or CauseId.Reset or CauseId.TruncatedResponse && connection.LastErrorInfo is { } errorInfo)
                {
                    // A server that sent Set Error Info and then closed the socket said why it closed: that code is the cause.
                    CodeEntry named = ErrorInfoName(errorInfo);
                    return attempt.Diagnose(new Cause(step.Phase, CauseId.ServerErrorInfo, named.Name, errorInfo),
                        $"the server closed the connection after a Set Error Info PDU: {named.Name} ({named.Meaning})", step, read);
                }

                return attempt.Diagnose(new Cause(step.Phase, cause), what, step, read);
        }
    }

    /// <summary>Bytes where a TLS record belongs inside TLS: the record layer itself is broken.</summary>
    private Diagnosis FailRecord(StepPlan plan, StepRecord step, FrameReadResult read, byte[] sent, byte[] received)
    {
        string reason = $"the server sent bytes that are not a TLS record: {read.Error}";
        attempt.End(step, StepOutcome.Failed, reason, [new StepField("error", read.Error!.Value.ToString())], sent: sent, received: received, pdu: "TLS record");
        return attempt.Diagnose(new Cause(plan.Phase, CauseId.MalformedRecord), reason, step, read);
    }

    /// <summary>The diagnosis of what the connector found in the bytes, in the phase of the step where the attempt ended.</summary>
    private Diagnosis DiagnoseFailure(ProtocolFailure failure)
    {
        IReadOnlyList<StepRecord> steps = attempt.Steps;
        StepRecord last = steps[^1];
        StepRecord evidence = failure.EvidenceStep is { } name ? steps.Last(s => s.Name == name) : last;
        string reason = failure.Reason;
        string? detail = failure.Detail;
        if (failure.Cause == CauseId.ServerErrorInfo && failure.Code is { } code)
        {
            // The core reports a Set Error Info by number; the engine names it.
            CodeEntry named = ErrorInfoName(code);
            detail = named.Name;
            reason = $"{reason}: {named.Name}, {named.Meaning}";
        }

        return attempt.Diagnose(new Cause(last.Phase, failure.Cause, detail, failure.Code), reason, evidence, decodeError: failure.DecodeError?.ToString());
    }

    private static CodeEntry ErrorInfoName(uint code) =>
        MstscCodes.ExtendedReason((int)code) ?? new CodeEntry((int)code, $"0x{code:x8}", "an ERRINFO code rdphs does not know");
}
