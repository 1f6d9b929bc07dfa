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

        // 0x807 and the other 0x..07 codes: CredSSP (NLA) logon failures; 0x808 and 0x908: licensing. Codes, names and
        // meanings as documented for IMsTscAxEvents::OnDisconnected:
        // https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected
        // (MicrosoftDocs/win32 desktop-src/TermServ/imstscaxevents-ondisconnected.md).
        new(0x807, "SSL_ERR_LOGON_FAILURE", "the logon failed"),
        new(0x808, "LicensingFailed", "the licensing exchange failed"),
        new(0x904, "AtClientWinsockFDCLOSE", "the socket was closed: the server (or something on the path) closed or reset the connection; the extended reason, if any, is what the server said before"),
        new(0x906, "InternalSecurityError", "an internal security error in the client"),
        new(0x908, "LicensingTimeout", "the licensing exchange timed out"),
        new(0xA06, "InternalSecurityError2", "an internal security error in the client"),
        new(0xA07, "SSL_ERR_NO_SUCH_USER", "the user has no account"),
        new(0xB06, "EncryptionError", "encrypting data failed"),
        new(0xB07, "SSL_ERR_ACCOUNT_DISABLED", "the account is disabled"),
        new(0xC06, "DecryptionError", "decrypting data failed (wrong keys or corrupt data)"),
        new(0xC07, "SSL_ERR_ACCOUNT_RESTRICTION", "an account restriction stops the logon"),
        new(0xC08, "ClientDecompressionError", "decompressing data failed"),
        new(0xD07, "SSL_ERR_ACCOUNT_LOCKED_OUT", "the account is locked out"),
        new(0xE07, "SSL_ERR_ACCOUNT_EXPIRED", "the account has expired"),
        new(0xF07, "SSL_ERR_PASSWORD_EXPIRED", "the password has expired"),
        new(0x1207, "SSL_ERR_PASSWORD_MUST_CHANGE", "the password must be changed before the first logon"),
        new(0x1607, "SSL_ERR_DELEGATION_POLICY", "policy does not allow delegating the credentials to this server"),
        new(0x1707, "SSL_ERR_POLICY_NTLM_ONLY", "policy allows delegating the credentials to this server only after mutual authentication"),
        new(0x1807, "SSL_ERR_NO_AUTHENTICATING_AUTHORITY", "no authority could be reached to authenticate (wrong domain name, unreachable domain, or a broken trust)"),
        new(0x1B07, "SSL_ERR_CERT_EXPIRED", "the certificate received has expired"),
        new(0x1C07, "SSL_ERR_SMARTCARD_WRONG_PIN", "a wrong smart card PIN was given"),
        new(0x2107, "SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER", "the server does not accept saved credentials: the user must type them"),
        new(0x2207, "SSL_ERR_SMARTCARD_CARD_BLOCKED", "the smart card is blocked"),
    ];

    /// <summary>
    /// Every errorInfo code of the Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1), in ascending order, under the spec's own
    /// names (spellings such as ERRINFO_DISCONNECTED_BY_OTHERCONNECTION and ERRINFO_BADSUPRESSOUTPUTPDU are the spec's).
    /// Codes only some clients define for themselves (FreeRDP's ERRINFO_PEER_DISCONNECTED, 0x1196) are not server codes
    /// and are not listed.
    /// </summary>
    public static IReadOnlyList<CodeEntry> ExtendedReasons { get; } =
    [
        // Protocol-independent codes.
        new(0x0000, "ERRINFO_NONE", "no error information: the server sent no Set Error Info before closing"),
        new(0x0001, "ERRINFO_RPC_INITIATED_DISCONNECT", "an administrative tool in another session disconnected the session"),
        new(0x0002, "ERRINFO_RPC_INITIATED_LOGOFF", "an administrative tool in another session logged the session off"),
        new(0x0003, "ERRINFO_IDLE_TIMEOUT", "the idle session time limit expired"),
        new(0x0004, "ERRINFO_LOGON_TIMEOUT", "the active session time limit expired"),
        new(0x0005, "ERRINFO_DISCONNECTED_BY_OTHERCONNECTION", "another connection took over the session"),
        new(0x0006, "ERRINFO_OUT_OF_MEMORY", "the server ran out of memory"),
        new(0x0007, "ERRINFO_SERVER_DENIED_CONNECTION", "the server denied the connection"),
        new(0x0009, "ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES", "the user may not log on remotely (not in Remote Desktop Users, or denied the right)"),
        new(0x000A, "ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED", "the server requires credentials typed in, not saved ones"),
        new(0x000B, "ERRINFO_RPC_INITIATED_DISCONNECT_BYUSER", "an administrative tool running in the user's own session disconnected it"),
        new(0x000C, "ERRINFO_LOGOFF_BY_USER", "the user logged off"),
        new(0x000F, "ERRINFO_CLOSE_STACK_ON_DRIVER_NOT_READY", "the session's display driver did not report ready in time"),
        new(0x0010, "ERRINFO_SERVER_DWM_CRASH", "the Desktop Window Manager in the session crashed"),
        new(0x0011, "ERRINFO_CLOSE_STACK_ON_DRIVER_FAILURE", "the session's display driver failed to start"),
        new(0x0012, "ERRINFO_CLOSE_STACK_ON_DRIVER_IFACE_FAILURE", "the session's display driver started, but the remoting stack could not use it"),
        new(0x0017, "ERRINFO_SERVER_WINLOGON_CRASH", "the Winlogon process in the session crashed"),
        new(0x0018, "ERRINFO_SERVER_CSRSS_CRASH", "the CSRSS process in the session crashed"),
        new(0x0019, "ERRINFO_SERVER_SHUTDOWN", "the server is shutting down"),
        new(0x001A, "ERRINFO_SERVER_REBOOT", "the server is restarting"),

        // Licensing.
        new(0x0100, "ERRINFO_LICENSE_INTERNAL", "an internal licensing error"),
        new(0x0101, "ERRINFO_LICENSE_NO_LICENSE_SERVER", "no license server is available"),
        new(0x0102, "ERRINFO_LICENSE_NO_LICENSE", "no client access license (CAL) is available"),
        new(0x0103, "ERRINFO_LICENSE_BAD_CLIENT_MSG", "the server got an invalid licensing message from the client"),
        new(0x0104, "ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE", "the license the client stored has been modified (it no longer matches the client)"),
        new(0x0105, "ERRINFO_LICENSE_BAD_CLIENT_LICENSE", "the client's license is not valid"),
        new(0x0106, "ERRINFO_LICENSE_CANT_FINISH_PROTOCOL", "a network problem stopped the licensing exchange"),
        new(0x0107, "ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL", "the client ended the licensing exchange early"),
        new(0x0108, "ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION", "a licensing message was encrypted wrongly"),
        new(0x0109, "ERRINFO_LICENSE_CANT_UPGRADE_LICENSE", "the client license could not be upgraded or renewed"),
        new(0x010A, "ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS", "the server is not licensed for remote connections"),

        // Connection broker.
        new(0x0400, "ERRINFO_CB_DESTINATION_NOT_FOUND", "the connection broker found no target endpoint"),
        new(0x0402, "ERRINFO_CB_LOADING_DESTINATION", "the target the broker is redirecting to is disconnecting from the broker"),
        new(0x0404, "ERRINFO_CB_REDIRECTING_TO_DESTINATION", "the broker failed to redirect to the target"),
        new(0x0405, "ERRINFO_CB_SESSION_ONLINE_VM_WAKE", "the broker failed to wake the virtual machine"),
        new(0x0406, "ERRINFO_CB_SESSION_ONLINE_VM_BOOT", "the broker failed to boot the virtual machine"),
        new(0x0407, "ERRINFO_CB_SESSION_ONLINE_VM_NO_DNS", "the broker could not find the virtual machine's IP address"),
        new(0x0408, "ERRINFO_CB_DESTINATION_POOL_NOT_FREE", "no free endpoint in the broker's pool"),
        new(0x0409, "ERRINFO_CB_CONNECTION_CANCELLED", "the broker cancelled the connection"),
        new(0x0410, "ERRINFO_CB_CONNECTION_ERROR_INVALID_SETTINGS", "the broker could not validate the routing token settings in the X.224 Connection Request"),
        new(0x0411, "ERRINFO_CB_SESSION_ONLINE_VM_BOOT_TIMEOUT", "the broker's virtual machine did not boot in time"),
        new(0x0412, "ERRINFO_CB_SESSION_ONLINE_VM_SESSMON_FAILED", "session monitoring failed while the broker's virtual machine was starting"),

        // RDP-specific codes: the server rejected something the client sent (or failed itself while handling it).
        new(0x10C9, "ERRINFO_UNKNOWNPDUTYPE2", "the client sent a data PDU whose pduType2 (Share Data Header) the server does not know"),
        new(0x10CA, "ERRINFO_UNKNOWNPDUTYPE", "the client sent a PDU whose pduType (Share Control Header) the server does not know"),
        new(0x10CB, "ERRINFO_DATAPDUSEQUENCE", "the client sent a slow-path data PDU out of sequence"),
        new(0x10CD, "ERRINFO_CONTROLPDUSEQUENCE", "the client sent a slow-path non-data PDU (such as Confirm Active) out of sequence"),
        new(0x10CE, "ERRINFO_INVALIDCONTROLPDUACTION", "the client sent a Control PDU with an invalid action"),
        new(0x10CF, "ERRINFO_INVALIDINPUTPDUTYPE", "the client sent an input event of an unknown type (slow-path messageType or fast-path eventCode)"),
        new(0x10D0, "ERRINFO_INVALIDINPUTPDUMOUSE", "the client sent a mouse event with invalid pointer flags"),
        new(0x10D1, "ERRINFO_INVALIDREFRESHRECTPDU", "the client sent an invalid Refresh Rect PDU"),
        new(0x10D2, "ERRINFO_CREATEUSERDATAFAILED", "the server could not build the user data of its GCC Conference Create Response"),
        new(0x10D3, "ERRINFO_CONNECTFAILED", "the channel connection phase (MCS erect domain, attach user, channel joins) failed on the server"),
        new(0x10D4, "ERRINFO_CONFIRMACTIVEWRONGSHAREID", "the client's Confirm Active PDU carried the wrong share id"),
        new(0x10D5, "ERRINFO_CONFIRMACTIVEWRONGORIGINATOR", "the client's Confirm Active PDU carried the wrong originator id"),
        new(0x10DA, "ERRINFO_PERSISTENTKEYPDUBADLENGTH", "a Persistent Key List PDU from the client was too short"),
        new(0x10DB, "ERRINFO_PERSISTENTKEYPDUILLEGALFIRST", "the client sent a second Persistent Key List PDU marked as the first"),
        new(0x10DC, "ERRINFO_PERSISTENTKEYPDUTOOMANYTOTALKEYS", "a Persistent Key List PDU announced more than 262144 bitmap cache entries in total"),
        new(0x10DD, "ERRINFO_PERSISTENTKEYPDUTOOMANYCACHEKEYS", "a Persistent Key List PDU announced more keys for a bitmap cache than the client's bitmap cache capability allows"),
        new(0x10DE, "ERRINFO_INPUTPDUBADLENGTH", "an input PDU (slow-path or fast-path) from the client was too short"),
        new(0x10DF, "ERRINFO_BITMAPCACHEERRORPDUBADLENGTH", "a Bitmap Cache Error PDU from the client was too short for its header fields"),
        new(0x10E0, "ERRINFO_SECURITYDATATOOSHORT", "a fast-path input PDU from the client was too short for its data signature (or FIPS information)"),
        new(0x10E1, "ERRINFO_VCHANNELDATATOOSHORT", "the client's virtual channel data was too short (the channel list in Client Network Data, or a Channel PDU Header)"),
        new(0x10E2, "ERRINFO_SHAREDATATOOSHORT", "a PDU from the client was too short (Control PDU, Share Control or Share Data Header, or Font List PDU)"),
        new(0x10E3, "ERRINFO_BADSUPRESSOUTPUTPDU", "the client sent a Suppress Output PDU that is too short or has an invalid allowDisplayUpdates"),
        new(0x10E5, "ERRINFO_CONFIRMACTIVEPDUTOOSHORT", "the client's Confirm Active PDU was too short"),
        new(0x10E7, "ERRINFO_CAPABILITYSETTOOSMALL", "a capability set from the client was too short to hold its type and length"),
        new(0x10E8, "ERRINFO_CAPABILITYSETTOOLARGE", "a capability set from the client claimed a length larger than the data received"),
        new(0x10E9, "ERRINFO_NOCURSORCACHE", "the client's Pointer Capability Set offered no pointer cache (cache sizes zero)"),
        new(0x10EA, "ERRINFO_BADCAPABILITIES", "the server did not accept the capabilities in the client's Confirm Active PDU"),
        new(0x10EC, "ERRINFO_VIRTUALCHANNELDECOMPRESSIONERR", "the server could not decompress a virtual channel PDU from the client"),
        new(0x10ED, "ERRINFO_INVALIDVCCOMPRESSIONTYPE", "a Channel PDU Header from the client named an invalid compression type"),
        new(0x10EF, "ERRINFO_INVALIDCHANNELID", "the client sent virtual channel data on an MCS channel id the server does not know"),
        new(0x10F0, "ERRINFO_VCHANNELSTOOMANY", "the client asked for more than 31 static virtual channels"),
        new(0x10F3, "ERRINFO_REMOTEAPPSNOTENABLED", "the server only hosts RemoteApp programs, and the client's Info Packet did not set INFO_RAIL"),
        new(0x10F4, "ERRINFO_CACHECAPNOTSET", "the client sent a Persistent Key List PDU without advertising the Revision 2 Bitmap Cache Capability Set"),
        new(0x10F5, "ERRINFO_BITMAPCACHEERRORPDUBADLENGTH2", "the block count of a Bitmap Cache Error PDU from the client does not match the data it carries"),
        new(0x10F6, "ERRINFO_OFFSCRCACHEERRORPDUBADLENGTH", "an Offscreen Bitmap Cache Error PDU from the client was too short"),
        new(0x10F7, "ERRINFO_DNGCACHEERRORPDUBADLENGTH", "a DrawNineGrid Cache Error PDU from the client was too short"),
        new(0x10F8, "ERRINFO_GDIPLUSPDUBADLENGTH", "a GDI+ Error PDU from the client was too short"),
        new(0x1111, "ERRINFO_SECURITYDATATOOSHORT2", "a PDU from the client was too short for its Basic Security Header"),
        new(0x1112, "ERRINFO_SECURITYDATATOOSHORT3", "a PDU from the client was too short for its Non-FIPS or FIPS Security Header"),
        new(0x1113, "ERRINFO_SECURITYDATATOOSHORT4", "the client's Security Exchange PDU was too short"),
        new(0x1114, "ERRINFO_SECURITYDATATOOSHORT5", "the client's Info Packet was too short for its fields and strings (domain, user name, password, shell, working directory)"),
        new(0x1115, "ERRINFO_SECURITYDATATOOSHORT6", "the client's Info Packet was too short for its fixed fields (code page, flags and string lengths)"),
        new(0x1116, "ERRINFO_SECURITYDATATOOSHORT7", "the client's Extended Info Packet was too short for the client address family and length"),
        new(0x1117, "ERRINFO_SECURITYDATATOOSHORT8", "the client's Extended Info Packet was too short for the client address"),
        new(0x1118, "ERRINFO_SECURITYDATATOOSHORT9", "the client's Extended Info Packet was too short for the client directory length"),
        new(0x1119, "ERRINFO_SECURITYDATATOOSHORT10", "the client's Extended Info Packet was too short for the client directory"),
        new(0x111A, "ERRINFO_SECURITYDATATOOSHORT11", "the client's Extended Info Packet was too short for the client time zone"),
        new(0x111B, "ERRINFO_SECURITYDATATOOSHORT12", "the client's Extended Info Packet was too short for the client session id"),
        new(0x111C, "ERRINFO_SECURITYDATATOOSHORT13", "the client's Extended Info Packet was too short for the performance flags"),
        new(0x111D, "ERRINFO_SECURITYDATATOOSHORT14", "the client's Extended Info Packet was too short for the auto-reconnect cookie length"),
        new(0x111E, "ERRINFO_SECURITYDATATOOSHORT15", "the client's Extended Info Packet was too short for the auto-reconnect cookie"),
        new(0x111F, "ERRINFO_SECURITYDATATOOSHORT16", "the auto-reconnect cookie in the client's Extended Info Packet is longer than the 128-byte maximum"),
        new(0x1120, "ERRINFO_SECURITYDATATOOSHORT17", "the client's Extended Info Packet was too short for the client address family and length (as SECURITYDATATOOSHORT7)"),
        new(0x1121, "ERRINFO_SECURITYDATATOOSHORT18", "the client's Extended Info Packet was too short for the client address (as SECURITYDATATOOSHORT8)"),
        new(0x1122, "ERRINFO_SECURITYDATATOOSHORT19", "the client's Extended Info Packet was too short for the client directory length (as SECURITYDATATOOSHORT9)"),
        new(0x1123, "ERRINFO_SECURITYDATATOOSHORT20", "the client's Extended Info Packet was too short for the client directory (as SECURITYDATATOOSHORT10)"),
        new(0x1124, "ERRINFO_SECURITYDATATOOSHORT21", "the client's Extended Info Packet was too short for the client time zone (as SECURITYDATATOOSHORT11)"),
        new(0x1125, "ERRINFO_SECURITYDATATOOSHORT22", "the client's Extended Info Packet was too short for the client session id (as SECURITYDATATOOSHORT12)"),
        new(0x1126, "ERRINFO_SECURITYDATATOOSHORT23", "the client's Client Info PDU was too short"),
        new(0x1129, "ERRINFO_BADMONITORDATA", "the client's monitor data is inconsistent: it holds fewer monitor definitions than its monitorCount says"),
        new(0x112A, "ERRINFO_VCDECOMPRESSEDREASSEMBLEFAILED", "decompressed virtual channel data could not be reassembled (bad decompression buffer, or larger than the negotiated chunk size)"),
        new(0x112B, "ERRINFO_VCDATATOOLONG", "a virtual channel PDU from the client was larger than the negotiated chunk size"),
        new(0x112C, "ERRINFO_BAD_FRAME_ACK_DATA", "a Frame Acknowledge PDU from the client was too short"),
        new(0x112D, "ERRINFO_GRAPHICSMODENOTSUPPORTED", "the server does not support the graphics mode the client asked for"),
        new(0x112E, "ERRINFO_GRAPHICSSUBSYSTEMRESETFAILED", "the server's graphics subsystem failed to reset"),
        new(0x112F, "ERRINFO_GRAPHICSSUBSYSTEMFAILED", "the server's graphics subsystem failed and cannot go on encoding graphics"),
        new(0x1130, "ERRINFO_TIMEZONEKEYNAMELENGTHTOOSHORT", "the client's Extended Info Packet was too short for the dynamic time zone key name length"),
        new(0x1131, "ERRINFO_TIMEZONEKEYNAMELENGTHTOOLONG", "the dynamic time zone key name length in the client's Extended Info Packet is too long"),
        new(0x1132, "ERRINFO_DYNAMICDSTDISABLEDFIELDMISSING", "the client's Extended Info Packet lacks the dynamicDaylightTimeDisabled field"),
        new(0x1133, "ERRINFO_VCDECODINGERROR", "the server failed while processing dynamic virtual channel data"),
        new(0x1134, "ERRINFO_VIRTUALDESKTOPTOOLARGE", "the client's monitor layout makes a virtual desktop wider or taller than 32766 pixels"),
        new(0x1135, "ERRINFO_MONITORGEOMETRYVALIDATIONFAILED", "the client's monitor layout is not valid geometry"),
        new(0x1136, "ERRINFO_INVALIDMONITORCOUNT", "the client's monitor data announces too many monitors"),
        new(0x1191, "ERRINFO_UPDATESESSIONKEYFAILED", "the server could not update the session keys (Standard RDP Security)"),
        new(0x1192, "ERRINFO_DECRYPTFAILED", "the server could not decrypt data from the client, or could not create the session keys (Standard RDP Security)"),
        new(0x1193, "ERRINFO_ENCRYPTFAILED", "the server could not encrypt data (Standard RDP Security)"),
        new(0x1194, "ERRINFO_ENCPKGMISMATCH", "the server can use none of the encryption methods the client offered in its security data"),
        new(0x1195, "ERRINFO_DECRYPTFAILED2", "the client sent unencrypted data where Standard RDP Security requires it encrypted"),
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
