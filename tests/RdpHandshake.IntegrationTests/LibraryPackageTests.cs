using System.Text.RegularExpressions;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// The library as its users get it: the engine packed as NuGet packages, and the example of docs/library.md built from
/// them in a project of its own (restored from the packed folder and the machine's NuGet source), then run against the
/// test server: configured as the example expects, it passes; configured otherwise, it fails.
/// </summary>
public sealed class LibraryPackageTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_documented_example_builds_against_the_packed_packages_and_checks_a_server()
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        string work = Directory.CreateTempSubdirectory("rdphs-library-").FullName;
        try
        {
            // A version of its own, so the restore takes these packages and no copy of an earlier run.
            string version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            string feed = Path.Combine(work, "feed");
            foreach (string project in new[] { "RdpHandshake.Protocol", "RdpHandshake.Crypto", "RdpHandshake" })
            {
                ProcessResult pack = await Peers.RunAsync(
                    "dotnet",
                    ["pack", Path.Combine(Peers.RepositoryRoot, "src", project), "-c", configuration, "--no-build", "-o", feed, $"-p:PackageVersion={version}", "-nologo"],
                    Limit);
                Assert.True(pack.ExitCode == 0, pack.ToString());
            }

            Assert.True(File.Exists(Path.Combine(feed, $"RdpHandshake.{version}.nupkg")));
            using (var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"RdpHandshake.{version}.nupkg")))
            {
                Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/RdpHandshake.xml"); // the XML docs travel with it
            }

            string markdown = await File.ReadAllTextAsync(Path.Combine(Peers.RepositoryRoot, "docs", "library.md"), TestContext.Current.CancellationToken);
            string projectFile = Assert.Single(Blocks(markdown, "xml"));
            string code = Assert.Single(Blocks(markdown, "csharp"));
            string reference = "<PackageReference Include=\"RdpHandshake\" Version=\"0.1.0\" />";
            Assert.Contains(reference, projectFile, StringComparison.Ordinal);

            string example = Path.Combine(work, "example");
            Directory.CreateDirectory(example);
            await File.WriteAllTextAsync(Path.Combine(example, "ServerChecks.csproj"), projectFile.Replace(reference, reference.Replace("0.1.0", version, StringComparison.Ordinal), StringComparison.Ordinal), TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(Path.Combine(example, "RdpServerConfigurationTests.cs"), code, TestContext.Current.CancellationToken);
            string machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            // The packed folder, plus the machine's own sources (inherited: no <clear/>); restored into a folder of this run,
            // with the machine's package cache as a fallback so nothing already there is fetched again.
            await File.WriteAllTextAsync(Path.Combine(example, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config>
                    <add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" />
                  </config>
                  <packageSources>
                    <add key="rdphs-packed" value="{feed}" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <add key="machine" value="{machinePackages}" />
                  </fallbackPackageFolders>
                </configuration>
                """, TestContext.Current.CancellationToken);

            ProcessResult build = await Peers.RunAsync("dotnet", ["build", example, "-c", "Release", "-nologo", "-clp:ErrorsOnly"], Limit);
            Assert.True(build.ExitCode == 0, build.ToString());
            string built = Path.Combine(example, "bin", "Release", "net10.0", "ServerChecks.dll");

            // A server as the example wants it: NLA over TLS, Standard RDP Security refused.
            await using (var configured = new RdpTestServer(new TestServerOptions { Accepted = SecurityProtocols.Ssl | SecurityProtocols.Hybrid | SecurityProtocols.HybridEx, AcceptStandardSecurity = false }))
            {
                System.Net.IPEndPoint endpoint = configured.Start();
                ProcessResult passes = await Peers.RunAsync("dotnet", [built], Limit, new Dictionary<string, string> { ["RDP_SERVER"] = $"127.0.0.1:{endpoint.Port}" });
                Assert.True(passes.ExitCode == 0, passes.ToString());
                Assert.Matches(new Regex(@"total: 2\b.*failed: 0\b", RegexOptions.Singleline | RegexOptions.IgnoreCase), passes.StdOut);
            }

            // The same example against a server that still takes Standard RDP Security: the regression is caught.
            await using var lax = new RdpTestServer(new TestServerOptions());
            System.Net.IPEndPoint laxEndpoint = lax.Start();
            ProcessResult fails = await Peers.RunAsync("dotnet", [built], Limit, new Dictionary<string, string> { ["RDP_SERVER"] = $"127.0.0.1:{laxEndpoint.Port}" });
            Assert.True(fails.ExitCode != 0, fails.ToString());
            Assert.Contains("Refuses_standard_rdp_security", fails.StdOut, StringComparison.Ordinal);
            Assert.Matches(new Regex(@"failed: 1\b", RegexOptions.IgnoreCase), fails.StdOut);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The fenced code blocks of <paramref name="markdown"/> in <paramref name="language"/>.</summary>
    private static IEnumerable<string> Blocks(string markdown, string language) =>
        Regex.Matches(markdown, $"^```{language}\\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
}
