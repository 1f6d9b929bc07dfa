using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>
/// MS-RDPBCGR 2.2.1.11.1.1.1 Extended Info Packet (TS_EXTENDED_INFO_PACKET), the <c>extraInfo</c> of a
/// TS_INFO_PACKET. Its strings follow the INFO_UNICODE flag of the enclosing packet; <c>cbClientAddress</c> and
/// <c>cbClientDir</c> include the null terminator (a count of 0, which some clients send, is kept as <c>null</c>).
/// </summary>
/// <remarks>
/// The fields after <c>clientDir</c> are optional and cumulative: each is present only when all before it are.
/// INVARIANT: <see cref="Encode"/> writes the optional fields in order up to the first <c>null</c> and ignores the
/// rest, and <see cref="SizeFor"/> counts exactly the same fields.
/// </remarks>
/// <param name="ClientAddressFamily">AF_INET or AF_INET6 (kept raw).</param>
/// <param name="ClientAddress">Textual client IP address, or null for <c>cbClientAddress</c> = 0.</param>
/// <param name="ClientDir">Directory of the client's RDP component, or null for <c>cbClientDir</c> = 0.</param>
/// <param name="ClientTimeZone">The 172-byte TS_TIME_ZONE_INFORMATION.</param>
/// <param name="ClientSessionId">Unused by servers; clients send 0.</param>
/// <param name="PerformanceFlags">Desktop features to disable or enable.</param>
/// <param name="AutoReconnectCookie">
/// The ARC_CS_PRIVATE_PACKET (28 bytes), <see cref="ByteString.Empty"/> for <c>cbAutoReconnectCookie</c> = 0,
/// null when the count is absent.
/// </param>
/// <param name="Reserved1">reserved1 (2 bytes).</param>
/// <param name="Reserved2">reserved2 (2 bytes).</param>
/// <param name="DynamicDstTimeZoneKeyName">The time zone key name (UTF-16LE, no terminator, at most 254 bytes).</param>
/// <param name="DynamicDaylightTimeDisabled">1 when dynamic daylight saving time is disabled.</param>
public sealed record ExtendedInfoPacket(
    ClientAddressFamily ClientAddressFamily,
    string? ClientAddress,
    string? ClientDir,
    TimeZoneInformation? ClientTimeZone = null,
    uint? ClientSessionId = null,
    PerformanceFlags? PerformanceFlags = null,
    ByteString? AutoReconnectCookie = null,
    ushort? Reserved1 = null,
    ushort? Reserved2 = null,
    string? DynamicDstTimeZoneKeyName = null,
    ushort? DynamicDaylightTimeDisabled = null)
{
    public const string PduName = "TS_EXTENDED_INFO_PACKET";

    /// <summary>The length of an ARC_CS_PRIVATE_PACKET, the only non-zero <c>cbAutoReconnectCookie</c>.</summary>
    public const int AutoReconnectCookieLength = 4 /* cbLen */ + 4 /* Version */ + 4 /* LogonId */ + 16 /* SecurityVerifier */;

    /// <summary>MS-RDPBCGR 2.2.1.11.1.1.1: at most 254 bytes of <c>dynamicDSTTimeZoneKeyName</c>.</summary>
    public const int MaxDynamicDstTimeZoneKeyNameLength = 254;

    public int SizeFor(bool unicode)
    {
        int terminator = unicode ? 2 : 1;
        int size = 2 /* clientAddressFamily */ + 2 /* cbClientAddress */
            + (ClientAddress is null ? 0 : RdpText.ByteCount(ClientAddress, unicode) + terminator)
            + 2 /* cbClientDir */
            + (ClientDir is null ? 0 : RdpText.ByteCount(ClientDir, unicode) + terminator);
        if (ClientTimeZone is null)
        {
            return size;
        }

        size += TimeZoneInformation.FixedPartSize;
        if (ClientSessionId is null)
        {
            return size;
        }

        size += 4 /* clientSessionId */;
        if (PerformanceFlags is null)
        {
            return size;
        }

        size += 4 /* performanceFlags */;
        if (AutoReconnectCookie is not { } cookie)
        {
            return size;
        }

        size += 2 /* cbAutoReconnectCookie */ + cookie.Length;
        if (Reserved1 is null)
        {
            return size;
        }

        size += 2 /* reserved1 */;
        if (Reserved2 is null)
        {
            return size;
        }

        size += 2 /* reserved2 */;
        if (DynamicDstTimeZoneKeyName is null)
        {
            return size;
        }

        size += 2 /* cbDynamicDSTTimeZoneKeyName */ + 2 * DynamicDstTimeZoneKeyName.Length;
        return DynamicDaylightTimeDisabled is null ? size : size + 2 /* dynamicDaylightTimeDisabled */;
    }

    public void Encode(ref PduWriter writer, bool unicode)
    {
        writer.WriteUInt16Le((ushort)ClientAddressFamily);
        WriteCountedTerminated(ref writer, ClientAddress, unicode, "ClientAddress");
        WriteCountedTerminated(ref writer, ClientDir, unicode, "ClientDir");
        if (ClientTimeZone is null)
        {
            return;
        }

        ClientTimeZone.Encode(ref writer);
        if (ClientSessionId is not { } sessionId)
        {
            return;
        }

        writer.WriteUInt32Le(sessionId);
        if (PerformanceFlags is not { } performance)
        {
            return;
        }

        writer.WriteUInt32Le((uint)performance);
        if (AutoReconnectCookie is not { } cookie)
        {
            return;
        }

        if (cookie.Length is not (0 or AutoReconnectCookieLength))
        {
            ThrowHelper.ThrowArgument(nameof(AutoReconnectCookie), $"an auto-reconnect cookie is {AutoReconnectCookieLength} bytes or empty");
        }

        writer.WriteUInt16Le((ushort)cookie.Length);
        writer.WriteBytes(cookie.Span);
        if (Reserved1 is not { } reserved1)
        {
            return;
        }

        writer.WriteUInt16Le(reserved1);
        if (Reserved2 is not { } reserved2)
        {
            return;
        }

        writer.WriteUInt16Le(reserved2);
        if (DynamicDstTimeZoneKeyName is not { } keyName)
        {
            return;
        }

        if (2 * keyName.Length > MaxDynamicDstTimeZoneKeyNameLength)
        {
            ThrowHelper.ThrowArgument(nameof(DynamicDstTimeZoneKeyName), $"longer than {MaxDynamicDstTimeZoneKeyNameLength} bytes");
        }

        writer.WriteUInt16Le((ushort)(2 * keyName.Length));
        RdpText.Write(ref writer, keyName, unicode: true);
        if (DynamicDaylightTimeDisabled is { } disabled)
        {
            writer.WriteUInt16Le(disabled);
        }
    }

    public static DecodeResult<ExtendedInfoPacket> Decode(ref PduReader reader, bool unicode)
    {
        if (reader.Ensure(2 /* clientAddressFamily */ + 2 /* cbClientAddress */, PduName) is { } missing)
        {
            return missing;
        }

        var family = (ClientAddressFamily)reader.ReadUInt16Le();
        DecodeResult<string?> address = ReadCountedTerminated(ref reader, unicode, "clientAddress");
        if (!address.IsSuccess)
        {
            return address.Error;
        }

        if (reader.Ensure(2 /* cbClientDir */, PduName) is { } noDir)
        {
            return noDir;
        }

        DecodeResult<string?> dir = ReadCountedTerminated(ref reader, unicode, "clientDir");
        if (!dir.IsSuccess)
        {
            return dir.Error;
        }

        var packet = new ExtendedInfoPacket(family, address.Value, dir.Value);

        // Each optional field is read only when bytes remain; a field cut short is an error, not an absence.
        if (reader.Remaining == 0)
        {
            return packet;
        }

        DecodeResult<TimeZoneInformation> timeZone = TimeZoneInformation.Decode(ref reader);
        if (!timeZone.IsSuccess)
        {
            return timeZone.Error;
        }

        packet = packet with { ClientTimeZone = timeZone.Value };
        if (reader.Remaining == 0)
        {
            return packet;
        }

        if (reader.Ensure(4 /* clientSessionId */, PduName) is { } noSession)
        {
            return noSession;
        }

        packet = packet with { ClientSessionId = reader.ReadUInt32Le() };
        if (reader.Remaining == 0)
        {
            return packet;
        }

        if (reader.Ensure(4 /* performanceFlags */, PduName) is { } noPerformance)
        {
            return noPerformance;
        }

        packet = packet with { PerformanceFlags = (PerformanceFlags)reader.ReadUInt32Le() };
        if (reader.Remaining == 0)
        {
            return packet;
        }

        if (reader.Ensure(2 /* cbAutoReconnectCookie */, PduName) is { } noCookieLength)
        {
            return noCookieLength;
        }

        int cookieAt = reader.Position;
        int cookieLength = reader.ReadUInt16Le();
        if (cookieLength is not (0 or AutoReconnectCookieLength))
        {
            return DecodeError.InvalidField(PduName, "cbAutoReconnectCookie", $"must be 0 or {AutoReconnectCookieLength}", cookieAt, AutoReconnectCookieLength, cookieLength);
        }

        if (reader.Ensure(cookieLength, PduName) is { } noCookie)
        {
            return noCookie;
        }

        packet = packet with { AutoReconnectCookie = new ByteString(reader.ReadBytes(cookieLength)) };
        if (reader.Remaining == 0)
        {
            return packet;
        }

        if (reader.Ensure(2 /* reserved1 */, PduName) is { } noReserved1)
        {
            return noReserved1;
        }

        packet = packet with { Reserved1 = reader.ReadUInt16Le() };
        if (reader.Remaining == 0)
        {
            return packet;
        }

        if (reader.Ensure(2 /* reserved2 */, PduName) is { } noReserved2)
        {
            return noReserved2;
        }

        packet = packet with { Reserved2 = reader.ReadUInt16Le() };
        if (reader.Remaining == 0)
        {
            return packet;
        }

        if (reader.Ensure(2 /* cbDynamicDSTTimeZoneKeyName */, PduName) is { } noKeyLength)
        {
            return noKeyLength;
        }

        int keyAt = reader.Position;
        int keyLength = reader.ReadUInt16Le();
        if (keyLength % 2 != 0 || MaxDynamicDstTimeZoneKeyNameLength < keyLength)
        {
            return DecodeError.InvalidField(PduName, "cbDynamicDSTTimeZoneKeyName",
                $"must be even and at most {MaxDynamicDstTimeZoneKeyNameLength}", keyAt, MaxDynamicDstTimeZoneKeyNameLength, keyLength);
        }

        if (reader.Ensure(keyLength, PduName) is { } noKey)
        {
            return noKey;
        }

        packet = packet with { DynamicDstTimeZoneKeyName = RdpText.DecodeUtf16(reader.ReadBytes(keyLength)) };
        if (reader.Remaining == 0)
        {
            return packet;
        }

        if (reader.Ensure(2 /* dynamicDaylightTimeDisabled */, PduName) is { } noDisabled)
        {
            return noDisabled;
        }

        return packet with { DynamicDaylightTimeDisabled = reader.ReadUInt16Le() };
    }

    private static void WriteCountedTerminated(ref PduWriter writer, string? text, bool unicode, string field)
    {
        if (text is null)
        {
            writer.WriteUInt16Le(0);
            return;
        }

        if (!RdpText.Fits(text, unicode))
        {
            ThrowHelper.ThrowArgument(field, $"{field} has characters that do not fit the ANSI encoding");
        }

        int count = RdpText.ByteCount(text, unicode) + (unicode ? 2 : 1);
        if (ushort.MaxValue < count)
        {
            ThrowHelper.ThrowArgument(field, $"{field} is longer than a 16-bit byte count allows");
        }

        writer.WriteUInt16Le((ushort)count);
        RdpText.Write(ref writer, text, unicode);
        writer.WriteZeros(unicode ? 2 : 1);
    }

    private static DecodeResult<string?> ReadCountedTerminated(ref PduReader reader, bool unicode, string field)
    {
        int at = reader.Position;
        int count = reader.ReadUInt16Le();
        if (count == 0)
        {
            return DecodeResult<string?>.Success(null);
        }

        int terminator = unicode ? 2 : 1;
        if (count < terminator)
        {
            return DecodeError.InvalidField(PduName, $"cb{char.ToUpperInvariant(field[0])}{field[1..]}", "smaller than the null terminator", at, terminator, count);
        }

        if (reader.Ensure(count, PduName) is { } missing)
        {
            return missing;
        }

        DecodeResult<string> text = ClientInfoPacket.ReadTerminated(ref reader, count - terminator, unicode, field);
        return text.IsSuccess
            ? DecodeResult<string?>.Success(text.Value)
            : text.Error with { Context = PduName };
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.11.1.1.1.1 Time Zone Information (TS_TIME_ZONE_INFORMATION), 172 bytes. The names are
/// 32 UTF-16 code units each, zero-padded; they are decoded with trailing NULs trimmed, so any bytes after a
/// NUL survive a decode/encode round trip.
/// </summary>
/// <param name="Bias">Minutes added to local time to get UTC.</param>
/// <param name="StandardName">Description of standard time, e.g. "Pacific Standard Time" (at most 32 characters).</param>
/// <param name="StandardDate">When daylight saving time ends.</param>
/// <param name="StandardBias">Bias added during standard time.</param>
/// <param name="DaylightName">Description of daylight saving time (at most 32 characters).</param>
/// <param name="DaylightDate">When daylight saving time starts.</param>
/// <param name="DaylightBias">Bias added during daylight saving time.</param>
public sealed record TimeZoneInformation(
    int Bias,
    string StandardName,
    SystemTime StandardDate,
    int StandardBias,
    string DaylightName,
    SystemTime DaylightDate,
    int DaylightBias) : IPdu<TimeZoneInformation>
{
    /// <summary>Bytes of each name field (32 UTF-16 code units).</summary>
    public const int NameSize = 64;

    public const int FixedPartSize = 4 /* Bias */ + NameSize /* StandardName */ + SystemTime.FixedPartSize /* StandardDate */
        + 4 /* StandardBias */ + NameSize /* DaylightName */ + SystemTime.FixedPartSize /* DaylightDate */ + 4 /* DaylightBias */;

    public static string PduName => "TS_TIME_ZONE_INFORMATION";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le((uint)Bias);
        WriteName(ref writer, StandardName, nameof(StandardName));
        StandardDate.Encode(ref writer);
        writer.WriteUInt32Le((uint)StandardBias);
        WriteName(ref writer, DaylightName, nameof(DaylightName));
        DaylightDate.Encode(ref writer);
        writer.WriteUInt32Le((uint)DaylightBias);
    }

    public static DecodeResult<TimeZoneInformation> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int bias = (int)reader.ReadUInt32Le();
        string standardName = ReadName(ref reader);
        SystemTime standardDate = SystemTime.Read(ref reader);
        int standardBias = (int)reader.ReadUInt32Le();
        string daylightName = ReadName(ref reader);
        SystemTime daylightDate = SystemTime.Read(ref reader);
        int daylightBias = (int)reader.ReadUInt32Le();
        return new TimeZoneInformation(bias, standardName, standardDate, standardBias, daylightName, daylightDate, daylightBias);
    }

    private static string ReadName(ref PduReader reader) => RdpText.DecodeUtf16(reader.ReadBytes(NameSize)).TrimEnd('\0');

    private static void WriteName(ref PduWriter writer, string name, string field)
    {
        if (NameSize / 2 < name.Length)
        {
            ThrowHelper.ThrowArgument(field, $"{field} is longer than {NameSize / 2} characters");
        }

        RdpText.Write(ref writer, name, unicode: true);
        writer.WriteZeros(NameSize - 2 * name.Length);
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.1.11.1.1.1.2 System Time (TS_SYSTEMTIME). In a time zone, <see cref="Year"/> 0 means a
/// recurring date: <see cref="Day"/> is then the week of the month (1–5, 5 being the last).
/// </summary>
public readonly record struct SystemTime(
    ushort Year,
    ushort Month,
    ushort DayOfWeek,
    ushort Day,
    ushort Hour,
    ushort Minute,
    ushort Second,
    ushort Milliseconds)
{
    public const int FixedPartSize = 2 /* wYear */ + 2 /* wMonth */ + 2 /* wDayOfWeek */ + 2 /* wDay */
        + 2 /* wHour */ + 2 /* wMinute */ + 2 /* wSecond */ + 2 /* wMilliseconds */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(Year);
        writer.WriteUInt16Le(Month);
        writer.WriteUInt16Le(DayOfWeek);
        writer.WriteUInt16Le(Day);
        writer.WriteUInt16Le(Hour);
        writer.WriteUInt16Le(Minute);
        writer.WriteUInt16Le(Second);
        writer.WriteUInt16Le(Milliseconds);
    }

    /// <summary>Reads the 16 bytes; the caller checked they are there.</summary>
    internal static SystemTime Read(ref PduReader reader) => new(
        reader.ReadUInt16Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le(),
        reader.ReadUInt16Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le(), reader.ReadUInt16Le());
}
