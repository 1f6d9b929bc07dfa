using System.Collections.Concurrent;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace RdpHandshake.TestServer;

/// <summary>The kinds of server certificate the test server can present.</summary>
public enum CertificateProfile
{
    /// <summary>Self-signed RSA 2048 / SHA-256, valid now, Server Authentication, names localhost and 127.0.0.1.</summary>
    Default,

    /// <summary>Like <see cref="Default"/> but expired a month ago.</summary>
    Expired,

    /// <summary>Like <see cref="Default"/> but valid only from next month.</summary>
    NotYetValid,

    /// <summary>Signed with SHA-1.</summary>
    Sha1,

    /// <summary>A 1024-bit RSA key.</summary>
    Rsa1024,

    /// <summary>
    /// An ECDSA P-256 key signed with ECDSA/SHA-256: a server that signs its handshake in a fraction of RSA's time
    /// (scan benchmarks use it so that many servers in one process are not what limits the scanner).
    /// </summary>
    EcdsaP256,
}

/// <summary>A certificate with its private key, as the TLS server needs them.</summary>
public sealed record ServerCertificate(X509Certificate Certificate, AsymmetricKeyParameter PrivateKey)
{
    public byte[] Der => Certificate.GetEncoded();
}

/// <summary>Generates test certificates, once per profile per process (RSA key generation is slow).</summary>
public static class TestCertificates
{
    private static readonly ConcurrentDictionary<CertificateProfile, Lazy<ServerCertificate>> Cache = new();

    public static CertificateProfile[] AllProfiles { get; } = Enum.GetValues<CertificateProfile>();

    public static string Name(CertificateProfile profile) => profile switch
    {
        CertificateProfile.NotYetValid => "not-yet-valid",
        CertificateProfile.Rsa1024 => "rsa1024",
        CertificateProfile.EcdsaP256 => "ecdsa-p256",
        _ => profile.ToString().ToLowerInvariant(),
    };

    public static bool TryParse(string text, out CertificateProfile profile)
    {
        foreach (CertificateProfile candidate in AllProfiles)
        {
            if (string.Equals(Name(candidate), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                profile = candidate;
                return true;
            }
        }

        profile = default;
        return false;
    }

    /// <summary>Loads a certificate and its RSA private key from PEM files (as xrdp's certificate and key_file).</summary>
    public static ServerCertificate LoadPem(string certificatePath, string keyPath)
    {
        using var certificateReader = new StreamReader(certificatePath);
        object? certificate = new Org.BouncyCastle.OpenSsl.PemReader(certificateReader).ReadObject();
        using var keyReader = new StreamReader(keyPath);
        object? key = new Org.BouncyCastle.OpenSsl.PemReader(keyReader).ReadObject();
        AsymmetricKeyParameter privateKey = key switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } parameter => parameter,
            _ => throw new InvalidDataException($"{keyPath} holds no private key"),
        };
        return certificate is X509Certificate x509
            ? new ServerCertificate(x509, privateKey)
            : throw new InvalidDataException($"{certificatePath} holds no certificate");
    }

    public static ServerCertificate For(CertificateProfile profile) =>
        Cache.GetOrAdd(profile, p => new Lazy<ServerCertificate>(() => Generate(p, DateTime.UtcNow))).Value;

    public static ServerCertificate Generate(CertificateProfile profile, DateTime now)
    {
        var random = new SecureRandom();
        bool ecdsa = profile == CertificateProfile.EcdsaP256;
        IAsymmetricCipherKeyPairGenerator keys = ecdsa ? new ECKeyPairGenerator() : new RsaKeyPairGenerator();
        keys.Init(ecdsa
            ? new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random)
            : new KeyGenerationParameters(random, profile == CertificateProfile.Rsa1024 ? 1024 : 2048));
        AsymmetricCipherKeyPair pair = keys.GenerateKeyPair();

        (DateTime notBefore, DateTime notAfter) = profile switch
        {
            CertificateProfile.Expired => (now.AddDays(-400), now.AddDays(-30)),
            CertificateProfile.NotYetValid => (now.AddDays(30), now.AddDays(400)),
            _ => (now.AddDays(-1), now.AddDays(365)),
        };

        var name = new X509Name($"CN=rdphs-test-server-{Name(profile)}");
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(new BigInteger(64, random).Add(BigInteger.One));
        generator.SetIssuerDN(name);
        generator.SetSubjectDN(name);
        generator.SetNotBefore(notBefore);
        generator.SetNotAfter(notAfter);
        generator.SetPublicKey(pair.Public);
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(ecdsa ? KeyUsage.DigitalSignature : KeyUsage.DigitalSignature | KeyUsage.KeyEncipherment));
        generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth));
        generator.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(
        [
            new GeneralName(GeneralName.DnsName, "localhost"),
            new GeneralName(GeneralName.IPAddress, "127.0.0.1"),
        ]));
        string algorithm = profile switch
        {
            CertificateProfile.Sha1 => "SHA1WITHRSA",
            CertificateProfile.EcdsaP256 => "SHA256WITHECDSA",
            _ => "SHA256WITHRSA",
        };
        X509Certificate certificate = generator.Generate(new Asn1SignatureFactory(algorithm, pair.Private, random));
        return new ServerCertificate(certificate, pair.Private);
    }
}
