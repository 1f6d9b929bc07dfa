using System.Buffers;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Sequence;

/// <summary>How far a sequence has gone.</summary>
public enum SequenceStatus
{
    /// <summary><see cref="IConnectionSequence.Next"/> says what comes next.</summary>
    Running,

    /// <summary>Done: the connector goes on with the next sequence.</summary>
    Completed,

    /// <summary>Done, and the run ends here successfully: nothing after it can run (a TLS handshake stopped early, NLA without credentials).</summary>
    Stopped,

    /// <summary>The run cannot go on: <see cref="IConnectionSequence.Failure"/> says why.</summary>
    Failed,
}

/// <summary>
/// One part of the client's connection sequence as a sans-IO state machine, after IronRDP's <c>Sequence</c>: the
/// driver asks for the <see cref="Next"/> step, feeds it exactly one frame (or nothing, for a step that only
/// sends) and sends what it writes. It reads no clock and touches no socket.
/// </summary>
public interface IConnectionSequence
{
    /// <summary>The next step; null once the sequence is no longer <see cref="SequenceStatus.Running"/>.</summary>
    StepPlan? Next { get; }

    SequenceStatus Status { get; }

    /// <summary>Why the sequence failed, once <see cref="Status"/> is <see cref="SequenceStatus.Failed"/>.</summary>
    ProtocolFailure? Failure { get; }

    /// <summary>Runs the next step: empty input for a step without <see cref="StepPlan.Read"/>, else exactly one frame as it sizes it.</summary>
    StepResult Step(ReadOnlySpan<byte> input, IBufferWriter<byte> output);

    /// <summary>
    /// Ends the sequence because the awaited frame could not even be sized (a wrong header, a length over the bound).
    /// <paramref name="received"/> is what arrived, at most the hint's <see cref="FrameHint.HeaderLength"/> bytes: enough
    /// for a sequence to say what the bytes are instead (another protocol's answer).
    /// </summary>
    StepResult RejectFrame(DecodeError error, ReadOnlySpan<byte> received);

    /// <summary>
    /// The party a step on <see cref="FrameLayer.Kdc"/> talks to could not be found, reached, or did not answer in
    /// time (<paramref name="failure"/> says which): the sequence decides whether that ends it or whether it goes on
    /// another way. Steps on the server's own connection never get here: their endings end the run.
    /// </summary>
    StepResult EndpointFailed(ProtocolFailure failure);
}

/// <summary>
/// The shape every sequence shares: a state enum of its own (only the states that take a step; finishing and
/// failing are <see cref="Status"/>), one exhaustive <see cref="Plan"/> and one exhaustive <see cref="Run"/> over it.
/// Both are switch expressions without a discard arm, so a state added without its plan or its step does not compile.
/// </summary>
public abstract class Sequence<TState> : IConnectionSequence
    where TState : struct, Enum
{
    protected Sequence(TState first) => State = first;

    /// <summary>The state that takes the next step.</summary>
    public TState State { get; protected set; }

    public SequenceStatus Status { get; private set; } = SequenceStatus.Running;

    public ProtocolFailure? Failure { get; private set; }

    public StepPlan? Next => Status == SequenceStatus.Running ? Plan(State) : null;

    public StepResult Step(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (Status != SequenceStatus.Running)
        {
            ThrowHelper.ThrowInvalidState(nameof(Step), Status.ToString());
        }

        if (Plan(State).Read is null && !input.IsEmpty)
        {
            ThrowHelper.ThrowInvalidState("feeding received bytes", State.ToString());
        }

        return Run(State, input, output);
    }

    public virtual StepResult RejectFrame(DecodeError error, ReadOnlySpan<byte> received)
    {
        StepPlan plan = Next ?? throw new InvalidOperationException($"no step is awaited: the sequence is {Status}");
        FrameHint hint = plan.Read ?? throw new InvalidOperationException($"step {plan.Name} awaits no frame");
        return Fail(plan.Name, plan.Phase, hint.Expecting, [new StepField("error", error.ToString())],
            ProtocolFailure.Malformed($"the server's answer is not a valid {hint.Expecting}: {error}", error));
    }

    /// <summary>By default an unreachable endpoint ends the sequence, with the step that needed it.</summary>
    public virtual StepResult EndpointFailed(ProtocolFailure failure)
    {
        StepPlan plan = Next ?? throw new InvalidOperationException($"no step is in flight: the sequence is {Status}");
        return Fail(plan.Name, plan.Phase, plan.Read?.Expecting ?? plan.Name, [], failure);
    }

    /// <summary>The step a state takes: name, phase, the frame it reads, its layer.</summary>
    protected abstract StepPlan Plan(TState state);

    /// <summary>Takes the step of <paramref name="state"/>.</summary>
    protected abstract StepResult Run(TState state, ReadOnlySpan<byte> input, IBufferWriter<byte> output);

    /// <summary>Ends the sequence successfully; the connector goes on with the next one.</summary>
    protected void Complete() => Status = SequenceStatus.Completed;

    /// <summary>Ends the sequence and, successfully, the run.</summary>
    protected void Stop() => Status = SequenceStatus.Stopped;

    /// <summary>
    /// Ends the sequence with <paramref name="failure"/> after a step that itself went well: what it found ends the
    /// run (a certificate the policy refuses once the handshake is complete, credentials needed and not given).
    /// </summary>
    protected void FailAfter(ProtocolFailure failure)
    {
        Status = SequenceStatus.Failed;
        Failure = failure;
    }

    /// <summary>Ends the sequence with a rejected frame and returns the failed step's result.</summary>
    protected StepResult Fail(string step, ConnectionPhase phase, Rejection rejection) => Fail(step, phase, rejection.Pdu, rejection.Fields, rejection.Failure);

    /// <summary>Ends the sequence with <paramref name="failure"/> and returns the failed step's result.</summary>
    protected StepResult Fail(string step, ConnectionPhase phase, string pdu, IReadOnlyList<StepField> fields, ProtocolFailure failure)
    {
        Status = SequenceStatus.Failed;
        Failure = failure;
        return new StepResult(step, phase, pdu, fields, failure.Reason) { Failure = failure };
    }
}
