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

    protected override int[] GetSupportedCipherSuites() =>
        cipherSuites is null ? base.GetSupportedCipherSuites() : TlsUtilities.GetSupportedCipherSuites(Crypto, [.. cipherSuites]);

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

    // DefaultTlsServer selects credentials only up to TLS 1.2; in TLS 1.3 the server signs with its RSA key.
    public override TlsCredentials GetCredentials() =>
        TlsUtilities.IsTlsV13(m_context.ServerVersion) ? GetRsaSignerCredentials() : base.GetCredentials();

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
