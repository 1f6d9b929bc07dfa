using BenchmarkDotNet.Running;

// Runs the benchmarks named by --filter (e.g. --filter '*Mcs*'); with no arguments it lists them and asks.
BenchmarkSwitcher.FromAssembly(typeof(RdpHandshake.Benchmarks.Vectors).Assembly).Run(args);
