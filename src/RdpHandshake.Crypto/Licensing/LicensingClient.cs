using System.Security.Cryptography;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;

namespace RdpHandshake.Crypto.Licensing;

/// <summary>What answering a platform challenge gave: the response to send, or why there is none.</summary>
/// <param name="Response">The Client Platform Challenge Response, when the challenge checked out.</param>
/// <param name="Failure">A short lowercase reason, when it did not.</param>
public sealed record PlatformChallengeAnswer(ClientPlatformChallengeResponse? Response, string? Failure)
{
    public bool IsSuccess => Response is not null;
}

/// <summary>
/// The client side of MS-RDPELE licensing for a client without a stored license: answers a Server License Request
/// with a Client New License Request (1.3.3 "new license" flow) and the Server Platform Challenge with a Client
/// Platform Challenge Response. The server then sends a New License or a licensing error; either ends licensing.
/// </summary>
/// <remarks>
/// Randoms, the pre-master secret and the hardware id are inputs, so runs are reproducible in tests;
/// <see cref="Create"/> draws them from the system's random number generator. The server's RSA key comes from
/// the certificate in the License Request (proprietary: little-endian; X.509: big-endian), which the caller parses.
/// </remarks>
public sealed class LicensingClient : IDisposable
{
    private readonly byte[] _clientRandom;
    private readonly byte[] _preMasterSecret;
    private readonly string _userName;
    private readonly string _machineName;
    private readonly ClientHardwareId _hardwareId;
    private LicensingKeys? _keys;

    public LicensingClient(
        string userName,
        string machineName,
        ReadOnlySpan<byte> clientRandom,
        ReadOnlySpan<byte> preMasterSecret,
        ClientHardwareId hardwareId)
    {
        if (clientRandom.Length != LicensingCrypto.RandomLength || preMasterSecret.Length != LicensingCrypto.PreMasterSecretLength)
        {
            throw new ArgumentException($"the client random is {LicensingCrypto.RandomLength} bytes and the pre-master secret {LicensingCrypto.PreMasterSecretLength}");
        }

        _userName = userName;
        _machineName = machineName;
        _clientRandom = clientRandom.ToArray();
        _preMasterSecret = preMasterSecret.ToArray();
        _hardwareId = hardwareId;
    }

    /// <summary>A client with fresh random values and a random hardware id.</summary>
    public static LicensingClient Create(string userName, string machineName)
    {
        Span<byte> random = stackalloc byte[LicensingCrypto.RandomLength + LicensingCrypto.PreMasterSecretLength + 16];
        RandomNumberGenerator.Fill(random);
        ReadOnlySpan<byte> hwid = random[^16..];
        var hardwareId = new ClientHardwareId(
            ClientNewLicenseRequest.DefaultPlatformId,
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hwid),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hwid[4..]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hwid[8..]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hwid[12..]));
        var client = new LicensingClient(userName, machineName, random[..LicensingCrypto.RandomLength],
            random.Slice(LicensingCrypto.RandomLength, LicensingCrypto.PreMasterSecretLength), hardwareId);
        CryptographicOperations.ZeroMemory(random);
        return client;
    }

    /// <summary>True once a License Request has been answered and the keys derived.</summary>
    public bool HasKeys => _keys is not null;

    /// <summary>
    /// Derives the licensing keys from the request's server random and builds the New License Request, with the
    /// pre-master secret encrypted under <paramref name="serverKey"/>.
    /// </summary>
    public ClientNewLicenseRequest AnswerLicenseRequest(ServerLicenseRequest request, LicensingRsaKey serverKey)
    {
        _keys?.Dispose();
        _keys = LicensingCrypto.DeriveKeys(_preMasterSecret, _clientRandom, request.ServerRandom.Span);
        byte[] encrypted = LicensingCrypto.EncryptPreMasterSecret(_preMasterSecret, serverKey);
        return new ClientNewLicenseRequest(
            KeyExchangeAlgorithm.Rsa,
            _hardwareId.PlatformId,
            new ByteString(_clientRandom),
            new LicenseBinaryBlob(LicenseBlobType.Random, new ByteString(encrypted)),
            ClientNewLicenseRequest.NameBlob(LicenseBlobType.ClientUserName, _userName),
            ClientNewLicenseRequest.NameBlob(LicenseBlobType.ClientMachineName, _machineName));
    }

    /// <summary>
    /// Decrypts the server's challenge, checks its MAC, and builds the response: the challenge echoed in a
    /// PLATFORM_CHALLENGE_RESPONSE_DATA (Win32 client, detail level 3) and the hardware id, each RC4-encrypted
    /// from a fresh key stream, with the MAC of both plaintexts.
    /// </summary>
    public PlatformChallengeAnswer AnswerPlatformChallenge(ServerPlatformChallenge challenge)
    {
        if (_keys is null)
        {
            return new PlatformChallengeAnswer(null, "platform challenge before any license request");
        }

        byte[] plain = LicensingCrypto.Rc4(_keys.LicensingEncryptionKey, challenge.EncryptedPlatformChallenge.Data.Span);
        byte[] expectedMac = LicensingCrypto.Mac(_keys.MacSaltKey, plain);
        if (!CryptographicOperations.FixedTimeEquals(expectedMac, challenge.MacData.Span))
        {
            return new PlatformChallengeAnswer(null, "the platform challenge's MAC does not match: the server derived other keys");
        }

        var data = new PlatformChallengeResponseData(
            PlatformChallengeResponseData.Version1,
            PlatformChallengeResponseData.Win32PlatformChallengeType,
            PlatformChallengeResponseData.LicenseDetailDetail,
            new ByteString(plain));
        return new PlatformChallengeAnswer(BuildResponse(_keys, data, _hardwareId), null);
    }

    /// <summary>
    /// The response for given plaintexts. Both blobs are typed BB_DATA_BLOB, as in the example exchange
    /// (FreeRDP's test data, from a Windows client).
    /// </summary>
    public static ClientPlatformChallengeResponse BuildResponse(LicensingKeys keys, PlatformChallengeResponseData data, ClientHardwareId hardwareId)
    {
        byte[] dataBytes = Pdu.Encode(data);
        byte[] hwidBytes = Pdu.Encode(hardwareId);
        byte[] mac = LicensingCrypto.Mac(keys.MacSaltKey, [.. dataBytes, .. hwidBytes]);
        return new ClientPlatformChallengeResponse(
            new LicenseBinaryBlob(LicenseBlobType.Data, new ByteString(LicensingCrypto.Rc4(keys.LicensingEncryptionKey, dataBytes))),
            new LicenseBinaryBlob(LicenseBlobType.Data, new ByteString(LicensingCrypto.Rc4(keys.LicensingEncryptionKey, hwidBytes))),
            new ByteString(mac));
    }

    public void Dispose()
    {
        _keys?.Dispose();
        CryptographicOperations.ZeroMemory(_preMasterSecret);
    }
}
