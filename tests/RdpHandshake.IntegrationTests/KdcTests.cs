namespace RdpHandshake.IntegrationTests;

/// <summary>
/// The Kerberos peer itself (<see cref="KdcFixture"/>, tests/peers/kdc.sh), checked with MIT's own client tools: each
/// account answers as its name says, and the keytabs hold (or do not hold) the keys the tickets are made with. The
/// KDC's errors are read from kinit's KRB5_TRACE ("Received error from KDC: CODE/MESSAGE"), CODE being MIT's com_err
/// number for the RFC 4120 7.5.9 error (-1765328384 + error-code).
/// </summary>
public sealed class KdcTests(KdcFixture kdc) : IClassFixture<KdcFixture>
{
    private static string KdcError(int errorCode) => $"Received error from KDC: {-1765328384 + errorCode}/";

    private string NewCache() => Path.Combine(kdc.RealmDirectory, $"cc-{Guid.NewGuid():N}");

    [Fact]
    public async Task Alice_gets_a_ticket_granting_ticket_with_her_password()
    {
        kdc.Require();
        string cache = NewCache();
        ProcessResult kinit = await kdc.KinitAsync("alice", kdc.Password("alice"), cache);
        Assert.True(kinit.ExitCode == 0, kinit.ToString());
        Assert.Contains(KdcError(25), kinit.StdErr, StringComparison.Ordinal); // KDC_ERR_PREAUTH_REQUIRED first: she needs pre-authentication

        ProcessResult klist = await KdcFixture.RunAsync("klist", [], null, kdc.ToolEnvironment(cache));
        Assert.True(klist.ExitCode == 0, klist.ToString());
        Assert.Contains($"Default principal: alice@{kdc.Realm}", klist.StdOut, StringComparison.Ordinal);
        Assert.Contains($"krbtgt/{kdc.Realm}@{kdc.Realm}", klist.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_fails_pre_authentication()
    {
        kdc.Require();
        ProcessResult kinit = await kdc.KinitAsync("alice", "not-her-password", NewCache());
        Assert.NotEqual(0, kinit.ExitCode);
        Assert.Contains(KdcError(24), kinit.StdErr, StringComparison.Ordinal); // KDC_ERR_PREAUTH_FAILED
        Assert.Contains("Password incorrect while getting initial credentials", kinit.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("locked", 18, "Client's credentials have been revoked")]      // KDC_ERR_CLIENT_REVOKED
    [InlineData("expired", 23, "Password has expired")]                       // KDC_ERR_KEY_EXPIRED
    [InlineData("nobody", 6, "Client not found in Kerberos database")]        // KDC_ERR_C_PRINCIPAL_UNKNOWN
    public async Task Each_refused_account_gets_its_own_kdc_error(string user, int errorCode, string message)
    {
        kdc.Require();
        string password = user == "nobody" ? "whatever" : kdc.Password(user);
        ProcessResult kinit = await kdc.KinitAsync(user, password, NewCache());
        Assert.NotEqual(0, kinit.ExitCode); // expired: kinit then asks for a new password, which stdin does not give
        Assert.Contains(KdcError(errorCode) + message, kinit.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aesonly", "aes256-cts")]
    [InlineData("rc4only", "rc4-hmac")]
    [InlineData("alice", "aes256-cts")]
    public async Task Each_user_pre_authenticates_with_the_key_type_it_has(string user, string enctype)
    {
        kdc.Require();
        ProcessResult kinit = await kdc.KinitAsync(user, kdc.Password(user), NewCache());
        Assert.True(kinit.ExitCode == 0, kinit.ToString());
        Assert.Contains($"AS key obtained for encrypted timestamp: {enctype}/", kinit.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KdcFixture.LocalhostService)]
    [InlineData("TERMSRV/127.0.0.1")]
    public async Task The_service_keytab_decrypts_the_service_ticket_and_the_stale_one_does_not(string service)
    {
        kdc.Require();
        string cache = NewCache();
        await kdc.GetServiceTicketAsync("alice", cache, service);

        // kvno -k decrypts the ticket it got with the keys of the keytab.
        ProcessResult good = await KdcFixture.RunAsync("kvno", ["-k", kdc.KeytabPath, $"{service}@{kdc.Realm}"], null, kdc.ToolEnvironment(cache));
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("kvno = 2, keytab entry valid", good.StdOut, StringComparison.Ordinal);

        ProcessResult stale = await KdcFixture.RunAsync("kvno", ["-k", kdc.StaleKeytabPath, $"{service}@{kdc.Realm}"], null, kdc.ToolEnvironment(cache));
        Assert.NotEqual(0, stale.ExitCode);
        Assert.Contains("kvno = 2, keytab entry invalid", stale.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_skewed_kdc_refuses_a_timestamp_an_hour_behind_its_clock()
    {
        kdc.Require();
        SkewedKdc skewed = await kdc.SkewedAsync();
        Assert.NotEqual(kdc.Port, skewed.Port);
        ProcessResult kinit = await kdc.KinitAsync("alice", kdc.Password("alice"), NewCache(), skewed.Krb5ConfPath);
        Assert.NotEqual(0, kinit.ExitCode);
        Assert.Contains(KdcError(37) + "Clock skew too great", kinit.StdErr, StringComparison.Ordinal); // KRB_AP_ERR_SKEW

        // The same password at the same time is fine for the KDC whose clock is right.
        ProcessResult right = await kdc.KinitAsync("alice", kdc.Password("alice"), NewCache());
        Assert.True(right.ExitCode == 0, right.ToString());
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_passwords_file_is_readable_by_its_owner_only()
    {
        kdc.Require();
        UnixFileMode mode = File.GetUnixFileMode(Path.Combine(kdc.RealmDirectory, "passwords"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kdc.KeytabPath));
    }
}
