using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;

namespace RdpHandshake;

/// <summary>
/// Everything a run found: the timeline, the negotiation result, how far it got and, if it stopped short,
/// the diagnosis. <c>docs/report-format.md</c> documents its JSON form. A record, so that a run that goes on
/// (a redirection followed, a second connection) can copy it with only what changed.
/// </summary>
public sealed record ProbeReport
{
    public required string Target { get; init; }

    public string? RemoteAddress { get; init; }

    public string? LocalAddress { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public required ProbeOptions Options { get; init; }

    public required IReadOnlyList<StepRecord> Steps { get; init; }

    public NegotiationResult? Negotiation { get; init; }

    /// <summary>The proxy the connection went through, and what it said; null for a direct connection.</summary>
    public ProxyHop? Proxy { get; init; }

    /// <summary>What the CredSSP phase learned (today: the NTLM CHALLENGE); null when it did not run.</summary>
    public CredSsp.CredSspResult? CredSsp { get; init; }

    /// <summary>What the TLS phase established or saw; null when it did not run.</summary>
    public Tls.TlsResult? Tls { get; init; }

    /// <summary>What MCS, Standard RDP Security, licensing and activation established; null when they did not run.</summary>
    public SessionResult? Session { get; init; }

    /// <summary>The runs that ended in a Server Redirection followed to reach this one, first hop first.</summary>
    public IReadOnlyList<ProbeReport> PreviousHops { get; init; } = [];

    /// <summary>
    /// The first run, when the server refused NTLM wrapped in SPNEGO and the probe connected again with bare
    /// NTLM (<see cref="ProbeOptions.RetryWithoutSpnego"/>): its steps show the refusal. Null otherwise.
    /// </summary>
    public ProbeReport? SpnegoAttempt { get; init; }

    /// <summary>The last phase completed, or null when not even TCP connected.</summary>
    public ConnectionPhase? Reached { get; init; }

    /// <summary>The phase the run was asked to reach.</summary>
    public required ConnectionPhase Goal { get; init; }

    public bool Success => Diagnosis is null;

    /// <summary>The payload bytes in wire order, for <c>--pcap</c>; null when TCP never connected.</summary>
    public Capture.WireLog? Wire { get; init; }

    public Diagnosis? Diagnosis { get; init; }

    public bool Interrupted => Diagnosis?.Cause.Id == CauseId.Interrupted;

    /// <summary>One line that says how the run ended.</summary>
    public required string Verdict { get; init; }
}
