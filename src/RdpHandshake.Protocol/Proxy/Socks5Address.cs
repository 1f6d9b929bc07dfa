using System.Globalization;
using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Proxy;

/// <summary>The address types of RFC 1928 section 4 (ATYP).</summary>
public enum Socks5AddressType : byte
{
    IPv4 = 0x01,
    DomainName = 0x03,
    IPv6 = 0x04,
}

/// <summary>
/// RFC 1928 sections 4 and 6: an address (ATYP, then 4 bytes of IPv4, a length-prefixed domain name of 1 to 255 bytes, or
/// 16 bytes of IPv6) and a port in network byte order, as a request names its destination and a reply its bound address.
/// A request for a name sends the name (ATYP 3), so the proxy resolves it: the client's resolver never sees the target.
/// </summary>
/// <param name="Type">How the address is written.</param>
/// <param name="Host">The IP address in its usual text form, or the domain name.</param>
/// <param name="Port">The TCP port.</param>
public sealed record Socks5Address(Socks5AddressType Type, string Host, ushort Port) : IPdu<Socks5Address>
{
    /// <summary>The longest domain name the one-byte length can describe.</summary>
    public const int MaxDomainNameLength = byte.MaxValue;

    /// <summary>The largest encoding: 1 /* ATYP */ + 1 /* length */ + 255 /* name */ + 2 /* port */.</summary>
    public const int MaxSize = 1 /* ATYP */ + 1 /* length */ + MaxDomainNameLength + 2 /* port */;

    public static string PduName => "SOCKS5 address";

    /// <summary>
    /// The address bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address, in network order; empty for a domain name.
    /// <see cref="Host"/> is their text form (the core parses no address text: the engine, which may use System.Net,
    /// gives the bytes).
    /// </summary>
    public ReadOnlyMemory<byte> Address { get; private init; }

    /// <summary>A name, for the proxy to resolve (ATYP 3).</summary>
    public static Socks5Address Name(string host, ushort port) => new(Socks5AddressType.DomainName, host, port);

    /// <summary>An IP address from its 4 (IPv4) or 16 (IPv6) bytes in network order.</summary>
    public static Socks5Address Ip(ReadOnlySpan<byte> address, ushort port) => address.Length switch
    {
        4 => new Socks5Address(Socks5AddressType.IPv4, FormatIPv4(address), port) { Address = address.ToArray() },
        16 => new Socks5Address(Socks5AddressType.IPv6, FormatIPv6(address), port) { Address = address.ToArray() },
        _ => throw new ArgumentException($"an IP address has 4 or 16 bytes, not {address.Length}", nameof(address)),
    };

    /// <summary>Dotted decimal: <c>10.0.0.5</c>.</summary>
    private static string FormatIPv4(ReadOnlySpan<byte> a) => string.Create(CultureInfo.InvariantCulture, $"{a[0]}.{a[1]}.{a[2]}.{a[3]}");

    /// <summary>
    /// RFC 5952 section 4: eight groups of lowercase hexadecimal without leading zeros, the longest run of two or more
    /// zero groups (the first of equal runs) written <c>::</c>. Embedded IPv4 forms are not used: the text is one-to-one
    /// with the bytes.
    /// </summary>
    private static string FormatIPv6(ReadOnlySpan<byte> a)
    {
        Span<int> groups = stackalloc int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = (a[2 * i] << 8) | a[(2 * i) + 1];
        }

        int bestStart = -1, bestLength = 0;
        for (int i = 0; i < 8;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }

            int start = i;
            while (i < 8 && groups[i] == 0)
            {
                i++;
            }

            if (i - start > bestLength && i - start >= 2)
            {
                (bestStart, bestLength) = (start, i - start);
            }
        }

        var text = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.Append("::");
                i += bestLength - 1;
                continue;
            }

            if (i > 0 && i != bestStart + bestLength)
            {
                text.Append(':');
            }

            text.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    public int Size => 1 /* ATYP */ + Type switch
    {
        Socks5AddressType.IPv4 => 4,
        Socks5AddressType.IPv6 => 16,
        Socks5AddressType.DomainName => 1 /* length */ + System.Text.Encoding.ASCII.GetByteCount(Host),
        _ => 0,
    } + 2 /* port */;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte((byte)Type);
        switch (Type)
        {
            case Socks5AddressType.IPv4:
            case Socks5AddressType.IPv6:
                if (Address.Length != (Type == Socks5AddressType.IPv4 ? 4 : 16))
                {
                    ThrowHelper.ThrowArgument(nameof(Address), $"a SOCKS5 {Type} address is made with Socks5Address.Ip from its bytes");
                }

                writer.WriteBytes(Address.Span);
                break;
            case Socks5AddressType.DomainName:
                byte[] name = System.Text.Encoding.ASCII.GetBytes(Host);
                if (name.Length is 0 or > MaxDomainNameLength || Host.Any(c => c is < '!' or > '~'))
                {
                    ThrowHelper.ThrowArgument(nameof(Host), $"a SOCKS5 domain name is 1 to {MaxDomainNameLength} printable ASCII characters, not '{Host}'");
                }

                writer.WriteByte((byte)name.Length);
                writer.WriteBytes(name);
                break;
            default:
                ThrowHelper.ThrowArgument(nameof(Type), $"address type 0x{(byte)Type:x2} has no encoding");
                break;
        }

        writer.WriteUInt16Be(Port);
    }

    public static DecodeResult<Socks5Address> Decode(ref PduReader reader)
    {
        if (reader.Ensure(1, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte type = reader.ReadByte();
        string host;
        switch ((Socks5AddressType)type)
        {
            case Socks5AddressType.IPv4 or Socks5AddressType.IPv6:
                int length = type == (byte)Socks5AddressType.IPv4 ? 4 : 16;
                if (reader.Ensure(length + 2, PduName) is { } shortAddress)
                {
                    return shortAddress;
                }

                Socks5Address ip = Ip(reader.ReadBytes(length), 0);
                return ip with { Port = reader.ReadUInt16Be() };
            case Socks5AddressType.DomainName:
                if (reader.Ensure(1, PduName) is { } noLength)
                {
                    return noLength;
                }

                int nameLength = reader.ReadByte();
                if (nameLength == 0)
                {
                    return DecodeError.InvalidField(PduName, "length", "an empty domain name", reader.Position - 1, 1, 0);
                }

                if (reader.Ensure(nameLength + 2, PduName) is { } shortName)
                {
                    return shortName;
                }

                ReadOnlySpan<byte> name = reader.ReadBytes(nameLength);
                foreach (byte b in name)
                {
                    if (b is < 0x21 or > 0x7E)
                    {
                        return DecodeError.InvalidField(PduName, "domainName", $"byte 0x{b:x2} is not a printable ASCII character", reader.Position - nameLength);
                    }
                }

                host = System.Text.Encoding.ASCII.GetString(name);
                break;
            default:
                return DecodeError.InvalidField(PduName, "atyp", $"0x{type:x2} is not an address type (1 IPv4, 3 domain name, 4 IPv6)", start);
        }

        ushort port = reader.ReadUInt16Be();
        return new Socks5Address((Socks5AddressType)type, host, port);
    }

    /// <summary>
    /// How many bytes an address record that starts at <paramref name="buffered"/> takes, once its type (and for a name,
    /// its length) is in; null while those bytes are missing, -1 for a type RFC 1928 does not define.
    /// </summary>
    public static int? SizeOf(ReadOnlySpan<byte> buffered)
    {
        if (buffered.IsEmpty)
        {
            return null;
        }

        return (Socks5AddressType)buffered[0] switch
        {
            Socks5AddressType.IPv4 => 1 + 4 + 2,
            Socks5AddressType.IPv6 => 1 + 16 + 2,
            Socks5AddressType.DomainName when buffered.Length < 2 => null,
            Socks5AddressType.DomainName => 1 + 1 + buffered[1] + 2,
            _ => -1,
        };
    }

    /// <summary>Equal when type, text and port are: the text of an IP address is one-to-one with its bytes.</summary>
    public bool Equals(Socks5Address? other) => other is not null && Type == other.Type && Host == other.Host && Port == other.Port;

    public override int GetHashCode() => HashCode.Combine(Type, Host, Port);

    public override string ToString() => Type == Socks5AddressType.IPv6 ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
