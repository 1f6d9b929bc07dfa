using System.Buffers.Binary;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Ntlm;

/// <summary>One MS-NLMP 2.2.2.1 AV_PAIR of a CHALLENGE's TargetInfo (or of the client's NTLMv2 blob).</summary>
public sealed record NtlmAvPair(NtlmAvId Id, ByteString Value)
{
    /// <summary>The value as UTF-16LE text (the name pairs); null for binary pairs.</summary>
    public string? Text => Id is NtlmAvId.NbComputerName or NtlmAvId.NbDomainName or NtlmAvId.DnsComputerName
        or NtlmAvId.DnsDomainName or NtlmAvId.DnsTreeName or NtlmAvId.TargetName
        ? System.Text.Encoding.Unicode.GetString(Value.Span)
        : null;

    /// <summary>MsvAvTimestamp as a time (FILETIME: 100 ns since 1601-01-01 UTC), when this is one.</summary>
    public DateTimeOffset? Timestamp => Id == NtlmAvId.Timestamp && Value.Length == 8
        && BinaryPrimitives.ReadInt64LittleEndian(Value.Span) is var ticks && ticks >= 0 && ticks <= DateTime.MaxValue.ToFileTimeUtc()
        ? DateTimeOffset.FromFileTime(ticks).ToUniversalTime()
        : null;

    public static NtlmAvPair FromText(NtlmAvId id, string text) => new(id, new ByteString(System.Text.Encoding.Unicode.GetBytes(text)));
}

/// <summary>Helpers shared by the three NTLM messages: signature, message type, payload fields and AV pairs.</summary>
internal static class NtlmWire
{
    public static ReadOnlySpan<byte> Signature => "NTLMSSP\0"u8;

    public const int FieldSize = 2 /* Len */ + 2 /* MaxLen */ + 4 /* BufferOffset */;

    /// <summary>Enough for any real CHALLENGE or AUTHENTICATE; a longer token is refused before it is parsed.</summary>
    public const int MaxMessageSize = 16 * 1024;

    public static DecodeError? ReadHeader(ref PduReader reader, string context, uint messageType, int fixedSize)
    {
        if (reader.Length > MaxMessageSize)
        {
            return DecodeError.LengthLimit(context, "message", 0, MaxMessageSize, reader.Length);
        }

        if (reader.Ensure(fixedSize, context) is { } missing)
        {
            return missing;
        }

        if (!reader.ReadBytes(8).SequenceEqual(Signature))
        {
            return DecodeError.InvalidField(context, "Signature", "is not \"NTLMSSP\\0\"", 0);
        }

        uint type = reader.ReadUInt32Le();
        return type == messageType
            ? null
            : new DecodeError(DecodeErrorKind.UnexpectedMessageType, context, "MessageType", $"expected {messageType}, got {type}", 8, messageType, type);
    }

    /// <summary>Reads a Len/MaxLen/BufferOffset triple and returns the bytes it points at inside <paramref name="message"/>.</summary>
    public static DecodeError? ReadField(ref PduReader reader, ReadOnlySpan<byte> message, string context, string field, out ByteString value, out int offset)
    {
        int at = reader.Position;
        ushort length = reader.ReadUInt16Le();
        reader.ReadUInt16Le(); // MaxLen: informational
        uint bufferOffset = reader.ReadUInt32Le();
        value = default;
        offset = (int)Math.Min(bufferOffset, int.MaxValue);
        if (length == 0)
        {
            return null;
        }

        // Subtract on the trusted side: the offset and length come from the peer.
        if (bufferOffset > (uint)message.Length || length > message.Length - (int)bufferOffset)
        {
            return DecodeError.InvalidField(context, field, $"offset {bufferOffset} + length {length} runs past the {message.Length}-byte message", at, message.Length, bufferOffset + length);
        }

        value = new ByteString(message.Slice((int)bufferOffset, length));
        return null;
    }

    public static void WriteField(ref PduWriter writer, int length, int offset)
    {
        writer.WriteUInt16Le((ushort)length);
        writer.WriteUInt16Le((ushort)length);
        writer.WriteUInt32Le((uint)offset);
    }

    public static DecodeError? ReadAvPairs(ReadOnlySpan<byte> bytes, string context, out List<NtlmAvPair> pairs)
    {
        pairs = [];
        var reader = new PduReader(bytes);
        while (true)
        {
            if (reader.Remaining < 4)
            {
                return DecodeError.InvalidField(context, "TargetInfo", "AV_PAIR list does not end with MsvAvEOL", reader.Position);
            }

            var id = (NtlmAvId)reader.ReadUInt16Le();
            ushort length = reader.ReadUInt16Le();
            if (length > reader.Remaining)
            {
                return DecodeError.InvalidField(context, "AvLen", $"{length} runs past the TargetInfo field", reader.Position - 2, reader.Remaining, length);
            }

            ReadOnlySpan<byte> value = reader.ReadBytes(length);
            if (id == NtlmAvId.Eol)
            {
                return null;
            }

            pairs.Add(new NtlmAvPair(id, new ByteString(value)));
        }
    }

    public static byte[] WriteAvPairs(IReadOnlyList<NtlmAvPair> pairs)
    {
        byte[] bytes = new byte[pairs.Sum(p => 4 + p.Value.Length) + 4];
        var writer = new PduWriter(bytes);
        foreach (NtlmAvPair pair in pairs)
        {
            writer.WriteUInt16Le((ushort)pair.Id);
            writer.WriteUInt16Le((ushort)pair.Value.Length);
            writer.WriteBytes(pair.Value.Span);
        }

        writer.WriteZeros(4); // MsvAvEOL
        return bytes;
    }

    /// <summary>Names are UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is set, OEM (here ASCII) otherwise (MS-NLMP 2.2.2.5).</summary>
    public static string Text(ByteString bytes, NtlmNegotiateFlags flags) => Encoding(flags).GetString(bytes.Span);

    public static byte[] Bytes(string text, NtlmNegotiateFlags flags) => Encoding(flags).GetBytes(text);

    private static System.Text.Encoding Encoding(NtlmNegotiateFlags flags) =>
        (flags & NtlmNegotiateFlags.Unicode) != 0 ? System.Text.Encoding.Unicode : System.Text.Encoding.ASCII;

    /// <summary>
    /// The Version field exists when NTLMSSP_NEGOTIATE_VERSION is set and the payload does not start inside it;
    /// a peer may set the flag and still put its payload right after the fixed part.
    /// </summary>
    public static bool HasVersion(NtlmNegotiateFlags flags, int versionOffset, int firstPayload, int remaining) =>
        (flags & NtlmNegotiateFlags.Version) != 0 && firstPayload >= versionOffset + NtlmVersion.Size && remaining >= NtlmVersion.Size;
}

/// <summary>MS-NLMP 2.2.1.1 NEGOTIATE_MESSAGE: the client's opening, with no user name or secret.</summary>
public sealed record NtlmNegotiateMessage(NtlmNegotiateFlags Flags, NtlmVersion? Version = null) : IPdu<NtlmNegotiateMessage>
{
    /// <summary>The flags a CredSSP client needs: session security with signing, sealing and key exchange.</summary>
    public const NtlmNegotiateFlags CredSspClientFlags =
        NtlmNegotiateFlags.Negotiate56 | NtlmNegotiateFlags.KeyExchange | NtlmNegotiateFlags.Negotiate128 | NtlmNegotiateFlags.Version
        | NtlmNegotiateFlags.ExtendedSessionSecurity | NtlmNegotiateFlags.AlwaysSign | NtlmNegotiateFlags.Ntlm
        | NtlmNegotiateFlags.Seal | NtlmNegotiateFlags.Sign | NtlmNegotiateFlags.RequestTarget | NtlmNegotiateFlags.Unicode;

    public static string PduName => "NTLM NEGOTIATE_MESSAGE";

    public int Size => 8 /* Signature */ + 4 /* MessageType */ + 4 /* NegotiateFlags */ + NtlmWire.FieldSize * 2 + (Version is null ? 0 : NtlmVersion.Size);

    public void Encode(ref PduWriter writer)
    {
        writer.WriteBytes(NtlmWire.Signature);
        writer.WriteUInt32Le(1);
        writer.WriteUInt32Le((uint)Flags);
        NtlmWire.WriteField(ref writer, 0, Size); // DomainNameFields: none supplied
        NtlmWire.WriteField(ref writer, 0, Size); // WorkstationFields: none supplied
        Version?.Encode(ref writer);
    }

    public static DecodeResult<NtlmNegotiateMessage> Decode(ref PduReader reader)
    {
        ReadOnlySpan<byte> message = reader.RemainingSpan;
        if (NtlmWire.ReadHeader(ref reader, PduName, 1, 32) is { } error)
        {
            return error;
        }

        var flags = (NtlmNegotiateFlags)reader.ReadUInt32Le();
        if (NtlmWire.ReadField(ref reader, message, PduName, "DomainNameFields", out _, out _) is { } domainError)
        {
            return domainError;
        }

        if (NtlmWire.ReadField(ref reader, message, PduName, "WorkstationFields", out _, out _) is { } workstationError)
        {
            return workstationError;
        }

        NtlmVersion? version = null;
        if ((flags & NtlmNegotiateFlags.Version) != 0 && reader.Remaining >= NtlmVersion.Size)
        {
            version = NtlmVersion.Read(ref reader);
        }

        reader.Skip(reader.Remaining); // the payload (supplied OEM names) is not kept
        return new NtlmNegotiateMessage(flags, version);
    }
}

/// <summary>
/// MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE: the server's answer, carrying its challenge and, in TargetInfo, its
/// NetBIOS and DNS names and clock; the Version field names its Windows build. All of it arrives before the
/// client has sent any credentials.
/// </summary>
public sealed record NtlmChallengeMessage(
    NtlmNegotiateFlags Flags,
    ByteString ServerChallenge,
    string TargetName,
    IReadOnlyList<NtlmAvPair> TargetInfo,
    NtlmVersion? Version = null) : IPdu<NtlmChallengeMessage>
{
    private const int FixedPartSize = 8 /* Signature */ + 4 /* MessageType */ + NtlmWire.FieldSize /* TargetName */ + 4 /* NegotiateFlags */
        + 8 /* ServerChallenge */ + 8 /* Reserved */ + NtlmWire.FieldSize /* TargetInfo */;

    public static string PduName => "NTLM CHALLENGE_MESSAGE";

    private int HeaderSize => FixedPartSize + (Version is null ? 0 : NtlmVersion.Size);

    private byte[] TargetNameBytes => NtlmWire.Bytes(TargetName, Flags);

    public int Size => HeaderSize + TargetNameBytes.Length + NtlmWire.WriteAvPairs(TargetInfo).Length;

    public string? Find(NtlmAvId id) => TargetInfo.FirstOrDefault(p => p.Id == id)?.Text;

    public DateTimeOffset? Timestamp => TargetInfo.FirstOrDefault(p => p.Id == NtlmAvId.Timestamp)?.Timestamp;

    public void Encode(ref PduWriter writer)
    {
        if (ServerChallenge.Length != 8)
        {
            ThrowHelper.ThrowArgument(nameof(ServerChallenge), "the server challenge is 8 bytes");
        }

        byte[] name = TargetNameBytes;
        byte[] info = NtlmWire.WriteAvPairs(TargetInfo);
        writer.WriteBytes(NtlmWire.Signature);
        writer.WriteUInt32Le(2);
        NtlmWire.WriteField(ref writer, name.Length, HeaderSize);
        writer.WriteUInt32Le((uint)Flags);
        writer.WriteBytes(ServerChallenge.Span);
        writer.WriteZeros(8);
        NtlmWire.WriteField(ref writer, info.Length, HeaderSize + name.Length);
        Version?.Encode(ref writer);
        writer.WriteBytes(name);
        writer.WriteBytes(info);
    }

    public static DecodeResult<NtlmChallengeMessage> Decode(ref PduReader reader)
    {
        ReadOnlySpan<byte> message = reader.RemainingSpan;
        if (NtlmWire.ReadHeader(ref reader, PduName, 2, FixedPartSize) is { } error)
        {
            return error;
        }

        if (NtlmWire.ReadField(ref reader, message, PduName, "TargetNameFields", out ByteString targetName, out int nameOffset) is { } nameError)
        {
            return nameError;
        }

        var flags = (NtlmNegotiateFlags)reader.ReadUInt32Le();
        var challenge = new ByteString(reader.ReadBytes(8));
        reader.Skip(8); // Reserved
        if (NtlmWire.ReadField(ref reader, message, PduName, "TargetInfoFields", out ByteString targetInfo, out int infoOffset) is { } infoError)
        {
            return infoError;
        }

        int firstPayload = Math.Min(targetName.IsEmpty ? message.Length : nameOffset, targetInfo.IsEmpty ? message.Length : infoOffset);
        NtlmVersion? version = null;
        if (NtlmWire.HasVersion(flags, FixedPartSize, firstPayload, reader.Remaining))
        {
            version = NtlmVersion.Read(ref reader);
        }

        List<NtlmAvPair> pairs = [];
        if (!targetInfo.IsEmpty && NtlmWire.ReadAvPairs(targetInfo.Span, PduName, out pairs) is { } pairError)
        {
            return pairError with { Offset = pairError.Offset + infoOffset };
        }

        reader.Skip(reader.Remaining);
        return new NtlmChallengeMessage(flags, challenge, NtlmWire.Text(targetName, flags), pairs, version);
    }
}

/// <summary>MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE: the client's responses, names and encrypted session key.</summary>
public sealed record NtlmAuthenticateMessage(
    NtlmNegotiateFlags Flags,
    ByteString LmChallengeResponse,
    ByteString NtChallengeResponse,
    string DomainName,
    string UserName,
    string Workstation,
    ByteString EncryptedRandomSessionKey,
    NtlmVersion? Version = null,
    ByteString Mic = default) : IPdu<NtlmAuthenticateMessage>
{
    private const int FixedPartSize = 8 /* Signature */ + 4 /* MessageType */ + NtlmWire.FieldSize * 6 + 4 /* NegotiateFlags */;

    /// <summary>Where the MIC sits when present (after the Version field).</summary>
    public const int MicOffset = FixedPartSize + NtlmVersion.Size;

    public static string PduName => "NTLM AUTHENTICATE_MESSAGE";

    private int HeaderSize => FixedPartSize + (Version is null ? 0 : NtlmVersion.Size) + Mic.Length;

    public int Size => HeaderSize + NtlmWire.Bytes(DomainName, Flags).Length + NtlmWire.Bytes(UserName, Flags).Length + NtlmWire.Bytes(Workstation, Flags).Length
        + LmChallengeResponse.Length + NtChallengeResponse.Length + EncryptedRandomSessionKey.Length;

    public void Encode(ref PduWriter writer)
    {
        if (!Mic.IsEmpty && (Mic.Length != 16 || Version is null))
        {
            ThrowHelper.ThrowArgument(nameof(Mic), "the MIC is 16 bytes and follows the Version field");
        }

        byte[] domain = NtlmWire.Bytes(DomainName, Flags);
        byte[] user = NtlmWire.Bytes(UserName, Flags);
        byte[] workstation = NtlmWire.Bytes(Workstation, Flags);

        // Payload order as Windows writes it (and as the MS-NLMP 4.2.4.3 example shows): names, then responses, then the key.
        int domainAt = HeaderSize;
        int userAt = domainAt + domain.Length;
        int workstationAt = userAt + user.Length;
        int lmAt = workstationAt + workstation.Length;
        int ntAt = lmAt + LmChallengeResponse.Length;
        int keyAt = ntAt + NtChallengeResponse.Length;

        writer.WriteBytes(NtlmWire.Signature);
        writer.WriteUInt32Le(3);
        NtlmWire.WriteField(ref writer, LmChallengeResponse.Length, lmAt);
        NtlmWire.WriteField(ref writer, NtChallengeResponse.Length, ntAt);
        NtlmWire.WriteField(ref writer, domain.Length, domainAt);
        NtlmWire.WriteField(ref writer, user.Length, userAt);
        NtlmWire.WriteField(ref writer, workstation.Length, workstationAt);
        NtlmWire.WriteField(ref writer, EncryptedRandomSessionKey.Length, keyAt);
        writer.WriteUInt32Le((uint)Flags);
        Version?.Encode(ref writer);
        writer.WriteBytes(Mic.Span);
        writer.WriteBytes(domain);
        writer.WriteBytes(user);
        writer.WriteBytes(workstation);
        writer.WriteBytes(LmChallengeResponse.Span);
        writer.WriteBytes(NtChallengeResponse.Span);
        writer.WriteBytes(EncryptedRandomSessionKey.Span);
    }

    public static DecodeResult<NtlmAuthenticateMessage> Decode(ref PduReader reader)
    {
        ReadOnlySpan<byte> message = reader.RemainingSpan;
        if (NtlmWire.ReadHeader(ref reader, PduName, 3, FixedPartSize) is { } error)
        {
            return error;
        }

        string[] names = ["LmChallengeResponseFields", "NtChallengeResponseFields", "DomainNameFields", "UserNameFields", "WorkstationFields", "EncryptedRandomSessionKeyFields"];
        var values = new ByteString[6];
        int firstPayload = message.Length;
        for (int i = 0; i < names.Length; i++)
        {
            if (NtlmWire.ReadField(ref reader, message, PduName, names[i], out values[i], out int offset) is { } fieldError)
            {
                return fieldError;
            }

            if (!values[i].IsEmpty)
            {
                firstPayload = Math.Min(firstPayload, offset);
            }
        }

        var flags = (NtlmNegotiateFlags)reader.ReadUInt32Le();
        NtlmVersion? version = null;
        ByteString mic = default;
        if (NtlmWire.HasVersion(flags, FixedPartSize, firstPayload, reader.Remaining))
        {
            version = NtlmVersion.Read(ref reader);

            // The MIC has no flag of its own: it is there when the payload starts after it (MS-NLMP 2.2.1.3).
            if (firstPayload >= MicOffset + 16 && reader.Remaining >= 16)
            {
                mic = new ByteString(reader.ReadBytes(16));
            }
        }

        reader.Skip(reader.Remaining);
        return new NtlmAuthenticateMessage(flags, values[0], values[1], NtlmWire.Text(values[2], flags), NtlmWire.Text(values[3], flags),
            NtlmWire.Text(values[4], flags), values[5], version, mic);
    }
}
