using System.Globalization;
using Org.BouncyCastle.OpenSsl;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// xrdp instances whose TLS is configured to fail in the ways the field sees: one TLS version only, one
/// cipher suite only, an expired certificate, a 1024-bit key, a key that does not belong to the
/// certificate, and a key file that cannot be read. Certificates are generated here with BouncyCastle.
/// </summary>
public sealed class XrdpTlsFixture : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _started = [];
    private readonly Dictionary<string, int> _ports = [];
    private string? _directory;

    public bool Available { get; private set; }

    public int Port(string name) => _ports[name];

    public async ValueTask InitializeAsync()
    {
        if (Peers.Which("xrdp") is null || Peers.Which("openssl") is null)
        {
            return;
        }

        _directory = Directory.CreateTempSubdirectory("rdphs-xrdp-tls-").FullName;
        (string cert, string key) = Write("default", TestCertificates.For(CertificateProfile.Default));
        (string expiredCert, string expiredKey) = Write("expired", TestCertificates.For(CertificateProfile.Expired));
        (string weakCert, string weakKey) = Write("rsa1024", TestCertificates.For(CertificateProfile.Rsa1024));
        (_, string otherKey) = Write("other", TestCertificates.Generate(CertificateProfile.Default, DateTime.UtcNow));

        await StartAsync("tls12", "negotiate", $"ssl_protocols=TLSv1.2\ncertificate={cert}\nkey_file={key}");
        await StartAsync("one-cipher", "negotiate", $"ssl_protocols=TLSv1.2\ntls_ciphers=AES256-GCM-SHA384\ncertificate={cert}\nkey_file={key}");
        await StartAsync("expired", "negotiate", $"certificate={expiredCert}\nkey_file={expiredKey}");
        await StartAsync("rsa1024", "negotiate", $"certificate={weakCert}\nkey_file={weakKey}");
        await StartAsync("mismatch", "negotiate", $"certificate={cert}\nkey_file={otherKey}");
        await StartAsync("no-key", "tls", $"certificate={cert}\nkey_file={Path.Combine(_directory, "missing-key.pem")}");
        Available = true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (string name in _started)
        {
            await Peers.RunScriptAsync("xrdp.sh", "stop", name);
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    public void Require()
    {
        if (!Available)
        {
            Peers.Require("xrdp", "openssl");
        }
    }

    private (string Certificate, string Key) Write(string name, ServerCertificate certificate)
    {
        string certPath = Path.Combine(_directory!, $"{name}-cert.pem");
        string keyPath = Path.Combine(_directory!, $"{name}-key.pem");
        using (var writer = new StreamWriter(certPath))
        {
            new PemWriter(writer).WriteObject(certificate.Certificate);
        }

        using (var writer = new StreamWriter(keyPath))
        {
            new PemWriter(writer).WriteObject(certificate.PrivateKey);
        }

        return (certPath, keyPath);
    }

    private async Task StartAsync(string name, string layer, string globals)
    {
        string instance = $"tls-{name}-{_suffix}";
        for (int attempt = 0; ; attempt++)
        {
            int port = Peers.FreePort();
            try
            {
                await Peers.RunScriptAsync("xrdp.sh", new Dictionary<string, string> { ["XRDP_GLOBALS"] = globals }, "start", instance, port.ToString(CultureInfo.InvariantCulture), layer);
                _started.Add(instance);
                _ports[name] = port;
                return;
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                // The port was taken between FreePort and xrdp's bind: try another.
            }
        }
    }
}
