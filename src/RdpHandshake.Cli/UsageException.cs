namespace RdpHandshake.Cli;

/// <summary>A command-line value that parsed but makes no sense; the message names the input at fault.</summary>
internal sealed class UsageException(string message) : Exception(message);
