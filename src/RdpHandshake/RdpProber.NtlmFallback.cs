using Microsoft.Extensions.Logging;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake;

public sealed partial class RdpProber
{
    /// <summary>
    /// One connection, and when the server refuses the SPNEGO-wrapped NTLM NEGOTIATE with a TSRequest errorCode
    /// (FreeRDP 2 servers do: their NTLM package reads the SPNEGO token as a malformed NEGOTIATE and the server
    /// answers <c>NTSTATUS_FROM_WIN32(GetLastError())</c>, 0xc00700ea), a second connection that sends NTLM bare.
    /// The returned report is the second run's, with the first attached as <see cref="ProbeReport.SpnegoAttempt"/>.
    /// </summary>
    private async Task<ProbeReport> ProbeWithBareNtlmFallbackAsync(ProbeTarget target, ProbeOptions options, CancellationToken cancellationToken)
    {
        ProbeReport first = await ProbeOnceAsync(target, options, cancellationToken).ConfigureAwait(false);
        if (!options.NtlmInSpnego || !options.RetryWithoutSpnego || cancellationToken.IsCancellationRequested || SpnegoRefusal(first) is not { } code)
        {
            return first;
        }

        LogBareNtlmRetry(target.ToString(), code);
        ProbeReport second = await ProbeOnceAsync(target, options with { NtlmInSpnego = false }, cancellationToken).ConfigureAwait(false);
        string note = $"NTLM sent without SPNEGO after the server refused SPNEGO with 0x{code:x8}";
        return second with
        {
            StartedAt = first.StartedAt,
            Elapsed = second.StartedAt + second.Elapsed - first.StartedAt,
            Options = options,
            CredSsp = second.CredSsp is { } credssp ? credssp with { SpnegoRefusedWith = code } : null,
            SpnegoAttempt = first,
            Verdict = $"{second.Verdict} ({note})",
        };
    }

    // The cause RunCredSspChallengeAsync gives an errorCode in answer to the NEGOTIATE: server-error:0xCODE.
    private const string ServerErrorPrefix = "server-error:0x";

    /// <summary>
    /// The errorCode with which the server answered the SPNEGO NegTokenInit (the first CredSSP round trip), or
    /// null when the run did not end that way.
    /// </summary>
    internal static uint? SpnegoRefusal(ProbeReport report)
    {
        if (report.Diagnosis is not { Phase: ConnectionPhase.CredSsp } diagnosis
            || diagnosis.Evidence.Step != Run.ChallengeStep
            || !diagnosis.Cause.StartsWith(ServerErrorPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        return uint.TryParse(diagnosis.Cause.AsSpan(ServerErrorPrefix.Length), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out uint code)
            ? code
            : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Target} refused NTLM in SPNEGO with 0x{Code:x8}; connecting again with bare NTLM")]
    private partial void LogBareNtlmRetry(string target, uint code);
}
