using System.Reflection;
using System.Text.RegularExpressions;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Tests;

/// <summary>Architecture invariants from docs/architecture.md, checked rather than hoped for.</summary>
public sealed partial class ArchitectureTests
{
    [Fact]
    public void The_protocol_core_references_no_io_logging_or_tls_assembly()
    {
        Assembly core = typeof(ClientConnector).Assembly;
        string[] forbidden = ["System.Net", "Microsoft.Extensions.Logging", "BouncyCastle", "Pipelines", "System.IO.Pipelines", "System.Console"];
        string[] references = core.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.NotEmpty(references);
        Assert.DoesNotContain(references, name => forbidden.Any(f => name.StartsWith(f, StringComparison.Ordinal)));
    }

    [Fact]
    public void The_protocol_core_references_nothing_but_the_framework()
    {
        Assembly core = typeof(ClientConnector).Assembly;
        string[] references = core.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.All(references, name => Assert.True(name is "netstandard" || name == "System" || name.StartsWith("System.", StringComparison.Ordinal),
            $"the protocol core references {name}"));
    }

    [Fact]
    public void Only_the_command_line_defines_exit_codes()
    {
        Assembly cli = typeof(Cli.ExitCodes).Assembly;
        Assembly[] others = [typeof(ClientConnector).Assembly, typeof(RdpProber).Assembly, typeof(Crypto.Credentials).Assembly, typeof(TestServer.RdpTestServer).Assembly];
        foreach (Assembly assembly in others)
        {
            Assert.DoesNotContain(assembly.GetTypes(), t => t.Name.Contains("ExitCode", StringComparison.Ordinal));
            Assert.DoesNotContain(assembly.GetExportedTypes().SelectMany(t => t.GetMembers()), m => m.Name.Contains("ExitCode", StringComparison.Ordinal));
        }

        Assert.Contains(cli.GetTypes(), t => t.Name == "ExitCodes");
    }

    [Fact]
    public void The_report_model_shows_no_bouncycastle_type()
    {
        // Everything a caller reaches from the reports the engine returns, through public properties.
        Type[] roots = [typeof(ProbeReport), typeof(Scan.ScanResult), typeof(Tls.TlsSurveyReport), typeof(ProtocolSurveyReport)];
        var seen = new HashSet<Type>();
        var queue = new Queue<(Type Type, string Path)>(roots.Select(t => (t, t.Name)));
        while (queue.TryDequeue(out var item))
        {
            Type type = Nullable.GetUnderlyingType(item.Type) ?? item.Type;
            if (!seen.Add(type))
            {
                continue;
            }

            Assert.False(type.Namespace?.StartsWith("Org.BouncyCastle", StringComparison.Ordinal) ?? false, $"{item.Path} is {type.FullName}");
            if (type.IsGenericType)
            {
                foreach (Type argument in type.GetGenericArguments())
                {
                    queue.Enqueue((argument, $"{item.Path}<{argument.Name}>"));
                }
            }

            if (type.IsArray)
            {
                queue.Enqueue((type.GetElementType()!, $"{item.Path}[]"));
            }

            if (type.Namespace?.StartsWith("RdpHandshake", StringComparison.Ordinal) != true || typeof(Delegate).IsAssignableFrom(type))
            {
                continue;
            }

            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                queue.Enqueue((property.PropertyType, $"{item.Path}.{property.Name}"));
            }
        }

        Assert.Contains(typeof(Protocol.Tls.TlsVersion), seen);
    }

    [Fact]
    public void The_test_server_uses_the_protocol_core_and_the_crypto_library_not_the_engine()
    {
        string[] references = typeof(RdpHandshake.TestServer.RdpTestServer).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.Contains("RdpHandshake.Protocol", references);
        Assert.Contains("RdpHandshake.Crypto", references);
        Assert.DoesNotContain("RdpHandshake", references);
    }

    [Fact]
    public void The_crypto_library_references_only_the_protocol_core_and_bouncycastle()
    {
        string[] references = typeof(RdpHandshake.Crypto.Credentials).Assembly.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(name => name.StartsWith("RdpHandshake", StringComparison.Ordinal) || !name.StartsWith("System", StringComparison.Ordinal) && name != "netstandard")
            .ToArray();
        Assert.Equal(["BouncyCastle.Cryptography", "RdpHandshake.Protocol"], references.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_protocol_core_reads_no_clock_randomness_or_files()
    {
        string root = FindRepositoryRoot();
        string[] sources = Directory.GetFiles(Path.Combine(root, "src", "RdpHandshake.Protocol"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();
        Assert.NotEmpty(sources);
        foreach (string path in sources)
        {
            string text = File.ReadAllText(path);
            Match match = ForbiddenApis().Match(text);
            Assert.False(match.Success, $"{Path.GetFileName(path)} uses {match.Value}: the protocol core must not do I/O or read clocks");
        }
    }

    [GeneratedRegex(@"\b(DateTime(Offset)?\.(Now|UtcNow)|Stopwatch|TimeProvider|Environment\.TickCount|new Random\b|Random\.Shared|RandomNumberGenerator|File\.|Socket\b|Console\.|Thread\.Sleep|Task\.Delay)")]
    private static partial Regex ForbiddenApis();

    internal static string FindRepositoryRoot()
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
