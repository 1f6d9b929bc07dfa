using System.Diagnostics;

namespace RdpHandshake.Fuzz;

/// <summary>
/// Catches an input that keeps an oracle running. Under afl-fuzz a run past its time limit is killed, and in
/// SharpFuzz's persistent mode the process killed is the fork server itself, so afl-fuzz stops ("Unable to communicate
/// with fork server") without saving what hung. The watchdog looks at the running input four times a second; one
/// that has run longer than the limit (below afl-fuzz's) is written to the hangs directory and the process exits, so
/// the runner can say which input hung.
/// </summary>
public sealed class HangWatchdog
{
    /// <summary>The exit code of a process the watchdog ended.</summary>
    public const int ExitCode = 86;

    private readonly string _target;
    private readonly TimeSpan _limit;
    private readonly string _directory;
    private byte[]? _input;
    private long _started;

    private HangWatchdog(string target, TimeSpan limit, string directory)
    {
        _target = target;
        _limit = limit;
        _directory = directory;
    }

    /// <summary>Starts watching, or returns null when no directory is given (runs outside fuzz/run.sh).</summary>
    public static HangWatchdog? Start(string target, TimeSpan limit, string? directory)
    {
        if (string.IsNullOrEmpty(directory))
        {
            return null;
        }

        Directory.CreateDirectory(directory);
        var watchdog = new HangWatchdog(target, limit, directory);
        new Thread(watchdog.Watch) { IsBackground = true, Name = "hang watchdog" }.Start();
        return watchdog;
    }

    /// <summary>Runs <paramref name="oracle"/> on <paramref name="input"/> under watch.</summary>
    public void Run(Action<byte[]> oracle, byte[] input)
    {
        Volatile.Write(ref _started, Stopwatch.GetTimestamp());
        Volatile.Write(ref _input, input);
        try
        {
            oracle(input);
        }
        finally
        {
            Volatile.Write(ref _input, null);
        }
    }

    private void Watch()
    {
        while (true)
        {
            Thread.Sleep(250);
            byte[]? input = Volatile.Read(ref _input);
            TimeSpan running = Stopwatch.GetElapsedTime(Volatile.Read(ref _started));
            if (input is null || running < _limit || !ReferenceEquals(input, Volatile.Read(ref _input)))
            {
                continue;
            }

            string path = Path.Combine(_directory, $"hang-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Environment.ProcessId}");
            File.WriteAllBytes(path, input);
            Console.Error.WriteLine($"{_target}: an input ran for {running.TotalSeconds:0.0} s (limit {_limit.TotalSeconds:0.0} s), saved as {path}");
            Environment.Exit(ExitCode);
        }
    }
}
