using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.TestServer.Kerberos;
using static RdpHandshake.Tests.Kerberos.KdcConversation;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// The client's Kerberos package against the test KDC, without sockets: the AS exchange with pre-authentication for
/// every encryption type, the salt and iteration count of ETYPE-INFO2, every KDC error with the cause and words the
/// verdict gives it, referrals and client referrals followed once, the retry over TCP, replies that do not answer the
/// request, and the AP-REQ that the service's key opens.
/// </summary>
public sealed class KerberosPackageAgainstTestKdcTests
{
    private const string Realm = "RDPHS.TEST";
    private const string Other = "OTHER.TEST";

    private static KerberosPackage Package(KerberosOptions? options = null, Credentials? credentials = null, TimeProvider? time = null) =>
        new(credentials ?? Alice(), options ?? Options(), time);

    public static TheoryData<KerberosEtype> Etypes => new(KerberosOptions.DefaultEtypes);

    [Theory]
    [MemberData(nameof(Etypes))]
    public void The_as_exchange_preauthenticates_with_the_users_only_type_and_the_service_ticket_opens_with_the_service_key(KerberosEtype etype)
    {
        var kdc = new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { Etypes = [etype] }] });
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.Equal(["kerberos.as-exchange", "kerberos.as-exchange", "kerberos.tgs-exchange"], trips.Select(t => t.Exchange.StepName));
        Assert.Equal([KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED, null, null], kdc.Answers.Select(a => a.Error));
        Assert.Contains(new StepField("kerberos.preauth-etype", KerberosNames.EncryptionType((EncryptionType)etype)), trips[0].Answer.Fields);
        Assert.StartsWith($"PA-ENC-TIMESTAMP, {KerberosNames.EncryptionType((EncryptionType)etype)}", trips[1].Request.Fields.Single(f => f.Name == "kerberos.pre-authentication").Value, StringComparison.Ordinal);
        Assert.Null(package.PendingKdcExchange);
        AssertApReqOpensWithServiceKey(kdc, package, "TERMSRV/localhost");
    }

    [Theory]
    [MemberData(nameof(Etypes))]
    public void A_client_offering_one_type_gets_its_session_keys_of_that_type(KerberosEtype etype)
    {
        var kdc = new TestKdc();
        using KerberosPackage package = Package(Options(etypes: [etype]));

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.All(kdc.Issued, t => Assert.Equal((EncryptionType)etype, t.SessionKey.KeyType));
        AssertApReqOpensWithServiceKey(kdc, package, "TERMSRV/localhost");
    }

    [Fact]
    public void The_salt_and_iteration_count_of_etype_info2_are_the_ones_the_key_is_made_with()
    {
        var user = new KdcUser("alice", Password) { Salt = "EXAMPLE.COMhost/alice.example.com", Iterations = 5000, Etypes = [KerberosEtype.Aes256CtsHmacSha196] };
        var kdc = new TestKdc(new TestKdcOptions { Users = [user] });
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.Equal("PA-ENC-TIMESTAMP, aes256-cts-hmac-sha1-96, salt \"EXAMPLE.COMhost/alice.example.com\"", trips[1].Request.Fields.Single(f => f.Name == "kerberos.pre-authentication").Value);
        Assert.Contains(trips[0].Answer.Fields, f => f.Name == "kerberos.etype-info2" && f.Value.Contains("EXAMPLE.COMhost/alice.example.com", StringComparison.Ordinal));
    }

    [Fact]
    public void A_user_name_in_another_case_gets_its_key_from_the_salt_the_kdc_gives()
    {
        // The salt holds the name as the KDC has it (alice), not as typed (ALICE): only the salt of ETYPE-INFO2 makes the right key.
        var kdc = new TestKdc();
        using KerberosPackage package = Package(credentials: Credentials.Parse($"ALICE@{Realm}", new Secret(Password)));

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.EndsWith("salt \"RDPHS.TESTalice\"", trips[1].Request.Fields.Single(f => f.Name == "kerberos.pre-authentication").Value, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_without_preauthentication_gets_the_as_rep_at_once()
    {
        var kdc = new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { RequiresPreauth = false }] });
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.Equal(2, trips.Count);
        Assert.Contains("without pre-authentication", trips[0].Answer.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_without_preauthentication_and_a_wrong_password_is_told_by_the_as_rep_that_does_not_decrypt()
    {
        var kdc = new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { RequiresPreauth = false }] });
        using KerberosPackage package = Package(credentials: Alice(password: "not-the-password"));

        ProtocolFailure failure = FailureOf(Run(package, kdc));

        Assert.Equal(CauseId.KerberosReplyInvalid, failure.Cause);
        Assert.Equal("the AS-REP does not decrypt with the key derived from the password: the password is wrong (this KDC does not require pre-authentication, so it could not say so)", failure.Reason);
    }

    [Fact]
    public void The_password_expiry_the_kdc_announces_is_shown()
    {
        var expires = new DateTimeOffset(2027, 1, 31, 12, 0, 0, TimeSpan.Zero);
        var kdc = new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { PasswordExpires = expires }] });
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        Assert.Contains(new StepField("kerberos.password-expires", "2027-01-31T12:00:00Z"), trips[1].Answer.Fields);
    }

    /// <summary>A KDC error scenario: how the KDC and the client are set up, and the verdict the client must reach.</summary>
    private sealed record ErrorCase(string Name, TestKdcOptions Kdc, Credentials? Credentials, KerberosOptions? Client, KerberosErrorCode Code, string Reason);

    private static readonly string Clock = new KerberosTime(FixedClock.Instant.AddHours(1)).ToString();

    private static readonly string ClockBehind = new KerberosTime(FixedClock.Instant.AddMinutes(-7)).ToString();

    private static readonly ErrorCase[] ErrorCases =
    [
        new ErrorCase("unknown user", new TestKdcOptions(), Credentials.Parse($"bob@{Realm}", new Secret(Password)), null,
            KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, "the KDC of RDPHS.TEST does not know the user bob@RDPHS.TEST"),
        new ErrorCase("no common type", new TestKdcOptions { Users = [new KdcUser("alice", Password) { Etypes = [KerberosEtype.Rc4Hmac] }] }, null,
            Options(etypes: [KerberosEtype.Aes256CtsHmacSha196, KerberosEtype.Aes128CtsHmacSha196]),
            KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP, "the KDC of RDPHS.TEST and rdphs share no encryption type for alice@RDPHS.TEST: rdphs offered aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96; "
                + "the KDC did not say which it has (the account's keys may be of types rdphs did not offer, or the KDC allows none of those offered)"),
        new ErrorCase("types the KDC does not allow", new TestKdcOptions { AllowedEtypes = [KerberosEtype.Aes256CtsHmacSha196] }, null, Options(etypes: [KerberosEtype.Rc4Hmac]),
            KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP, "the KDC of RDPHS.TEST and rdphs share no encryption type for alice@RDPHS.TEST: rdphs offered rc4-hmac; "
                + "the KDC did not say which it has (the account's keys may be of types rdphs did not offer, or the KDC allows none of those offered)"),
        new ErrorCase("locked account", new TestKdcOptions { Users = [new KdcUser("alice", Password) { Locked = true }] }, null, null,
            KerberosErrorCode.KDC_ERR_CLIENT_REVOKED, "the KDC of RDPHS.TEST refuses alice@RDPHS.TEST: the account is locked out, disabled or expired"),
        new ErrorCase("locked account with its NTSTATUS", new TestKdcOptions { Users = [new KdcUser("alice", Password) { Locked = true, ExtendedError = 0xC0000234 }] }, null, null,
            KerberosErrorCode.KDC_ERR_CLIENT_REVOKED, "the KDC of RDPHS.TEST refuses alice@RDPHS.TEST: the account is locked out, disabled or expired (STATUS_ACCOUNT_LOCKED_OUT)"),
        new ErrorCase("expired account", new TestKdcOptions { Users = [new KdcUser("alice", Password) { AccountExpired = true }] }, null, null,
            KerberosErrorCode.KDC_ERR_NAME_EXP, "the account alice@RDPHS.TEST has expired"),
        new ErrorCase("wrong password", new TestKdcOptions(), Alice(password: "not-the-password"), null,
            KerberosErrorCode.KDC_ERR_PREAUTH_FAILED, "the KDC of RDPHS.TEST refused the pre-authentication of alice@RDPHS.TEST: the password is wrong (e-text: \"PREAUTH_FAILED\")"),
        new ErrorCase("wrong password at a KDC without e-text, with an NTSTATUS", new TestKdcOptions
            {
                ETexts = new Dictionary<KerberosErrorCode, string>(),
                Users = [new KdcUser("alice", Password) { ExtendedError = 0xC000006A }],
            }, Alice(password: "not-the-password"), null,
            KerberosErrorCode.KDC_ERR_PREAUTH_FAILED, "the KDC of RDPHS.TEST refused the pre-authentication of alice@RDPHS.TEST: the password is wrong (STATUS_WRONG_PASSWORD)"),
        new ErrorCase("skewed clock", new TestKdcOptions { ClockOffset = TimeSpan.FromHours(1), Time = new FixedClock() }, null, null,
            KerberosErrorCode.KRB_AP_ERR_SKEW, $"the KDC of RDPHS.TEST refuses the request because the clocks differ: its clock ({Clock}) is 3600 s ahead of this machine's, and Kerberos allows 300 s by default"),
        new ErrorCase("clock behind", new TestKdcOptions { ClockOffset = TimeSpan.FromMinutes(-7), Time = new FixedClock() }, null, null,
            KerberosErrorCode.KRB_AP_ERR_SKEW, $"the KDC of RDPHS.TEST refuses the request because the clocks differ: its clock ({ClockBehind}) is 420 s behind this machine's, and Kerberos allows 300 s by default"),
        new ErrorCase("expired password", new TestKdcOptions { Users = [new KdcUser("alice", Password) { PasswordExpired = true, ExtendedError = 0xC0000071 }] }, null, null,
            KerberosErrorCode.KDC_ERR_KEY_EXPIRED, "the password of alice@RDPHS.TEST has expired: it must be changed before it can be used (STATUS_PASSWORD_EXPIRED)"),
        new ErrorCase("unknown SPN", new TestKdcOptions(), null, Options(spn: "TERMSRV/nowhere.rdphs.test"),
            KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, "the KDC of RDPHS.TEST has no principal TERMSRV/nowhere.rdphs.test@RDPHS.TEST: no account holds this service principal name"),
        new ErrorCase("duplicated SPN", new TestKdcOptions { Services = [new KdcService("TERMSRV/localhost"), new KdcService("termsrv/LOCALHOST")] }, null, null,
            KerberosErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE, "the KDC of RDPHS.TEST has TERMSRV/localhost@RDPHS.TEST on more than one account: the service principal name is duplicated"),
        new ErrorCase("no common type with the service", new TestKdcOptions { Services = [new KdcService("TERMSRV/localhost") { Etypes = [KerberosEtype.Rc4Hmac] }] }, null,
            Options(etypes: [KerberosEtype.Aes256CtsHmacSha196]),
            KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP, "the KDC of RDPHS.TEST and rdphs share no encryption type for TERMSRV/localhost@RDPHS.TEST: rdphs offered aes256-cts-hmac-sha1-96; "
                + "the KDC did not say which it has (the account's keys may be of types rdphs did not offer, or the KDC allows none of those offered)"),
    ];

    public static TheoryData<string> KdcErrors => new(ErrorCases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(KdcErrors))]
    public void Each_kdc_error_is_a_kerberos_error_named_and_worded_by_the_verdict(string name)
    {
        ErrorCase scenario = ErrorCases.Single(c => c.Name == name);
        var kdc = new TestKdc(scenario.Kdc);
        using KerberosPackage package = Package(scenario.Client, scenario.Credentials, scenario.Kdc.Time);

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        ProtocolFailure failure = FailureOf(trips);
        Assert.Equal(CauseId.KerberosError, failure.Cause);
        Assert.Equal(scenario.Code.ToString(), failure.Detail);
        Assert.Equal((uint)scenario.Code, failure.Code);
        Assert.Equal(scenario.Reason, failure.Reason);
        Assert.Equal(scenario.Code, kdc.Answers[^1].Error);
        Assert.Contains(new StepField("kerberos.error", $"{scenario.Code} ({(int)scenario.Code})"), trips[^1].Answer.Fields);
    }

    [Fact]
    public void A_referral_is_followed_once_to_the_realm_holding_the_service()
    {
        var home = new TestKdc(new TestKdcOptions { Services = [], Referrals = new Dictionary<string, string> { ["TERMSRV/localhost"] = Other } });
        var other = new TestKdc(new TestKdcOptions { Realm = Other, Users = [] });
        home.Trust(other);
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, home, other);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.Equal([Realm, Realm, Realm, Other], trips.Select(t => t.Exchange.Realm));
        Assert.Contains(new StepField("kerberos.referral", $"{Realm} -> {Other}"), trips[2].Answer.Fields);
        Assert.Equal($"krbtgt/{Other}@{Realm}", home.Issued[^1].Server);
        EncTicketPart referral = Assert.IsType<EncTicketPart>(other.TryReadTicket(home.Issued[^1].Ticket));
        Assert.Equal($"alice@{Realm}", $"{referral.CName}@{referral.CRealm}");
        AssertApReqOpensWithServiceKey(other, package, "TERMSRV/localhost");
    }

    [Fact]
    public void A_second_referral_is_not_followed()
    {
        var home = new TestKdc(new TestKdcOptions { Services = [], Referrals = new Dictionary<string, string> { ["TERMSRV/localhost"] = Other } });
        var other = new TestKdc(new TestKdcOptions { Realm = Other, Users = [], Services = [], Referrals = new Dictionary<string, string> { ["TERMSRV/localhost"] = "THIRD.TEST" } });
        home.Trust(other);
        using KerberosPackage package = Package();

        ProtocolFailure failure = FailureOf(Run(package, home, other));

        Assert.Equal(CauseId.KerberosError, failure.Cause);
        Assert.Equal(nameof(KerberosErrorCode.KDC_ERR_WRONG_REALM), failure.Detail);
        Assert.Equal("the KDC of OTHER.TEST refers the request for TERMSRV/localhost on to THIRD.TEST, a second referral: rdphs follows one", failure.Reason);
    }

    [Fact]
    public void A_client_referral_is_followed_once_to_the_users_realm_with_its_salt()
    {
        var home = new TestKdc(new TestKdcOptions { ClientReferrals = new Dictionary<string, string> { ["alice"] = Other } });
        var other = new TestKdc(new TestKdcOptions { Realm = Other });
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, home, other);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.Equal([Realm, Other, Other, Other], trips.Select(t => t.Exchange.Realm));
        Assert.Equal([KerberosErrorCode.KDC_ERR_WRONG_REALM], home.Answers.Select(a => a.Error));
        Assert.Contains(new StepField("kerberos.referral", $"{Realm} -> {Other}"), trips[0].Answer.Fields);
        Assert.EndsWith("salt \"OTHER.TESTalice\"", trips[2].Request.Fields.Single(f => f.Name == "kerberos.pre-authentication").Value, StringComparison.Ordinal);
        Assert.Equal($"alice@{Other}", package.Principal);
        AssertApReqOpensWithServiceKey(other, package, "TERMSRV/localhost");
    }

    [Fact]
    public void A_second_client_referral_is_not_followed()
    {
        var home = new TestKdc(new TestKdcOptions { ClientReferrals = new Dictionary<string, string> { ["alice"] = Other } });
        var other = new TestKdc(new TestKdcOptions { Realm = Other, ClientReferrals = new Dictionary<string, string> { ["alice"] = "THIRD.TEST" } });
        using KerberosPackage package = Package();

        ProtocolFailure failure = FailureOf(Run(package, home, other));

        Assert.Equal(nameof(KerberosErrorCode.KDC_ERR_WRONG_REALM), failure.Detail);
        Assert.Equal("the KDC of OTHER.TEST says alice@OTHER.TEST belongs to another realm (THIRD.TEST), and rdphs already followed one referral", failure.Reason);
    }

    [Fact]
    public void A_user_referred_to_another_realm_follows_the_referral_back_to_the_realm_of_the_service()
    {
        // alice@RDPHS.TEST lives in OTHER.TEST (a client referral); the server's principal is in RDPHS.TEST, so OTHER.TEST's
        // KDC refers the TGS-REQ back: a cross-domain logon, one referral of each kind.
        var home = new TestKdc(new TestKdcOptions { Users = [], ClientReferrals = new Dictionary<string, string> { ["alice"] = Other } });
        var other = new TestKdc(new TestKdcOptions { Realm = Other, Services = [], Referrals = new Dictionary<string, string> { ["TERMSRV/localhost"] = Realm } });
        home.Trust(other);
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, home, other);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.Equal([Realm, Other, Other, Other, Realm], trips.Select(t => t.Exchange.Realm));
        AssertApReqOpensWithServiceKey(home, package, "TERMSRV/localhost");
    }

    [Fact]
    public void A_kdc_of_another_realm_is_named_as_such_not_as_a_referral_not_followed()
    {
        // --kdc names RDPHS.TEST's KDC, and the user is alice@OTHER.TEST: that KDC does not serve OTHER.TEST.
        var kdc = new TestKdc();
        using KerberosPackage package = Package(Options(realm: Other), Alice(Other));

        ProtocolFailure failure = FailureOf(Run(package, kdc));

        Assert.Equal(nameof(KerberosErrorCode.KDC_ERR_WRONG_REALM), failure.Detail);
        Assert.Equal("the KDC of RDPHS.TEST does not serve the realm OTHER.TEST of alice@OTHER.TEST: the KDC asked (--kdc, krb5.conf or DNS) is another realm's", failure.Reason);
    }

    [Fact]
    public void A_reply_too_big_for_udp_is_asked_for_again_over_tcp_and_tcp_stays()
    {
        // A Windows KDC: tickets with a PAC of a few KiB, replies over 1465 bytes refused on UDP.
        var kdc = new TestKdc(new TestKdcOptions { PacSize = 2000, MaxDatagramReplySize = 1465 });
        using KerberosPackage package = Package(Options(transport: KdcTransport.Udp));

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.Equal(
            [(KdcTransport.Udp, KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED), (KdcTransport.Udp, KerberosErrorCode.KRB_ERR_RESPONSE_TOO_BIG), (KdcTransport.Tcp, null), (KdcTransport.Tcp, null)],
            kdc.Answers.Select(a => (a.Transport, a.Error)));
        Assert.Equal("the reply is too big for UDP: asking again over TCP", trips[1].Answer.Summary);
        Assert.Equal(trips[1].Exchange.Id, trips[2].Exchange.Id);
    }

    [Fact]
    public void Response_too_big_as_a_fault_switches_to_tcp_for_the_same_exchange()
    {
        var kdc = new TestKdc(new TestKdcOptions { Faults = [new KdcFault(KdcFaultKind.ResponseTooBig, KdcRequestKind.As)] });
        using KerberosPackage package = Package(Options(transport: KdcTransport.Udp));

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        Assert.All(trips, t => Assert.Null(t.Answer.Failure));
        Assert.Equal([KdcTransport.Udp, KdcTransport.Tcp, KdcTransport.Tcp, KdcTransport.Tcp], kdc.Answers.Select(a => a.Transport));
    }

    public static TheoryData<string, KdcRequestKind, KdcFaultKind, string> ReplyFaults => new()
    {
        { "as wrong nonce", KdcRequestKind.As, KdcFaultKind.WrongNonce, "the reply's nonce \\d+ is not the request's \\d+: it answers another request \\(a replay\\)" },
        { "tgs wrong nonce", KdcRequestKind.Tgs, KdcFaultKind.WrongNonce, "the reply's nonce \\d+ is not the request's \\d+: it answers another request \\(a replay\\)" },
        { "as wrong key", KdcRequestKind.As, KdcFaultKind.WrongKey, "^the AS-REP's encrypted part does not decrypt with the key the KDC just accepted: the reply was altered, or does not come from that KDC$" },
        { "tgs wrong key", KdcRequestKind.Tgs, KdcFaultKind.WrongKey, "^the TGS-REP's encrypted part does not decrypt with the TGT's session key: the reply was altered, or does not come from the KDC that issued the TGT$" },
        { "as other principal", KdcRequestKind.As, KdcFaultKind.OtherPrincipal, "^the reply is for TERMSRV/elsewhere@RDPHS.TEST, not for krbtgt/RDPHS.TEST: it answers another request$" },
        { "tgs other principal", KdcRequestKind.Tgs, KdcFaultKind.OtherPrincipal, "^the reply is for TERMSRV/elsewhere@RDPHS.TEST, not for TERMSRV/localhost: it answers another request$" },
    };

    [Theory]
    [MemberData(nameof(ReplyFaults))]
    public void A_reply_that_does_not_answer_the_request_is_kerberos_reply_invalid(string name, KdcRequestKind request, KdcFaultKind fault, string reason)
    {
        var kdc = new TestKdc(new TestKdcOptions { Faults = [new KdcFault(fault, request)] });
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, kdc);

        ProtocolFailure failure = FailureOf(trips);
        Assert.True(failure.Cause == CauseId.KerberosReplyInvalid, $"{name}: {failure.Cause} {failure.Reason}");
        Assert.Matches(reason, failure.Reason);
        Assert.Equal(request == KdcRequestKind.As ? "kerberos.as-exchange" : "kerberos.tgs-exchange", trips[^1].Exchange.StepName);
        Assert.Equal(fault, kdc.Answers[^1].Fault?.Kind);
    }

    [Theory]
    [InlineData(KdcFaultKind.WrongNonce)]
    [InlineData(KdcFaultKind.WrongKey)]
    public void A_referral_that_does_not_answer_the_request_is_not_followed(KdcFaultKind fault)
    {
        var home = new TestKdc(new TestKdcOptions { Services = [], Referrals = new Dictionary<string, string> { ["TERMSRV/localhost"] = Other }, Faults = [new KdcFault(fault, KdcRequestKind.Tgs)] });
        var other = new TestKdc(new TestKdcOptions { Realm = Other, Users = [] });
        home.Trust(other);
        using KerberosPackage package = Package();

        IReadOnlyList<KdcRoundTrip> trips = Run(package, home, other);

        ProtocolFailure failure = FailureOf(trips);
        Assert.Equal(CauseId.KerberosReplyInvalid, failure.Cause);
        Assert.Empty(other.Answers);
    }

    [Fact]
    public void An_unusable_iteration_count_in_etype_info2_is_refused_before_deriving_a_key()
    {
        var kdc = new TestKdc(new TestKdcOptions { Users = [new KdcUser("alice", Password) { Iterations = 0, Etypes = [KerberosEtype.Aes256CtsHmacSha196] }] });
        using KerberosPackage package = Package();

        ProtocolFailure failure = FailureOf(Run(package, kdc));

        Assert.Equal(CauseId.KerberosReplyInvalid, failure.Cause);
        Assert.Equal("the KDC's ETYPE-INFO2 cannot be used: its string-to-key parameters (00000000) are not a usable iteration count", failure.Reason);
    }

    /// <summary>
    /// The AP-REQ the package makes after the KDC exchanges: its ticket is the one issued for <paramref name="spn"/> and
    /// opens with the service's key, and its authenticator opens with that ticket's session key and names the client.
    /// </summary>
    private static void AssertApReqOpensWithServiceKey(TestKdc kdc, KerberosPackage package, string spn)
    {
        PackageToken token = package.FirstToken();
        Assert.NotNull(token.BytesWithheld);
        KerberosGssToken gss = Pdu.Decode<KerberosGssToken>(token.Token).Value!;
        ApReq apReq = gss.DecodeApReq().Value!;
        Assert.Equal(spn, apReq.Ticket.SName.ToString());

        var etype = (KerberosEtype)apReq.Ticket.EncPart.EType;
        KerberosCipher ticketCipher = KerberosCipher.For(etype);
        Assert.True(ticketCipher.TryDecrypt(kdc.ServiceKey(spn, etype), 2, apReq.Ticket.EncPart.Cipher.Span, out byte[] ticketPlain));
        EncTicketPart ticket = Pdu.Decode<EncTicketPart>(ticketPlain).Value!;
        Assert.Equal("alice", ticket.CName.ToString());
        Assert.Equal(kdc.Issued[^1].SessionKey, ticket.Key);

        KerberosCipher sessionCipher = KerberosCipher.For((KerberosEtype)ticket.Key.KeyType);
        Assert.True(sessionCipher.TryDecrypt(ticket.Key.KeyValue.Span, 11, apReq.Authenticator.Cipher.Span, out byte[] authenticatorPlain));
        Authenticator authenticator = Pdu.Decode<Authenticator>(authenticatorPlain).Value!;
        Assert.Equal(ticket.CName, authenticator.CName);
        Assert.Equal(ticket.CRealm, authenticator.CRealm);
        Assert.Equal(ChecksumType.Gssapi, authenticator.Cksum!.CksumType);
    }
}
