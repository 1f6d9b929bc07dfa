using System.CommandLine;
using Microsoft.Extensions.Logging;
using RdpHandshake.Crypto;
using RdpHandshake.Diagnostics;
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
        var hex = new Option<bool>("--hex", "-x")
        {
            Description = "Also print the bytes of every step in hex.",
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
        var serverFaults = new Option<string[]>("--server-fault")
        {
            Description = "Only without a target: make the built-in test server misbehave, e.g. x224.confirm:reset (see 'rdphs serve --help').",
            AllowMultipleArgumentsPerToken = false,
        };

        var command = new Command("probe", """
            Reproduce a client's connection attempt and record every step: name, timing, bytes sent and
            received, decoded fields and outcome. When the attempt fails, the diagnosis names the phase,
            the cause, the evidence, what mstsc would have shown, and the remedy.

            Examples:
              rdphs probe                                   probe the built-in test server
              rdphs probe --server-fault x224.confirm:close see what a server that drops the socket looks like
              rdphs probe rdp.example.com                   offer TLS and NLA, as mstsc does
              rdphs probe 10.0.0.5:3390 -p rdp              offer Standard RDP Security only
              rdphs probe rdp.example.com --json > run.json stable JSON for scripts (docs/report-format.md)
              rdphs probe rdp.example.com --tls-versions 1.0  does the server still take TLS 1.0?
              rdphs probe rdp.example.com --cert-policy expired,weak-key,weak-signature   fail on a bad certificate
              rdphs probe rdp.example.com --keylog keys.txt --pcap run.pcapng   a capture Wireshark decrypts
              rdphs probe rdp.example.com -e tls>=1.2 -e 'cipher!~CBC' -e cert.days-left>=30 --junit rdp.xml
              rdphs probe rdp.example.com --user 'CONTOSO\alice' --check-nonce-binding   does it refuse pre-2018 CredSSP clients?

            Exit codes: 0 reached the step asked for; 2 bad usage; 3 an --expect check failed; 4 a --junit or --pcap
            file could not be written; 10 tcp, 11 x224, 12 tls, 13 credssp,
            14 mcs, 15 security, 16 licensing, 17 capabilities, 18 finalization failed; 70 internal error;
            130 interrupted (the partial report is still written).
            """);
        command.Arguments.Add(target);
        command.Options.Add(protocols);
        command.Options.Add(hex);
        command.Options.Add(serverFaults);
        command.Options.Add(pcap);
        command.Options.Add(expect);
        command.Options.Add(policy);
        command.Options.Add(junit);
        command.Options.Add(checkNonceBinding);
        common.AddTlsOptions(command);
        common.AddTo(command);

        command.SetAction((parse, cancellationToken) => CommonOptions.GuardAsync(async () =>
        {
            IReadOnlyList<SecurityProtocols> offered = CommonOptions.ParseProtocolList("--protocols", parse.GetValue(protocols)!);
            SecurityProtocols requested = CommonOptions.Combine(offered);
            ProbeOptions options = common.WithTlsOptions(parse, common.BuildProbeOptions(parse, requested)) with { CheckNonceBinding = parse.GetValue(checkNonceBinding) };
            bool json = parse.GetValue(common.Json);
            string[] faults = parse.GetValue(serverFaults) ?? [];
            string? targetText = parse.GetValue(target);
            IReadOnlyList<RdpHandshake.Checks.Expectation> checks = Checks.Load(parse.GetValue(expect) ?? [], parse.GetValue(policy), targetText);
            if (targetText is not null && faults.Length > 0)
            {
                throw new UsageException("--server-fault applies only to the built-in test server: drop the target to use it");
            }

            using ReportFile? junitFile = ReportFile.Open("--junit", parse.GetValue(junit), "JUnit report");
            using ReportFile? pcapFile = ReportFile.Open("--pcap", parse.GetValue(pcap), "capture");
            using KeyLogFile? keyLog = common.OpenKeyLog(parse);
            if (keyLog is not null)
            {
                options = options with { KeyLog = keyLog.Write };
            }

            using ILoggerFactory loggers = CommonOptions.CreateLoggerFactory(parse.GetValue(common.LogLevel));
            TextWriter human = json ? Console.Error : Console.Out;
            using var progress = new Terminal.Progress();
            var prober = new RdpProber(loggers.CreateLogger("rdphs.probe")) { StepObserver = progress.OnStep };

            ProbeReport report;
            if (targetText is null)
            {
                var serverOptions = new TestServerOptions { Faults = faults.Select(ServeCommand.ParseFault).ToArray() };
                await using var server = new RdpTestServer(serverOptions, loggers.CreateLogger("rdphs.test-server"));
                var endpoint = server.Start();
                human.WriteLine($"No target given: probing the built-in test server on {endpoint}{(faults.Length > 0 ? $" with fault {string.Join(", ", faults)}" : string.Empty)}.");
                human.WriteLine("(Run 'rdphs serve' to keep it running, or give a HOST to probe a real server.)");
                if (options.Credentials is null && serverOptions.Accounts.Count > 0)
                {
                    // The built-in server's own demo account, so the demo shows NLA and the phases after it.
                    TestAccount account = serverOptions.Accounts[0];
                    options = options with { Credentials = new Credentials(account.User, account.Domain, new Secret(account.Password)) };
                    human.WriteLine($"(Signing in with the built-in server's test account '{account.User}'; give --user to use another.)");
                }

                human.WriteLine();
                report = await prober.ProbeAsync(new ProbeTarget(endpoint.Address.ToString(), endpoint.Port), options, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                report = await prober.ProbeAsync(CommonOptions.ParseTarget(targetText), options, cancellationToken).ConfigureAwait(false);
            }

            progress.Dispose();
            bool written = true;
            if (pcapFile is not null)
            {
                if (report.Wire is null)
                {
                    pcapFile.Discard();
                    human.WriteLine($"rdphs: no capture written to {pcapFile.Path}: the TCP connection never opened");
                }
                else if (pcapFile.TryWrite(file => RdpHandshake.Capture.PcapngWriter.Write(report.Wire, file), Console.Error))
                {
                    human.WriteLine($"capture written to {pcapFile.Path} (open it in Wireshark; decode the port as TPKT if it is not 3389)");
                }
                else
                {
                    written = false;
                }
            }

            IReadOnlyList<RdpHandshake.Checks.ExpectationResult> results = checks.Select(c => c.Evaluate(report)).ToArray();
            written &= junitFile?.TryWrite(file => JUnitWriter.Write(report, results, file), Console.Error) ?? true;

            if (json)
            {
                using Stream stdout = Console.OpenStandardOutput();
                ProbeReportJson.Write(report, stdout, ExitCodes.For, results);
                await stdout.WriteAsync("\n"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
                human.WriteLine($"verdict: {(report.Success ? "OK" : "FAILED")} - {report.Verdict}");
            }
            else
            {
                TextRenderer.WriteProbe(human, report, parse.GetValue(hex));
            }

            TextRenderer.WriteChecks(human, results);
            int exitCode = ExitCodes.For(report);
            exitCode = exitCode == ExitCodes.Success && results.Any(r => !r.Passed) ? ExitCodes.ExpectationsFailed : exitCode;
            return !written && exitCode != ExitCodes.Interrupted ? ExitCodes.ReportNotWritten : exitCode;
        }));
        return command;
    }
}
