using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// xrdp instances whose TLS is configured to fail in the ways the field sees: one TLS version only, one
/// cipher suite only, an expired certificate, a 1024-bit key, a key that does not belong to the
/// certificate, and a key file that cannot be read. Certificates are generated here with BouncyCastle.
/// </summary>
public sealed class XrdpTlsFixture() : XrdpInstances("tls")
{
    protected override async Task StartInstancesAsync()
    {
        (string cert, string key) = Write("default", TestCertificates.For(CertificateProfile.Default));
        (string expiredCert, string expiredKey) = Write("expired", TestCertificates.For(CertificateProfile.Expired));
        (string weakCert, string weakKey) = Write("rsa1024", TestCertificates.For(CertificateProfile.Rsa1024));
        (_, string otherKey) = Write("other", TestCertificates.Generate(CertificateProfile.Default, DateTime.UtcNow));

        await StartAsync("tls12", "negotiate", $"ssl_protocols=TLSv1.2\ncertificate={cert}\nkey_file={key}");
        await StartAsync("one-cipher", "negotiate", $"ssl_protocols=TLSv1.2\ntls_ciphers=AES256-GCM-SHA384\ncertificate={cert}\nkey_file={key}");
        await StartAsync("expired", "negotiate", $"certificate={expiredCert}\nkey_file={expiredKey}");
        await StartAsync("rsa1024", "negotiate", $"certificate={weakCert}\nkey_file={weakKey}");
        await StartAsync("mismatch", "negotiate", $"certificate={cert}\nkey_file={otherKey}");
        await StartAsync("no-key", "tls", $"certificate={cert}\nkey_file={Path.Combine(Directory, "missing-key.pem")}");
    }
}
