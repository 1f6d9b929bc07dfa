using System.CommandLine;
using Microsoft.Extensions.Logging;
using RdpHandshake.Crypto;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Reporting;
using RdpHandshake.TestServer;

namespace RdpHandshake.Cli;

/// <summary><c>rdphs probe [HOST[:PORT]]</c>: one connection attempt, every step recorded.</summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var target = new Argument<string?>("HOST[:PORT]")
        {
            Description = "HOST, HOST:PORT or [IPv6]:PORT (port 3389 by default). Without a target, rdphs starts its test server on a free loopback port and probes that.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var protocols = new Option<string>("--protocols", "-p")
        {
            Description = "Security protocols to offer, comma-separated: rdp, ssl (alias tls), hybrid (alias nla), hybrid_ex, rdstls, rdsaad.",
            DefaultValueFactory = _ => "ssl,hybrid,hybrid_ex",
        };
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Show every step with its decoded fields (capability sets included) and its bytes in hex, instead of one line per phase.",
        };
        var hex = new Option<bool>("--hex", "-x")
        {
            Description = "Like --verbose: every step with its fields and bytes.",
        };
        var quiet = new Option<bool>("--quiet", "-q")
        {
            Description = "Print only the verdict (the exit code says the rest).",
        };
        var pcap = new Option<string?>("--pcap")
        {
            Description = "Write the attempt as a pcapng capture to FILE (TCP/IP frames around the real bytes); with --keylog, Wireshark decrypts the TLS.",
        };
        var expect = new Option<string[]>("--expect", "-e")
        {
            Description = "A check on the result, KEY OP VALUE (repeatable): e.g. protocol=hybrid, tls>=1.2, cipher!~CBC, cert.days-left>=30, reached=tls. Any failed check makes the exit code 3. Keys: " + string.Join(", ", RdpHandshake.Checks.Expectation.Keys.Keys) + ".",
            AllowMultipleArgumentsPerToken = false,
        };
        var policy = new Option<string?>("--policy")
        {
            Description = "A JSON or YAML file of checks, e.g. {\"expect\": [\"tls>=1.2\"], \"targets\": {\"host:3389\": [\"protocol=hybrid\"]}}; the target's own list adds to the common one.",
        };
        var junit = new Option<string?>("--junit")
        {
            Description = "Write JUnit XML to FILE: one test case per step and per check, for CI systems to display.",
        };
        var checkNonceBinding = new Option<bool>("--check-nonce-binding")
        {
            Description = "With --user: after authenticating at CredSSP version 5 or later, connect once more offering version 4 (the legacy pubKeyAuth binding without a nonce) and report whether the server refuses it (CVE-2018-0886 'Force Updated Clients'): credssp.nonceBindingEnforced.",
        };
        var client = new Option<string?>("--client")
        {
            Description = $"Connect as this client would (docs/clients.md): offer what it offers (replaces --protocols and the TLS offer) and fail where it would refuse, with what it shows. Profiles: {string.Join(", ", RdpHandshake.Clients.ClientProfiles.Names)}.",
        };
        var serverFaults = new Option<string[]>("--server-fault")
        {
            Description = "Only without a target: make the built-in test server misbehave, e.g. x224.confirm:reset (see 'rdphs serve --help').",
            AllowMultipleArgumentsPerToken = false,
        };

        var formats = new NagiosOutput.Options();
        var gateway = new GatewayOptionsCli();
        var command = new Command("probe", """
            Reproduce a client's connection attempt and record every step: name, timing, bytes sent and
            received, decoded fields and outcome. When the attempt fails, the diagnosis names the phase,
            the cause, the evidence, what mstsc would have shown, and the remedy.

            Output: the target and what is offered first; at a terminal, the step in flight against its deadline
            while it runs; then the verdict and one line per phase (-v: every step with its fields and bytes; -q:
            the verdict alone), and when the attempt fails the diagnosis. Redirected, progress goes to stderr as
            each phase ends.

            Examples:
              rdphs probe                                   probe the built-in test server
              rdphs probe --server-fault x224.confirm:close see what a server that drops the socket looks like
              rdphs probe rdp.example.com                   offer TLS and NLA, as mstsc does
              rdphs probe 10.0.0.5:3390 -p rdp              offer Standard RDP Security only
              rdphs probe rdp.example.com --json > run.json stable JSON for scripts (docs/report-format.md)
              rdphs probe rdp.example.com --tls-versions 1.0  does the server still take TLS 1.0?
              rdphs probe rdp.example.com --client freerdp3   would FreeRDP 3 connect? (rdphs compat: all clients)
              rdphs probe rdp.example.com -e clients=mstsc-win11,freerdp3   fail if either would refuse the server
              rdphs probe rdp.example.com --cert-policy expired,weak-key,weak-signature   fail on a bad certificate
              rdphs probe rdp.example.com --keylog keys.txt --pcap run.pcapng   a capture Wireshark decrypts
              rdphs probe rdp.example.com -e tls>=1.2 -e 'cipher!~CBC' -e cert.days-left>=30 --junit rdp.xml
              rdphs probe rdp.example.com --user 'CONTOSO\alice' --check-nonce-binding   does it refuse pre-2018 CredSSP clients?
              rdphs probe rdp.example.com --format nagios --warn-days 30   a Nagios/Icinga check: one line, exit 0-3

            Exit codes: 0 reached the step asked for; 2 bad usage; 3 an --expect check failed; 4 a --junit or --pcap
            file could not be written; 10 tcp, 11 x224, 12 tls, 13 credssp,
            14 mcs, 15 security, 16 licensing, 17 capabilities, 18 finalization failed; 70 internal error;
            130 interrupted (the partial report is still written). With --format nagios: 0 OK, 1 WARNING, 2 CRITICAL,
            3 UNKNOWN instead (docs/monitoring.md).
            """);
        command.Arguments.Add(target);
        command.Options.Add(protocols);
        gateway.AddTo(command);
        command.Options.Add(verbose);
        command.Options.Add(hex);
        command.Options.Add(quiet);
        command.Options.Add(serverFaults);
        command.Options.Add(pcap);
        command.Options.Add(expect);
        command.Options.Add(policy);
        command.Options.Add(junit);
        command.Options.Add(checkNonceBinding);
        command.Options.Add(client);
        common.AddTlsOptions(command);
        common.AddTo(command);
        formats.AddTo(command);

        command.SetAction((parse, cancellationToken) => formats.GuardAsync(parse, async () =>
        {
            // Everything the command line says is checked here, before a server starts or a byte is sent.
            IReadOnlyList<SecurityProtocols> offered = CommonOptions.ParseProtocolList("--protocols", parse.GetValue(protocols)!);
            SecurityProtocols requested = CommonOptions.Combine(offered);
            bool json = formats.Json(parse, common.Json);
            NagiosOutput? nagios = formats.Read(parse, common.Json, verbose, hex);
            Terminal.Detail detail = (parse.GetValue(verbose) || parse.GetValue(hex), parse.GetValue(quiet)) switch
            {
                (true, true) => throw new UsageException("--quiet and --verbose ask for opposite things: give one"),
                (true, false) => Terminal.Detail.Steps,
                (false, true) => Terminal.Detail.Quiet,
                _ => Terminal.Detail.Phases,
            };
            detail = nagios is null ? detail : Terminal.Detail.Quiet;
            string[] faults = parse.GetValue(serverFaults) ?? [];
            string? targetText = parse.GetValue(target);
            ProbeTarget? probeTarget = targetText is null ? null : CommonOptions.ParseTarget(targetText);
            if (probeTarget is not null && faults.Length > 0)
            {
                throw new UsageException("--server-fault applies only to the built-in test server: drop the target to use it");
            }

            RdpHandshake.Clients.ClientProfile? profile = parse.GetValue(client) is { } clientName
                ? RdpHandshake.Clients.ClientProfiles.Find(clientName) ?? throw new UsageException($"--client '{clientName}': unknown client profile (known: {string.Join(", ", RdpHandshake.Clients.ClientProfiles.Names)})")
                : null;
            Fault[] serverFaultList = faults.Select(ServeCommand.ParseFault).ToArray();
            IReadOnlyList<RdpHandshake.Checks.Expectation> checks = Checks.Load(parse.GetValue(expect) ?? [], parse.GetValue(policy), targetText);
            ProbeOptions options = common.WithTlsOptions(parse, common.BuildProbeOptions(parse, requested)) with { CheckNonceBinding = parse.GetValue(checkNonceBinding) };
            options = gateway.Apply(parse, options, hasTarget: probeTarget is not null);

            options = profile?.Apply(options) ?? options;
            using ReportFile? junitFile = ReportFile.Open("--junit", parse.GetValue(junit), "JUnit report");
            using ReportFile? pcapFile = ReportFile.Open("--pcap", parse.GetValue(pcap), "capture");
            using KeyLogFile? keyLog = common.OpenKeyLog(parse);
            if (keyLog is not null)
            {
                options = options with { KeyLog = keyLog.Write };
            }

            using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(parse.GetValue(common.LogLevel));
            var human = new Terminal.Lines(nagios is not null ? TextWriter.Null : json ? Console.Error : Console.Out);
            await using RdpTestServer? server = probeTarget is null
                ? new RdpTestServer(new TestServerOptions { Faults = serverFaultList }, loggers.CreateLogger("rdphs.test-server"))
                : null;
            if (server is not null)
            {
                var endpoint = server.Start();
                probeTarget = new ProbeTarget(endpoint.Address.ToString(), endpoint.Port);
                string signIn = string.Empty;
                if (options.Credentials is null && server.Options.Accounts.Count > 0)
                {
                    // The built-in server's own demo account, so the demo shows NLA and the phases after it.
                    TestAccount account = server.Options.Accounts[0];
                    options = options with { Credentials = new Credentials(account.User, account.Domain, new Secret(account.Password)) };
                    signIn = $", signing in with its test account '{account.User}'";
                }

                if (detail != Terminal.Detail.Quiet)
                {
                    human.Line($"No target given: probing the built-in test server on {endpoint}{(faults.Length > 0 ? $" with fault {string.Join(", ", faults)}" : string.Empty)}{signIn} (give a HOST to probe a real server; 'rdphs serve' keeps this one running).");
                }
            }

            AuthOptions.Check(options, probeTarget!.Host);
            if (detail != Terminal.Detail.Quiet)
            {
                human.Line(Header(probeTarget!, options));
                human.Line();
            }

            ProbeReport report;
            using (var progress = new Terminal.Progress(detail, step => step.Name == RdpProber.TcpConnectStep ? options.ConnectTimeout : options.ReadTimeout))
            {
                var prober = new RdpProber(loggers.CreateLogger("rdphs.probe")) { StepObserver = progress.OnStep };
                report = await prober.ProbeAsync(probeTarget!, options, cancellationToken).ConfigureAwait(false);
            }

            report = profile is not null ? RdpHandshake.Clients.ClientJudge.AsClient(profile, report) : WithRefusals(report);

            IReadOnlyList<RdpHandshake.Checks.ExpectationResult> results = checks.Select(c => c.Evaluate(report)).ToArray();
            var notWritten = new List<string>();
            string? captureNote = null;
            if (pcapFile is not null)
            {
                if (report.Wire is null)
                {
                    pcapFile.Discard();
                    captureNote = $"no capture written to {pcapFile.Path}: the TCP connection never opened";
                }
                else if (pcapFile.TryWrite(file => RdpHandshake.Capture.PcapngWriter.Write(report.Wire, file), Console.Error))
                {
                    captureNote = $"capture written to {pcapFile.Path} (open it in Wireshark; decode the port as TPKT if it is not 3389)";
                }
                else
                {
                    notWritten.Add(pcapFile.What);
                }
            }

            if (junitFile is not null && !junitFile.TryWrite(file => JUnitWriter.Write(report, results, file), Console.Error))
            {
                notWritten.Add(junitFile.What);
            }

            if (nagios is not null)
            {
                return nagios.Write(Console.Out, report, results, notWritten);
            }

            ProbeOutcome outcome = Outcome(report, results, notWritten);
            if (json)
            {
                using Stream stdout = Console.OpenStandardOutput();
                ProbeReportJson.Write(report with { Verdict = outcome.Verdict }, stdout, cause => cause is null ? outcome.ExitCode : ExitCodes.For(cause), results);
                await stdout.WriteAsync("\n"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
            }

            TextRenderer.WriteProbe(human, report, outcome, json && detail == Terminal.Detail.Phases ? Terminal.Detail.Quiet : detail, parse.GetValue(hex) || parse.GetValue(verbose), results);
            if (captureNote is not null && detail != Terminal.Detail.Quiet)
            {
                human.Line(captureNote);
            }

            return outcome.ExitCode;
        }));
        return command;
    }

    /// <summary>
    /// The verdict of a run with rdphs's own offer, saying which clients would certainly refuse what the server chose:
    /// "... TLS 1.0 with ... — refused by mstsc-win11, freerdp3 (see `rdphs compat`)".
    /// </summary>
    internal static ProbeReport WithRefusals(ProbeReport report)
    {
        IReadOnlyList<RdpHandshake.Clients.ClientVerdict> refusals = RdpHandshake.Clients.ClientJudge.Refusals(report, RdpHandshake.Clients.ClientProfiles.All.Where(p => p.Name != "rdphs"));
        return refusals.Count == 0
            ? report
            : report with { Verdict = $"{report.Verdict} — refused by {string.Join(", ", refusals.Select(v => v.Profile.Name))} (see `rdphs compat`)" };
    }

    /// <summary>The first line: the target, what the Connection Request offers, how far the run goes and how long it waits.</summary>
    private static string Header(ProbeTarget target, ProbeOptions options) =>
        $"rdphs probe {target}{(options.Gateway is { } gateway ? $" through the RD Gateway {gateway} ({gateway.Transport.ToString().ToLowerInvariant()})" : string.Empty)}: offering {NegotiationNames.SpecNames(options.Negotiation.RequestedProtocols)}, until {UntilName(options.Until)}, timeout {options.ReadTimeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s";

    private static string UntilName(Protocol.Sequence.ConnectionPhase phase) => phase switch
    {
        Protocol.Sequence.ConnectionPhase.Capabilities => "active",
        Protocol.Sequence.ConnectionPhase.Finalization => "finalized",
        _ => phase.Name(),
    };

    /// <summary>
    /// The exit code and the verdict that says the same: a run that reached its goal with failing checks is FAILED, not OK;
    /// an interrupted run says so, where it was; a report that could not be written is named.
    /// </summary>
    internal static ProbeOutcome Outcome(ProbeReport report, IReadOnlyList<RdpHandshake.Checks.ExpectationResult> checks, IReadOnlyList<string> notWritten)
    {
        int code = ExitCodes.For(report);
        int failedChecks = checks.Count(c => !c.Passed);
        string verdict = report.Diagnosis is { Cause.Id: Protocol.Sequence.CauseId.Interrupted } interrupted
            ? $"interrupted (Ctrl-C or SIGTERM) during {interrupted.Evidence.Step ?? interrupted.Phase.Name()}, in phase {interrupted.Phase.Name()}"
            : report.Verdict;
        if (code == ExitCodes.Success && failedChecks > 0)
        {
            code = ExitCodes.ExpectationsFailed;
        }

        if (failedChecks > 0)
        {
            verdict += $"; {failedChecks} of {checks.Count} check(s) failed";
        }

        if (notWritten.Count > 0)
        {
            verdict += $"; the {string.Join(" and the ", notWritten)} could not be written";
            code = code == ExitCodes.Interrupted ? code : ExitCodes.ReportNotWritten;
        }

        string label = code switch
        {
            ExitCodes.Success => "OK",
            ExitCodes.Interrupted => "INTERRUPTED",
            ExitCodes.Internal => "INTERNAL ERROR",
            _ => "FAILED",
        };
        return new ProbeOutcome(code, label, verdict);
    }
}
