using System.CommandLine;
using RdpHandshake.Cli;

var root = new RootCommand("rdphs replays the client side of an RDP connection step by step and says in which step it fails, what the server sent last, what that means, and what to do about it.");
root.Subcommands.Add(ProbeCommand.Create());
root.Subcommands.Add(ProtocolsCommand.Create());
root.Subcommands.Add(TlsCommand.Create());
root.Subcommands.Add(CompatCommand.Create());
root.Subcommands.Add(NtlmInfoCommand.Create());
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ExplainCommand.Create());
root.Subcommands.Add(FuzzCommand.Create());
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(RdpHandshake.Cli.Exporter.ExporterCommand.Create());
Conventions.Apply(root);

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0 || Conventions.OptionTakenForArgument(parsed) is not null)
{
    if (NagiosOutput.Requested(args))
    {
        return NagiosOutput.WriteUnknown(Console.Out, Conventions.Describe(parsed));
    }

    Console.Error.WriteLine($"rdphs: {Conventions.Describe(parsed)}");
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(5) });
