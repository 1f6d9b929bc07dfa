using System.Buffers;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

/// <summary>
/// Adding a step to the connection sequence is one sequence class and one link: the engine runs it in its place,
/// records it like every other step, and the rest of the sequence goes on.
/// </summary>
public sealed class ConnectorExtensionTests
{
    /// <summary>A sequence that does nothing on the wire: one step that notes what the negotiation selected.</summary>
    private sealed class NoOp(ConnectionState connection) : Sequence<NoOp.Steps>(Steps.Note)
    {
        public const string StepName = "test.noop";

        public enum Steps
        {
            Note,
        }

        protected override StepPlan Plan(Steps state) => state switch
        {
            Steps.Note => new StepPlan(StepName, ConnectionPhase.X224, null, FrameLayer.Transport),
        };

        protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
        {
            Steps.Note => Noted(),
        };

        private StepResult Noted()
        {
            Complete();
            return new StepResult(StepName, ConnectionPhase.X224, "nothing", [new StepField("selected", NegotiationNames.SpecNames(connection.Selected))], "a step that sends nothing");
        }
    }

    [Fact]
    public async Task A_sequence_of_ones_own_runs_in_its_place_with_one_class_and_one_link()
    {
        List<SequenceLink> links = [.. ClientConnector.StandardLinks];
        links.Insert(links.FindIndex(link => link.Name == "x224") + 1, new SequenceLink("noop", ConnectionPhase.X224, state => new NoOp(state)));

        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions { Accepted = SecurityProtocols.Ssl }, new ProbeOptions { Sequence = links }, TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        string[] names = [.. report.Steps.Select(s => s.Name)];
        Assert.Equal(["x224.confirm", NoOp.StepName, "tls.client-hello"], names[2..5]);
        StepRecord noop = report.Steps[3];
        Assert.Equal((StepOutcome.Ok, 0, 0), (noop.Outcome, noop.Sent.Length, noop.Received.Length));
        Assert.Contains(new StepField("selected", "PROTOCOL_SSL"), noop.Fields);
    }

    [Fact]
    public async Task Without_the_link_the_same_run_has_no_such_step()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions { Accepted = SecurityProtocols.Ssl }, new ProbeOptions(), TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.DoesNotContain(report.Steps, s => s.Name == NoOp.StepName);
        Assert.Equal("tls.client-hello", report.Steps[3].Name);
    }
}
