using System.Globalization;
using Org.BouncyCastle.OpenSsl;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// A set of xrdp instances, each configured by its own <c>xrdp.ini</c> globals and started on a free loopback port by
/// <c>tests/peers/xrdp.sh</c>, with the certificates they name written to a directory of their own. A fixture derives
/// from it and starts its instances in <see cref="StartInstancesAsync"/>; all are stopped when it is disposed.
/// </summary>
public abstract class XrdpInstances(string prefix) : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _started = [];
    private readonly Dictionary<string, int> _ports = [];
    private string? _directory;

    public bool Available { get; private set; }

    public int Port(string name) => _ports[name];

    /// <summary>The directory the instances' files are written to.</summary>
    protected string Directory => _directory ?? throw new InvalidOperationException("the instances have not been started");

    public async ValueTask InitializeAsync()
    {
        if (Peers.Which("xrdp") is null || Peers.Which("openssl") is null)
        {
            return;
        }

        _directory = System.IO.Directory.CreateTempSubdirectory($"rdphs-xrdp-{prefix}-").FullName;
        await StartInstancesAsync();
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
            System.IO.Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    public void Require()
    {
        if (!Available)
        {
            Peers.Require("xrdp", "openssl");
        }
    }

    /// <summary>Starts the fixture's instances with <see cref="StartAsync"/>.</summary>
    protected abstract Task StartInstancesAsync();

    /// <summary>Writes <paramref name="certificate"/> and its key as PEM files named after <paramref name="name"/>.</summary>
    protected (string Certificate, string Key) Write(string name, ServerCertificate certificate)
    {
        string certPath = Path.Combine(Directory, $"{name}-cert.pem");
        string keyPath = Path.Combine(Directory, $"{name}-key.pem");
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

    /// <summary>
    /// Starts the instance <paramref name="name"/> with the security layer <paramref name="layer"/>, the Standard
    /// RDP Security <paramref name="cryptLevel"/> when given, and <paramref name="globals"/> added to its xrdp.ini.
    /// </summary>
    protected async Task StartAsync(string name, string layer, string globals, string? cryptLevel = null)
    {
        string instance = $"{prefix}-{name.Replace('.', '-')}-{_suffix}";
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
