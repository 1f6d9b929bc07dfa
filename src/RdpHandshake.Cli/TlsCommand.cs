using System.CommandLine;
using Microsoft.Extensions.Logging;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Reporting;
using RdpHandshake.Tls;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs tls HOST[:PORT]</c>: the TLS versions, cipher suites and groups the server accepts, over RDP.</summary>
internal static class TlsCommand
{
    /// <summary>Progress lines on stderr as they happen (Progress&lt;T&gt; would post them later, out of order).</summary>
    private sealed class StderrProgress : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine($"  ... {value}");
    }

    public static Command Create()
    {
        var common = new CommonOptions();
        var target = new Argument<string>("HOST[:PORT]") { Description = "HOST, HOST:PORT or [IPv6]:PORT (port 3389 by default)." };
        var concurrency = new Option<int>("--concurrency", "-c")
        {
            Description = "How many connections may be open at once.",
            DefaultValueFactory = _ => 2,
        };
        var delay = new Option<int>("--delay")
        {
            Description = "Milliseconds to wait before each connection (for servers that rate-limit or lock out).",
            DefaultValueFactory = _ => 0,
        };
        var noGroups = new Option<bool>("--no-groups")
        {
            Description = "Do not enumerate TLS 1.3 key-exchange groups (saves one connection per group).",
        };

        var command = new Command("tls", """
            Enumerate the TLS versions and cipher suites an RDP server accepts, over RDP: each connection does the
            X.224 negotiation first and stops at the ServerHello, which plain TLS scanners cannot do on an RDP port.
            Each version is offered alone; each accepted suite is removed and the rest offered again, so a version
            costs one connection per accepted suite plus one. With two or more suites, one more connection tells
            whether the server imposes its own order (then the list is that order). TLS 1.3 groups are asked one
            by one. Suites are those the TLS library implements (PSK, SRP and anonymous suites are not offered).

            Examples:
              rdphs tls rdp.example.com
              rdphs tls 127.0.0.1:3390 --json
              rdphs tls rdp.example.com --tls-versions 1.0,1.1 --delay 200

            Exit code: 0 when the survey ran (whatever it found); when the server could not be asked, the code
            'rdphs probe' gives (10 tcp, 11 x224); 12 when the server does not speak TLS on the port or broke
            every handshake (closed, reset, garbled: no version answered or refused); 2 bad usage; 130 interrupted.
            """);
        command.Arguments.Add(target);
        command.Options.Add(common.TlsVersions);
        command.Options.Add(concurrency);
        command.Options.Add(delay);
        command.Options.Add(noGroups);
        var gateway = new GatewayOptionsCli();
        gateway.AddTo(command);
        common.AddTo(command);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            ProbeTarget probeTarget = CommonOptions.ParseTarget(parse.GetValue(target)!);
            int parallel = parse.GetValue(concurrency);
            if (parallel is < 1 or > 16)
            {
                throw new UsageException($"--concurrency {parallel}: must be from 1 to 16");
            }

            int delayMs = parse.GetValue(delay);
            if (delayMs is < 0 or > 60_000)
            {
                throw new UsageException($"--delay {delayMs}: must be from 0 to 60000 ms");
            }

            var surveyOptions = new TlsSurveyOptions
            {
                Concurrency = parallel,
                Delay = TimeSpan.FromMilliseconds(delayMs),
                NamedGroups = !parse.GetValue(noGroups),
            };
            if (parse.GetValue(common.TlsVersions) is { } versionText)
            {
                surveyOptions = surveyOptions with { Versions = CommonOptions.ParseTlsVersions("--tls-versions", versionText) };
            }

            ProbeOptions options = common.BuildProbeOptions(parse, SecurityProtocols.Ssl);

            options = gateway.Apply(parse, options);
            using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(parse.GetValue(common.LogLevel));
            var prober = new RdpProber(loggers.CreateLogger("rdphs.tls"));
            var progress = new StderrProgress();
            TlsSurveyReport survey = await TlsSurvey.RunAsync(probeTarget, options, surveyOptions, prober, progress, cancellationToken).ConfigureAwait(false);

            if (parse.GetValue(common.Json))
            {
                using Stream stdout = Console.OpenStandardOutput();
                TlsSurveyJson.Write(survey, stdout);
                await stdout.WriteAsync("\n"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                TextRenderer.WriteTlsSurvey(Console.Out, survey);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }

            return survey.Failure is { } failure ? ExitCodes.For(failure.Cause)
                : survey.Problem is null ? ExitCodes.Success
                : ExitCodes.Tls;
        }));
        return command;
    }
}
