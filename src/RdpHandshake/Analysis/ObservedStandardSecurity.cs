using System.Security.Cryptography;
using RdpHandshake.Crypto.StandardSecurity;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Analysis;

/// <summary>
/// Standard RDP Security as the observer sees it with a key log: the client random of a Security Exchange is looked
/// up by the server random (in the clear in the GCC Conference Create Response) in the key log's
/// <see cref="StandardSecurityProvider.KeyLogLabel"/> lines. The connector is handed the client's own cryptography
/// with that random, so it verifies the certificate, derives the session keys (MS-RDPBCGR 5.3.5) and decrypts and
/// MAC-checks the server's PDUs as the client did; the client's direction is decrypted here with the same keys.
/// </summary>
internal sealed class ObservedStandardSecurity(TlsKeyLog keys) : IStandardSecurityProvider
{
    private RdpCipher? _clientDirection;

    /// <summary>Whether the key log holds the client random of the connection whose server sent <paramref name="serverRandom"/>.</summary>
    public bool HasKeys(ReadOnlySpan<byte> serverRandom) => keys.Find(StandardSecurityProvider.KeyLogLabel, serverRandom) is { Length: RdpRsa.ClientRandomLength };

    /// <summary>The encrypted client random the connector computed from the key log's random, to compare with the capture's.</summary>
    public ByteString Expected { get; private set; } = ByteString.Empty;

    /// <summary>The method the keys are for.</summary>
    public EncryptionMethod Method { get; private set; }

    public StandardSecuritySetup Establish(EncryptionMethod method, ReadOnlySpan<byte> serverRandom, ServerCertificate certificate)
    {
        byte[] clientRandom = keys.Find(StandardSecurityProvider.KeyLogLabel, serverRandom) ?? throw new InvalidOperationException("no RDP_STANDARD_SECURITY line for this server random");
        StandardSecuritySetup setup = new StandardSecurityProvider(() => (byte[])clientRandom.Clone()).Establish(method, serverRandom, certificate);
        if (setup.Encryptor is not null)
        {
            UseKeys(clientRandom, serverRandom, method);
            Expected = setup.EncryptedClientRandom;
        }

        return setup;
    }

    /// <summary>Derives the session keys and starts decrypting the client's direction with them.</summary>
    internal void UseKeys(ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, EncryptionMethod method)
    {
        using StandardSecurityKeys derived = StandardSecurityKeys.Derive(clientRandom, serverRandom, method);
        _clientDirection = derived.Server.CreateDecryptor();
        Method = method;
    }

    /// <summary>
    /// The client's frames after its Security Exchange, decrypted and MAC-checked in order (one RC4 or 3DES stream for
    /// every channel and fast-path input, with the key update every 4096 packets): a slow-path PDU is given back with
    /// its payload in the clear (a basic security header without SEC_ENCRYPT where it carried flags other than the
    /// encryption's, none otherwise), a fast-path input as captured. Null when a PDU does not decrypt.
    /// </summary>
    /// <param name="frame">One whole client frame (TPKT or fast-path).</param>
    /// <param name="error">Why it does not decrypt.</param>
    public byte[]? DecryptClientFrame(byte[] frame, out string? error)
    {
        error = null;
        RdpCipher cipher = _clientDirection ?? throw new InvalidOperationException("no keys yet");
        bool fips = Method == EncryptionMethod.Fips;
        if (frame.Length == 0)
        {
            return frame;
        }

        if (frame[0] != TpktHeader.Version3)
        {
            return DecryptFastPath(frame, cipher, fips, out error) ? frame : null;
        }

        if (Pdu.Decode<X224Data>(frame) is not { IsSuccess: true } data
            || DomainPdu.PeekType(data.Value.UserData.Span) != DomainMcsPduType.SendDataRequest
            || Pdu.Decode<SendData>(data.Value.UserData.Span) is not { IsSuccess: true } send)
        {
            return frame;
        }

        ReadOnlySpan<byte> payload = send.Value.UserData.Span;
        if (payload.Length < 4 || ((SecurityHeaderFlags)(payload[0] | (payload[1] << 8)) & SecurityHeaderFlags.Encrypt) == 0)
        {
            return frame;
        }

        var reader = new PduReader(payload);
        SecurityHeaderFlags flags;
        byte[] plain;
        bool ok;
        if (fips)
        {
            DecodeResult<FipsSecurityHeader> header = FipsSecurityHeader.Decode(ref reader);
            if (!header.IsSuccess)
            {
                error = $"the client's FIPS security header does not decode: {header.Error}";
                return null;
            }

            flags = header.Value.Flags;
            ok = cipher.TryDecrypt(reader.RemainingSpan, header.Value.DataSignature.Span, false, out plain, header.Value.PadLength);
        }
        else
        {
            DecodeResult<NonFipsSecurityHeader> header = NonFipsSecurityHeader.Decode(ref reader);
            if (!header.IsSuccess)
            {
                error = $"the client's security header does not decode: {header.Error}";
                return null;
            }

            flags = header.Value.Flags;
            ok = cipher.TryDecrypt(reader.RemainingSpan, header.Value.DataSignature.Span, (flags & SecurityHeaderFlags.SecureChecksum) != 0, out plain);
        }

        if (!ok)
        {
            error = $"the client's encrypted PDU number {cipher.EncryptionCount} does not verify with the session keys of the key log: its MAC signature is wrong";
            return null;
        }

        SecurityHeaderFlags rest = flags & ~(SecurityHeaderFlags.Encrypt | SecurityHeaderFlags.SecureChecksum);
        byte[] clear = rest == 0 ? plain : [.. Pdu.Encode(new BasicSecurityHeader(rest)), .. plain];
        SendData original = send.Value;
        return Pdu.Encode(new X224Data(new ByteString(Pdu.Encode(original with { UserData = new ByteString(clear) }))));
    }

    /// <summary>A fast-path input PDU (MS-RDPBCGR 2.2.8.1.2): decrypted only to keep the client's cipher in step.</summary>
    private static bool DecryptFastPath(byte[] frame, RdpCipher cipher, bool fips, out string? error)
    {
        error = null;
        const byte Encrypted = 0x80;
        const byte SecureChecksum = 0x40;
        if ((frame[0] & Encrypted) == 0 || frame.Length < 2)
        {
            return true;
        }

        int offset = (frame[1] & 0x80) != 0 ? 3 : 2;
        offset += fips ? 4 : 0;
        int padLength = fips && frame.Length > offset - 1 ? frame[offset - 1] : 0;
        if (frame.Length < offset + 8)
        {
            error = "a fast-path input PDU from the client is too short for its signature";
            return false;
        }

        if (!cipher.TryDecrypt(frame.AsSpan(offset + 8), frame.AsSpan(offset, 8), (frame[0] & SecureChecksum) != 0, out byte[] plain, padLength))
        {
            error = $"the client's encrypted fast-path input (packet number {cipher.EncryptionCount}) does not verify with the session keys of the key log: its MAC signature is wrong";
            return false;
        }

        CryptographicOperations.ZeroMemory(plain);
        return true;
    }
}
