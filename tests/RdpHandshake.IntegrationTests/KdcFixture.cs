using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// An MIT Kerberos realm on loopback for the Kerberos NLA tests (tests/peers/kdc.sh): the realm RDPHS.TEST in a
/// directory of its own, its KDC (UDP and TCP on one 127.0.0.1 port), the service keytab of TERMSRV/localhost and
/// TERMSRV/127.0.0.1, a stale copy of it, and a second KDC of the same realm whose clock runs an hour ahead, started
/// on first use. The users (passwords in <see cref="Password"/>): alice (AES and RC4 keys), locked (KDC_ERR_CLIENT_REVOKED),
/// expired (KDC_ERR_KEY_EXPIRED), aesonly (one aes256-cts-hmac-sha1-96 key), rc4only (one rc4-hmac key); every user
/// requires pre-authentication. The KDCs are stopped by pid on dispose and the directory removed.
/// </summary>
public sealed class KdcFixture : IAsyncLifetime
{
    /// <summary>The programs the realm needs (Debian: krb5-kdc, krb5-admin-server, krb5-user).</summary>
    public static readonly string[] Programs = ["krb5kdc", "kdb5_util", "kadmin.local", "kinit", "kvno", "klist", "ktutil"];

    public const string DefaultRealm = "RDPHS.TEST";

    /// <summary>The service principal an RDP client asks a ticket for when it connects to <c>localhost</c>.</summary>
    public const string LocalhostService = "TERMSRV/localhost";

    private readonly List<Process> _kdcs = [];
    private readonly Dictionary<string, string> _passwords = [];
    private readonly SemaphoreSlim _serviceGate = new(1, 1);
    private Task<SkewedKdc>? _skewed;

    public string Realm => DefaultRealm;

    /// <summary>The realm's directory (krb5.conf, kdc.conf, the database, keytabs, passwords, kdc.log).</summary>
    public string RealmDirectory { get; private set; } = string.Empty;

    /// <summary>The KDC's port on 127.0.0.1, UDP and TCP.</summary>
    public int Port { get; private set; }

    /// <summary>The client profile (KRB5_CONFIG) that names this KDC.</summary>
    public string Krb5ConfPath { get; private set; } = string.Empty;

    /// <summary>The keys of TERMSRV/localhost and TERMSRV/127.0.0.1 as the KDC has them: the RDP server's keytab.</summary>
    public string KeytabPath => Path.Combine(RealmDirectory, "termsrv.keytab");

    /// <summary>The same principals and kvno with other keys: an acceptor with it cannot decrypt the tickets.</summary>
    public string StaleKeytabPath => Path.Combine(RealmDirectory, "stale.keytab");

    /// <summary>The KDC's log (one line per AS-REQ and TGS-REQ, with the outcome).</summary>
    public string LogPath => Path.Combine(RealmDirectory, "kdc.log");

    /// <summary>What is missing when the realm could not be set up, else null.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>The environment for an MIT tool (kinit, kvno, klist) run as a child process against this realm.</summary>
    public IReadOnlyDictionary<string, string> ToolEnvironment(string? ccache = null, string? krb5Conf = null)
    {
        var environment = new Dictionary<string, string> { ["KRB5_CONFIG"] = krb5Conf ?? Krb5ConfPath };
        if (ccache is not null)
        {
            environment["KRB5CCNAME"] = "FILE:" + ccache;
        }

        return environment;
    }

    public async ValueTask InitializeAsync()
    {
        string[] missing = Programs.Where(p => Peers.Which(p) is null).ToArray();
        if (missing.Length > 0)
        {
            Unavailable = string.Join(", ", missing);
            return;
        }

        string peers = Environment.GetEnvironmentVariable("RDPHS_PEER_DIR") is { Length: > 0 } dir ? dir : "/tmp/rdphs-peers";
        RealmDirectory = Path.Combine(peers, $"kdc-{Guid.NewGuid():N}"[..12]);
        Directory.CreateDirectory(RealmDirectory);
        int setupPort = Peers.FreePort();
        await Peers.RunScriptAsync("kdc.sh", "setup", RealmDirectory, setupPort.ToString(CultureInfo.InvariantCulture), Realm);
        foreach (string line in await File.ReadAllLinesAsync(Path.Combine(RealmDirectory, "passwords")))
        {
            string[] fields = line.Split(' ', 2);
            _passwords[fields[0]] = fields[1];
        }

        (Port, Krb5ConfPath) = await StartKdcAsync(offset: null, setupPort);
    }

    public async ValueTask DisposeAsync()
    {
        if (_skewed is not null)
        {
            await _skewed.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        foreach (Process kdc in _kdcs)
        {
            try
            {
                if (!kdc.HasExited)
                {
                    kdc.Kill();
                    await kdc.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
                // It already exited.
            }

            kdc.Dispose();
        }

        if (RealmDirectory.Length > 0 && Directory.Exists(RealmDirectory))
        {
            Directory.Delete(RealmDirectory, recursive: true);
        }
    }

    /// <summary>Skips (or fails in CI) when the MIT Kerberos programs are missing.</summary>
    public void Require()
    {
        if (Unavailable is not null)
        {
            Peers.Require(Programs);
        }
    }

    /// <summary>The password kdc.sh chose for <paramref name="user"/> (alice, locked, expired, aesonly, rc4only).</summary>
    public string Password(string user) =>
        _passwords.TryGetValue(user, out string? password) ? password : throw new ArgumentException($"no such user in the realm: {user}", nameof(user));

    /// <summary>
    /// A second KDC of this realm (same database, keys and passwords) on another port, whose clock runs an hour ahead
    /// (krb5kdc -T 3600): it answers a pre-authenticated AS-REQ with KRB_AP_ERR_SKEW. Started on first use.
    /// </summary>
    public Task<SkewedKdc> SkewedAsync()
    {
        lock (_kdcs)
        {
            return _skewed ??= StartSkewedAsync();
        }
    }

    /// <summary>
    /// Runs kinit for <paramref name="user"/> with <paramref name="password"/> on stdin into the cache
    /// <paramref name="ccache"/>, with KRB5_TRACE on stderr (the KDC's errors appear there as
    /// "Received error from KDC: CODE/MESSAGE"). <paramref name="krb5Conf"/> picks another KDC (the skewed one).
    /// </summary>
    internal Task<ProcessResult> KinitAsync(string user, string password, string ccache, string? krb5Conf = null) =>
        RunAsync("kinit", [$"{user}@{Realm}"], password + "\n", ToolEnvironment(ccache, krb5Conf));

    /// <summary>
    /// kinit as <paramref name="user"/>, then kvno <paramref name="service"/>: a cache at <paramref name="ccache"/>
    /// holding the TGT and the service ticket, for <see cref="GssInitiator"/> (which then needs no KDC). Fails the
    /// test when either step fails.
    /// </summary>
    public async Task GetServiceTicketAsync(string user, string ccache, string service = LocalhostService)
    {
        ProcessResult kinit = await KinitAsync(user, Password(user), ccache);
        Assert.True(kinit.ExitCode == 0, $"kinit {user}: {kinit}");
        ProcessResult kvno = await RunAsync("kvno", [$"{service}@{Realm}"], null, ToolEnvironment(ccache));
        Assert.True(kvno.ExitCode == 0, $"kvno {service}: {kvno}");
    }

    /// <summary>Adds a user with the given password (once; a second call for the same name is a no-op), pre-authentication required.</summary>
    public async Task AddUserAsync(string user, string password)
    {
        var environment = new Dictionary<string, string>(ToolEnvironment()) { ["KRB5_KDC_PROFILE"] = Path.Combine(RealmDirectory, "kdc.conf") };
        ProcessResult exists = await RunAsync("kadmin.local", ["-r", Realm, "-q", $"getprinc {user}"], null, environment);
        if (exists.StdOut.Contains($"Principal: {user}@", StringComparison.Ordinal))
        {
            return;
        }

        ProcessResult added = await RunAsync("kadmin.local", ["-r", Realm, "-q", $"addprinc -pw {password} +requires_preauth {user}"], null, environment);
        Assert.True(added.ExitCode == 0 && !added.StdErr.Contains("while", StringComparison.Ordinal), $"kadmin.local addprinc {user}: {added}");
    }

    /// <summary>
    /// Adds the service principal <paramref name="service"/> (e.g. <c>HTTP/localhost</c>) with random keys, once, and
    /// writes its keys to a keytab of its own in the realm's directory; returns the keytab's path.
    /// </summary>
    public async Task<string> AddServiceAsync(string service)
    {
        string keytab = Path.Combine(RealmDirectory, $"{service.Replace('/', '_')}.keytab");
        var environment = new Dictionary<string, string>(ToolEnvironment()) { ["KRB5_KDC_PROFILE"] = Path.Combine(RealmDirectory, "kdc.conf") };
        await _serviceGate.WaitAsync();
        try
        {
            if (File.Exists(keytab))
            {
                return keytab;
            }

            ProcessResult added = await RunAsync("kadmin.local", ["-r", Realm, "-q", $"addprinc -randkey {service}"], null, environment);
            Assert.True(added.ExitCode == 0 && !added.StdErr.Contains("while", StringComparison.Ordinal), $"kadmin.local addprinc {service}: {added}");
            ProcessResult written = await RunAsync("kadmin.local", ["-r", Realm, "-q", $"ktadd -k {keytab} {service}"], null, environment);
            Assert.True(written.ExitCode == 0 && File.Exists(keytab), $"kadmin.local ktadd {service}: {written}");
            return keytab;
        }
        finally
        {
            _serviceGate.Release();
        }
    }

    /// <summary>Runs an MIT tool with this realm's KRB5_CONFIG and trace, optional stdin, within 30 s.</summary>
    internal static async Task<ProcessResult> RunAsync(string program, IEnumerable<string> args, string? input, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach ((string key, string value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["KRB5_TRACE"] = "/dev/stderr";
        var watch = Stopwatch.StartNew();
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The tool exited before reading its input (kinit for an account the KDC refuses before any password is
            // asked): its exit code and output say what happened.
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        bool timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill();
            await process.WaitForExitAsync();
        }

        return new ProcessResult(timedOut ? -1 : process.ExitCode, await stdout, await stderr, watch.Elapsed, timedOut);
    }

    private async Task<SkewedKdc> StartSkewedAsync()
    {
        (int port, string krb5Conf) = await StartKdcAsync("+1h", Peers.FreePort());
        return new SkewedKdc(port, krb5Conf, TimeSpan.FromHours(1));
    }

    /// <summary>
    /// Starts a KDC of the realm (kdc.sh start execs krb5kdc, so the child's pid is the KDC's) and waits until its TCP
    /// port accepts a connection; on a port taken meanwhile it tries another.
    /// </summary>
    private async Task<(int Port, string Krb5Conf)> StartKdcAsync(string? offset, int port)
    {
        for (int attempt = 0; ; attempt++)
        {
            var info = new ProcessStartInfo("bash")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { Path.Combine(Peers.PeersDirectory, "kdc.sh"), "start", RealmDirectory, offset ?? "0", port.ToString(CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(arg);
            }

            var output = new StringBuilder();
            var kdc = Process.Start(info) ?? throw new InvalidOperationException("cannot start kdc.sh");
            kdc.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            kdc.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            kdc.BeginOutputReadLine();
            kdc.BeginErrorReadLine();
            kdc.StandardInput.Close();
            lock (_kdcs)
            {
                _kdcs.Add(kdc);
            }

            string? failure = await WaitForKdcAsync(kdc, port);
            if (failure is null)
            {
                string krb5Conf = Path.Combine(RealmDirectory, "krb5.conf");
                string perPort = Path.Combine(RealmDirectory, $"krb5-{port}.conf");
                return (port, File.Exists(perPort) ? perPort : krb5Conf);
            }

            if (attempt >= 2)
            {
                lock (output)
                {
                    throw new InvalidOperationException($"the KDC (kdc.sh start {RealmDirectory} {offset ?? "0"} {port}) {failure}:\n{output}");
                }
            }

            port = Peers.FreePort();
        }
    }

    private static async Task<string?> WaitForKdcAsync(Process kdc, int port)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (kdc.HasExited)
            {
                return $"exited with {kdc.ExitCode}";
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return null;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        kdc.Kill();
        return "did not listen within 10 s";
    }
}

/// <summary>A KDC of the fixture's realm whose clock is <see cref="Offset"/> ahead; <see cref="Krb5ConfPath"/> names it.</summary>
public sealed record SkewedKdc(int Port, string Krb5ConfPath, TimeSpan Offset);
