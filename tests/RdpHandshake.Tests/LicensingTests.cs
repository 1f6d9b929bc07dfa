using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Crypto.Licensing;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests;

/// <summary>
/// Licensing PDUs (MS-RDPBCGR 2.2.1.12, MS-RDPELE 2.2.2): the 4.1.11 vector, a full sample exchange decoded and
/// re-encoded byte for byte, the MS-RDPELE 5.1 computations checked against that exchange, round trips and
/// hostile input.
/// </summary>
[Properties(Arbitrary = [typeof(LicensingArbitraries)], MaxTest = 200)]
public sealed class LicensingTests
{
    // The sample exchange's inputs (FreeRDP cunit/test_license.c).
    private static readonly byte[] ClientRandom = Hex("dc73a0c869256b18af0b947aa9a520af8bbc0dcca395b7b9eb815dbe0a109cd8");
    private static readonly byte[] ServerRandom = Hex("84efae20b1d59e36491ae82e0a9989ac49a6474f339b5ab99503a6c6c23c3f61");
    private static readonly byte[] PreMasterSecret = Hex(
        "cf7adbcbfb0e1523871c8481ba9d4e15bbd256bdd8f7f316cc353be1934278dd929ae47ae299d473b1aa6f55943bc9bc");

    private static T DecodeMessage<T>(string vector) where T : LicensingMessage
    {
        byte[] bytes = Load(vector);
        DecodeResult<LicensingPdu> decoded = Pdu.Decode<LicensingPdu>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.True(decoded.Value.MsgSizeMatches);
        Assert.Equal(bytes, Pdu.Encode(decoded.Value));
        Assert.Equal(bytes.Length, decoded.Value.Size);
        return Assert.IsType<T>(decoded.Value.Message);
    }

    [Fact]
    public void Valid_client_error_of_MS_RDPBCGR_4_1_11_decrypted()
    {
        byte[] bytes = Load("license-error-valid-client-4.1.11.hex");
        LicensingPdu expected = LicensingPdu.Create(LicenseErrorMessage.ValidClient);
        Assert.Equal(new LicensePreamble(LicenseMessageType.ErrorAlert, LicensePreambleFlags.Version3, 0x10), expected.Preamble);
        DecodeResult<LicensingPdu> decoded = Pdu.Decode<LicensingPdu>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(expected, decoded.Value);
        Assert.Equal(bytes, Pdu.Encode(expected));
        var message = Assert.IsType<LicenseErrorMessage>(decoded.Value.Message);
        Assert.True(message.IsValidClient);
        Assert.Equal("STATUS_VALID_CLIENT, ST_NO_TRANSITION, bbErrorInfo BB_ERROR_BLOB (0 bytes)", message.ToString());
    }

    [Fact]
    public void A_wMsgSize_that_counts_the_security_header_is_tolerated_and_kept()
    {
        byte[] bytes = Hex("ff 03 14 00 07 00 00 00 02 00 00 00 04 00 00 00");
        DecodeResult<LicensingPdu> decoded = Pdu.Decode<LicensingPdu>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.False(decoded.Value.MsgSizeMatches);
        Assert.Equal((ushort)0x14, decoded.Value.Preamble.MsgSize);
        Assert.True(((LicenseErrorMessage)decoded.Value.Message).IsValidClient);
        Assert.Equal(bytes, Pdu.Encode(decoded.Value));
    }

    [Fact]
    public void A_wMsgSize_smaller_than_the_preamble_is_rejected()
    {
        DecodeResult<LicensingPdu> decoded = Pdu.Decode<LicensingPdu>(Hex("ff 03 03 00 07 00 00 00 02 00 00 00 04 00 00 00"));
        Assert.False(decoded.IsSuccess);
        Assert.Equal("wMsgSize", decoded.Error.Field);
    }

    [Theory]
    [InlineData(1u, "ERR_INVALID_SERVER_CERTIFICATE")]
    [InlineData(2u, "ERR_NO_LICENSE")]
    [InlineData(3u, "ERR_INVALID_MAC")]
    [InlineData(4u, "ERR_INVALID_SCOPE")]
    [InlineData(6u, "ERR_NO_LICENSE_SERVER")]
    [InlineData(7u, "STATUS_VALID_CLIENT")]
    [InlineData(8u, "ERR_INVALID_CLIENT")]
    [InlineData(0xBu, "ERR_INVALID_PRODUCTID")]
    [InlineData(0xCu, "ERR_INVALID_MESSAGE_LEN")]
    public void Every_error_code_has_its_spec_name(uint code, string name)
    {
        Assert.Equal(name, LicenseNames.Name((LicenseErrorCode)code));
        Assert.NotEqual("an error code that MS-RDPBCGR does not define", LicenseNames.Meaning((LicenseErrorCode)code));
    }

    [Theory]
    [InlineData(1u, "ST_TOTAL_ABORT")]
    [InlineData(2u, "ST_NO_TRANSITION")]
    [InlineData(3u, "ST_RESET_PHASE_TO_START")]
    [InlineData(4u, "ST_RESEND_LAST_MESSAGE")]
    public void Every_state_transition_has_its_spec_name(uint transition, string name) =>
        Assert.Equal(name, LicenseNames.Name((LicenseStateTransition)transition));

    [Fact]
    public void Sample_server_license_request()
    {
        ServerLicenseRequest request = DecodeMessage<ServerLicenseRequest>("license-server-license-request.hex");
        Assert.Equal(ServerRandom, request.ServerRandom.Span.ToArray());
        Assert.Equal(new ProductInfo(0x0006_0000, "Microsoft Corporation", "A02"), request.ProductInfo);
        Assert.Equal([1u], request.KeyExchangeAlgorithms);
        Assert.Equal(LicenseBlobType.Certificate, request.ServerCertificate.BlobType);
        Assert.Equal(0x0812, request.ServerCertificate.Data.Length);
        Assert.Equal(["microsoft.com"], request.Scopes);
    }

    [Fact]
    public void Sample_client_new_license_request()
    {
        ClientNewLicenseRequest request = DecodeMessage<ClientNewLicenseRequest>("license-client-new-license-request.hex");
        Assert.Equal(KeyExchangeAlgorithm.Rsa, request.PreferredKeyExchangeAlg);
        Assert.Equal(ClientNewLicenseRequest.DefaultPlatformId, request.PlatformId);
        Assert.Equal(ClientRandom, request.ClientRandom.Span.ToArray());
        Assert.Equal(LicenseBlobType.Random, request.EncryptedPreMasterSecret.BlobType);
        Assert.Equal(256 + 8, request.EncryptedPreMasterSecret.Data.Length);
        Assert.Equal("Administrator", ClientNewLicenseRequest.NameOf(request.ClientUserName));
        Assert.Equal("RODENT", ClientNewLicenseRequest.NameOf(request.ClientMachineName));
    }

    [Fact]
    public void Sample_platform_challenge_and_response()
    {
        ServerPlatformChallenge challenge = DecodeMessage<ServerPlatformChallenge>("license-server-platform-challenge.hex");
        Assert.Equal(0xFFFF_FFFFu, challenge.ConnectFlags);
        Assert.Equal((LicenseBlobType)0xF750, challenge.EncryptedPlatformChallenge.BlobType);
        Assert.Equal(10, challenge.EncryptedPlatformChallenge.Data.Length);
        ClientPlatformChallengeResponse response = DecodeMessage<ClientPlatformChallengeResponse>("license-client-platform-challenge-response.hex");
        Assert.Equal(18, response.EncryptedPlatformChallengeResponse.Data.Length);
        Assert.Equal(20, response.EncryptedHwid.Data.Length);
    }

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

    [Property]
    public bool Licensing_pdus_round_trip(LicensingPdu pdu)
    {
        byte[] bytes = Pdu.Encode(pdu);
        DecodeResult<LicensingPdu> decoded = Pdu.Decode<LicensingPdu>(bytes);
        return decoded.IsSuccess && decoded.Value!.Equals(pdu) && pdu.Size == bytes.Length && pdu.MsgSizeMatches;
    }

    [Property]
    public bool Every_strict_prefix_is_rejected(LicensingPdu pdu)
    {
        byte[] bytes = Pdu.Encode(pdu);
        if (pdu.Message is LicenseOpaqueMessage)
        {
            return true; // opaque bodies have no inner framing
        }

        for (int length = 0; length < bytes.Length; length++)
        {
            if (Pdu.Decode<LicensingPdu>(bytes.AsSpan(0, length)).IsSuccess)
            {
                return false;
            }
        }

        return true;
    }

    [Property]
    public bool Garbled_is_rejected_or_exact(LicensingPdu pdu, int position, byte mask)
    {
        byte[] bytes = Pdu.Encode(pdu);
        bytes[Math.Abs(position % bytes.Length)] ^= mask == 0 ? (byte)0x5A : mask;
        DecodeResult<LicensingPdu> result = Pdu.Decode<LicensingPdu>(bytes);
        return result.IsSuccess ? Pdu.Encode(result.Value!).AsSpan().SequenceEqual(bytes) : result.Error.Reason.Length > 0;
    }

    [Property(MaxTest = 1000)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes, byte type)
    {
        byte[] framed = [type, 0x03, (byte)(bytes.Length + 4), (byte)((bytes.Length + 4) >> 8), .. bytes];
        DecodeResult<LicensingPdu> a = Pdu.Decode<LicensingPdu>(bytes);
        DecodeResult<LicensingPdu> b = Pdu.Decode<LicensingPdu>(framed);
        _ = Pdu.Decode<PlatformChallengeResponseData>(bytes);
        _ = Pdu.Decode<ProductInfo>(bytes);
        return (a.IsSuccess || a.Error.Reason.Length > 0) && (b.IsSuccess || b.Error.Reason.Length > 0);
    }

    [Fact]
    public void A_hostile_scope_count_is_rejected_before_allocation()
    {
        byte[] bytes = Load("license-server-license-request.hex");
        int countAt = bytes.Length - 4 - 4 - 14; // ScopeCount, then one BB_SCOPE_BLOB of 14 bytes
        bytes[countAt] = 0xFF;
        bytes[countAt + 1] = 0xFF;
        bytes[countAt + 2] = 0xFF;
        bytes[countAt + 3] = 0x7F;
        DecodeResult<LicensingPdu> decoded = Pdu.Decode<LicensingPdu>(bytes);
        Assert.False(decoded.IsSuccess);
        Assert.Equal("ScopeCount", decoded.Error.Field);
    }

    [Fact]
    public void A_hostile_company_name_length_is_rejected()
    {
        byte[] bytes = Load("license-server-license-request.hex");
        bytes[4 + 32 + 4 + 3] = 0x80; // cbCompanyName 0x8000002c
        Assert.False(Pdu.Decode<LicensingPdu>(bytes).IsSuccess);
    }
}

/// <summary>Generators of licensing PDUs with consistent wMsgSize.</summary>
public static class LicensingArbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    private static Gen<ByteString> Bytes(int min, int max) => Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Byte, n)).Select(b => new ByteString(b));

    private static Gen<ByteString> Fixed(int n) => Gen.ArrayOf(Byte, n).Select(b => new ByteString(b));

    private static Gen<LicenseBinaryBlob> Blobs =>
        from type in Gen.Choose(0, ushort.MaxValue)
        from data in Bytes(0, 40)
        select new LicenseBinaryBlob((LicenseBlobType)type, data);

    private static Gen<string> Text => Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 0xFFFF).Select(c => (char)c), n)).Select(c => new string(c));

    private static Gen<LicensingMessage> Messages => Gen.OneOf(
        from code in UInt32
        from transition in UInt32
        from info in Blobs
        select (LicensingMessage)new LicenseErrorMessage((LicenseErrorCode)code, (LicenseStateTransition)transition, info),
        from random in Fixed(32)
        from version in UInt32
        from company in Text
        from product in Text
        from keys in Blobs
        from certificate in Blobs
        from scopes in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Blobs, n))
        select (LicensingMessage)new ServerLicenseRequest(random, new ProductInfo(version, company, product), keys, certificate, scopes),
        from flags in UInt32
        from challenge in Blobs
        from mac in Fixed(16)
        select (LicensingMessage)new ServerPlatformChallenge(flags, challenge, mac),
        from license in Blobs
        from mac in Fixed(16)
        from upgrade in ArbMap.Default.GeneratorFor<bool>()
        select upgrade ? (LicensingMessage)new ServerUpgradeLicense(license, mac) : new ServerNewLicense(license, mac),
        from algorithm in UInt32
        from platform in UInt32
        from random in Fixed(32)
        from secret in Blobs
        from user in Blobs
        from machine in Blobs
        select (LicensingMessage)new ClientNewLicenseRequest((KeyExchangeAlgorithm)algorithm, platform, random, secret, user, machine),
        from response in Blobs
        from hwid in Blobs
        from mac in Fixed(16)
        select (LicensingMessage)new ClientPlatformChallengeResponse(response, hwid, mac),
        from body in Bytes(0, 30)
        from type in Gen.Elements((byte)0x12, (byte)0x00, (byte)0x42)
        select (LicensingMessage)new LicenseOpaqueMessage((LicenseMessageType)type, body));

    public static Arbitrary<LicensingPdu> Pdus() =>
        (from message in Messages
         from flags in Byte
         select LicensingPdu.Create(message, (LicensePreambleFlags)flags)).ToArbitrary();
}
