using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;

namespace RdpHandshake.Crypto.Ntlm;

/// <summary>
/// NTLM session security (MS-NLMP 3.4) as either side of CredSSP uses it once the AUTHENTICATE established the
/// exported session key: sealing and unsealing CredSSP's messages, and the SPNEGO mechListMIC. A client sends with
/// the client-to-server keys, a server with the server-to-client ones; keys are cleared on dispose.
/// </summary>
public sealed class NtlmSessionSecurity : IDisposable
{
    private byte[] _exportedSessionKey = [];
    private RC4Engine? _sealing;
    private RC4Engine? _unsealing;
    // The key this side signs with, and the key the peer signs with.
    private byte[] _clientSigningKey = [];
    private byte[] _serverSigningKey = [];
    // The sealing keys themselves, for signatures that start from a fresh RC4 handle (the SPNEGO mechListMIC).
    private byte[] _sealingKey = [];
    private byte[] _unsealingKey = [];
    private uint _sendSequence;
    private uint _receiveSequence;

    /// <summary>
    /// Derives the signing and sealing keys (MS-NLMP 3.4.5) from the exported session key; sequence numbers
    /// restart at 0. A server (<paramref name="asServer"/>) sends with the server-to-client keys.
    /// </summary>
    public void StartSessionSecurity(ReadOnlySpan<byte> exportedSessionKey, bool asServer = false)
    {
        _exportedSessionKey = exportedSessionKey.ToArray();
        byte[] clientSigning = NtlmCrypto.ClientSigningKey(_exportedSessionKey);
        byte[] serverSigning = NtlmCrypto.ServerSigningKey(_exportedSessionKey);
        byte[] clientSealingKey = NtlmCrypto.ClientSealingKey(_exportedSessionKey);
        byte[] serverSealingKey = NtlmCrypto.ServerSealingKey(_exportedSessionKey);
        (_sealingKey, _unsealingKey) = asServer ? (serverSealingKey.ToArray(), clientSealingKey.ToArray()) : (clientSealingKey.ToArray(), serverSealingKey.ToArray());
        RC4Engine clientSealing = Rc4(clientSealingKey);
        RC4Engine serverSealing = Rc4(serverSealingKey);
        (_clientSigningKey, _serverSigningKey) = asServer ? (serverSigning, clientSigning) : (clientSigning, serverSigning);
        (_sealing, _unsealing) = asServer ? (serverSealing, clientSealing) : (clientSealing, serverSealing);
        _sendSequence = 0;
        _receiveSequence = 0;
    }

    /// <summary>Seals a message as CredSSP carries it: the 16-byte signature, then the ciphertext.</summary>
    public byte[] Seal(ReadOnlySpan<byte> message)
    {
        RC4Engine rc4 = _sealing ?? throw new InvalidOperationException("seal before the AUTHENTICATE");
        uint sequence = _sendSequence++;
        byte[] checksum = HMACMD5.HashData(_clientSigningKey, (byte[])[.. BitConverter.GetBytes(sequence), .. message])[..8];
        byte[] sealedMessage = Process(rc4, message);
        byte[] sealedChecksum = Process(rc4, checksum);
        return [1, 0, 0, 0, .. sealedChecksum, .. BitConverter.GetBytes(sequence), .. sealedMessage];
    }

    /// <summary>Unseals a message from the server; null when its signature does not verify.</summary>
    public byte[]? Unseal(ReadOnlySpan<byte> signed)
    {
        RC4Engine rc4 = _unsealing ?? throw new InvalidOperationException("unseal before the AUTHENTICATE");
        if (signed.Length < 16)
        {
            return null;
        }

        uint sequence = _receiveSequence++;
        byte[] message = Process(rc4, signed[16..]);
        byte[] checksum = Process(rc4, signed[4..12]);
        byte[] expected = HMACMD5.HashData(_serverSigningKey, (byte[])[.. BitConverter.GetBytes(sequence), .. message])[..8];
        bool valid = CryptographicOperations.FixedTimeEquals(checksum, expected) && BinaryPrimitives.ReadUInt32LittleEndian(signed[12..16]) == sequence;
        return valid ? message : null;
    }

    /// <summary>
    /// The SPNEGO mechListMIC this side sends (MS-SPNG 3.3.5.1, RFC 4178 5): the NTLM signature of MS-NLMP
    /// 3.4.4.2 over <paramref name="mechTypes"/> (the DER MechTypeList exactly as the NegTokenInit carried it),
    /// with this side's signing key, sequence number 0, and the RC4 handle of its sealing key as it starts.
    /// The session's own state is left alone: SPNEGO resets NTLM's RC4 handles after the mechListMIC exchange
    /// (FreeRDP's ntlm_reset_cipher_state), and the first sealed message (pubKeyAuth) goes out with sequence
    /// number 0 from the initial RC4 state, as if no signature had been made.
    /// </summary>
    public byte[] MechListMic(ReadOnlySpan<byte> mechTypes) => Signature(_clientSigningKey, _sealingKey, mechTypes);

    /// <summary>Checks the peer's mechListMIC over <paramref name="mechTypes"/>, made as <see cref="MechListMic"/> makes ours.</summary>
    public bool VerifyPeerMechListMic(ReadOnlySpan<byte> mechTypes, ReadOnlySpan<byte> mic) =>
        mic.Length == 16 && CryptographicOperations.FixedTimeEquals(Signature(_serverSigningKey, _unsealingKey, mechTypes), mic);

    /// <summary>
    /// NTLMSSP_MESSAGE_SIGNATURE with extended session security and key exchange (MS-NLMP 2.2.2.9.1, 3.4.4.2):
    /// version 1, RC4(HMAC_MD5(SigningKey, SeqNum ‖ Message)[0..7]) from a fresh handle, SeqNum 0.
    /// </summary>
    private static byte[] Signature(byte[] signingKey, byte[] sealingKey, ReadOnlySpan<byte> message)
    {
        if (signingKey.Length == 0)
        {
            throw new InvalidOperationException("sign before the AUTHENTICATE");
        }

        byte[] checksum = HMACMD5.HashData(signingKey, (byte[])[0, 0, 0, 0, .. message])[..8];
        return [1, 0, 0, 0, .. NtlmCrypto.Rc4(sealingKey, checksum), 0, 0, 0, 0];
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_sealingKey);
        CryptographicOperations.ZeroMemory(_unsealingKey);
        CryptographicOperations.ZeroMemory(_exportedSessionKey);
        CryptographicOperations.ZeroMemory(_clientSigningKey);
        CryptographicOperations.ZeroMemory(_serverSigningKey);
    }

    private static RC4Engine Rc4(byte[] key)
    {
        var rc4 = new RC4Engine();
        rc4.Init(true, new KeyParameter(key));
        CryptographicOperations.ZeroMemory(key);
        return rc4;
    }

    private static byte[] Process(RC4Engine rc4, ReadOnlySpan<byte> data)
    {
        byte[] input = data.ToArray();
        byte[] output = new byte[input.Length];
        rc4.ProcessBytes(input, 0, input.Length, output, 0);
        return output;
    }
}
