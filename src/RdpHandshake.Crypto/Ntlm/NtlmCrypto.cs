using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace RdpHandshake.Crypto.Ntlm;

/// <summary>
/// The NTLMv2 computations of MS-NLMP 3.3.2 and the session-security keys of 3.4.5: MD4 and RC4 from
/// BouncyCastle (the platform may refuse them), HMAC-MD5 and MD5 from .NET. Inputs that are secrets are
/// caller-owned; intermediate keys are cleared here.
/// </summary>
public static class NtlmCrypto
{
    private static readonly byte[] ClientSigningMagic = "session key to client-to-server signing key magic constant\0"u8.ToArray();
    private static readonly byte[] ServerSigningMagic = "session key to server-to-client signing key magic constant\0"u8.ToArray();
    private static readonly byte[] ClientSealingMagic = "session key to client-to-server sealing key magic constant\0"u8.ToArray();
    private static readonly byte[] ServerSealingMagic = "session key to server-to-client sealing key magic constant\0"u8.ToArray();

    /// <summary>NTOWFv1 = MD4(UTF-16LE(password)).</summary>
    public static byte[] NtOwfV1(ReadOnlySpan<char> password)
    {
        byte[] unicode = System.Text.Encoding.Unicode.GetBytes(password.ToArray());
        var md4 = new MD4Digest();
        md4.BlockUpdate(unicode, 0, unicode.Length);
        byte[] hash = new byte[md4.GetDigestSize()];
        md4.DoFinal(hash, 0);
        CryptographicOperations.ZeroMemory(unicode);
        return hash;
    }

    /// <summary>NTOWFv2 = HMAC-MD5(NTOWFv1, UTF-16LE(UPPER(user) + domain)); the domain keeps its case.</summary>
    public static byte[] NtOwfV2(ReadOnlySpan<char> password, string user, string domain)
    {
        byte[] v1 = NtOwfV1(password);
        byte[] identity = System.Text.Encoding.Unicode.GetBytes(user.ToUpperInvariant() + domain);
        byte[] result = HMACMD5.HashData(v1, identity);
        CryptographicOperations.ZeroMemory(v1);
        return result;
    }

    /// <summary>The NTLMv2 client blob ("temp" of 3.3.2): header, time, client challenge, AV pairs.</summary>
    public static byte[] NtlmV2Blob(ReadOnlySpan<byte> timestamp, ReadOnlySpan<byte> clientChallenge, ReadOnlySpan<byte> avPairs) =>
        [0x01, 0x01, 0, 0, 0, 0, 0, 0, .. timestamp, .. clientChallenge, 0, 0, 0, 0, .. avPairs, 0, 0, 0, 0];

    /// <summary>NTProofStr = HMAC-MD5(NTOWFv2, ServerChallenge ‖ blob).</summary>
    public static byte[] NtProofStr(ReadOnlySpan<byte> ntOwfV2, ReadOnlySpan<byte> serverChallenge, ReadOnlySpan<byte> blob) =>
        HMACMD5.HashData(ntOwfV2, [.. serverChallenge, .. blob]);

    /// <summary>LMv2 response = HMAC-MD5(NTOWFv2, ServerChallenge ‖ ClientChallenge) ‖ ClientChallenge.</summary>
    public static byte[] LmV2Response(ReadOnlySpan<byte> ntOwfV2, ReadOnlySpan<byte> serverChallenge, ReadOnlySpan<byte> clientChallenge) =>
        [.. HMACMD5.HashData(ntOwfV2, [.. serverChallenge, .. clientChallenge]), .. clientChallenge];

    /// <summary>SessionBaseKey = HMAC-MD5(NTOWFv2, NTProofStr); for NTLMv2 it is also the KeyExchangeKey.</summary>
    public static byte[] SessionBaseKey(ReadOnlySpan<byte> ntOwfV2, ReadOnlySpan<byte> ntProofStr) => HMACMD5.HashData(ntOwfV2, ntProofStr);

    /// <summary>RC4 of <paramref name="data"/> under <paramref name="key"/>, from a fresh key stream.</summary>
    public static byte[] Rc4(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var rc4 = new RC4Engine();
        rc4.Init(true, new KeyParameter(key.ToArray()));
        byte[] output = new byte[data.Length];
        rc4.ProcessBytes(data.ToArray(), 0, data.Length, output, 0);
        return output;
    }

    public static byte[] ClientSigningKey(ReadOnlySpan<byte> exportedSessionKey) => MD5.HashData([.. exportedSessionKey, .. ClientSigningMagic]);

    public static byte[] ServerSigningKey(ReadOnlySpan<byte> exportedSessionKey) => MD5.HashData([.. exportedSessionKey, .. ServerSigningMagic]);

    public static byte[] ClientSealingKey(ReadOnlySpan<byte> exportedSessionKey) => MD5.HashData([.. exportedSessionKey, .. ClientSealingMagic]);

    public static byte[] ServerSealingKey(ReadOnlySpan<byte> exportedSessionKey) => MD5.HashData([.. exportedSessionKey, .. ServerSealingMagic]);
}
