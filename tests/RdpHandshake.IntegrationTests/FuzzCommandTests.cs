using System.Globalization;
using System.Text.Json;
using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;

namespace RdpHandshake.IntegrationTests;

/// <summary><c>rdphs fuzz</c> as users run it, against a real xrdp on loopback.</summary>
public sealed class FuzzCommandTests(XrdpFixture xrdp) : IClassFixture<XrdpFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(240);

    private static readonly string[] Reactions =
        ["accepted", "negotiation-failure", "alert", "error-answer", "closed", "reset", "timeout", "malformed-answer", "setup-failed", "crashed"];

    [Theory]
    [InlineData("x224")]
    [InlineData("tls")]
    [InlineData("mcs")]
    public async Task A_few_dozen_cases_are_classified_replayable_and_xrdp_stays_alive(string layer)
    {
        xrdp.Require();
        string target = $"127.0.0.1:{xrdp.NegotiatePort.ToString(CultureInfo.InvariantCulture)}";
        ProcessResult run = await Peers.RdphsAsync(Limit, "fuzz", target, "--layer", layer, "--seed", "31337", "--cases", "36", "--concurrency", "4", "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

        using JsonDocument json = JsonDocument.Parse(run.StdOut);
        JsonElement root = json.RootElement;
        Assert.Equal("rdphs.fuzz/1", root.GetProperty("schema").GetString());
        Assert.Equal(layer, root.GetProperty("layer").GetString());
        Assert.Equal("31337", root.GetProperty("seed").GetString());
        Assert.True(root.GetProperty("liveness").GetProperty("alive").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("stoppedEarly").ValueKind);
        JsonElement[] cases = [.. root.GetProperty("cases").EnumerateArray()];
        Assert.Equal(36, cases.Length);
        Assert.Equal(36, Reactions.Sum(r => root.GetProperty("summary").GetProperty(r).GetInt32()));
        Assert.Equal("accepted", cases[0].GetProperty("reaction").GetString());
        Assert.All(cases, c =>
        {
            Assert.Contains(c.GetProperty("reaction").GetString(), Reactions);
            Assert.NotEqual("setup-failed", c.GetProperty("reaction").GetString());
            Assert.False(string.IsNullOrEmpty(c.GetProperty("mutation").GetString()));
        });

        // Replaying a case sends exactly the bytes the run sent.
        JsonElement sample = cases[17];
        ProcessResult replay = await Peers.RdphsAsync(Limit, "fuzz", target, "--layer", layer, "--replay", sample.GetProperty("id").GetString()!, "--json");
        Assert.True(replay.ExitCode == ExitCodes.Success, replay.ToString());
        using JsonDocument replayed = JsonDocument.Parse(replay.StdOut);
        Assert.Equal(sample.GetProperty("sentHex").GetString(), replayed.RootElement.GetProperty("case").GetProperty("sentHex").GetString());
        Assert.Equal(sample.GetProperty("mutation").GetString(), replayed.RootElement.GetProperty("case").GetProperty("mutation").GetString());
        Assert.True(replayed.RootElement.GetProperty("liveness").GetProperty("alive").GetBoolean());
    }

    [Fact]
    public async Task A_remote_target_is_refused_without_allow_remote()
    {
        ProcessResult run = await Peers.RdphsAsync(TimeSpan.FromSeconds(60), "fuzz", "192.0.2.10:3389", "--layer", "x224", "--cases", "1");
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("not a loopback address", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("--allow-remote", run.StdErr, StringComparison.Ordinal);
    }
}
