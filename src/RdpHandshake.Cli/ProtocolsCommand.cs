using System.CommandLine;
using Microsoft.Extensions.Logging;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Reporting;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs protocols HOST[:PORT]</c>: which security protocols the server accepts, one connection each.</summary>
internal static class ProtocolsCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var target = new Argument<string>("HOST[:PORT]") { Description = "HOST, HOST:PORT or [IPv6]:PORT (port 3389 by default)." };
        var protocols = new Option<string>("--protocols", "-p")
        {
            Description = "Protocols to ask about, each alone in its own connection.",
            DefaultValueFactory = _ => "rdp,ssl,hybrid,hybrid_ex,rdstls,rdsaad",
        };
        var concurrency = new Option<int>("--concurrency", "-c")
        {
            Description = "How many connections may be open at once (1 asks strictly one after another). The default, 2, stays within the listen backlog of small servers: xrdp listens with a backlog of 2, and a third simultaneous SYN waits for the kernel's 1 s retransmit.",
            DefaultValueFactory = _ => 2,
        };

        var command = new Command("protocols", """
            Ask the server once per security protocol, each alone in its own connection, which ones it
            accepts (the question of nmap's rdp-enum-encryption first table, on any port), with the full
            timeline of every connection in --json.

            Answers: accepted (selected it), refused (RDP_NEG_FAILURE, code shown), selected-other (answered
            with another protocol, e.g. Standard RDP Security), no-answer (closed, reset, timeout, garbage:
            the cause is shown).

            Examples:
              rdphs protocols rdp.example.com
              rdphs protocols 127.0.0.1:3390 -p ssl,hybrid --json

            Exit code: 0 when the server answered at least one request; otherwise the code 'rdphs probe' gives
            for the phase that failed (10 tcp: then only one connection is made, 11 x224); 2 bad usage; 130 interrupted.
            """);
        command.Arguments.Add(target);
        command.Options.Add(protocols);
        command.Options.Add(concurrency);
        var gateway = new GatewayOptionsCli();
        gateway.AddTo(command);
        common.AddTo(command);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            ProbeTarget probeTarget = CommonOptions.ParseTarget(parse.GetValue(target)!);
            IReadOnlyList<SecurityProtocols> asked = CommonOptions.ParseProtocolList("--protocols", parse.GetValue(protocols)!);
            int parallel = parse.GetValue(concurrency);
            if (parallel is < 1 or > 64)
            {
                throw new UsageException($"--concurrency {parallel}: must be from 1 to 64");
            }

            ProbeOptions options = common.BuildProbeOptions(parse, SecurityProtocols.Rdp);

            options = gateway.Apply(parse, options);
            using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(parse.GetValue(common.LogLevel));
            var prober = new RdpProber(loggers.CreateLogger("rdphs.protocols"));
            ProtocolSurveyReport survey = await ProtocolSurvey.RunAsync(probeTarget, options, asked, parallel, prober, cancellationToken).ConfigureAwait(false);

            bool json = parse.GetValue(common.Json);
            if (json)
            {
                using Stream stdout = Console.OpenStandardOutput();
                ProtocolSurveyJson.Write(survey, stdout, ExitCodes.For);
                await stdout.WriteAsync("\n"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                TextRenderer.WriteSurvey(Console.Out, survey);
            }

            return ExitCode(survey);
        }));
        return command;
    }

    internal static int ExitCode(ProtocolSurveyReport survey)
    {
        if (survey.Failure is { } failure)
        {
            return ExitCodes.For(failure.Cause);
        }

        if (survey.Results.Any(r => r.Report.Interrupted))
        {
            return ExitCodes.Interrupted;
        }

        if (survey.Results.Any(r => r.Answer != ProtocolAnswer.NoAnswer))
        {
            return ExitCodes.Success;
        }

        return survey.Results.Select(r => ExitCodes.For(r.Report)).DefaultIfEmpty(ExitCodes.Failure).Min();
    }
}
