using Microsoft.Extensions.Logging;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Policies;

/// <summary>
/// With <see cref="ProbeOptions.FollowRedirects"/>: a connection broker's Server Redirection is followed to the server
/// it names, on the same port, with its load-balance info as the routing token; each hop is kept in
/// <see cref="ProbeReport.PreviousHops"/>.
/// </summary>
public sealed partial class RedirectionFollowing : IProbePolicy
{
    public async Task<ProbeReport> ApplyAsync(ProbeReport report, PolicyContext context, CancellationToken cancellationToken)
    {
        ProbeOptions options = context.Options;
        var hops = new List<ProbeReport>();
        while (hops.Count < options.FollowRedirects
            && report.Diagnosis?.Cause.Id == CauseId.Redirected
            && report.Session?.RedirectionTarget is { Length: > 0 } next
            && !cancellationToken.IsCancellationRequested)
        {
            hops.Add(report);
            ProbeOptions followed = options with
            {
                Negotiation = options.Negotiation with { RoutingToken = report.Session.RedirectionRoutingToken ?? options.Negotiation.RoutingToken },
            };
            LogFollowing(context.Logger, next, context.Target.Port);
            report = await context.AttemptAsync(new ProbeTarget(next, context.Target.Port), followed, cancellationToken).ConfigureAwait(false);
        }

        return hops.Count == 0
            ? report
            : report with
            {
                Verdict = $"{report.Verdict} (after following {hops.Count} redirection(s) from {hops[0].Target})",
                PreviousHops = hops,
            };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following the redirection to {Host}:{Port}")]
    private static partial void LogFollowing(ILogger logger, string host, int port);
}
