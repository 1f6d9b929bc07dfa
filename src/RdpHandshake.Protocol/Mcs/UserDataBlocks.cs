using RdpHandshake.Protocol.Encoding;
using Text = System.Text;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>TS_UD_HEADER type values (MS-RDPBCGR 2.2.1.3.1).</summary>
public enum UserDataType : ushort
{
    ClientCore = 0xC001,
    ClientSecurity = 0xC002,
    ClientNetwork = 0xC003,
    ClientCluster = 0xC004,
    ClientMonitor = 0xC005,
    ClientMessageChannel = 0xC006,
    ClientMonitorEx = 0xC008,
    ClientMultitransport = 0xC00A,
    ServerCore = 0x0C01,
    ServerSecurity = 0x0C02,
    ServerNetwork = 0x0C03,
    ServerMessageChannel = 0x0C04,
    ServerMultitransport = 0x0C08,
}

public static class UserDataNames
{
    /// <summary>The spec name of a block type, e.g. <c>CS_CORE</c>.</summary>
    public static string Name(UserDataType type) => type switch
    {
        UserDataType.ClientCore => "CS_CORE",
        UserDataType.ClientSecurity => "CS_SECURITY",
        UserDataType.ClientNetwork => "CS_NET",
        UserDataType.ClientCluster => "CS_CLUSTER",
        UserDataType.ClientMonitor => "CS_MONITOR",
        UserDataType.ClientMessageChannel => "CS_MCS_MSGCHANNEL",
        UserDataType.ClientMonitorEx => "CS_MONITOR_EX",
        UserDataType.ClientMultitransport => "CS_MULTITRANSPORT",
        UserDataType.ServerCore => "SC_CORE",
        UserDataType.ServerSecurity => "SC_SECURITY",
        UserDataType.ServerNetwork => "SC_NET",
        UserDataType.ServerMessageChannel => "SC_MCS_MSGCHANNEL",
        UserDataType.ServerMultitransport => "SC_MULTITRANSPORT",
        _ => $"0x{(ushort)type:x4}",
    };

    /// <summary>The RDP version a core data block's version field names (MS-RDPBCGR 2.2.1.3.2, 2.2.1.4.2).</summary>
    public static string Version(uint version) => version switch
    {
        0x00080001 => "RDP 4.0",
        0x00080004 => "RDP 5.0 to 8.1",
        0x00080005 => "RDP 10.0",
        0x00080006 => "RDP 10.1",
        0x00080007 => "RDP 10.2",
        0x00080008 => "RDP 10.3",
        0x00080009 => "RDP 10.4",
        0x0008000A => "RDP 10.5",
        0x0008000B => "RDP 10.6",
        0x0008000C => "RDP 10.7",
        0x0008000D => "RDP 10.8",
        0x0008000E => "RDP 10.9",
        0x0008000F => "RDP 10.10",
        0x00080010 => "RDP 10.11",
        0x00080011 => "RDP 10.12",
        _ => $"unknown (0x{version:x8})",
    };
}

/// <summary>
/// MS-RDPBCGR 2.2.1.3.1 User Data Header (TS_UD_HEADER) and the block it frames, kept as bytes: the form of a
/// block no typed decoder takes (an unknown type, or a type seen twice). Every typed block below is a whole
/// block too, header included, and reads and writes its header through the helpers here.
/// </summary>
/// <param name="Type">The block type.</param>
/// <param name="Body">The bytes after the four-byte header.</param>
public readonly record struct UserDataBlock(UserDataType Type, ByteString Body) : IPdu<UserDataBlock>
{
    public const int HeaderSize = 2 /* type */ + 2 /* length */;

    public static string PduName => "TS_UD_HEADER block";

    public int Size => HeaderSize + Body.Length;

    public void Encode(ref PduWriter writer)
    {
        WriteHeader(ref writer, Type, Size);
        writer.WriteBytes(Body.Span);
    }

    public static DecodeResult<UserDataBlock> Decode(ref PduReader reader)
    {
        if (ReadHeader(ref reader, PduName, out UserDataType type, out int bodyLength) is { } error)
        {
            return error;
        }

        return new UserDataBlock(type, new ByteString(reader.ReadBytes(bodyLength)));
    }

    /// <summary>Writes a TS_UD_HEADER for a block of <paramref name="size"/> bytes, header included.</summary>
    internal static void WriteHeader(ref PduWriter writer, UserDataType type, int size)
    {
        if (size > ushort.MaxValue)
        {
            ThrowHelper.ThrowArgument(UserDataNames.Name(type), $"a user data block is at most {ushort.MaxValue} bytes, this one is {size}");
        }

        writer.WriteUInt16Le((ushort)type);
        writer.WriteUInt16Le((ushort)size);
    }

    /// <summary>
    /// Reads a TS_UD_HEADER: a length under four or past the end is an error. On success the reader stands at
    /// the body, and <paramref name="bodyLength"/> bytes of it are there.
    /// </summary>
    internal static DecodeError? ReadHeader(ref PduReader reader, string context, out UserDataType type, out int bodyLength)
    {
        type = default;
        bodyLength = 0;
        if (reader.Ensure(HeaderSize, context) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        type = (UserDataType)reader.ReadUInt16Le();
        int length = reader.ReadUInt16Le();
        if (length < HeaderSize)
        {
            return DecodeError.InvalidField(context, $"{UserDataNames.Name(type)} length", $"{length} is shorter than the block header", start + 2, HeaderSize, length);
        }

        if (length - HeaderSize > reader.Remaining)
        {
            return DecodeError.NotEnoughBytes(context, reader.Position, length - HeaderSize, reader.Remaining);
        }

        bodyLength = length - HeaderSize;
        return null;
    }

    /// <summary>Reads the TS_UD_HEADER of a typed block: as <see cref="ReadHeader(ref PduReader, string, out UserDataType, out int)"/>, and the type must be <paramref name="expected"/>.</summary>
    internal static DecodeError? ReadHeader(ref PduReader reader, UserDataType expected, string context, out int bodyLength)
    {
        int start = reader.Position;
        if (ReadHeader(ref reader, context, out UserDataType type, out bodyLength) is { } error)
        {
            return error;
        }

        return type == expected
            ? null
            : new DecodeError(DecodeErrorKind.UnexpectedMessageType, context, "type",
                $"expected {UserDataNames.Name(expected)} (0x{(ushort)expected:x4}), got {UserDataNames.Name(type)}", start, (ushort)expected, (ushort)type);
    }

    /// <summary>
    /// Decodes a block body with <paramref name="decodeBody"/>, which sees only the body; its error offsets are
    /// moved to count from the start of the buffer the block came from.
    /// </summary>
    internal static DecodeResult<T> DecodeBody<T>(ref PduReader reader, int bodyLength, BodyDecoder<T> decodeBody)
    {
        int bodyStart = reader.Position;
        DecodeResult<T> result = decodeBody(reader.ReadBytes(bodyLength));
        return result.IsSuccess ? result : result.Error with { Offset = result.Error.Offset + bodyStart };
    }

    /// <summary>Decodes the body of one block.</summary>
    internal delegate DecodeResult<T> BodyDecoder<T>(ReadOnlySpan<byte> body);

    /// <summary>
    /// Checks the framing of concatenated blocks without consuming them (the reader is a copy): each header's
    /// length is at least four and within the data. Run before any block is decoded, so a framing fault
    /// anywhere is the one reported.
    /// </summary>
    internal static DecodeError? CheckFraming(PduReader reader, string context)
    {
        while (reader.Remaining > 0)
        {
            if (ReadHeader(ref reader, context, out _, out int bodyLength) is { } error)
            {
                return error;
            }

            reader.Skip(bodyLength);
        }

        return null;
    }

    /// <summary>The type in the header at the reader's position, which <see cref="CheckFraming"/> has checked.</summary>
    internal static UserDataType PeekType(in PduReader reader) => (UserDataType)(reader.PeekByte() | (reader.PeekByte(1) << 8));

    /// <summary>Hands a decoded block to <paramref name="value"/>, or returns why it did not decode.</summary>
    internal static DecodeError? Take<T>(DecodeResult<T> result, out T? value) where T : class
    {
        value = result.IsSuccess ? result.Value : null;
        return result.IsSuccess ? null : result.Error;
    }

    /// <summary>Keeps a block no typed field takes (an unknown type, or a repeated one) as it came.</summary>
    internal static DecodeError? Keep(DecodeResult<UserDataBlock> result, List<UserDataBlock> others)
    {
        if (!result.IsSuccess)
        {
            return result.Error;
        }

        others.Add(result.Value);
        return null;
    }
}

/// <summary>RNS_UD_CS_* earlyCapabilityFlags of Client Core Data (MS-RDPBCGR 2.2.1.3.2).</summary>
[Flags]
public enum ClientEarlyCapabilities : ushort
{
    None = 0,
    SupportErrInfoPdu = 0x0001,
    Want32BppSession = 0x0002,
    SupportStatusInfoPdu = 0x0004,
    StrongAsymmetricKeys = 0x0008,
    RelativeMouseInput = 0x0010,
    ValidConnectionType = 0x0020,
    SupportMonitorLayoutPdu = 0x0040,
    SupportNetCharAutodetect = 0x0080,
    SupportDynvcGfxProtocol = 0x0100,
    SupportDynamicTimeZone = 0x0200,
    SupportHeartbeatPdu = 0x0400,
    SupportSkipChannelJoin = 0x0800,
}

/// <summary>
/// MS-RDPBCGR 2.2.1.3.2 Client Core Data (TS_UD_CS_CORE), header included. The fields after imeFileName are
/// optional and sent in order: a null field ends the block, so every field after it must be null too.
/// </summary>
public sealed record ClientCoreData : IPdu<ClientCoreData>
{
    public const int FixedPartSize = UserDataBlock.HeaderSize + 4 /* version */ + 2 /* desktopWidth */ + 2 /* desktopHeight */ + 2 /* colorDepth */
        + 2 /* SASSequence */ + 4 /* keyboardLayout */ + 4 /* clientBuild */ + 32 /* clientName */ + 4 /* keyboardType */
        + 4 /* keyboardSubType */ + 4 /* keyboardFunctionKey */ + 64 /* imeFileName */;

    public static string PduName => "TS_UD_CS_CORE";

    public uint Version { get; init; } = 0x0008000C;
    public ushort DesktopWidth { get; init; } = 1024;
    public ushort DesktopHeight { get; init; } = 768;

    /// <summary>colorDepth: RNS_UD_COLOR_8BPP (0xCA01), the value the spec says to send.</summary>
    public ushort ColorDepth { get; init; } = 0xCA01;

    /// <summary>SASSequence: RNS_UD_SAS_DEL (0xAA03).</summary>
    public ushort SasSequence { get; init; } = 0xAA03;

    public uint KeyboardLayout { get; init; } = 0x409;
    public uint ClientBuild { get; init; } = 22621;

    /// <summary>clientName: 32 bytes, UTF-16LE, zero padded.</summary>
    public ByteString ClientName { get; init; } = FixedUtf16("rdphs", 32);

    public uint KeyboardType { get; init; } = 4;
    public uint KeyboardSubType { get; init; }
    public uint KeyboardFunctionKey { get; init; } = 12;

    /// <summary>imeFileName: 64 bytes.</summary>
    public ByteString ImeFileName { get; init; } = new(new byte[64]);

    public ushort? PostBeta2ColorDepth { get; init; } = 0xCA01;
    public ushort? ClientProductId { get; init; } = 1;
    public uint? SerialNumber { get; init; } = 0;

    /// <summary>highColorDepth: 24 bits per pixel.</summary>
    public ushort? HighColorDepth { get; init; } = 24;

    /// <summary>supportedColorDepths: RNS_UD_24BPP | 16BPP | 15BPP | 32BPP.</summary>
    public ushort? SupportedColorDepths { get; init; } = 0x000F;

    public ClientEarlyCapabilities? EarlyCapabilityFlags { get; init; } = ClientEarlyCapabilities.SupportErrInfoPdu | ClientEarlyCapabilities.ValidConnectionType | ClientEarlyCapabilities.StrongAsymmetricKeys;

    /// <summary>clientDigProductId: 64 bytes.</summary>
    public ByteString? ClientDigProductId { get; init; } = new ByteString(new byte[64]);

    /// <summary>connectionType: CONNECTION_TYPE_LAN (6) by default.</summary>
    public byte? ConnectionType { get; init; } = 6;

    public byte? Pad1Octet { get; init; } = 0;

    /// <summary>serverSelectedProtocol: must echo the RDP_NEG_RSP selectedProtocol (MS-RDPBCGR 3.2.5.3.3).</summary>
    public uint? ServerSelectedProtocol { get; init; } = 0;

    public uint? DesktopPhysicalWidth { get; init; }
    public uint? DesktopPhysicalHeight { get; init; }
    public ushort? DesktopOrientation { get; init; }
    public uint? DesktopScaleFactor { get; init; }
    public uint? DeviceScaleFactor { get; init; }

    /// <summary>The client name as text (up to the first NUL).</summary>
    public string ClientNameText => Utf16Text(ClientName.Span);

    /// <summary>Pads or cuts <paramref name="text"/> to a zero-terminated UTF-16LE field of <paramref name="size"/> bytes.</summary>
    public static ByteString FixedUtf16(string text, int size)
    {
        byte[] bytes = new byte[size];
        int chars = Math.Min(text.Length, (size / 2) - 1);
        Text.Encoding.Unicode.GetBytes(text.AsSpan(0, chars), bytes);
        return new ByteString(bytes);
    }

    /// <summary>Decodes UTF-16LE up to the first NUL character.</summary>
    public static string Utf16Text(ReadOnlySpan<byte> bytes)
    {
        string text = Text.Encoding.Unicode.GetString(bytes[..(bytes.Length & ~1)]);
        int nul = text.IndexOf('\0', StringComparison.Ordinal);
        return nul < 0 ? text : text[..nul];
    }

    private static readonly int[] OptionalSizes = [2, 2, 4, 2, 2, 2, 64, 1, 1, 4, 4, 4, 2, 4, 4];

    private object?[] Optionals => [PostBeta2ColorDepth, ClientProductId, SerialNumber, HighColorDepth, SupportedColorDepths, EarlyCapabilityFlags,
        ClientDigProductId, ConnectionType, Pad1Octet, ServerSelectedProtocol, DesktopPhysicalWidth, DesktopPhysicalHeight, DesktopOrientation, DesktopScaleFactor, DeviceScaleFactor];

    private int OptionalCount
    {
        get
        {
            object?[] values = Optionals;
            int count = 0;
            while (count < values.Length && values[count] is not null)
            {
                count++;
            }

            for (int i = count; i < values.Length; i++)
            {
                if (values[i] is not null)
                {
                    ThrowHelper.ThrowArgument(nameof(ClientCoreData), $"optional field {i} is set after a missing one: optional fields are sent in order");
                }
            }

            return count;
        }
    }

    public int Size => FixedPartSize + OptionalSizes.Take(OptionalCount).Sum();

    public void Encode(ref PduWriter writer)
    {
        if (ClientName.Length != 32 || ImeFileName.Length != 64 || ClientDigProductId is { Length: not 64 })
        {
            ThrowHelper.ThrowArgument(nameof(ClientCoreData), "clientName is 32 bytes, imeFileName and clientDigProductId 64");
        }

        UserDataBlock.WriteHeader(ref writer, UserDataType.ClientCore, Size);
        writer.WriteUInt32Le(Version);
        writer.WriteUInt16Le(DesktopWidth);
        writer.WriteUInt16Le(DesktopHeight);
        writer.WriteUInt16Le(ColorDepth);
        writer.WriteUInt16Le(SasSequence);
        writer.WriteUInt32Le(KeyboardLayout);
        writer.WriteUInt32Le(ClientBuild);
        writer.WriteBytes(ClientName.Span);
        writer.WriteUInt32Le(KeyboardType);
        writer.WriteUInt32Le(KeyboardSubType);
        writer.WriteUInt32Le(KeyboardFunctionKey);
        writer.WriteBytes(ImeFileName.Span);
        int count = OptionalCount;
        object?[] values = Optionals;
        for (int i = 0; i < count; i++)
        {
            switch (values[i])
            {
                case ushort u16:
                    writer.WriteUInt16Le(u16);
                    break;
                case ClientEarlyCapabilities flags:
                    writer.WriteUInt16Le((ushort)flags);
                    break;
                case uint u32:
                    writer.WriteUInt32Le(u32);
                    break;
                case byte u8:
                    writer.WriteByte(u8);
                    break;
                case ByteString bytes:
                    writer.WriteBytes(bytes.Span);
                    break;
            }
        }
    }

    public static DecodeResult<ClientCoreData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ClientCore, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody(ref reader, bodyLength, DecodeBody);
    }

    private static DecodeResult<ClientCoreData> DecodeBody(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(FixedPartSize - UserDataBlock.HeaderSize, PduName) is { } missing)
        {
            return missing;
        }

        var core = new ClientCoreData
        {
            Version = reader.ReadUInt32Le(),
            DesktopWidth = reader.ReadUInt16Le(),
            DesktopHeight = reader.ReadUInt16Le(),
            ColorDepth = reader.ReadUInt16Le(),
            SasSequence = reader.ReadUInt16Le(),
            KeyboardLayout = reader.ReadUInt32Le(),
            ClientBuild = reader.ReadUInt32Le(),
            ClientName = new ByteString(reader.ReadBytes(32)),
            KeyboardType = reader.ReadUInt32Le(),
            KeyboardSubType = reader.ReadUInt32Le(),
            KeyboardFunctionKey = reader.ReadUInt32Le(),
            ImeFileName = new ByteString(reader.ReadBytes(64)),
            PostBeta2ColorDepth = null,
            ClientProductId = null,
            SerialNumber = null,
            HighColorDepth = null,
            SupportedColorDepths = null,
            EarlyCapabilityFlags = null,
            ClientDigProductId = null,
            ConnectionType = null,
            Pad1Octet = null,
            ServerSelectedProtocol = null,
        };

        // Each optional field is present only if the block is long enough for it (MS-RDPBCGR 2.2.1.3.2).
        if (!Fits(ref reader, 2, out DecodeError? error)) { return Done(core, error, reader); }
        core = core with { PostBeta2ColorDepth = reader.ReadUInt16Le() };
        if (!Fits(ref reader, 2, out error)) { return Done(core, error, reader); }
        core = core with { ClientProductId = reader.ReadUInt16Le() };
        if (!Fits(ref reader, 4, out error)) { return Done(core, error, reader); }
        core = core with { SerialNumber = reader.ReadUInt32Le() };
        if (!Fits(ref reader, 2, out error)) { return Done(core, error, reader); }
        core = core with { HighColorDepth = reader.ReadUInt16Le() };
        if (!Fits(ref reader, 2, out error)) { return Done(core, error, reader); }
        core = core with { SupportedColorDepths = reader.ReadUInt16Le() };
        if (!Fits(ref reader, 2, out error)) { return Done(core, error, reader); }
        core = core with { EarlyCapabilityFlags = (ClientEarlyCapabilities)reader.ReadUInt16Le() };
        if (!Fits(ref reader, 64, out error)) { return Done(core, error, reader); }
        core = core with { ClientDigProductId = new ByteString(reader.ReadBytes(64)) };
        if (!Fits(ref reader, 1, out error)) { return Done(core, error, reader); }
        core = core with { ConnectionType = reader.ReadByte() };
        if (!Fits(ref reader, 1, out error)) { return Done(core, error, reader); }
        core = core with { Pad1Octet = reader.ReadByte() };
        if (!Fits(ref reader, 4, out error)) { return Done(core, error, reader); }
        core = core with { ServerSelectedProtocol = reader.ReadUInt32Le() };
        if (!Fits(ref reader, 4, out error)) { return Done(core, error, reader); }
        core = core with { DesktopPhysicalWidth = reader.ReadUInt32Le() };
        if (!Fits(ref reader, 4, out error)) { return Done(core, error, reader); }
        core = core with { DesktopPhysicalHeight = reader.ReadUInt32Le() };
        if (!Fits(ref reader, 2, out error)) { return Done(core, error, reader); }
        core = core with { DesktopOrientation = reader.ReadUInt16Le() };
        if (!Fits(ref reader, 4, out error)) { return Done(core, error, reader); }
        core = core with { DesktopScaleFactor = reader.ReadUInt32Le() };
        if (!Fits(ref reader, 4, out error)) { return Done(core, error, reader); }
        core = core with { DeviceScaleFactor = reader.ReadUInt32Le() };
        return Done(core, null, reader);
    }

    private static bool Fits(ref PduReader reader, int size, out DecodeError? error)
    {
        error = reader.Remaining is > 0 and var r && r < size
            ? DecodeError.InvalidField(PduName, "optional field", $"the block ends {r} byte(s) into a {size}-byte field", reader.Position, size, r)
            : null;
        return reader.Remaining >= size;
    }

    private static DecodeResult<ClientCoreData> Done(ClientCoreData core, DecodeError? error, PduReader reader)
    {
        if (error is { } e)
        {
            return e;
        }

        return reader.Remaining == 0 ? core : DecodeError.Trailing(PduName, reader.Position, reader.Remaining);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.3.3 Client Security Data (TS_UD_CS_SEC), header included: the encryption methods the
/// client supports (0 with TLS). Bytes after extEncryptionMethods are ignored.
/// </summary>
public sealed record ClientSecurityData(uint EncryptionMethods, uint ExtEncryptionMethods) : IPdu<ClientSecurityData>
{
    public const int FixedPartSize = UserDataBlock.HeaderSize + 4 /* encryptionMethods */ + 4 /* extEncryptionMethods */;

    public static string PduName => "TS_UD_CS_SEC";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        UserDataBlock.WriteHeader(ref writer, UserDataType.ClientSecurity, Size);
        writer.WriteUInt32Le(EncryptionMethods);
        writer.WriteUInt32Le(ExtEncryptionMethods);
    }

    public static DecodeResult<ClientSecurityData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ClientSecurity, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody<ClientSecurityData>(ref reader, bodyLength, static body =>
        {
            var reader = new PduReader(body);
            if (reader.Ensure(FixedPartSize - UserDataBlock.HeaderSize, PduName) is { } missing)
            {
                return missing;
            }

            return new ClientSecurityData(reader.ReadUInt32Le(), reader.ReadUInt32Le());
        });
    }
}

/// <summary>CHANNEL_DEF (MS-RDPBCGR 2.2.1.3.4.1): an eight-byte ANSI name and CHANNEL_OPTION flags.</summary>
public readonly record struct ChannelDefinition(string Name, uint Options)
{
    public const int Size = 8 /* name */ + 4 /* options */;

    /// <summary>CHANNEL_OPTION_INITIALIZED: set by clients on every channel they define.</summary>
    public const uint OptionInitialized = 0x80000000;
}

/// <summary>
/// MS-RDPBCGR 2.2.1.3.4 Client Network Data (TS_UD_CS_NET), header included: the static virtual channels the
/// client asks for (31 at most). Bytes after the channel definitions are ignored.
/// </summary>
public sealed record ClientNetworkData(IReadOnlyList<ChannelDefinition> Channels) : IPdu<ClientNetworkData>
{
    public const int MaxChannels = 31;

    public static string PduName => "TS_UD_CS_NET";

    public int Size => UserDataBlock.HeaderSize + 4 /* channelCount */ + (Channels.Count * ChannelDefinition.Size);

    public void Encode(ref PduWriter writer)
    {
        UserDataBlock.WriteHeader(ref writer, UserDataType.ClientNetwork, Size);
        writer.WriteUInt32Le((uint)Channels.Count);
        Span<byte> name = stackalloc byte[8];
        foreach (ChannelDefinition channel in Channels)
        {
            name.Clear();
            Text.Encoding.ASCII.GetBytes(channel.Name.AsSpan(0, Math.Min(channel.Name.Length, 7)), name);
            writer.WriteBytes(name);
            writer.WriteUInt32Le(channel.Options);
        }
    }

    public static DecodeResult<ClientNetworkData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ClientNetwork, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody(ref reader, bodyLength, DecodeBody);
    }

    private static DecodeResult<ClientNetworkData> DecodeBody(ReadOnlySpan<byte> body)
    {
        const string context = "TS_UD_CS_NET";
        var reader = new PduReader(body);
        if (reader.Ensure(4, context) is { } missing)
        {
            return missing;
        }

        uint count = reader.ReadUInt32Le();
        if (count > MaxChannels)
        {
            return DecodeError.InvalidField(context, "channelCount", $"{count} is more than the {MaxChannels} channels allowed", 0, MaxChannels, count);
        }

        if (reader.Ensure((int)count * ChannelDefinition.Size, context) is { } missingChannels)
        {
            return missingChannels;
        }

        var channels = new List<ChannelDefinition>((int)count);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> raw = reader.ReadBytes(8);
            int nul = raw.IndexOf((byte)0);
            channels.Add(new ChannelDefinition(Text.Encoding.ASCII.GetString(nul < 0 ? raw : raw[..nul]), reader.ReadUInt32Le()));
        }

        return new ClientNetworkData(channels);
    }

    public bool Equals(ClientNetworkData? other) => other is not null && Channels.SequenceEqual(other.Channels);

    public override int GetHashCode() => Channels.Count;
}

/// <summary>
/// MS-RDPBCGR 2.2.1.3.5 Client Cluster Data (TS_UD_CS_CLUSTER), header included. Bytes after
/// RedirectedSessionID are ignored.
/// </summary>
public sealed record ClientClusterData(uint Flags, uint RedirectedSessionId) : IPdu<ClientClusterData>
{
    /// <summary>REDIRECTION_SUPPORTED with ServerSessionRedirectionVersionMask = REDIRECTION_VERSION6 (5 &lt;&lt; 2).</summary>
    public const uint DefaultFlags = 0x01 | (0x05 << 2);

    public const int FixedPartSize = UserDataBlock.HeaderSize + 4 /* Flags */ + 4 /* RedirectedSessionID */;

    public static string PduName => "TS_UD_CS_CLUSTER";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        UserDataBlock.WriteHeader(ref writer, UserDataType.ClientCluster, Size);
        writer.WriteUInt32Le(Flags);
        writer.WriteUInt32Le(RedirectedSessionId);
    }

    public static DecodeResult<ClientClusterData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ClientCluster, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody<ClientClusterData>(ref reader, bodyLength, static body =>
        {
            var reader = new PduReader(body);
            if (reader.Ensure(FixedPartSize - UserDataBlock.HeaderSize, PduName) is { } missing)
            {
                return missing;
            }

            return new ClientClusterData(reader.ReadUInt32Le(), reader.ReadUInt32Le());
        });
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.4.2 Server Core Data (TS_UD_SC_CORE), header included; the last two fields are optional
/// (earlyCapabilityFlags is written only after clientRequestedProtocols).
/// </summary>
public sealed record ServerCoreData(uint Version, uint? ClientRequestedProtocols, uint? EarlyCapabilityFlags) : IPdu<ServerCoreData>
{
    public static string PduName => "TS_UD_SC_CORE";

    public int Size
    {
        get
        {
            if (ClientRequestedProtocols is null && EarlyCapabilityFlags is not null)
            {
                ThrowHelper.ThrowArgument(nameof(ServerCoreData), "earlyCapabilityFlags is set without clientRequestedProtocols: optional fields are sent in order");
            }

            return UserDataBlock.HeaderSize + 4 /* version */ + (ClientRequestedProtocols is null ? 0 : 4 /* clientRequestedProtocols */)
                + (EarlyCapabilityFlags is null ? 0 : 4 /* earlyCapabilityFlags */);
        }
    }

    public void Encode(ref PduWriter writer)
    {
        UserDataBlock.WriteHeader(ref writer, UserDataType.ServerCore, Size);
        writer.WriteUInt32Le(Version);
        if (ClientRequestedProtocols is { } requested)
        {
            writer.WriteUInt32Le(requested);
            if (EarlyCapabilityFlags is { } flags)
            {
                writer.WriteUInt32Le(flags);
            }
        }
    }

    public static DecodeResult<ServerCoreData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ServerCore, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody<ServerCoreData>(ref reader, bodyLength, static body =>
        {
            var reader = new PduReader(body);
            if (reader.Ensure(4, PduName) is { } missing)
            {
                return missing;
            }

            uint version = reader.ReadUInt32Le();
            uint? requested = reader.Remaining >= 4 ? reader.ReadUInt32Le() : null;
            uint? flags = reader.Remaining >= 4 ? reader.ReadUInt32Le() : null;
            return reader.Remaining == 0 ? new ServerCoreData(version, requested, flags) : DecodeError.Trailing(PduName, reader.Position, reader.Remaining);
        });
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.4.3 Server Security Data (TS_UD_SC_SEC1), header included: the encryption method and
/// level the server chose and, for Standard RDP Security, its 32-byte random and certificate (kept as bytes
/// here; see the security decoders).
/// </summary>
public sealed record ServerSecurityData(uint EncryptionMethod, uint EncryptionLevel, ByteString ServerRandom, ByteString ServerCertificate) : IPdu<ServerSecurityData>
{
    public static string PduName => "TS_UD_SC_SEC1";

    /// <summary>The size of serverRandom whenever it is present.</summary>
    public const int ServerRandomSize = 32;

    public int Size => UserDataBlock.HeaderSize + 4 /* encryptionMethod */ + 4 /* encryptionLevel */
        + (ServerRandom.IsEmpty && ServerCertificate.IsEmpty ? 0 : 4 /* serverRandomLen */ + 4 /* serverCertLen */ + ServerRandom.Length + ServerCertificate.Length);

    public void Encode(ref PduWriter writer)
    {
        UserDataBlock.WriteHeader(ref writer, UserDataType.ServerSecurity, Size);
        writer.WriteUInt32Le(EncryptionMethod);
        writer.WriteUInt32Le(EncryptionLevel);
        if (!ServerRandom.IsEmpty || !ServerCertificate.IsEmpty)
        {
            writer.WriteUInt32Le((uint)ServerRandom.Length);
            writer.WriteUInt32Le((uint)ServerCertificate.Length);
            writer.WriteBytes(ServerRandom.Span);
            writer.WriteBytes(ServerCertificate.Span);
        }
    }

    public static DecodeResult<ServerSecurityData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ServerSecurity, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody(ref reader, bodyLength, DecodeBody);
    }

    private static DecodeResult<ServerSecurityData> DecodeBody(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(8, PduName) is { } missing)
        {
            return missing;
        }

        uint method = reader.ReadUInt32Le();
        uint level = reader.ReadUInt32Le();
        if (reader.Remaining == 0)
        {
            return new ServerSecurityData(method, level, ByteString.Empty, ByteString.Empty);
        }

        if (reader.Ensure(8, PduName) is { } missingLengths)
        {
            return missingLengths;
        }

        int lengthsAt = reader.Position;
        uint randomLength = reader.ReadUInt32Le();
        uint certificateLength = reader.ReadUInt32Le();
        if (randomLength != ServerRandomSize && !(randomLength == 0 && certificateLength == 0))
        {
            return DecodeError.InvalidField(PduName, "serverRandomLen", $"must be {ServerRandomSize}, got {randomLength}", lengthsAt, ServerRandomSize, randomLength);
        }

        if ((long)randomLength + certificateLength != reader.Remaining)
        {
            return DecodeError.InvalidField(PduName, "serverCertLen", $"{randomLength} + {certificateLength} bytes announced, {reader.Remaining} present", lengthsAt + 4, reader.Remaining, (long)randomLength + certificateLength);
        }

        return new ServerSecurityData(method, level, new ByteString(reader.ReadBytes((int)randomLength)), new ByteString(reader.ReadBytes((int)certificateLength)));
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.4.4 Server Network Data (TS_UD_SC_NET), header included: the I/O channel and the IDs given
/// to the requested channels.
/// </summary>
public sealed record ServerNetworkData(ushort McsChannelId, IReadOnlyList<ushort> ChannelIds) : IPdu<ServerNetworkData>
{
    public static string PduName => "TS_UD_SC_NET";

    public int Size => UserDataBlock.HeaderSize + 2 /* MCSChannelId */ + 2 /* channelCount */ + (2 * ChannelIds.Count) + (ChannelIds.Count % 2 == 1 ? 2 : 0);

    public void Encode(ref PduWriter writer)
    {
        UserDataBlock.WriteHeader(ref writer, UserDataType.ServerNetwork, Size);
        writer.WriteUInt16Le(McsChannelId);
        writer.WriteUInt16Le((ushort)ChannelIds.Count);
        foreach (ushort id in ChannelIds)
        {
            writer.WriteUInt16Le(id);
        }

        if (ChannelIds.Count % 2 == 1)
        {
            writer.WriteUInt16Le(0);
        }
    }

    public static DecodeResult<ServerNetworkData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ServerNetwork, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody(ref reader, bodyLength, DecodeBody);
    }

    private static DecodeResult<ServerNetworkData> DecodeBody(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        ushort io = reader.ReadUInt16Le();
        ushort count = reader.ReadUInt16Le();
        if (count > ClientNetworkData.MaxChannels)
        {
            return DecodeError.InvalidField(PduName, "channelCount", $"{count} is more than the {ClientNetworkData.MaxChannels} channels allowed", 2, ClientNetworkData.MaxChannels, count);
        }

        if (reader.Ensure(2 * count, PduName) is { } missingIds)
        {
            return missingIds;
        }

        var ids = new List<ushort>(count);
        for (int i = 0; i < count; i++)
        {
            ids.Add(reader.ReadUInt16Le());
        }

        // The Pad field (two bytes when channelCount is odd) is optional in practice: xrdp omits it.
        if (reader.Remaining is not 0 and not 2)
        {
            return DecodeError.Trailing(PduName, reader.Position, reader.Remaining);
        }

        return new ServerNetworkData(io, ids);
    }

    public bool Equals(ServerNetworkData? other) => other is not null && McsChannelId == other.McsChannelId && ChannelIds.SequenceEqual(other.ChannelIds);

    public override int GetHashCode() => McsChannelId;
}

/// <summary>
/// MS-RDPBCGR 2.2.1.4.5 Server Message Channel Data (TS_UD_SC_MCS_MSGCHANNEL), header included: the message
/// channel's MCS ID. Bytes after MCSChannelID are ignored.
/// </summary>
public sealed record ServerMessageChannelData(ushort MessageChannelId) : IPdu<ServerMessageChannelData>
{
    public const int FixedPartSize = UserDataBlock.HeaderSize + 2 /* MCSChannelID */;

    public static string PduName => "TS_UD_SC_MCS_MSGCHANNEL";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        UserDataBlock.WriteHeader(ref writer, UserDataType.ServerMessageChannel, Size);
        writer.WriteUInt16Le(MessageChannelId);
    }

    public static DecodeResult<ServerMessageChannelData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ServerMessageChannel, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody<ServerMessageChannelData>(ref reader, bodyLength, static body =>
        {
            var reader = new PduReader(body);
            return reader.Ensure(FixedPartSize - UserDataBlock.HeaderSize, PduName) is { } missing ? missing : new ServerMessageChannelData(reader.ReadUInt16Le());
        });
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.4.6 Server Multitransport Channel Data (TS_UD_SC_MULTITRANSPORT), header included: the UDP
/// transports the server offers. Bytes after flags are ignored.
/// </summary>
public sealed record ServerMultitransportData(uint Flags) : IPdu<ServerMultitransportData>
{
    public const int FixedPartSize = UserDataBlock.HeaderSize + 4 /* flags */;

    public static string PduName => "TS_UD_SC_MULTITRANSPORT";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        UserDataBlock.WriteHeader(ref writer, UserDataType.ServerMultitransport, Size);
        writer.WriteUInt32Le(Flags);
    }

    public static DecodeResult<ServerMultitransportData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.ReadHeader(ref reader, UserDataType.ServerMultitransport, PduName, out int bodyLength) is { } headerError)
        {
            return headerError;
        }

        return UserDataBlock.DecodeBody<ServerMultitransportData>(ref reader, bodyLength, static body =>
        {
            var reader = new PduReader(body);
            return reader.Ensure(FixedPartSize - UserDataBlock.HeaderSize, PduName) is { } missing ? missing : new ServerMultitransportData(reader.ReadUInt32Le());
        });
    }
}
