using RdpHandshake.Crypto;
using System.Buffers;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.Tls;
using RdpHandshake.Transport;

namespace RdpHandshake;

public sealed partial class RdpProber
{
    private sealed partial class Run
    {
        private SessionConnector? _session;
        private SessionResult? _sessionResult;

        /// <summary>
        /// Runs the connection from the MCS Connect Initial on over <paramref name="channel"/> (the TCP stream
        /// for Standard RDP Security, TLS application data otherwise), up to <see cref="ProbeOptions.Until"/>.
        /// </summary>
        private async Task<Diagnosis?> RunSessionAsync(IRdpTransport transport, IFrameChannel channel, CancellationToken cancellationToken)
        {
            NegotiationResult negotiation = _negotiation!;
            using var licensing = new Crypto.Licensing.LicensingProvider(options.Credentials?.User ?? "rdphs", options.Session.Core.ClientNameText);
            SessionOptions sessionOptions = options.Session with
            {
                Until = options.Until,
                StandardSecurity = options.Session.StandardSecurity ?? new Crypto.StandardSecurity.StandardSecurityProvider(),
                Licensing = options.Session.Licensing ?? licensing,
                UserName = options.Session.UserName.Length > 0 ? options.Session.UserName : options.Credentials?.User ?? string.Empty,
                Domain = options.Session.Domain.Length > 0 ? options.Session.Domain : options.Credentials?.Domain ?? string.Empty,
            };
            var connector = new SessionConnector(sessionOptions, negotiation.Requested, negotiation.Selected ?? SecurityProtocols.Rdp);
            _session = connector;
            Diagnosis? diagnosis = await RunSequenceAsync(connector, channel, transport, cancellationToken).ConfigureAwait(false);
            _sessionResult = SessionResult.From(connector);
            if (connector.Reached is { } reached && reached > _reached)
            {
                _reached = reached;
            }

            // A server that sent Set Error Info and then closed the socket said why it closed: that code is the cause.
            if (diagnosis is { Cause: DiagnosisCatalog.EngineCauses.ClosedByPeer or DiagnosisCatalog.EngineCauses.Reset or DiagnosisCatalog.EngineCauses.Truncated }
                && _sessionResult.ErrorInfo is { } errorInfo)
            {
                string cause = $"{Causes.ServerErrorInfo}:{errorInfo.Name}";
                CatalogEntry entry = DiagnosisCatalog.Lookup(diagnosis.Phase, cause);
                diagnosis = diagnosis with
                {
                    Cause = cause,
                    Summary = $"the server closed the connection after a Set Error Info PDU: {errorInfo.Name} ({errorInfo.Meaning})",
                    Explanation = entry.Explanation,
                    Remedy = entry.Remedy,
                    Mstsc = new MstscCode(0x3, "ByServer", errorInfo.Code, errorInfo.Name),
                };
            }

            return diagnosis;
        }

        /// <summary>
        /// The driver shared by every sans-IO sequence: read the frame the sequence waits for (or nothing), feed
        /// it, send what it writes, and record each step; a read that ends without a frame is diagnosed here.
        /// </summary>
        private async Task<Diagnosis?> RunSequenceAsync(IConnectionSequence sequence, IFrameChannel channel, IRdpTransport transport, CancellationToken cancellationToken)
        {
            channel.OnWireReceived = Received;
            channel.OnWireSent = Sent;
            var output = new ArrayBufferWriter<byte>();
            // The read timeout runs from what we last sent: PDUs that answer nothing (notices, error info, channel
            // data) do not restart it, so a server that keeps talking without ever answering cannot hold a step open.
            long answerStarted = owner._time.GetTimestamp();
            int unanswering = 0;
            while (!sequence.IsTerminal)
            {
                if (sequence.NextFrameHint is { } hint)
                {
                    StepRecord step = Begin(hint.StepName, sequence.Phase);
                    FrameReadResult read = await channel.ReadFrameAsync(hint, TimeLeft(answerStarted), cancellationToken).ConfigureAwait(false);
                    step.NoteRead(hint, read);
                    switch (read.Status)
                    {
                        case FrameReadStatus.Frame:
                            output.ResetWrittenCount();
                            StepResult received = sequence.Step(read.Bytes, output);
                            step.Name = received.StepName;
                            step.Phase = received.Phase;
                            End(step, received.Failure is null ? StepOutcome.Ok : StepOutcome.Failed, received.Summary, received.Fields, received: read.Bytes, pdu: received.Pdu);
                            if (output.WrittenCount > 0)
                            {
                                if (await SendRawAsync(transport, channel, step, output.WrittenSpan.ToArray(), cancellationToken).ConfigureAwait(false) is { } answerFailure)
                                {
                                    return answerFailure;
                                }

                                answerStarted = owner._time.GetTimestamp();
                                unanswering = 0;
                            }
                            else if (received.StepName.StartsWith("session.", StringComparison.Ordinal))
                            {
                                // Recorded as a session.* step of its own: it did not answer what we wait for.
                                unanswering++;
                            }

                            break;
                        case FrameReadStatus.Invalid:
                            StepResult rejected = sequence.RejectFrame(read.Error!.Value);
                            End(step, StepOutcome.Failed, rejected.Summary, rejected.Fields, received: read.Bytes, pdu: rejected.Pdu);
                            break;
                        default:
                            return FailRead(sequence.Phase, step, hint.Expecting, read, EndCause(read), unanswering);
                    }
                }
                else
                {
                    StepRecord step = Begin(sequence.NextStepName!, sequence.Phase);
                    output.ResetWrittenCount();
                    StepResult sent = sequence.Step(ReadOnlySpan<byte>.Empty, output);
                    byte[] frame = output.WrittenSpan.ToArray();
                    if (await SendAsync(transport, step, frame, sent.Pdu, sent.Summary, sent.Fields, cancellationToken, channel.Protect(frame)).ConfigureAwait(false) is { } sendFailure)
                    {
                        return sendFailure;
                    }

                    answerStarted = owner._time.GetTimestamp();
                    unanswering = 0;
                }
            }

            if (sequence.Failure is { } failure)
            {
                // The core reports a Set Error Info by number; the engine names it.
                if (failure.Cause.StartsWith(Causes.ServerErrorInfo + ":0x", StringComparison.Ordinal)
                    && uint.TryParse(failure.Cause.AsSpan(Causes.ServerErrorInfo.Length + 3), System.Globalization.NumberStyles.HexNumber, null, out uint code))
                {
                    CodeEntry? named = MstscCodes.ExtendedReason((int)code);
                    failure = failure with
                    {
                        Cause = $"{Causes.ServerErrorInfo}:{named?.Name ?? $"0x{code:x8}"}",
                        Reason = named is null ? failure.Reason : $"{failure.Reason}: {named.Name}, {named.Meaning}",
                    };
                    return DiagnoseProtocol(failure, _recorder.Steps[^1]) with
                    {
                        Mstsc = new MstscCode(0x3, "ByServer", (int)code, named?.Name ?? $"0x{code:x8}"),
                    };
                }

                return DiagnoseProtocol(failure, _recorder.Steps[^1]);
            }

            return null;
        }

        /// <summary>Sends bytes a receiving step produced as an immediate answer (e.g. an auto-detect response).</summary>
        private async Task<Diagnosis?> SendRawAsync(IRdpTransport transport, IFrameChannel channel, StepRecord step, byte[] frame, CancellationToken cancellationToken)
        {
            byte[] wire = channel.Protect(frame);
            try
            {
                await transport.Output.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                TransportEnd end = TransportErrors.FromException(ex);
                return Diagnose(step.Phase, end.Kind == TransportEndKind.Reset ? DiagnosisCatalog.EngineCauses.Reset : DiagnosisCatalog.EngineCauses.SocketError,
                    $"sending the answer to {step.Pdu} failed: {end.Describe()}", step, null);
            }

            step.Sent = frame;
            _lastSent = frame;
            Sent(wire);
            return null;
        }

        /// <summary>The channel for the session part once TLS is up.</summary>
        private TlsFrameChannel TlsChannel(IRdpTransport transport, TlsClientSession session) => new(transport, session, owner._time);
    }
}
