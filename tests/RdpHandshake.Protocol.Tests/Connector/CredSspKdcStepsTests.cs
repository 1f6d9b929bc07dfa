using System.Buffers;
using System.Buffers.Binary;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Tests.Connector;

/// <summary>
/// The CredSSP sequence's steps with a KDC, sans-IO: a scripted package says which exchanges it needs and how it
/// reads each reply; the tests check the plans (layer, realm, transport, frame hint), the framing of requests and
/// replies, one step per exchange, setbacks that let the run go on, and failures that end it.
/// </summary>
public sealed class CredSspKdcStepsTests
{
    private static readonly byte[] AsReq = [0x6A, 0x01, 0xAA];
    private static readonly byte[] AsRep = [0x6B, 0x01, 0xBB];

    /// <summary>A package with a list of KDC exchanges; each reply is answered by the next scripted answer.</summary>
    private sealed class ScriptedPackage(Queue<(KdcExchange? Next, PackageAnswer Answer)> replies, KdcExchange? first) : IAuthenticationPackage
    {
        public KdcExchange? Pending { get; set; } = first;

        public List<byte[]> RepliesRead { get; } = [];

        public List<ProtocolFailure> FailuresHeard { get; } = [];

        public string Name => "Scripted";

        public IReadOnlyList<string> MechanismOids => [KerberosMechanism.MicrosoftKerberosV5Oid, KerberosMechanism.KerberosV5Oid];

        public (string FirstToken, string ServerToken, string FinalToken) StepNames => ("credssp.ap-request", "credssp.ap-reply", "credssp.pubkey-auth");

        public bool HasCredentials => true;

        public string Principal => "alice@RDPHS.TEST";

        public KdcExchange? PendingKdcExchange => Pending;

        public bool HasFinalToken => false;

        public PackageToken KdcRequest() => new(AsReq, "Kerberos AS-REQ", [new StepField("kerberos.cname", "alice@RDPHS.TEST")]);

        public PackageAnswer AcceptKdcReply(ReadOnlySpan<byte> reply)
        {
            RepliesRead.Add(reply.ToArray());
            return Next();
        }

        public PackageAnswer KdcFailed(ProtocolFailure failure)
        {
            FailuresHeard.Add(failure);
            return Next();
        }

        public PackageToken FirstToken() => new([0x60, 0x00], "Kerberos AP-REQ", []) { BytesWithheld = "the AP-REQ carries the service ticket" };

        public PackageAnswer AcceptServerToken(ReadOnlySpan<byte> token) => throw new NotSupportedException();

        public PackageToken FinalToken() => throw new NotSupportedException();

        public byte[] Wrap(ReadOnlySpan<byte> message) => throw new NotSupportedException();

        public byte[]? Unwrap(ReadOnlySpan<byte> message) => throw new NotSupportedException();

        public byte[] MechListMic(ReadOnlySpan<byte> mechTypes) => throw new NotSupportedException();

        public bool VerifyMechListMic(ReadOnlySpan<byte> mechTypes, ReadOnlySpan<byte> mic) => throw new NotSupportedException();

        public byte[] WrapCredentials() => throw new NotSupportedException();

        private PackageAnswer Next()
        {
            (KdcExchange? next, PackageAnswer answer) = replies.Dequeue();
            Pending = next;
            return answer;
        }
    }

    private static readonly KdcExchange As = new(1, "kerberos.as-exchange", "RDPHS.TEST", KdcTransport.Tcp, "Kerberos AS-REP");
    private static readonly KdcExchange Tgs = new(2, "kerberos.tgs-exchange", "RDPHS.TEST", KdcTransport.Tcp, "Kerberos TGS-REP");

    private static PackageAnswer Ok(string summary) => new("Kerberos reply", summary, [new StepField("kerberos.reply", summary)]);

    private static CredSspSequence Sequence(ScriptedPackage package)
    {
        var state = new ConnectionState(new ClientConnectorOptions(), new ConnectorServices { Random = ConnectorTestRandom.Instance, Authentication = package })
        {
            Negotiation = new NegotiationResult(SecurityProtocols.Hybrid, true, SecurityProtocols.Hybrid, NegotiationResponseFlags.None, null, true),
        };
        return new CredSspSequence(state);
    }

    private static (StepResult Result, byte[] Written) Step(CredSspSequence sequence, ReadOnlySpan<byte> input = default)
    {
        var output = new ArrayBufferWriter<byte>();
        StepResult result = sequence.Step(input, output);
        return (result, output.WrittenSpan.ToArray());
    }

    private static byte[] TcpFrame(byte[] message) => Pdu.Encode(new KdcTcpFrame(new ByteString(message)));

    [Fact]
    public void A_kdc_exchange_is_planned_on_the_kdc_layer_with_its_realm_transport_and_a_bounded_tcp_frame()
    {
        var package = new ScriptedPackage(new([(null, Ok("TGT"))]), As);
        CredSspSequence sequence = Sequence(package);

        StepPlan send = sequence.Next!;
        Assert.Equal(("kerberos.as-exchange", ConnectionPhase.CredSsp, FrameLayer.Kdc, null), (send.Name, send.Phase, send.Layer, send.Read));
        Assert.Equal(new KdcTarget("RDPHS.TEST", KdcTransport.Tcp), send.Kdc);

        (StepResult sent, byte[] written) = Step(sequence);
        Assert.True(sent.Continues);
        Assert.Equal(CredSspSequence.KdcBytesWithheld, sent.BytesWithheld);
        Assert.Equal(TcpFrame(AsReq), written);
        Assert.Equal((uint)AsReq.Length, BinaryPrimitives.ReadUInt32BigEndian(written));

        StepPlan read = sequence.Next!;
        KdcTcpFrameHint hint = Assert.IsType<KdcTcpFrameHint>(read.Read);
        Assert.Equal(KdcTcpFrame.LengthPrefixSize + KerberosLimits.MaxMessageSize, hint.MaxFrameLength);
        Assert.Equal(FrameSizeStatus.Invalid, hint.FindSize([0x7F, 0xFF, 0xFF, 0xFF]).Status);
    }

    [Fact]
    public void Over_udp_the_request_is_the_bare_message_and_the_reply_a_whole_datagram()
    {
        KdcExchange udp = As with { Transport = KdcTransport.Udp };
        var package = new ScriptedPackage(new([(null, Ok("TGT"))]), udp);
        CredSspSequence sequence = Sequence(package);

        (_, byte[] written) = Step(sequence);
        Assert.Equal(AsReq, written);
        Assert.IsType<KdcDatagramHint>(sequence.Next!.Read);

        Step(sequence, AsRep);
        Assert.Equal(AsRep, Assert.Single(package.RepliesRead));
    }

    [Fact]
    public void A_pre_authentication_round_trip_stays_one_step_and_the_reply_reaches_the_package_unframed()
    {
        var package = new ScriptedPackage(new([(As, Ok("pre-authentication required")), (Tgs, Ok("TGT")), (null, Ok("service ticket"))]), As);
        CredSspSequence sequence = Sequence(package);

        Step(sequence);
        (StepResult first, _) = Step(sequence, TcpFrame(AsRep));
        Assert.True(first.Continues);
        Assert.Equal(AsRep, package.RepliesRead[0]);

        (StepResult again, _) = Step(sequence);
        Assert.True(again.Continues);
        Assert.Single(again.Fields, f => f.Name == "kerberos.cname"); // the second request's fields are not repeated
        (StepResult asDone, _) = Step(sequence, TcpFrame(AsRep));
        Assert.False(asDone.Continues);
        Assert.Equal("kerberos.as-exchange", asDone.StepName);
        Assert.Contains(asDone.Fields, f => f.Value == "pre-authentication required");
        Assert.Contains(asDone.Fields, f => f.Value == "TGT");

        Assert.Equal("kerberos.tgs-exchange", sequence.Next!.Name);
        Step(sequence);
        (StepResult tgsDone, _) = Step(sequence, TcpFrame(AsRep));
        Assert.Equal("kerberos.tgs-exchange", tgsDone.StepName);
        Assert.DoesNotContain(tgsDone.Fields, f => f.Value == "TGT");

        Assert.Equal(("credssp.ap-request", FrameLayer.Tls), (sequence.Next!.Name, sequence.Next.Layer));
    }

    [Fact]
    public void A_failure_the_package_recovers_from_is_a_setback_and_the_first_token_follows()
    {
        var unreachable = new ProtocolFailure(CauseId.KdcUnreachable, "the KDC refused the connection") { Detail = "refused" };
        PackageAnswer setback = new PackageAnswer("Kerberos reply", string.Empty, []) with { Setback = unreachable };
        var package = new ScriptedPackage(new([(null, setback)]), As);
        CredSspSequence sequence = Sequence(package);

        Step(sequence);
        StepResult result = sequence.EndpointFailed(unreachable);

        Assert.Same(unreachable, Assert.Single(package.FailuresHeard));
        Assert.Equal(unreachable, result.Setback);
        Assert.Null(result.Failure);
        Assert.False(result.Continues);
        Assert.Equal(SequenceStatus.Running, sequence.Status);
        Assert.Equal("credssp.ap-request", sequence.Next!.Name);

        (StepResult token, byte[] written) = Step(sequence);
        Assert.Equal("the AP-REQ carries the service ticket", token.BytesWithheld);
        TsRequest request = Pdu.Decode<TsRequest>(written).Value!;
        SpnegoNegTokenInit init = Pdu.Decode<SpnegoNegTokenInit>(request.NegoTokens[0].Span).Value!;
        Assert.Equal([KerberosMechanism.MicrosoftKerberosV5Oid, KerberosMechanism.KerberosV5Oid], init.MechTypes);
    }

    [Fact]
    public void A_failure_the_package_does_not_recover_from_ends_the_sequence_at_the_kdc_step()
    {
        var refused = new ProtocolFailure(CauseId.KerberosError, "the KDC refused the pre-authentication") { Detail = "KDC_ERR_PREAUTH_FAILED", Code = 24 };
        var package = new ScriptedPackage(new([(null, new PackageAnswer("Kerberos KRB-ERROR", refused.Reason, [], refused))]), As);
        CredSspSequence sequence = Sequence(package);

        Step(sequence);
        (StepResult result, _) = Step(sequence, TcpFrame(AsRep));

        Assert.Equal("kerberos.as-exchange", result.StepName);
        Assert.Equal(refused, result.Failure);
        Assert.Equal(SequenceStatus.Failed, sequence.Status);
        Assert.Equal(refused, sequence.Failure);
        Assert.Equal(CredSspSequence.KdcBytesWithheld, result.BytesWithheld);
    }

    [Fact]
    public void A_kdc_reply_that_cannot_be_framed_goes_to_the_package_as_malformed()
    {
        var package = new ScriptedPackage(new([(null, new PackageAnswer("Kerberos reply", "garbage", [], ProtocolFailure.Malformed("garbage", default)))]), As);
        CredSspSequence sequence = Sequence(package);
        Step(sequence);

        DecodeError tooLong = DecodeError.LengthLimit(KdcTcpFrame.PduName, "length", 0, KerberosLimits.MaxMessageSize, 0x7FFF_FFFF);
        StepResult result = sequence.RejectFrame(tooLong, [0x7F, 0xFF, 0xFF, 0xFF]);

        ProtocolFailure heard = Assert.Single(package.FailuresHeard);
        Assert.Equal(CauseId.MalformedResponse, heard.Cause);
        Assert.Equal(tooLong, heard.DecodeError);
        Assert.Equal("kerberos.as-exchange", result.StepName);
        Assert.Equal(SequenceStatus.Failed, sequence.Status);
    }

    [Fact]
    public void An_unreachable_endpoint_outside_a_kdc_step_ends_the_sequence()
    {
        var package = new ScriptedPackage(new(), null);
        CredSspSequence sequence = Sequence(package);
        Assert.Equal("credssp.ap-request", sequence.Next!.Name);

        StepResult result = sequence.EndpointFailed(new ProtocolFailure(CauseId.KdcUnreachable, "no KDC"));

        Assert.Equal(SequenceStatus.Failed, sequence.Status);
        Assert.Empty(package.FailuresHeard);
        Assert.NotNull(result.Failure);
    }
}
