using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using RdpHandshake.Benchmarks;

namespace RdpHandshake.Tests;

/// <summary>
/// The allocation guard: every decode path of the benchmark suite (a <c>[Benchmark]</c> method whose name says
/// Decode) allocates no more bytes per operation than bench/allocations.json records. Allocated bytes are counted by
/// the runtime for this thread, so the figure is the same on a loaded machine as on a quiet one, unlike a time.
/// A path that allocates less is reported so the baseline can be lowered; regenerate it with
/// <c>RDPHS_UPDATE_ALLOCATIONS=1 dotnet test --project tests/RdpHandshake.Tests -c Release --filter-class '*AllocationGuardTests'</c>.
/// </summary>
public sealed class AllocationGuardTests(ITestOutputHelper output)
{
    private const int Warmup = 32;
    private const int Operations = 256;

    /// <summary>Growth tolerated before the guard fails: a rounding byte, nothing a new allocation could hide in.</summary>
    private const long ToleranceBytes = 1;

    [Fact]
    public void No_decode_path_allocates_more_per_operation_than_its_baseline()
    {
        SortedDictionary<string, long> measured = Measure();
        Assert.NotEmpty(measured);
        string baselinePath = BaselinePath();

        if (Environment.GetEnvironmentVariable("RDPHS_UPDATE_ALLOCATIONS") == "1")
        {
            var json = new JsonObject();
            foreach ((string path, long bytes) in measured)
                json[path] = bytes;
            File.WriteAllText(baselinePath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            output.WriteLine($"wrote {measured.Count} baselines to {baselinePath}");
            return;
        }

        Dictionary<string, long> baseline = JsonNode.Parse(File.ReadAllText(baselinePath))!.AsObject()
            .ToDictionary(p => p.Key, p => p.Value!.GetValue<long>());
        var problems = new List<string>();
        foreach ((string path, long bytes) in measured)
        {
            if (!baseline.TryGetValue(path, out long allowed))
                problems.Add($"{path}: {bytes} B/op has no baseline (a new decode path: regenerate the baseline)");
            else if (bytes > allowed + ToleranceBytes)
                problems.Add($"{path}: {bytes} B/op, the baseline is {allowed} B/op (+{bytes - allowed})");
            else
                output.WriteLine($"{path}: {bytes} B/op (baseline {allowed}){(bytes < allowed ? " - lower: the baseline can be lowered" : "")}");
        }

        foreach (string gone in baseline.Keys.Except(measured.Keys))
            problems.Add($"{gone}: in the baseline but no longer measured (renamed or removed: regenerate the baseline)");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_guard_sees_an_allocation_it_did_not_expect()
    {
        // The measurement itself must be able to fail: a path that allocates a 1 KiB array per call reads as such.
        long bytes = BytesPerOperation(() => GC.KeepAlive(new byte[1024]));
        Assert.InRange(bytes, 1024, 1024 + 64);
        Assert.Equal(0, BytesPerOperation(() => { }));
    }

    private static SortedDictionary<string, long> Measure()
    {
        var measured = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (Type type in typeof(Vectors).Assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false }))
        {
            MethodInfo[] decodes = type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && m.Name.Contains("Decode", StringComparison.Ordinal))
                .ToArray();
            if (decodes.Length == 0)
                continue;
            Assert.True(type.GetProperties().All(p => p.GetCustomAttribute<ParamsAttribute>() is null),
                $"{type.Name} has [Params]: the guard measures parameterless decode benchmarks only");
            object instance = Activator.CreateInstance(type)!;
            type.GetMethods().SingleOrDefault(m => m.GetCustomAttribute<GlobalSetupAttribute>() is not null)?.Invoke(instance, null);
            foreach (MethodInfo decode in decodes)
            {
                // A typed delegate called from a generic loop: no reflection or boxing inside the measured calls.
                Delegate call = decode.CreateDelegate(typeof(Func<>).MakeGenericType(decode.ReturnType), instance);
                measured[$"{type.Name}.{decode.Name}"] = (long)typeof(AllocationGuardTests)
                    .GetMethod(nameof(BytesPerCall), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(decode.ReturnType).Invoke(null, [call])!;
            }
        }

        return measured;
    }

    private static long BytesPerCall<T>(Func<T> decode) => BytesPerOperation(() => GC.KeepAlive(decode()));

    private static long BytesPerOperation(Action operation)
    {
        for (int i = 0; i < Warmup; i++)
            operation();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Operations; i++)
            operation();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / Operations;
    }

    private static string BaselinePath()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "bench", "allocations.json");
            if (File.Exists(candidate) || File.Exists(Path.Combine(dir.FullName, "RdpHandshake.sln")))
                return candidate;
        }

        throw new InvalidOperationException("bench/allocations.json: the repository root was not found above " + AppContext.BaseDirectory);
    }
}
