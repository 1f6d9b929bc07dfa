using System.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// A TSRequest whose DER length claims 2 GB is refused on its first six bytes: no wait, no allocation. (The frame
/// sizer's own test is in RdpHandshake.Protocol.Tests, CredSsp/CredSspCodecTests.)
/// </summary>
public sealed class CredSspHugeLengthTests
{
    [Fact]
    public async Task The_client_diagnoses_the_claimed_length_long_before_its_read_timeout()
    {
        var readTimeout = TimeSpan.FromSeconds(30);
        ProbeOptions options = EngineHarness.FastOptions() with { Until = ConnectionPhase.CredSsp };
        var stopwatch = Stopwatch.StartNew();
        (ProbeReport report, IReadOnlyList<ServerConnectionRecord> server) = await EngineHarness.InMemoryAsync(
            new TestServerOptions { CredSspFault = CredSspFault.HugeLength }, options with { ReadTimeout = readTimeout }, TestContext.Current.CancellationToken);
        stopwatch.Stop();

        Assert.Equal(ConnectionPhase.CredSsp, report.Diagnosis!.Phase);
        Assert.Equal(CauseId.MalformedResponse, report.Diagnosis.Cause.Id);
        Assert.Equal("credssp.challenge", report.Diagnosis.Evidence.Step);
        Assert.Contains(report.Diagnosis.Evidence.Fields!, f => f.Name == "error" && f.Value.Contains("exceeds the limit of 65536", StringComparison.Ordinal));
        Assert.Contains("2147483653", report.Diagnosis.Summary, StringComparison.Ordinal); // 2 + 4 + 0x7fffffff, the length claimed
        Assert.True(report.Elapsed < readTimeout / 3, $"the run took {report.Elapsed}");
        Assert.True(stopwatch.Elapsed < readTimeout / 2, $"the harness took {stopwatch.Elapsed}");
        Assert.False(Assert.Single(server).CredentialsReceived);
    }
}
