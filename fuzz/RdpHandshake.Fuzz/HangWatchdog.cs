namespace RdpHandshake.Fuzz;

/// <summary>
/// Catches an input that keeps an oracle running. Under afl-fuzz a run past its time limit is killed, and in
/// SharpFuzz's persistent mode the process killed is the fork server itself, so afl-fuzz stops ("Unable to communicate
/// with fork server") without saving what hung. The watchdog looks at the running input four times a second; one
/// that has used more than the limit of processor time (not of wall-clock time: a machine busy with other work, or a
/// paused process, must not make a slow input of a fast one) is written to the hangs directory and the process exits,
/// so the runner can say which input hung.
/// </summary>
public sealed class HangWatchdog
{
    /// <summary>The exit code of a process the watchdog ended.</summary>
    public const int ExitCode = 86;

    private readonly string _target;
    private readonly TimeSpan _limit;
    private readonly string _directory;
    private byte[]? _input;
    private long _runs;

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
        Interlocked.Increment(ref _runs);
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
        long watched = -1;
        TimeSpan since = TimeSpan.Zero;
        while (true)
        {
            Thread.Sleep(250);
            long run = Interlocked.Read(ref _runs);
            byte[]? input = Volatile.Read(ref _input);
            TimeSpan cpu = Environment.CpuUsage.TotalTime;
            if (input is null || run != watched)
            {
                // A new input since the last look (or none): its processor time is counted from here.
                (watched, since) = (run, cpu);
                continue;
            }

            TimeSpan used = cpu - since;
            if (used < _limit || Interlocked.Read(ref _runs) != run)
            {
                continue;
            }

            string path = Path.Combine(_directory, $"hang-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Environment.ProcessId}");
            File.WriteAllBytes(path, input);
            Console.Error.WriteLine($"{_target}: an input used {used.TotalSeconds:0.0} s of processor time (limit {_limit.TotalSeconds:0.0} s), saved as {path}");
            Environment.Exit(ExitCode);
        }
    }
}
