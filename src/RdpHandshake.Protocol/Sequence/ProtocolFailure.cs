using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Sequence;

/// <summary>
/// Why the connection sequence cannot go on, as the bytes show it: the cause, a short lowercase reason and, where
/// they apply, the detail and code that refine the cause and the decode error. The failure carries no phase: the
/// phase is the one of the step in which it happened, which the connector knows.
/// </summary>
/// <param name="Cause">What happened.</param>
/// <param name="Reason">One lowercase line: what the server did.</param>
public sealed record ProtocolFailure(CauseId Cause, string Reason)
{
    /// <summary>The name that refines the cause (an NTSTATUS, ERRINFO, alert or licensing error name).</summary>
    public string? Detail { get; init; }

    /// <summary>The number behind <see cref="Detail"/>, when there is one.</summary>
    public uint? Code { get; init; }

    /// <summary>Why the bytes did not decode, for malformed answers.</summary>
    public DecodeError? DecodeError { get; init; }

    /// <summary>
    /// The step whose bytes are the evidence when it is not the one that ended the run: a certificate finding that
    /// fails the policy is found in <c>tls.certificate</c> and fails the run once the handshake is complete.
    /// </summary>
    public string? EvidenceStep { get; init; }

    /// <summary>The failure of a frame that does not decode as the PDU the step expects.</summary>
    public static ProtocolFailure Malformed(string reason, DecodeError error) => new(CauseId.MalformedResponse, reason) { DecodeError = error };
}
