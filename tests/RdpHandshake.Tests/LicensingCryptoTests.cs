using RdpHandshake.Crypto.Licensing;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using static RdpHandshake.Tests.HexVectors;
using static RdpHandshake.Tests.LicensingSamples;

namespace RdpHandshake.Tests;

/// <summary>
/// The MS-RDPELE 5.1 computations (key derivation, RC4 and MAC of the platform challenge, raw RSA) of the
/// engine's licensing client, checked against public test data and the sample exchange. The licensing PDUs
/// themselves are tested in RdpHandshake.Protocol.Tests (Licensing/LicensingTests).
/// </summary>
public sealed class LicensingCryptoTests
{
    [Fact]
    public void Key_derivation_of_public_test_data()
    {
        // FreeRDP's key-generation test data: the sample client random and pre-master secret with another server random.
        byte[] serverRandom = Hex("167ef87148161a4fa52ccd736360a6c3b9191b4b6bb20ab8ecf18d954ea821c5");
        byte[] master = LicensingCrypto.MasterSecret(PreMasterSecret, ClientRandom, serverRandom);
        Assert.Equal(Hex("be51ee632390d0f43ace3a3765c3ddcfedf0c819ed77334efd2b7d5ae2caf30af116e50c78597ed44b57ce17603a5ab3"), master);
        Assert.Equal(
            Hex("074fa02eeec45a46218cae01450226e4546b5910cc5bd196d05cebc2969b447b1cd966b19e24aa604f89d14ef8b9553b"),
            LicensingCrypto.SessionKeyBlob(master, ClientRandom, serverRandom));
        using LicensingKeys keys = LicensingCrypto.DeriveKeys(PreMasterSecret, ClientRandom, serverRandom);
        Assert.Equal(Hex("074fa02eeec45a46218cae01450226e4"), keys.MacSaltKey.ToArray());
        Assert.Equal(Hex("f3b1e03bfeb4f2c528a948cd90f193e5"), keys.LicensingEncryptionKey.ToArray());
    }

    [Fact]
    public void Client_and_server_agree_on_a_whole_exchange()
    {
        // The server side, as our test server would play it: its own RSA key, a challenge encrypted under the
        // keys derived from the pre-master secret it decrypts.
        using var rsa = System.Security.Cryptography.RSA.Create(1024);
        System.Security.Cryptography.RSAParameters parameters = rsa.ExportParameters(includePrivateParameters: true);
        var serverKey = LicensingRsaKey.FromBigEndian(parameters.Modulus, parameters.Exponent);
        ServerLicenseRequest request = DecodeMessage<ServerLicenseRequest>("license-server-license-request.hex");

        using var client = new LicensingClient("Administrator", "RODENT", ClientRandom, PreMasterSecret,
            new ClientHardwareId(ClientNewLicenseRequest.DefaultPlatformId, 1, 2, 3, 4));
        ClientNewLicenseRequest answer = client.AnswerLicenseRequest(request, serverKey);
        Assert.Equal(ClientRandom, answer.ClientRandom.Span.ToArray());
        Assert.Equal(serverKey.ModulusLength + 8, answer.EncryptedPreMasterSecret.Data.Length);
        Assert.Equal("Administrator", ClientNewLicenseRequest.NameOf(answer.ClientUserName));
        Assert.Equal("RODENT", ClientNewLicenseRequest.NameOf(answer.ClientMachineName));

        byte[] preMaster = LicensingCrypto.RsaDecrypt(
            answer.EncryptedPreMasterSecret.Data.Span[..serverKey.ModulusLength],
            new System.Numerics.BigInteger(parameters.Modulus, isUnsigned: true, isBigEndian: true),
            new System.Numerics.BigInteger(parameters.D, isUnsigned: true, isBigEndian: true),
            LicensingCrypto.PreMasterSecretLength);
        Assert.Equal(PreMasterSecret, preMaster);

        using LicensingKeys serverKeys = LicensingCrypto.DeriveKeys(preMaster, answer.ClientRandom.Span, request.ServerRandom.Span);
        byte[] challenge = "T\0E\0S\0T\0\0\0"u8.ToArray();
        var platformChallenge = new ServerPlatformChallenge(0,
            new LicenseBinaryBlob(LicenseBlobType.EncryptedData, new ByteString(LicensingCrypto.Rc4(serverKeys.LicensingEncryptionKey, challenge))),
            new ByteString(LicensingCrypto.Mac(serverKeys.MacSaltKey, challenge)));

        PlatformChallengeAnswer reply = client.AnswerPlatformChallenge(platformChallenge);
        Assert.True(reply.IsSuccess, reply.Failure);
        ClientPlatformChallengeResponse response = reply.Response!;
        byte[] data = LicensingCrypto.Rc4(serverKeys.LicensingEncryptionKey, response.EncryptedPlatformChallengeResponse.Data.Span);
        byte[] hwid = LicensingCrypto.Rc4(serverKeys.LicensingEncryptionKey, response.EncryptedHwid.Data.Span);
        Assert.Equal(response.MacData.Span.ToArray(), LicensingCrypto.Mac(serverKeys.MacSaltKey, [.. data, .. hwid]));
        Assert.Equal(challenge, Pdu.Decode<PlatformChallengeResponseData>(data).Value!.Challenge.Span.ToArray());
        Assert.Equal(new ClientHardwareId(ClientNewLicenseRequest.DefaultPlatformId, 1, 2, 3, 4), Pdu.Decode<ClientHardwareId>(hwid).Value);

        // And the message goes on the wire through the dispatcher.
        byte[] wire = Pdu.Encode(LicensingPdu.Create(response));
        Assert.Equal(response, Pdu.Decode<LicensingPdu>(wire).Value!.Message);
    }

    [Fact]
    public void The_sample_response_has_the_layout_the_client_builds()
    {
        // The sample exchange's pre-master secret was not published with it, so its MACs cannot be recomputed;
        // its plaintext layout can: 8 + 10 bytes of response data and a 20-byte hardware id, both BB_DATA_BLOB.
        ClientPlatformChallengeResponse sample = DecodeMessage<ClientPlatformChallengeResponse>("license-client-platform-challenge-response.hex");
        using LicensingKeys keys = LicensingCrypto.DeriveKeys(PreMasterSecret, ClientRandom, ServerRandom);
        ClientPlatformChallengeResponse built = LicensingClient.BuildResponse(keys,
            new PlatformChallengeResponseData(0x0100, 0x0100, 3, new ByteString(new byte[10])), new ClientHardwareId(0, 0, 0, 0, 0));
        Assert.Equal(sample.EncryptedPlatformChallengeResponse.BlobType, built.EncryptedPlatformChallengeResponse.BlobType);
        Assert.Equal(sample.EncryptedPlatformChallengeResponse.Data.Length, built.EncryptedPlatformChallengeResponse.Data.Length);
        Assert.Equal(sample.EncryptedHwid.BlobType, built.EncryptedHwid.BlobType);
        Assert.Equal(sample.EncryptedHwid.Data.Length, built.EncryptedHwid.Data.Length);
    }

    [Fact]
    public void A_challenge_with_a_wrong_MAC_is_refused()
    {
        ServerLicenseRequest request = DecodeMessage<ServerLicenseRequest>("license-server-license-request.hex");
        using var client = new LicensingClient("u", "m", ClientRandom, PreMasterSecret, new ClientHardwareId(0, 0, 0, 0, 0));
        client.AnswerLicenseRequest(request, LicensingRsaKey.FromLittleEndian(Hex("23c9ec0e9f1e0e1a78afa514d4f545e4046ef401e9df45d1c2aef47fd3b9cbf31a23a10d4bd4d14ad2d1c97cab248bb15a93ca344417b5e4fef79aaa720d4195"), Hex("01000100")));
        ServerPlatformChallenge challenge = DecodeMessage<ServerPlatformChallenge>("license-server-platform-challenge.hex");
        PlatformChallengeAnswer reply = client.AnswerPlatformChallenge(challenge with { MacData = new ByteString(new byte[16]) });
        Assert.False(reply.IsSuccess);
        Assert.Contains("MAC", reply.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Platform_challenge_decryption_and_MAC_of_public_test_data()
    {
        // FreeRDP's decrypt test: licensing encryption key f3b1e03b... turns 840a4250ad5ec12930bd into "TEST\0" (UTF-16).
        Assert.Equal("T\0E\0S\0T\0\0\0"u8.ToArray(), LicensingCrypto.Rc4(Hex("f3b1e03bfeb4f2c528a948cd90f193e5"), Hex("840a4250ad5ec12930bd")));

        // IronRDP's MAC test: MAC-salt key 681f7b26... over that challenge.
        Assert.Equal(Hex("58af1f30d64ee806fcf9e6682164253d"), LicensingCrypto.Mac(Hex("681f7b267e760a242d9807d66b56c501"), "T\0E\0S\0T\0\0\0"u8));
    }

    [Fact]
    public void Raw_RSA_of_public_test_data_with_a_little_endian_512_bit_key()
    {
        var key = LicensingRsaKey.FromLittleEndian(
            Hex("23c9ec0e9f1e0e1a78afa514d4f545e4046ef401e9df45d1c2aef47fd3b9cbf31a23a10d4bd4d14ad2d1c97cab248bb15a93ca344417b5e4fef79aaa720d4195"),
            Hex("01000100"));
        byte[] encrypted = LicensingCrypto.RsaEncrypt(PreMasterSecret, key);
        Assert.Equal(64, encrypted.Length);
        Assert.Equal(Hex(
            "6bbc779f200c9839c18577c81987d88293bd21695f87e0d64ead5e2313808c633ed66e60c940e986088cd5aaa954fe274c1f8757decad4c71e469e007adb4723"), encrypted);
    }
}
