using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Proxy;

/// <summary>How the proxy in front of the connection is spoken to.</summary>
public enum ProxyKind
{
    /// <summary>SOCKS version 5 (RFC 1928), with username/password authentication (RFC 1929) when a user is given.</summary>
    Socks5,

    /// <summary>An HTTP proxy's CONNECT method (RFC 9110 9.3.6), with Basic authentication (RFC 7617) when a user is given.</summary>
    HttpConnect,
}

/// <summary>
/// The tunnel asked of a proxy: where it should connect, and as whom to authenticate. The password comes through
/// <see cref="Connector.ConnectorServices.ProxyPassword"/>, never in options.
/// </summary>
/// <param name="Kind">SOCKS5 or HTTP CONNECT.</param>
/// <param name="TargetHost">The RDP server as given: a name is sent as a name, for the proxy to resolve.</param>
/// <param name="TargetPort">The RDP server's port.</param>
/// <param name="User">The proxy account, or null to offer no authentication.</param>
public sealed record ProxyTunnelRequest(ProxyKind Kind, string TargetHost, int TargetPort, string? User)
{
    /// <summary>
    /// The server's IP address in network order (4 or 16 bytes) when <see cref="TargetHost"/> is an IP address, for
    /// SOCKS5 to send as one (ATYP 1 or 4); null for a name. The engine parses it: the core reads no address text.
    /// </summary>
    public ReadOnlyMemory<byte>? TargetAddress { get; init; }

    /// <summary>The target as an HTTP CONNECT request-target writes it (RFC 9112 3.2.3): <c>host:port</c>, <c>[v6]:port</c>.</summary>
    public string Authority => TargetHost.Contains(':', StringComparison.Ordinal) ? $"[{TargetHost}]:{TargetPort}" : $"{TargetHost}:{TargetPort}";
}

/// <summary>
/// A proxy password as UTF-8, written on demand into a buffer the caller clears: the core never keeps it, and nothing it
/// records holds it.
/// </summary>
public interface IProxyPassword
{
    /// <summary>How many bytes <see cref="CopyUtf8"/> writes.</summary>
    int Utf8Length { get; }

    /// <summary>Writes the password as UTF-8 into <paramref name="destination"/> (exactly <see cref="Utf8Length"/> bytes).</summary>
    void CopyUtf8(Span<byte> destination);
}

/// <summary>What the proxy said while the tunnel was set up, for the report's hop.</summary>
/// <param name="Kind">SOCKS5 or HTTP CONNECT.</param>
public sealed record ProxyFacts(ProxyKind Kind)
{
    /// <summary>SOCKS5: the authentication method the proxy selected, by name.</summary>
    public string? Method { get; init; }

    /// <summary>The user the proxy accepted, when it asked for one.</summary>
    public string? AuthenticatedAs { get; init; }

    /// <summary>SOCKS5: the address the proxy connects from (BND.ADDR:BND.PORT of its reply).</summary>
    public string? Bound { get; init; }

    /// <summary>HTTP CONNECT: the status code of the proxy's answer.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>HTTP CONNECT: the proxy's status line, as sent.</summary>
    public string? StatusLine { get; init; }

    /// <summary>HTTP CONNECT: the proxy's own name (its Proxy-Agent or Server field), when it gives one.</summary>
    public string? Agent { get; init; }

    /// <summary>True once the proxy said the tunnel is open.</summary>
    public bool Tunnelled { get; init; }
}

/// <summary>The steps both kinds of proxy take, and how their answers are framed.</summary>
public static class ProxySteps
{
    /// <summary>The engine's step: resolving the proxy and the TCP connection to it.</summary>
    public const string Connect = "proxy.connect";

    /// <summary>SOCKS5: the method negotiation and, when the proxy selects it, the username/password exchange.</summary>
    public const string Auth = "proxy.auth";

    /// <summary>The request for the tunnel and the proxy's answer: SOCKS5 CONNECT, or HTTP CONNECT.</summary>
    public const string Tunnel = "proxy.tunnel";
}

/// <summary>Sizes the next frame from the bytes buffered so far.</summary>
public delegate FrameSize FrameSizer(ReadOnlySpan<byte> buffered);

/// <summary>A frame hint whose sizing is a function: the small fixed answers of a proxy.</summary>
public sealed class SizerFrameHint(string stepName, string expecting, int maxFrameLength, int headerLength, FrameSizer sizer)
    : FrameHint(stepName, expecting, maxFrameLength)
{
    public override int HeaderLength { get; } = headerLength;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) => sizer(buffered);
}
