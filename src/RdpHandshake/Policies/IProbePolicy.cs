using Microsoft.Extensions.Logging;

namespace RdpHandshake.Policies;

/// <summary>What a policy may use: the target and options of the attempt it follows, and a way to make another attempt.</summary>
/// <param name="Target">The server the attempt went to.</param>
/// <param name="Options">The options it ran with.</param>
/// <param name="AttemptAsync">Runs one more attempt, with the policies before this one applied to it.</param>
/// <param name="Logger">For the milestones a policy adds (a retry, a second connection).</param>
public sealed record PolicyContext(
    ProbeTarget Target,
    ProbeOptions Options,
    Func<ProbeTarget, ProbeOptions, CancellationToken, Task<ProbeReport>> AttemptAsync,
    ILogger Logger);

/// <summary>
/// Something a probe does after an attempt, above the connection sequence: it reads the attempt's report and, when
/// the report calls for it, runs more attempts, returning the report that stands. Each policy is one file; the
/// prober applies them in order (<see cref="RdpProber.Policies"/>).
/// </summary>
public interface IProbePolicy
{
    Task<ProbeReport> ApplyAsync(ProbeReport report, PolicyContext context, CancellationToken cancellationToken);
}
