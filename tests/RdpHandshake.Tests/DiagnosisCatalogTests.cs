using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests;

public sealed class DiagnosisCatalogTests
{
    public static TheoryData<ConnectionPhase, string> KnownCauses()
    {
        var data = new TheoryData<ConnectionPhase, string>();
        foreach (string cause in new[] { "name-not-resolved", "connection-refused", "unreachable", "connect-timeout", "socket-error", "reset" })
        {
            data.Add(ConnectionPhase.Tcp, cause);
        }

        foreach (string cause in new[] { "closed-by-peer", "reset", "timeout", "truncated-response", "malformed-response", "unexpected-pdu", "protocol-not-requested", "x224-disconnect-request", "mcs-disconnect-provider-ultimatum", "interrupted", "internal-error" })
        {
            data.Add(ConnectionPhase.X224, cause);
        }

        foreach (string cause in new[] { "closed-after-client-hello", "reset-after-client-hello", "server-tls-setup-failed", "no-common-version", "no-common-cipher-suite", "server-alert:bad_certificate", "local-alert:decode_error", "malformed-record", "certificate-rejected:expired", "closed-by-peer", "timeout", "truncated-response" })
        {
            data.Add(ConnectionPhase.Tls, cause);
        }

        foreach (NegotiationFailureCode code in NegotiationNames.AllFailureCodes)
        {
            data.Add(ConnectionPhase.X224, Causes.ForNegotiationFailure(code));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KnownCauses))]
    public void Every_cause_the_engine_produces_has_a_catalogue_entry(ConnectionPhase phase, string cause)
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(phase, cause);
        Assert.DoesNotContain("no catalogue entry", entry.Explanation, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(entry.Remedy));
        Assert.False(string.IsNullOrWhiteSpace(entry.Title));
    }

    [Fact]
    public void Each_negotiation_failure_code_has_its_own_entry()
    {
        string[] titles = NegotiationNames.AllFailureCodes
            .Select(code => DiagnosisCatalog.Lookup(ConnectionPhase.X224, Causes.ForNegotiationFailure(code)).Title)
            .ToArray();
        Assert.Equal(titles.Length, titles.Distinct().Count());
    }

    [Fact]
    public void An_unknown_cause_falls_back_without_inventing_a_remedy()
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(ConnectionPhase.Mcs, "something-new");
        Assert.Contains("no catalogue entry", entry.Explanation, StringComparison.Ordinal);
        Assert.Null(entry.Mstsc);
    }

    [Fact]
    public void Every_entry_has_an_mstsc_code_or_says_why_it_has_none()
    {
        string[] reasons = typeof(DiagnosisCatalog.NoMstscCodeReasons)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToArray();
        foreach ((ConnectionPhase? phase, string cause, CatalogEntry entry) in DiagnosisCatalog.All)
        {
            string where = $"{phase?.Name() ?? "any"} {cause}";
            Assert.True(entry.Mstsc is null != entry.NoMstscCode is null, $"{where}: needs exactly one of an mstsc code and a reason for having none");
            if (entry.NoMstscCode is { } reason)
            {
                Assert.Contains(reason, reasons);
            }
        }
    }

    [Fact]
    public void Every_negotiation_failure_says_its_mstsc_code_is_undocumented()
    {
        foreach (NegotiationFailureCode code in NegotiationNames.AllFailureCodes.Where(c => c != NegotiationFailureCode.HybridRequiredByServer))
        {
            CatalogEntry entry = DiagnosisCatalog.Lookup(ConnectionPhase.X224, Causes.ForNegotiationFailure(code));
            Assert.Null(entry.Mstsc);
            Assert.Equal(DiagnosisCatalog.NoMstscCodeReasons.NegotiationFailure, entry.NoMstscCode);
        }
    }

    // The SSL_ERR disconnect reason documented for IMsTscAxEvents::OnDisconnected with the same name and meaning as the NTSTATUS.
    [Theory]
    [InlineData("STATUS_LOGON_FAILURE", 0x807)]
    [InlineData("STATUS_NO_SUCH_USER", 0xA07)]
    [InlineData("STATUS_ACCOUNT_DISABLED", 0xB07)]
    [InlineData("STATUS_ACCOUNT_RESTRICTION", 0xC07)]
    [InlineData("STATUS_ACCOUNT_LOCKED_OUT", 0xD07)]
    [InlineData("STATUS_ACCOUNT_EXPIRED", 0xE07)]
    [InlineData("STATUS_PASSWORD_EXPIRED", 0xF07)]
    [InlineData("STATUS_PASSWORD_MUST_CHANGE", 0x1207)]
    public void A_refused_logon_carries_the_ssl_err_code_of_its_status(string status, int code)
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(ConnectionPhase.CredSsp, $"{DiagnosisCatalog.CredSspCauses.AuthFailed}:{status}");
        Assert.Equal(code, entry.Mstsc?.DisconnectReason);
        Assert.Equal("SSL_ERR_" + status["STATUS_".Length..], entry.Mstsc?.DisconnectReasonName);
        Assert.Contains(status, entry.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_logon_with_another_status_falls_back_to_the_general_entry()
    {
        CatalogEntry general = DiagnosisCatalog.Lookup(ConnectionPhase.CredSsp, DiagnosisCatalog.CredSspCauses.AuthFailed);
        Assert.Same(general, DiagnosisCatalog.Lookup(ConnectionPhase.CredSsp, $"{DiagnosisCatalog.CredSspCauses.AuthFailed}:STATUS_TIME_DIFFERENCE_AT_DC"));
    }
}
