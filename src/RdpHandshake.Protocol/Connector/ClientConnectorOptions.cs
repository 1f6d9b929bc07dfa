using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>What the client offers, and how far the connection goes.</summary>
public sealed record ClientConnectorOptions
{
    /// <summary>What the X.224 Connection Request offers.</summary>
    public NegotiationOptions Negotiation { get; init; } = new();

    /// <summary>What the client sends from the MCS Connect Initial on.</summary>
    public SessionOptions Session { get; init; } = new();

    /// <summary>The last phase to complete: the connector then disconnects cleanly (an MCS Disconnect Provider Ultimatum once MCS is up).</summary>
    public ConnectionPhase Until { get; init; } = ConnectionPhase.Finalization;

    /// <summary>
    /// When the server selects NLA and the authentication package has no credentials, nothing after the server's
    /// first CredSSP answer can run. True ends the run there successfully; false fails it with
    /// <see cref="CauseId.CredentialsRequired"/> when <see cref="Until"/> lies beyond CredSSP.
    /// </summary>
    public bool StopWhereCredentialsAreNeeded { get; init; } = true;

    /// <summary>The TSRequest version offered (MS-CSSP 2.2.1): 2 to 6; current Windows sends 6.</summary>
    public int CredSspVersion { get; init; } = 6;

    /// <summary>Wrap the authentication tokens in SPNEGO (as Windows clients do), or send them bare (as FreeRDP 2 servers expect).</summary>
    public bool UseSpnego { get; init; } = true;

    /// <summary>Where the TLS handshake may stop early: after the ServerHello is enough to learn the version and suite.</summary>
    public TlsMilestone TlsStopAfter { get; init; } = TlsMilestone.Finished;

    /// <summary>
    /// The proxy tunnel to open first, over the connection to the proxy (SOCKS5 or HTTP CONNECT), or null to speak
    /// RDP on the connection at once. Its password is a service (<see cref="ConnectorServices.ProxyPassword"/>).
    /// </summary>
    public Proxy.ProxyTunnelRequest? Proxy { get; init; }
}

/// <summary>What the client offers in the X.224 Connection Request (MS-RDPBCGR 2.2.1.1).</summary>
public sealed record NegotiationOptions
{
    /// <summary>The requestedProtocols of RDP_NEG_REQ; the default is what current Windows clients offer.</summary>
    public SecurityProtocols RequestedProtocols { get; init; } = SecurityProtocols.Ssl | SecurityProtocols.Hybrid | SecurityProtocols.HybridEx;

    /// <summary>Send RDP_NEG_REQ at all; without it the server falls back to Standard RDP Security (pre-5.2 client).</summary>
    public bool SendNegotiationRequest { get; init; } = true;

    public NegotiationRequestFlags RequestFlags { get; init; }

    /// <summary>The <c>Cookie: mstshash=</c> identifier, or null to send none.</summary>
    public string? Cookie { get; init; }

    /// <summary>A routing token (without CR LF), or null to send none.</summary>
    public string? RoutingToken { get; init; }

    /// <summary>When set, an RDP_NEG_CORRELATION_INFO is sent and CORRELATION_INFO_PRESENT is set.</summary>
    public Guid? CorrelationId { get; init; }

    /// <summary>The size bound on any frame received.</summary>
    public int MaxFrameLength { get; init; } = TpktHeader.MaxPacketLength;

    /// <summary>Builds the Connection Request these options describe.</summary>
    public X224ConnectionRequest BuildConnectionRequest()
    {
        NegotiationRequestFlags flags = RequestFlags;
        RdpCorrelationInfo? correlation = null;
        if (CorrelationId is { } id && SendNegotiationRequest)
        {
            flags |= NegotiationRequestFlags.CorrelationInfoPresent;
            correlation = new RdpCorrelationInfo(id);
        }

        return new X224ConnectionRequest(
            Cookie,
            RoutingToken,
            SendNegotiationRequest ? new RdpNegotiationRequest(RequestedProtocols, flags) : null,
            correlation);
    }
}

/// <summary>What the client sends from the MCS Connect Initial on.</summary>
public sealed record SessionOptions
{
    /// <summary>
    /// The static virtual channels of CS_NET; by default the four a Windows client asks for (device
    /// redirection, sound, clipboard, dynamic channels), so a server sees a realistic request.
    /// </summary>
    public static IReadOnlyList<ChannelDefinition> DefaultChannels { get; } =
    [
        new("rdpdr", 0x80800000),
        new("rdpsnd", 0xC0000000),
        new("cliprdr", 0xC0A00000),
        new("drdynvc", 0xC0800000),
    ];

    /// <summary>The CS_CORE template; serverSelectedProtocol is filled in from the negotiation.</summary>
    public ClientCoreData Core { get; init; } = new();

    public IReadOnlyList<ChannelDefinition> Channels { get; init; } = DefaultChannels;

    /// <summary>
    /// CS_SECURITY encryptionMethods: 40-, 56-, 128-bit and FIPS (0x1B), as Windows offers them. A server that
    /// selected TLS or CredSSP ignores it.
    /// </summary>
    public uint EncryptionMethods { get; init; } = 0x1B;

    /// <summary>The size bound on any frame received.</summary>
    public int MaxFrameLength { get; init; } = TpktHeader.MaxPacketLength;

    /// <summary>The domain sent in the Client Info PDU (no password is ever sent: auto-logon stays off).</summary>
    public string Domain { get; init; } = string.Empty;

    /// <summary>The user name sent in the Client Info PDU.</summary>
    public string UserName { get; init; } = string.Empty;

    /// <summary>TS_INFO_PACKET flags: what mstsc sends without auto-logon.</summary>
    public ClientInfoFlags InfoFlags { get; init; } =
        ClientInfoFlags.Mouse | ClientInfoFlags.DisableCtrlAltDel | ClientInfoFlags.Unicode | ClientInfoFlags.MaximizeShell
        | ClientInfoFlags.LogonNotify | ClientInfoFlags.EnableWindowsKey | ClientInfoFlags.LogonErrors | ClientInfoFlags.MouseHasWheel;

    /// <summary>performanceFlags: wallpaper, full-window drag, menu animations, theming and cursor effects off.</summary>
    public PerformanceFlags PerformanceFlags { get; init; } =
        PerformanceFlags.DisableWallpaper | PerformanceFlags.DisableFullWindowDrag | PerformanceFlags.DisableMenuAnimations
        | PerformanceFlags.DisableTheming | PerformanceFlags.DisableCursorShadow | PerformanceFlags.DisableCursorSettings;

    /// <summary>The client address reported in the extended info (informational for the server).</summary>
    public string ClientAddress { get; init; } = "0.0.0.0";

    /// <summary>How many PDUs the server may send that do not advance the sequence, per step, before the run gives up.</summary>
    public int MaxInterleavedPdus { get; init; } = 256;
}
