namespace RdpHandshake.Protocol.Rdp;

/// <summary>
/// MS-RDPBCGR 2.2.1.11.1.1 TS_INFO_PACKET <c>flags</c>. Bits 9–12 (<see cref="CompressionTypeMask"/>) carry the
/// highest bulk compression type the client supports (see <see cref="PacketCompressionType"/>).
/// </summary>
[Flags]
public enum ClientInfoFlags : uint
{
    None = 0,

    /// <summary>INFO_MOUSE: the client has a mouse.</summary>
    Mouse = 0x0000_0001,

    /// <summary>INFO_DISABLECTRLALTDEL: the user need not press CTRL+ALT+DEL to log on.</summary>
    DisableCtrlAltDel = 0x0000_0002,

    /// <summary>INFO_AUTOLOGON: log on with the credentials in this packet.</summary>
    AutoLogon = 0x0000_0008,

    /// <summary>INFO_UNICODE: the strings are UTF-16LE (otherwise ANSI in <c>CodePage</c>).</summary>
    Unicode = 0x0000_0010,

    /// <summary>INFO_MAXIMIZESHELL: maximize the alternate shell.</summary>
    MaximizeShell = 0x0000_0020,

    /// <summary>INFO_LOGONNOTIFY: the client wants the Save Session Info PDU with the logon notification.</summary>
    LogonNotify = 0x0000_0040,

    /// <summary>INFO_COMPRESSION: <see cref="CompressionTypeMask"/> holds a valid compression type.</summary>
    Compression = 0x0000_0080,

    /// <summary>INFO_ENABLEWINDOWSKEY: the client's Windows key is forwarded.</summary>
    EnableWindowsKey = 0x0000_0100,

    /// <summary>CompressionTypeMask: the bits holding the <see cref="PacketCompressionType"/>, shifted left by 9.</summary>
    CompressionTypeMask = 0x0000_1E00,

    /// <summary>INFO_REMOTECONSOLEAUDIO: leave audio on the server.</summary>
    RemoteConsoleAudio = 0x0000_2000,

    /// <summary>INFO_FORCE_ENCRYPTED_CS_PDU: client-to-server PDUs are all encrypted (Standard RDP Security).</summary>
    ForceEncryptedCsPdu = 0x0000_4000,

    /// <summary>INFO_RAIL: a RemoteApp (MS-RDPERP) session is requested.</summary>
    Rail = 0x0000_8000,

    /// <summary>INFO_LOGONERRORS: the client wants logon errors in the Save Session Info PDU.</summary>
    LogonErrors = 0x0001_0000,

    /// <summary>INFO_MOUSE_HAS_WHEEL: the mouse has a wheel.</summary>
    MouseHasWheel = 0x0002_0000,

    /// <summary>INFO_PASSWORD_IS_SC_PIN: the password is a smart-card PIN.</summary>
    PasswordIsScPin = 0x0004_0000,

    /// <summary>INFO_NOAUDIOPLAYBACK: no audio redirection or playback.</summary>
    NoAudioPlayback = 0x0008_0000,

    /// <summary>INFO_USING_SAVED_CREDS: the credentials were saved on the client.</summary>
    UsingSavedCreds = 0x0010_0000,

    /// <summary>INFO_AUDIOCAPTURE: audio input redirection is supported.</summary>
    AudioCapture = 0x0020_0000,

    /// <summary>INFO_VIDEO_DISABLE: video redirection (MS-RDPEV) is disabled.</summary>
    VideoDisable = 0x0040_0000,

    /// <summary>INFO_RESERVED1: unused.</summary>
    Reserved1 = 0x0080_0000,

    /// <summary>INFO_RESERVED2: unused.</summary>
    Reserved2 = 0x0100_0000,

    /// <summary>INFO_HIDEF_RAIL_SUPPORTED: the client supports Enhanced RemoteApp.</summary>
    HiDefRailSupported = 0x0200_0000,
}

/// <summary>MS-RDPBCGR 2.2.1.11.1.1 compression types carried in the CompressionTypeMask bits of the flags.</summary>
public enum PacketCompressionType : byte
{
    /// <summary>PACKET_COMPR_TYPE_8K: RDP 4.0 bulk compression (MS-RDPBCGR 3.1.8.4.1).</summary>
    Type8K = 0,

    /// <summary>PACKET_COMPR_TYPE_64K: RDP 5.0 bulk compression (3.1.8.4.2).</summary>
    Type64K = 1,

    /// <summary>PACKET_COMPR_TYPE_RDP6: RDP 6.0 bulk compression (MS-RDPEGDI 3.1.8.1).</summary>
    Rdp6 = 2,

    /// <summary>PACKET_COMPR_TYPE_RDP61: RDP 6.1 bulk compression (MS-RDPEGDI 3.1.8.2).</summary>
    Rdp61 = 3,
}

/// <summary>MS-RDPBCGR 2.2.1.11.1.1.1 TS_EXTENDED_INFO_PACKET <c>performanceFlags</c>.</summary>
[Flags]
public enum PerformanceFlags : uint
{
    None = 0,

    /// <summary>PERF_DISABLE_WALLPAPER.</summary>
    DisableWallpaper = 0x0000_0001,

    /// <summary>PERF_DISABLE_FULLWINDOWDRAG.</summary>
    DisableFullWindowDrag = 0x0000_0002,

    /// <summary>PERF_DISABLE_MENUANIMATIONS.</summary>
    DisableMenuAnimations = 0x0000_0004,

    /// <summary>PERF_DISABLE_THEMING.</summary>
    DisableTheming = 0x0000_0008,

    /// <summary>PERF_RESERVED1.</summary>
    Reserved1 = 0x0000_0010,

    /// <summary>PERF_DISABLE_CURSOR_SHADOW.</summary>
    DisableCursorShadow = 0x0000_0020,

    /// <summary>PERF_DISABLE_CURSORSETTINGS: disable cursor blinking.</summary>
    DisableCursorSettings = 0x0000_0040,

    /// <summary>PERF_ENABLE_FONT_SMOOTHING.</summary>
    EnableFontSmoothing = 0x0000_0080,

    /// <summary>PERF_ENABLE_DESKTOP_COMPOSITION.</summary>
    EnableDesktopComposition = 0x0000_0100,

    /// <summary>PERF_RESERVED2.</summary>
    Reserved2 = 0x8000_0000,
}

/// <summary>MS-RDPBCGR 2.2.1.11.1.1.1 <c>clientAddressFamily</c>.</summary>
public enum ClientAddressFamily : ushort
{
    /// <summary>AF_INET: <c>clientAddress</c> is an IPv4 address.</summary>
    Inet = 0x0002,

    /// <summary>AF_INET6: <c>clientAddress</c> is an IPv6 address.</summary>
    Inet6 = 0x0017,
}
