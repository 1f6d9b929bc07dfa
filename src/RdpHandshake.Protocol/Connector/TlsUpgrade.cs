using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// The Enhanced RDP Security upgrade (MS-RDPBCGR 5.4.5): the TLS handshake that follows an X.224 negotiation of
/// SSL, HYBRID or HYBRID_EX, as steps: ClientHello sent, then one step per handshake milestone the server reaches
/// (ServerHello, Certificate, Finished). It drives an <see cref="ITlsSession"/>: records in, records out; the TLS
/// library stays behind that interface, outside the core.
/// </summary>
public sealed class TlsUpgrade(ConnectionState connection) : Sequence<TlsUpgrade.Steps>(Steps.SendClientHello)
{
    public const string ClientHelloStep = "tls.client-hello";
    public const string ServerHelloStep = "tls.server-hello";
    public const string CertificateStep = "tls.certificate";
    public const string FinishedStep = "tls.finished";

    /// <summary>The step of a failure found in a record after the handshake completed.</summary>
    public const string AfterHandshakeStep = "tls.after-handshake";

    private ITlsSession? _session;
    private TlsMilestone _done = TlsMilestone.ClientHello;
    private bool _anyReceived;
    private TlsFailure? _pendingFailure;

    // What the server sent of its current flight (since our last handshake message): a flight that stops between
    // two records is an answer that started and stopped.
    private long _flightBytes;

    public enum Steps
    {
        SendClientHello,

        /// <summary>Reads the server's records until the next milestone.</summary>
        AwaitMilestone,

        /// <summary>One record crossed more than one milestone (or crossed one and failed): each gets its own step, without I/O.</summary>
        ReportMilestone,
    }

    private ITlsSession Session => _session ?? throw new InvalidOperationException("the TLS session has not started");

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendClientHello => new StepPlan(ClientHelloStep, ConnectionPhase.Tls, null, FrameLayer.Transport),
        Steps.AwaitMilestone => new StepPlan(StepName(_done + 1), ConnectionPhase.Tls, Hint(), FrameLayer.Transport)
        {
            // A server that closes or resets before any TLS byte refused the handshake itself.
            WhenClosed = _anyReceived ? CauseId.ClosedByPeer : CauseId.ClosedAfterClientHello,
            WhenReset = _anyReceived ? CauseId.Reset : CauseId.ResetAfterClientHello,
            WhenTimedOut = _flightBytes > 0 ? CauseId.TimeoutMidAnswer : CauseId.Timeout,
        },
        Steps.ReportMilestone => new StepPlan(ReportStepName(), ConnectionPhase.Tls, null, FrameLayer.Transport),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendClientHello => SendClientHello(output),
        Steps.AwaitMilestone => Receive(input, output),
        Steps.ReportMilestone => Report(),
    };

    private FrameHint Hint()
    {
        string expecting = "TLS " + PduName(_done + 1);
        // Until the server sent a TLS byte, its answer may be an RDP packet instead: framed whole, so it can be named.
        return _anyReceived ? new TlsRecordFrameHint(StepName(_done + 1), expecting) : new TlsRecordOrTpktFrameHint(StepName(_done + 1), expecting);
    }

    private string ReportStepName() =>
        Session.Milestone > _done ? StepName(_done + 1)
        : _done == TlsMilestone.Finished ? AfterHandshakeStep
        : StepName(_done + 1);

    private StepResult SendClientHello(IBufferWriter<byte> output)
    {
        _session = connection.Services.TlsSession?.Invoke()
            ?? throw new InvalidOperationException("the server selected a protocol inside TLS and the connector was given no TLS session");
        connection.Tls = _session;
        output.Write(_session.Start());
        State = Steps.AwaitMilestone;
        TlsStepReport hello = _session.Describe(TlsMilestone.ClientHello);
        return new StepResult(ClientHelloStep, ConnectionPhase.Tls, hello.Pdu, hello.Fields, hello.Summary);
    }

    private StepResult Receive(ReadOnlySpan<byte> record, IBufferWriter<byte> output)
    {
        if (!_anyReceived && !record.IsEmpty && record[0] == TpktHeader.Version3)
        {
            return NotTls(record);
        }

        _anyReceived = true;
        _flightBytes += record.Length;
        (byte[] answer, TlsFailure? failure) = Session.Receive(record);
        output.Write(answer);
        // Our own handshake flight (TLS 1.2's ClientKeyExchange to Finished) asks for an answer; TLS 1.3's
        // compatibility ChangeCipherSpec after the ServerHello does not.
        bool asks = answer.Length > 0 && answer[0] == (byte)TlsContentType.Handshake;
        if (asks)
        {
            _flightBytes = 0;
        }
        if (Session.Milestone > _done)
        {
            _pendingFailure = failure;
            return Reached(asks);
        }

        if (failure is not null)
        {
            return FailTls(StepName(_done + 1), failure);
        }

        // The record did not complete the milestone: the step goes on with the next record.
        return new StepResult(StepName(_done + 1), ConnectionPhase.Tls, "TLS record", [], $"{record.Length} bytes of the server's flight")
        {
            Continues = true,
            AwaitsAnswer = asks,
        };
    }

    /// <summary>Ends the step of the next milestone, which the session has reached, and decides what follows.</summary>
    private StepResult Reached(bool asks)
    {
        _done++;
        TlsStepReport report = Session.Describe(_done);
        var result = new StepResult(StepName(_done), ConnectionPhase.Tls, report.Pdu, report.Fields, report.Summary) { AwaitsAnswer = asks };
        if (_pendingFailure is null && _done >= connection.Options.TlsStopAfter && _done < TlsMilestone.Finished)
        {
            // Asked to stop here: the milestone's step has ended; the handshake is left unfinished.
            Stop();
            return result;
        }

        if (Session.Milestone > _done || _pendingFailure is not null)
        {
            State = Steps.ReportMilestone;
            return result;
        }

        if (_done < TlsMilestone.Finished)
        {
            State = Steps.AwaitMilestone;
            return result;
        }

        connection.Reach(ConnectionPhase.Tls);
        if (Session.PolicyViolation is { } violation)
        {
            FailAfter(new ProtocolFailure(CauseId.CertificateRejected, $"the certificate fails the policy: {violation.Text}")
            {
                Detail = violation.Code,
                EvidenceStep = CertificateStep,
            });
        }
        else
        {
            Complete();
        }

        return result;
    }

    private StepResult Report()
    {
        if (Session.Milestone > _done)
        {
            return Reached(asks: false);
        }

        return FailTls(ReportStepName(), _pendingFailure!);
    }

    /// <summary>An RDP packet where the ServerHello belongs: the server's TLS layer did not start.</summary>
    private StepResult NotTls(ReadOnlySpan<byte> frame)
    {
        if (Pdu.Decode<X224Data>(frame) is { IsSuccess: true } data
            && Pdu.Decode<DisconnectProviderUltimatum>(data.Value.UserData.Span) is { IsSuccess: true } ultimatum)
        {
            // xrdp sends an MCS Disconnect Provider Ultimatum here when it cannot start TLS.
            return Fail(ServerHelloStep, ConnectionPhase.Tls, DisconnectProviderUltimatum.PduName,
                [new StepField("tpdu", "DT (0xf0)"), new StepField("mcsPdu", "DisconnectProviderUltimatum"), new StepField("reason", ultimatum.Value.ReasonName)],
                new ProtocolFailure(CauseId.DisconnectUltimatum,
                    $"the server answered the ClientHello with an MCS Disconnect Provider Ultimatum ({ultimatum.Value.ReasonName}) instead of a ServerHello: it could not start TLS")
                { Detail = ultimatum.Value.ReasonName });
        }

        return Fail(ServerHelloStep, ConnectionPhase.Tls, "TPKT packet", [new StepField("tpkt", $"{frame.Length} bytes")],
            new ProtocolFailure(CauseId.ServerTlsSetupFailed, "the server answered the ClientHello with an RDP (TPKT) packet instead of a ServerHello: it did not start TLS"));
    }

    /// <summary>Bytes that cannot even be framed: not a TLS record, or (before any TLS byte) not an RDP packet either.</summary>
    public override StepResult RejectFrame(DecodeError error, ReadOnlySpan<byte> received)
    {
        string step = StepName(_done + 1);
        if (!_anyReceived && error.Context == TpktHeader.PduName)
        {
            return Fail(step, ConnectionPhase.Tls, "TPKT packet", [new StepField("error", error.ToString())],
                new ProtocolFailure(CauseId.ServerTlsSetupFailed, "the server answered the ClientHello with an RDP (TPKT) packet instead of a ServerHello: it did not start TLS") { DecodeError = error });
        }

        return Fail(step, ConnectionPhase.Tls, "TLS record", [new StepField("error", error.ToString())],
            new ProtocolFailure(CauseId.MalformedRecord, $"the server sent bytes that are not a TLS record: {error}") { DecodeError = error });
    }

    private StepResult FailTls(string step, TlsFailure failure)
    {
        var fields = new List<StepField>();
        if (failure.Alert is { } alert)
        {
            fields.Add(new StepField(failure.Kind == TlsFailureKind.AlertReceived ? "alertReceived" : "alertSent", alert.DisplayName));
        }

        if (failure.Message is { Length: > 0 } message)
        {
            fields.Add(new StepField("detail", message));
        }

        return Fail(step, ConnectionPhase.Tls, failure.Alert is null ? "TLS record" : "TLS alert", fields, Classify(failure));
    }

    /// <summary>Names a TLS failure from what the server sent or what this side objected to.</summary>
    private ProtocolFailure Classify(TlsFailure failure)
    {
        bool beforeServerHello = _done < TlsMilestone.ServerHello;
        string offered = Session.OfferedVersions;
        if (failure.Kind == TlsFailureKind.AlertReceived && failure.Alert is { } received)
        {
            return (received.Description, beforeServerHello) switch
            {
                (TlsAlert.ProtocolVersion, _) => new ProtocolFailure(CauseId.NoCommonVersion,
                    $"the server refused every offered TLS version ({offered}) with the alert {received.DisplayName}"),
                (TlsAlert.HandshakeFailure or TlsAlert.InsufficientSecurity, true) => new ProtocolFailure(CauseId.NoCommonCipherSuite,
                    $"the server refused the ClientHello with the alert {received.DisplayName}: no common cipher suite (or key-exchange group or signature algorithm) among the {Session.OfferedCipherSuiteCount} offered"),
                _ => new ProtocolFailure(CauseId.ServerAlert,
                    $"the server sent the fatal alert {received.DisplayName}{(beforeServerHello ? " in answer to the ClientHello" : " during the handshake")}")
                { Detail = received.Name, Code = received.Description },
            };
        }

        if (failure.Kind == TlsFailureKind.AlertRaised && failure.Alert is { } raised)
        {
            return raised.Description == TlsAlert.ProtocolVersion
                ? new ProtocolFailure(CauseId.NoCommonVersion, $"the server chose {Session.ServerVersion}, which was not offered ({offered}): {failure.Message}")
                : new ProtocolFailure(CauseId.LocalAlert, $"rdphs aborted the handshake with the alert {raised.DisplayName}: {failure.Message}") { Detail = raised.Name, Code = raised.Description };
        }

        return new ProtocolFailure(CauseId.ClosedByPeer, $"the TLS connection closed: {failure.Message}");
    }

    private static string StepName(TlsMilestone milestone) => milestone switch
    {
        TlsMilestone.ClientHello => ClientHelloStep,
        TlsMilestone.ServerHello => ServerHelloStep,
        TlsMilestone.Certificate => CertificateStep,
        TlsMilestone.Finished => FinishedStep,
    };

    private static string PduName(TlsMilestone milestone) => milestone switch
    {
        TlsMilestone.ClientHello => "ClientHello",
        TlsMilestone.ServerHello => "ServerHello",
        TlsMilestone.Certificate => "Certificate",
        TlsMilestone.Finished => "Finished",
    };
}
