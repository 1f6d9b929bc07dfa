using RdpHandshake.Fuzz;

namespace RdpHandshake.Tests;

/// <summary>
/// Every committed fuzz input (the seeds and the crashes the fuzzer found, once fixed) passes its oracle:
/// the regression test for each fuzz finding, run without AFL.
/// </summary>
public sealed class FuzzCorpusTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "fuzz-corpus");

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string target in Oracles.Targets.Keys)
        {
            foreach (string file in Directory.GetFiles(Path.Combine(Root, target)).Order(StringComparer.Ordinal))
            {
                data.Add(target, Path.GetFileName(file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Committed_input_passes_its_oracle(string target, string file) =>
        Oracles.Targets[target](File.ReadAllBytes(Path.Combine(Root, target, file)));

    [Fact]
    public void Every_target_has_seeds()
    {
        foreach (string target in Oracles.Targets.Keys)
        {
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(Root, target)));
        }
    }
}
