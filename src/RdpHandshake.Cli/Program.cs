using System.CommandLine;
using RdpHandshake.Cli;
using RdpHandshake.Diagnostics;

var root = new RootCommand(
    """
    rdphs reproduces an RDP client's connection attempt step by step (TCP, X.224 negotiation, and the
    layers after it) and says which step the server closed the socket in, what it sent last, what that
    means, and what to do about it.

    Start here:
      rdphs probe                       probe the built-in test server (no target needed)
      rdphs probe rdp.example.com       probe a server on port 3389
      rdphs protocols 10.0.0.5:3390     which security protocols the server accepts
      rdphs tls rdp.example.com         which TLS versions and cipher suites it accepts
      rdphs ntlm-info rdp.example.com   the names and Windows build an NLA server reveals
      rdphs serve --port 33890          run the scriptable test server
      rdphs explain 0x904 0x7           what mstsc's error codes mean, and how to find the cause
    """);

root.Subcommands.Add(ProbeCommand.Create());
root.Subcommands.Add(ProtocolsCommand.Create());
root.Subcommands.Add(TlsCommand.Create());
root.Subcommands.Add(NtlmInfoCommand.Create());
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ExplainCommand.Create());
root.Subcommands.Add(FuzzCommand.Create());

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
    {
        Console.Error.WriteLine($"rdphs: {error.Message}");
    }

    string command = parsed.CommandResult.Command == root ? "rdphs" : $"rdphs {parsed.CommandResult.Command.Name}";
    Console.Error.WriteLine($"Run '{command} --help' for usage and examples.");
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(5) });
