using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;

namespace RdpHandshake.Protocol.Licensing;

/// <summary>
/// MS-RDPELE 2.2.2.2 Client New License Request (CLIENT_NEW_LICENSE_REQUEST), bMsgType NEW_LICENSE_REQUEST: the
/// client's answer to a Server License Request when it holds no license.
/// </summary>
/// <param name="PreferredKeyExchangeAlg">KEY_EXCHANGE_ALG_RSA.</param>
/// <param name="PlatformId">Operating system id in the high byte, ISV id in the next (see the constants).</param>
/// <param name="ClientRandom">32 random bytes, an input of the licensing keys.</param>
/// <param name="EncryptedPreMasterSecret">
/// BB_RANDOM_BLOB: the 48-byte pre-master secret RSA-encrypted with the server's key (little-endian), followed by
/// 8 zero bytes (so the length is the modulus length plus 8).
/// </param>
/// <param name="ClientUserName">BB_CLIENT_USER_NAME_BLOB: the user name, ANSI, null-terminated.</param>
/// <param name="ClientMachineName">BB_CLIENT_MACHINE_NAME_BLOB: the machine name, ANSI, null-terminated.</param>
public sealed record ClientNewLicenseRequest(
    KeyExchangeAlgorithm PreferredKeyExchangeAlg,
    uint PlatformId,
    ByteString ClientRandom,
    LicenseBinaryBlob EncryptedPreMasterSecret,
    LicenseBinaryBlob ClientUserName,
    LicenseBinaryBlob ClientMachineName) : LicensingMessage, IPdu<ClientNewLicenseRequest>
{
    /// <summary>CLIENT_OS_ID_WINNT_POST_52: Windows XP and later.</summary>
    public const uint ClientOsIdWinNtPost52 = 0x0400_0000;

    /// <summary>CLIENT_IMAGE_ID_MICROSOFT: the client software is Microsoft's.</summary>
    public const uint ClientImageIdMicrosoft = 0x0001_0000;

    /// <summary>The PlatformId Windows clients send (and FreeRDP too): CLIENT_OS_ID_WINNT_POST_52 | CLIENT_IMAGE_ID_MICROSOFT.</summary>
    public const uint DefaultPlatformId = ClientOsIdWinNtPost52 | ClientImageIdMicrosoft;

    public const int FixedPartSize = 4 /* PreferredKeyExchangeAlg */ + 4 /* PlatformId */ + ServerLicenseRequest.RandomLength /* ClientRandom */
        + LicenseBinaryBlob.FixedPartSize /* EncryptedPreMasterSecret */ + LicenseBinaryBlob.FixedPartSize /* ClientUserName */
        + LicenseBinaryBlob.FixedPartSize /* ClientMachineName */;

    public static string PduName => "CLIENT_NEW_LICENSE_REQUEST";

    public override LicenseMessageType MessageType => LicenseMessageType.NewLicenseRequest;

    public override int Size =>
        4 /* PreferredKeyExchangeAlg */ + 4 /* PlatformId */ + ServerLicenseRequest.RandomLength
        + EncryptedPreMasterSecret.Size + ClientUserName.Size + ClientMachineName.Size;

    /// <summary>A blob holding <paramref name="name"/> as ANSI text with its NUL, as the user and machine names go.</summary>
    public static LicenseBinaryBlob NameBlob(LicenseBlobType type, string name)
    {
        if (!RdpText.Fits(name, unicode: false))
        {
            ThrowHelper.ThrowArgument(nameof(name), "the name has characters that do not fit the ANSI encoding");
        }

        byte[] bytes = new byte[name.Length + 1];
        RdpText.WriteAnsi(bytes, name);
        return new LicenseBinaryBlob(type, new ByteString(bytes));
    }

    /// <summary>The ANSI text of a name blob up to its first NUL.</summary>
    public static string NameOf(LicenseBinaryBlob blob)
    {
        ReadOnlySpan<byte> data = blob.Data.Span;
        int nul = data.IndexOf((byte)0);
        return RdpText.DecodeAnsi(nul < 0 ? data : data[..nul]);
    }

    public override void Encode(ref PduWriter writer)
    {
        if (ClientRandom.Length != ServerLicenseRequest.RandomLength)
        {
            ThrowHelper.ThrowArgument(nameof(ClientRandom), $"the client random is {ServerLicenseRequest.RandomLength} bytes");
        }

        writer.WriteUInt32Le((uint)PreferredKeyExchangeAlg);
        writer.WriteUInt32Le(PlatformId);
        writer.WriteBytes(ClientRandom.Span);
        EncryptedPreMasterSecret.Encode(ref writer);
        ClientUserName.Encode(ref writer);
        ClientMachineName.Encode(ref writer);
    }

    public static DecodeResult<ClientNewLicenseRequest> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var algorithm = (KeyExchangeAlgorithm)reader.ReadUInt32Le();
        uint platform = reader.ReadUInt32Le();
        var random = new ByteString(reader.ReadBytes(ServerLicenseRequest.RandomLength));
        DecodeResult<LicenseBinaryBlob> secret = LicenseBinaryBlob.DecodeField(ref reader, PduName, "EncryptedPreMasterSecret");
        if (!secret.IsSuccess)
        {
            return secret.Error;
        }

        DecodeResult<LicenseBinaryBlob> user = LicenseBinaryBlob.DecodeField(ref reader, PduName, "ClientUserName");
        if (!user.IsSuccess)
        {
            return user.Error;
        }

        DecodeResult<LicenseBinaryBlob> machine = LicenseBinaryBlob.DecodeField(ref reader, PduName, "ClientMachineName");
        return machine.IsSuccess
            ? new ClientNewLicenseRequest(algorithm, platform, random, secret.Value, user.Value, machine.Value)
            : machine.Error;
    }
}

/// <summary>
/// MS-RDPELE 2.2.2.5 Client Platform Challenge Response (CLIENT_PLATFORM_CHALLENGE_RESPONSE), bMsgType
/// PLATFORM_CHALLENGE_RESPONSE.
/// </summary>
/// <param name="EncryptedPlatformChallengeResponse">
/// BB_ENCRYPTED_DATA_BLOB (Windows and FreeRDP send BB_DATA_BLOB): an RC4-encrypted
/// <see cref="PlatformChallengeResponseData"/>.
/// </param>
/// <param name="EncryptedHwid">BB_ENCRYPTED_DATA_BLOB: an RC4-encrypted <see cref="ClientHardwareId"/>.</param>
/// <param name="MacData">16-byte MAC over the decrypted response data followed by the decrypted HWID.</param>
public sealed record ClientPlatformChallengeResponse(
    LicenseBinaryBlob EncryptedPlatformChallengeResponse,
    LicenseBinaryBlob EncryptedHwid,
    ByteString MacData) : LicensingMessage, IPdu<ClientPlatformChallengeResponse>
{
    public const int FixedPartSize = LicenseBinaryBlob.FixedPartSize /* EncryptedPlatformChallengeResponse */
        + LicenseBinaryBlob.FixedPartSize /* EncryptedHWID */ + ServerPlatformChallenge.MacLength /* MACData */;

    public static string PduName => "CLIENT_PLATFORM_CHALLENGE_RESPONSE";

    public override LicenseMessageType MessageType => LicenseMessageType.PlatformChallengeResponse;

    public override int Size => EncryptedPlatformChallengeResponse.Size + EncryptedHwid.Size + ServerPlatformChallenge.MacLength;

    public override void Encode(ref PduWriter writer)
    {
        LicensingMac.Check(MacData, nameof(MacData));
        EncryptedPlatformChallengeResponse.Encode(ref writer);
        EncryptedHwid.Encode(ref writer);
        writer.WriteBytes(MacData.Span);
    }

    public static DecodeResult<ClientPlatformChallengeResponse> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        DecodeResult<LicenseBinaryBlob> response = LicenseBinaryBlob.DecodeField(ref reader, PduName, "EncryptedPlatformChallengeResponse");
        if (!response.IsSuccess)
        {
            return response.Error;
        }

        DecodeResult<LicenseBinaryBlob> hwid = LicenseBinaryBlob.DecodeField(ref reader, PduName, "EncryptedHWID");
        if (!hwid.IsSuccess)
        {
            return hwid.Error;
        }

        if (reader.Ensure(ServerPlatformChallenge.MacLength, PduName) is { } noMac)
        {
            return noMac;
        }

        return new ClientPlatformChallengeResponse(response.Value, hwid.Value, new ByteString(reader.ReadBytes(ServerPlatformChallenge.MacLength)));
    }
}

/// <summary>MS-RDPELE 2.2.2.5.1 Platform Challenge Response Data (PLATFORM_CHALLENGE_RESPONSE_DATA), before encryption.</summary>
/// <param name="Version">wVersion: 0x0100.</param>
/// <param name="ClientType">wClientType: WIN32_PLATFORM_CHALLENGE_TYPE 0x0100, WIN16 0x0200, WINCE 0x0300, OTHER 0xFF00.</param>
/// <param name="LicenseDetailLevel">wLicenseDetailLevel: LICENSE_DETAIL_SIMPLE 1, MODERATE 2, DETAIL 3.</param>
/// <param name="Challenge">pbChallenge: the decrypted server challenge.</param>
public sealed record PlatformChallengeResponseData(ushort Version, ushort ClientType, ushort LicenseDetailLevel, ByteString Challenge)
    : IPdu<PlatformChallengeResponseData>
{
    public const ushort Version1 = 0x0100;

    /// <summary>WIN32_PLATFORM_CHALLENGE_TYPE.</summary>
    public const ushort Win32PlatformChallengeType = 0x0100;

    /// <summary>OTHER_PLATFORM_CHALLENGE_TYPE.</summary>
    public const ushort OtherPlatformChallengeType = 0xFF00;

    /// <summary>LICENSE_DETAIL_DETAIL: the license chain up to the root.</summary>
    public const ushort LicenseDetailDetail = 0x0003;

    public const int FixedPartSize = 2 /* wVersion */ + 2 /* wClientType */ + 2 /* wLicenseDetailLevel */ + 2 /* cbChallenge */;

    public static string PduName => "PLATFORM_CHALLENGE_RESPONSE_DATA";

    public int Size => FixedPartSize + Challenge.Length;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(Version);
        writer.WriteUInt16Le(ClientType);
        writer.WriteUInt16Le(LicenseDetailLevel);
        writer.WriteUInt16Le(checked((ushort)Challenge.Length));
        writer.WriteBytes(Challenge.Span);
    }

    public static DecodeResult<PlatformChallengeResponseData> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        ushort version = reader.ReadUInt16Le();
        ushort type = reader.ReadUInt16Le();
        ushort level = reader.ReadUInt16Le();
        int length = reader.ReadUInt16Le();
        if (reader.Ensure(length, PduName) is { } shortChallenge)
        {
            return shortChallenge;
        }

        return new PlatformChallengeResponseData(version, type, level, new ByteString(reader.ReadBytes(length)));
    }
}

/// <summary>MS-RDPELE 2.2.2.3.1 Client Hardware Identification (CLIENT_HARDWARE_ID), 20 bytes before encryption.</summary>
public sealed record ClientHardwareId(uint PlatformId, uint Data1, uint Data2, uint Data3, uint Data4) : IPdu<ClientHardwareId>
{
    public const int FixedPartSize = 4 /* PlatformId */ + 4 /* Data1 */ + 4 /* Data2 */ + 4 /* Data3 */ + 4 /* Data4 */;

    public static string PduName => "CLIENT_HARDWARE_ID";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(PlatformId);
        writer.WriteUInt32Le(Data1);
        writer.WriteUInt32Le(Data2);
        writer.WriteUInt32Le(Data3);
        writer.WriteUInt32Le(Data4);
    }

    public static DecodeResult<ClientHardwareId> Decode(ref PduReader reader) =>
        reader.Ensure(FixedPartSize, PduName) is { } missing
            ? missing
            : new ClientHardwareId(reader.ReadUInt32Le(), reader.ReadUInt32Le(), reader.ReadUInt32Le(), reader.ReadUInt32Le(), reader.ReadUInt32Le());
}
