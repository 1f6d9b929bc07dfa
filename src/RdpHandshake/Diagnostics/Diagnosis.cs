using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Diagnostics;

/// <summary>
/// What mstsc would have reported for the same failure: the disconnect reason and, where the server sent
/// one, the extended reason (the ERRINFO code).
/// </summary>
public sealed record MstscCode(int DisconnectReason, string DisconnectReasonName, int? ExtendedReason = null, string? ExtendedReasonName = null)
{
    public override string ToString() => ExtendedReason is { } extended
        ? $"0x{DisconnectReason:x} ({DisconnectReasonName}), extended 0x{extended:x} ({ExtendedReasonName})"
        : $"0x{DisconnectReason:x} ({DisconnectReasonName})";
}

/// <summary>The facts a diagnosis rests on.</summary>
/// <param name="Step">The step in flight or that failed, e.g. <c>x224.confirm</c>.</param>
/// <param name="LastSentHex">The last bytes we sent (hex).</param>
/// <param name="ReceivedHex">What the server sent in that step (hex, possibly partial).</param>
/// <param name="ExpectedLength">How long the frame should have been, when its header arrived.</param>
/// <param name="TransportEnd">How the stream ended: closed (FIN), reset (RST), socket error.</param>
/// <param name="SocketError">The socket error name, when there is one.</param>
/// <param name="DecodeError">Why the bytes did not decode.</param>
/// <param name="Fields">Decoded fields of the failing PDU.</param>
public sealed record Evidence(
    string? Step,
    string? LastSentHex = null,
    string? ReceivedHex = null,
    int? ExpectedLength = null,
    string? TransportEnd = null,
    string? SocketError = null,
    string? DecodeError = null,
    IReadOnlyList<StepField>? Fields = null);

/// <summary>
/// Why a run stopped short of where it was asked to go, typed: the cause (with the phase of the step where the
/// attempt ended), what it means, the evidence, what mstsc would have said, and what to do about it.
/// </summary>
public sealed record Diagnosis(
    Cause Cause,
    string Summary,
    string Explanation,
    Evidence Evidence,
    MstscCode? Mstsc,
    string Remedy)
{
    /// <summary>The phase of the step where the attempt ended.</summary>
    public ConnectionPhase Phase => Cause.Phase;

    /// <summary>When <see cref="Mstsc"/> is null: why no mstsc code is given (none documented, or not an mstsc situation).</summary>
    public string? MstscNote { get; init; }
}
