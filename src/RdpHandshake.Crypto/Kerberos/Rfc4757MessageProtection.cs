using System.Buffers.Binary;
using System.Security.Cryptography;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// The GSS-API per-message tokens of rc4-hmac (RFC 4757 7, MS-KILE 3.4.5.4): RFC 1964-style tokens inside the
/// generic token framing, a Wrap token (TOK_ID 02 01, SGN_ALG 11 00 HMAC, SEAL_ALG 10 00 RC4) and a MIC token (TOK_ID
/// 01 01), each with an 8-octet truncated hmac-md5 checksum and an encrypted sequence number. Same shape as
/// <see cref="Rfc4121MessageProtection"/>: one side of one context, sequence numbers advancing only on success.
/// </summary>
/// <remarks>
/// Two points where RFC 4757's pseudo-code is not what implementations do, and where we follow MIT krb5 (k5seal.c,
/// k5unseal.c) and Heimdal (lib/gssapi/krb5/arcfour.c): the direction octets after the sequence number are 00 for a
/// token sent by the initiator and FF for one sent by the acceptor, as RFC 1964 1.2.1.2 has them (the RFC 4757
/// pseudo-code has them the other way round); and the Wrap checksum is one MD5 over T ‖ header ‖ confounder ‖ data
/// with T = 13, the message type RFC 4757 3 assigns to GSS Wrap (the pseudo-code writes 15 and a separate sum).
/// </remarks>
public sealed class Rfc4757MessageProtection : IDisposable
{
    /// <summary>RFC 4757 7.3: the Wrap token header before the data.</summary>
    public const int WrapTokenSize = 2 /* TOK_ID */ + 2 /* SGN_ALG */ + 2 /* SEAL_ALG */ + 2 /* Filler */ + 8 /* SND_SEQ */ + 8 /* SGN_CKSUM */ + 8 /* Confounder */;

    /// <summary>RFC 4757 7.2: the MIC token.</summary>
    public const int MicTokenSize = 2 /* TOK_ID */ + 2 /* SGN_ALG */ + 4 /* Filler */ + 8 /* SND_SEQ */ + 8 /* SGN_CKSUM */;

    /// <summary>RFC 4757 3: T for data encrypted with GSS Wrap.</summary>
    private const int WrapMessageType = 13;

    /// <summary>RFC 4757 3: T for data signed in a GSS MIC.</summary>
    private const int MicMessageType = 15;

    /// <summary>RFC 4757 7.2 and 7.3: only the first 8 octets of the checksum are sent.</summary>
    private const int SignatureSize = 8;

    private const int ConfounderSize = 8;

    /// <summary>RFC 4757 7.3: one octet of padding, holding its own length.</summary>
    private const byte Padding = 0x01;

    /// <summary>RFC 1964 1.1 / RFC 2743 3.1: the Kerberos V5 mechanism OID 1.2.840.113554.1.2.2, DER-encoded.</summary>
    private static ReadOnlySpan<byte> KerberosMechanismOid => [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02];

    private static ReadOnlySpan<byte> WrapHeader => [0x02, 0x01 /* TOK_ID */, 0x11, 0x00 /* SGN_ALG */, 0x10, 0x00 /* SEAL_ALG */, 0xFF, 0xFF /* Filler */];

    private static ReadOnlySpan<byte> IntegrityOnlyWrapHeader => [0x02, 0x01, 0x11, 0x00, 0xFF, 0xFF /* SEAL_ALG none */, 0xFF, 0xFF];

    private static ReadOnlySpan<byte> MicHeader => [0x01, 0x01 /* TOK_ID */, 0x11, 0x00 /* SGN_ALG */, 0xFF, 0xFF, 0xFF, 0xFF /* Filler */];

    private readonly byte[] _key;
    private readonly bool _isInitiator;
    private uint _sendSequence;
    private uint _receiveSequence;
    private bool _disposed;

    /// <summary>
    /// One side of an established rc4-hmac context; <paramref name="key"/> is the 16-byte context key (subkey or
    /// session key, as for <see cref="Rfc4121MessageProtection"/>). RFC 1964 tokens carry 32-bit sequence numbers.
    /// </summary>
    /// <exception cref="ArgumentException">The key is not 16 bytes.</exception>
    public Rfc4757MessageProtection(ReadOnlySpan<byte> key, bool isInitiator, uint initialSendSequence, uint initialReceiveSequence)
    {
        if (key.Length != KerberosCipher.For(KerberosEtype.Rc4Hmac).KeySize)
        {
            throw new ArgumentException($"an rc4-hmac key is 16 bytes, not {key.Length}", nameof(key));
        }

        _key = key.ToArray();
        _isInitiator = isInitiator;
        _sendSequence = initialSendSequence;
        _receiveSequence = initialReceiveSequence;
    }

    public bool IsInitiator => _isInitiator;

    /// <summary>The sequence number of the next token this side sends.</summary>
    public uint SendSequence => _sendSequence;

    /// <summary>The sequence number the next token accepted from the peer must carry.</summary>
    public uint ReceiveSequence => _receiveSequence;

    /// <summary>
    /// A sealed Wrap token (RFC 4757 7.3) in the generic framing: header, encrypted SND_SEQ, SGN_CKSUM, the encrypted
    /// confounder, then the message and one padding octet encrypted with the same RC4 stream.
    /// </summary>
    public byte[] Wrap(ReadOnlySpan<byte> message)
    {
        Span<byte> confounder = stackalloc byte[ConfounderSize];
        RandomNumberGenerator.Fill(confounder);
        byte[] token = Wrap(message, confounder);
        CryptographicOperations.ZeroMemory(confounder);
        return token;
    }

    /// <summary><see cref="Wrap(ReadOnlySpan{byte})"/> with a given confounder, for reproducible tests.</summary>
    internal byte[] Wrap(ReadOnlySpan<byte> message, ReadOnlySpan<byte> confounder)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (confounder.Length != ConfounderSize)
        {
            throw new ArgumentException("an rc4-hmac wrap confounder is 8 bytes", nameof(confounder));
        }

        byte[] sequence = SequenceField(_sendSequence, senderIsInitiator: _isInitiator);
        byte[] data = [.. confounder, .. message, Padding];
        byte[] checksum = Signature(WrapMessageType, WrapHeader, data);
        byte[] sealingKey = SealingKey(sequence);
        byte[] encrypted = Rfc4757Cipher.Rc4(sealingKey, data);
        byte[] token = Frame([.. WrapHeader, .. EncryptSequence(checksum, sequence), .. checksum, .. encrypted]);
        CryptographicOperations.ZeroMemory(data);
        CryptographicOperations.ZeroMemory(sealingKey);
        _sendSequence++;
        return token;
    }

    /// <summary>
    /// Opens a sealed Wrap token from the peer: the message, or null when the framing or header is wrong, the
    /// decrypted sequence number is not the expected one or not marked as sent by the peer, the checksum does not
    /// match, or the padding is malformed.
    /// </summary>
    public byte[]? Unwrap(ReadOnlySpan<byte> token) => Unwrap(token, allowIntegrityOnly: false);

    /// <summary>
    /// <see cref="Unwrap(ReadOnlySpan{byte})"/> that, when <paramref name="allowIntegrityOnly"/> is set, also accepts a
    /// Wrap token whose SEAL_ALG is FF FF (no encryption).
    /// </summary>
    public byte[]? Unwrap(ReadOnlySpan<byte> token, bool allowIntegrityOnly)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!TryUnframe(token, out ReadOnlySpan<byte> inner) || inner.Length <= WrapTokenSize)
        {
            return null;
        }

        ReadOnlySpan<byte> header = inner[..8];
        bool sealedToken = header.SequenceEqual(WrapHeader);
        if (!(sealedToken || (allowIntegrityOnly && header.SequenceEqual(IntegrityOnlyWrapHeader))))
        {
            return null;
        }

        ReadOnlySpan<byte> checksum = inner.Slice(16, SignatureSize);
        byte[] sequence = DecryptSequence(checksum, inner.Slice(8, 8));
        if (!IsExpectedSequence(sequence))
        {
            return null;
        }

        byte[] data;
        if (sealedToken)
        {
            byte[] sealingKey = SealingKey(sequence);
            data = Rfc4757Cipher.Rc4(sealingKey, inner[24..]);
            CryptographicOperations.ZeroMemory(sealingKey);
        }
        else
        {
            data = inner[24..].ToArray();
        }

        byte[] expected = Signature(WrapMessageType, header, data);
        byte[]? message = null;
        if (CryptographicOperations.FixedTimeEquals(expected, checksum) && TryPaddingLength(data, out int padding))
        {
            message = data[ConfounderSize..^padding];
            _receiveSequence++;
        }

        CryptographicOperations.ZeroMemory(data);
        return message;
    }

    /// <summary>A MIC token (RFC 4757 7.2) in the generic framing: header, encrypted SND_SEQ, SGN_CKSUM.</summary>
    public byte[] GetMic(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] sequence = SequenceField(_sendSequence, senderIsInitiator: _isInitiator);
        byte[] checksum = Signature(MicMessageType, MicHeader, message);
        _sendSequence++;
        return Frame([.. MicHeader, .. EncryptSequence(checksum, sequence), .. checksum]);
    }

    /// <summary>Checks a MIC token from the peer over <paramref name="message"/>.</summary>
    public bool VerifyMic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> token)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!TryUnframe(token, out ReadOnlySpan<byte> inner) || inner.Length != MicTokenSize || !inner[..8].SequenceEqual(MicHeader))
        {
            return false;
        }

        ReadOnlySpan<byte> checksum = inner.Slice(16, SignatureSize);
        byte[] sequence = DecryptSequence(checksum, inner.Slice(8, 8));
        if (!IsExpectedSequence(sequence) || !CryptographicOperations.FixedTimeEquals(Signature(MicMessageType, MicHeader, message), checksum))
        {
            return false;
        }

        _receiveSequence++;
        return true;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        _disposed = true;
    }

    /// <summary>SGN_CKSUM: the first 8 octets of the hmac-md5 checksum (RFC 4757 4) over header ‖ body with message type <paramref name="messageType"/>.</summary>
    private byte[] Signature(int messageType, ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        byte[] full = Rfc4757Cipher.HmacMd5Checksum(_key, messageType, [.. header, .. body]);
        byte[] signature = full[..SignatureSize];
        CryptographicOperations.ZeroMemory(full);
        return signature;
    }

    /// <summary>
    /// RFC 4757 7.3: Kcrypt = HMAC(HMAC(Klocal, T = 0), SND_SEQ[0..4)), Klocal being the key with every octet XORed
    /// with F0 and SND_SEQ the clear sequence number in big-endian order.
    /// </summary>
    private byte[] SealingKey(ReadOnlySpan<byte> sequence)
    {
        byte[] local = new byte[_key.Length];
        for (int i = 0; i < local.Length; i++)
        {
            local[i] = (byte)(_key[i] ^ 0xF0);
        }

        byte[] usageKey = Rfc4757Cipher.UsageKey(local, 0);
        byte[] sealingKey = HMACMD5.HashData(usageKey, sequence[..4]);
        CryptographicOperations.ZeroMemory(local);
        CryptographicOperations.ZeroMemory(usageKey);
        return sealingKey;
    }

    /// <summary>RFC 4757 7.2 and 7.3: Kseq = HMAC(HMAC(K, T = 0), SGN_CKSUM); SND_SEQ is RC4-encrypted under it.</summary>
    private byte[] EncryptSequence(ReadOnlySpan<byte> checksum, ReadOnlySpan<byte> sequence)
    {
        byte[] usageKey = Rfc4757Cipher.UsageKey(_key, 0);
        byte[] sequenceKey = HMACMD5.HashData(usageKey, checksum);
        byte[] encrypted = Rfc4757Cipher.Rc4(sequenceKey, sequence);
        CryptographicOperations.ZeroMemory(usageKey);
        CryptographicOperations.ZeroMemory(sequenceKey);
        return encrypted;
    }

    /// <summary>RC4 is its own inverse.</summary>
    private byte[] DecryptSequence(ReadOnlySpan<byte> checksum, ReadOnlySpan<byte> encrypted) => EncryptSequence(checksum, encrypted);

    /// <summary>SND_SEQ in clear: the sequence number big-endian (RFC 4757 7.1), then four direction octets.</summary>
    private static byte[] SequenceField(uint sequence, bool senderIsInitiator)
    {
        byte[] field = new byte[4 /* sequence number */ + 4 /* direction */];
        BinaryPrimitives.WriteUInt32BigEndian(field, sequence);
        field.AsSpan(4).Fill(senderIsInitiator ? (byte)0x00 : (byte)0xFF);
        return field;
    }

    private bool IsExpectedSequence(ReadOnlySpan<byte> sequence) =>
        sequence.SequenceEqual(SequenceField(_receiveSequence, senderIsInitiator: !_isInitiator));

    /// <summary>
    /// The padding after the message: its last octet gives its length, 1 to 8 octets all of that value (RFC 4757 7.3
    /// sends exactly one; RFC 1964 1.2.2.3 allowed up to a DES block), after the confounder.
    /// </summary>
    private static bool TryPaddingLength(ReadOnlySpan<byte> data, out int padding)
    {
        padding = data.Length > ConfounderSize ? data[^1] : 0;
        if (!(padding is >= 1 and <= 8 && padding <= data.Length - ConfounderSize))
        {
            return false;
        }

        return !data[^padding..].ContainsAnyExcept((byte)padding);
    }

    /// <summary>
    /// RFC 2743 3.1 framing: [APPLICATION 0] IMPLICIT SEQUENCE { thisMech OID, innerToken }, the DER length covering
    /// the OID and the token.
    /// </summary>
    private static byte[] Frame(ReadOnlySpan<byte> innerToken)
    {
        int contentLength = KerberosMechanismOid.Length + innerToken.Length;
        byte[] length = contentLength switch
        {
            < 0x80 => [(byte)contentLength],
            <= 0xFF => [0x81, (byte)contentLength],
            <= 0xFFFF => [0x82, (byte)(contentLength >> 8), (byte)contentLength],
            <= 0xFFFFFF => [0x83, (byte)(contentLength >> 16), (byte)(contentLength >> 8), (byte)contentLength],
            _ => [0x84, (byte)(contentLength >> 24), (byte)(contentLength >> 16), (byte)(contentLength >> 8), (byte)contentLength],
        };
        return [0x60, .. length, .. KerberosMechanismOid, .. innerToken];
    }

    /// <summary>Undoes <see cref="Frame"/>: the tag, a length that covers exactly the rest, and the Kerberos mechanism OID.</summary>
    private static bool TryUnframe(ReadOnlySpan<byte> token, out ReadOnlySpan<byte> innerToken)
    {
        innerToken = default;
        if (token.Length < 2 /* tag, length */ || token[0] != 0x60)
        {
            return false;
        }

        int lengthOctets = token[1] < 0x80 ? 0 : token[1] & 0x7F;
        if (!(lengthOctets <= 4 && token.Length >= 2 + lengthOctets))
        {
            return false;
        }

        long contentLength = lengthOctets == 0 ? token[1] : 0;
        for (int i = 0; i < lengthOctets; i++)
        {
            contentLength = (contentLength << 8) | token[2 + i];
        }

        ReadOnlySpan<byte> content = token[(2 + lengthOctets)..];
        if (contentLength != content.Length || !content.StartsWith(KerberosMechanismOid))
        {
            return false;
        }

        innerToken = content[KerberosMechanismOid.Length..];
        return true;
    }
}
