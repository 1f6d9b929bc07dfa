using RdpHandshake.Protocol.Tls;

namespace RdpHandshake.Tls;

/// <summary>What the TLS phase established or saw, for the report.</summary>
public sealed record TlsResult(
    IReadOnlyList<TlsVersion> OfferedVersions,
    int OfferedCipherSuiteCount,
    string? ServerName,
    TlsVersion? Version,
    int? CipherSuite,
    int? NamedGroup,
    bool? SecureRenegotiation,
    bool HandshakeComplete,
    IReadOnlyList<TlsAlert> AlertsReceived,
    IReadOnlyList<TlsAlert> AlertsRaised,
    CertificateReport? Certificate)
{
    public static TlsResult From(TlsObservations seen, string? serverName, CertificateReport? certificate) => new(
        seen.OfferedVersions,
        seen.OfferedCipherSuites.Count,
        serverName,
        seen.ServerVersion,
        seen.CipherSuite,
        seen.NamedGroup,
        seen.SecureRenegotiation,
        seen.HandshakeComplete,
        [.. seen.AlertsReceived],
        [.. seen.AlertsRaised],
        certificate);

    /// <summary>Weak points of what was negotiated (old version, CBC/3DES/RC4, no forward secrecy).</summary>
    public IReadOnlyList<string> Weaknesses => TlsWeakness.Of(Version, CipherSuite);
}

/// <summary>Flags TLS versions and cipher suites that are weak today.</summary>
public static class TlsWeakness
{
    public static IReadOnlyList<string> Of(TlsVersion? version, int? suite)
    {
        var weak = new List<string>();
        if (version is { } v && TlsVersionNames.IsDeprecated(v))
        {
            weak.Add($"{TlsNames.Version(v)} is deprecated (RFC 8996)");
        }

        if (suite is { } s)
        {
            string name = TlsNames.CipherSuite(s);
            if (name.Contains("_RC4_", StringComparison.Ordinal))
            {
                weak.Add("RC4 is broken");
            }

            if (name.Contains("3DES", StringComparison.Ordinal))
            {
                weak.Add("3DES has a 64-bit block (Sweet32)");
            }

            if (name.Contains("_CBC_", StringComparison.Ordinal))
            {
                weak.Add("CBC mode (padding-oracle history; prefer GCM or ChaCha20-Poly1305)");
            }

            if (name.StartsWith("TLS_RSA_", StringComparison.Ordinal))
            {
                weak.Add("RSA key exchange: no forward secrecy");
            }
        }

        return weak;
    }
}
