using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Crypto.StandardSecurity;

namespace RdpHandshake.TestServer;

/// <summary>
/// The security headers of the server's side of the sequence after the channel joins (MS-RDPBCGR 2.2.8.1.1.2,
/// 5.3.6). Under TLS (and at ENCRYPTION_LEVEL_NONE) only the Client Info and licensing PDUs carry a basic header.
/// Under Standard RDP Security every PDU carries one: the server encrypts its PDUs from CLIENT_COMPATIBLE up
/// (non-FIPS header with dataSignature, or the FIPS header) and sends a basic header at LOW; it decrypts whatever
/// the client sent with SEC_ENCRYPT and honours SEC_SECURE_CHECKSUM.
/// </summary>
internal sealed class ServerSecurityLayer : IDisposable
{
    private readonly RdpCipher? _encryptor;
    private readonly RdpCipher? _decryptor;
    private readonly EncryptionMethod _method;
    private readonly EncryptionLevel _level;

    private ServerSecurityLayer(EncryptionMethod method, EncryptionLevel level, RdpCipher? encryptor, RdpCipher? decryptor)
    {
        _method = method;
        _level = level;
        _encryptor = encryptor;
        _decryptor = decryptor;
    }

    /// <summary>TLS, or Standard RDP Security without encryption: headers only where the PDU needs its flags.</summary>
    public static ServerSecurityLayer Plain { get; } = new(EncryptionMethod.None, EncryptionLevel.None, null, null);

    /// <summary>Standard RDP Security with the server's session keys.</summary>
    public static ServerSecurityLayer Standard(SessionKeys serverKeys, EncryptionLevel level) =>
        new(serverKeys.Method, level, serverKeys.CreateEncryptor(), serverKeys.CreateDecryptor());

    /// <summary>Whether every PDU carries a security header (Standard RDP Security with a method).</summary>
    public bool EveryPduHasHeader => _decryptor is not null;

    /// <summary>Whether the client's last encrypted PDU used the salted MAC; the server answers in kind.</summary>
    public bool Salted { get; private set; }

    /// <summary>
    /// The security header and data of a server PDU. <paramref name="flags"/> are the PDU's own flags (e.g.
    /// SEC_LICENSE_PKT); <paramref name="mayEncrypt"/> is false for the licensing PDUs, which Windows sends in the
    /// clear with a basic header.
    /// </summary>
    public byte[] Wrap(ReadOnlySpan<byte> pdu, SecurityHeaderFlags flags = SecurityHeaderFlags.None, bool mayEncrypt = true)
    {
        bool encrypt = mayEncrypt && _encryptor is not null && _level >= EncryptionLevel.ClientCompatible;
        if (!encrypt)
        {
            if (!EveryPduHasHeader && flags == SecurityHeaderFlags.None)
            {
                return pdu.ToArray();
            }

            return [.. Pdu.Encode(new BasicSecurityHeader(flags)), .. pdu];
        }

        flags |= SecurityHeaderFlags.Encrypt | (Salted ? SecurityHeaderFlags.SecureChecksum : SecurityHeaderFlags.None);
        byte[] cipher = _encryptor!.Encrypt(pdu, Salted, out byte[] signature);
        byte[] header = _method == EncryptionMethod.Fips
            ? Pdu.Encode(new FipsSecurityHeader(flags, 0, (byte)(cipher.Length - pdu.Length), new ByteString(signature)))
            : Pdu.Encode(new NonFipsSecurityHeader(flags, 0, new ByteString(signature)));
        return [.. header, .. cipher];
    }

    /// <summary>
    /// Removes the security header of a client PDU (decrypting and checking it when SEC_ENCRYPT is set). Under TLS
    /// only PDUs that <paramref name="expectHeader"/> have one. Null with <paramref name="problem"/> set when the
    /// header does not decode or the MAC does not verify.
    /// </summary>
    public byte[]? Unwrap(ReadOnlySpan<byte> data, bool expectHeader, out SecurityHeaderFlags flags, out string? problem)
    {
        flags = SecurityHeaderFlags.None;
        problem = null;
        if (!expectHeader && !EveryPduHasHeader)
        {
            return data.ToArray();
        }

        var reader = new PduReader(data);
        DecodeResult<BasicSecurityHeader> basic = BasicSecurityHeader.Decode(ref reader);
        if (!basic.IsSuccess)
        {
            problem = basic.Error.ToString();
            return null;
        }

        flags = basic.Value.Flags;
        if ((flags & SecurityHeaderFlags.Encrypt) == 0)
        {
            return reader.RemainingSpan.ToArray();
        }

        if (_decryptor is null)
        {
            problem = "SEC_ENCRYPT is set but no encryption was negotiated";
            return null;
        }

        reader = new PduReader(data);
        bool salted = (flags & SecurityHeaderFlags.SecureChecksum) != 0;
        byte[] plain;
        bool verified;
        if (_method == EncryptionMethod.Fips)
        {
            DecodeResult<FipsSecurityHeader> fips = FipsSecurityHeader.Decode(ref reader);
            if (!fips.IsSuccess)
            {
                problem = fips.Error.ToString();
                return null;
            }

            verified = _decryptor.TryDecrypt(reader.RemainingSpan, fips.Value.DataSignature.Span, salted, out plain, fips.Value.PadLength);
        }
        else
        {
            DecodeResult<NonFipsSecurityHeader> nonFips = NonFipsSecurityHeader.Decode(ref reader);
            if (!nonFips.IsSuccess)
            {
                problem = nonFips.Error.ToString();
                return null;
            }

            verified = _decryptor.TryDecrypt(reader.RemainingSpan, nonFips.Value.DataSignature.Span, salted, out plain);
        }

        if (!verified)
        {
            problem = "the dataSignature does not verify (wrong keys, or the packets are out of step)";
            return null;
        }

        Salted = salted;
        return plain;
    }

    public void Dispose()
    {
        _encryptor?.Dispose();
        _decryptor?.Dispose();
    }
}
