using System.Globalization;

namespace RdpHandshake.Diagnostics;

/// <summary>A numbered code mstsc shows, with its name and what it means.</summary>
public sealed record CodeEntry(int Code, string Name, string Meaning);

/// <summary>
/// The codes mstsc shows when a connection ends: the disconnect reason (IMsTscAxEvents::OnDisconnected) and
/// the extended reason, which is the server's Set Error Info code (ERRINFO, MS-RDPBCGR 2.2.5.1.1). One table,
/// used by diagnoses and by <c>rdphs explain</c>.
/// </summary>
public static class MstscCodes
{
    public static IReadOnlyList<CodeEntry> DisconnectReasons { get; } =
    [
        new(0x0, "NoInfo", "no information"),
        new(0x1, "LocalNotError", "the local client closed the connection normally"),
        new(0x2, "RemoteByUser", "the user on the remote side disconnected"),
        new(0x3, "ByServer", "the server disconnected; the extended reason says why"),
        new(0x104, "DNSLookupFailed", "the host name did not resolve"),
        new(0x106, "OutOfMemory", "the client ran out of memory"),
        new(0x108, "ConnectionTimedOut", "the connection timed out"),
        new(0x204, "SocketConnectFailed", "the TCP connection could not be made (refused, filtered or unreachable)"),
        new(0x206, "OutOfMemory2", "the client ran out of memory"),
        new(0x208, "HostNotFound", "the host was not found"),
        new(0x304, "WinsockSendFailed", "sending on the socket failed"),
        new(0x306, "OutOfMemory3", "the client ran out of memory"),
        new(0x308, "InvalidIPAddr", "the address is not valid"),
        new(0x404, "SocketRecvFailed", "receiving on the socket failed"),
        new(0x406, "InvalidSecurityData", "the server's security data is not valid"),
        new(0x408, "InternalError", "an internal error in the client"),
        new(0x506, "InvalidEncryption", "the encryption method is not valid"),
        new(0x508, "DNSLookupFailed2", "the host name did not resolve"),
        new(0x604, "GetHostByNameFailed", "the host name did not resolve"),
        new(0x606, "InvalidServerSecurityInfo", "the server's security information is not valid"),
        new(0x608, "TimerError", "a client timer failed"),
        new(0x704, "TimeoutOccurred", "a timeout occurred"),
        new(0x706, "ServerCertificateUnpackErr", "the server certificate could not be decoded"),
        new(0x804, "InvalidIP", "the IP address is not valid"),
        new(0x904, "AtClientWinsockFDCLOSE", "the socket was closed: the server (or something on the path) closed or reset the connection; the extended reason, if any, is what the server said before"),
        new(0x906, "InternalSecurityError", "an internal security error in the client"),
        new(0xA06, "InternalSecurityError2", "an internal security error in the client"),
        new(0xB06, "EncryptionError", "encrypting data failed"),
        new(0xC06, "DecryptionError", "decrypting data failed (wrong keys or corrupt data)"),
        new(0xC08, "ClientDecompressionError", "decompressing data failed"),
    ];

    public static IReadOnlyList<CodeEntry> ExtendedReasons { get; } =
    [
        new(0x0000, "ERRINFO_NONE", "no error information: the server sent no Set Error Info before closing"),
        new(0x0001, "ERRINFO_RPC_INITIATED_DISCONNECT", "an administrative tool in another session disconnected the session"),
        new(0x0002, "ERRINFO_RPC_INITIATED_LOGOFF", "an administrative tool in another session logged the session off"),
        new(0x0003, "ERRINFO_IDLE_TIMEOUT", "the idle session time limit expired"),
        new(0x0004, "ERRINFO_LOGON_TIMEOUT", "the active session time limit expired"),
        new(0x0005, "ERRINFO_DISCONNECTED_BY_OTHER_CONNECTION", "another connection took over the session"),
        new(0x0006, "ERRINFO_OUT_OF_MEMORY", "the server ran out of memory"),
        new(0x0007, "ERRINFO_SERVER_DENIED_CONNECTION", "the server denied the connection"),
        new(0x0009, "ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES", "the user may not log on remotely (not in Remote Desktop Users, or denied the right)"),
        new(0x000A, "ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED", "the server requires credentials typed in, not saved ones"),
        new(0x000B, "ERRINFO_RPC_INITIATED_DISCONNECT_BY_USER", "the user disconnected through an administrative tool"),
        new(0x000C, "ERRINFO_LOGOFF_BY_USER", "the user logged off"),
        new(0x000F, "ERRINFO_CLOSE_STACK_ON_DRIVER_NOT_READY", "the display driver was not ready"),
        new(0x0010, "ERRINFO_SERVER_DWM_CRASH", "the Desktop Window Manager crashed"),
        new(0x0011, "ERRINFO_CLOSE_STACK_ON_DRIVER_FAILURE", "the display driver failed to start"),
        new(0x0012, "ERRINFO_CLOSE_STACK_ON_DRIVER_IFACE_FAILURE", "the display driver interface failed"),
        new(0x0017, "ERRINFO_SERVER_WINLOGON_CRASH", "Winlogon crashed"),
        new(0x0018, "ERRINFO_SERVER_CSRSS_CRASH", "CSRSS crashed"),
        new(0x0100, "ERRINFO_LICENSE_INTERNAL", "an internal licensing error"),
        new(0x0101, "ERRINFO_LICENSE_NO_LICENSE_SERVER", "no license server is available"),
        new(0x0102, "ERRINFO_LICENSE_NO_LICENSE", "no client access license (CAL) is available"),
        new(0x0103, "ERRINFO_LICENSE_BAD_CLIENT_MSG", "the server got an invalid licensing message from the client"),
        new(0x0104, "ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE", "the client's hardware id does not match its license"),
        new(0x0105, "ERRINFO_LICENSE_BAD_CLIENT_LICENSE", "the client's license is not valid"),
        new(0x0106, "ERRINFO_LICENSE_CANT_FINISH_PROTOCOL", "a network problem stopped the licensing exchange"),
        new(0x0107, "ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL", "the client ended the licensing exchange early"),
        new(0x0108, "ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION", "a licensing message was encrypted wrongly"),
        new(0x0109, "ERRINFO_LICENSE_CANT_UPGRADE_LICENSE", "the client license could not be upgraded"),
        new(0x010A, "ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS", "the server is not licensed for remote connections"),
        new(0x0400, "ERRINFO_CB_DESTINATION_NOT_FOUND", "the connection broker found no target endpoint"),
        new(0x0402, "ERRINFO_CB_LOADING_DESTINATION", "the broker's target is disconnecting or loading"),
        new(0x0404, "ERRINFO_CB_REDIRECTING_TO_DESTINATION", "the broker failed to redirect to the target"),
        new(0x0405, "ERRINFO_CB_SESSION_ONLINE_VM_WAKE", "the broker failed to wake the virtual machine"),
        new(0x0406, "ERRINFO_CB_SESSION_ONLINE_VM_BOOT", "the broker failed to boot the virtual machine"),
        new(0x0407, "ERRINFO_CB_SESSION_ONLINE_VM_NO_DNS", "the broker's virtual machine has no IP address or DNS name"),
        new(0x0408, "ERRINFO_CB_DESTINATION_POOL_NOT_FREE", "no free endpoint in the broker's pool"),
        new(0x0409, "ERRINFO_CB_CONNECTION_CANCELLED", "the broker cancelled the connection"),
        new(0x0410, "ERRINFO_CB_CONNECTION_ERROR_INVALID_SETTINGS", "the broker found the routing token or settings invalid"),
        new(0x0411, "ERRINFO_CB_SESSION_ONLINE_VM_BOOT_TIMEOUT", "the broker's virtual machine did not boot in time"),
        new(0x0412, "ERRINFO_CB_SESSION_ONLINE_VM_SESSMON_FAILED", "the broker's session monitoring failed"),
        new(0x1192, "ERRINFO_DECRYPTFAILED", "the server could not decrypt a PDU (wrong keys or MAC)"),
        new(0x1194, "ERRINFO_ENCPKGMISMATCH", "the encryption method the client used does not match the negotiated one"),
        new(0x10F0, "ERRINFO_VCHANNELSTOOMANY", "the client asked for more than 31 static virtual channels"),
    ];

    /// <summary>Extended reasons 0x1000-0x7FFF are the protocol range: the server rejected a malformed or unexpected PDU.</summary>
    public static bool IsProtocolRange(int code) => code is >= 0x1000 and <= 0x7FFF;

    public static CodeEntry? DisconnectReason(int code) => DisconnectReasons.FirstOrDefault(e => e.Code == code);

    public static CodeEntry? ExtendedReason(int code) => ExtendedReasons.FirstOrDefault(e => e.Code == code);

    /// <summary>The <see cref="MstscCode"/> of a disconnect reason, for the catalogue.</summary>
    public static MstscCode For(int disconnectReason) =>
        new(disconnectReason, DisconnectReason(disconnectReason)?.Name ?? $"0x{disconnectReason:x}");

    /// <summary>Parses 0x904, 904 (read as hex when it has hex letters or matches a known hex code), 2308, or a name.</summary>
    public static bool TryParse(string text, IReadOnlyList<CodeEntry> table, out int code)
    {
        string trimmed = text.Trim();
        CodeEntry? byName = table.FirstOrDefault(e =>
            string.Equals(e.Name, trimmed, StringComparison.OrdinalIgnoreCase)
            || string.Equals(e.Name.Replace("ERRINFO_", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal),
                trimmed.Replace("ERRINFO_", string.Empty, StringComparison.OrdinalIgnoreCase).Replace("_", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
        if (byName is not null)
        {
            code = byName.Code;
            return true;
        }

        if (trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return int.TryParse(trimmed[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out code);
        }

        // mstsc prints codes in hex without the prefix ("0x904" is shown, but people type "904"): prefer a known
        // hex reading, then decimal.
        if (int.TryParse(trimmed, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int hex) && table.Any(e => e.Code == hex))
        {
            code = hex;
            return true;
        }

        return int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out code);
    }
}
