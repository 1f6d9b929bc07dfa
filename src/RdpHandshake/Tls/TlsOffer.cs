using Org.BouncyCastle.Tls;
using RdpHandshake.Protocol.Tls;

namespace RdpHandshake.Tls;

/// <summary>What our ClientHello offers. Nulls mean the library's defaults for the versions offered.</summary>
public sealed record TlsOffer
{
    /// <summary>Offered versions, newest first. The default offers TLS 1.3 down to TLS 1.0, as mstsc can.</summary>
    public IReadOnlyList<TlsVersion> Versions { get; init; } = [TlsVersion.Tls13, TlsVersion.Tls12, TlsVersion.Tls11, TlsVersion.Tls10];

    /// <summary>Offered cipher suites by IANA value, in preference order; null for the defaults.</summary>
    public IReadOnlyList<int>? CipherSuites { get; init; }

    /// <summary>Offered named groups (key exchange, TLS 1.3 key shares); null for the defaults.</summary>
    public IReadOnlyList<int>? NamedGroups { get; init; }

    /// <summary>Offered signature schemes (signature_algorithms) by IANA value; null for the defaults.</summary>
    public IReadOnlyList<int>? SignatureSchemes { get; init; }

    /// <summary>The SNI host name, or null to send none (the engine sends the target's DNS name, not an IP).</summary>
    public string? ServerName { get; init; }

    /// <summary>
    /// The cipher suites offered when <see cref="CipherSuites"/> is null: modern AEAD suites first, then the
    /// CBC suites that TLS 1.0–1.1 servers need, so that an old server is still reached and reported on.
    /// </summary>
    public static IReadOnlyList<int> DefaultCipherSuites { get; } =
    [
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256,
        CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
        CipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    ];
}
