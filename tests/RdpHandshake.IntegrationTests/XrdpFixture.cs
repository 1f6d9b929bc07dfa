namespace RdpHandshake.IntegrationTests;

/// <summary>Three headless xrdp instances on loopback: security_layer negotiate, rdp and tls.</summary>
public sealed class XrdpFixture : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _started = [];

    public int NegotiatePort { get; private set; }

    public int RdpPort { get; private set; }

    public int TlsPort { get; private set; }

    public string? Unavailable { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (Peers.Which("xrdp") is null || Peers.Which("openssl") is null)
        {
            Unavailable = "xrdp or openssl";
            return;
        }

        NegotiatePort = await StartAsync("negotiate");
        RdpPort = await StartAsync("rdp");
        TlsPort = await StartAsync("tls");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (string name in _started)
        {
            await Peers.RunScriptAsync("xrdp.sh", "stop", name);
        }
    }

    /// <summary>Skips (or fails in CI) when xrdp could not be found.</summary>
    public void Require()
    {
        if (Unavailable is not null)
        {
            Peers.Require("xrdp", "openssl");
        }
    }

    private readonly Dictionary<string, Task<int>> _extra = [];

    /// <summary>The port of an instance with this security layer and crypt_level, started on first use.</summary>
    public Task<int> InstanceAsync(string layer, string cryptLevel)
    {
        lock (_extra)
        {
            string key = $"{layer}/{cryptLevel}";
            if (!_extra.TryGetValue(key, out Task<int>? port))
            {
                port = StartAsync(layer, cryptLevel);
                _extra[key] = port;
            }

            return port;
        }
    }

    /// <summary>Starts one more instance (e.g. <c>rdp</c> at a <c>crypt_level</c>); stopped with the others.</summary>
    public async Task<int> StartAsync(string layer, string? cryptLevel = null)
    {
        string name = $"it-{layer}{cryptLevel}-{_suffix}";
        for (int attempt = 0; ; attempt++)
        {
            int port = Peers.FreePort();
            try
            {
                string[] arguments = cryptLevel is null
                    ? ["start", name, port.ToString(System.Globalization.CultureInfo.InvariantCulture), layer]
                    : ["start", name, port.ToString(System.Globalization.CultureInfo.InvariantCulture), layer, cryptLevel];
                await Peers.RunScriptAsync("xrdp.sh", arguments);
                _started.Add(name);
                return port;
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                // Another process took the port between FreePort and xrdp's bind: try another.
            }
        }
    }
}
