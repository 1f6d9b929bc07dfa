using System.Buffers;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// Licensing (MS-RDPBCGR 1.3.1.1, 3.2.5.3.12; MS-RDPELE): what the server sends first after the Client Info. A
/// server without licensing answers STATUS_VALID_CLIENT; one with licensing sends a License Request, which is
/// answered, maybe a Platform Challenge, then a license or an error. A server that licenses nobody may skip it
/// and send the Demand Active at once.
/// </summary>
public sealed class LicensingExchange(ConnectionState connection) : Sequence<LicensingExchange.Steps>(Steps.WaitLicensing)
{
    private readonly ActivationReceiver _receiver = new(connection);

    public enum Steps
    {
        WaitLicensing,
    }

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.WaitLicensing => new StepPlan(ActivationReceiver.LicensingStep, ConnectionPhase.Licensing,
            new RdpFrameHint(ActivationReceiver.LicensingStep, "licensing PDU", connection.Options.Session.MaxFrameLength), connection.Layer),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.WaitLicensing => Receive(input, output),
    };

    private StepResult Receive(ReadOnlySpan<byte> frame, IBufferWriter<byte> output)
    {
        StepPlan plan = Plan(State);
        ArrivalResult arrival = _receiver.Receive(Awaiting.Licensing, plan, frame, output);
        return arrival.Arrival switch
        {
            Arrival.Observed => arrival.Step!,
            // Licensing is over; a Demand Active that came in its place goes to the capabilities exchange.
            Arrival.LicensingDone or Arrival.DemandActive => Completed(arrival.Step!),
            Arrival.Finalized or Arrival.Deactivated => throw new InvalidOperationException($"{arrival.Arrival} cannot arrive while licensing"),
            Arrival.Failed => Fail(arrival.RejectedStep!, plan.Phase, arrival.Rejection!),
        };
    }

    private StepResult Completed(StepResult step)
    {
        Complete();
        return step;
    }
}
