namespace RdpHandshake.Cli;

/// <summary>
/// Colour and live progress for people at a terminal; plain text whenever the stream is redirected, NO_COLOR is
/// set or TERM is dumb, so scripts and logs never see escape sequences.
/// </summary>
internal static class Terminal
{
    private const string Reset = "\u001b[0m";

    /// <summary>True when <paramref name="writer"/> is the console and the console is an interactive terminal.</summary>
    public static bool IsInteractive(TextWriter writer)
    {
        if (Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 } || Environment.GetEnvironmentVariable("TERM") == "dumb")
        {
            return false;
        }

        return (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected)
            || (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);
    }

    public static string Green(string text, bool on) => on ? $"\u001b[32m{text}{Reset}" : text;

    public static string Red(string text, bool on) => on ? $"\u001b[31m{text}{Reset}" : text;

    public static string Yellow(string text, bool on) => on ? $"\u001b[33m{text}{Reset}" : text;

    public static string Bold(string text, bool on) => on ? $"\u001b[1m{text}{Reset}" : text;

    public static string Dim(string text, bool on) => on ? $"\u001b[2m{text}{Reset}" : text;

    /// <summary>
    /// A one-line live progress display on stderr: the step in flight, rewritten in place, cleared when the run
    /// ends. Does nothing when stderr is not a terminal.
    /// </summary>
    public sealed class Progress : IDisposable
    {
        private readonly bool _enabled = IsInteractive(Console.Error);
        private readonly object _gate = new();
        private int _count;
        private bool _cleared;

        public void OnStep(Recording.StepRecord step)
        {
            if (!_enabled)
            {
                return;
            }

            lock (_gate)
            {
                if (_cleared)
                {
                    return;
                }

                string state = step.Outcome == Recording.StepOutcome.InFlight ? "..." : Reporting.ProbeReportJson.OutcomeName(step.Outcome);
                _count = step.Index;
                Console.Error.Write($"\r\u001b[K  [{_count}] {step.Name} {state}");
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (_enabled && !_cleared)
                {
                    Console.Error.Write("\r\u001b[K");
                }

                _cleared = true;
            }
        }
    }
}
