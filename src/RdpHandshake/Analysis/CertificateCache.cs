using System.Security.Cryptography;
using RdpHandshake.Tls;

namespace RdpHandshake.Analysis;

/// <summary>
/// The certificate analyses of one capture, by chain and server name: a capture of many connections to one server
/// holds the same certificate many times, and its analysis (BouncyCastle's parse, the signature check) is the costliest
/// part of a decrypted connection. A report is reused only where it is the one the analysis would give at the new
/// connection's time: the same days left and the same side of the validity dates; otherwise it is analysed again.
/// </summary>
public sealed class CertificateCache
{
    /// <summary>Chains remembered at once; past that the cache starts again.</summary>
    public const int Capacity = 256;

    private readonly Dictionary<(string Chain, string? Host), (CertificateReport? Report, DateTimeOffset At)> _reports = [];

    /// <summary>As <see cref="CertificateAnalysis.Analyze"/> at <paramref name="now"/>.</summary>
    public CertificateReport? Analyze(IReadOnlyList<byte[]> chain, string? hostName, DateTimeOffset now)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (byte[] certificate in chain)
        {
            hash.AppendData(BitConverter.GetBytes(certificate.Length));
            hash.AppendData(certificate);
        }

        (string, string?) key = (Convert.ToHexString(hash.GetHashAndReset()), hostName);
        if (_reports.TryGetValue(key, out (CertificateReport? Report, DateTimeOffset At) seen) && seen.Report is { } report && SameAt(report, seen.At, now))
        {
            return report;
        }

        CertificateReport? analysed = CertificateAnalysis.Analyze(chain, hostName, now);
        if (_reports.Count >= Capacity)
        {
            _reports.Clear();
        }

        _reports[key] = (analysed, now);
        return analysed;
    }

    /// <summary>True when <paramref name="report"/>, made at <paramref name="at"/>, says the same at <paramref name="now"/>.</summary>
    private static bool SameAt(CertificateReport report, DateTimeOffset at, DateTimeOffset now) =>
        (int)Math.Floor((report.NotAfter - now).TotalDays) == report.DaysLeft
        && (now > report.NotAfter) == (at > report.NotAfter)
        && (now < report.NotBefore) == (at < report.NotBefore);
}
