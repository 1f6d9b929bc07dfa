using Microsoft.Extensions.Logging;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Policies;

/// <summary>
/// When the server refuses the SPNEGO-wrapped NTLM NEGOTIATE with a TSRequest errorCode (FreeRDP 2 servers do: their
/// NTLM package reads the SPNEGO token as a malformed NEGOTIATE and the server answers
/// <c>NTSTATUS_FROM_WIN32(GetLastError())</c>, 0xc00700ea), a second connection that sends NTLM bare. The report that
/// stands is the second one, with the first attached as <see cref="ProbeReport.SpnegoAttempt"/>. A Negotiate run that
/// offered a Kerberos token retries the same way (the retry is NTLM, bare); a Kerberos-only run does not.
/// </summary>
public sealed partial class BareNtlmRetry : IProbePolicy
{
    public async Task<ProbeReport> ApplyAsync(ProbeReport report, PolicyContext context, CancellationToken cancellationToken)
    {
        ProbeOptions options = context.Options;
        // A Kerberos-only run does not go on with NTLM; a Negotiate run does, as NTLM is its fallback.
        if (!options.NtlmInSpnego || !options.RetryWithoutSpnego || options.Authentication == Kerberos.AuthPackage.Kerberos
            || cancellationToken.IsCancellationRequested || SpnegoRefusal(report) is not { } code)
        {
            return report;
        }

        LogBareNtlmRetry(context.Logger, context.Target.ToString(), code);
        ProbeReport second = await context.AttemptAsync(context.Target, options with { NtlmInSpnego = false }, cancellationToken).ConfigureAwait(false);
        string note = $"NTLM sent without SPNEGO after the server refused SPNEGO with 0x{code:x8}";
        return second with
        {
            StartedAt = report.StartedAt,
            Elapsed = second.StartedAt + second.Elapsed - report.StartedAt,
            Options = options,
            CredSsp = second.CredSsp is { } credssp ? credssp with { SpnegoRefusedWith = code } : null,
            SpnegoAttempt = report,
            Verdict = $"{second.Verdict} ({note})",
        };
    }

    /// <summary>The errorCode with which the server answered the SPNEGO NegTokenInit, or null when the attempt did not end that way.</summary>
    internal static uint? SpnegoRefusal(ProbeReport report) =>
        report.Diagnosis?.Cause is { Phase: ConnectionPhase.CredSsp, Id: CauseId.ServerError, Code: { } code } ? code : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Target} refused NTLM in SPNEGO with 0x{Code:x8}; connecting again with bare NTLM")]
    private static partial void LogBareNtlmRetry(ILogger logger, string target, uint code);
}
