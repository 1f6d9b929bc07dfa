using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Recording;

/// <summary>
/// Builds the timeline of a run. The engine opens a step before it sends or waits, so when the peer closes
/// the socket (or the user presses Ctrl-C) the record shows which step was in flight and what had arrived.
/// </summary>
public sealed class StepRecorder
{
    private readonly List<StepRecord> _steps = [];
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly Lock _gate = new();

    public StepRecorder(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _origin = _time.GetTimestamp();
        StartedAt = _time.GetUtcNow();
    }

    public DateTimeOffset StartedAt { get; }

    public TimeSpan Elapsed => _time.GetElapsedTime(_origin);

    /// <summary>A snapshot of the steps so far.</summary>
    public IReadOnlyList<StepRecord> Steps
    {
        get
        {
            lock (_gate)
            {
                return [.. _steps];
            }
        }
    }

    /// <summary>The step that has begun and not yet ended, if any.</summary>
    public StepRecord? InFlight
    {
        get
        {
            lock (_gate)
            {
                return _steps.Count > 0 && _steps[^1].Outcome == StepOutcome.InFlight ? _steps[^1] : null;
            }
        }
    }

    /// <summary>The last step that received bytes, for "what the server sent last".</summary>
    public StepRecord? LastReceiving
    {
        get
        {
            lock (_gate)
            {
                return _steps.LastOrDefault(s => s.Received.Length > 0);
            }
        }
    }

    public StepRecord Begin(string name, ConnectionPhase phase)
    {
        lock (_gate)
        {
            var step = new StepRecord(_steps.Count + 1, name, phase, Elapsed);
            _steps.Add(step);
            return step;
        }
    }

    /// <summary>Ends a step with what it exchanged and decoded.</summary>
    public void End(
        StepRecord step,
        StepOutcome outcome,
        string? summary,
        IReadOnlyList<StepField>? fields = null,
        byte[]? sent = null,
        byte[]? received = null,
        string? pdu = null)
    {
        lock (_gate)
        {
            step.Duration = Elapsed - step.Start;
            step.Outcome = outcome;
            step.Summary = summary;
            step.Fields = fields ?? step.Fields;
            step.Sent = sent ?? step.Sent;
            step.Received = received ?? step.Received;
            step.Pdu = pdu ?? step.Pdu;
        }
    }
}
