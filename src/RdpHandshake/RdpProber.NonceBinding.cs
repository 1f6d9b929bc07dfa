using RdpHandshake.Crypto;
using Microsoft.Extensions.Logging;
using RdpHandshake.CredSsp;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake;

public sealed partial class RdpProber
{
    /// <summary>
    /// The legacy binding a version 2-4 client uses: the server public key itself, sealed, without a nonce. A
    /// server updated for CVE-2018-0886 with "Force Updated Clients" refuses it.
    /// </summary>
    private const int LegacyCredSspVersion = 4;

    /// <summary>One probe of one server: the SPNEGO fallback, then the nonce-binding check when it was asked for.</summary>
    private async Task<ProbeReport> ProbeConnectionAsync(ProbeTarget target, ProbeOptions options, CancellationToken cancellationToken)
    {
        ProbeReport report = await ProbeWithBareNtlmFallbackAsync(target, options, cancellationToken).ConfigureAwait(false);
        if (!options.CheckNonceBinding || options.Credentials is null || report.CredSsp is not { } credssp)
        {
            return report;
        }

        NonceBindingCheck check = await CheckNonceBindingAsync(target, options, report, credssp, cancellationToken).ConfigureAwait(false);
        return report with { CredSsp = credssp with { NonceBinding = check } };
    }

    private async Task<NonceBindingCheck> CheckNonceBindingAsync(ProbeTarget target, ProbeOptions options, ProbeReport report, CredSspResult credssp, CancellationToken cancellationToken)
    {
        int version = Math.Min(options.CredSspVersion, credssp.ServerVersion);
        if (!report.Steps.Any(s => s.Name == Run.PubKeyStep && s.Outcome == Recording.StepOutcome.Ok))
        {
            return new NonceBindingCheck(null, "not checked: the run did not authenticate, so a refusal of version 4 would prove nothing");
        }

        if (version < TsRequest.FirstNonceVersion)
        {
            return new NonceBindingCheck(null, $"not checked: the run itself authenticated at CredSSP version {version}, with the legacy binding");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return new NonceBindingCheck(null, "not checked: interrupted");
        }

        LogNonceBindingCheck(target.ToString());
        ProbeOptions legacy = options with
        {
            CredSspVersion = LegacyCredSspVersion,
            Until = ConnectionPhase.CredSsp,
            NtlmInSpnego = credssp.NtlmInSpnego,
            RetryWithoutSpnego = false,
            CheckNonceBinding = false,
        };
        ProbeReport attempt = await ProbeOnceAsync(target, legacy, cancellationToken).ConfigureAwait(false);
        return NonceBindingVerdict(attempt, version);
    }

    /// <summary>Reads the version 4 attempt: accepted (not enforced), refused after the AUTHENTICATE (enforced), or neither.</summary>
    internal static NonceBindingCheck NonceBindingVerdict(ProbeReport attempt, int authenticatedVersion)
    {
        if (attempt.Steps.Any(s => s.Name == Run.PubKeyStep && s.Outcome == Recording.StepOutcome.Ok))
        {
            return new NonceBindingCheck(false, $"the server authenticated a CredSSP version {LegacyCredSspVersion} client (pubKeyAuth without the nonce binding); it does not force updated clients");
        }

        if (attempt.Diagnosis is { Phase: ConnectionPhase.CredSsp, Evidence.Step: Run.PubKeyStep } refusal
            && (refusal.Cause.StartsWith(DiagnosisCatalog.CredSspCauses.AuthFailed + ":", StringComparison.Ordinal)
                || refusal.Cause is DiagnosisCatalog.CredSspCauses.VersionMismatch or DiagnosisCatalog.CredSspCauses.ClosedAfterAuthenticate))
        {
            return new NonceBindingCheck(true, $"the server refused a CredSSP version {LegacyCredSspVersion} client with the credentials it accepted at version {authenticatedVersion}: {refusal.Cause}, {refusal.Summary}");
        }

        string ending = attempt.Diagnosis is { } d ? $"{d.Phase.Name()} / {d.Cause}: {d.Summary}" : $"it stopped at {attempt.Reached?.Name() ?? "nothing"}";
        return new NonceBindingCheck(null, $"unknown: the version {LegacyCredSspVersion} attempt ended before the server judged its AUTHENTICATE ({ending})");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Checking whether {Target} refuses a CredSSP version 4 client")]
    private partial void LogNonceBindingCheck(string target);
}
