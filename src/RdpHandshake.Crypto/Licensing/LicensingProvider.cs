using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Crypto.Licensing;

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

        if (StandardSecurity.StandardSecurityProvider.ServerKey(certificate.Value, out problem) is not { } serverKey)
        {
            problem = $"its certificate has no usable RSA key: {problem}";
            return null;
        }

        byte[] exponent = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(exponent, serverKey.PublicExponent);
        LicensingRsaKey key = LicensingRsaKey.FromLittleEndian(serverKey.Modulus.Span, exponent);
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
