using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Licensing;

/// <summary>
/// Answers a server that asks for a license, as a client without a stored license does (MS-RDPELE 3.3.5):
/// a New License Request with a fresh pre-master secret encrypted with the key of the License Request's
/// certificate (or, under Standard RDP Security, of SC_SECURITY's), then the Platform Challenge Response.
/// </summary>
public sealed class LicensingProvider(string userName, string machineName) : ILicensingProvider, IDisposable
{
    private LicensingClient? _client;

    public ClientNewLicenseRequest? AnswerLicenseRequest(ServerLicenseRequest request, ByteString standardSecurityCertificate, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        ReadOnlySpan<byte> certificateBytes = request.ServerCertificate.Data.IsEmpty ? standardSecurityCertificate.Span : request.ServerCertificate.Data.Span;
        var reader = new PduReader(certificateBytes);
        DecodeResult<ServerCertificate> certificate = ServerCertificate.Decode(ref reader);
        if (!certificate.IsSuccess)
        {
            problem = $"its certificate does not decode: {certificate.Error}";
            return null;
        }

        LicensingRsaKey key;
        if (certificate.Value.Proprietary is { } proprietary)
        {
            byte[] exponent = BitConverter.IsLittleEndian ? BitConverter.GetBytes(proprietary.PublicKey.PublicExponent) : [.. BitConverter.GetBytes(proprietary.PublicKey.PublicExponent).Reverse()];
            key = LicensingRsaKey.FromLittleEndian(proprietary.PublicKey.Modulus.Span, exponent);
        }
        else
        {
            try
            {
                var leaf = Org.BouncyCastle.Asn1.X509.X509CertificateStructure.GetInstance(certificate.Value.X509Chain!.Leaf.Span.ToArray());
                var rsa = Org.BouncyCastle.Asn1.X509.RsaPublicKeyStructure.GetInstance(leaf.SubjectPublicKeyInfo.ParsePublicKey());
                key = LicensingRsaKey.FromBigEndian(rsa.Modulus.ToByteArrayUnsigned(), rsa.PublicExponent.ToByteArrayUnsigned());
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidCastException or InvalidOperationException or IOException)
            {
                problem = $"its X.509 certificate has no RSA key: {ex.Message}";
                return null;
            }
        }

        _client?.Dispose();
        _client = LicensingClient.Create(userName, machineName);
        problem = null;
        return _client.AnswerLicenseRequest(request, key);
    }

    public ClientPlatformChallengeResponse? AnswerPlatformChallenge(ServerPlatformChallenge challenge, out string? problem)
    {
        if (_client is null)
        {
            problem = "a Platform Challenge arrived before any License Request";
            return null;
        }

        PlatformChallengeAnswer answer = _client.AnswerPlatformChallenge(challenge);
        problem = answer.Failure;
        return answer.Response;
    }

    public void Dispose() => _client?.Dispose();
}
