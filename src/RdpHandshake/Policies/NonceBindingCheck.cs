using Microsoft.Extensions.Logging;
using RdpHandshake.CredSsp;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;

namespace RdpHandshake.Policies;

/// <summary>
/// With <see cref="ProbeOptions.CheckNonceBinding"/>: after an attempt that authenticated at CredSSP version 5 or
/// later, one more authenticated attempt offering version 4, whose pubKeyAuth binds the server key without the client
/// nonce of the CVE-2018-0886 fix. A server set to "Force Updated Clients" refuses it; the answer goes to
/// <see cref="CredSspResult.NonceBinding"/>.
/// </summary>
public sealed partial class NonceBindingCheck : IProbePolicy
{
    /// <summary>The legacy version: it binds the server public key itself, sealed, without a nonce.</summary>
    private const int LegacyCredSspVersion = 4;

    public async Task<ProbeReport> ApplyAsync(ProbeReport report, PolicyContext context, CancellationToken cancellationToken)
    {
        ProbeOptions options = context.Options;
        if (!options.CheckNonceBinding || options.Credentials is null || report.CredSsp is not { } credssp)
        {
            return report;
        }

        NonceBindingResult check = await CheckAsync(report, credssp, context, cancellationToken).ConfigureAwait(false);
        return report with { CredSsp = credssp with { NonceBinding = check } };
    }

    private static async Task<NonceBindingResult> CheckAsync(ProbeReport report, CredSspResult credssp, PolicyContext context, CancellationToken cancellationToken)
    {
        int version = Math.Min(context.Options.CredSspVersion, credssp.ServerVersion);
        if (!Authenticated(report))
        {
            return new NonceBindingResult(null, "not checked: the run did not authenticate, so a refusal of version 4 would prove nothing");
        }

        if (version < TsRequest.FirstNonceVersion)
        {
            return new NonceBindingResult(null, $"not checked: the run itself authenticated at CredSSP version {version}, with the legacy binding");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return new NonceBindingResult(null, "not checked: interrupted");
        }

        LogNonceBindingCheck(context.Logger, context.Target.ToString());
        ProbeOptions legacy = context.Options with
        {
            CredSspVersion = LegacyCredSspVersion,
            Until = ConnectionPhase.CredSsp,
            NtlmInSpnego = credssp.NtlmInSpnego,
            RetryWithoutSpnego = false,
            CheckNonceBinding = false,
        };
        ProbeReport attempt = await context.AttemptAsync(context.Target, legacy, cancellationToken).ConfigureAwait(false);
        return Verdict(attempt, version);
    }

    /// <summary>Reads the version 4 attempt: accepted (not enforced), refused after the final token (enforced), or neither.</summary>
    internal static NonceBindingResult Verdict(ProbeReport attempt, int authenticatedVersion)
    {
        if (Authenticated(attempt))
        {
            return new NonceBindingResult(false, $"the server authenticated a CredSSP version {LegacyCredSspVersion} client (pubKeyAuth without the nonce binding); it does not force updated clients");
        }

        if (attempt.Diagnosis is { Cause: { Phase: ConnectionPhase.CredSsp, Id: CauseId.AuthFailed or CauseId.CredSspVersionMismatch or CauseId.ClosedAfterAuthenticate }, Evidence.Step: CredSspSequence.PubKeyStep } refusal)
        {
            return new NonceBindingResult(true, $"the server refused a CredSSP version {LegacyCredSspVersion} client with the credentials it accepted at version {authenticatedVersion}: {refusal.Cause.Name}, {refusal.Summary}");
        }

        string ending = attempt.Diagnosis is { } d ? $"{d.Phase.Name()} / {d.Cause.Name}: {d.Summary}" : $"it stopped at {attempt.Reached?.Name() ?? "nothing"}";
        return new NonceBindingResult(null, $"unknown: the version {LegacyCredSspVersion} attempt ended before the server judged its AUTHENTICATE ({ending})");
    }

    /// <summary>Whether the server proved its key with pubKeyAuth in the attempt, which it does only once it accepted the credentials.</summary>
    private static bool Authenticated(ProbeReport report) =>
        report.Steps.Any(s => s.Name == CredSspSequence.PubKeyStep && s.Outcome == StepOutcome.Ok);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checking whether {Target} refuses a CredSSP version 4 client")]
    private static partial void LogNonceBindingCheck(ILogger logger, string target);
}
