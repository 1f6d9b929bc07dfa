using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.TestServer.Kerberos;
using static RdpHandshake.Tests.Kerberos.KdcConversation;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// Negotiate goes on with NTLM exactly where <see cref="KerberosVerdicts.NegotiateFallsBack"/> says Windows does (no
/// KDC, no such principal, no common type, a realm it will not follow), with the Kerberos failure kept as the
/// setback; every other Kerberos failure (a wrong password, a locked account, skewed clocks, a forged reply) ends the
/// exchange as it would with Kerberos alone.
/// </summary>
public sealed class NegotiateFallbackTests
{
    private static readonly Dictionary<string, Func<TestKdc[]>> Scenarios = new()
    {
        ["unknown user"] = () => [new TestKdc(new TestKdcOptions { Users = [] })],
        ["no common type"] = () => [new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { Etypes = [] }] })],
        ["unknown SPN"] = () => [new TestKdc(new TestKdcOptions { Services = [] })],
        ["second client referral"] = () =>
        [
            new TestKdc(new TestKdcOptions { ClientReferrals = new Dictionary<string, string> { ["alice"] = "OTHER.TEST" } }),
            new TestKdc(new TestKdcOptions { Realm = "OTHER.TEST", ClientReferrals = new Dictionary<string, string> { ["alice"] = "THIRD.TEST" } }),
        ],
        ["second referral"] = () =>
        {
            var home = new TestKdc(new TestKdcOptions { Services = [], Referrals = new Dictionary<string, string> { ["TERMSRV/localhost"] = "OTHER.TEST" } });
            var other = new TestKdc(new TestKdcOptions { Realm = "OTHER.TEST", Services = [], Referrals = new Dictionary<string, string> { ["TERMSRV/localhost"] = "THIRD.TEST" } });
            home.Trust(other);
            return [home, other];
        },
        ["duplicated SPN"] = () => [new TestKdc(new TestKdcOptions { Services = [new KdcService("TERMSRV/localhost"), new KdcService("TERMSRV/localhost")] })],
        ["wrong password"] = () => [new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", "another-password")] })],
        ["locked account"] = () => [new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { Locked = true }] })],
        ["expired account"] = () => [new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { AccountExpired = true }] })],
        ["expired password"] = () => [new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { PasswordExpired = true }] })],
        ["skewed clock"] = () => [new TestKdc(new TestKdcOptions { ClockOffset = TimeSpan.FromMinutes(-20) })],
        ["as wrong nonce"] = () => [new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.WrongNonce, KdcRequestKind.As)] })],
        ["tgs wrong key"] = () => [new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.WrongKey, KdcRequestKind.Tgs)] })],
        ["tgs other principal"] = () => [new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.OtherPrincipal, KdcRequestKind.Tgs)] })],
    };

    public static TheoryData<string> ScenarioNames => new(Scenarios.Keys);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Negotiate_goes_on_with_ntlm_exactly_when_the_verdict_says_windows_does(string scenario)
    {
        // What Kerberos alone makes of it.
        using var alone = new KerberosPackage(Alice(), Options());
        ProtocolFailure failure = FailureOf(Run(alone, Scenarios[scenario]()));

        // What Negotiate makes of the same KDC.
        using var ntlm = new NtlmPackage(Alice(), "TERMSRV/localhost");
        using var negotiate = new NegotiatePackage(new KerberosPackage(Alice(), Options()), ntlm);
        IReadOnlyList<KdcRoundTrip> trips = Run(negotiate, Scenarios[scenario]());
        PackageAnswer last = trips[^1].Answer;

        if (KerberosVerdicts.NegotiateFallsBack(failure))
        {
            Assert.Null(last.Failure);
            ProtocolFailure setback = Assert.IsType<ProtocolFailure>(last.Setback);
            Assert.Equal((failure.Cause, failure.Detail, failure.Code), (setback.Cause, setback.Detail, setback.Code));
            Assert.Equal(failure.Reason, setback.Reason);
            Assert.Equal($"{failure.Reason}: Negotiate goes on with NTLM, as Windows does", last.Summary);
            Assert.Contains(new StepField("negotiate", "Kerberos failed: going on with NTLM"), last.Fields);
            Assert.Same(ntlm, negotiate.Current);
            Assert.Null(negotiate.PendingKdcExchange);
            Assert.Equal("NTLM", negotiate.Name);
            Assert.Equal([Spnego.NtlmOid], negotiate.MechanismOids);
        }
        else
        {
            Assert.Null(last.Setback);
            ProtocolFailure ended = Assert.IsType<ProtocolFailure>(last.Failure);
            Assert.Equal((failure.Cause, failure.Detail, failure.Code), (ended.Cause, ended.Detail, ended.Code));
            Assert.IsType<KerberosPackage>(negotiate.Current);
        }
    }

    [Fact]
    public void The_scenarios_cover_both_sides_of_the_verdict()
    {
        var fallsBack = Scenarios.ToDictionary(s => s.Key, s =>
        {
            using var package = new KerberosPackage(Alice(), Options());
            return KerberosVerdicts.NegotiateFallsBack(FailureOf(Run(package, s.Value())));
        });

        Assert.Equal(
            ["no common type", "second client referral", "second referral", "unknown SPN", "unknown user"],
            fallsBack.Where(f => f.Value).Select(f => f.Key).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string> Endpoints => new() { "kdc-not-found", "refused", "timeout", "closed", "reset", "truncated" };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void A_kdc_that_cannot_be_found_or_reached_is_a_setback_for_negotiate_and_the_end_for_kerberos(string how)
    {
        ProtocolFailure unreachable = how == "kdc-not-found"
            ? new ProtocolFailure(CauseId.KdcNotFound, "no KDC is known for the realm RDPHS.TEST")
            : new ProtocolFailure(CauseId.KdcUnreachable, "tcp/127.0.0.1:88 did not answer") { Detail = how };

        using var alone = new KerberosPackage(Alice(), Options());
        _ = alone.PendingKdcExchange;
        PackageAnswer ended = alone.KdcFailed(unreachable);
        Assert.Equal(unreachable, ended.Failure);

        using var ntlm = new NtlmPackage(Alice(), "TERMSRV/localhost");
        using var negotiate = new NegotiatePackage(new KerberosPackage(Alice(), Options()), ntlm);
        _ = negotiate.PendingKdcExchange;
        PackageAnswer recovered = negotiate.KdcFailed(unreachable);
        Assert.Null(recovered.Failure);
        Assert.Equal(unreachable.Cause, recovered.Setback!.Cause);
        Assert.Equal(unreachable.Detail, recovered.Setback.Detail);
        Assert.Same(ntlm, negotiate.Current);
    }

    [Fact]
    public void The_verdict_lists_exactly_the_failures_windows_recovers_from()
    {
        KerberosErrorCode[] recovered = [.. Enum.GetValues<KerberosErrorCode>().Where(code =>
            KerberosVerdicts.NegotiateFallsBack(new ProtocolFailure(CauseId.KerberosError, "x") { Detail = code.ToString(), Code = (uint)code }))];
        Assert.Equal(
            [KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP, KerberosErrorCode.KDC_ERR_WRONG_REALM],
            recovered);

        CauseId[] causes = [.. Enum.GetValues<CauseId>().Where(id => id != CauseId.KerberosError && KerberosVerdicts.NegotiateFallsBack(new ProtocolFailure(id, "x")))];
        Assert.Equal([CauseId.KdcNotFound, CauseId.KdcUnreachable], causes);
    }

    [Fact]
    public void Ntlm_alone_never_asks_a_kdc()
    {
        using var ntlm = new NtlmPackage(Alice(), "TERMSRV/localhost");
        using var negotiate = new NegotiatePackage(null, ntlm, "the target is an IP address");
        Assert.Null(negotiate.PendingKdcExchange);
        Assert.Contains(new StepField("negotiate", "NTLM: the target is an IP address"), negotiate.FirstToken().Fields);
    }
}
