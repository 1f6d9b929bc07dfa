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
}
