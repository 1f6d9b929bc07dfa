using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Tls;

namespace RdpHandshake.Protocol.Connector;

/// <summary>A source of random bytes (client nonces), given to the core so that it never draws its own.</summary>
public interface IRandomSource
{
    void Fill(Span<byte> buffer);
}

/// <summary>
/// What the connector cannot do sans-IO and takes from its caller: randomness, the TLS client, the authentication
/// package of CredSSP, and the cryptography of Standard RDP Security and licensing. A service left out stops the
/// run where it would be needed, with a cause that says so.
/// </summary>
public sealed class ConnectorServices
{
    public required IRandomSource Random { get; init; }

    /// <summary>Creates the TLS client when the negotiation selects a protocol that runs inside TLS.</summary>
    public Func<ITlsSession>? TlsSession { get; init; }

    /// <summary>The security package CredSSP runs (NTLM), with or without credentials.</summary>
    public IAuthenticationPackage? Authentication { get; init; }

    /// <summary>The cryptography of Standard RDP Security.</summary>
    public IStandardSecurityProvider? StandardSecurity { get; init; }

    /// <summary>
    /// Orders the channel joins: given the channels MS-RDPBCGR 3.2.5.3.8 joins, in its order (user, I/O, message,
    /// each static channel), the channels to join in the order to join them. Null for that order; an observer of
    /// another client's capture gives that client's order (the joins are independent requests, each confirmed on its own).
    /// </summary>
    public Func<IReadOnlyList<ushort>, IReadOnlyList<ushort>>? ChannelJoinOrder { get; init; }

    /// <summary>Answers a server that asks for a license.</summary>
    public ILicensingProvider? Licensing { get; init; }

    /// <summary>The password of <see cref="ClientConnectorOptions.Proxy"/>'s user, written out only into the request that carries it.</summary>
    public Proxy.IProxyPassword? ProxyPassword { get; init; }
}
