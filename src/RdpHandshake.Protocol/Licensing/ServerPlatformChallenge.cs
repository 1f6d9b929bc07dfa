using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Licensing;

/// <summary>
/// MS-RDPELE 2.2.2.4 Server Platform Challenge (SERVER_PLATFORM_CHALLENGE), bMsgType PLATFORM_CHALLENGE.
/// </summary>
/// <remarks>
/// The challenge blob's type is not checked: Windows servers send arbitrary values there (MS-RDPELE's example
/// and captures show 0xf750 before a 10-byte challenge), so only its length is used.
/// </remarks>
/// <param name="ConnectFlags">Reserved; servers send any value.</param>
/// <param name="EncryptedPlatformChallenge">The RC4-encrypted challenge (MS-RDPELE 5.1.4).</param>
/// <param name="MacData">16-byte MAC of the decrypted challenge.</param>
public sealed record ServerPlatformChallenge(uint ConnectFlags, LicenseBinaryBlob EncryptedPlatformChallenge, ByteString MacData)
    : LicensingMessage, IPdu<ServerPlatformChallenge>
{
    public const int MacLength = 16;

    public const int FixedPartSize = 4 /* ConnectFlags */ + LicenseBinaryBlob.FixedPartSize /* EncryptedPlatformChallenge */ + MacLength /* MACData */;

    public static string PduName => "SERVER_PLATFORM_CHALLENGE";

    public override LicenseMessageType MessageType => LicenseMessageType.PlatformChallenge;

    public override int Size => 4 /* ConnectFlags */ + EncryptedPlatformChallenge.Size + MacLength;

    public override void Encode(ref PduWriter writer)
    {
        LicensingMac.Check(MacData, nameof(MacData));
        writer.WriteUInt32Le(ConnectFlags);
        EncryptedPlatformChallenge.Encode(ref writer);
        writer.WriteBytes(MacData.Span);
    }

    public static DecodeResult<ServerPlatformChallenge> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        uint flags = reader.ReadUInt32Le();
        DecodeResult<LicenseBinaryBlob> challenge = LicenseBinaryBlob.DecodeField(ref reader, PduName, "EncryptedPlatformChallenge");
        if (!challenge.IsSuccess)
        {
            return challenge.Error;
        }

        if (reader.Ensure(MacLength, PduName) is { } noMac)
        {
            return noMac;
        }

        return new ServerPlatformChallenge(flags, challenge.Value, new ByteString(reader.ReadBytes(MacLength)));
    }
}

/// <summary>
/// MS-RDPELE 2.2.2.7 Server New License (SERVER_NEW_LICENSE), bMsgType NEW_LICENSE: the encrypted license
/// (NEW_LICENSE_INFO) and its MAC, kept opaque.
/// </summary>
public sealed record ServerNewLicense(LicenseBinaryBlob EncryptedLicenseInfo, ByteString MacData) : LicensingMessage, IPdu<ServerNewLicense>
{
    public const int FixedPartSize = LicenseBinaryBlob.FixedPartSize /* EncryptedLicenseInfo */ + ServerPlatformChallenge.MacLength /* MACData */;

    public static string PduName => "SERVER_NEW_LICENSE";

    public override LicenseMessageType MessageType => LicenseMessageType.NewLicense;

    public override int Size => EncryptedLicenseInfo.Size + ServerPlatformChallenge.MacLength;

    public override void Encode(ref PduWriter writer) => LicensingMac.EncodeLicense(ref writer, EncryptedLicenseInfo, MacData);

    public static DecodeResult<ServerNewLicense> Decode(ref PduReader reader) =>
        LicensingMac.DecodeLicense(ref reader, PduName, out LicenseBinaryBlob? blob, out ByteString mac) is { } error
            ? error
            : new ServerNewLicense(blob!, mac);
}

/// <summary>
/// MS-RDPELE 2.2.2.6 Server Upgrade License (SERVER_UPGRADE_LICENSE), bMsgType UPGRADE_LICENSE: same layout as
/// <see cref="ServerNewLicense"/>, kept opaque.
/// </summary>
public sealed record ServerUpgradeLicense(LicenseBinaryBlob EncryptedLicenseInfo, ByteString MacData) : LicensingMessage, IPdu<ServerUpgradeLicense>
{
    public const int FixedPartSize = ServerNewLicense.FixedPartSize;

    public static string PduName => "SERVER_UPGRADE_LICENSE";

    public override LicenseMessageType MessageType => LicenseMessageType.UpgradeLicense;

    public override int Size => EncryptedLicenseInfo.Size + ServerPlatformChallenge.MacLength;

    public override void Encode(ref PduWriter writer) => LicensingMac.EncodeLicense(ref writer, EncryptedLicenseInfo, MacData);

    public static DecodeResult<ServerUpgradeLicense> Decode(ref PduReader reader) =>
        LicensingMac.DecodeLicense(ref reader, PduName, out LicenseBinaryBlob? blob, out ByteString mac) is { } error
            ? error
            : new ServerUpgradeLicense(blob!, mac);
}

/// <summary>Shared pieces of the messages that end in a 16-byte MACData.</summary>
internal static class LicensingMac
{
    public static void Check(ByteString mac, string field)
    {
        if (mac.Length != ServerPlatformChallenge.MacLength)
        {
            ThrowHelper.ThrowArgument(field, $"MACData is {ServerPlatformChallenge.MacLength} bytes");
        }
    }

    public static void EncodeLicense(ref PduWriter writer, LicenseBinaryBlob blob, ByteString mac)
    {
        Check(mac, "MacData");
        blob.Encode(ref writer);
        writer.WriteBytes(mac.Span);
    }

    public static DecodeError? DecodeLicense(ref PduReader reader, string context, out LicenseBinaryBlob? blob, out ByteString mac)
    {
        blob = null;
        mac = default;
        DecodeResult<LicenseBinaryBlob> decoded = LicenseBinaryBlob.DecodeField(ref reader, context, "EncryptedLicenseInfo");
        if (!decoded.IsSuccess)
        {
            return decoded.Error;
        }

        if (reader.Ensure(ServerPlatformChallenge.MacLength, context) is { } noMac)
        {
            return noMac;
        }

        blob = decoded.Value;
        mac = new ByteString(reader.ReadBytes(ServerPlatformChallenge.MacLength));
        return null;
    }
}
