namespace RdpHandshake.Protocol.Sequence;

/// <summary>One decoded field of a PDU as it appears in the timeline: a spec field name and a display value.</summary>
public readonly record struct StepField(string Name, string Value)
{
    public override string ToString() => $"{Name}={Value}";
}
