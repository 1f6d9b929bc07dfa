using System.Globalization;
using BenchmarkDotNet.Running;

// generate-capture SEED OUTPUT MB: writes the large pcap that docs/performance.md times `rdphs analyze` on.
if (args is ["generate-capture", string seed, string output, string megabytes])
{
    RdpHandshake.Benchmarks.CaptureGenerator.Generate(seed, output, long.Parse(megabytes, CultureInfo.InvariantCulture) * 1024 * 1024);
    Console.WriteLine($"{output}: {new FileInfo(output).Length} bytes");
    return;
}

// Runs the benchmarks named by --filter (e.g. --filter '*Mcs*'); with no arguments it lists them and asks.
BenchmarkSwitcher.FromAssembly(typeof(RdpHandshake.Benchmarks.Vectors).Assembly).Run(args);
