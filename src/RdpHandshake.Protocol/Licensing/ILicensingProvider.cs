using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Licensing;

/// <summary>Answers the licensing messages of a server that wants a license (MS-RDPELE), with the cryptography the core cannot do.</summary>
public interface ILicensingProvider
{
    /// <summary>The Client New License Request answering a License Request, or null with <paramref name="problem"/> set.</summary>
    /// <param name="request">The server's License Request.</param>
    /// <param name="standardSecurityCertificate">The server certificate of SC_SECURITY, which Standard RDP Security servers may leave out of the License Request.</param>
    /// <param name="problem">Why there is no answer.</param>
    ClientNewLicenseRequest? AnswerLicenseRequest(ServerLicenseRequest request, ByteString standardSecurityCertificate, out string? problem);

    /// <summary>The Client Platform Challenge Response, or null with <paramref name="problem"/> set (e.g. the server's MAC is wrong).</summary>
    ClientPlatformChallengeResponse? AnswerPlatformChallenge(ServerPlatformChallenge challenge, out string? problem);
}
