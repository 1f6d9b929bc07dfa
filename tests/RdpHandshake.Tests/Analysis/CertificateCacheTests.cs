using RdpHandshake.Analysis;
using RdpHandshake.Tls;

namespace RdpHandshake.Tests.Analysis;

/// <summary>The analysis's certificate cache gives the report an analysis at that time would give, and reuses it only then.</summary>
public sealed class CertificateCacheTests
{
    private static readonly byte[] Xrdp = File.ReadAllBytes(Path.Combine(RepositoryRoot(), "fuzz", "corpus", "certificate", "xrdp-self-signed.der"));

    private static string RepositoryRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "RdpHandshake.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? throw new InvalidOperationException("no repository root above the test binaries");
    }

    [Fact]
    public void A_report_is_reused_within_the_same_day_count_and_analysed_again_across_the_expiry()
    {
        CertificateReport reference = CertificateAnalysis.Analyze([Xrdp], "host", DateTimeOffset.UnixEpoch)!;
        DateTimeOffset tenDaysBefore = reference.NotAfter - TimeSpan.FromDays(10.5);
        var cache = new CertificateCache();

        CertificateReport first = cache.Analyze([Xrdp], "host", tenDaysBefore)!;
        CertificateReport sameDay = cache.Analyze([Xrdp], "host", tenDaysBefore + TimeSpan.FromMinutes(5))!;
        CertificateReport otherName = cache.Analyze([Xrdp], "other", tenDaysBefore)!;
        CertificateReport expired = cache.Analyze([Xrdp], "host", reference.NotAfter + TimeSpan.FromDays(1))!;

        Assert.Equal(10, first.DaysLeft);
        Assert.Same(first, sameDay);
        Assert.NotSame(first, otherName);
        Assert.Equal(CertificateAnalysis.Analyze([Xrdp], "host", reference.NotAfter + TimeSpan.FromDays(1)), expired, new ReportComparer());
        Assert.Contains(expired.Findings, f => f.Code == CertificateAnalysis.Codes.Expired);
        Assert.DoesNotContain(first.Findings, f => f.Code == CertificateAnalysis.Codes.Expired);
    }

    private sealed class ReportComparer : IEqualityComparer<CertificateReport?>
    {
        public bool Equals(CertificateReport? x, CertificateReport? y) =>
            x is not null && y is not null && x.DaysLeft == y.DaysLeft && x.Findings.Select(f => f.Code).SequenceEqual(y.Findings.Select(f => f.Code));

        public int GetHashCode(CertificateReport? obj) => obj?.DaysLeft ?? 0;
    }
}
