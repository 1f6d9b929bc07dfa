using System.Diagnostics;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;

namespace RdpHandshake.Clients;

/// <summary>One client's row of the compatibility matrix.</summary>
/// <param name="Verdict">Whether the client connects, and if not why and what would fix it.</param>
/// <param name="Report">The run that answers for the client (shared with the other clients of <paramref name="Connection"/>).</param>
/// <param name="Connection">The number of the connection that answers for it, from 1.</param>
/// <param name="Shared">True when that connection was made with another offer, whose answer is the same for this client.</param>
public sealed record CompatibilityRow(ClientVerdict Verdict, ProbeReport Report, int Connection, bool Shared)
{
    public ClientProfile Profile => Verdict.Profile;
}

/// <summary>What <c>rdphs compat</c> found: one row per client, and the connections it took.</summary>
public sealed record CompatibilityResult(string Target, IReadOnlyList<CompatibilityRow> Rows, int Connections, TimeSpan Elapsed);

/// <summary>
/// Runs every client profile against one server, sharing connections where the answers are the same: profiles that
/// send the same bytes share a connection, and when the server answers the broadest request (rdphs's) without TLS,
/// every client whose request is a part of it gets that same answer (a server that takes none of TLS, HYBRID and
/// HYBRID_EX takes none of a part of them), so that one connection answers for all of them.
/// </summary>
public static class Compatibility
{
    /// <summary>Probes <paramref name="target"/> as each of <paramref name="profiles"/> would connect, and judges each.</summary>
    /// <param name="probe">
    /// Makes one connection with the options given (no retries: each call is one connection), telling the observer
    /// about each step as it begins and ends.
    /// </param>
    /// <param name="target">The server.</param>
    /// <param name="options">The base options (timeouts, how far to go); each profile's offer is applied on top.</param>
    /// <param name="profiles">The clients, in the matrix's order.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    public static async Task<CompatibilityResult> RunAsync(
        Func<ProbeTarget, ProbeOptions, Action<StepRecord>?, CancellationToken, Task<ProbeReport>> probe,
        ProbeTarget target,
        ProbeOptions options,
        IReadOnlyList<ClientProfile> profiles,
        CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var groups = profiles.GroupBy(p => p.OfferKey).Select(g => g.ToList()).ToList();

        // The broadest request first: if it gets no TLS, nobody does, and one connection answers for everybody.
        ClientProfile broadest = profiles.OrderByDescending(p => BitCount((uint)p.RequestedProtocols)).ThenBy(p => p.Name == "rdphs" ? 0 : 1).First();
        List<ClientProfile> first = groups.First(g => g.Contains(broadest));
        // The others start as soon as the first's Connection Confirm says whether TLS follows, not when it ends.
        var negotiated = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ProbeReport> firstRun = probe(target, broadest.Apply(options), step => Observe(step, negotiated), cancellationToken);
        await Task.WhenAny(negotiated.Task, firstRun).ConfigureAwait(false);
        bool noTls = negotiated.Task.IsCompleted
            ? !negotiated.Task.Result
            : (await firstRun.ConfigureAwait(false)) is { Negotiation.Selected: null or SecurityProtocols.Rdp, Tls: null };
        var rest = new List<List<ClientProfile>>();
        var sharedWithFirst = new List<string>();
        var reports = new Dictionary<string, (ProbeReport Report, int Connection, string Key)>();
        foreach (List<ClientProfile> group in groups.Where(g => g != first))
        {
            ClientProfile head = group[0];
            if (noTls && (head.RequestedProtocols & ~broadest.RequestedProtocols) == 0 && head.EncryptionMethods == broadest.EncryptionMethods)
            {
                sharedWithFirst.Add(head.OfferKey);
            }
            else
            {
                rest.Add(group);
            }
        }

        int connections = 1;
        // At most MaxConnectionsAtOnce connections at a time, the first one included: a server with a short accept
        // queue (xrdp listens with a backlog of 2) has the kernel drop the SYNs beyond it, which the client sends again
        // only after a second, so more at once is slower, not faster.
        using var slots = new SemaphoreSlim(MaxConnectionsAtOnce - 1);
        var runs = rest.Select(group => (group[0].OfferKey, Connection: ++connections, Task: Limited(slots, () => probe(target, group[0].Apply(options), null, cancellationToken), cancellationToken))).ToList();
        reports[broadest.OfferKey] = (await firstRun.ConfigureAwait(false), 1, broadest.OfferKey);
        foreach (var run in runs)
        {
            reports[run.OfferKey] = (await run.Task.ConfigureAwait(false), run.Connection, run.OfferKey);
        }

        foreach (string key in sharedWithFirst)
        {
            reports[key] = reports[broadest.OfferKey] with { Key = broadest.OfferKey };
        }

        var rows = profiles.Select(p =>
        {
            (ProbeReport report, int connection, string key) = reports[p.OfferKey];
            return new CompatibilityRow(ClientJudge.Evaluate(p, report, ownOffer: true), report, connection, key != p.OfferKey);
        }).ToList();
        return new CompatibilityResult(target.ToString(), rows, connections, clock.Elapsed);
    }

    /// <summary>
    /// Resolves <paramref name="negotiated"/> when the Connection Confirm step ends: true when the server selected a
    /// protocol that runs inside TLS, false for Standard RDP Security or a refusal.
    /// </summary>
    private static void Observe(StepRecord step, TaskCompletionSource<bool> negotiated)
    {
        if (step.Name != Protocol.Connector.X224Negotiation.ConnectionConfirmStep || step.Outcome == StepOutcome.InFlight)
        {
            return;
        }

        string? selected = step.Fields.Where(f => f.Name == "selectedProtocol").Select(f => f.Value).FirstOrDefault();
        negotiated.TrySetResult(step.Outcome == StepOutcome.Ok && selected is not null && !selected.StartsWith(NegotiationNames.SpecNames(SecurityProtocols.Rdp) + " ", StringComparison.Ordinal));
    }

    /// <summary>How many connections to the server are open at once, at most.</summary>
    public const int MaxConnectionsAtOnce = 3;

    private static async Task<ProbeReport> Limited(SemaphoreSlim slots, Func<Task<ProbeReport>> run, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await run().ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private static int BitCount(uint value) => System.Numerics.BitOperations.PopCount(value);
}
