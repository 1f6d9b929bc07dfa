using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// A peer that runs while a test talks to it (Prometheus, <c>rdphs exporter</c>, <c>rdphs serve</c>): started with its
/// output collected, waited for by a line it prints, and stopped by its own pid (its process tree) when disposed.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Seen)> _waiting = [];

    private PeerProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>What it printed so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static PeerProcess Start(string fileName, IEnumerable<string> args, IDictionary<string, string>? environment = null)
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

        var process = new Process { StartInfo = info };
        var peer = new PeerProcess(process);
        process.OutputDataReceived += (_, line) => peer.Seen(line.Data);
        process.ErrorDataReceived += (_, line) => peer.Seen(line.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Starts the rdphs build under test (see <see cref="Peers.Rdphs"/>).</summary>
    public static PeerProcess Rdphs(params string[] args)
    {
        (string fileName, string[] prefix) = Peers.Rdphs;
        return Start(fileName, [.. prefix, .. args]);
    }

    /// <summary>Waits for a line that matches <paramref name="pattern"/>; fails with the output when the process ends first or time runs out.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var seen = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            foreach (string line in _output.ToString().Split('\n'))
            {
                if (regex.Match(line) is { Success: true } match)
                {
                    return match;
                }
            }

            _waiting.Add((regex, seen));
        }

        Task exited = _process.WaitForExitAsync();
        Task done = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (done == seen.Task)
        {
            return await seen.Task;
        }

        throw new InvalidOperationException($"{_process.StartInfo.FileName} {(done == exited ? "exited" : "printed nothing like that in time")} while waiting for /{pattern}/:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }

        _process.Dispose();
    }

    private void Seen(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            foreach ((Regex pattern, TaskCompletionSource<Match> seen) in _waiting)
            {
                if (pattern.Match(line) is { Success: true } match)
                {
                    seen.TrySetResult(match);
                }
            }
        }
    }
}
