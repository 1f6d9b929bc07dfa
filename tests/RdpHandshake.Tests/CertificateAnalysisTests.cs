using RdpHandshake.TestServer;
using RdpHandshake.Tls;

namespace RdpHandshake.Tests;

/// <summary>A hostile server's certificate gives a report, never an exception (cases found by fuzzing).</summary>
public sealed class CertificateAnalysisTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Bytes_without_a_certificate_are_reported_unparsable()
    {
        CertificateReport report = CertificateAnalysis.Analyze([[]], "host", Now)!;
        Assert.True(report.Has(CertificateAnalysis.Codes.Unparsable));
        Assert.Contains("no X.509 certificate", Assert.Single(report.Findings).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_algorithm_leaves_the_rest_of_the_certificate_readable()
    {
        byte[] der = TestCertificates.For(CertificateProfile.Default).Certificate.GetEncoded();
        byte[] rsaEncryption = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
        int at = der.AsSpan().IndexOf(rsaEncryption);
        Assert.True(at > 0);
        der[at + rsaEncryption.Length - 1] = 0x63; // 1.2.840.113549.1.1.99: no such key algorithm

        CertificateReport report = CertificateAnalysis.Analyze([der], "localhost", Now)!;

        Assert.Equal("unknown", report.KeyType);
        Assert.False(report.Has(CertificateAnalysis.Codes.Unparsable));
        Assert.Contains("DNS:localhost", report.SubjectAlternativeNames);
    }
}
