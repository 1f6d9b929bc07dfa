namespace RdpHandshake.Protocol.Sequence;

/// <summary>What one step did, for the timeline, and how the step and the sequence go on.</summary>
/// <param name="StepName">The timeline name; it may differ from the plan's (a PDU that arrives while another is awaited is recorded under its own name).</param>
/// <param name="Phase">The phase of the step, likewise.</param>
/// <param name="Pdu">The PDU sent or received, by its spec name.</param>
/// <param name="Fields">Decoded fields, in wire order.</param>
/// <param name="Summary">One line for humans.</param>
public sealed record StepResult(string StepName, ConnectionPhase Phase, string Pdu, IReadOnlyList<StepField> Fields, string Summary)
{
    /// <summary>Set when this step ended the sequence.</summary>
    public ProtocolFailure? Failure { get; init; }

    /// <summary>
    /// The step is not over: it needs more frames (a TLS flight spread over several records). The driver keeps it
    /// open, with its deadline, and reads the next frame for it.
    /// </summary>
    public bool Continues { get; init; }

    /// <summary>
    /// A PDU that does not answer what the step waits for (an error info, a logon notice, channel data): recorded
    /// as a step of its own; the wait goes on under the same deadline.
    /// </summary>
    public bool Interleaved { get; init; }

    /// <summary>
    /// Whether what the step wrote asks the server for an answer, so that the read deadline starts afresh: true for
    /// every request, false for bytes that ask nothing (TLS 1.3's compatibility ChangeCipherSpec).
    /// </summary>
    public bool AwaitsAnswer { get; init; } = true;
}
