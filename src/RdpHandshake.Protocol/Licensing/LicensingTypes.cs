namespace RdpHandshake.Protocol.Licensing;

/// <summary>MS-RDPBCGR 2.2.1.12.1.1 LICENSE_PREAMBLE <c>bMsgType</c>.</summary>
public enum LicenseMessageType : byte
{
    /// <summary>LICENSE_REQUEST: Server License Request (MS-RDPELE 2.2.2.1).</summary>
    LicenseRequest = 0x01,

    /// <summary>PLATFORM_CHALLENGE: Server Platform Challenge (MS-RDPELE 2.2.2.4).</summary>
    PlatformChallenge = 0x02,

    /// <summary>NEW_LICENSE: Server New License (MS-RDPELE 2.2.2.7).</summary>
    NewLicense = 0x03,

    /// <summary>UPGRADE_LICENSE: Server Upgrade License (MS-RDPELE 2.2.2.6).</summary>
    UpgradeLicense = 0x04,

    /// <summary>LICENSE_INFO: Client License Information (MS-RDPELE 2.2.2.3).</summary>
    LicenseInfo = 0x12,

    /// <summary>NEW_LICENSE_REQUEST: Client New License Request (MS-RDPELE 2.2.2.2).</summary>
    NewLicenseRequest = 0x13,

    /// <summary>PLATFORM_CHALLENGE_RESPONSE: Client Platform Challenge Response (MS-RDPELE 2.2.2.5).</summary>
    PlatformChallengeResponse = 0x15,

    /// <summary>ERROR_ALERT: Licensing Error Message (MS-RDPBCGR 2.2.1.12.1.3), sent by either side.</summary>
    ErrorAlert = 0xFF,
}

/// <summary>MS-RDPBCGR 2.2.1.12.1.1 LICENSE_PREAMBLE <c>flags</c>: a version in the low nibble plus one flag.</summary>
[Flags]
public enum LicensePreambleFlags : byte
{
    None = 0,

    /// <summary>PREAMBLE_VERSION_2_0: RDP 4.0.</summary>
    Version2 = 0x02,

    /// <summary>PREAMBLE_VERSION_3_0: RDP 5.0 and later.</summary>
    Version3 = 0x03,

    /// <summary>LicenseProtocolVersionMask: the bits holding the version.</summary>
    VersionMask = 0x0F,

    /// <summary>EXTENDED_ERROR_MSG_SUPPORTED: the sender accepts all the error codes of 2.2.1.12.1.3.</summary>
    ExtendedErrorMsgSupported = 0x80,
}

/// <summary>
/// MS-RDPBCGR 2.2.1.12.1.2 LICENSE_BINARY_BLOB <c>wBlobType</c>. Kept raw: the type of an empty blob "SHOULD be
/// ignored", and real servers put other values where the spec names one (see <see cref="ServerPlatformChallenge"/>).
/// </summary>
public enum LicenseBlobType : ushort
{
    /// <summary>BB_DATA_BLOB: used by the License Information and Platform Challenge Response PDUs.</summary>
    Data = 0x0001,

    /// <summary>BB_RANDOM_BLOB: a random number (the encrypted pre-master secret).</summary>
    Random = 0x0002,

    /// <summary>BB_CERTIFICATE_BLOB: the server's certificate.</summary>
    Certificate = 0x0003,

    /// <summary>BB_ERROR_BLOB: error information.</summary>
    Error = 0x0004,

    /// <summary>BB_ENCRYPTED_DATA_BLOB: encrypted data.</summary>
    EncryptedData = 0x0009,

    /// <summary>BB_KEY_EXCHG_ALG_BLOB: a list of key exchange algorithms.</summary>
    KeyExchangeAlgorithm = 0x000D,

    /// <summary>BB_SCOPE_BLOB: a license scope.</summary>
    Scope = 0x000E,

    /// <summary>BB_CLIENT_USER_NAME_BLOB: the client's user name.</summary>
    ClientUserName = 0x000F,

    /// <summary>BB_CLIENT_MACHINE_NAME_BLOB: the client's machine name.</summary>
    ClientMachineName = 0x0010,
}

/// <summary>MS-RDPBCGR 2.2.1.12.1.3 LICENSE_ERROR_MESSAGE <c>dwErrorCode</c>.</summary>
public enum LicenseErrorCode : uint
{
    /// <summary>ERR_INVALID_SERVER_CERTIFICATE (client to server).</summary>
    InvalidServerCertificate = 0x0000_0001,

    /// <summary>ERR_NO_LICENSE (client to server).</summary>
    NoLicense = 0x0000_0002,

    /// <summary>ERR_INVALID_MAC (either direction).</summary>
    InvalidMac = 0x0000_0003,

    /// <summary>ERR_INVALID_SCOPE (server to client).</summary>
    InvalidScope = 0x0000_0004,

    /// <summary>ERR_NO_LICENSE_SERVER (server to client).</summary>
    NoLicenseServer = 0x0000_0006,

    /// <summary>STATUS_VALID_CLIENT (server to client): licensing is over and succeeded.</summary>
    StatusValidClient = 0x0000_0007,

    /// <summary>ERR_INVALID_CLIENT (server to client).</summary>
    InvalidClient = 0x0000_0008,

    /// <summary>ERR_INVALID_PRODUCTID (server to client).</summary>
    InvalidProductId = 0x0000_000B,

    /// <summary>ERR_INVALID_MESSAGE_LEN (server to client).</summary>
    InvalidMessageLen = 0x0000_000C,
}

/// <summary>MS-RDPBCGR 2.2.1.12.1.3 LICENSE_ERROR_MESSAGE <c>dwStateTransition</c>.</summary>
public enum LicenseStateTransition : uint
{
    /// <summary>ST_TOTAL_ABORT: end the connection.</summary>
    TotalAbort = 0x0000_0001,

    /// <summary>ST_NO_TRANSITION: carry on (with STATUS_VALID_CLIENT: licensing done).</summary>
    NoTransition = 0x0000_0002,

    /// <summary>ST_RESET_PHASE_TO_START: restart licensing.</summary>
    ResetPhaseToStart = 0x0000_0003,

    /// <summary>ST_RESEND_LAST_MESSAGE: resend the last licensing message.</summary>
    ResendLastMessage = 0x0000_0004,
}

/// <summary>MS-RDPELE 2.2.2.1 / 2.2.2.2 key exchange algorithm.</summary>
public enum KeyExchangeAlgorithm : uint
{
    /// <summary>KEY_EXCHANGE_ALG_RSA: RSA key exchange.</summary>
    Rsa = 0x0000_0001,
}

/// <summary>The specification's names for licensing codes, for reports and diagnoses.</summary>
public static class LicenseNames
{
    public static string Name(LicenseMessageType type) => type switch
    {
        LicenseMessageType.LicenseRequest => "LICENSE_REQUEST",
        LicenseMessageType.PlatformChallenge => "PLATFORM_CHALLENGE",
        LicenseMessageType.NewLicense => "NEW_LICENSE",
        LicenseMessageType.UpgradeLicense => "UPGRADE_LICENSE",
        LicenseMessageType.LicenseInfo => "LICENSE_INFO",
        LicenseMessageType.NewLicenseRequest => "NEW_LICENSE_REQUEST",
        LicenseMessageType.PlatformChallengeResponse => "PLATFORM_CHALLENGE_RESPONSE",
        LicenseMessageType.ErrorAlert => "ERROR_ALERT",
        _ => $"bMsgType 0x{(byte)type:x2}",
    };

    public static string Name(LicenseErrorCode code) => code switch
    {
        LicenseErrorCode.InvalidServerCertificate => "ERR_INVALID_SERVER_CERTIFICATE",
        LicenseErrorCode.NoLicense => "ERR_NO_LICENSE",
        LicenseErrorCode.InvalidMac => "ERR_INVALID_MAC",
        LicenseErrorCode.InvalidScope => "ERR_INVALID_SCOPE",
        LicenseErrorCode.NoLicenseServer => "ERR_NO_LICENSE_SERVER",
        LicenseErrorCode.StatusValidClient => "STATUS_VALID_CLIENT",
        LicenseErrorCode.InvalidClient => "ERR_INVALID_CLIENT",
        LicenseErrorCode.InvalidProductId => "ERR_INVALID_PRODUCTID",
        LicenseErrorCode.InvalidMessageLen => "ERR_INVALID_MESSAGE_LEN",
        _ => $"dwErrorCode 0x{(uint)code:x8}",
    };

    /// <summary>What the error code means, in a short lowercase phrase.</summary>
    public static string Meaning(LicenseErrorCode code) => code switch
    {
        LicenseErrorCode.InvalidServerCertificate => "the client could not use the server's certificate",
        LicenseErrorCode.NoLicense => "the client has no license",
        LicenseErrorCode.InvalidMac => "a licensing message had a wrong MAC",
        LicenseErrorCode.InvalidScope => "the license scope is not valid",
        LicenseErrorCode.NoLicenseServer => "the server found no license server",
        LicenseErrorCode.StatusValidClient => "the client is licensed: licensing is complete",
        LicenseErrorCode.InvalidClient => "the client is not valid",
        LicenseErrorCode.InvalidProductId => "the product id is not valid",
        LicenseErrorCode.InvalidMessageLen => "a licensing message had a wrong length",
        _ => "an error code that MS-RDPBCGR does not define",
    };

    public static string Name(LicenseStateTransition transition) => transition switch
    {
        LicenseStateTransition.TotalAbort => "ST_TOTAL_ABORT",
        LicenseStateTransition.NoTransition => "ST_NO_TRANSITION",
        LicenseStateTransition.ResetPhaseToStart => "ST_RESET_PHASE_TO_START",
        LicenseStateTransition.ResendLastMessage => "ST_RESEND_LAST_MESSAGE",
        _ => $"dwStateTransition 0x{(uint)transition:x8}",
    };

    public static string Name(LicenseBlobType type) => type switch
    {
        LicenseBlobType.Data => "BB_DATA_BLOB",
        LicenseBlobType.Random => "BB_RANDOM_BLOB",
        LicenseBlobType.Certificate => "BB_CERTIFICATE_BLOB",
        LicenseBlobType.Error => "BB_ERROR_BLOB",
        LicenseBlobType.EncryptedData => "BB_ENCRYPTED_DATA_BLOB",
        LicenseBlobType.KeyExchangeAlgorithm => "BB_KEY_EXCHG_ALG_BLOB",
        LicenseBlobType.Scope => "BB_SCOPE_BLOB",
        LicenseBlobType.ClientUserName => "BB_CLIENT_USER_NAME_BLOB",
        LicenseBlobType.ClientMachineName => "BB_CLIENT_MACHINE_NAME_BLOB",
        _ => $"wBlobType 0x{(ushort)type:x4}",
    };
}
