using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// xrdp instances configured like the servers the client profiles disagree on: TLS 1.0 only (at OpenSSL security
/// level 0, which xrdp needs to speak it), an RSA 1024 certificate at a low OpenSSL level, a SHA-1 signed
/// certificate, Standard RDP Security only at crypt_level low, and the defaults.
/// </summary>
public sealed class XrdpCompatFixture() : XrdpInstances("compat")
{
    /// <summary>The configurations, by name, in the order the tests list them.</summary>
    public static readonly string[] Configurations = ["tls1.0-only", "rsa1024", "sha1-certificate", "standard-security-low", "default"];

    protected override async Task StartInstancesAsync()
    {
        (string weakCert, string weakKey) = Write("rsa1024", TestCertificates.For(CertificateProfile.Rsa1024));
        (string sha1Cert, string sha1Key) = Write("sha1", TestCertificates.For(CertificateProfile.Sha1));

        await StartAsync("tls1.0-only", "negotiate", "ssl_protocols=TLSv1\ntls_ciphers=DEFAULT:@SECLEVEL=0");
        await StartAsync("rsa1024", "negotiate", $"tls_ciphers=DEFAULT:@SECLEVEL=0\ncertificate={weakCert}\nkey_file={weakKey}");
        await StartAsync("sha1-certificate", "negotiate", $"certificate={sha1Cert}\nkey_file={sha1Key}");
        await StartAsync("standard-security-low", "rdp", string.Empty, cryptLevel: "low");
        await StartAsync("default", "negotiate", string.Empty);
    }
}
