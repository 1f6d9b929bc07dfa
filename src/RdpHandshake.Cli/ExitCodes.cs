using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Cli;

/// <summary>
/// Process exit codes of <c>rdphs</c>, stable for scripts: 0 when the run reached what was asked, 2 for bad
/// usage, one code per failing phase, and distinct codes for interruption and internal errors.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Generic failure that is not a phase (e.g. an output file could not be written).</summary>
    public const int Failure = 1;

    public const int Usage = 2;

    /// <summary>The run reached what was asked, but at least one <c>--expect</c> check failed.</summary>
    public const int ExpectationsFailed = 3;

    /// <summary>
    /// A report file asked for (<c>--junit</c>, <c>--pcap</c>, <c>--report</c>) could not be written at the end of the
    /// run; it wins over every code but <see cref="Interrupted"/>, so CI cannot lose its report unnoticed.
    /// </summary>
    public const int ReportNotWritten = 4;

    /// <summary><c>rdphs analyze</c>: the capture was read, but holds no RDP connection (or none that the selection keeps).</summary>
    public const int NoRdp = 5;

    public const int Tcp = 10;
    public const int X224 = 11;
    public const int Tls = 12;
    public const int CredSsp = 13;
    public const int Mcs = 14;
    public const int Security = 15;
    public const int Licensing = 16;
    public const int Capabilities = 17;
    public const int Finalization = 18;
    public const int Proxy = 19;

    /// <summary>The RD Gateway hop (its connection, TLS, HTTP authentication, tunnel or channel) failed.</summary>
    public const int Gateway = 20;

    /// <summary>A bug in rdphs: the partial report is still written.</summary>
    public const int Internal = 70;

    /// <summary>Ctrl-C or SIGTERM (128 + SIGINT): the partial report is still written.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code a probe's report implies.</summary>
    public static int For(ProbeReport report) => For(report.Diagnosis?.Cause);

    /// <summary>The exit code of a run that ended with <paramref name="cause"/> (null: it reached its goal).</summary>
    public static int For(Cause? cause) => cause switch
    {
        null => Success,
        { Id: CauseId.Interrupted } => Interrupted,
        { Id: CauseId.InternalError } => Internal,
        { } failed => ForPhase(failed.Phase),
    };

    /// <summary>
    /// The exit code <c>rdphs probe</c> would have given a scanned host: its cause's, or when the scan itself ended the
    /// probe before any phase was known, a plain failure.
    /// </summary>
    public static int For(Scan.ScanResult result) => result.FailedPhase is null && result.Cause is { Id: not (CauseId.Interrupted or CauseId.InternalError) }
        ? Failure
        : For(result.Cause);

    public static int ForPhase(ConnectionPhase phase) => phase switch
    {
        ConnectionPhase.Tcp => Tcp,
        ConnectionPhase.Proxy => Proxy,
        ConnectionPhase.Gateway => Gateway,
        ConnectionPhase.X224 => X224,
        ConnectionPhase.Tls => Tls,
        ConnectionPhase.CredSsp => CredSsp,
        ConnectionPhase.Mcs => Mcs,
        ConnectionPhase.Security => Security,
        ConnectionPhase.Licensing => Licensing,
        ConnectionPhase.Capabilities => Capabilities,
        ConnectionPhase.Finalization => Finalization,
    };

    /// <summary>Every code with its meaning, for <c>--help</c> and docs.</summary>
    public static IReadOnlyList<(int Code, string Meaning)> All { get; } =
    [
        (Success, "the run reached the step asked for"),
        (Failure, "an error outside the connection (e.g. an output file could not be written)"),
        (Usage, "bad usage: unknown option, malformed target or value"),
        (ExpectationsFailed, "the run reached what was asked, but an --expect check failed"),
        (ReportNotWritten, "a report file asked for (--junit, --pcap, --report) could not be written"),
        (Tcp, "failed in phase tcp (refused, unreachable, timeout, name not resolved)"),
        (Gateway, "failed in phase gateway (the RD Gateway refused, closed or stalled at its TLS, HTTP authentication, tunnel or channel)"),
        (X224, "failed in phase x224 (negotiation failure, closed or reset, malformed answer, timeout)"),
        (Tls, "failed in phase tls"),
        (CredSsp, "failed in phase credssp"),
        (Mcs, "failed in phase mcs"),
        (Security, "failed in phase security"),
        (Licensing, "failed in phase licensing"),
        (Capabilities, "failed in phase capabilities"),
        (Finalization, "failed in phase finalization"),
        (Proxy, "failed in phase proxy (the proxy refused, failed or could not reach the server)"),
        (Internal, "internal error in rdphs (please report it with the JSON report)"),
        (Interrupted, "interrupted by Ctrl-C or SIGTERM; the partial report was written"),
    ];
}
