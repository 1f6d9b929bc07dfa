using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>
/// MS-RDPBCGR 2.2.1.11.1.1 Info Packet (TS_INFO_PACKET): the <c>infoPacket</c> of the Client Info PDU, i.e. the
/// bytes after the security header (decrypted, under Standard RDP Security).
/// </summary>
/// <remarks>
/// Strings are UTF-16LE when <see cref="ClientInfoFlags.Unicode"/> is set and single-byte "ANSI" otherwise; each
/// <c>cb*</c> count excludes the mandatory null terminator. ANSI text is kept byte for byte (each byte is the
/// character of the same value), so the code page is the reader's business. The password is held as its wire
/// bytes in an array the caller owns and clears, and is never printed: <see cref="ToString"/> shows <c>***</c>.
/// </remarks>
/// <param name="CodePage">ANSI code page without INFO_UNICODE; otherwise the active input locale identifier.</param>
/// <param name="Flags">The flags, including the CompressionTypeMask bits.</param>
/// <param name="Domain">Logon domain.</param>
/// <param name="UserName">User name.</param>
/// <param name="Password">
/// The password's wire bytes (UTF-16LE or ANSI, per <see cref="ClientInfoFlags.Unicode"/>) without terminator.
/// The array is not copied: clear it with <c>CryptographicOperations.ZeroMemory</c> once the PDU is encoded.
/// </param>
/// <param name="AlternateShell">Program to start instead of the shell (or a RemoteApp's name).</param>
/// <param name="WorkingDir">Working directory of <paramref name="AlternateShell"/>.</param>
/// <param name="ExtraInfo">The TS_EXTENDED_INFO_PACKET, absent only from RDP 4.0 clients.</param>
public sealed record ClientInfoPacket(
    uint CodePage,
    ClientInfoFlags Flags,
    string Domain,
    string UserName,
    byte[] Password,
    string AlternateShell,
    string WorkingDir,
    ExtendedInfoPacket? ExtraInfo = null) : IPdu<ClientInfoPacket>
{
    public const int FixedPartSize = 4 /* CodePage */ + 4 /* flags */ + 2 /* cbDomain */ + 2 /* cbUserName */
        + 2 /* cbPassword */ + 2 /* cbAlternateShell */ + 2 /* cbWorkingDir */;

    /// <summary>Bit position of the compression type inside <see cref="Flags"/>.</summary>
    public const int CompressionTypeShift = 9;

    public static string PduName => "TS_INFO_PACKET";

    /// <summary>True when the strings are UTF-16LE.</summary>
    public bool IsUnicode => (Flags & ClientInfoFlags.Unicode) != 0;

    /// <summary>The compression type of the CompressionTypeMask bits (meaningful with INFO_COMPRESSION).</summary>
    public PacketCompressionType CompressionType =>
        (PacketCompressionType)(((uint)Flags & (uint)ClientInfoFlags.CompressionTypeMask) >> CompressionTypeShift);

    /// <summary>Flags with the compression type bits set to <paramref name="type"/>.</summary>
    public static ClientInfoFlags WithCompression(ClientInfoFlags flags, PacketCompressionType type) =>
        (flags & ~ClientInfoFlags.CompressionTypeMask) | ClientInfoFlags.Compression | (ClientInfoFlags)((uint)type << CompressionTypeShift);

    /// <summary>The UTF-16LE bytes of <paramref name="password"/>, in a new array for <see cref="Password"/>.</summary>
    public static byte[] UnicodePassword(ReadOnlySpan<char> password)
    {
        byte[] bytes = new byte[2 * password.Length];
        for (int i = 0; i < password.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), password[i]);
        }

        return bytes;
    }

    private int Terminator => IsUnicode ? 2 : 1;

    public int Size =>
        FixedPartSize
        + RdpText.ByteCount(Domain, IsUnicode) + RdpText.ByteCount(UserName, IsUnicode) + Password.Length
        + RdpText.ByteCount(AlternateShell, IsUnicode) + RdpText.ByteCount(WorkingDir, IsUnicode)
        + 5 * Terminator
        + (ExtraInfo?.SizeFor(IsUnicode) ?? 0);

    public void Encode(ref PduWriter writer)
    {
        bool unicode = IsUnicode;
        writer.WriteUInt32Le(CodePage);
        writer.WriteUInt32Le((uint)Flags);
        writer.WriteUInt16Le(CountOf(Domain, unicode, "Domain"));
        writer.WriteUInt16Le(CountOf(UserName, unicode, "UserName"));
        writer.WriteUInt16Le(Password.Length <= ushort.MaxValue ? (ushort)Password.Length : TooLong("Password"));
        writer.WriteUInt16Le(CountOf(AlternateShell, unicode, "AlternateShell"));
        writer.WriteUInt16Le(CountOf(WorkingDir, unicode, "WorkingDir"));
        WriteTerminated(ref writer, Domain, unicode);
        WriteTerminated(ref writer, UserName, unicode);
        writer.WriteBytes(Password);
        writer.WriteZeros(Terminator);
        WriteTerminated(ref writer, AlternateShell, unicode);
        WriteTerminated(ref writer, WorkingDir, unicode);
        ExtraInfo?.Encode(ref writer, unicode);
    }

    public static DecodeResult<ClientInfoPacket> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        uint codePage = reader.ReadUInt32Le();
        var flags = (ClientInfoFlags)reader.ReadUInt32Le();
        bool unicode = (flags & ClientInfoFlags.Unicode) != 0;
        int terminator = unicode ? 2 : 1;
        int cbDomain = reader.ReadUInt16Le();
        int cbUserName = reader.ReadUInt16Le();
        int cbPassword = reader.ReadUInt16Le();
        int cbAlternateShell = reader.ReadUInt16Le();
        int cbWorkingDir = reader.ReadUInt16Le();

        // INVARIANT: five 16-bit counts plus terminators cannot overflow an int, and all of them are checked
        // against the remaining bytes before any string is read or allocated.
        int strings = cbDomain + cbUserName + cbPassword + cbAlternateShell + cbWorkingDir + 5 * terminator;
        if (reader.Ensure(strings, PduName) is { } shortStrings)
        {
            return shortStrings;
        }

        DecodeResult<string> domain = ReadTerminated(ref reader, cbDomain, unicode, "Domain");
        if (!domain.IsSuccess)
        {
            return domain.Error;
        }

        DecodeResult<string> userName = ReadTerminated(ref reader, cbUserName, unicode, "UserName");
        if (!userName.IsSuccess)
        {
            return userName.Error;
        }

        int passwordAt = reader.Position;
        byte[] password = reader.ReadBytes(cbPassword).ToArray();
        if (reader.ReadBytes(terminator).ContainsAnyExcept((byte)0))
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
            return DecodeError.InvalidField(PduName, "Password", "not null-terminated", passwordAt + cbPassword);
        }

        DecodeResult<string> shell = ReadTerminated(ref reader, cbAlternateShell, unicode, "AlternateShell");
        DecodeResult<string> workingDir = shell.IsSuccess ? ReadTerminated(ref reader, cbWorkingDir, unicode, "WorkingDir") : default;
        if (!shell.IsSuccess || !workingDir.IsSuccess)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
            return shell.IsSuccess ? workingDir.Error : shell.Error;
        }

        ExtendedInfoPacket? extra = null;
        if (reader.Remaining > 0)
        {
            DecodeResult<ExtendedInfoPacket> decoded = ExtendedInfoPacket.Decode(ref reader, unicode);
            if (!decoded.IsSuccess)
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
                return decoded.Error;
            }

            extra = decoded.Value;
        }

        return new ClientInfoPacket(codePage, flags, domain.Value!, userName.Value!, password, shell.Value!, workingDir.Value!, extra);
    }

    /// <summary>Compares every field, the password by content (the record default would compare the array reference).</summary>
    public bool Equals(ClientInfoPacket? other) =>
        other is not null
        && CodePage == other.CodePage
        && Flags == other.Flags
        && Domain == other.Domain
        && UserName == other.UserName
        && Password.AsSpan().SequenceEqual(other.Password)
        && AlternateShell == other.AlternateShell
        && WorkingDir == other.WorkingDir
        && Equals(ExtraInfo, other.ExtraInfo);

    public override int GetHashCode() => HashCode.Combine(CodePage, Flags, Domain, UserName, Password.Length, AlternateShell, WorkingDir, ExtraInfo);

    // The password is never printed, whatever prints the record (logs, test failures, debugger displays).
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"CodePage = {CodePage}, Flags = {Flags}, Domain = {Domain}, UserName = {UserName}, Password = ***, ");
        builder.Append($"AlternateShell = {AlternateShell}, WorkingDir = {WorkingDir}, ExtraInfo = {ExtraInfo}");
        return true;
    }

    private static ushort CountOf(string text, bool unicode, string field)
    {
        if (!RdpText.Fits(text, unicode))
        {
            ThrowHelper.ThrowArgument(field, $"{field} has characters that do not fit the ANSI encoding");
        }

        int count = RdpText.ByteCount(text, unicode);
        return count <= ushort.MaxValue ? (ushort)count : TooLong(field);
    }

    private static ushort TooLong(string field)
    {
        ThrowHelper.ThrowArgument(field, $"{field} is longer than a 16-bit byte count allows");
        return 0;
    }

    private static void WriteTerminated(ref PduWriter writer, string text, bool unicode)
    {
        RdpText.Write(ref writer, text, unicode);
        writer.WriteZeros(unicode ? 2 : 1);
    }

    /// <summary>Reads <paramref name="count"/> bytes of text and the terminator that follows; the caller checked both fit.</summary>
    internal static DecodeResult<string> ReadTerminated(ref PduReader reader, int count, bool unicode, string field)
    {
        int at = reader.Position;
        if (unicode && count % 2 != 0)
        {
            return DecodeError.InvalidField(PduName, field, $"odd byte count {count} for UTF-16 text", at, null, count);
        }

        string text = RdpText.Decode(reader.ReadBytes(count), unicode);
        if (reader.ReadBytes(unicode ? 2 : 1).ContainsAnyExcept((byte)0))
        {
            return DecodeError.InvalidField(PduName, field, "not null-terminated", at + count);
        }

        return text;
    }
}
