using System.Net;
using System.Text.Json;
using RdpHandshake.Fuzzing;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>The fuzz runner against the test server over loopback: reactions to its faults, and whole runs.</summary>
public sealed class FuzzRunnerTests
{
    static FuzzRunnerTests() => Parallel.ForEach(TestCertificates.AllProfiles, profile => TestCertificates.For(profile));

    private static Fault FaultOf(string text)
    {
        Assert.True(Fault.TryParse(text, out Fault? fault, out string? error), error);
        return fault!;
    }

    private static FuzzOptions Options(FuzzLayer layer, int cases = 1) => new()
    {
        Layer = layer,
        Seed = 1,
        Cases = cases,
        Concurrency = 4,
        Timeout = TimeSpan.FromSeconds(2),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    [Theory]
    [InlineData("x224.confirm:close", FuzzLayer.X224, FuzzReaction.Closed)]
    [InlineData("x224.confirm:reset", FuzzLayer.X224, FuzzReaction.Reset)]
    [InlineData("x224.confirm:stall", FuzzLayer.X224, FuzzReaction.Timeout)]
    [InlineData("x224.confirm:garbage", FuzzLayer.X224, FuzzReaction.MalformedAnswer)]
    [InlineData("x224.confirm:disconnect-request", FuzzLayer.X224, FuzzReaction.ErrorAnswer)]
    [InlineData("tcp.accept:stall", FuzzLayer.X224, FuzzReaction.Timeout)]
    [InlineData("tls.server-hello:alert", FuzzLayer.Tls, FuzzReaction.Alert)]
    [InlineData("tls.server-hello:ultimatum", FuzzLayer.Tls, FuzzReaction.ErrorAnswer)]
    [InlineData("tls.server-hello:close", FuzzLayer.Tls, FuzzReaction.Closed)]
    [InlineData("mcs.connect-response:reject", FuzzLayer.Mcs, FuzzReaction.ErrorAnswer)]
    [InlineData("mcs.connect-response:close", FuzzLayer.Mcs, FuzzReaction.Closed)]
    [InlineData("x224.confirm:close", FuzzLayer.Tls, FuzzReaction.SetupFailed)]
    public async Task The_valid_pdu_against_a_faulty_server_gets_the_reaction_of_the_fault(string fault, FuzzLayer layer, FuzzReaction expected)
    {
        await using var server = new RdpTestServer(new TestServerOptions { Faults = [FaultOf(fault)], ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = server.Start();
        var runner = new FuzzRunner(new ProbeTarget(endpoint.Address.ToString(), endpoint.Port), Options(layer));
        FuzzCaseResult result = await runner.RunCaseAsync(FuzzCaseGenerator.Generate(layer, 1, 0), TestContext.Current.CancellationToken);
        Assert.True(expected == result.Reaction, $"{fault}: {FuzzReactionNames.Name(result.Reaction)} - {result.Detail}");
    }

    [Fact]
    public async Task A_server_that_no_longer_answers_is_not_alive()
    {
        await using var server = new RdpTestServer(new TestServerOptions { Faults = [FaultOf("x224.confirm:close")], ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = server.Start();
        var runner = new FuzzRunner(new ProbeTarget(endpoint.Address.ToString(), endpoint.Port), Options(FuzzLayer.X224) with { Timeout = TimeSpan.FromSeconds(1) });
        LivenessResult liveness = await runner.CheckLivenessAsync(TestContext.Current.CancellationToken);
        Assert.False(liveness.Alive);

        FuzzReport report = await runner.RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(report.Crashed);
        Assert.Equal(FuzzReaction.Crashed, report.Cases.Single().Reaction);
        Assert.Equal(FuzzReaction.Closed, report.Cases.Single().Observed);
        Assert.NotNull(report.StoppedEarly);
    }

    [Theory]
    [InlineData(FuzzLayer.X224)]
    [InlineData(FuzzLayer.Tls)]
    [InlineData(FuzzLayer.CredSsp)]
    [InlineData(FuzzLayer.Mcs)]
    public async Task Fifty_cases_are_all_classified_and_the_server_stays_alive(FuzzLayer layer)
    {
        await using var server = new RdpTestServer(new TestServerOptions { ReadTimeout = TimeSpan.FromSeconds(5) });
        IPEndPoint endpoint = server.Start();
        var runner = new FuzzRunner(new ProbeTarget(endpoint.Address.ToString(), endpoint.Port), Options(layer, 50));
        int heard = 0;
        FuzzReport report = await runner.RunAsync(_ => Interlocked.Increment(ref heard), TestContext.Current.CancellationToken);

        Assert.Equal(50, report.Cases.Count);
        Assert.Equal(50, heard);
        Assert.Equal(Enumerable.Range(0, 50), report.Cases.Select(c => c.Case.Index));
        Assert.True(report.Liveness.Alive, report.Liveness.Detail);
        Assert.False(report.Crashed);
        Assert.Null(report.StoppedEarly);
        Assert.Equal(FuzzReaction.Accepted, report.Cases[0].Reaction);
        Assert.DoesNotContain(report.Cases, c => c.Reaction is FuzzReaction.SetupFailed or FuzzReaction.Crashed);
        Assert.Equal(50, report.Summary.Values.Sum());

        using var stream = new MemoryStream();
        FuzzReportJson.Write(report, stream);
        using JsonDocument json = JsonDocument.Parse(stream.ToArray());
        Assert.Equal("rdphs.fuzz/1", json.RootElement.GetProperty("schema").GetString());
        Assert.Equal(50, json.RootElement.GetProperty("cases").GetArrayLength());
        Assert.Equal(Convert.ToHexStringLower(report.Cases[7].Case.Bytes), json.RootElement.GetProperty("cases")[7].GetProperty("sentHex").GetString());
        Assert.True(json.RootElement.GetProperty("liveness").GetProperty("alive").GetBoolean());
    }
}
