using RdpHandshake.Cli;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Diagnostics;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// Whole probes of the test server as <c>localhost</c> with <c>--kdc</c> naming a test KDC: under Negotiate a KDC
/// failure Windows recovers from ends in NTLM's success with the Kerberos steps kept as failed setbacks before the
/// NTLM steps, and one it does not recover from ends the run; under Kerberos alone every KDC failure is the run's
/// diagnosis, at its step, in phase credssp, with exit code 13.
/// </summary>
public sealed class KerberosProbeTests
{
    private static CancellationToken Cancelled => TestContext.Current.CancellationToken;

    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(1);

    /// <summary>A KDC setup that makes Kerberos fail, by name: the KDCs the host serves (none: no --kdc) and how the probe is adjusted.</summary>
    private static readonly Dictionary<string, (Func<TestKdc[]> Kdcs, Func<ProbeOptions, ProbeOptions>? Adjust)> Failures = new()
    {
        ["kdc-not-found"] = (() => [], null),
        ["kdc-unreachable:refused"] = (() => [], o => o with { Kerberos = o.Kerberos with { Kdcs = [new KdcEndpoint("127.0.0.1", KerberosHarness.ClosedPort())] } }),
        ["kdc-unreachable:timeout"] = (() => [new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.Stall, KdcRequestKind.As)] })], null),
        ["kdc-unreachable:closed"] = (() => [new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.Close, KdcRequestKind.As)] })], null),
        ["kerberos-error:KDC_ERR_C_PRINCIPAL_UNKNOWN"] = (() => [new TestKdc(new TestKdcOptions { Users = [] })], null),
        ["kerberos-error:KDC_ERR_S_PRINCIPAL_UNKNOWN"] = (() => [new TestKdc(new TestKdcOptions { Services = [] })], null),
        ["kerberos-error:KDC_ERR_ETYPE_NOSUPP"] = (() => [new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", KdcConversation.Password) { Etypes = [] }] })], null),
        ["kerberos-error:KDC_ERR_PREAUTH_FAILED"] = (() => [new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", "another-password")] })], null),
        ["kerberos-error:KDC_ERR_CLIENT_REVOKED"] = (() => [new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", KdcConversation.Password) { Locked = true }] })], null),
        ["kerberos-error:KRB_AP_ERR_SKEW"] = (() => [new TestKdc(new TestKdcOptions { ClockOffset = TimeSpan.FromMinutes(10) })], null),
        ["kerberos-error:KDC_ERR_PRINCIPAL_NOT_UNIQUE"] = (() => [new TestKdc(new TestKdcOptions { Services = [new KdcService("TERMSRV/localhost"), new KdcService("TERMSRV/localhost")] })], null),
        ["kerberos-reply-invalid"] = (() => [new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.WrongNonce, KdcRequestKind.Tgs)] })], null),
        ["malformed-response"] = (() => [new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.GarbageFramed, KdcRequestKind.As)] })], null),
    };

    /// <summary>The step each failure is diagnosed at.</summary>
    private static string StepOf(string cause) => cause switch
    {
        "kdc-not-found" => "kerberos.kdc-lookup",
        "kerberos-error:KDC_ERR_S_PRINCIPAL_UNKNOWN" or "kerberos-error:KDC_ERR_PRINCIPAL_NOT_UNIQUE" or "kerberos-reply-invalid" => "kerberos.tgs-exchange",
        _ => "kerberos.as-exchange",
    };

    private static bool FallsBack(string cause) => cause is "kdc-not-found" or "kdc-unreachable:refused" or "kdc-unreachable:timeout" or "kdc-unreachable:closed"
        or "kerberos-error:KDC_ERR_C_PRINCIPAL_UNKNOWN" or "kerberos-error:KDC_ERR_S_PRINCIPAL_UNKNOWN" or "kerberos-error:KDC_ERR_ETYPE_NOSUPP";

    public static TheoryData<string> FailureNames => new(Failures.Keys);

    public static TheoryData<string> FallbackNames => new(Failures.Keys.Where(FallsBack));

    public static TheoryData<string> FinalNames => new(Failures.Keys.Where(k => !FallsBack(k)));

    private static Task<KerberosRun> ProbeAsync(string failure, AuthPackage auth)
    {
        (Func<TestKdc[]> kdcs, Func<ProbeOptions, ProbeOptions>? adjust) = Failures[failure];
        return KerberosHarness.ProbeAsync(auth, kdcs(), readTimeout: ShortTimeout, adjust: adjust, cancellationToken: Cancelled);
    }

    [Theory]
    [MemberData(nameof(FailureNames))]
    public async Task Under_kerberos_alone_each_kdc_failure_is_the_diagnosis_at_its_step(string cause)
    {
        KerberosRun run = await ProbeAsync(cause, AuthPackage.Kerberos);

        Diagnosis diagnosis = Assert.IsType<Diagnosis>(run.Report.Diagnosis);
        string said = $"{diagnosis.Phase.Name()}/{diagnosis.Cause.Name} at {diagnosis.Evidence.Step}: {diagnosis.Summary}";
        Assert.True(diagnosis.Cause.Name == cause, said);
        Assert.Equal(ConnectionPhase.CredSsp, diagnosis.Phase);
        Assert.Equal(StepOf(cause), diagnosis.Evidence.Step);
        Assert.Equal(ExitCodes.CredSsp, ExitCodes.For(run.Report));
        Assert.DoesNotContain("no catalogue entry", diagnosis.Explanation, StringComparison.Ordinal);
        Assert.NotEmpty(diagnosis.Remedy);

        StepRecord last = run.Report.Steps[^1];
        Assert.Equal((StepOf(cause), StepOutcome.Failed), (last.Name, last.Outcome));
        Assert.DoesNotContain(run.Report.Steps, s => s.Name.StartsWith("credssp.", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(FallbackNames))]
    public async Task Under_negotiate_a_kdc_failure_windows_recovers_from_ends_in_ntlms_success_with_the_kerberos_steps_as_setbacks(string cause)
    {
        KerberosRun run = await ProbeAsync(cause, AuthPackage.Negotiate);

        Assert.True(run.Report.Success, run.Report.Verdict);
        Assert.Equal(ExitCodes.Success, ExitCodes.For(run.Report));
        StepRecord[] steps = [.. run.Report.Steps];
        int failed = Array.FindIndex(steps, s => s.Name == StepOf(cause));
        int negotiate = Array.FindIndex(steps, s => s.Name == "credssp.negotiate");
        Assert.InRange(failed, 0, negotiate - 1);
        Assert.Equal(StepOutcome.Failed, steps[failed].Outcome);
        Assert.EndsWith(": Negotiate goes on with NTLM, as Windows does", steps[failed].Summary, StringComparison.Ordinal);
        Assert.Contains(new StepField("negotiate", "Kerberos failed: going on with NTLM"), steps[failed].Fields);
        Assert.All(steps[..failed], s => Assert.Equal(StepOutcome.Ok, s.Outcome));
        Assert.All(steps[(failed + 1)..], s => Assert.Equal(StepOutcome.Ok, s.Outcome));
        Assert.Equal(["credssp.negotiate", "credssp.challenge", "credssp.authenticate", "credssp.pubkey", "credssp.credentials", "credssp.early-user-auth"],
            steps[negotiate..].Select(s => s.Name));
        Assert.True(run.Server.Single().CredentialsReceived);
    }

    [Theory]
    [MemberData(nameof(FinalNames))]
    public async Task Under_negotiate_a_kdc_failure_windows_does_not_recover_from_ends_the_run(string cause)
    {
        KerberosRun run = await ProbeAsync(cause, AuthPackage.Negotiate);

        Diagnosis diagnosis = Assert.IsType<Diagnosis>(run.Report.Diagnosis);
        Assert.Equal((ConnectionPhase.CredSsp, cause, StepOf(cause)), (diagnosis.Phase, diagnosis.Cause.Name, diagnosis.Evidence.Step));
        Assert.DoesNotContain(run.Report.Steps, s => s.Name == "credssp.negotiate");
    }

    [Fact]
    public async Task With_a_ticket_the_ap_req_goes_to_the_server_and_the_kdc_steps_name_the_kdc()
    {
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [new TestKdc()], cancellationToken: Cancelled);

        StepRecord[] steps = [.. run.Report.Steps];
        Assert.Equal(
            [("kerberos.kdc-lookup", StepOutcome.Ok), ("kerberos.as-exchange", StepOutcome.Ok), ("kerberos.tgs-exchange", StepOutcome.Ok), ("credssp.ap-request", StepOutcome.Ok)],
            steps.SkipWhile(s => !s.Name.StartsWith("kerberos.", StringComparison.Ordinal)).Take(4).Select(s => (s.Name, s.Outcome)));
        StepRecord asExchange = steps.Single(s => s.Name == "kerberos.as-exchange");
        Assert.Equal("kdc", asExchange.Fields[0].Name);
        Assert.StartsWith("tcp/127.0.0.1:", asExchange.Fields[0].Value, StringComparison.Ordinal);
        Assert.Empty(asExchange.Sent);
        Assert.Empty(asExchange.Received);
        Assert.Contains(asExchange.Fields, f => f.Name == "bytes" && f.Value.StartsWith("withheld: ", StringComparison.Ordinal));
        Assert.Single(asExchange.Fields, f => f.Name == "kerberos.cname");
        Assert.Equal([KdcRequestKind.As, KdcRequestKind.As, KdcRequestKind.Tgs], run.KdcRequests.Select(r => r.Kind));

        // The test server speaks NTLM only: it closes on the Kerberos token, which is where the run ends.
        Diagnosis diagnosis = Assert.IsType<Diagnosis>(run.Report.Diagnosis);
        Assert.Equal(("credssp.ap-reply", ConnectionPhase.CredSsp), (diagnosis.Evidence.Step, diagnosis.Phase));
        Assert.Equal("the client's TSRequest carries no NTLM NEGOTIATE", run.Server.Single().Ending);
    }

    public static TheoryData<KerberosEtype> ServiceEtypes => new(KerberosOptions.DefaultEtypes);

    [Theory]
    [MemberData(nameof(ServiceEtypes))]
    public async Task A_server_holding_the_kdcs_service_key_completes_the_kerberos_logon(KerberosEtype etype)
    {
        // The test server's acceptor is MIT's GSS-API with a keytab the test KDC wrote: the KDC's tickets are checked by
        // code that is not the project's.
        var kdc = new TestKdc(new TestKdcOptions { Services = [new KdcService("TERMSRV/localhost") { Etypes = [etype] }] });
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [kdc], cancellationToken: Cancelled, serverOptions: KerberosHarness.KerberosServer(kdc));

        Assert.True(run.Report.Success, run.Report.Verdict + " / server: " + run.Server.Single().Ending + " " + run.Server.Single().KerberosError);
        Assert.Equal(ExitCodes.Success, ExitCodes.For(run.Report));
        StepRecord[] steps = [.. run.Report.Steps.SkipWhile(s => s.Name != "kerberos.kdc-lookup")];
        Assert.Equal(
            ["kerberos.kdc-lookup", "kerberos.as-exchange", "kerberos.tgs-exchange", "credssp.ap-request", "credssp.ap-reply", "credssp.pubkey-auth", "credssp.pubkey", "credssp.credentials", "credssp.early-user-auth"],
            steps.Select(s => s.Name));
        Assert.All(steps, s => Assert.Equal(StepOutcome.Ok, s.Outcome));
        Assert.Contains(new StepField("kerberos.mutual-authentication", "verified"), steps.Single(s => s.Name == "credssp.ap-reply").Fields);
        Assert.Contains(new StepField("kerberos.ticket-etype", $"{KerberosNames.EncryptionType((EncryptionType)etype)}, kvno 2"), steps.Single(s => s.Name == "kerberos.tgs-exchange").Fields);
        Assert.Equal(("Kerberos", "alice@RDPHS.TEST", true), (run.Server.Single().CredSspPackage, run.Server.Single().CredSspUser, run.Server.Single().CredentialsReceived));
    }

    [Fact]
    public async Task Under_negotiate_a_server_with_the_service_key_is_logged_on_with_kerberos_and_no_ntlm()
    {
        var kdc = new TestKdc();
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Negotiate, [kdc], cancellationToken: Cancelled, serverOptions: KerberosHarness.KerberosServer(kdc));

        Assert.True(run.Report.Success, run.Report.Verdict);
        Assert.DoesNotContain(run.Report.Steps, s => s.Name is "credssp.negotiate" or "credssp.challenge" or "credssp.authenticate");
        Assert.Contains(run.Report.Steps, s => s.Name == "credssp.ap-reply" && s.Outcome == StepOutcome.Ok);
        Assert.Equal("Kerberos", run.Server.Single().CredSspPackage);
    }

    [Fact]
    public async Task A_server_whose_keytab_is_not_the_kdcs_cannot_decrypt_its_ticket()
    {
        // A stale keytab: the same principal, keys the KDC no longer has (another KDC's, here).
        var kdc = new TestKdc();
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [kdc], cancellationToken: Cancelled, serverOptions: KerberosHarness.KerberosServer(new TestKdc()));

        Diagnosis diagnosis = Assert.IsType<Diagnosis>(run.Report.Diagnosis);
        Assert.Equal(("credssp.ap-reply", ConnectionPhase.CredSsp), (diagnosis.Evidence.Step, diagnosis.Phase));
        // MIT's acceptor answers BAD_INTEGRITY where Windows answers KRB_AP_ERR_MODIFIED: the verdict words both alike.
        Assert.Equal("kerberos-error:KRB_AP_ERR_BAD_INTEGRITY", diagnosis.Cause.Name);
        Assert.StartsWith("the server could not decrypt the service ticket for TERMSRV/localhost@RDPHS.TEST: the key it holds is not the one the KDC used", diagnosis.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_udp_reply_too_big_is_asked_for_again_over_tcp_on_the_same_step()
    {
        var kdc = new TestKdc(new TestKdcOptions { PacSize = 2000, MaxDatagramReplySize = 1465 });
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [kdc], KdcTransport.Udp, cancellationToken: Cancelled);

        Assert.Equal([KdcTransport.Udp, KdcTransport.Udp, KdcTransport.Tcp, KdcTransport.Tcp], run.KdcRequests.Select(r => r.Transport));
        Assert.Equal([KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED, KerberosErrorCode.KRB_ERR_RESPONSE_TOO_BIG, null, null], kdc.Answers.Select(a => a.Error));
        StepRecord asExchange = run.Report.Steps.Single(s => s.Name == "kerberos.as-exchange");
        Assert.Equal(StepOutcome.Ok, asExchange.Outcome);
        Assert.StartsWith("tcp/127.0.0.1:", asExchange.Fields[0].Value, StringComparison.Ordinal);
        Assert.Contains(asExchange.Fields, f => f.Name == "kerberos.error" && f.Value.StartsWith("KRB_ERR_RESPONSE_TOO_BIG", StringComparison.Ordinal));
        Assert.Equal("credssp.ap-reply", run.Report.Diagnosis?.Evidence.Step);
    }

    [Fact]
    public async Task A_udp_kdc_that_refuses_is_kdc_unreachable_refused()
    {
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [], KdcTransport.Udp, ShortTimeout,
            o => o with { Kerberos = o.Kerberos with { Kdcs = [new KdcEndpoint("127.0.0.1", KerberosHarness.ClosedPort(), KdcTransport.Udp)] } }, Cancelled);

        Assert.Equal(("kdc-unreachable:refused", "kerberos.as-exchange"), (run.Report.Diagnosis!.Cause.Name, run.Report.Diagnosis.Evidence.Step));
    }

    [Theory]
    [InlineData(KdcTransport.Tcp)]
    [InlineData(KdcTransport.Udp)]
    public async Task A_kdc_that_refuses_is_passed_over_for_the_next_one(KdcTransport transport)
    {
        var kdc = new TestKdc();
        int closed = KerberosHarness.ClosedPort();
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [kdc], transport, ShortTimeout,
            o => o with { Kerberos = o.Kerberos with { Kdcs = [new KdcEndpoint("127.0.0.1", closed, transport), .. o.Kerberos.Kdcs] } }, Cancelled);

        Assert.Equal(
            [("kerberos.as-exchange", StepOutcome.Ok), ("kerberos.tgs-exchange", StepOutcome.Ok)],
            run.Report.Steps.Where(s => s.Name is "kerberos.as-exchange" or "kerberos.tgs-exchange").Select(s => (s.Name, s.Outcome)));
        Assert.Equal(3, run.KdcRequests.Count);
        Assert.Equal("credssp.ap-reply", run.Report.Diagnosis?.Evidence.Step);
    }

    [Fact]
    public async Task A_referral_is_followed_to_the_other_realms_kdc_found_again_for_that_realm()
    {
        var home = new TestKdc(new TestKdcOptions { Services = [], Referrals = new Dictionary<string, string> { ["TERMSRV/localhost"] = "OTHER.TEST" } });
        var other = new TestKdc(new TestKdcOptions { Realm = "OTHER.TEST", Users = [] });
        home.Trust(other);
        KerberosRun run = await KerberosHarness.ProbeAsync(AuthPackage.Kerberos, [home, other], cancellationToken: Cancelled);

        Assert.Equal(
            ["kerberos.kdc-lookup", "kerberos.as-exchange", "kerberos.tgs-exchange", "kerberos.kdc-lookup", "kerberos.tgs-exchange", "credssp.ap-request"],
            run.Report.Steps.SkipWhile(s => !s.Name.StartsWith("kerberos.", StringComparison.Ordinal)).Take(6).Select(s => s.Name));
        Assert.Equal(["RDPHS.TEST", "RDPHS.TEST", "RDPHS.TEST", "OTHER.TEST"], run.KdcRequests.Select(r => r.Realm));
        Assert.Equal("credssp.ap-reply", run.Report.Diagnosis?.Evidence.Step);
    }
}
