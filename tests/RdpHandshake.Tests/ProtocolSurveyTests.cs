using System.Net;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

public sealed class ProtocolSurveyTests
{
    [Fact]
    public async Task Each_protocol_is_asked_alone_and_classified()
    {
        await using var server = new RdpTestServer(new TestServerOptions
        {
            Accepted = SecurityProtocols.Ssl | SecurityProtocols.Hybrid,
            AcceptStandardSecurity = false,
        });
        IPEndPoint endpoint = server.Start();
        ProtocolSurveyReport survey = await ProtocolSurvey.RunAsync(
            new ProbeTarget("127.0.0.1", endpoint.Port),
            EngineHarness.FastOptions(),
            [SecurityProtocols.Rdp, SecurityProtocols.Ssl, SecurityProtocols.Hybrid, SecurityProtocols.HybridEx],
            concurrency: 2,
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(4, survey.Connections);
        Assert.Equal(
            [ProtocolAnswer.Refused, ProtocolAnswer.Accepted, ProtocolAnswer.Accepted, ProtocolAnswer.Refused],
            survey.Results.Select(r => r.Answer));
        Assert.Equal("SSL_REQUIRED_BY_SERVER", survey.Results[0].Detail);
        Assert.Equal([SecurityProtocols.Ssl, SecurityProtocols.Hybrid], survey.Accepted);

        IReadOnlyList<ServerConnectionRecord> seen = await server.WaitForConnectionsAsync(4, TimeSpan.FromSeconds(10));
        Assert.Equal(
            new[] { SecurityProtocols.Rdp, SecurityProtocols.Ssl, SecurityProtocols.Hybrid, SecurityProtocols.HybridEx }.Order(),
            seen.Select(r => r.Request!.NegotiationRequest!.RequestedProtocols).Order());
    }

    [Fact]
    public async Task A_server_that_drops_a_protocol_shows_as_no_answer_with_the_cause()
    {
        Fault.TryParse("x224.confirm:close", out Fault? fault, out _);
        await using var server = new RdpTestServer(new TestServerOptions { Faults = [fault!] });
        IPEndPoint endpoint = server.Start();
        ProtocolSurveyReport survey = await ProtocolSurvey.RunAsync(
            new ProbeTarget("127.0.0.1", endpoint.Port), EngineHarness.FastOptions(), [SecurityProtocols.Ssl],
            cancellationToken: TestContext.Current.CancellationToken);
        ProtocolResult result = Assert.Single(survey.Results);
        Assert.Equal(ProtocolAnswer.NoAnswer, result.Answer);
        Assert.StartsWith("closed-by-peer", result.Detail, StringComparison.Ordinal);
    }
}
