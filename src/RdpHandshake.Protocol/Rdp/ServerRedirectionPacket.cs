using System.Buffers.Binary;
using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.13.1 RDP_SERVER_REDIRECTION_PACKET <c>RedirFlags</c>.</summary>
[Flags]
public enum RedirectionFlags : uint
{
    None = 0,

    /// <summary>LB_TARGET_NET_ADDRESS: TargetNetAddress is present.</summary>
    TargetNetAddress = 0x0000_0001,

    /// <summary>LB_LOAD_BALANCE_INFO: LoadBalanceInfo is present.</summary>
    LoadBalanceInfo = 0x0000_0002,

    /// <summary>LB_USERNAME: UserName is present.</summary>
    UserName = 0x0000_0004,

    /// <summary>LB_DOMAIN: Domain is present.</summary>
    Domain = 0x0000_0008,

    /// <summary>LB_PASSWORD: Password is present.</summary>
    Password = 0x0000_0010,

    /// <summary>LB_DONTSTOREUSERNAME: do not store the user name for future connections.</summary>
    DontStoreUserName = 0x0000_0020,

    /// <summary>LB_SMARTCARD_LOGON: the user logged on with a smart card.</summary>
    SmartcardLogon = 0x0000_0040,

    /// <summary>LB_NOREDIRECT: informational only; the client must not redirect.</summary>
    NoRedirect = 0x0000_0080,

    /// <summary>LB_TARGET_FQDN: TargetFQDN is present.</summary>
    TargetFqdn = 0x0000_0100,

    /// <summary>LB_TARGET_NETBIOS_NAME: TargetNetBiosName is present.</summary>
    TargetNetBiosName = 0x0000_0200,

    /// <summary>LB_TARGET_NET_ADDRESSES: TargetNetAddresses is present.</summary>
    TargetNetAddresses = 0x0000_0800,

    /// <summary>LB_CLIENT_TSV_URL: TsvUrl is present.</summary>
    ClientTsvUrl = 0x0000_1000,

    /// <summary>LB_SERVER_TSV_CAPABLE: the server supports redirection based on the TsvUrl.</summary>
    ServerTsvCapable = 0x0000_2000,

    /// <summary>LB_PASSWORD_IS_PK_ENCRYPTED: Password is encrypted with the target certificate's key.</summary>
    PasswordIsPkEncrypted = 0x0000_4000,

    /// <summary>LB_REDIRECTION_GUID: RedirectionGuid is present.</summary>
    RedirectionGuid = 0x0000_8000,

    /// <summary>LB_TARGET_CERTIFICATE: TargetCertificate is present.</summary>
    TargetCertificate = 0x0001_0000,
}

/// <summary>
/// MS-RDPBCGR 2.2.13.1 Server Redirection Packet (RDP_SERVER_REDIRECTION_PACKET). Each optional field is a 4-byte
/// length and its bytes, present exactly when its LB_* flag is set, in the order of the properties below. Fields
/// are kept as bytes (so nothing is lost); the <c>*Text</c> helpers read the UTF-16 ones. The password (a cookie
/// or an encrypted blob) and the certificate are never printed.
/// </summary>
/// <remarks>
/// <c>Length</c> is the size of the whole packet; bytes inside it after the last field are the optional
/// <see cref="Pad"/> (8 bytes when Windows sends it). Bytes after <c>Length</c> are not read.
/// </remarks>
public sealed record ServerRedirectionPacket(
    uint SessionId,
    RedirectionFlags RedirFlags,
    ByteString? TargetNetAddress = null,
    ByteString? LoadBalanceInfo = null,
    ByteString? UserName = null,
    ByteString? Domain = null,
    ByteString? Password = null,
    ByteString? TargetFqdn = null,
    ByteString? TargetNetBiosName = null,
    ByteString? TsvUrl = null,
    ByteString? RedirectionGuid = null,
    ByteString? TargetCertificate = null,
    ByteString? TargetNetAddresses = null,
    ByteString Pad = default,
    ushort Flags = ServerRedirectionPacket.SecRedirectionPkt) : IPdu<ServerRedirectionPacket>
{
    /// <summary>SEC_REDIRECTION_PKT, the only valid <c>Flags</c>.</summary>
    public const ushort SecRedirectionPkt = 0x0400;

    public const int FixedPartSize = 2 /* Flags */ + 2 /* Length */ + 4 /* SessionID */ + 4 /* RedirFlags */;

    public static string PduName => "RDP_SERVER_REDIRECTION_PACKET";

    private static readonly (RedirectionFlags Flag, string Name)[] FieldOrder =
    [
        (RedirectionFlags.TargetNetAddress, "TargetNetAddress"),
        (RedirectionFlags.LoadBalanceInfo, "LoadBalanceInfo"),
        (RedirectionFlags.UserName, "UserName"),
        (RedirectionFlags.Domain, "Domain"),
        (RedirectionFlags.Password, "Password"),
        (RedirectionFlags.TargetFqdn, "TargetFQDN"),
        (RedirectionFlags.TargetNetBiosName, "TargetNetBiosName"),
        (RedirectionFlags.ClientTsvUrl, "TsvUrl"),
        (RedirectionFlags.RedirectionGuid, "RedirectionGuid"),
        (RedirectionFlags.TargetCertificate, "TargetCertificate"),
        (RedirectionFlags.TargetNetAddresses, "TargetNetAddresses"),
    ];

    private ByteString? FieldFor(RedirectionFlags flag) => flag switch
    {
        RedirectionFlags.TargetNetAddress => TargetNetAddress,
        RedirectionFlags.LoadBalanceInfo => LoadBalanceInfo,
        RedirectionFlags.UserName => UserName,
        RedirectionFlags.Domain => Domain,
        RedirectionFlags.Password => Password,
        RedirectionFlags.TargetFqdn => TargetFqdn,
        RedirectionFlags.TargetNetBiosName => TargetNetBiosName,
        RedirectionFlags.ClientTsvUrl => TsvUrl,
        RedirectionFlags.RedirectionGuid => RedirectionGuid,
        RedirectionFlags.TargetCertificate => TargetCertificate,
        _ => TargetNetAddresses,
    };

    public int Size => FixedPartSize + Pad.Length
        + FieldOrder.Where(f => (RedirFlags & f.Flag) != 0).Sum(f => 4 /* length */ + (FieldFor(f.Flag)?.Length ?? 0));

    /// <summary>TargetNetAddress as text (UTF-16LE, terminator dropped).</summary>
    public string? TargetNetAddressText => Utf16(TargetNetAddress);

    public string? UserNameText => Utf16(UserName);

    public string? DomainText => Utf16(Domain);

    public string? TargetFqdnText => Utf16(TargetFqdn);

    public string? TargetNetBiosNameText => Utf16(TargetNetBiosName);

    public string? RedirectionGuidText => Utf16(RedirectionGuid);

    /// <summary>The addresses of TargetNetAddresses (TARGET_NET_ADDRESSES, 2.2.13.1.1), or null when absent or malformed.</summary>
    public IReadOnlyList<string>? TargetNetAddressList
    {
        get
        {
            if (TargetNetAddresses is not { } addressBytes)
            {
                return null;
            }

            var reader = new PduReader(addressBytes.Span);
            if (reader.Remaining < 4)
            {
                return null;
            }

            uint count = reader.ReadUInt32Le();
            if (reader.Remaining / 4 < count)
            {
                return null;
            }

            var list = new List<string>((int)count);
            for (uint i = 0; i < count; i++)
            {
                if (reader.Remaining < 4)
                {
                    return null;
                }

                uint length = reader.ReadUInt32Le();
                if ((uint)reader.Remaining < length || length % 2 != 0)
                {
                    return null;
                }

                list.Add(RdpText.DecodeUtf16(reader.ReadBytes((int)length)).TrimEnd('\0'));
            }

            return list;
        }
    }

    /// <summary>A UTF-16LE null-terminated field value, as the text fields go on the wire.</summary>
    public static ByteString Text(string value)
    {
        byte[] bytes = new byte[2 * value.Length + 2];
        RdpText.WriteUtf16(bytes, value);
        return new ByteString(bytes);
    }

    /// <summary>A TARGET_NET_ADDRESSES value: a count and each address as a length and UTF-16LE null-terminated text.</summary>
    public static ByteString AddressList(IReadOnlyList<string> addresses)
    {
        var bytes = new List<byte>();
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(number, (uint)addresses.Count);
        bytes.AddRange(number.ToArray());
        foreach (string address in addresses)
        {
            ByteString text = Text(address);
            BinaryPrimitives.WriteUInt32LittleEndian(number, (uint)text.Length);
            bytes.AddRange(number.ToArray());
            bytes.AddRange(text.Span.ToArray());
        }

        return new ByteString(bytes.ToArray());
    }

    /// <summary>
    /// The packet's fields as (name, value) pairs for a report: flags named, text fields decoded, binary ones in
    /// hex. The password and the certificate are never included (only their presence and length).
    /// </summary>
    public IReadOnlyList<(string Name, string Value)> Describe()
    {
        var pairs = new List<(string, string)>
        {
            ("SessionID", SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("RedirFlags", $"0x{(uint)RedirFlags:x8} ({RedirFlags})"),
        };
        AddText(pairs, "TargetNetAddress", TargetNetAddressText);
        if (LoadBalanceInfo is { } lb)
        {
            pairs.Add(("LoadBalanceInfo", IsPrintable(lb.Span) ? RdpText.DecodeAnsi(lb.Span) : lb.ToHex()));
        }

        AddText(pairs, "UserName", UserNameText);
        AddText(pairs, "Domain", DomainText);
        if (Password is { } password)
        {
            pairs.Add(("Password", $"({password.Length} bytes, not shown)"));
        }

        AddText(pairs, "TargetFQDN", TargetFqdnText);
        AddText(pairs, "TargetNetBiosName", TargetNetBiosNameText);
        if (TsvUrl is { } url)
        {
            pairs.Add(("TsvUrl", Utf16(url) ?? url.ToHex()));
        }

        AddText(pairs, "RedirectionGuid", RedirectionGuidText);
        if (TargetCertificate is { } certificate)
        {
            pairs.Add(("TargetCertificate", $"({certificate.Length} bytes, not shown)"));
        }

        if (TargetNetAddresses is { } addresses)
        {
            pairs.Add(("TargetNetAddresses", TargetNetAddressList is { } list ? string.Join(", ", list) : addresses.ToHex()));
        }

        return pairs;
    }

    public void Encode(ref PduWriter writer)
    {
        int size = Size;
        if (ushort.MaxValue < size)
        {
            ThrowHelper.ThrowArgument(nameof(ServerRedirectionPacket), "a redirection packet is at most 65535 bytes");
        }

        writer.WriteUInt16Le(Flags);
        writer.WriteUInt16Le((ushort)size);
        writer.WriteUInt32Le(SessionId);
        writer.WriteUInt32Le((uint)RedirFlags);
        foreach ((RedirectionFlags flag, string name) in FieldOrder)
        {
            if ((RedirFlags & flag) == 0)
            {
                continue;
            }

            if (FieldFor(flag) is not { } value)
            {
                ThrowHelper.ThrowArgument(name, $"RedirFlags announce {name} but it is null");
                return;
            }

            writer.WriteUInt32Le((uint)value.Length);
            writer.WriteBytes(value.Span);
        }

        writer.WriteBytes(Pad.Span);
    }

    public static DecodeResult<ServerRedirectionPacket> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        ushort flags = reader.ReadUInt16Le();
        if (flags != SecRedirectionPkt)
        {
            return DecodeError.InvalidField(PduName, "Flags", "must be SEC_REDIRECTION_PKT (0x0400)", start, SecRedirectionPkt, flags);
        }

        int length = reader.ReadUInt16Le();
        if (length < FixedPartSize)
        {
            return DecodeError.InvalidField(PduName, "Length", "smaller than the fixed part", start + 2, FixedPartSize, length);
        }

        if (reader.Ensure(length - 4, PduName) is { } shortPacket)
        {
            return shortPacket;
        }

        uint sessionId = reader.ReadUInt32Le();
        var redirFlags = (RedirectionFlags)reader.ReadUInt32Le();
        var body = new PduReader(reader.ReadBytes(length - FixedPartSize));
        int bodyAt = start + FixedPartSize;
        var values = new ByteString?[FieldOrder.Length];
        for (int i = 0; i < FieldOrder.Length; i++)
        {
            (RedirectionFlags flag, string name) = FieldOrder[i];
            if ((redirFlags & flag) == 0)
            {
                continue;
            }

            if (body.Remaining < 4)
            {
                return DecodeError.NotEnoughBytes($"{PduName}: {name}Length", bodyAt + body.Position, 4, body.Remaining);
            }

            int fieldAt = bodyAt + body.Position;
            uint fieldLength = body.ReadUInt32Le();
            if ((uint)body.Remaining < fieldLength)
            {
                return DecodeError.InvalidField(PduName, $"{name}Length", "longer than the rest of the packet", fieldAt, body.Remaining, fieldLength);
            }

            values[i] = new ByteString(body.ReadBytes((int)fieldLength));
        }

        return new ServerRedirectionPacket(sessionId, redirFlags,
            values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7], values[8], values[9], values[10],
            new ByteString(body.ReadBytes(body.Remaining)), flags);
    }

    // The password and the certificate never reach a printed record.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(string.Join(", ", Describe().Select(p => $"{p.Name} = {p.Value}")));
        return true;
    }

    private static string? Utf16(ByteString? value)
    {
        if (value is not { } bytes || bytes.Length % 2 != 0)
        {
            return null;
        }

        return RdpText.DecodeUtf16(bytes.Span).TrimEnd('\0');
    }

    private static void AddText(List<(string, string)> pairs, string name, string? value)
    {
        if (value is not null)
        {
            pairs.Add((name, value));
        }
    }

    private static bool IsPrintable(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E) || bytes.EndsWith("\r\n"u8) && !bytes[..^2].ContainsAnyExceptInRange((byte)0x20, (byte)0x7E);
}

/// <summary>
/// MS-RDPBCGR 2.2.13.3.1 Enhanced Security Server Redirection PDU (TS_ENHANCED_SECURITY_SERVER_REDIRECTION): under
/// TLS or CredSSP, a Share Control Header with pduType PDUTYPE_SERVER_REDIR_PKT, two pad bytes, the packet and an
/// optional pad byte. The header is read here by its three fields.
/// </summary>
/// <param name="PduSource">shareControlHeader pduSource: the server's channel id.</param>
/// <param name="Packet">The redirection packet.</param>
/// <param name="TrailingPad">pad1Octet (and anything up to 8 bytes more some servers send): kept raw.</param>
/// <param name="Pad2Octets">pad2Octets: ignored by receivers.</param>
/// <param name="ShareControlPduType">The header's pduType as sent (type 0xA in the low nibble, the version above it).</param>
public sealed record EnhancedSecurityServerRedirection(
    ushort PduSource,
    ServerRedirectionPacket Packet,
    ByteString TrailingPad = default,
    ushort Pad2Octets = 0,
    ushort ShareControlPduType = EnhancedSecurityServerRedirection.PduType)
    : IPdu<EnhancedSecurityServerRedirection>
{
    /// <summary>PDUTYPE_SERVER_REDIR_PKT (0xA) with TS_PROTOCOL_VERSION (0x10) in the high bits.</summary>
    public const ushort PduType = 0x000A | 0x0010;

    /// <summary>At most this many bytes after the packet are taken as padding.</summary>
    public const int MaxTrailingPad = 9;

    public const int FixedPartSize = 2 /* totalLength */ + 2 /* pduType */ + 2 /* pduSource */ + 2 /* pad2Octets */;

    public static string PduName => "TS_ENHANCED_SECURITY_SERVER_REDIRECTION";

    public int Size => FixedPartSize + Packet.Size + TrailingPad.Length;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le(checked((ushort)Size));
        writer.WriteUInt16Le(ShareControlPduType);
        writer.WriteUInt16Le(PduSource);
        writer.WriteUInt16Le(Pad2Octets);
        Packet.Encode(ref writer);
        writer.WriteBytes(TrailingPad.Span);
    }

    public static DecodeResult<EnhancedSecurityServerRedirection> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        int totalLength = reader.ReadUInt16Le();
        ushort type = reader.ReadUInt16Le();
        if ((type & 0x0F) != (PduType & 0x0F))
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "pduType",
                $"expected PDUTYPE_SERVER_REDIR_PKT, got 0x{type & 0x0F:x}", start + 2, PduType & 0x0F, type & 0x0F);
        }

        ushort source = reader.ReadUInt16Le();
        ushort pad = reader.ReadUInt16Le();
        if (totalLength < FixedPartSize + ServerRedirectionPacket.FixedPartSize || reader.Remaining + FixedPartSize < totalLength)
        {
            return DecodeError.InvalidField(PduName, "totalLength", "does not fit the bytes received", start, reader.Remaining + FixedPartSize, totalLength);
        }

        var body = new PduReader(reader.ReadBytes(totalLength - FixedPartSize));
        DecodeResult<ServerRedirectionPacket> packet = ServerRedirectionPacket.Decode(ref body);
        if (!packet.IsSuccess)
        {
            return packet.Error with { Offset = packet.Error.Offset + start + FixedPartSize };
        }

        if (MaxTrailingPad < body.Remaining)
        {
            return DecodeError.Trailing(PduName, start + FixedPartSize + body.Position, body.Remaining);
        }

        return new EnhancedSecurityServerRedirection(source, packet.Value, new ByteString(body.ReadBytes(body.Remaining)), pad, type);
    }
}
