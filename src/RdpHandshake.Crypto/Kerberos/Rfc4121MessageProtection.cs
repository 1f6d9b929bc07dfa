using System.Buffers.Binary;
using System.Security.Cryptography;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// The Kerberos V5 GSS-API per-message tokens of RFC 4121 4.2 for the AES etypes, as CredSSP uses them once the
/// Kerberos context is established (MS-CSSP 3.1.5, MS-KILE 3.4.5.4): Wrap tokens (4.2.6.2) seal pubKeyAuth and the
/// credentials, MIC tokens (4.2.6.1) sign the SPNEGO mechListMIC. One instance is one side of one context: it sends
/// with this side's key usage and sequence numbers and accepts only the peer's, in order.
/// </summary>
/// <remarks>
/// Both directions share <see cref="Wrap(ReadOnlySpan{byte}, int)"/> and <see cref="GetMic"/>'s send sequence number,
/// and <see cref="Unwrap(ReadOnlySpan{byte})"/> and <see cref="VerifyMic"/>'s receive sequence number, which advances
/// only when a token is accepted (RFC 4121 4.2.1): a replayed, reordered or forged token leaves the state unchanged.
/// Tokens from the network never throw; a bad header, an unexpected sequence number or a failed integrity check is
/// <c>null</c> or <c>false</c>. The key is copied and cleared on <see cref="Dispose"/>.
/// </remarks>
public sealed class Rfc4121MessageProtection : IDisposable
{
    /// <summary>RFC 4121 4.2.6: the header both token kinds start with.</summary>
    public const int HeaderSize = 2 /* TOK_ID */ + 1 /* Flags */ + 1 /* Filler */ + 2 /* EC */ + 2 /* RRC */ + 8 /* SND_SEQ */;

    /// <summary>RFC 4121 2: key usage of Wrap tokens the acceptor sends.</summary>
    public const int AcceptorSealUsage = 22;

    /// <summary>RFC 4121 2: key usage of MIC tokens the acceptor sends.</summary>
    public const int AcceptorSignUsage = 23;

    /// <summary>RFC 4121 2: key usage of Wrap tokens the initiator sends.</summary>
    public const int InitiatorSealUsage = 24;

    /// <summary>RFC 4121 2: key usage of MIC tokens the initiator sends.</summary>
    public const int InitiatorSignUsage = 25;

    /// <summary>RFC 4121 4.2.5: the RRC field is two octets.</summary>
    private const int MaxRightRotationCount = ushort.MaxValue;

    private readonly KerberosCipher _cipher;
    private readonly byte[] _key;
    private readonly bool _isInitiator;
    private readonly bool _acceptorSubkey;
    private ulong _sendSequence;
    private ulong _receiveSequence;
    private bool _disposed;

    /// <summary>
    /// One side of an established context. <paramref name="key"/> is the context key RFC 4121 2 names: the acceptor's
    /// subkey from the AP-REP if there is one (then <paramref name="acceptorSubkey"/> is true and every token carries
    /// the AcceptorSubkey flag), else the initiator's subkey from the authenticator, else the ticket's session key.
    /// The initial sequence numbers are the seq-number fields of the authenticator (initiator's) and the AP-REP
    /// (acceptor's).
    /// </summary>
    /// <exception cref="ArgumentException">The etype is not an AES one, or the key has the wrong length.</exception>
    public Rfc4121MessageProtection(KerberosEtype etype, ReadOnlySpan<byte> key, bool isInitiator, bool acceptorSubkey, ulong initialSendSequence, ulong initialReceiveSequence)
    {
        if (etype == KerberosEtype.Rc4Hmac)
        {
            throw new ArgumentException("rc4-hmac uses the RFC 4757 7 tokens of Rfc4757MessageProtection, not RFC 4121 ones", nameof(etype));
        }

        _cipher = KerberosCipher.For(etype);
        if (key.Length != _cipher.KeySize)
        {
            throw new ArgumentException($"a {etype.RfcName()} key is {_cipher.KeySize} bytes, not {key.Length}", nameof(key));
        }

        _key = key.ToArray();
        _isInitiator = isInitiator;
        _acceptorSubkey = acceptorSubkey;
        _sendSequence = initialSendSequence;
        _receiveSequence = initialReceiveSequence;
    }

    [Flags]
    private enum TokenFlags : byte
    {
        None = 0,
        SentByAcceptor = 0x01,
        Sealed = 0x02,
        AcceptorSubkey = 0x04,
    }

    public KerberosEtype Etype => _cipher.Etype;

    public bool IsInitiator => _isInitiator;

    /// <summary>The SND_SEQ of the next token this side sends.</summary>
    public ulong SendSequence => _sendSequence;

    /// <summary>The SND_SEQ the next token accepted from the peer must carry.</summary>
    public ulong ReceiveSequence => _receiveSequence;

    /// <summary>
    /// The RRC that Windows SSPI puts in sealed Wrap tokens (MS-KILE 3.4.5.4.1, 28 for the AES-SHA1 etypes): the
    /// encrypted copy of the header and the HMAC rotated in front of the encrypted data, so the SSPI token buffer
    /// is the header, those 28 bytes and the encrypted confounder, and the data buffer is encrypted in place.
    /// </summary>
    public int SspiRightRotationCount => HeaderSize + _cipher.ChecksumSize;

    /// <summary>
    /// A Wrap token with confidentiality (RFC 4121 4.2.6.2): {header ‖ encrypt(message ‖ header)} with EC 0 (CBC-CTS
    /// needs no filler) and the body rotated right by <paramref name="rightRotationCount"/> (RFC 4121 4.2.5): 0, or
    /// <see cref="SspiRightRotationCount"/> for the Windows SSPI layout.
    /// </summary>
    public byte[] Wrap(ReadOnlySpan<byte> message, int rightRotationCount = 0)
    {
        Span<byte> confounder = stackalloc byte[AesCts.BlockSize];
        RandomNumberGenerator.Fill(confounder);
        byte[] token = Wrap(message, rightRotationCount, confounder);
        CryptographicOperations.ZeroMemory(confounder);
        return token;
    }

    /// <summary><see cref="Wrap(ReadOnlySpan{byte}, int)"/> with a given confounder, for reproducible tests.</summary>
    internal byte[] Wrap(ReadOnlySpan<byte> message, int rightRotationCount, ReadOnlySpan<byte> confounder)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(rightRotationCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rightRotationCount, MaxRightRotationCount);

        // RFC 4121 4.2.4: the header is encrypted after the data with RRC 00 00; only the clear copy carries the RRC.
        byte[] header = Header(OwnFlags(TokenFlags.Sealed), extraCount: 0, rightRotationCount: 0, _sendSequence);
        byte[] plaintext = [.. message, .. header];
        byte[] encrypted = _cipher.Encrypt(_key, SealUsage(sending: true), plaintext, confounder);
        CryptographicOperations.ZeroMemory(plaintext);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)rightRotationCount);
        _sendSequence++;
        return [.. header, .. RotateRight(encrypted, rightRotationCount)];
    }

    /// <summary>
    /// A Wrap token without confidentiality (RFC 4121 4.2.6.2): {header ‖ message ‖ get_mic(message ‖ header)}, the
    /// checksum taken with EC and RRC zero, then EC set to the checksum length and the body rotated right by
    /// <paramref name="rightRotationCount"/>.
    /// </summary>
    public byte[] WrapIntegrityOnly(ReadOnlySpan<byte> message, int rightRotationCount = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(rightRotationCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rightRotationCount, MaxRightRotationCount);

        byte[] header = Header(OwnFlags(TokenFlags.None), extraCount: 0, rightRotationCount: 0, _sendSequence);
        byte[] checksum = _cipher.Checksum(_key, SealUsage(sending: true), [.. message, .. header]);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)checksum.Length);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)rightRotationCount);
        _sendSequence++;
        return [.. header, .. RotateRight([.. message, .. checksum], rightRotationCount)];
    }

    /// <summary>
    /// Opens a Wrap token with confidentiality from the peer: the message, or null when the header is not the peer's
    /// (TOK_ID, Filler, the SentByAcceptor and AcceptorSubkey flags), the sequence number is not the expected one, or
    /// decryption or the encrypted header copy does not check. Any RRC is rotated back (RFC 4121 4.2.5); a token
    /// with a non-zero EC is also tried rotated by RRC + EC, as MS-KILE 3.4.5.4.1 says Windows rotates.
    /// </summary>
    public byte[]? Unwrap(ReadOnlySpan<byte> token) => Unwrap(token, allowIntegrityOnly: false);

    /// <summary>
    /// <see cref="Unwrap(ReadOnlySpan{byte})"/> that, when <paramref name="allowIntegrityOnly"/> is set, also accepts a
    /// Wrap token without confidentiality. CredSSP requires confidentiality, so its callers leave it unset.
    /// </summary>
    public byte[]? Unwrap(ReadOnlySpan<byte> token, bool allowIntegrityOnly)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (token.Length <= HeaderSize)
        {
            return null;
        }

        ReadOnlySpan<byte> header = token[..HeaderSize];
        if (!(header[0] == 0x05 && header[1] == 0x04 /* TOK_ID */ && header[3] == 0xFF /* Filler */))
        {
            return null;
        }

        var flags = (TokenFlags)header[2];
        bool sealedToken = flags.HasFlag(TokenFlags.Sealed);
        if (!IsPeersFlags(flags) || !(sealedToken || allowIntegrityOnly))
        {
            return null;
        }

        int extraCount = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
        int rightRotationCount = BinaryPrimitives.ReadUInt16BigEndian(header[6..]);
        if (BinaryPrimitives.ReadUInt64BigEndian(header[8..]) != _receiveSequence)
        {
            return null;
        }

        ReadOnlySpan<byte> body = token[HeaderSize..];
        byte[]? message = sealedToken
            ? OpenSealed(header, body, extraCount, rightRotationCount)
                ?? (extraCount == 0 ? null : OpenSealed(header, body, extraCount, rightRotationCount + extraCount))
            : OpenIntegrityOnly(header, body, extraCount, rightRotationCount);
        if (message is not null)
        {
            _receiveSequence++;
        }

        return message;
    }

    /// <summary>
    /// A MIC token (RFC 4121 4.2.6.1): the header (TOK_ID 04 04, the flags, five FF filler octets, SND_SEQ) followed
    /// by the keyed checksum of message ‖ header with this side's sign usage.
    /// </summary>
    public byte[] GetMic(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] header = MicHeader(OwnFlags(TokenFlags.None), _sendSequence);
        byte[] checksum = _cipher.Checksum(_key, SignUsage(sending: true), [.. message, .. header]);
        _sendSequence++;
        return [.. header, .. checksum];
    }

    /// <summary>
    /// Checks a MIC token from the peer over <paramref name="message"/>: false when the token has the wrong length or
    /// header (a MIC token never has the Sealed flag), the sequence number is not the expected one, or the checksum
    /// does not match.
    /// </summary>
    public bool VerifyMic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> token)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (token.Length != HeaderSize + _cipher.ChecksumSize)
        {
            return false;
        }

        ReadOnlySpan<byte> header = token[..HeaderSize];
        var flags = (TokenFlags)header[2];
        if (!(header[0] == 0x04 && header[1] == 0x04 /* TOK_ID */ && !header[3..8].ContainsAnyExcept((byte)0xFF) /* Filler */)
            || flags.HasFlag(TokenFlags.Sealed) || !IsPeersFlags(flags)
            || BinaryPrimitives.ReadUInt64BigEndian(header[8..]) != _receiveSequence)
        {
            return false;
        }

        if (!_cipher.VerifyChecksum(_key, SignUsage(sending: false), [.. message, .. header], token[HeaderSize..]))
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

    /// <summary>Opens a sealed body rotated right by <paramref name="rotation"/>: decrypt, then check the encrypted header copy.</summary>
    private byte[]? OpenSealed(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, int extraCount, int rotation)
    {
        byte[] unrotated = RotateLeft(body, rotation);
        if (!_cipher.TryDecrypt(_key, SealUsage(sending: false), unrotated, out byte[] plaintext))
        {
            return null;
        }

        // RFC 4121 4.2.4: plaintext ‖ filler (EC octets) ‖ header. The copy's RRC is 00 00 by the RFC and ignored, as
        // Heimdal ignores it; everything else must match the clear header.
        byte[]? message = null;
        if (plaintext.Length >= extraCount + HeaderSize)
        {
            ReadOnlySpan<byte> copy = plaintext.AsSpan(plaintext.Length - HeaderSize);
            if (copy[..6].SequenceEqual(header[..6]) && copy[8..].SequenceEqual(header[8..]))
            {
                message = plaintext[..(plaintext.Length - extraCount - HeaderSize)];
            }
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return message;
    }

    /// <summary>Opens a body without confidentiality: EC is the checksum's length, taken over message ‖ header with EC and RRC zero.</summary>
    private byte[]? OpenIntegrityOnly(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, int extraCount, int rotation)
    {
        if (extraCount != _cipher.ChecksumSize || body.Length < extraCount)
        {
            return null;
        }

        byte[] unrotated = RotateLeft(body, rotation);
        byte[] signedHeader = header.ToArray();
        signedHeader.AsSpan(4, 2 /* EC */ + 2 /* RRC */).Clear();
        ReadOnlySpan<byte> message = unrotated.AsSpan(0, unrotated.Length - extraCount);
        bool valid = _cipher.VerifyChecksum(_key, SealUsage(sending: false), [.. message, .. signedHeader], unrotated.AsSpan(message.Length));
        return valid ? message.ToArray() : null;
    }

    private TokenFlags OwnFlags(TokenFlags extra) =>
        extra | (_isInitiator ? TokenFlags.None : TokenFlags.SentByAcceptor) | (_acceptorSubkey ? TokenFlags.AcceptorSubkey : TokenFlags.None);

    /// <summary>RFC 4121 4.2.2: the peer's direction bit and the context's AcceptorSubkey bit; unknown bits are ignored.</summary>
    private bool IsPeersFlags(TokenFlags flags) =>
        flags.HasFlag(TokenFlags.SentByAcceptor) == _isInitiator && flags.HasFlag(TokenFlags.AcceptorSubkey) == _acceptorSubkey;

    private int SealUsage(bool sending) => sending == _isInitiator ? InitiatorSealUsage : AcceptorSealUsage;

    private int SignUsage(bool sending) => sending == _isInitiator ? InitiatorSignUsage : AcceptorSignUsage;

    /// <summary>RFC 4121 4.2.6.2 Wrap token header.</summary>
    private static byte[] Header(TokenFlags flags, int extraCount, int rightRotationCount, ulong sequence)
    {
        byte[] header = new byte[HeaderSize];
        header[0] = 0x05; // TOK_ID
        header[1] = 0x04;
        header[2] = (byte)flags;
        header[3] = 0xFF; // Filler
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)extraCount);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)rightRotationCount);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), sequence);
        return header;
    }

    /// <summary>RFC 4121 4.2.6.1 MIC token header.</summary>
    private static byte[] MicHeader(TokenFlags flags, ulong sequence)
    {
        byte[] header = new byte[HeaderSize];
        header[0] = 0x04; // TOK_ID
        header[1] = 0x04;
        header[2] = (byte)flags;
        header.AsSpan(3, 5 /* Filler */).Fill(0xFF);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), sequence);
        return header;
    }

    /// <summary>RFC 4121 4.2.5: the last <paramref name="count"/> octets (modulo the length) moved to the front.</summary>
    private static byte[] RotateRight(ReadOnlySpan<byte> data, int count)
    {
        if (data.IsEmpty)
        {
            return [];
        }

        int shift = count % data.Length;
        return [.. data[^shift..], .. data[..^shift]];
    }

    /// <summary>The inverse of <see cref="RotateRight"/>; counts larger than the data wrap around, as RFC 4121 4.2.5 requires.</summary>
    private static byte[] RotateLeft(ReadOnlySpan<byte> data, int count)
    {
        if (data.IsEmpty)
        {
            return [];
        }

        int shift = count % data.Length;
        return [.. data[shift..], .. data[..shift]];
    }
}
