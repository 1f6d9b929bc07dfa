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

    private async Task<int> StartAsync(string layer)
    {
        string name = $"it-{layer}-{_suffix}";
        for (int attempt = 0; ; attempt++)
        {
            int port = Peers.FreePort();
            try
            {
                await Peers.RunScriptAsync("xrdp.sh", "start", name, port.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
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
