using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RdpHandshake.Tls;

/// <summary>
/// Whom to trust when validating the server's chain (<c>--trust system|FILE</c>): the operating system's store,
/// or the CA certificates of a PEM file. Validation is reported as a finding; whether it fails the run is the
/// certificate policy's decision. Revocation is not checked (a probe must not depend on reaching CRLs).
/// </summary>
public sealed class TrustAnchors
{
    private readonly X509Certificate2Collection? _custom;

    private TrustAnchors(string description, X509Certificate2Collection? custom)
    {
        Description = description;
        _custom = custom;
    }

    public string Description { get; }

    public static TrustAnchors System { get; } = new("the system trust store", null);

    /// <summary>Loads CA certificates from a PEM file; throws <see cref="CryptographicException"/> or IO errors for a bad file.</summary>
    public static TrustAnchors FromPemFile(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        if (certificates.Count == 0)
        {
            throw new CryptographicException($"no certificate in {path}");
        }

        return new TrustAnchors($"the CA certificates in {path}", certificates);
    }

    /// <summary>Returns null when the chain validates, else why not.</summary>
    public string? Validate(IReadOnlyList<byte[]> chain, DateTimeOffset now)
    {
        try
        {
            using var leaf = X509CertificateLoader.LoadCertificate(chain[0]);
            using var validator = new X509Chain();
            validator.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            validator.ChainPolicy.VerificationTime = now.UtcDateTime;
            foreach (byte[] intermediate in chain.Skip(1))
            {
                validator.ChainPolicy.ExtraStore.Add(X509CertificateLoader.LoadCertificate(intermediate));
            }

            if (_custom is not null)
            {
                validator.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                validator.ChainPolicy.CustomTrustStore.AddRange(_custom);
            }

            if (validator.Build(leaf))
            {
                return null;
            }

            string[] problems = validator.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToArray();
            return problems.Length == 0 ? "the chain does not build" : string.Join("; ", problems);
        }
        catch (CryptographicException ex)
        {
            return $"the certificate cannot be loaded: {ex.Message}";
        }
    }
}
