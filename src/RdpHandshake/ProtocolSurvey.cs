using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake;

/// <summary>How a server answered a request for one security protocol alone.</summary>
public enum ProtocolAnswer
{
    /// <summary>The server selected the protocol.</summary>
    Accepted,

    /// <summary>The server refused it with an RDP_NEG_FAILURE.</summary>
    Refused,

    /// <summary>The server answered but selected something else (e.g. Standard RDP Security).</summary>
    SelectedOther,

    /// <summary>The server did not answer with a Connection Confirm (closed, reset, timeout, garbage).</summary>
    NoAnswer,
}

/// <summary>The result for one protocol, with the full probe report behind it.</summary>
public sealed record ProtocolResult(SecurityProtocols Protocol, ProtocolAnswer Answer, string Detail, ProbeReport Report);

/// <summary>The results of <see cref="ProtocolSurvey.RunAsync"/>.</summary>
public sealed record ProtocolSurveyReport(string Target, DateTimeOffset StartedAt, TimeSpan Elapsed, IReadOnlyList<ProtocolResult> Results)
{
    /// <summary>
    /// Why the server could not be asked at all: the first connection failed in phase tcp (the name does not resolve,
    /// nothing listens, no answer), which no other protocol would change, so no other was tried. Null when it could.
    /// </summary>
    public Diagnosis? Failure { get; init; }

    /// <summary>TCP connections opened: one per protocol asked.</summary>
    public int Connections => Results.Count;

    public IEnumerable<SecurityProtocols> Accepted => Results.Where(r => r.Answer == ProtocolAnswer.Accepted).Select(r => r.Protocol);
}

/// <summary>
/// Asks a server once per security protocol, each alone in its own connection, which ones it accepts: the
/// question nmap's rdp-enum-encryption answers in its first table, with the full timeline behind every answer.
/// </summary>
public static class ProtocolSurvey
{
    /// <summary>The protocols asked about by default, in the order they are reported.</summary>
    public static IReadOnlyList<SecurityProtocols> DefaultProtocols { get; } =
    [
        SecurityProtocols.Rdp,
        SecurityProtocols.Ssl,
        SecurityProtocols.Hybrid,
        SecurityProtocols.HybridEx,
        SecurityProtocols.RdsTls,
        SecurityProtocols.RdsAad,
    ];

    public static async Task<ProtocolSurveyReport> RunAsync(
        ProbeTarget target,
        ProbeOptions options,
        IReadOnlyList<SecurityProtocols>? protocols = null,
        int concurrency = 2,
        RdpProber? prober = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        protocols ??= DefaultProtocols;
        prober ??= new RdpProber();
        DateTimeOffset started = DateTimeOffset.UtcNow;
        long origin = TimeProvider.System.GetTimestamp();
        var results = new ProtocolResult[protocols.Count];
        using var gate = new SemaphoreSlim(concurrency);

        async Task AskAsync(SecurityProtocols protocol, int index)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // The question is answered by the Connection Confirm alone: no TLS handshake is needed.
                ProbeOptions single = options with
                {
                    Negotiation = options.Negotiation with { RequestedProtocols = protocol, SendNegotiationRequest = true },
                    Until = ConnectionPhase.X224,
                };
                ProbeReport report = await prober.ProbeAsync(target, single, cancellationToken).ConfigureAwait(false);
                results[index] = Classify(protocol, report);
            }
            finally
            {
                gate.Release();
            }
        }

        // The first protocol alone: a target that cannot be reached over TCP, or through its proxy, fails the same way for
        // every protocol.
        await AskAsync(protocols[0], 0).ConfigureAwait(false);
        if (results[0] is { Answer: ProtocolAnswer.NoAnswer, Report.Diagnosis: { Phase: ConnectionPhase.Tcp or ConnectionPhase.Proxy } unreachable })
        {
            return new ProtocolSurveyReport(target.ToString(), started, TimeProvider.System.GetElapsedTime(origin), [results[0]]) { Failure = unreachable };
        }

        await Task.WhenAll(protocols.Skip(1).Select((protocol, index) => AskAsync(protocol, index + 1))).ConfigureAwait(false);
        return new ProtocolSurveyReport(target.ToString(), started, TimeProvider.System.GetElapsedTime(origin), results);
    }

    internal static ProtocolResult Classify(SecurityProtocols protocol, ProbeReport report)
    {
        if (report.Negotiation is { } negotiation)
        {
            if (negotiation.FailureCode is { } code)
            {
                return new ProtocolResult(protocol, ProtocolAnswer.Refused, NegotiationNames.Name(code), report);
            }

            if (negotiation.Selected is { } selected)
            {
                return selected == protocol
                    ? new ProtocolResult(protocol, ProtocolAnswer.Accepted, negotiation.ServerSentNegotiationData ? "selected" : "selected (no negotiation data: legacy server)", report)
                    : new ProtocolResult(protocol, ProtocolAnswer.SelectedOther, $"selected {NegotiationNames.ShortName(selected)} instead", report);
            }
        }

        string detail = report.Diagnosis is { } diagnosis ? $"{diagnosis.Cause}: {diagnosis.Summary}" : report.Verdict;
        return new ProtocolResult(protocol, ProtocolAnswer.NoAnswer, detail, report);
    }
}
