using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RdpHandshake.Cli;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// Real peers from Debian packages, started by the scripts in tests/peers. A missing peer fails the run under
/// CI=true and skips the test loudly elsewhere.
/// </summary>
internal static class Peers
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string PeersDirectory => Path.Combine(RepositoryRoot, "tests", "peers");

    /// <summary>Skips (or, in CI, fails) unless every named program is on the PATH.</summary>
    public static void Require(params string[] programs)
    {
        string[] missing = programs.Where(p => Which(p) is null).ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        string message = $"REAL PEER MISSING: {string.Join(", ", missing)} not found on PATH; run ./test.sh (it installs xrdp, freerdp2-x11 and xvfb) to run this test";
        if (InCi)
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
    }

    /// <summary>
    /// Fails with a plain reason when this process was started with <paramref name="signal"/> ignored (SIGHUP under
    /// nohup, SIGINT and SIGQUIT for a background job of a shell without job control): the processes a test starts
    /// inherit that, and .NET keeps a signal ignored that was ignored at start, so sending it would prove nothing.
    /// </summary>
    public static void RequireSignalNotIgnored(string name, int signal)
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        if (line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0)
        {
            Assert.Fail($"SIG{name} is ignored in the test process (started under nohup, or as a background job without job control); start the tests with it at its default");
        }
    }

    public static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Runs a peer script and fails with its output when it fails.</summary>
    public static Task RunScriptAsync(string script, params string[] args) => RunScriptAsync(script, null, args);

    public static async Task RunScriptAsync(string script, IDictionary<string, string>? environment, params string[] args)
    {
        ProcessResult result = await RunAsync("bash", [Path.Combine(PeersDirectory, script), .. args], TimeSpan.FromSeconds(60), environment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
        }
    }

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> args,
        TimeSpan timeout,
        IDictionary<string, string>? environment = null,
        Func<string, bool>? onStdErrLine = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        process.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        Task readOut = Task.Run(async () => stdout.Append(await process.StandardOutput.ReadToEndAsync()));
        Task readErr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                stderr.AppendLine(line);
                onStdErrLine?.Invoke(line);
            }
        });

        var watch = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await Task.WhenAll(readOut, readErr);
            return new ProcessResult(-1, stdout.ToString(), stderr.ToString(), watch.Elapsed, TimedOut: true);
        }

        await Task.WhenAll(readOut, readErr);
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString(), watch.Elapsed, TimedOut: false);
    }

    /// <summary>
    /// The rdphs build under test: the one built next to the tests, or the one <c>RDPHS_CLI</c> names (an
    /// <c>rdphs.dll</c>, run with dotnet, or an executable such as a NativeAOT build).
    /// </summary>
    public static (string FileName, string[] Prefix) Rdphs
    {
        get
        {
            string path = Environment.GetEnvironmentVariable("RDPHS_CLI") is { Length: > 0 } chosen
                ? Path.GetFullPath(chosen)
                : Path.Combine(AppContext.BaseDirectory, "rdphs.dll");
            return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ("dotnet", [path]) : (path, []);
        }
    }

    /// <summary>Runs the rdphs CLI as a separate process.</summary>
    public static Task<ProcessResult> RdphsAsync(TimeSpan timeout, params string[] args) => RdphsAsync(timeout, null, args);

    /// <summary>Runs the rdphs CLI as a separate process with more environment variables.</summary>
    public static Task<ProcessResult> RdphsAsync(TimeSpan timeout, IDictionary<string, string>? environment, params string[] args)
    {
        (string fileName, string[] prefix) = Rdphs;
        return RunAsync(fileName, [.. prefix, .. args], timeout, environment);
    }

    /// <summary>
    /// Runs the rdphs CLI in a pseudo-terminal (util-linux <c>script</c>), as a person at a terminal runs it: stdout and
    /// stderr are the terminal, and what it wrote comes back as one stream, escape sequences included.
    /// </summary>
    public static Task<ProcessResult> RdphsInTerminalAsync(TimeSpan timeout, int columns, params string[] args)
    {
        Require("script");
        (string fileName, string[] prefix) = Rdphs;
        string command = $"stty cols {columns} rows 50; exec {string.Join(' ', new[] { fileName }.Concat(prefix).Concat(args).Select(ShellQuote))}";
        return RunAsync("script", ["--quiet", "--flush", "--return", "--command", command, "/dev/null"], timeout,
            new Dictionary<string, string> { ["TERM"] = "xterm", ["NO_COLOR"] = string.Empty });
    }

    private static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RdpHandshake.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("RdpHandshake.sln not found above the test directory");
    }
}

internal sealed record ProcessResult(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed, bool TimedOut)
{
    public override string ToString() => $"exit {ExitCode}{(TimedOut ? " (timed out)" : string.Empty)}\nstdout:\n{StdOut}\nstderr:\n{StdErr}";
}
