using System.Globalization;
using System.Text;
using RdpHandshake.Recording;

namespace RdpHandshake.Cli;

/// <summary>
/// Colour, wrapping and live progress for people at a terminal; plain text whenever the stream is redirected, NO_COLOR is
/// set or TERM is dumb, so scripts and logs never see escape sequences.
/// </summary>
internal static class Terminal
{
    private const string Reset = "\u001b[0m";

    /// <summary>True when <paramref name="writer"/> is the console and the console is an interactive terminal.</summary>
    public static bool IsInteractive(TextWriter writer)
    {
        if (Environment.GetEnvironmentVariable("TERM") == "dumb")
        {
            return false;
        }

        return (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected)
            || (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);
    }

    /// <summary>Whether to colour what goes to <paramref name="writer"/>: a terminal, and NO_COLOR unset.</summary>
    public static bool UsesColor(TextWriter writer) =>
        IsInteractive(writer) && Environment.GetEnvironmentVariable("NO_COLOR") is not { Length: > 0 };

    /// <summary>The terminal's width in columns, or null when <paramref name="writer"/> is not a terminal.</summary>
    public static int? Width(TextWriter writer)
    {
        if (!IsInteractive(writer))
        {
            return null;
        }

        try
        {
            return Console.WindowWidth is > 20 and var width ? width : null;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    public static string Green(string text, bool on) => on ? $"\u001b[32m{text}{Reset}" : text;

    public static string Red(string text, bool on) => on ? $"\u001b[31m{text}{Reset}" : text;

    public static string Yellow(string text, bool on) => on ? $"\u001b[33m{text}{Reset}" : text;

    public static string Bold(string text, bool on) => on ? $"\u001b[1m{text}{Reset}" : text;

    public static string Dim(string text, bool on) => on ? $"\u001b[2m{text}{Reset}" : text;

    /// <summary>
    /// Cuts <paramref name="line"/> into lines of at most <paramref name="width"/> visible columns (escape sequences take
    /// none), at spaces where it can, continuing at <paramref name="indent"/> columns. A null width leaves it whole.
    /// </summary>
    public static IEnumerable<string> Wrap(string line, int? width, int indent)
    {
        if (width is not { } columns || Visible(line) <= columns)
        {
            yield return line;
            yield break;
        }

        indent = Math.Min(indent, columns / 2);
        string rest = line;
        bool first = true;
        while (true)
        {
            int room = first ? columns : columns - indent;
            string prefix = first ? string.Empty : new string(' ', indent);
            if (Visible(rest) <= room)
            {
                yield return prefix + rest;
                yield break;
            }

            int cut = CutAt(rest, room);
            yield return prefix + rest[..cut].TrimEnd();
            rest = rest[cut..].TrimStart(' ');
            first = false;
        }
    }

    /// <summary>Where to cut <paramref name="text"/> to fit <paramref name="room"/> columns: after the last space that fits, else mid-word.</summary>
    private static int CutAt(string text, int room)
    {
        int visible = 0;
        int lastSpace = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\u001b')
            {
                int end = text.IndexOf('m', i);
                i = end < 0 ? text.Length : end;
                continue;
            }

            if (visible == room)
            {
                return lastSpace > 0 ? lastSpace : i;
            }

            if (text[i] == ' ')
            {
                lastSpace = i;
            }

            visible++;
        }

        return text.Length;
    }

    private static int Visible(string text)
    {
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\u001b')
            {
                int end = text.IndexOf('m', i);
                i = end < 0 ? text.Length : end;
                continue;
            }

            count++;
        }

        return count;
    }

    /// <summary>
    /// Writes lines for people: wrapped at the terminal's width when the writer is a terminal, whole when it is
    /// redirected, with colour only on a terminal.
    /// </summary>
    public sealed class Lines(TextWriter output)
    {
        private readonly int? _width = Width(output);

        public bool Color { get; } = UsesColor(output);

        public TextWriter Output => output;

        /// <summary>Writes one logical line; continuation lines of a wrapped one start at <paramref name="indent"/> columns.</summary>
        public void Line(string text = "", int indent = 4)
        {
            foreach (string part in Wrap(text, _width, indent))
            {
                output.WriteLine(part);
            }
        }
    }

    /// <summary>How much a probe shows: only the verdict, the verdict and a line per phase, or every step.</summary>
    public enum Detail
    {
        Quiet,
        Phases,
        Steps,
    }

    /// <summary>
    /// Progress of a probe on stderr while it runs. At a terminal: one line, rewritten in place, with the step in
    /// flight and its time against its deadline (<c>x224.confirm 2.3 s / 10 s</c>), cleared when the run ends.
    /// Redirected: a line as each phase ends (each step with <see cref="Detail.Steps"/>), and a line every 5 s a step
    /// keeps waiting, so a log shows how far a run got even when it is cut short.
    /// </summary>
    public sealed class Progress : IDisposable
    {
        private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
        private static readonly TimeSpan WaitingLine = TimeSpan.FromSeconds(5);

        private readonly bool _live = IsInteractive(Console.Error);
        private readonly Detail _detail;
        private readonly Func<StepRecord, TimeSpan> _deadline;
        private readonly Lock _gate = new();
        private readonly Timer? _timer;
        private readonly List<StepRecord> _phase = [];
        private StepRecord? _waiting;
        private long _waitingSince;
        private int _waitingLines;
        private bool _done;

        /// <param name="detail">How much the run shows; <see cref="Detail.Quiet"/> shows no progress.</param>
        /// <param name="deadline">The time a step may wait for the server.</param>
        public Progress(Detail detail, Func<StepRecord, TimeSpan> deadline)
        {
            _detail = detail;
            _deadline = deadline;
            if (detail != Detail.Quiet)
            {
                _timer = new Timer(_ => OnTick(), null, Tick, Tick);
            }
        }

        /// <summary>The prober's step observer: called when a step begins and again when it ends.</summary>
        public void OnStep(StepRecord step)
        {
            if (_detail == Detail.Quiet)
            {
                return;
            }

            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                if (step.Outcome == StepOutcome.InFlight)
                {
                    // A phase ends where a step of another begins, or a second connection (a retry, a redirection followed) starts.
                    if (_phase.Count > 0 && (_phase[^1].Phase != step.Phase || step.Name == RdpProber.TcpConnectStep))
                    {
                        FlushPhase();
                    }

                    _waiting = step;
                    _waitingSince = TimeProvider.System.GetTimestamp();
                    _waitingLines = 0;
                    Draw();
                    return;
                }

                if (ReferenceEquals(step, _waiting))
                {
                    _waiting = null;
                }

                _phase.Add(step);
                if (!_live && _detail == Detail.Steps)
                {
                    Console.Error.WriteLine($"  ... {step.Name} {Reporting.ProbeReportJson.OutcomeName(step.Outcome)}, {Ms(step.Duration ?? TimeSpan.Zero)} ms{(step.Summary is { } summary ? $": {summary}" : string.Empty)}");
                }
            }
        }

        private void OnTick()
        {
            lock (_gate)
            {
                if (_done || _waiting is null)
                {
                    return;
                }

                if (_live)
                {
                    Draw();
                    return;
                }

                TimeSpan waited = TimeProvider.System.GetElapsedTime(_waitingSince);
                if (waited >= WaitingLine * (_waitingLines + 1))
                {
                    _waitingLines++;
                    Console.Error.WriteLine($"  ... {_waiting.Name} waiting, {Seconds(waited)} s / {Limit(_deadline(_waiting))} s");
                }
            }
        }

        /// <summary>At a terminal: the step in flight and its time against its deadline, in place of the previous line.</summary>
        private void Draw()
        {
            if (!_live || _waiting is null)
            {
                return;
            }

            TimeSpan waited = TimeProvider.System.GetElapsedTime(_waitingSince);
            string text = $"  {_waiting.Name} {Seconds(waited)} s / {Limit(_deadline(_waiting))} s";
            if (Width(Console.Error) is { } width && text.Length >= width)
            {
                text = text[..(width - 1)];
            }

            Console.Error.Write($"\r\u001b[K{text}");
        }

        /// <summary>Redirected, with phase lines: the phase that just ended, as one line.</summary>
        private void FlushPhase()
        {
            if (!_live && _detail == Detail.Phases && _phase.Count > 0)
            {
                Console.Error.WriteLine($"  ... {TextRenderer.PhaseLine(_phase)}");
            }

            _phase.Clear();
        }

        /// <summary>Ends the progress: the last phase is written (redirected) or the live line cleared (terminal).</summary>
        public void Dispose()
        {
            _timer?.Dispose();
            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                _done = true;
                if (_live && _detail != Detail.Quiet)
                {
                    Console.Error.Write("\r\u001b[K");
                }
                else
                {
                    FlushPhase();
                }
            }
        }

        private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(span.TotalSeconds < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);

        private static string Limit(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

        private static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
    }
}
