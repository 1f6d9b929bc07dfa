using System.CommandLine;
using Microsoft.Extensions.Logging;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Reporting;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs ntlm-info HOST</c>: what the server's NTLM CHALLENGE reveals, without any credentials.</summary>
internal static class NtlmInfoCommand
{
    private static readonly (string Key, string Label)[] Labels =
    [
        ("targetName", "Target name"),
        ("netbiosComputer", "NetBIOS computer name"),
        ("netbiosDomain", "NetBIOS domain name"),
        ("dnsComputer", "DNS computer name"),
        ("dnsDomain", "DNS domain name"),
        ("dnsTree", "DNS tree name"),
        ("productVersion", "Product version"),
        ("windows", "Windows release"),
        ("ntlmRevision", "NTLM revision"),
        ("serverTime", "Server time (UTC)"),
    ];

    public static Command Create()
    {
        var common = new CommonOptions();
        var target = new Argument<string>("HOST[:PORT]") { Description = "HOST, HOST:PORT or [IPv6]:PORT (port 3389 by default)." };
        var command = new Command("ntlm-info", """
            Ask an NLA server who it is, without credentials: negotiate CredSSP, send an NTLM NEGOTIATE (no user
            name, no secret) and read the CHALLENGE, which carries the server's NetBIOS and DNS names, its domain
            and forest, its clock and its Windows build (what nmap's rdp-ntlm-info shows). The connection is
            closed before any authentication.

            Examples:
              rdphs ntlm-info rdp.example.com
              rdphs ntlm-info 10.0.0.5:3390 --json

            Exit code: 0 when the CHALLENGE was read; 11 when the server does not offer NLA (x224); 12 tls;
            13 when the CredSSP exchange fails; 2 bad usage.
            """);
        command.Arguments.Add(target);
        var gateway = new GatewayOptionsCli();
        gateway.AddTo(command);
        common.AddTo(command);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            ProbeTarget probeTarget = CommonOptions.ParseTarget(parse.GetValue(target)!);
            ProbeOptions options = common.BuildProbeOptions(parse, SecurityProtocols.Hybrid | SecurityProtocols.HybridEx) with { Until = ConnectionPhase.CredSsp };
            options = gateway.Apply(parse, options);
            using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(parse.GetValue(common.LogLevel));
            var prober = new RdpProber(loggers.CreateLogger("rdphs.ntlm-info"));
            ProbeReport report = await prober.ProbeAsync(probeTarget, options, cancellationToken).ConfigureAwait(false);
            // The engine connects again with bare NTLM when the server refuses SPNEGO (FreeRDP 2 servers do).
            bool bare = report.CredSsp is { NtlmInSpnego: false };

            if (parse.GetValue(common.Json))
            {
                using Stream stdout = Console.OpenStandardOutput();
                ProbeReportJson.Write(report, stdout, ExitCodes.For);
                await stdout.WriteAsync("\n"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
            }
            else if (report.CredSsp is { } credssp)
            {
                Console.Out.WriteLine($"rdphs ntlm-info {report.Target}: CredSSP version {credssp.ServerVersion}, {NegotiationNames.SpecNames(report.Negotiation?.Selected ?? SecurityProtocols.Rdp)} selected{(bare ? credssp.SpnegoRefusedWith is { } refused ? $", NTLM without SPNEGO (the server refused SPNEGO with 0x{refused:x8})" : ", NTLM without SPNEGO" : string.Empty)}");
                Console.Out.WriteLine();
                var info = credssp.Info.ToDictionary(i => i.Key, i => i.Value);
                foreach ((string key, string label) in Labels)
                {
                    if (info.TryGetValue(key, out string? value))
                    {
                        Console.Out.WriteLine($"  {label,-24} {value}");
                    }
                }
            }
            else
            {
                Console.Out.WriteLine($"rdphs ntlm-info {report.Target}: no NTLM CHALLENGE");
                Console.Out.WriteLine();
                string verdict = report.Diagnosis is null && report.Negotiation?.Selected is { } selected && selected is not (SecurityProtocols.Hybrid or SecurityProtocols.HybridEx)
                    ? $"the server selected {NegotiationNames.SpecNames(selected)}: it does not offer NLA (CredSSP) to this client"
                    : report.Verdict;
                var output = new Terminal.Lines(Console.Out);
                output.Line($"{Terminal.Bold("verdict:", output.Color)} {Terminal.Red("FAILED", output.Color)} - {verdict}");
                if (report.Diagnosis is { } diagnosis)
                {
                    output.Line();
                    TextRenderer.WriteDiagnosis(output, diagnosis);
                }
            }

            if (report.CredSsp?.Challenge is not null)
            {
                return ExitCodes.Success;
            }

            return ExitCodes.For(report) is var code && code != ExitCodes.Success ? code : ExitCodes.X224;
        }));
        return command;
    }
}
