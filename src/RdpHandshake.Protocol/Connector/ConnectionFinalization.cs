using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// Connection Finalization (MS-RDPBCGR 1.3.1.1, 3.2.5.3.14-22): the client's Synchronize, Control (cooperate,
/// request control) and Font List, then the server's Synchronize, Control and Font Map, after which the connection
/// is up. A Deactivate All here starts the capabilities exchange again (the deactivation-reactivation sequence).
/// </summary>
public sealed class ConnectionFinalization(ConnectionState connection) : Sequence<ConnectionFinalization.Steps>(Steps.SendSynchronize)
{
    public const string SynchronizeStep = "finalization.synchronize";
    public const string ControlCooperateStep = "finalization.control-cooperate";
    public const string RequestControlStep = "finalization.request-control";
    public const string FontListStep = "finalization.font-list";

    /// <summary>The MCS channel of the server in Share Control headers (MS-RDPBCGR 2.2.1.13.2.1 originatorId).</summary>
    public const ushort ServerChannelId = 0x03EA;

    private readonly ActivationReceiver _receiver = new(connection);

    public enum Steps
    {
        SendSynchronize,
        SendControlCooperate,
        SendRequestControl,
        SendFontList,
        WaitFinalization,
    }

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendSynchronize => Sending(SynchronizeStep),
        Steps.SendControlCooperate => Sending(ControlCooperateStep),
        Steps.SendRequestControl => Sending(RequestControlStep),
        Steps.SendFontList => Sending(FontListStep),
        Steps.WaitFinalization => new StepPlan(ActivationReceiver.FontMapStep, ConnectionPhase.Finalization,
            new RdpFrameHint(ActivationReceiver.FontMapStep, "server finalization PDUs (Synchronize, Control, Font Map)", connection.Options.Session.MaxFrameLength), connection.Layer),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendSynchronize => SendShareData(output, SynchronizeStep, new SynchronizePdu(ServerChannelId), Steps.SendControlCooperate, "Synchronize (target 1002)"),
        Steps.SendControlCooperate => SendShareData(output, ControlCooperateStep, new ControlPdu(ControlAction.Cooperate), Steps.SendRequestControl, "Control: cooperate"),
        Steps.SendRequestControl => SendShareData(output, RequestControlStep, new ControlPdu(ControlAction.RequestControl), Steps.SendFontList, "Control: request control"),
        Steps.SendFontList => SendShareData(output, FontListStep, new FontListPdu(), Steps.WaitFinalization, "Font List (no fonts, first and last)"),
        Steps.WaitFinalization => Receive(input, output),
    };

    private StepPlan Sending(string name) => new(name, ConnectionPhase.Finalization, null, connection.Layer);

    private StepResult SendShareData(IBufferWriter<byte> output, string step, ShareDataBody body, Steps next, string summary)
    {
        uint shareId = connection.DemandActive!.ShareId;
        var pdu = ShareDataPdu.Create(connection.Mcs.UserChannelId!.Value, shareId, body);
        connection.Channel.Send(output, 0, Pdu.Encode(pdu));
        State = next;
        return new StepResult(step, ConnectionPhase.Finalization, ShareNames.Name(body.PduType2), [new StepField("shareId", $"0x{shareId:x8}")], summary);
    }

    private StepResult Receive(ReadOnlySpan<byte> frame, IBufferWriter<byte> output)
    {
        StepPlan plan = Plan(State);
        ArrivalResult arrival = _receiver.Receive(Awaiting.Finalization, plan, frame, output);
        return arrival.Arrival switch
        {
            Arrival.Observed or Arrival.LicensingDone => arrival.Step!,
            Arrival.Finalized => Ended(arrival.Step!, reactivate: false),
            // The Demand Active of a reactivation can share the frame with the Deactivate All.
            Arrival.Deactivated or Arrival.DemandActive => Ended(arrival.Step!, reactivate: true),
            Arrival.Failed => Fail(arrival.RejectedStep!, plan.Phase, arrival.Rejection!),
        };
    }

    private StepResult Ended(StepResult step, bool reactivate)
    {
        connection.ReactivationRequested = reactivate;
        Complete();
        return step;
    }
}
