using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.10.1.1 <c>infoType</c> of a Save Session Info PDU.</summary>
public enum SaveSessionInfoType : uint
{
    /// <summary>INFOTYPE_LOGON: TS_LOGON_INFO follows.</summary>
    Logon = 0x00000000,

    /// <summary>INFOTYPE_LOGON_LONG: TS_LOGON_INFO_VERSION_2 follows.</summary>
    LogonLong = 0x00000001,

    /// <summary>INFOTYPE_LOGON_PLAINNOTIFY: TS_PLAIN_NOTIFY follows.</summary>
    LogonPlainNotify = 0x00000002,

    /// <summary>INFOTYPE_LOGON_EXTENDED_INFO: TS_LOGON_INFO_EXTENDED follows.</summary>
    LogonExtendedInfo = 0x00000003,
}

/// <summary>The <c>infoData</c> of a Save Session Info PDU.</summary>
public abstract record SessionInfoData
{
    public abstract SaveSessionInfoType InfoType { get; }

    public abstract int Size { get; }

    public abstract void Encode(ref PduWriter writer);

    internal static string Utf16(ReadOnlySpan<byte> bytes)
    {
        string text = System.Text.Encoding.Unicode.GetString(bytes[..(bytes.Length & ~1)]);
        return text.TrimEnd('\0');
    }

    internal static byte[] Utf16Z(string text) => System.Text.Encoding.Unicode.GetBytes(text + "\0");
}

/// <summary>MS-RDPBCGR 2.2.10.1.1.1 Logon Info Version 1 (TS_LOGON_INFO): fixed 52-byte domain and 512-byte user name fields.</summary>
public sealed record LogonInfoV1(string Domain, string UserName, uint SessionId) : SessionInfoData
{
    public const int DomainFieldSize = 52;

    public const int UserNameFieldSize = 512;

    public const int FixedPartSize = 4 /* cbDomain */ + DomainFieldSize /* Domain */ + 4 /* cbUserName */ + UserNameFieldSize /* UserName */ + 4 /* SessionId */;

    public const string PduName = "TS_LOGON_INFO";

    public override SaveSessionInfoType InfoType => SaveSessionInfoType.Logon;

    public override int Size => FixedPartSize;

    public override void Encode(ref PduWriter writer)
    {
        WriteFixed(ref writer, Domain, DomainFieldSize);
        WriteFixed(ref writer, UserName, UserNameFieldSize);
        writer.WriteUInt32Le(SessionId);
    }

    private static void WriteFixed(ref PduWriter writer, string text, int size)
    {
        byte[] bytes = Utf16Z(text);
        if (!(bytes.Length <= size))
        {
            ThrowHelper.ThrowArgument(nameof(text), $"'{text}' does not fit in {size} bytes with its terminator");
        }

        writer.WriteUInt32Le((uint)bytes.Length);
        writer.WriteBytes(bytes);
        writer.WriteZeros(size - bytes.Length);
    }

    internal static DecodeResult<LogonInfoV1> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int at = reader.Position;
        uint cbDomain = reader.ReadUInt32Le();
        ReadOnlySpan<byte> domain = reader.ReadBytes(DomainFieldSize);
        uint cbUser = reader.ReadUInt32Le();
        ReadOnlySpan<byte> user = reader.ReadBytes(UserNameFieldSize);
        uint session = reader.ReadUInt32Le();
        if (!(cbDomain <= DomainFieldSize))
        {
            return DecodeError.InvalidField(PduName, "cbDomain", "longer than the 52-byte Domain field", at, DomainFieldSize, cbDomain);
        }

        if (!(cbUser <= UserNameFieldSize))
        {
            return DecodeError.InvalidField(PduName, "cbUserName", "longer than the 512-byte UserName field", at + 56, UserNameFieldSize, cbUser);
        }

        return new LogonInfoV1(Utf16(domain[..(int)cbDomain]), Utf16(user[..(int)cbUser]), session);
    }
}

/// <summary>MS-RDPBCGR 2.2.10.1.1.2 Logon Info Version 2 (TS_LOGON_INFO_VERSION_2): variable-length domain and user name after 558 pad bytes.</summary>
public sealed record LogonInfoV2(string Domain, string UserName, uint SessionId, ushort Version = LogonInfoV2.SaveSessionPduVersionOne) : SessionInfoData
{
    /// <summary>SAVE_SESSION_PDU_VERSION_ONE.</summary>
    public const ushort SaveSessionPduVersionOne = 0x0001;

    public const int HeaderSize = 2 /* Version */ + 4 /* Size */ + 4 /* SessionId */ + 4 /* cbDomain */ + 4 /* cbUserName */;

    public const int PadSize = 558;

    public const string PduName = "TS_LOGON_INFO_VERSION_2";

    public override SaveSessionInfoType InfoType => SaveSessionInfoType.LogonLong;

    public override int Size => HeaderSize + PadSize + Utf16Z(Domain).Length + Utf16Z(UserName).Length;

    public override void Encode(ref PduWriter writer)
    {
        byte[] domain = Utf16Z(Domain);
        byte[] user = Utf16Z(UserName);
        writer.WriteUInt16Le(Version);
        writer.WriteUInt32Le(HeaderSize);
        writer.WriteUInt32Le(SessionId);
        writer.WriteUInt32Le((uint)domain.Length);
        writer.WriteUInt32Le((uint)user.Length);
        writer.WriteZeros(PadSize);
        writer.WriteBytes(domain);
        writer.WriteBytes(user);
    }

    internal static DecodeResult<LogonInfoV2> Decode(ref PduReader reader)
    {
        if (reader.Ensure(HeaderSize + PadSize, PduName) is { } missing)
        {
            return missing;
        }

        int at = reader.Position;
        ushort version = reader.ReadUInt16Le();
        uint size = reader.ReadUInt32Le();
        uint session = reader.ReadUInt32Le();
        uint cbDomain = reader.ReadUInt32Le();
        uint cbUser = reader.ReadUInt32Le();
        reader.Skip(PadSize);
        if (size != HeaderSize)
        {
            return DecodeError.InvalidField(PduName, "Size", $"expected {HeaderSize}", at + 2, HeaderSize, size);
        }

        if (!((long)cbDomain + cbUser <= reader.Remaining))
        {
            return DecodeError.InvalidField(PduName, "cbDomain", "domain and user name longer than the PDU", at + 10, reader.Remaining, (long)cbDomain + cbUser);
        }

        string domain = Utf16(reader.ReadBytes((int)cbDomain));
        string user = Utf16(reader.ReadBytes((int)cbUser));
        return new LogonInfoV2(domain, user, session, version);
    }
}

/// <summary>MS-RDPBCGR 2.2.10.1.1.3 Plain Notify (TS_PLAIN_NOTIFY): 576 pad bytes.</summary>
public sealed record PlainNotify : SessionInfoData
{
    public const int PadSize = 576;

    public const string PduName = "TS_PLAIN_NOTIFY";

    public override SaveSessionInfoType InfoType => SaveSessionInfoType.LogonPlainNotify;

    public override int Size => PadSize;

    public override void Encode(ref PduWriter writer) => writer.WriteZeros(PadSize);

    internal static DecodeResult<PlainNotify> Decode(ref PduReader reader)
    {
        if (reader.Ensure(PadSize, PduName) is { } missing)
        {
            return missing;
        }

        reader.Skip(PadSize);
        return new PlainNotify();
    }
}

/// <summary>MS-RDPBCGR 2.2.4.2 Server Auto-Reconnect Packet (ARC_SC_PRIVATE_PACKET).</summary>
public sealed record ServerAutoReconnect(uint LogonId, ByteString ArcRandomBits, uint Version = 1)
{
    public const int Size = 4 /* cbLen */ + 4 /* Version */ + 4 /* LogonId */ + 16 /* ArcRandomBits */;
}

/// <summary>MS-RDPBCGR 2.2.10.1.1.4.1.1 Logon Errors Info (TS_LOGON_ERRORS_INFO).</summary>
public sealed record LogonErrorsInfo(uint ErrorNotificationType, uint ErrorNotificationData)
{
    public const int Size = 4 /* ErrorNotificationType */ + 4 /* ErrorNotificationData */;

    /// <summary>The LOGON_MSG_* name of <see cref="ErrorNotificationType"/>.</summary>
    public string TypeName => ErrorNotificationType switch
    {
        0xFFFFFFF9 => "LOGON_MSG_DISCONNECT_REFUSED",
        0xFFFFFFFA => "LOGON_MSG_NO_PERMISSION",
        0xFFFFFFFB => "LOGON_MSG_BUMP_OPTIONS",
        0xFFFFFFFC => "LOGON_MSG_RECONNECT_OPTIONS",
        0xFFFFFFFD => "LOGON_MSG_SESSION_TERMINATE",
        0xFFFFFFFE => "LOGON_MSG_SESSION_CONTINUE",
        _ => $"0x{ErrorNotificationType:x8}",
    };

    /// <summary>
    /// The LOGON_FAILED_* / LOGON_WARNING name of <see cref="ErrorNotificationData"/>; for other values the data
    /// is a session ID (e.g. with LOGON_MSG_BUMP_OPTIONS).
    /// </summary>
    public string DataName => ErrorNotificationData switch
    {
        0x00000000 => "LOGON_FAILED_BAD_PASSWORD",
        0x00000001 => "LOGON_FAILED_UPDATE_PASSWORD",
        0x00000002 => "LOGON_FAILED_OTHER",
        0x00000003 => "LOGON_WARNING",
        _ => $"session {ErrorNotificationData}",
    };
}

/// <summary>MS-RDPBCGR 2.2.10.1.1.4 Logon Info Extended (TS_LOGON_INFO_EXTENDED).</summary>
/// <param name="AutoReconnect">Present with LOGON_EX_AUTORECONNECTCOOKIE.</param>
/// <param name="LogonErrors">Present with LOGON_EX_LOGONERRORS.</param>
public sealed record LogonInfoExtended(ServerAutoReconnect? AutoReconnect, LogonErrorsInfo? LogonErrors) : SessionInfoData
{
    /// <summary>LOGON_EX_AUTORECONNECTCOOKIE.</summary>
    public const uint LogonExAutoReconnectCookie = 0x00000001;

    /// <summary>LOGON_EX_LOGONERRORS.</summary>
    public const uint LogonExLogonErrors = 0x00000002;

    public const int HeaderSize = 2 /* Length */ + 4 /* FieldsPresent */;

    public const int PadSize = 570;

    public const string PduName = "TS_LOGON_INFO_EXTENDED";

    public override SaveSessionInfoType InfoType => SaveSessionInfoType.LogonExtendedInfo;

    public uint FieldsPresent => (AutoReconnect is null ? 0 : LogonExAutoReconnectCookie) | (LogonErrors is null ? 0 : LogonExLogonErrors);

    /// <summary>The <c>Length</c> field: the structure without its 570 pad bytes.</summary>
    public int Length => HeaderSize + (AutoReconnect is null ? 0 : 4 /* cbFieldData */ + ServerAutoReconnect.Size)
        + (LogonErrors is null ? 0 : 4 /* cbFieldData */ + LogonErrorsInfo.Size);

    public override int Size => Length + PadSize;

    public override void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)Length);
        writer.WriteUInt32Le(FieldsPresent);
        if (AutoReconnect is { } arc)
        {
            if (arc.ArcRandomBits.Length != 16)
            {
                ThrowHelper.ThrowArgument(nameof(AutoReconnect), "ArcRandomBits is 16 bytes");
            }

            writer.WriteUInt32Le(ServerAutoReconnect.Size);
            writer.WriteUInt32Le(ServerAutoReconnect.Size);
            writer.WriteUInt32Le(arc.Version);
            writer.WriteUInt32Le(arc.LogonId);
            writer.WriteBytes(arc.ArcRandomBits.Span);
        }

        if (LogonErrors is { } errors)
        {
            writer.WriteUInt32Le(LogonErrorsInfo.Size);
            writer.WriteUInt32Le(errors.ErrorNotificationType);
            writer.WriteUInt32Le(errors.ErrorNotificationData);
        }

        writer.WriteZeros(PadSize);
    }

    internal static DecodeResult<LogonInfoExtended> Decode(ref PduReader reader)
    {
        if (reader.Ensure(HeaderSize, PduName) is { } missing)
        {
            return missing;
        }

        int at = reader.Position;
        ushort length = reader.ReadUInt16Le();
        uint present = reader.ReadUInt32Le();
        if ((present & ~(LogonExAutoReconnectCookie | LogonExLogonErrors)) != 0)
        {
            return DecodeError.InvalidField(PduName, "FieldsPresent", $"unknown flags 0x{present:x}", at + 2, null, present);
        }

        ServerAutoReconnect? arc = null;
        LogonErrorsInfo? errors = null;
        if ((present & LogonExAutoReconnectCookie) != 0)
        {
            if (ReadFieldLength(ref reader, ServerAutoReconnect.Size, "ARC_SC_PRIVATE_PACKET") is { } error)
            {
                return error;
            }

            uint cbLen = reader.ReadUInt32Le();
            if (cbLen != ServerAutoReconnect.Size)
            {
                return DecodeError.InvalidField(PduName, "ARC_SC_PRIVATE_PACKET.cbLen", $"expected {ServerAutoReconnect.Size}", reader.Position - 4, ServerAutoReconnect.Size, cbLen);
            }

            uint version = reader.ReadUInt32Le();
            uint logonId = reader.ReadUInt32Le();
            arc = new ServerAutoReconnect(logonId, new ByteString(reader.ReadBytes(16)), version);
        }

        if ((present & LogonExLogonErrors) != 0)
        {
            if (ReadFieldLength(ref reader, LogonErrorsInfo.Size, "TS_LOGON_ERRORS_INFO") is { } error)
            {
                return error;
            }

            errors = new LogonErrorsInfo(reader.ReadUInt32Le(), reader.ReadUInt32Le());
        }

        var info = new LogonInfoExtended(arc, errors);
        if (length != info.Length)
        {
            return DecodeError.InvalidField(PduName, "Length", "does not match the fields present", at, info.Length, length);
        }

        if (reader.Ensure(PadSize, PduName) is { } noPad)
        {
            return noPad;
        }

        reader.Skip(PadSize);
        return info;
    }

    private static DecodeError? ReadFieldLength(ref PduReader reader, int expected, string field)
    {
        if (reader.Ensure(4 /* cbFieldData */ + expected, PduName) is { } missing)
        {
            return missing;
        }

        uint cb = reader.ReadUInt32Le();
        return cb == expected
            ? null
            : DecodeError.InvalidField(PduName, $"{field} cbFieldData", $"expected {expected}", reader.Position - 4, expected, cb);
    }
}

/// <summary>An <c>infoType</c> this library does not know, kept as bytes.</summary>
public sealed record UnknownSessionInfo(SaveSessionInfoType Type, ByteString Bytes) : SessionInfoData
{
    public override SaveSessionInfoType InfoType => Type;

    public override int Size => Bytes.Length;

    public override void Encode(ref PduWriter writer) => writer.WriteBytes(Bytes.Span);
}

/// <summary>
/// MS-RDPBCGR 2.2.10.1.1 Save Session Info PDU Data (TS_SAVE_SESSION_INFO_PDU_DATA): the server's logon
/// notification, or (INFOTYPE_LOGON_EXTENDED_INFO) an auto-reconnect cookie and logon errors.
/// </summary>
public sealed record SaveSessionInfoPdu(SessionInfoData InfoData) : ShareDataBody, IPdu<SaveSessionInfoPdu>
{
    public static string PduName => "TS_SAVE_SESSION_INFO_PDU_DATA";

    public override PduType2 PduType2 => PduType2.SaveSessionInfo;

    public SaveSessionInfoType InfoType => InfoData.InfoType;

    public override int Size => 4 /* infoType */ + InfoData.Size;

    public string InfoTypeName => InfoType switch
    {
        SaveSessionInfoType.Logon => "INFOTYPE_LOGON",
        SaveSessionInfoType.LogonLong => "INFOTYPE_LOGON_LONG",
        SaveSessionInfoType.LogonPlainNotify => "INFOTYPE_LOGON_PLAINNOTIFY",
        SaveSessionInfoType.LogonExtendedInfo => "INFOTYPE_LOGON_EXTENDED_INFO",
        _ => $"infoType 0x{(uint)InfoType:x}",
    };

    public override void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le((uint)InfoData.InfoType);
        InfoData.Encode(ref writer);
    }

    public static DecodeResult<SaveSessionInfoPdu> Decode(ref PduReader reader)
    {
        if (reader.Ensure(4, PduName) is { } missing)
        {
            return missing;
        }

        var type = (SaveSessionInfoType)reader.ReadUInt32Le();
        var data = new PduReader(reader.RemainingSpan);
        DecodeResult<SessionInfoData> decoded = type switch
        {
            SaveSessionInfoType.Logon => Up(LogonInfoV1.Decode(ref data)),
            SaveSessionInfoType.LogonLong => Up(LogonInfoV2.Decode(ref data)),
            SaveSessionInfoType.LogonPlainNotify => Up(PlainNotify.Decode(ref data)),
            SaveSessionInfoType.LogonExtendedInfo => Up(LogonInfoExtended.Decode(ref data)),
            _ => new UnknownSessionInfo(type, new ByteString(data.ReadBytes(data.Remaining))),
        };
        if (!decoded.IsSuccess)
        {
            return ShareWire.Shift(decoded.Error, PduName, reader.Position);
        }

        reader.Skip(data.Position);
        return new SaveSessionInfoPdu(decoded.Value);
    }

    private static DecodeResult<SessionInfoData> Up<T>(DecodeResult<T> result) where T : SessionInfoData =>
        result.IsSuccess ? result.Value! : DecodeResult<SessionInfoData>.Failure(result.Error);
}
