using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Security;

/// <summary>One direction of Standard RDP Security packet protection (MS-RDPBCGR 5.3.6), in step with the peer's.</summary>
public interface IPacketCipher
{
    /// <summary>Signs and encrypts one packet; under FIPS the result is padded to whole blocks.</summary>
    byte[] Encrypt(ReadOnlySpan<byte> plain, bool salted, out byte[] signature);

    /// <summary>Decrypts one packet and checks its signature; false (never an exception) when it does not verify.</summary>
    bool TryDecrypt(ReadOnlySpan<byte> cipher, ReadOnlySpan<byte> signature, bool salted, out byte[] plain, int fipsPadLength = 0);
}

/// <summary>What the client side of the Security Commencement needs from the cryptography it cannot do itself.</summary>
/// <param name="EncryptedClientRandom">The client random encrypted with the server's key, as the Security Exchange PDU carries it (with its padding); empty when the certificate is unusable.</param>
/// <param name="Encryptor">Protects what the client sends; null when the certificate is unusable.</param>
/// <param name="Decryptor">Unprotects what the server sends; null when the certificate is unusable.</param>
/// <param name="Fields">What was checked, for the timeline (certificate kind, key size, signature).</param>
/// <param name="CertificateProblem">Why the server certificate is unusable (bad signature, no RSA key), or null.</param>
public sealed record StandardSecuritySetup(
    ByteString EncryptedClientRandom,
    IPacketCipher? Encryptor,
    IPacketCipher? Decryptor,
    IReadOnlyList<StepField> Fields,
    string? CertificateProblem);

/// <summary>
/// Supplies the cryptography of Standard RDP Security to the sans-IO sequence: verifying the server
/// certificate, drawing and encrypting the client random, and deriving the session keys (MS-RDPBCGR 5.3.2-5.3.5).
/// </summary>
public interface IStandardSecurityProvider
{
    StandardSecuritySetup Establish(EncryptionMethod method, ReadOnlySpan<byte> serverRandom, ServerCertificate certificate);
}
