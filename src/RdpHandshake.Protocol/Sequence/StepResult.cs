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
    /// Set when this step failed and the sequence recovered from it (Negotiate going on with NTLM when no Kerberos
    /// ticket could be had): the step is recorded as failed, with this cause, and the run goes on.
    /// </summary>
    public ProtocolFailure? Setback { get; init; }

    /// <summary>
    /// Why the step's bytes must not be recorded, or null to record them: a Kerberos exchange carries tickets and
    /// material encrypted with the password's key, which the timeline and the reports never show.
    /// </summary>
    public string? BytesWithheld { get; init; }

    /// <summary>
    /// What the timeline and the evidence record in place of the bytes the step wrote, when those carry a secret that
    /// the protocol sends in the clear (a SOCKS5 password, HTTP Basic credentials): the same PDU with the secret
    /// overwritten, byte for byte. Null to record what was sent.
    /// </summary>
    public byte[]? RedactedOutput { get; init; }

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
