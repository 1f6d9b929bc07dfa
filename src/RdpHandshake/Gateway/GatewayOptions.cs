using RdpHandshake.Crypto;

namespace RdpHandshake.Gateway;

/// <summary>How the tunnel to the RD Gateway is carried (MS-TSGU 3.3.5.1).</summary>
public enum GatewayTransport
{
    /// <summary>As current Windows clients do: ask for the WebSocket upgrade, and go on with the HTTP transport when the gateway answers 200.</summary>
    Auto,

    /// <summary>RDG_OUT_DATA upgraded to a WebSocket: one connection both ways.</summary>
    WebSocket,

    /// <summary>RDG_OUT_DATA (gateway to client) and RDG_IN_DATA (client to gateway, chunked): two connections.</summary>
    Http,
}

/// <summary>The HTTP authentication offered to the gateway.</summary>
public enum GatewayAuthScheme
{
    /// <summary>NTLM over HTTP (<c>Authorization: NTLM</c>, two requests on one connection).</summary>
    Ntlm,

    /// <summary>Basic (RFC 7617): the password in the clear inside TLS.</summary>
    Basic,

    /// <summary>
    /// Negotiate with Kerberos (RFC 4559): a ticket for the gateway's <c>HTTP/</c> principal from the realm's KDC, the
    /// AP-REQ in a SPNEGO token in <c>Authorization: Negotiate</c>, the gateway's AP-REP checked when it sends one.
    /// </summary>
    Negotiate,
}

/// <summary>The RD Gateway a probe goes through, and how.</summary>
/// <param name="Host">The gateway's name or address.</param>
/// <param name="Port">Its HTTPS port (443 by default).</param>
public sealed record GatewayOptions(string Host, int Port = 443)
{
    /// <summary>The gateway's user; null sends no credentials (a gateway then answers 401).</summary>
    public Credentials? Credentials { get; init; }

    public GatewayTransport Transport { get; init; } = GatewayTransport.Auto;

    public GatewayAuthScheme Auth { get; init; } = GatewayAuthScheme.Ntlm;

    /// <summary>The gateway's Kerberos principal (<c>--gateway-spn</c>), e.g. <c>HTTP/gw.example.com</c>; null for <c>HTTP/</c> and <see cref="Host"/>.</summary>
    public string? ServicePrincipal { get; init; }

    /// <summary>A pluggable authentication (PAA) cookie for the tunnel create packet, as RD Web Access issues; null for none.</summary>
    public string? PaaCookie { get; init; }

    /// <summary>The client name the tunnel authorization carries.</summary>
    public string ClientName { get; init; } = "rdphs";

    public override string ToString() => $"https://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";
}
