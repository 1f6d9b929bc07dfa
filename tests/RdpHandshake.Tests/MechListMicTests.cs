using System.Security.Cryptography;
using RdpHandshake.CredSsp;
using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// The SPNEGO mechListMIC (MS-SPNG 3.3.5.1, RFC 4178 5): the NTLM signature over the MechTypeList as sent,
/// made by the client with its AUTHENTICATE, checked by the test server, and the server's checked in return.
/// </summary>
public sealed class MechListMicTests
{
    private static readonly byte[] SessionKey = Convert.FromHexString("55555555555555555555555555555555");
    private static readonly byte[] Plaintext = System.Text.Encoding.Unicode.GetBytes("Plaintext");

    [Fact]
    public void The_signature_matches_the_MS_NLMP_4_2_4_keys_and_checksum()
    {
        // MS-NLMP 4.2.4.4 gives, for "Plaintext" at SeqNum 0 with this session key, the checksum
        // HMAC_MD5(SigningKey, SeqNum ‖ Message)[0..7] = 70 35 28 51 f2 56 43 09 and the SealKey 59f60097...;
        // a signature alone (no sealed data before it) is that checksum under RC4(SealKey) from its start.
        using var client = new NtlmSessionSecurity();
        client.StartSessionSecurity(SessionKey);
        byte[] mic = client.MechListMic(Plaintext);
        Assert.Equal("0100000074d045342c4f1cd500000000", Convert.ToHexStringLower(mic));
        Assert.Equal(NtlmCrypto.Rc4(Convert.FromHexString("59f600973cc4960a25480a7c196e4c58"), Convert.FromHexString("7035285 1f2564309".Replace(" ", string.Empty, StringComparison.Ordinal))), mic[4..12]);
    }

    [Fact]
    public void The_mic_leaves_the_sealing_state_where_it_started()
    {
        // After the mechListMIC exchange SPNEGO resets NTLM's RC4 handles: the first sealed message is still
        // MS-NLMP 4.2.4.4's, byte for byte, sequence number 0.
        using var client = new NtlmSessionSecurity();
        client.StartSessionSecurity(SessionKey);
        _ = client.MechListMic([0x30, 0x00]);
        byte[] sealedMessage = client.Seal(Plaintext);
        Assert.Equal("010000007fb38ec5c55d497600000000" + "54e50165bf1936dc996020c1811b0f06fb5f", Convert.ToHexStringLower(sealedMessage));
    }

    [Fact]
    public void Each_side_verifies_the_others_mic_and_not_its_own()
    {
        byte[] mechTypes = Spnego.MechTypesBytes(Pdu.Encode(new SpnegoNegTokenInit([Spnego.NtlmOid], new ByteString([1, 2, 3])))).Value.Span.ToArray();
        using var client = new NtlmSessionSecurity();
        using var server = new NtlmSessionSecurity();
        client.StartSessionSecurity(SessionKey);
        server.StartSessionSecurity(SessionKey, asServer: true);

        Assert.True(server.VerifyPeerMechListMic(mechTypes, client.MechListMic(mechTypes)));
        Assert.True(client.VerifyPeerMechListMic(mechTypes, server.MechListMic(mechTypes)));
        Assert.False(client.VerifyPeerMechListMic(mechTypes, client.MechListMic(mechTypes)));
        Assert.False(server.VerifyPeerMechListMic([.. mechTypes, 0], client.MechListMic(mechTypes)));
        Assert.False(server.VerifyPeerMechListMic(mechTypes, client.MechListMic(mechTypes)[..15]));
    }

    [Fact]
    public async Task The_test_server_verifies_the_clients_mic_and_the_client_verifies_the_servers()
    {
        var options = new ProbeOptions
        {
            Until = ConnectionPhase.CredSsp,
            Credentials = Credentials.Parse("alice", new Secret("Test-Password-1")),
            Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Hybrid },
        };
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> records) = await EngineHarness.InMemoryAsync(new TestServerOptions { RequireMechListMic = true }, options, TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.True(Assert.Single(records).MechListMicVerified);
        Assert.Contains(report.Steps.Single(s => s.Name == "credssp.authenticate").Fields, f => f.Name == "spnego.mechListMIC" && f.Value.Length == 32);
        Assert.Contains(report.Steps.Single(s => s.Name == "credssp.pubkey").Fields, f => f.Name == "spnego.mechListMIC" && f.Value == "verified");
    }

    [Fact]
    public async Task A_server_mic_over_another_list_stops_the_client_before_the_credentials()
    {
        var options = new ProbeOptions { Until = ConnectionPhase.CredSsp, Credentials = Credentials.Parse("alice", new Secret("Test-Password-1")) };
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> records) = await EngineHarness.InMemoryAsync(new TestServerOptions { CredSspFault = CredSspFault.WrongMechListMic }, options, TestContext.Current.CancellationToken);

        Assert.Equal("mechlistmic-mismatch", report.Diagnosis!.Cause.Name);
        Assert.Equal("credssp.pubkey", report.Diagnosis.Evidence.Step);
        Assert.DoesNotContain(report.Steps, s => s.Name == "credssp.credentials");
        Assert.False(Assert.Single(records).CredentialsReceived);
    }

    [Theory]
    [InlineData("wrong", false, 0x8009030Fu)] // SEC_E_MESSAGE_ALTERED
    [InlineData("absent", true, 0x80090308u)] // SEC_E_INVALID_TOKEN
    [InlineData("absent", false, null)]
    [InlineData("right", true, null)]
    public void The_test_server_refuses_a_wrong_or_missing_client_mic(string mic, bool required, uint? errorCode)
    {
        byte[] publicKey = RandomNumberGenerator.GetBytes(270);
        using var server = new CredSspServer(new TestServerOptions { RequireMechListMic = required }, publicKey);
        byte[] negotiate = Pdu.Encode(new NtlmNegotiateMessage(NtlmNegotiateMessage.CredSspClientFlags, new NtlmVersion(10, 0, 20348)));
        byte[] init = Pdu.Encode(new SpnegoNegTokenInit([Spnego.NtlmOid], new ByteString(negotiate)));
        TsRequest answer = Pdu.Decode<TsRequest>(server.AnswerNegotiate(new TsRequest(6, [new ByteString(init)]), new NtlmIdentity())).Value!;
        byte[] challengeBytes = Pdu.Decode<SpnegoNegTokenResp>(answer.NegoTokens[0].Span).Value!.ResponseToken.Span.ToArray();
        NtlmChallengeMessage challenge = Pdu.Decode<NtlmChallengeMessage>(challengeBytes).Value!;

        using var client = new NtlmPackage(null, "TERMSRV/test");
        byte[] authenticate = client.Authenticate(negotiate, challengeBytes, challenge, Credentials.Parse("alice", new Secret("Test-Password-1")), "TERMSRV/test",
            RandomNumberGenerator.GetBytes(8), RandomNumberGenerator.GetBytes(16), DateTimeOffset.UtcNow);
        byte[] mechTypes = Spnego.MechTypesBytes(init).Value.Span.ToArray();
        byte[] micBytes = mic switch
        {
            "right" => client.MechListMic(mechTypes),
            "wrong" => client.MechListMic([.. mechTypes, 0]),
            _ => [],
        };
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        byte[] binding = SHA256.HashData([.. "CredSSP Client-To-Server Binding Hash\0"u8, .. nonce, .. publicKey]);
        var request = new TsRequest(6, [new ByteString(Pdu.Encode(new SpnegoNegTokenResp(null, null, new ByteString(authenticate), new ByteString(micBytes))))], PubKeyAuth: new ByteString(client.Wrap(binding)), ClientNonce: new ByteString(nonce));

        TsRequest result = Pdu.Decode<TsRequest>(server.AnswerAuthenticate(request)).Value!;
        Assert.Equal(errorCode, result.ErrorCode);
        Assert.Equal(mic == "right", server.ClientMechListMicVerified);
        if (mic == "right")
        {
            // The server finishes SPNEGO with its own mechListMIC, and its pubKeyAuth still unseals at sequence 0.
            var final = Pdu.Decode<SpnegoNegTokenResp>(result.NegoTokens[0].Span).Value!;
            Assert.Equal(SpnegoNegState.AcceptCompleted, final.State);
            Assert.True(client.VerifyMechListMic(mechTypes, final.MechListMic.Span));
            Assert.Equal(SHA256.HashData([.. "CredSSP Server-To-Client Binding Hash\0"u8, .. nonce, .. publicKey]), client.Unwrap(result.PubKeyAuth.Span));
        }
    }
}
