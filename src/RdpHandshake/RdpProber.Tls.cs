using RdpHandshake.Crypto;
using System.Globalization;
using System.Net;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.Tls;
using RdpHandshake.Transport;
using C = RdpHandshake.Diagnostics.DiagnosisCatalog.EngineCauses;
using T = RdpHandshake.Diagnostics.DiagnosisCatalog.TlsCauses;

namespace RdpHandshake;

public sealed partial class RdpProber
{
    private sealed partial class Run
    {
        public const string ClientHelloStep = "tls.client-hello";
        public const string ServerHelloStep = "tls.server-hello";
        public const string CertificateStep = "tls.certificate";
        public const string FinishedStep = "tls.finished";

        private TlsResult? _tls;

        /// <summary>
        /// Runs the TLS handshake that follows an X.224 negotiation of SSL, HYBRID or HYBRID_EX, as steps:
        /// ClientHello sent, ServerHello, Certificate, Finished. Each server record is framed, fed to the
        /// sans-IO TLS client, and what it answers is sent.
        /// </summary>
        private async Task<ProbeReport> RunTlsAsync(IRdpTransport transport, CancellationToken cancellationToken)
        {
            string? serverName = options.Tls.ServerName
                ?? (options.SendServerName && _hostName is not null && !IPAddress.TryParse(_hostName, out _) ? _hostName : null);
            var session = new TlsClientSession(options.Tls with { ServerName = serverName }, keyLog: options.KeyLog);

            StepRecord hello = Begin(ClientHelloStep, ConnectionPhase.Tls);
            byte[] clientHello = session.Start();
            var helloFields = new List<StepField>
            {
                new("versions", string.Join(", ", session.Seen.OfferedVersions.Select(TlsNames.Version))),
                new("cipherSuites", $"{session.Seen.OfferedCipherSuites.Count}: {string.Join(", ", session.Seen.OfferedCipherSuites.Select(TlsNames.CipherSuite))}"),
                new("sni", serverName ?? "none"),
            };
            if (await SendAsync(transport, hello, clientHello, "TLS ClientHello", $"offered {TlsNames.Version(session.Seen.OfferedVersions[0])} to {TlsNames.Version(session.Seen.OfferedVersions[^1])}, {session.Seen.OfferedCipherSuites.Count} cipher suites", helloFields, cancellationToken).ConfigureAwait(false) is { } sendFailure)
            {
                return FinishTls(session, serverName, sendFailure);
            }

            TlsMilestone done = TlsMilestone.ClientHello;
            StepRecord step = Begin(StepName(TlsMilestone.ServerHello), ConnectionPhase.Tls);
            var received = new List<byte>();
            var sent = new List<byte>();
            long tlsBytesReceived = 0;
            // The read timeout covers each whole server flight (ServerHello to ServerHelloDone, then the server's
            // Finished), not each record: a server sending its records just under the timeout apart cannot hold us longer.
            long flightStarted = owner._time.GetTimestamp();
            long flightBytes = 0;
            while (!session.Seen.HandshakeComplete)
            {
                var hint = new TlsRecordFrameHint(step.Name, "TLS " + PduName(done + 1));
                FrameReadResult read = await FrameReader.ReadFrameAsync(transport, hint, TimeLeft(flightStarted), cancellationToken).ConfigureAwait(false);
                step.NoteRead(hint, read);
                if (read.Status != FrameReadStatus.Invalid)
                {
                    Received(read.Bytes);
                }

                if (read.Status == FrameReadStatus.Invalid && tlsBytesReceived == 0 && read.Bytes[0] == TpktHeader.Version3)
                {
                    // An RDP packet where the ServerHello belongs: the server's TLS layer did not start. xrdp sends an
                    // MCS Disconnect Provider Ultimatum here; the rest may be lost if the server resets the socket.
                    (DisconnectProviderUltimatum Pdu, byte[] Bytes)? ultimatum = await ReadUltimatumAsync(transport, cancellationToken).ConfigureAwait(false);
                    string reason = ultimatum is { } u
                        ? $"the server answered the ClientHello with an MCS Disconnect Provider Ultimatum ({u.Pdu.ReasonName}) instead of a ServerHello: it could not start TLS"
                        : "the server answered the ClientHello with an RDP (TPKT) packet instead of a ServerHello: it did not start TLS";
                    List<StepField> fields = ultimatum is { } found
                        ? [new StepField("tpdu", "DT (0xf0)"), new StepField("mcsPdu", "DisconnectProviderUltimatum"), new StepField("reason", found.Pdu.ReasonName)]
                        : [new StepField("error", read.Error!.Value.ToString())];
                    Received(ultimatum?.Bytes ?? read.Bytes);
                    End(step, StepOutcome.Failed, reason, fields, received: ultimatum?.Bytes ?? read.Bytes, pdu: ultimatum is null ? "TPKT packet" : DisconnectProviderUltimatum.PduName);
                    return FinishTls(session, serverName, Diagnose(ConnectionPhase.Tls, T.ServerTlsSetupFailed, reason, step, null));
                }

                if (read.Status == FrameReadStatus.Invalid)
                {
                    Received(read.Bytes);
                    string reason = $"the server sent bytes that are not a TLS record: {read.Error}";
                    End(step, StepOutcome.Failed, reason, [new StepField("error", read.Error!.Value.ToString())], received: [.. received, .. read.Bytes], pdu: "TLS record");
                    return FinishTls(session, serverName, Diagnose(ConnectionPhase.Tls, T.MalformedRecord, reason, step, read));
                }

                if (read.Status != FrameReadStatus.Frame)
                {
                    string cause = EndCause(read);
                    if (tlsBytesReceived == 0 && read.Bytes.Length == 0 && cause is C.ClosedByPeer or C.Reset)
                    {
                        cause = cause == C.ClosedByPeer ? T.ClosedAfterClientHello : T.ResetAfterClientHello;
                    }
                    else if (cause == C.Timeout && flightBytes > 0)
                    {
                        // The deadline passed between two records of a flight that had begun: the answer started and stopped.
                        cause = C.TimeoutMidAnswer;
                    }

                    step.Received = [.. received];
                    return FinishTls(session, serverName, FailRead(ConnectionPhase.Tls, step, hint.Expecting, read, cause));
                }

                tlsBytesReceived += read.Bytes.Length;
                flightBytes += read.Bytes.Length;
                received.AddRange(read.Bytes);
                (byte[] output, TlsFailure? failure) = session.Receive(read.Bytes);
                if (output.Length > 0)
                {
                    try
                    {
                        await transport.Output.WriteAsync(output, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
                    {
                        // The server may already be gone after its alert; the read that follows says how.
                    }

                    sent.AddRange(output);
                    _lastSent = output;
                    Sent(output);
                    if (output[0] == (byte)TlsContentType.Handshake)
                    {
                        // Our own handshake flight (TLS 1.2's ClientKeyExchange to Finished) asks for a new answer. A TLS 1.3
                        // client's compatibility ChangeCipherSpec (content type 20) after the ServerHello does not.
                        flightStarted = owner._time.GetTimestamp();
                        flightBytes = 0;
                    }
                }

                while (session.Seen.Milestone > done)
                {
                    done++;
                    End(step, StepOutcome.Ok, MilestoneSummary(done, session.Seen), MilestoneFields(done, session.Seen, serverName), sent: [.. sent], received: [.. received], pdu: PduName(done));
                    received.Clear();
                    sent.Clear();
                    if (done < TlsMilestone.Finished && done < options.TlsStopAfter)
                    {
                        step = Begin(StepName(done + 1), ConnectionPhase.Tls);
                    }
                }

                if (failure is null && done >= options.TlsStopAfter && !session.Seen.HandshakeComplete)
                {
                    // Asked to stop here: the milestone's step has ended; the handshake is left unfinished.
                    return FinishTls(session, serverName, null);
                }

                if (failure is not null)
                {
                    if (step.Outcome != StepOutcome.InFlight)
                    {
                        // The record that failed also completed the previous step: the failure gets a step of its own.
                        step = Begin(session.Seen.HandshakeComplete ? "tls.after-handshake" : StepName(done + 1), ConnectionPhase.Tls);
                    }

                    (string cause, string summary) = ClassifyTlsFailure(failure, session.Seen);
                    End(step, StepOutcome.Failed, summary, AlertFields(failure), sent: [.. sent], received: [.. received], pdu: failure.Alert is null ? null : "TLS alert");
                    return FinishTls(session, serverName, Diagnose(ConnectionPhase.Tls, cause, summary, step, null));
                }
            }

            _reached = ConnectionPhase.Tls;
            CertificateReport? certificate = Certificate(session.Seen, serverName);
            if (certificate?.Findings.FirstOrDefault(f => options.CertificatePolicy.Contains(f.Code)) is { } rejected)
            {
                StepRecord certificateStep = _recorder.Steps.Last(s => s.Name == CertificateStep);
                return FinishTls(session, serverName, Diagnose(ConnectionPhase.Tls, $"{T.CertificateRejected}:{rejected.Code}",
                    $"the certificate fails the policy: {rejected.Text}", certificateStep, null));
            }

            if (options.Until >= ConnectionPhase.CredSsp && _negotiation?.Selected is SecurityProtocols.Hybrid or SecurityProtocols.HybridEx)
            {
                Diagnosis? credssp = await RunCredSspChallengeAsync(transport, session, cancellationToken).ConfigureAwait(false);
                if (credssp is null && options.Credentials is { } credentials && session.Seen.CertificateChain.Count > 0)
                {
                    credssp = await RunCredSspAuthenticationAsync(transport, session, credentials, cancellationToken).ConfigureAwait(false);
                }

                if (credssp is null && _reached == ConnectionPhase.CredSsp && options.Until >= ConnectionPhase.Mcs)
                {
                    credssp = await RunSessionAsync(transport, TlsChannel(transport, session), cancellationToken).ConfigureAwait(false);
                }
                else if (credssp is null && options.Credentials is null && options.Until >= ConnectionPhase.Mcs && !options.StopWhereCredentialsAreNeeded)
                {
                    StepRecord challengeStep = _recorder.Steps.Last(s => s.Name == ChallengeStep);
                    credssp = Diagnose(ConnectionPhase.CredSsp, DiagnosisCatalog.CredSspCauses.CredentialsRequired,
                        $"the server requires NLA ({NegotiationNames.SpecNames(_negotiation!.Selected!.Value)}): reaching {options.Until.Name()} needs credentials", challengeStep, null);
                }

                return FinishTls(session, serverName, credssp);
            }

            if (options.Until >= ConnectionPhase.Mcs && _negotiation?.Selected == SecurityProtocols.Ssl)
            {
                return FinishTls(session, serverName, await RunSessionAsync(transport, TlsChannel(transport, session), cancellationToken).ConfigureAwait(false));
            }

            return FinishTls(session, serverName, null);
        }

        /// <summary>
        /// Reads a TPKT frame already arriving in place of a TLS record and decodes it as an MCS Disconnect
        /// Provider Ultimatum; null when it is anything else.
        /// </summary>
        private async Task<(DisconnectProviderUltimatum Pdu, byte[] Bytes)?> ReadUltimatumAsync(IRdpTransport transport, CancellationToken cancellationToken)
        {
            var hint = new TpktFrameHint(ServerHelloStep, "TPKT packet");
            FrameReadResult frame = await FrameReader.ReadFrameAsync(transport, hint, options.ReadTimeout, cancellationToken).ConfigureAwait(false);
            if (frame.Status != FrameReadStatus.Frame)
            {
                return null;
            }

            DecodeResult<X224Data> data = Pdu.Decode<X224Data>(frame.Bytes);
            if (!data.IsSuccess)
            {
                return null;
            }

            DecodeResult<DisconnectProviderUltimatum> ultimatum = Pdu.Decode<DisconnectProviderUltimatum>(data.Value.UserData.Span);
            return ultimatum.IsSuccess ? (ultimatum.Value, frame.Bytes) : null;
        }

        private ProbeReport FinishTls(TlsClientSession session, string? serverName, Diagnosis? diagnosis)
        {
            _tls = TlsResult.From(session.Seen, serverName, Certificate(session.Seen, serverName));
            return Finish(diagnosis);
        }

        private CertificateReport? Certificate(TlsObservations seen, string? serverName) =>
            CertificateAnalysis.Analyze(seen.CertificateChain, serverName ?? _hostName, owner._time.GetUtcNow(), options.Trust);

        private static string StepName(TlsMilestone milestone) => milestone switch
        {
            TlsMilestone.ServerHello => ServerHelloStep,
            TlsMilestone.Certificate => CertificateStep,
            _ => FinishedStep,
        };

        private static string PduName(TlsMilestone milestone) => milestone switch
        {
            TlsMilestone.ServerHello => "ServerHello",
            TlsMilestone.Certificate => "Certificate",
            _ => "Finished",
        };

        private static string MilestoneSummary(TlsMilestone milestone, TlsObservations seen) => milestone switch
        {
            TlsMilestone.ServerHello => $"{TlsNames.Version(seen.ServerVersion)}, {TlsNames.CipherSuite(seen.CipherSuite ?? 0)}",
            TlsMilestone.Certificate => $"{seen.CertificateChain.Count} certificate(s)",
            _ => "handshake complete",
        };

        private List<StepField> MilestoneFields(TlsMilestone milestone, TlsObservations seen, string? serverName)
        {
            switch (milestone)
            {
                case TlsMilestone.ServerHello:
                    var hello = new List<StepField>
                    {
                        new("version", TlsNames.Version(seen.ServerVersion)),
                        new("cipherSuite", $"{TlsNames.CipherSuite(seen.CipherSuite ?? 0)} (0x{seen.CipherSuite ?? 0:x4})"),
                    };
                    if (seen.SecureRenegotiation is { } secure)
                    {
                        hello.Add(new StepField("secureRenegotiation", secure ? "yes" : "no"));
                    }

                    return hello;
                case TlsMilestone.Certificate:
                    CertificateReport? report = Certificate(seen, serverName);
                    if (report is null)
                    {
                        return [];
                    }

                    var fields = new List<StepField>
                    {
                        new("subject", report.Subject),
                        new("issuer", report.Issuer),
                        new("validity", $"{report.NotBefore:yyyy-MM-dd} to {report.NotAfter:yyyy-MM-dd} ({report.DaysLeft.ToString(CultureInfo.InvariantCulture)} days left)"),
                        new("key", $"{report.KeyType} {report.KeyBits.ToString(CultureInfo.InvariantCulture)} bits"),
                        new("signature", report.SignatureAlgorithm),
                        new("sha1", report.Sha1Fingerprint),
                        new("sha256", report.Sha256Fingerprint),
                    };
                    if (report.KeyUsages.Count > 0 || report.ExtendedKeyUsages.Count > 0)
                    {
                        fields.Add(new StepField("usage", string.Join(", ", report.KeyUsages.Concat(report.ExtendedKeyUsages))));
                    }

                    if (report.SubjectAlternativeNames.Count > 0)
                    {
                        fields.Add(new StepField("san", string.Join(", ", report.SubjectAlternativeNames)));
                    }

                    foreach (CertificateFinding finding in report.Findings)
                    {
                        fields.Add(new StepField($"finding.{finding.Code}", finding.Text));
                    }

                    return fields;
                default:
                    var done = new List<StepField>
                    {
                        new("version", TlsNames.Version(seen.ServerVersion)),
                        new("cipherSuite", TlsNames.CipherSuite(seen.CipherSuite ?? 0)),
                    };
                    if (seen.NamedGroup is { } group)
                    {
                        done.Add(new StepField("namedGroup", TlsNames.NamedGroupName(group)));
                    }

                    foreach (string weakness in TlsWeakness.Of(seen.ServerVersion, seen.CipherSuite))
                    {
                        done.Add(new StepField("weak", weakness));
                    }

                    return done;
            }
        }

        private static List<StepField> AlertFields(TlsFailure failure)
        {
            var fields = new List<StepField>();
            if (failure.Alert is { } alert)
            {
                fields.Add(new StepField(failure.Kind == TlsFailureKind.AlertReceived ? "alertReceived" : "alertSent", alert.Name));
            }

            if (failure.Message is { Length: > 0 } message)
            {
                fields.Add(new StepField("detail", message));
            }

            return fields;
        }

        /// <summary>Names a TLS failure from what the server sent or what our side objected to.</summary>
        private static (string Cause, string Summary) ClassifyTlsFailure(TlsFailure failure, TlsObservations seen)
        {
            bool beforeServerHello = seen.Milestone < TlsMilestone.ServerHello;
            string offered = seen.OfferedVersions.Count == 0 ? "nothing" : $"{TlsNames.Version(seen.OfferedVersions[^1])} to {TlsNames.Version(seen.OfferedVersions[0])}";
            if (failure.Kind == TlsFailureKind.AlertReceived && failure.Alert is { } received)
            {
                string name = received.Name;
                return (received.Description, beforeServerHello) switch
                {
                    (Org.BouncyCastle.Tls.AlertDescription.protocol_version, _) =>
                        (T.NoCommonVersion, $"the server refused every offered TLS version ({offered}) with the alert {name}"),
                    (Org.BouncyCastle.Tls.AlertDescription.handshake_failure or Org.BouncyCastle.Tls.AlertDescription.insufficient_security, true) =>
                        (T.NoCommonCipherSuite, $"the server refused the ClientHello with the alert {name}: no common cipher suite (or key-exchange group or signature algorithm) among the {seen.OfferedCipherSuites.Count} offered"),
                    _ => ($"{T.ServerAlert}:{Org.BouncyCastle.Tls.AlertDescription.GetName(received.Description)}", $"the server sent the fatal alert {name}{(beforeServerHello ? " in answer to the ClientHello" : " during the handshake")}"),
                };
            }

            if (failure.Kind == TlsFailureKind.AlertRaised && failure.Alert is { } raised)
            {
                if (raised.Description == Org.BouncyCastle.Tls.AlertDescription.protocol_version)
                {
                    return (T.NoCommonVersion, $"the server chose {TlsNames.Version(seen.ServerVersion)}, which was not offered ({offered}): {failure.Message}");
                }

                return ($"{T.LocalAlert}:{Org.BouncyCastle.Tls.AlertDescription.GetName(raised.Description)}", $"rdphs aborted the handshake with the alert {raised.Name}: {failure.Message}");
            }

            return (C.ClosedByPeer, $"the TLS connection closed: {failure.Message}");
        }
    }
}
