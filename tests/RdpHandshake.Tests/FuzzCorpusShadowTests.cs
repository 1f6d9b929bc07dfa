using RdpHandshake.Fuzz;
using RdpHandshake.Protocol.Connector;
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
        TsRequest challenge = Decoded(Pdu.Decode<TsRequest>(Seed("credssp", "shadow-challenge")));
        Assert.Equal(6, challenge.Version);
        Assert.Equal(Seed("ntlm", "shadow-challenge"), challenge.NegoTokens.Single().Span.ToArray());

        TsRequest pubKey = Decoded(Pdu.Decode<TsRequest>(Seed("credssp", "shadow-pubkey")));
        Assert.False(pubKey.PubKeyAuth.IsEmpty);
        Assert.Empty(pubKey.NegoTokens);

        // FreeRDP 2 wants NTLM bare: NTLM inside SPNEGO gets an errorCode next to a zero-filled token.
        TsRequest refused = Decoded(Pdu.Decode<TsRequest>(Seed("credssp", "shadow-spnego-refused")));
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
        ServerConferenceData server = Decoded(Pdu.Decode<ServerConferenceData>(Seed("mcs", "shadow-server-data")));
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

        (ClientConnector connector, int consumed) = SessionOracles.ReplaySession(input);

        Assert.Null(connector.Failure);
        Assert.Equal(input.Length, consumed);
        Assert.Equal(ConnectionPhase.Finalization, connector.State.Reached);
    }
}
