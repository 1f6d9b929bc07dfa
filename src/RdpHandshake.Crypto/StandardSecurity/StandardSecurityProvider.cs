using System.Globalization;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Crypto.StandardSecurity;

/// <summary>
/// The client's cryptography for Standard RDP Security: checks the server certificate (the Terminal Services
/// signature of a proprietary certificate, or the RSA key of an X.509 chain's last certificate), encrypts a
/// fresh client random with the server key and derives the session keys.
/// </summary>
public sealed class StandardSecurityProvider : IStandardSecurityProvider
{
    /// <summary>
    /// The key log label of Standard RDP Security: <c>RDP_STANDARD_SECURITY &lt;server random&gt; &lt;client random&gt;</c>,
    /// both 32 bytes in hex, the server random first (it is in the clear in the capture, where the client random is
    /// encrypted with the server's key). With both, the session keys are derived as the two peers derive them.
    /// </summary>
    public const string KeyLogLabel = "RDP_STANDARD_SECURITY";

    private readonly Func<byte[]> _clientRandom;
    private readonly Action<string>? _keyLog;

    /// <param name="clientRandom">Draws the 32-byte client random; tests may fix it. Defaults to the system CSPRNG.</param>
    /// <param name="keyLog">
    /// Receives one <see cref="KeyLogLabel"/> line per Security Exchange, next to the TLS key log's lines, so that a
    /// capture of the connection can be decrypted; null for none. The line is as secret as a TLS key log.
    /// </param>
    public StandardSecurityProvider(Func<byte[]>? clientRandom = null, Action<string>? keyLog = null)
    {
        _clientRandom = clientRandom ?? (() => RandomNumberGenerator.GetBytes(RdpRsa.ClientRandomLength));
        _keyLog = keyLog;
    }

    /// <summary>The key log line of a Security Exchange (see <see cref="KeyLogLabel"/>).</summary>
    public static string KeyLogLine(ReadOnlySpan<byte> serverRandom, ReadOnlySpan<byte> clientRandom) =>
        $"{KeyLogLabel} {Convert.ToHexStringLower(serverRandom)} {Convert.ToHexStringLower(clientRandom)}";

    public StandardSecuritySetup Establish(EncryptionMethod method, ReadOnlySpan<byte> serverRandom, ServerCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var fields = new List<StepField>();
        RsaPublicKey? key;
        string? problem = null;
        if (certificate.Proprietary is { } proprietary)
        {
            key = proprietary.PublicKey;
            bool signed = TerminalServicesKey.VerifyCertificate(certificate);
            fields.Add(new StepField("certificate", $"proprietary{(certificate.IsTemporary ? " (temporary)" : string.Empty)}, RSA {key.BitLength.ToString(CultureInfo.InvariantCulture)} bits"));
            fields.Add(new StepField("certificate.signature", signed ? "valid (Terminal Services key)" : "INVALID"));
            if (!signed)
            {
                problem = "the proprietary certificate's signature does not verify against the Terminal Services key: the server's RDP certificate or its keys are corrupt";
            }
        }
        else
        {
            key = LeafKey(certificate.X509Chain!, out string? subject, out problem);
            if (subject is not null)
            {
                fields.Add(new StepField("certificate", $"X.509 chain of {certificate.X509Chain!.Certificates.Count.ToString(CultureInfo.InvariantCulture)}, leaf {subject}"));
            }
        }

        if (key is null || problem is not null)
        {
            return new StandardSecuritySetup(ByteString.Empty, null, null, fields, problem ?? "the server certificate carries no usable RSA key");
        }

        byte[] clientRandom = _clientRandom();
        try
        {
            byte[] encrypted = RdpRsa.EncryptClientRandom(clientRandom, key);
            using StandardSecurityKeys keys = StandardSecurityKeys.Derive(clientRandom, serverRandom, method);
            fields.Add(new StepField("encryptionMethod", EncryptionNames.Method(method)));
            _keyLog?.Invoke(KeyLogLine(serverRandom, clientRandom));
            return new StandardSecuritySetup(new ByteString(encrypted), keys.Client.CreateEncryptor(), keys.Client.CreateDecryptor(), fields, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(clientRandom);
        }
    }

    /// <summary>
    /// The server's RSA key from either certificate form: the proprietary certificate's key, or the key of an X.509
    /// chain's last (leaf) certificate. Null, with <paramref name="problem"/> set, when there is no usable RSA key.
    /// Licensing reads the key of its certificate the same way.
    /// </summary>
    internal static RsaPublicKey? ServerKey(ServerCertificate certificate, out string? problem)
    {
        if (certificate.Proprietary is { } proprietary)
        {
            problem = null;
            return proprietary.PublicKey;
        }

        return LeafKey(certificate.X509Chain!, out _, out problem);
    }

    /// <summary>The RSA key of the chain's last (leaf) certificate, as an RSA_PUBLIC_KEY, and the leaf's subject.</summary>
    private static RsaPublicKey? LeafKey(X509CertificateChain chain, out string? subject, out string? problem)
    {
        problem = null;
        subject = null;
        try
        {
            var leaf = X509CertificateStructure.GetInstance(chain.Leaf.Span.ToArray());
            subject = leaf.Subject.ToString();
            var rsa = RsaPublicKeyStructure.GetInstance(leaf.SubjectPublicKeyInfo.ParsePublicKey());
            byte[] modulus = rsa.Modulus.ToByteArrayUnsigned();
            Array.Reverse(modulus);
            if (rsa.PublicExponent.BitLength > 32)
            {
                problem = "the leaf certificate's RSA exponent does not fit the 32 bits RDP allows";
                return null;
            }

            return new RsaPublicKey((uint)rsa.PublicExponent.IntValue, new ByteString(modulus));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or InvalidOperationException or IOException)
        {
            problem = $"the X.509 certificate does not decode as an RSA certificate: {ex.Message}";
            return null;
        }
    }
}
