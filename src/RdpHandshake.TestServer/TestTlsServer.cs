using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace RdpHandshake.TestServer;

/// <summary>The BouncyCastle TLS server of the test server: configured versions, suites and certificate.</summary>
internal sealed class TestTlsServer(BcTlsCrypto crypto, ServerCertificate certificate, IReadOnlyList<RdpHandshake.Protocol.Tls.TlsVersion> versions, IReadOnlyList<int>? cipherSuites)
    : DefaultTlsServer(crypto)
{
    public ProtocolVersion? NegotiatedVersion { get; private set; }

    public int? NegotiatedCipherSuite { get; private set; }

    public short? AlertRaised { get; private set; }

    /// <summary>Why the server raised its alert, with the underlying error when there is one.</summary>
    public string? AlertReason { get; private set; }

    protected override ProtocolVersion[] GetSupportedVersions() => [.. versions.Select(v => ProtocolVersion.Get((int)v >> 8, (int)v & 0xFF))];

    private bool SignsWithEcdsa => certificate.PrivateKey is ECPrivateKeyParameters;

    // With an ECDSA key only the ECDHE_ECDSA suites (and TLS 1.3's, which name no key exchange) can be served.
    protected override int[] GetSupportedCipherSuites() =>
        cipherSuites is not null ? TlsUtilities.GetSupportedCipherSuites(Crypto, [.. cipherSuites])
        : SignsWithEcdsa ? TlsUtilities.GetSupportedCipherSuites(Crypto, EcdsaSuites)
        : base.GetSupportedCipherSuites();

    private static readonly int[] EcdsaSuites =
    [
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    ];

    // Windows and xrdp servers keep answering clients that lack the renegotiation_info extension.
    public override void NotifySecureRenegotiation(bool secureRenegotiation)
    {
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause)
    {
        AlertRaised = alertDescription;
        AlertReason = cause is null ? message : $"{message}: {cause.GetType().Name}: {cause.Message}";
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        NegotiatedVersion = m_context.SecurityParameters.NegotiatedVersion;
        NegotiatedCipherSuite = m_context.SecurityParameters.CipherSuite;
    }

    // DefaultTlsServer selects credentials only up to TLS 1.2; in TLS 1.3 the server signs with its own key.
    public override TlsCredentials GetCredentials() =>
        !TlsUtilities.IsTlsV13(m_context.ServerVersion) ? base.GetCredentials()
        : SignsWithEcdsa ? GetECDsaSignerCredentials()
        : GetRsaSignerCredentials();

    protected override TlsCredentialedSigner GetECDsaSignerCredentials()
    {
        // P-256 with SHA-256 is the one ECDSA scheme this key signs with (RFC 8446 4.2.3 ties the curve to the hash in 1.3).
        SignatureAndHashAlgorithm scheme = SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);
        if (TlsUtilities.IsSignatureAlgorithmsExtensionAllowed(m_context.ServerVersion)
            && !(m_context.SecurityParameters.ClientSigAlgs ?? []).Contains(scheme))
        {
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "the client does not offer ecdsa_secp256r1_sha256");
        }

        SignatureAndHashAlgorithm? algorithm = TlsUtilities.IsSignatureAlgorithmsExtensionAllowed(m_context.ServerVersion) ? scheme : null;
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), crypto, certificate.PrivateKey, Chain(), algorithm);
    }

    protected override TlsCredentialedSigner GetRsaSignerCredentials()
    {
        SignatureAndHashAlgorithm? algorithm = null;
        if (TlsUtilities.IsSignatureAlgorithmsExtensionAllowed(m_context.ServerVersion))
        {
            // Pick the first RSA scheme the client offered; TLS 1.3 allows only the PSS ones.
            bool tls13 = TlsUtilities.IsTlsV13(m_context.ServerVersion);
            foreach (SignatureAndHashAlgorithm offered in m_context.SecurityParameters.ClientSigAlgs ?? [])
            {
                bool pss = offered.Signature is SignatureAlgorithm.rsa_pss_rsae_sha256 or SignatureAlgorithm.rsa_pss_rsae_sha384 or SignatureAlgorithm.rsa_pss_rsae_sha512;
                if (pss || (!tls13 && offered.Signature == SignatureAlgorithm.rsa))
                {
                    algorithm = offered;
                    break;
                }
            }

            if (algorithm is null)
            {
                throw new TlsFatalAlert(AlertDescription.handshake_failure, "the client offers no RSA signature scheme");
            }
        }

        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), crypto, certificate.PrivateKey, Chain(), algorithm);
    }

    protected override TlsCredentialedDecryptor GetRsaEncryptionCredentials() =>
        new BcDefaultTlsCredentialedDecryptor(crypto, Chain(), certificate.PrivateKey);

    private Certificate Chain()
    {
        TlsCertificate tlsCertificate = new BcTlsCertificate(crypto, certificate.Der);
        return TlsUtilities.IsTlsV13(m_context.ServerVersion)
            ? new Certificate(TlsUtilities.EmptyBytes, [new CertificateEntry(tlsCertificate, null)])
            : new Certificate([tlsCertificate]);
    }
}
