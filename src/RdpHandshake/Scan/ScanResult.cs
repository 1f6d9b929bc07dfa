using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Scan;

/// <summary>What the X.224 negotiation says about Network Level Authentication (CredSSP) on a host.</summary>
public enum NlaStatus
{
    /// <summary>The server selected PROTOCOL_HYBRID or PROTOCOL_HYBRID_EX from what was offered.</summary>
    Selected,

    /// <summary>The server refused with HYBRID_REQUIRED_BY_SERVER: NLA is mandatory.</summary>
    Required,

    /// <summary>NLA was offered and the server selected something else (TLS or Standard RDP Security).</summary>
    NotSelected,

    /// <summary>NLA was not offered, and the server did not ask for it.</summary>
    NotOffered,
}

/// <summary>
/// The compact outcome of probing one host in a scan: what a summary table and a JSON line need, and nothing
/// of the full <see cref="ProbeReport"/> (no steps, no bytes), so that a scan's memory does not grow with its targets.
/// </summary>
/// <param name="Index">The target's position in the scan (0-based, in the order targets were given).</param>
/// <param name="Target">The target probed, <c>host:port</c>.</param>
/// <param name="Remote">The address connected to; null when TCP did not connect.</param>
/// <param name="Goal">The phase the probe was asked to reach.</param>
/// <param name="Reached">The last phase completed; null when not even TCP connected.</param>
/// <param name="Selected">The security protocol the server selected; null without an RDP_NEG_RSP.</param>
/// <param name="NegotiationFailure">The RDP_NEG_FAILURE code, when the server refused.</param>
/// <param name="Nla">What the negotiation says about NLA; null when the server never answered it.</param>
/// <param name="TlsVersion">The TLS version the server chose; null without a ServerHello.</param>
/// <param name="TlsCipherSuite">The cipher suite the server chose.</param>
/// <param name="CertificateSubject">The subject of the server's TLS certificate.</param>
/// <param name="CertificateDaysLeft">Days until the certificate expires (negative once expired).</param>
/// <param name="FailedPhase">The phase the diagnosis names; null on success.</param>
/// <param name="Cause">The diagnosis cause (<c>docs/report-format.md</c>), or <see cref="CauseId.HostTimeout"/> when the scan's deadline ended the probe.</param>
/// <param name="Summary">The diagnosis summary, or the verdict on success.</param>
/// <param name="StartedAt">When the probe started.</param>
/// <param name="Elapsed">How long the probe took.</param>
public sealed record ScanResult(
    long Index,
    string Target,
    string? Remote,
    ConnectionPhase Goal,
    ConnectionPhase? Reached,
    SecurityProtocols? Selected,
    NegotiationFailureCode? NegotiationFailure,
    NlaStatus? Nla,
    TlsVersion? TlsVersion,
    int? TlsCipherSuite,
    string? CertificateSubject,
    int? CertificateDaysLeft,
    ConnectionPhase? FailedPhase,
    Cause? Cause,
    string Summary,
    DateTimeOffset StartedAt,
    TimeSpan Elapsed)
{
    /// <summary>The host reached the goal without a diagnosis.</summary>
    public bool Success => Cause is null;

    /// <summary>The scan was stopped (Ctrl-C) while this host was being probed.</summary>
    public bool Interrupted => Cause?.Id == CauseId.Interrupted;

    /// <summary>Takes the compact result from a full report; the report can be dropped afterwards.</summary>
    public static ScanResult From(long index, ProbeTarget target, ProbeReport report, bool hostTimedOut = false)
    {
        NegotiationResult? negotiation = report.Negotiation;
        TlsResult? tls = report.Tls;
        Diagnosis? diagnosis = report.Diagnosis;
        Cause? cause = diagnosis?.Cause;
        string summary = diagnosis?.Summary ?? report.Verdict;
        if (hostTimedOut && cause is { Id: CauseId.Interrupted } interrupted)
        {
            cause = interrupted with { Id = CauseId.HostTimeout };
            summary = $"the scan's per-host deadline passed during phase {interrupted.Phase.Name()}";
        }

        return new ScanResult(
            index,
            target.ToString(),
            report.RemoteAddress,
            report.Goal,
            report.Reached,
            negotiation?.Selected,
            negotiation?.FailureCode,
            NlaOf(negotiation),
            tls?.Version,
            tls?.CipherSuite,
            tls?.Certificate?.Subject,
            tls?.Certificate?.DaysLeft,
            diagnosis?.Phase,
            cause,
            summary,
            report.StartedAt,
            report.Elapsed);
    }

    private static NlaStatus? NlaOf(NegotiationResult? negotiation)
    {
        if (negotiation is null || (negotiation.Selected is null && negotiation.FailureCode is null))
        {
            return null;
        }

        if (negotiation.FailureCode == NegotiationFailureCode.HybridRequiredByServer)
        {
            return NlaStatus.Required;
        }

        const SecurityProtocols nla = SecurityProtocols.Hybrid | SecurityProtocols.HybridEx;
        if (negotiation.Selected is { } selected && (selected & nla) != 0)
        {
            return NlaStatus.Selected;
        }

        return (negotiation.Requested & nla) != 0 ? NlaStatus.NotSelected : NlaStatus.NotOffered;
    }
}
