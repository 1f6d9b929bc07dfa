using System.Globalization;
using Org.BouncyCastle.OpenSsl;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// xrdp instances configured like the servers the client profiles disagree on: TLS 1.0 only (at OpenSSL security
/// level 0, which xrdp needs to speak it), an RSA 1024 certificate at a low OpenSSL level, a SHA-1 signed
/// certificate, Standard RDP Security only at crypt_level low, and the defaults.
/// </summary>
public sealed class XrdpCompatFixture : IAsyncLifetime
{
    /// <summary>The configurations, by name, in the order the tests list them.</summary>
    public static readonly string[] Configurations = ["tls1.0-only", "rsa1024", "sha1-certificate", "standard-security-low", "default"];

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

        _directory = Directory.CreateTempSubdirectory("rdphs-xrdp-compat-").FullName;
        (string weakCert, string weakKey) = Write("rsa1024", TestCertificates.For(CertificateProfile.Rsa1024));
        (string sha1Cert, string sha1Key) = Write("sha1", TestCertificates.For(CertificateProfile.Sha1));

        await StartAsync("tls1.0-only", "negotiate", null, "ssl_protocols=TLSv1\ntls_ciphers=DEFAULT:@SECLEVEL=0");
        await StartAsync("rsa1024", "negotiate", null, $"tls_ciphers=DEFAULT:@SECLEVEL=0\ncertificate={weakCert}\nkey_file={weakKey}");
        await StartAsync("sha1-certificate", "negotiate", null, $"certificate={sha1Cert}\nkey_file={sha1Key}");
        await StartAsync("standard-security-low", "rdp", "low", string.Empty);
        await StartAsync("default", "negotiate", null, string.Empty);
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

    private async Task StartAsync(string name, string layer, string? cryptLevel, string globals)
    {
        string instance = $"compat-{name.Replace('.', '-')}-{_suffix}";
        for (int attempt = 0; ; attempt++)
        {
            int port = Peers.FreePort();
            try
            {
                string[] args = cryptLevel is null
                    ? ["start", instance, port.ToString(CultureInfo.InvariantCulture), layer]
                    : ["start", instance, port.ToString(CultureInfo.InvariantCulture), layer, cryptLevel];
                await Peers.RunScriptAsync("xrdp.sh", new Dictionary<string, string> { ["XRDP_GLOBALS"] = globals }, args);
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
