namespace RdpHandshake.Protocol.Sequence;

/// <summary>
/// The phases of the RDP connection sequence (MS-RDPBCGR 1.3.1.1), plus the TCP connect before them and, when the
/// connection goes through a proxy or an RD Gateway (MS-TSGU), the proxy's tunnel and the gateway hop between the two.
/// </summary>
public enum ConnectionPhase
{
    Tcp,

    /// <summary>A SOCKS5 or HTTP CONNECT proxy: the connection to it, its authentication and the tunnel it opens to the server.</summary>
    Proxy,
    /// <summary>The RD Gateway hop: TLS and HTTP to the gateway, then its tunnel and channel to the target.</summary>
    Gateway,
    X224,
    Tls,
    CredSsp,
    Mcs,
    Security,
    Licensing,
    Capabilities,
    Finalization,
}

public static class ConnectionPhaseNames
{
    /// <summary>The lowercase name used in reports and on the command line, e.g. <c>credssp</c>.</summary>
    public static string Name(this ConnectionPhase phase) => phase switch
    {
        ConnectionPhase.Tcp => "tcp",
        ConnectionPhase.Proxy => "proxy",
        ConnectionPhase.Gateway => "gateway",
        ConnectionPhase.X224 => "x224",
        ConnectionPhase.Tls => "tls",
        ConnectionPhase.CredSsp => "credssp",
        ConnectionPhase.Mcs => "mcs",
        ConnectionPhase.Security => "security",
        ConnectionPhase.Licensing => "licensing",
        ConnectionPhase.Capabilities => "capabilities",
        ConnectionPhase.Finalization => "finalization",
    };
}
