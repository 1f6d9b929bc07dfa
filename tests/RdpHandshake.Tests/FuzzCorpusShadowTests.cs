using System.Buffers;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests;

/// <summary>
/// The seeds captured from FreeRDP's shadow server (fuzz/seeds/shadow.sh) are there and are what their names say:
/// each decodes with the decoder it is meant for, so the fuzzer starts from inputs that reach past the first check.
/// </summary>
public sealed class FuzzCorpusShadowTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "fuzz-corpus");

    private static byte[] Seed(string target, string name) => File.ReadAllBytes(Path.Combine(Root, target, name));

    private static T Decoded<T>(DecodeResult<T> result)
    {
        Assert.True(result.IsSuccess, result.IsSuccess ? null : result.Error.ToString());
        return result.Value!;
    }

    [Theory]
    [InlineData("credssp")]
    [InlineData("ntlm")]
    [InlineData("mcs")]
    [InlineData("session")]
    public void The_shadow_server_seeds_exist(string target) =>
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(Root, target), "shadow-*"));

    [Fact]
    public void The_credssp_seeds_are_the_challenge_the_public_key_binding_and_the_spnego_refusal()
    {
        TsRequest challenge = Decoded(TsRequest.Decode(Seed("credssp", "shadow-challenge")));
        Assert.Equal(6, challenge.Version);
        Assert.Equal(Seed("ntlm", "shadow-challenge"), challenge.NegoTokens.Single().Span.ToArray());

        TsRequest pubKey = Decoded(TsRequest.Decode(Seed("credssp", "shadow-pubkey")));
        Assert.False(pubKey.PubKeyAuth.IsEmpty);
        Assert.Empty(pubKey.NegoTokens);

        // FreeRDP 2 wants NTLM bare: NTLM inside SPNEGO gets an errorCode next to a zero-filled token.
        TsRequest refused = Decoded(TsRequest.Decode(Seed("credssp", "shadow-spnego-refused")));
        Assert.Equal(0xC00700EAu, refused.ErrorCode);
    }

    [Fact]
    public void The_ntlm_seed_is_a_challenge_with_target_info()
    {
        NtlmChallengeMessage challenge = Decoded(Pdu.Decode<NtlmChallengeMessage>(Seed("ntlm", "shadow-challenge")));
        Assert.NotEmpty(challenge.TargetInfo);
        Assert.NotNull(challenge.Version);
    }

    [Fact]
    public void The_mcs_seeds_decode_as_the_pdus_they_are_named_after()
    {
        McsConnectResponse response = Decoded(Pdu.Decode<McsConnectResponse>(Seed("mcs", "shadow-connect-response")));
        Assert.Equal(McsResult.Successful, response.Result);
        Decoded(Pdu.Decode<GccConferenceCreateResponse>(Seed("mcs", "shadow-gcc-response")));
        ServerConferenceData server = Decoded(ServerConferenceData.Decode(Seed("mcs", "shadow-server-data")));
        Assert.NotNull(server.Network);
        Decoded(Pdu.Decode<AttachUserConfirm>(Seed("mcs", "shadow-attach-user-confirm")));
        Decoded(Pdu.Decode<ChannelJoinConfirm>(Seed("mcs", "shadow-channel-join-confirm")));
        Decoded(Pdu.Decode<SendData>(Seed("mcs", "shadow-license-send-data")));
        Decoded(Pdu.Decode<SendData>(Seed("mcs", "shadow-demand-active-send-data")));
    }

    [Fact]
    public void The_session_seeds_decode_as_licensing_and_share_pdus()
    {
        byte[] license = Seed("session", "shadow-license-error");
        var reader = new PduReader(license);
        Decoded(LicensingPdu.Decode(ref reader));
        Decoded(Pdu.Decode<DemandActivePdu>(Seed("session", "shadow-demand-active")));
        Assert.Equal(4, Decoded(SlowPathPdu.Decode(Seed("session", "shadow-finalization"))).Count);
    }

    /// <summary>The session harness's path (SessionOracles.Session) with the shadow server's frames goes all the way to the Font Map.</summary>
    [Fact]
    public void The_session_stream_takes_the_connector_to_finalization()
    {
        byte[] input = Seed("session", "shadow-tls-licensing-to-font-map");
        var connector = new SessionConnector(new SessionOptions { Channels = [] }, SecurityProtocols.Ssl, SecurityProtocols.Ssl);
        var output = new ArrayBufferWriter<byte>();
        foreach (byte[] frame in McsPrefix())
        {
            Drive(connector, output);
            connector.Step(frame, output);
        }

        int offset = 0;
        while (!connector.IsTerminal)
        {
            Drive(connector, output);
            if (connector.IsTerminal || offset == input.Length)
            {
                break;
            }

            FrameHint hint = connector.NextFrameHint!;
            FrameSize size = hint.FindSize(input.AsSpan(offset, Math.Min(input.Length - offset, hint.HeaderLength)));
            Assert.Equal(FrameSizeStatus.Complete, size.Status);
            connector.Step(input.AsSpan(offset, size.Length), output);
            offset += size.Length;
        }

        Assert.Null(connector.Failure);
        Assert.Equal(input.Length, offset);
        Assert.Equal(ConnectionPhase.Finalization, connector.Reached);
    }

    private static void Drive(SessionConnector connector, ArrayBufferWriter<byte> output)
    {
        while (!connector.IsTerminal && connector.NextFrameHint is null)
        {
            output.ResetWrittenCount();
            connector.Step([], output);
        }
    }

    /// <summary>The scripted MCS phase of the session harness: a TLS-mode server without static channels.</summary>
    private static IEnumerable<byte[]> McsPrefix()
    {
        var server = new ServerConferenceData(
            new ServerCoreData(0x00080004, 0x01, 0),
            new ServerSecurityData(0, 0, ByteString.Empty, ByteString.Empty),
            new ServerNetworkData(1003, []),
            null, null, []);
        byte[] gcc = Pdu.Encode(new GccConferenceCreateResponse(1002, 1, 0, new ByteString(server.Encode())));
        yield return Tpkt(Pdu.Encode(new McsConnectResponse(McsResult.Successful, 0, DomainParameters.Target, new ByteString(gcc))));
        yield return Tpkt(Pdu.Encode(new AttachUserConfirm(McsResult.Successful, 1007)));
        yield return Tpkt(Pdu.Encode(new ChannelJoinConfirm(McsResult.Successful, 1007, 1007, 1007)));
        yield return Tpkt(Pdu.Encode(new ChannelJoinConfirm(McsResult.Successful, 1007, 1003, 1003)));
    }

    private static byte[] Tpkt(byte[] mcs) => Pdu.Encode(new X224Data(new ByteString(mcs)));
}
