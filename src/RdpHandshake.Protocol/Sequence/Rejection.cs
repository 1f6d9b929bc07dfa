using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Sequence;

/// <summary>Why a received frame cannot be used: the PDU it was, its fields, and the failure it means.</summary>
public sealed record Rejection(string Pdu, IReadOnlyList<StepField> Fields, ProtocolFailure Failure)
{
    public static Rejection Malformed(string pdu, DecodeError error, IReadOnlyList<StepField>? fields = null) =>
        new(pdu, [.. fields ?? [], new StepField("error", error.ToString())], ProtocolFailure.Malformed($"the server's {pdu} does not decode: {error}", error));
}
