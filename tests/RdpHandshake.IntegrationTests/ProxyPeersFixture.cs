using System.Globalization;
using System.Security.Cryptography;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// Real proxies on loopback, started in the foreground and stopped by pid: Debian's dante (<c>danted -f FILE</c>) without
/// authentication and with RFC 1929 username authentication, and tinyproxy (<c>tinyproxy -d -c FILE</c>) open and with
/// Basic authentication; both allow CONNECT only to the ports the tests name (a deny rule for every other port).
/// </summary>
/// <remarks>
/// dante's <c>socksmethod: username</c> checks the user and password against the system's accounts (getpwnam and the
/// shadow file, no PAM), so the fixture gives a dedicated system account, <see cref="SocksUser"/>, a fresh random
/// password for the run; that needs root (as install.sh does), and the tests that need it skip (fail in CI) without.
/// </remarks>
public sealed class ProxyPeersFixture : IAsyncLifetime
{
    /// <summary>The system account dante's username method checks.</summary>
    public const string SocksUser = "rdphs-proxy-test";

    /// <summary>The tinyproxy BasicAuth user.</summary>
    public const string HttpUser = "rdphs";

    private readonly List<PeerProcess> _peers = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"rdphs-proxies-{Guid.NewGuid():N}");

    /// <summary>A port nothing listens on, allowed through every proxy: the server "behind" it refuses.</summary>
    public int ClosedPort { get; } = Peers.FreePort();

    /// <summary>A port every proxy refuses to connect to.</summary>
    public int DeniedPort { get; } = Peers.FreePort();

    public int DantePort { get; private set; }

    public int DanteAuthPort { get; private set; }

    public int TinyproxyPort { get; private set; }

    public int TinyproxyAuthPort { get; private set; }

    /// <summary>The password of <see cref="SocksUser"/> for this run.</summary>
    public string SocksPassword { get; } = "Socks-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The BasicAuth password of <see cref="HttpUser"/> for this run.</summary>
    public string HttpPassword { get; } = "Http-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Why the username-authenticating dante could not start (not root, no useradd), or null.</summary>
    public string? NoSocksUser { get; private set; }

    private string? _missing;

    private int _rdpPort;

    /// <summary>Starts the proxies, allowing CONNECT to <paramref name="rdpPort"/> (the real server behind them) and to <see cref="ClosedPort"/>.</summary>
    public async Task StartAsync(int rdpPort)
    {
        if (DantePort != 0)
        {
            return;
        }

        _rdpPort = rdpPort;
        if (Peers.Which("danted") is null || Peers.Which("tinyproxy") is null)
        {
            _missing = "danted or tinyproxy";
            return;
        }

        Directory.CreateDirectory(_directory);
        DantePort = await StartDanteAsync("none");
        NoSocksUser = await CreateSocksUserAsync();
        if (NoSocksUser is null)
        {
            DanteAuthPort = await StartDanteAsync("username");
        }

        TinyproxyPort = await StartTinyproxyAsync(null);
        TinyproxyAuthPort = await StartTinyproxyAsync($"BasicAuth {HttpUser} {HttpPassword}");
    }

    /// <summary>Skips (or fails in CI) when dante or tinyproxy is missing.</summary>
    public void Require()
    {
        if (_missing is not null)
        {
            Peers.Require("danted", "tinyproxy");
        }
    }

    /// <summary>Skips (or fails in CI) when the system account for dante's username method could not be set up.</summary>
    public void RequireSocksUser()
    {
        Require();
        if (NoSocksUser is not null)
        {
            string message = $"REAL PEER MISSING: dante with username authentication needs a system account: {NoSocksUser}";
            if (Peers.InCi)
            {
                Assert.Fail(message);
            }

            Assert.Skip(message);
        }
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (PeerProcess peer in _peers)
        {
            await peer.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp cleaner.
        }
    }

    private async Task<int> StartDanteAsync(string method)
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = Peers.FreePort();
            string config = Path.Combine(_directory, $"danted-{method}.conf");
            // A block rule for the denied port, then CONNECT to anything else on loopback.
            File.WriteAllText(config, $$"""
                logoutput: stderr
                internal: 127.0.0.1 port = {{port}}
                external: 127.0.0.1
                clientmethod: none
                socksmethod: {{method}}
                user.privileged: root
                user.unprivileged: nobody
                client pass {
                  from: 127.0.0.0/8 to: 0.0.0.0/0
                }
                socks block {
                  from: 0.0.0.0/0 to: 127.0.0.1/32 port = {{DeniedPort}}
                }
                socks pass {
                  from: 127.0.0.0/8 to: 0.0.0.0/0
                  command: connect
                }
                """);
            PeerProcess dante = PeerProcess.Start("danted", ["-f", config]);
            try
            {
                await dante.WaitForLineAsync("running", TimeSpan.FromSeconds(20));
                _peers.Add(dante);
                return port;
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                // The port was taken between FreePort and dante's bind: another one.
                await dante.DisposeAsync();
            }
        }
    }

    private async Task<int> StartTinyproxyAsync(string? authentication)
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = Peers.FreePort();
            string config = Path.Combine(_directory, $"tinyproxy-{port}.conf");
            // ConnectPort lists the only ports CONNECT may reach: every other one (DeniedPort) gets 403.
            File.WriteAllText(config, string.Join('\n',
            [
                $"Port {port}",
                "Listen 127.0.0.1",
                "Timeout 30",
                "MaxClients 20",
                "Allow 127.0.0.1",
                $"ConnectPort {_rdpPort.ToString(CultureInfo.InvariantCulture)}",
                $"ConnectPort {ClosedPort.ToString(CultureInfo.InvariantCulture)}",
                "LogLevel Info",
                .. authentication is null ? Array.Empty<string>() : [authentication],
                string.Empty,
            ]));
            PeerProcess tinyproxy = PeerProcess.Start("tinyproxy", ["-d", "-c", config]);
            try
            {
                await tinyproxy.WaitForLineAsync("Accepting connections", TimeSpan.FromSeconds(20));
                _peers.Add(tinyproxy);
                return port;
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                await tinyproxy.DisposeAsync();
            }
        }
    }

    /// <summary>Makes <see cref="SocksUser"/> a system account with <see cref="SocksPassword"/>; why not, or null.</summary>
    private async Task<string?> CreateSocksUserAsync()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return "the tests do not run as root";
        }

        if (Peers.Which("useradd") is null || Peers.Which("chpasswd") is null)
        {
            return "useradd or chpasswd is missing";
        }

        ProcessResult exists = await Peers.RunAsync("id", [SocksUser], TimeSpan.FromSeconds(10));
        if (exists.ExitCode != 0)
        {
            ProcessResult added = await Peers.RunAsync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SocksUser], TimeSpan.FromSeconds(20));
            if (added.ExitCode != 0 && (await Peers.RunAsync("id", [SocksUser], TimeSpan.FromSeconds(10))).ExitCode != 0)
            {
                return $"useradd failed: {added.StdErr.Trim()}";
            }
        }

        string passwordFile = Path.Combine(_directory, "chpasswd");
        await File.WriteAllTextAsync(passwordFile, $"{SocksUser}:{SocksPassword}\n");
        ProcessResult set = await Peers.RunAsync("bash", ["-c", $"chpasswd < '{passwordFile}'"], TimeSpan.FromSeconds(20));
        File.Delete(passwordFile);
        return set.ExitCode == 0 ? null : $"chpasswd failed: {set.StdErr.Trim()}";
    }
}
