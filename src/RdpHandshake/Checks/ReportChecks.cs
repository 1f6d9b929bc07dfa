namespace RdpHandshake.Checks;

/// <summary>Checks on a report in one call, for tests that assert a server's configuration.</summary>
public static class ReportChecks
{
    /// <summary>
    /// Evaluates each check (<c>KEY OP VALUE</c>, as <c>rdphs probe --expect</c> takes them: <c>tls&gt;=1.2</c>,
    /// <c>cipher!~CBC</c>, <c>cert.days-left&gt;=30</c>) against <paramref name="report"/>, in order.
    /// </summary>
    /// <returns>One result per check: whether it passed, the value the report holds, and a message that says both.</returns>
    /// <exception cref="FormatException">A check does not parse or cannot make sense; the message says why.</exception>
    public static IReadOnlyList<ExpectationResult> Check(this ProbeReport report, params IEnumerable<string> checks)
    {
        ArgumentNullException.ThrowIfNull(report);
        return checks.Select(Expectation.Parse).Select(check => check.Evaluate(report)).ToArray();
    }
}
