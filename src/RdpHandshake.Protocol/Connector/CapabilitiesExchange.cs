using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// The Capabilities Exchange (MS-RDPBCGR 1.3.1.1, 3.2.5.3.13): the server's Demand Active with its capability sets,
/// and the client's Confirm Active with the sets mstsc sends.
/// </summary>
public sealed class CapabilitiesExchange(ConnectionState connection)
    : Sequence<CapabilitiesExchange.Steps>(connection.DemandActive is null ? Steps.WaitDemandActive : Steps.SendConfirmActive)
{
    public const string ConfirmActiveStep = "capabilities.confirm-active";

    private readonly ActivationReceiver _receiver = new(connection);

    public enum Steps
    {
        WaitDemandActive,
        SendConfirmActive,
    }

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.WaitDemandActive => new StepPlan(ActivationReceiver.DemandActiveStep, ConnectionPhase.Capabilities,
            new RdpFrameHint(ActivationReceiver.DemandActiveStep, "Demand Active PDU", connection.Options.Session.MaxFrameLength), connection.Layer),
        Steps.SendConfirmActive => new StepPlan(ConfirmActiveStep, ConnectionPhase.Capabilities, null, connection.Layer),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.WaitDemandActive => Receive(input, output),
        Steps.SendConfirmActive => SendConfirmActive(output),
    };

    private StepResult Receive(ReadOnlySpan<byte> frame, IBufferWriter<byte> output)
    {
        StepPlan plan = Plan(State);
        ArrivalResult arrival = _receiver.Receive(Awaiting.DemandActive, plan, frame, output);
        return arrival.Arrival switch
        {
            Arrival.Observed or Arrival.LicensingDone => arrival.Step!,
            Arrival.DemandActive => Confirming(arrival.Step!),
            Arrival.Finalized or Arrival.Deactivated => throw new InvalidOperationException($"{arrival.Arrival} cannot arrive before the Demand Active"),
            Arrival.Failed => Fail(arrival.RejectedStep!, plan.Phase, arrival.Rejection!),
        };
    }

    private StepResult Confirming(StepResult step)
    {
        State = Steps.SendConfirmActive;
        return step;
    }

    private StepResult SendConfirmActive(IBufferWriter<byte> output)
    {
        DemandActivePdu demand = connection.DemandActive!;
        ushort width = connection.Options.Session.Core.DesktopWidth;
        ushort height = connection.Options.Session.Core.DesktopHeight;
        if (demand.Find(CapabilitySetType.Bitmap)?.Decode<BitmapCapability>() is { IsSuccess: true } bitmap)
        {
            // MS-RDPBCGR 3.2.5.13.2: the client takes the desktop size the server's Demand Active announces.
            (width, height) = (bitmap.Value.DesktopWidth, bitmap.Value.DesktopHeight);
        }

        ValueList<CapabilitySet> capabilities = ClientCapabilities.Create(Math.Clamp(width, (ushort)200, (ushort)8192), Math.Clamp(height, (ushort)200, (ushort)8192), 24);
        ConfirmActivePdu confirm = ClientCapabilities.CreateConfirmActive(demand, connection.Mcs.UserChannelId!.Value, capabilities);
        connection.Channel.Send(output, 0, Pdu.Encode(confirm));
        connection.Reach(ConnectionPhase.Capabilities);
        Complete();
        var fields = new List<StepField>
        {
            new("shareId", $"0x{confirm.ShareId:x8}"),
            new("capabilitySets", string.Join(", ", confirm.CapabilitySets.Select(c => CapabilityNames.Name(c.Type)))),
        };
        return new StepResult(ConfirmActiveStep, ConnectionPhase.Capabilities, "Confirm Active PDU", fields,
            $"{confirm.CapabilitySets.Count} capability sets for {width}x{height}");
    }
}
