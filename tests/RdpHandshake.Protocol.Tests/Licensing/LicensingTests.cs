using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using static RdpHandshake.Tests.HexVectors;
using static RdpHandshake.Tests.LicensingSamples;

namespace RdpHandshake.Protocol.Tests.Licensing;

/// <summary>
/// Licensing PDUs (MS-RDPBCGR 2.2.1.12, MS-RDPELE 2.2.2): the 4.1.11 vector, a full sample exchange decoded and
/// re-encoded byte for byte, the spec names of error codes and state transitions, round trips and hostile
/// input. The MS-RDPELE 5.1 computations over that exchange are the engine's, tested in RdpHandshake.Tests.
/// </summary>
[Properties(Arbitrary = [typeof(LicensingArbitraries)], MaxTest = 200)]
public sealed class LicensingTests
{
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
