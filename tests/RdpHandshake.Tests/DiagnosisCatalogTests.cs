using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests;

public sealed class DiagnosisCatalogTests
{
    public static TheoryData<CauseId> EveryCause()
    {
        var data = new TheoryData<CauseId>();
        foreach (CauseId id in Enum.GetValues<CauseId>())
        {
            data.Add(id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCause))]
    public void Every_cause_id_has_its_catalogue_row_with_a_title_an_explanation_and_a_remedy(CauseId id)
    {
        CatalogRow row = DiagnosisCatalog.Row(id);
        Assert.Equal(id, row.Id);
        Assert.All(row.ByPhase.Values.Concat(row.ByDetail.Values).Append(row.Entry), entry =>
        {
            Assert.False(string.IsNullOrWhiteSpace(entry.Title));
            Assert.False(string.IsNullOrWhiteSpace(entry.Explanation));
            Assert.False(string.IsNullOrWhiteSpace(entry.Remedy));
        });
    }

    [Fact]
    public void The_catalogue_has_exactly_one_row_per_cause_id_and_nothing_else()
    {
        Assert.Equal(Enum.GetValues<CauseId>().Order(), DiagnosisCatalog.AllRows.Select(r => r.Id));
    }

    [Fact]
    public void Every_cause_name_is_distinct_and_parses_back()
    {
        string[] names = Enum.GetValues<CauseId>().Select(id => id.Name()).ToArray();
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        foreach (CauseId id in Enum.GetValues<CauseId>())
        {
            Assert.True(CauseNames.TryParse(id.Name(), out CauseId parsed));
            Assert.Equal(id, parsed);
        }
    }

    [Fact]
    public void A_cause_renders_its_detail_after_a_colon()
    {
        Assert.Equal("auth-failed:STATUS_LOGON_FAILURE", new Cause(ConnectionPhase.CredSsp, CauseId.AuthFailed, "STATUS_LOGON_FAILURE", 0xC000006D).Name);
        Assert.Equal("closed-by-peer", new Cause(ConnectionPhase.X224, CauseId.ClosedByPeer).Name);
    }

    [Fact]
    public void A_lookup_takes_the_detail_entry_then_the_phase_entry_then_the_row_entry()
    {
        CatalogRow closed = DiagnosisCatalog.Row(CauseId.ClosedByPeer);
        Assert.Same(closed.ByPhase[ConnectionPhase.Licensing], DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.Licensing, CauseId.ClosedByPeer)));
        Assert.Same(closed.Entry, DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.Tcp, CauseId.ClosedByPeer)));

        CatalogRow negotiation = DiagnosisCatalog.Row(CauseId.NegotiationFailure);
        Assert.Same(negotiation.ByDetail["SSL_REQUIRED_BY_SERVER"], DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.X224, CauseId.NegotiationFailure, "SSL_REQUIRED_BY_SERVER")));
        Assert.Same(negotiation.Entry, DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.X224, CauseId.NegotiationFailure, "SOMETHING_NEW")));
    }

    [Fact]
    public void Each_negotiation_failure_code_has_its_own_entry()
    {
        string[] titles = NegotiationNames.AllFailureCodes
            .Where(code => code != NegotiationFailureCode.HybridRequiredByServer)
            .Select(code => DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.X224, CauseId.NegotiationFailure, NegotiationNames.Name(code))).Title)
            .Append(DiagnosisCatalog.Row(CauseId.NlaRequired).Entry.Title)
            .ToArray();
        Assert.Equal(titles.Length, titles.Distinct().Count());
    }

    [Fact]
    public void The_ultimatum_is_one_cause_explained_for_the_phase_it_arrives_in()
    {
        CatalogRow ultimatum = DiagnosisCatalog.Row(CauseId.DisconnectUltimatum);
        CatalogEntry atConfirm = DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.X224, CauseId.DisconnectUltimatum, "rn-user-requested"));
        CatalogEntry atServerHello = DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.Tls, CauseId.DisconnectUltimatum, "rn-user-requested"));
        CatalogEntry later = DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.Licensing, CauseId.DisconnectUltimatum, "rn-provider-initiated"));
        Assert.Equal([atConfirm, atServerHello, later], new[] { ultimatum.ByPhase[ConnectionPhase.X224], ultimatum.ByPhase[ConnectionPhase.Tls], ultimatum.Entry });
        Assert.Equal(3, new[] { atConfirm.Title, atServerHello.Title, later.Title }.Distinct().Count());
    }

    [Fact]
    public void Every_entry_has_an_mstsc_code_or_says_why_it_has_none()
    {
        string[] reasons = typeof(DiagnosisCatalog.NoMstscCodeReasons)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToArray();
        foreach ((string where, string cause, CatalogEntry entry) in DiagnosisCatalog.All)
        {
            Assert.True(entry.Mstsc is null != entry.NoMstscCode is null, $"{where} {cause}: needs exactly one of an mstsc code and a reason for having none");
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
            CatalogEntry entry = DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.X224, CauseId.NegotiationFailure, NegotiationNames.Name(code)));
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
        CatalogEntry entry = DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.CredSsp, CauseId.AuthFailed, status));
        Assert.Equal(code, entry.Mstsc?.DisconnectReason);
        Assert.Equal("SSL_ERR_" + status["STATUS_".Length..], entry.Mstsc?.DisconnectReasonName);
        Assert.Contains(status, entry.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_logon_with_another_status_falls_back_to_the_general_entry()
    {
        CatalogEntry general = DiagnosisCatalog.Row(CauseId.AuthFailed).Entry;
        Assert.Same(general, DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.CredSsp, CauseId.AuthFailed, "STATUS_TIME_DIFFERENCE_AT_DC")));
    }

    [Fact]
    public void Set_error_info_carries_its_code_as_mstscs_extended_reason()
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.Licensing, CauseId.ServerErrorInfo, "ERRINFO_SERVER_DENIED_CONNECTION", 0x7));
        Assert.Equal(new MstscCode(0x3, "ByServer", 0x7, "ERRINFO_SERVER_DENIED_CONNECTION"), entry.Mstsc);
    }
}
