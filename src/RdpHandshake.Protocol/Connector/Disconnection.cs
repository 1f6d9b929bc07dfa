using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Connector;

/// <summary>The clean end once the goal is reached with MCS up: an MCS Disconnect Provider Ultimatum, rn-user-requested (T.125 11.15).</summary>
public sealed class Disconnection(ConnectionState connection) : Sequence<Disconnection.Steps>(Steps.SendDisconnect)
{
    public const string DisconnectStep = "disconnect";

    public enum Steps
    {
        SendDisconnect,
    }

    private ConnectionPhase Reached => connection.Reached ?? ConnectionPhase.Mcs;

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendDisconnect => new StepPlan(DisconnectStep, Reached, null, connection.Layer),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendDisconnect => SendDisconnect(output),
    };

    private StepResult SendDisconnect(IBufferWriter<byte> output)
    {
        IoChannel.WriteData(output, Pdu.Encode(new DisconnectProviderUltimatum(McsDisconnectReason.UserRequested)));
        Complete();
        return new StepResult(DisconnectStep, Reached, DisconnectProviderUltimatum.PduName, [new StepField("reason", "rn-user-requested")],
            $"goal reached ({Reached.Name()}): disconnecting cleanly");
    }
}
