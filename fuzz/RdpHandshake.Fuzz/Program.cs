using RdpHandshake.Fuzz;

// Replays inputs through the oracles: each argument is a file or a directory of files; no argument reads
// standard input. A coverage-guided driver (SharpFuzz + AFL++) will call the same oracles.
if (args.Length == 0)
{
    using var stdin = Console.OpenStandardInput();
    using var buffer = new MemoryStream();
    stdin.CopyTo(buffer);
    X224Oracle.Run(buffer.ToArray());
    return 0;
}

int count = 0;
foreach (string path in args.SelectMany(a => Directory.Exists(a) ? Directory.GetFiles(a, "*", SearchOption.AllDirectories) : [a]))
{
    X224Oracle.Run(File.ReadAllBytes(path));
    count++;
}

Console.WriteLine($"{count} input(s) passed the X.224 oracle");
return 0;
