using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace RdpHandshake.Cli;

/// <summary>
/// What every command shares on the command line: the placeholders its help shows (FILE, HOST, SECONDS), number and
/// level values read with messages of our own, the one-page top-level help, and parse errors said as one lowercase
/// line that names the input at fault and, for a mistyped command or option, the nearest one.
/// </summary>
internal static class Conventions
{
    /// <summary>The placeholder each option's help shows for its value.</summary>
    private static readonly Dictionary<string, string> Placeholders = new(StringComparer.Ordinal)
    {
        ["--timeout"] = "SECONDS",
        ["--connect-timeout"] = "SECONDS",
        ["--host-timeout"] = "SECONDS",
        ["--cookie"] = "ID",
        ["--routing-token"] = "TOKEN",
        ["--correlation-id"] = "GUID",
        ["--until"] = "PHASE",
        ["--tls-versions"] = "VERSIONS",
        ["--tls-ciphers"] = "SUITES",
        ["--tls-groups"] = "GROUPS",
        ["--tls-sigalgs"] = "SCHEMES",
        ["--sni"] = "NAME",
        ["--channels"] = "NAMES",
        ["--encryption-methods"] = "METHODS",
        ["--encryption-level"] = "LEVEL",
        ["--client-name"] = "NAME",
        ["--user"] = "USER",
        ["--password-file"] = "FILE",
        ["--credssp-version"] = "VERSION",
        ["--keylog"] = "FILE",
        ["--trust"] = "system|none|FILE",
        ["--cert-policy"] = "FINDINGS",
        ["--log-level"] = "LEVEL",
        ["--protocols"] = "PROTOCOLS",
        ["--pcap"] = "FILE",
        ["--expect"] = "CHECK",
        ["--policy"] = "FILE",
        ["--junit"] = "FILE",
        ["--server-fault"] = "STEP:KIND",
        ["--fault"] = "STEP:KIND",
        ["--concurrency"] = "N",
        ["--delay"] = "MS",
        ["--drip-interval"] = "MS",
        ["--targets-file"] = "FILE",
        ["--port"] = "PORT",
        ["--max-targets"] = "N",
        ["--max-connections"] = "N",
        ["--bind"] = "ADDRESS",
        ["--accept"] = "PROTOCOLS",
        ["--security-layer"] = "LAYER",
        ["--licensing"] = "ANSWER",
        ["--error-info"] = "ERRINFO",
        ["--redirect"] = "HOST[,LBINFO]",
        ["--rdp-version"] = "VERSION",
        ["--fail-with"] = "CODE",
        ["--response-flags"] = "FLAGS",
        ["--certificate"] = "PROFILE",
        ["--certificate-file"] = "FILE",
        ["--key-file"] = "FILE",
        ["--credssp-fault"] = "FAULT",
        ["--account"] = "NAME:PASSWORD",
        ["--accounts"] = "FILE",
        ["--layer"] = "LAYER",
        ["--seed"] = "SEED",
        ["--cases"] = "N",
        ["--first"] = "INDEX",
        ["--rate"] = "N",
        ["--replay"] = "SEED:INDEX",
        ["--report"] = "FILE",
        ["--auth"] = "negotiate|kerberos|ntlm",
        ["--kdc"] = "KDCS",
        ["--spn"] = "SERVICE/HOST",
        ["--kerberos-etypes"] = "ETYPES",
        ["--dns-server"] = "IP[:PORT]",
        ["--kerberos-keytab"] = "FILE",
        ["--kdc-port"] = "PORT",
        ["--realm"] = "REALM",
        ["--kdc-fault"] = "REQUEST:KIND",
        ["--listen"] = "ADDRESS:PORT",
        ["--config"] = "FILE",
        ["--allow-targets"] = "HOSTS",
        ["--max-concurrent"] = "N",
        ["--timeout-offset"] = "SECONDS",
        ["--format"] = "text|json|nagios",
        ["--warn-days"] = "DAYS",
        ["--crit-days"] = "DAYS",
        ["--warn-expect"] = "CHECK",
    };

    /// <summary>One line per command for the top-level help: what it is for.</summary>
    private static readonly Dictionary<string, string> Summaries = new(StringComparer.Ordinal)
    {
        ["probe"] = "one connection attempt, step by step, with the diagnosis when it fails",
        ["protocols"] = "which security protocols (RDP, TLS, NLA, ...) the server accepts",
        ["tls"] = "which TLS versions, cipher suites and groups the server accepts, over RDP",
        ["ntlm-info"] = "the names, domain, clock and Windows build an NLA server reveals",
        ["scan"] = "many hosts at once: protocol, TLS, certificate, NLA, how far each got",
        ["serve"] = "the scriptable test server, misbehaving on demand",
        ["explain"] = "what mstsc's disconnect codes mean, and which steps end that way",
        ["fuzz"] = "mutated client PDUs against a server under test",
        ["exporter"] = "a Prometheus exporter: /probe?target=HOST&module=NAME answers a probe's metrics",
    };

    /// <summary>Applies the conventions to every command under <paramref name="root"/>.</summary>
    public static void Apply(RootCommand root)
    {
        HelpOption help = root.Options.OfType<HelpOption>().Single();
        help.Action = new TopLevelHelp(root, (HelpAction)help.Action!);
        foreach (Command command in root.Subcommands)
        {
            foreach (Option option in command.Options)
            {
                if (option.HelpName is null && Placeholders.TryGetValue(option.Name, out string? placeholder))
                {
                    option.HelpName = placeholder;
                }

                ReadValuesOurWay(option);
            }
        }
    }

    /// <summary>
    /// Number and level options read their value with a message that names the option and the value, instead of the
    /// parser's own (which names a .NET type).
    /// </summary>
    private static void ReadValuesOurWay(Option option)
    {
        switch (option)
        {
            case Option<double> real:
                real.CustomParser = r => Number(r, real.Name, "a number") ?? 0;
                break;
            case Option<double?> optionalReal:
                optionalReal.CustomParser = r => Number(r, optionalReal.Name, "a number");
                break;
            case Option<int> whole:
                whole.CustomParser = r => (int)(Number(r, whole.Name, "a whole number", int.MinValue, int.MaxValue) ?? 0);
                break;
            case Option<int?> optionalWhole:
                optionalWhole.CustomParser = r => Number(r, optionalWhole.Name, "a whole number", int.MinValue, int.MaxValue) is { } value ? (int)value : null;
                break;
            case Option<long> big:
                big.CustomParser = r => (long)(Number(r, big.Name, "a whole number", long.MinValue, long.MaxValue) ?? 0);
                break;
            case Option<LogLevel> level:
                level.CustomParser = r =>
                {
                    string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
                    if (Enum.TryParse(text, ignoreCase: true, out LogLevel parsed) && Enum.IsDefined(parsed) && !int.TryParse(text, out _))
                    {
                        return parsed;
                    }

                    r.AddError($"{level.Name} '{text}': not a level ({string.Join(", ", Enum.GetNames<LogLevel>())})");
                    return LogLevel.None;
                };
                break;
        }
    }

    private static double? Number(ArgumentResult result, string option, string kind, double min = double.MinValue, double max = double.MaxValue)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        bool whole = kind == "a whole number";
        if (double.TryParse(text, whole ? NumberStyles.AllowLeadingSign : NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            && double.IsFinite(value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{option} '{text}': not {kind}");
        return null;
    }

    /// <summary>
    /// The one line that says what is wrong with the command line: a mistyped command or option with the nearest one,
    /// a missing value or argument, a value that does not read.
    /// </summary>
    public static string Describe(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        string name = command is RootCommand ? "rdphs" : $"rdphs {command.Name}";
        if (OptionTakenForArgument(parse) is { } misread)
        {
            return misread;
        }

        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = parse.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                return UnknownOption(command, token);
            }

            if (command is RootCommand)
            {
                IEnumerable<string> commands = command.Subcommands.Select(c => c.Name);
                return Nearest(token, commands) is { } guess
                    ? $"unknown command '{token}': did you mean '{guess}'?"
                    : $"unknown command '{token}' (commands: {string.Join(", ", commands)})";
            }

            return $"unexpected argument '{token}' for '{name}' (see '{name} --help')";
        }

        ParseError error = parse.Errors[0];
        switch (error.SymbolResult)
        {
            case CommandResult { Command: RootCommand } root when root.Tokens.Count == 0:
                return $"name a command: {string.Join(", ", root.Command.Subcommands.Select(c => c.Name))} ('rdphs --help' says what each does)";
            case ArgumentResult { Parent: CommandResult } argument when argument.Tokens.Count == 0:
                string wanted = argument.Argument.HelpName ?? argument.Argument.Name;
                return $"'{name}' needs {(wanted.StartsWith("HOST", StringComparison.Ordinal) ? "a target" : "a value")}: {wanted}";
            case OptionResult option when !error.Message.StartsWith('-') && option.Tokens.Count == 0:
                return $"{option.Option.Name} needs a value{(option.Option.HelpName is { } placeholder ? $": {placeholder}" : string.Empty)}";
            case OptionResult option when !error.Message.StartsWith('-') && option.Tokens.Count > 1:
                return $"{option.Option.Name} takes one value; give the option once";
            default:
                return Phrase(error.Message);
        }
    }

    /// <summary>
    /// A mistyped option where the command takes an argument is read as that argument (<c>rdphs probe --tiemout 3</c>
    /// makes <c>--tiemout</c> the target): no argument of rdphs starts with '-', so such a value is an unknown option.
    /// </summary>
    public static string? OptionTakenForArgument(ParseResult parse) =>
        parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).FirstOrDefault(t => t.Value.StartsWith('-')) is { } token
            ? UnknownOption(parse.CommandResult.Command, token.Value)
            : null;

    private static string UnknownOption(Command command, string token)
    {
        string name = command is RootCommand ? "rdphs" : $"rdphs {command.Name}";
        string spelled = token.Split('=', 2)[0];
        IEnumerable<string> known = command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options).Where(o => o.Recursive))
            .SelectMany(o => o.Aliases.Prepend(o.Name))
            .Where(o => o.StartsWith("--", StringComparison.Ordinal))
            .Distinct();
        return Nearest(spelled, known) is { } guess
            ? $"unknown option '{spelled}' for '{name}': did you mean '{guess}'?"
            : $"unknown option '{spelled}' for '{name}' (see '{name} --help')";
    }

    /// <summary>
    /// The candidate closest to <paramref name="typed"/> by edit distance (a swap of two letters counts one), if it is
    /// close enough to be a typo: at most one edit for short words, two from five letters on, three from nine; or the
    /// one candidate it begins (<c>prob</c> for <c>probe</c>).
    /// </summary>
    public static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        string[] all = candidates.ToArray();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in all)
        {
            int distance = Distance(typed.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        string bare = typed.TrimStart('-');
        int allowed = bare.Length >= 9 ? 3 : bare.Length >= 5 ? 2 : 1;
        if (best is not null && bestDistance <= allowed)
        {
            return best;
        }

        string[] prefixed = all.Where(c => bare.Length >= 3 && c.TrimStart('-').StartsWith(bare, StringComparison.OrdinalIgnoreCase)).ToArray();
        return prefixed.Length == 1 ? prefixed[0] : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>A parser message as a phrase: lowercase first letter, no final period, no .NET type name.</summary>
    private static string Phrase(string message)
    {
        string text = System.Text.RegularExpressions.Regex.Replace(message.Trim(), @" as expected type '[^']+'", string.Empty);
        text = text.TrimEnd('.');
        return text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
    }

    /// <summary>
    /// <c>rdphs --help</c>: one page, one line per command. A command's own <c>--help</c> is the full one, with its options,
    /// examples and exit codes.
    /// </summary>
    private sealed class TopLevelHelp(RootCommand root, HelpAction full) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override bool Terminating => true;

        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.CommandResult.Command != root)
            {
                return full.Invoke(parseResult);
            }

            TextWriter output = Console.Out;
            output.WriteLine("rdphs replays the client side of an RDP connection step by step and says in which step it fails,");
            output.WriteLine("what the server sent last, what that means, and what to do about it.");
            output.WriteLine();
            output.WriteLine("Usage: rdphs COMMAND [OPTIONS]");
            output.WriteLine();
            output.WriteLine("Commands:");
            var rows = root.Subcommands.Select(c => (Usage: $"{c.Name} {string.Join(' ', c.Arguments.Select(Usage))}".TrimEnd(), Summary: Summaries.GetValueOrDefault(c.Name, string.Empty))).ToArray();
            int width = rows.Max(r => r.Usage.Length);
            foreach ((string usage, string summary) in rows)
            {
                output.WriteLine($"  {usage.PadRight(width)}  {summary}");
            }

            output.WriteLine();
            output.WriteLine("Start here:");
            output.WriteLine("  rdphs probe                        probe the built-in test server (no target needed)");
            output.WriteLine("  rdphs probe rdp.example.com        probe a server on port 3389");
            output.WriteLine("  rdphs probe rdp.example.com -v     the same, with every step's fields and bytes");
            output.WriteLine("  rdphs explain 0x904 0x7            what mstsc's codes mean, and how to find the cause");
            output.WriteLine();
            output.WriteLine("Options: -h, --help  this help (after a command: that command's options, examples and exit codes);");
            output.WriteLine("         --version   the version.");
            return 0;
        }

        private static string Usage(Argument argument)
        {
            string placeholder = argument.HelpName ?? argument.Name;
            return argument.Arity.MinimumNumberOfValues == 0 ? $"[{placeholder}]" : placeholder;
        }
    }
}
