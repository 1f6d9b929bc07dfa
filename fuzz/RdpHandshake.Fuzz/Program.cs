using RdpHandshake.Fuzz;

// rdphs-fuzz afl TARGET              run under afl-fuzz (SharpFuzz forkserver), input on stdin; an input that uses
//                                    over 3 s of CPU is written to $RDPHS_FUZZ_HANGS and the process exits (HangWatchdog)
// rdphs-fuzz replay TARGET PATH...   run files (or every file in directories) through the oracle
// rdphs-fuzz replay-corpus DIR       replay DIR/TARGET/* for every target that has a directory
// rdphs-fuzz targets                 list the targets
const int MaxInput = 1 << 20;

if (args is ["targets"])
{
    Console.WriteLine(string.Join('\n', Oracles.Targets.Keys));
    return 0;
}

if (args is ["afl", string aflTarget])
{
    Action<byte[]> oracle = Find(aflTarget);
    // fuzz/run.sh names the directory for inputs that hang (afl-fuzz cannot save them in persistent mode).
    HangWatchdog? watchdog = HangWatchdog.Start(aflTarget, TimeSpan.FromSeconds(3), Environment.GetEnvironmentVariable("RDPHS_FUZZ_HANGS"));
    SharpFuzz.Fuzzer.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        if (buffer.Length <= MaxInput)
        {
            if (watchdog is null)
            {
                oracle(buffer.ToArray());
            }
            else
            {
                watchdog.Run(oracle, buffer.ToArray());
            }
        }
    });
    return 0;
}

if (args is ["replay", string replayTarget, .. var paths] && paths.Length > 0)
{
    Console.WriteLine($"{Replay(replayTarget, paths)} input(s) passed the {replayTarget} oracle");
    return 0;
}

if (args is ["replay-corpus", string root])
{
    foreach (string target in Oracles.Targets.Keys.Where(t => Directory.Exists(Path.Combine(root, t))))
    {
        Console.WriteLine($"{target}: {Replay(target, [Path.Combine(root, target)])} input(s) passed");
    }

    return 0;
}

Console.Error.WriteLine("usage: RdpHandshake.Fuzz targets | afl TARGET | replay TARGET PATH... | replay-corpus DIR");
Console.Error.WriteLine($"targets: {string.Join(", ", Oracles.Targets.Keys)}");
return 2;

static Action<byte[]> Find(string target) =>
    Oracles.Targets.TryGetValue(target, out Action<byte[]>? oracle)
        ? oracle
        : throw new ArgumentException($"unknown fuzz target '{target}' (known: {string.Join(", ", Oracles.Targets.Keys)})");

static int Replay(string target, string[] paths)
{
    Action<byte[]> oracle = Find(target);
    int count = 0;
    foreach (string path in paths.SelectMany<string, string>(p => Directory.Exists(p) ? Directory.GetFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [p]))
    {
        try
        {
            oracle(File.ReadAllBytes(path));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{target} oracle failed on {path}", e);
        }

        count++;
    }

    return count;
}
