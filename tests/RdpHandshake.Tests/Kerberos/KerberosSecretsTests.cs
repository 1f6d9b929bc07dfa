using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using RdpHandshake.Cli;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.TestServer;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// The secrets test of an authenticated NTLM run (IntegrationTests' <c>The_password_and_its_nt_hash_appear_in_no_output_of_an_authenticated_run</c>),
/// for Kerberos: <c>rdphs probe</c> run as a process against the test server and a test KDC, in a whole Kerberos logon
/// (the server holds the service key), with a TGT and a failed TGS exchange that Negotiate recovers from with NTLM, and
/// with a wrong password. Neither password, no key derived from either, no service or session key, no ticket and no
/// encrypted part of a KDC message appears in any output: the text, the -v text with hex, the JSON, the JUnit report, the capture, the key
/// log, and the logs at Trace level.
/// </summary>
public sealed class KerberosSecretsTests
{
    private const string WrongPassword = "Not-The-Password-9";

    public static TheoryData<string> Scenarios => new() { "logon", "negotiate-fallback", "wrong-password" };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task No_password_key_ticket_or_encrypted_part_appears_in_any_output(string scenario)
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        var kdc = new TestKdc(new TestKdcOptions { Services = scenario == "negotiate-fallback" ? [] : [new KdcService("TERMSRV/localhost")] });
        await using var host = new TestKdcHost(kdc);
        IPEndPoint kdcEndpoint = host.Start();
        TestServerOptions serverOptions = new() { ReadTimeout = TimeSpan.FromSeconds(5) };
        await using var server = new RdpTestServer(scenario == "logon" ? KerberosHarness.KerberosServer(kdc, serverOptions) : serverOptions);
        IPEndPoint endpoint = server.Start();

        string directory = Directory.CreateTempSubdirectory("rdphs-kerberos-secret-").FullName;
        string junit = Path.Combine(directory, "run.xml");
        string pcap = Path.Combine(directory, "run.pcapng");
        string keyLog = Path.Combine(directory, "keys.txt");
        string password = scenario == "wrong-password" ? WrongPassword : KdcConversation.Password;
        string[] probe =
        [
            "probe", $"localhost:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}", "--user", KerberosHarness.User,
            "--auth", scenario == "negotiate-fallback" ? "negotiate" : "kerberos", "--kdc", $"127.0.0.1:{kdcEndpoint.Port.ToString(CultureInfo.InvariantCulture)}",
            "--until", "credssp", "--timeout", "5",
        ];
        Rdphs text = await Rdphs.RunAsync(password, cancellationToken, probe);
        Rdphs verbose = await Rdphs.RunAsync(password, cancellationToken, [.. probe, "-v", "--hex", "--log-level", "Trace", "--junit", junit, "--pcap", pcap, "--keylog", keyLog]);
        Rdphs json = await Rdphs.RunAsync(password, cancellationToken, [.. probe, "--json", "--log-level", "Trace"]);

        int expected = scenario == "wrong-password" ? ExitCodes.CredSsp : ExitCodes.Success;
        Assert.All(new[] { text, verbose, json }, run => Assert.True(run.ExitCode == expected, run.ToString()));
        string expectedStep = scenario switch
        {
            "logon" => "credssp.ap-reply",
            "negotiate-fallback" => "kerberos.tgs-exchange",
            _ => "kerberos.as-exchange",
        };
        Assert.Contains(expectedStep, verbose.StdOut, StringComparison.Ordinal);
        Assert.Contains("withheld", verbose.StdOut, StringComparison.Ordinal);
        Assert.Contains("Step kerberos.as-exchange sent  received", verbose.StdErr, StringComparison.Ordinal);
        Assert.NotEmpty(kdc.Answers);
        if (scenario != "wrong-password")
        {
            Assert.NotEmpty(kdc.Issued);
        }

        var outputs = new Dictionary<string, string>
        {
            ["text"] = text.StdOut + text.StdErr,
            ["-v text"] = verbose.StdOut,
            ["Trace log"] = verbose.StdErr + json.StdErr,
            ["json"] = json.StdOut,
            ["junit"] = await File.ReadAllTextAsync(junit, cancellationToken),
            ["keylog"] = await File.ReadAllTextAsync(keyLog, cancellationToken),
            ["pcap"] = Convert.ToHexStringLower(await File.ReadAllBytesAsync(pcap, cancellationToken)),
        };
        Directory.Delete(directory, recursive: true);

        IReadOnlyList<(string What, string Text)> forbidden = Forbidden(kdc, [KdcConversation.Password, WrongPassword]);
        foreach ((string name, string output) in outputs)
        {
            Assert.False(string.IsNullOrEmpty(output), $"{name} is empty: the check would prove nothing");
            foreach ((string what, string secret) in forbidden)
            {
                Assert.False(output.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{scenario}: {name} holds {what}");
            }
        }
    }

    /// <summary>
    /// What must appear nowhere, each as text, hex and base64: the passwords; the keys derived from them for every type
    /// (with the KDC's salt); the session keys of every ticket issued; every ticket; and the ciphertext of every
    /// encrypted part of every KDC message (the encrypted timestamp, the TGT in the TGS-REQ, the authenticator, the
    /// replies' parts), whole and by its first 16 bytes.
    /// </summary>
    private static IReadOnlyList<(string What, string Text)> Forbidden(TestKdc kdc, string[] passwords)
    {
        var forbidden = new List<(string, string)>();
        void Bytes(string what, ReadOnlySpan<byte> bytes)
        {
            forbidden.Add((what + " (hex)", Convert.ToHexStringLower(bytes)));
            forbidden.Add((what + " (base64)", Convert.ToBase64String(bytes)));
        }

        byte[] salt = Encoding.UTF8.GetBytes($"{kdc.Realm}alice");
        foreach (string password in passwords)
        {
            forbidden.Add(("a password", password));
            Bytes("a password in UTF-8", Encoding.UTF8.GetBytes(password));
            Bytes("a password in UTF-16", Encoding.Unicode.GetBytes(password));
            foreach (KerberosEtype etype in KerberosOptions.DefaultEtypes)
            {
                Bytes($"the {etype.RfcName()} key of a password", KerberosCipher.For(etype).StringToKey(password, salt, []));
            }
        }

        foreach (KerberosEtype etype in KerberosOptions.DefaultEtypes)
        {
            Bytes($"the KDC's {etype.RfcName()} key of alice", kdc.UserKey("alice", etype));
            if (kdc.Options.Services.Count > 0)
            {
                Bytes($"the {etype.RfcName()} key of TERMSRV/localhost", kdc.ServiceKey("TERMSRV/localhost", etype));
            }
        }

        Bytes("the krbtgt key", kdc.KrbtgtKey.KeyValue.Span);

        foreach (IssuedTicket issued in kdc.Issued)
        {
            Bytes($"the session key of {issued.Server}", issued.SessionKey.KeyValue.Span);
            Bytes($"the ticket for {issued.Server}", Pdu.Encode(issued.Ticket));
        }

        foreach (KdcAnswerRecord answer in kdc.Answers)
        {
            foreach (ByteString cipher in Ciphers(answer.Request).Concat(Ciphers(answer.Reply)))
            {
                Bytes("an encrypted part of a KDC message", cipher.Span);
                Bytes("the start of an encrypted part of a KDC message", cipher.Span[..16]);
            }
        }

        return forbidden;
    }

    /// <summary>The ciphertexts a KDC request or reply carries.</summary>
    private static IEnumerable<ByteString> Ciphers(byte[] message)
    {
        if (Pdu.Decode<KdcReq>(message) is { IsSuccess: true } request)
        {
            foreach (PaData padata in request.Value.PaData ?? [])
            {
                if (padata.Type == PaDataType.EncTimestamp && padata.DecodeValue<EncryptedData>() is { IsSuccess: true } timestamp)
                {
                    yield return timestamp.Value.Cipher;
                }
                else if (padata.Type == PaDataType.TgsReq && padata.DecodeValue<ApReq>() is { IsSuccess: true } apReq)
                {
                    yield return apReq.Value.Ticket.EncPart.Cipher;
                    yield return apReq.Value.Authenticator.Cipher;
                }
            }
        }
        else if (Pdu.Decode<KdcRep>(message) is { IsSuccess: true } reply)
        {
            yield return reply.Value.Ticket.EncPart.Cipher;
            yield return reply.Value.EncPart.Cipher;
        }
    }

    /// <summary>One run of the rdphs process (rdphs.dll beside the tests), the password in $RDPHS_PASSWORD.</summary>
    private sealed record Rdphs(int ExitCode, string StdOut, string StdErr)
    {
        public static async Task<Rdphs> RunAsync(string password, CancellationToken cancellationToken, params string[] args)
        {
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rdphs.dll"));
            foreach (string arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["RDPHS_PASSWORD"] = password;
            info.Environment["NO_COLOR"] = "1";
            using Process process = Process.Start(info)!;
            process.StandardInput.Close();
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            return new Rdphs(process.ExitCode, await stdout, await stderr);
        }

        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
    }
}
