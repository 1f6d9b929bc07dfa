using Text = System.Text;
using RdpHandshake.Protocol.Encoding;

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

/// <summary>One TS_UD_HEADER-framed block: its type and body (the bytes after the four-byte header).</summary>
public readonly record struct UserDataBlock(UserDataType Type, ByteString Body)
{
    public const int HeaderSize = 2 /* type */ + 2 /* length */;

    public int Size => HeaderSize + Body.Length;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)Type);
        writer.WriteUInt16Le((ushort)Size);
        writer.WriteBytes(Body.Span);
    }

    /// <summary>Writes one block's body.</summary>
    public delegate void BodyWriter(ref PduWriter writer);

    /// <summary>A block of <paramref name="type"/> whose body <paramref name="write"/> fills.</summary>
    public static UserDataBlock Write(UserDataType type, int size, BodyWriter write)
    {
        byte[] body = new byte[size];
        var writer = new PduWriter(body);
        write(ref writer);
        return new UserDataBlock(type, new ByteString(body));
    }

    /// <summary>The blocks one after another, each with its TS_UD_HEADER.</summary>
    public static byte[] EncodeAll(IReadOnlyList<UserDataBlock> blocks)
    {
        byte[] bytes = new byte[blocks.Sum(b => b.Size)];
        var writer = new PduWriter(bytes);
        foreach (UserDataBlock block in blocks)
        {
            block.Encode(ref writer);
        }

        return bytes;
    }

    /// <summary>Hands a decoded block body to <paramref name="value"/>, or returns why it did not decode.</summary>
    internal static DecodeError? Take<T>(DecodeResult<T> result, out T? value) where T : class
    {
        value = result.IsSuccess ? result.Value : null;
        return result.IsSuccess ? null : result.Error;
    }

    /// <summary>Keeps a block no typed field takes (an unknown type, or a repeated one) as it came.</summary>
    internal static DecodeError? Keep(UserDataBlock block, List<UserDataBlock> others)
    {
        others.Add(block);
        return null;
    }

    /// <summary>Splits concatenated user data blocks; a length under four or past the end is an error.</summary>
    public static DecodeResult<List<UserDataBlock>> DecodeAll(ReadOnlySpan<byte> bytes, string context)
    {
        var reader = new PduReader(bytes);
        var blocks = new List<UserDataBlock>();
        while (reader.Remaining > 0)
        {
            if (reader.Ensure(HeaderSize, context) is { } missing)
            {
                return missing;
            }

            int start = reader.Position;
            var type = (UserDataType)reader.ReadUInt16Le();
            int length = reader.ReadUInt16Le();
            if (length < HeaderSize)
            {
                return DecodeError.InvalidField(context, $"{UserDataNames.Name(type)} length", $"{length} is shorter than the block header", start + 2, HeaderSize, length);
            }

            if (length - HeaderSize > reader.Remaining)
            {
                return DecodeError.NotEnoughBytes(context, reader.Position, length - HeaderSize, reader.Remaining);
            }

            blocks.Add(new UserDataBlock(type, new ByteString(reader.ReadBytes(length - HeaderSize))));
        }

        return blocks;
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
/// TS_UD_CS_CORE (MS-RDPBCGR 2.2.1.3.2). The fields after imeFileName are optional and sent in order: a
/// null field ends the block, so every field after it must be null too.
/// </summary>
public sealed record ClientCoreData
{
    public const int FixedPartSize = 4 /* version */ + 2 /* desktopWidth */ + 2 /* desktopHeight */ + 2 /* colorDepth */
        + 2 /* SASSequence */ + 4 /* keyboardLayout */ + 4 /* clientBuild */ + 32 /* clientName */ + 4 /* keyboardType */
        + 4 /* keyboardSubType */ + 4 /* keyboardFunctionKey */ + 64 /* imeFileName */;

    public const string Context = "TS_UD_CS_CORE";

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

    public static DecodeResult<ClientCoreData> Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(FixedPartSize, Context) is { } missing)
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
            ? DecodeError.InvalidField(Context, "optional field", $"the block ends {r} byte(s) into a {size}-byte field", reader.Position, size, r)
            : null;
        return reader.Remaining >= size;
    }

    private static DecodeResult<ClientCoreData> Done(ClientCoreData core, DecodeError? error, PduReader reader)
    {
        if (error is { } e)
        {
            return e;
        }

        return reader.Remaining == 0 ? core : DecodeError.Trailing(Context, reader.Position, reader.Remaining);
    }
}

/// <summary>TS_UD_CS_SEC (MS-RDPBCGR 2.2.1.3.3): the encryption methods the client supports (0 with TLS).</summary>
public sealed record ClientSecurityData(uint EncryptionMethods, uint ExtEncryptionMethods)
{
    public const int FixedPartSize = 4 /* encryptionMethods */ + 4 /* extEncryptionMethods */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(EncryptionMethods);
        writer.WriteUInt32Le(ExtEncryptionMethods);
    }

    public static DecodeResult<ClientSecurityData> Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(FixedPartSize, "TS_UD_CS_SEC") is { } missing)
        {
            return missing;
        }

        return new ClientSecurityData(reader.ReadUInt32Le(), reader.ReadUInt32Le());
    }
}

/// <summary>CHANNEL_DEF (MS-RDPBCGR 2.2.1.3.4.1): an eight-byte ANSI name and CHANNEL_OPTION flags.</summary>
public readonly record struct ChannelDefinition(string Name, uint Options)
{
    public const int Size = 8 /* name */ + 4 /* options */;

    /// <summary>CHANNEL_OPTION_INITIALIZED: set by clients on every channel they define.</summary>
    public const uint OptionInitialized = 0x80000000;
}

/// <summary>TS_UD_CS_NET (MS-RDPBCGR 2.2.1.3.4): the static virtual channels the client asks for (31 at most).</summary>
public sealed record ClientNetworkData(IReadOnlyList<ChannelDefinition> Channels)
{
    public const int MaxChannels = 31;

    public int Size => 4 /* channelCount */ + (Channels.Count * ChannelDefinition.Size);

    public void Encode(ref PduWriter writer)
    {
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

    public static DecodeResult<ClientNetworkData> Decode(ReadOnlySpan<byte> body)
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

/// <summary>TS_UD_CS_CLUSTER (MS-RDPBCGR 2.2.1.3.5).</summary>
public sealed record ClientClusterData(uint Flags, uint RedirectedSessionId)
{
    /// <summary>REDIRECTION_SUPPORTED with ServerSessionRedirectionVersionMask = REDIRECTION_VERSION6 (5 &lt;&lt; 2).</summary>
    public const uint DefaultFlags = 0x01 | (0x05 << 2);

    public const int FixedPartSize = 4 /* Flags */ + 4 /* RedirectedSessionID */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le(Flags);
        writer.WriteUInt32Le(RedirectedSessionId);
    }

    public static DecodeResult<ClientClusterData> Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(FixedPartSize, "TS_UD_CS_CLUSTER") is { } missing)
        {
            return missing;
        }

        return new ClientClusterData(reader.ReadUInt32Le(), reader.ReadUInt32Le());
    }
}

/// <summary>TS_UD_SC_CORE (MS-RDPBCGR 2.2.1.4.2); the last two fields are optional.</summary>
public sealed record ServerCoreData(uint Version, uint? ClientRequestedProtocols, uint? EarlyCapabilityFlags)
{
    public const string Context = "TS_UD_SC_CORE";

    public int Size => 4 + (ClientRequestedProtocols is null ? 0 : 4) + (EarlyCapabilityFlags is null ? 0 : 4);

    public void Encode(ref PduWriter writer)
    {
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

    public static DecodeResult<ServerCoreData> Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(4, Context) is { } missing)
        {
            return missing;
        }

        uint version = reader.ReadUInt32Le();
        uint? requested = reader.Remaining >= 4 ? reader.ReadUInt32Le() : null;
        uint? flags = reader.Remaining >= 4 ? reader.ReadUInt32Le() : null;
        return reader.Remaining == 0 ? new ServerCoreData(version, requested, flags) : DecodeError.Trailing(Context, reader.Position, reader.Remaining);
    }
}

/// <summary>
/// TS_UD_SC_SEC1 (MS-RDPBCGR 2.2.1.4.3): the encryption method and level the server chose and, for Standard
/// RDP Security, its 32-byte random and certificate (kept as bytes here; see the security decoders).
/// </summary>
public sealed record ServerSecurityData(uint EncryptionMethod, uint EncryptionLevel, ByteString ServerRandom, ByteString ServerCertificate)
{
    public const string Context = "TS_UD_SC_SEC1";

    /// <summary>The size of serverRandom whenever it is present.</summary>
    public const int ServerRandomSize = 32;

    public int Size => 4 /* encryptionMethod */ + 4 /* encryptionLevel */
        + (ServerRandom.IsEmpty && ServerCertificate.IsEmpty ? 0 : 4 /* serverRandomLen */ + 4 /* serverCertLen */ + ServerRandom.Length + ServerCertificate.Length);

    public void Encode(ref PduWriter writer)
    {
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

    public static DecodeResult<ServerSecurityData> Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(8, Context) is { } missing)
        {
            return missing;
        }

        uint method = reader.ReadUInt32Le();
        uint level = reader.ReadUInt32Le();
        if (reader.Remaining == 0)
        {
            return new ServerSecurityData(method, level, ByteString.Empty, ByteString.Empty);
        }

        if (reader.Ensure(8, Context) is { } missingLengths)
        {
            return missingLengths;
        }

        int lengthsAt = reader.Position;
        uint randomLength = reader.ReadUInt32Le();
        uint certificateLength = reader.ReadUInt32Le();
        if (randomLength != ServerRandomSize && !(randomLength == 0 && certificateLength == 0))
        {
            return DecodeError.InvalidField(Context, "serverRandomLen", $"must be {ServerRandomSize}, got {randomLength}", lengthsAt, ServerRandomSize, randomLength);
        }

        if ((long)randomLength + certificateLength != reader.Remaining)
        {
            return DecodeError.InvalidField(Context, "serverCertLen", $"{randomLength} + {certificateLength} bytes announced, {reader.Remaining} present", lengthsAt + 4, reader.Remaining, (long)randomLength + certificateLength);
        }

        return new ServerSecurityData(method, level, new ByteString(reader.ReadBytes((int)randomLength)), new ByteString(reader.ReadBytes((int)certificateLength)));
    }
}

/// <summary>TS_UD_SC_NET (MS-RDPBCGR 2.2.1.4.4): the I/O channel and the IDs given to the requested channels.</summary>
public sealed record ServerNetworkData(ushort McsChannelId, IReadOnlyList<ushort> ChannelIds)
{
    public const string Context = "TS_UD_SC_NET";

    public int Size => 2 /* MCSChannelId */ + 2 /* channelCount */ + (2 * ChannelIds.Count) + (ChannelIds.Count % 2 == 1 ? 2 : 0);

    public void Encode(ref PduWriter writer)
    {
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

    public static DecodeResult<ServerNetworkData> Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        if (reader.Ensure(4, Context) is { } missing)
        {
            return missing;
        }

        ushort io = reader.ReadUInt16Le();
        ushort count = reader.ReadUInt16Le();
        if (count > ClientNetworkData.MaxChannels)
        {
            return DecodeError.InvalidField(Context, "channelCount", $"{count} is more than the {ClientNetworkData.MaxChannels} channels allowed", 2, ClientNetworkData.MaxChannels, count);
        }

        if (reader.Ensure(2 * count, Context) is { } missingIds)
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
            return DecodeError.Trailing(Context, reader.Position, reader.Remaining);
        }

        return new ServerNetworkData(io, ids);
    }

    public bool Equals(ServerNetworkData? other) => other is not null && McsChannelId == other.McsChannelId && ChannelIds.SequenceEqual(other.ChannelIds);

    public override int GetHashCode() => McsChannelId;
}

/// <summary>TS_UD_SC_MCS_MSGCHANNEL (MS-RDPBCGR 2.2.1.4.5): the message channel's MCS ID.</summary>
public sealed record ServerMessageChannelData(ushort MessageChannelId)
{
    public static DecodeResult<ServerMessageChannelData> Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        return reader.Ensure(2, "TS_UD_SC_MCS_MSGCHANNEL") is { } missing ? missing : new ServerMessageChannelData(reader.ReadUInt16Le());
    }
}

/// <summary>TS_UD_SC_MULTITRANSPORT (MS-RDPBCGR 2.2.1.4.6): the UDP transports the server offers.</summary>
public sealed record ServerMultitransportData(uint Flags)
{
    public static DecodeResult<ServerMultitransportData> Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PduReader(body);
        return reader.Ensure(4, "TS_UD_SC_MULTITRANSPORT") is { } missing ? missing : new ServerMultitransportData(reader.ReadUInt32Le());
    }
}
