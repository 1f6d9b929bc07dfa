using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Proxy;

/// <summary>The CMD field of a SOCKS5 request (RFC 1928 section 4).</summary>
public enum Socks5Command : byte
{
    Connect = 0x01,
    Bind = 0x02,
    UdpAssociate = 0x03,
}

/// <summary>RFC 1928 section 4: the request, <c>VER=5 CMD RSV=0 ATYP DST.ADDR DST.PORT</c>.</summary>
public sealed record Socks5Request(Socks5Command Command, Socks5Address Destination) : IPdu<Socks5Request>
{
    public static string PduName => "SOCKS5 request";

    public int Size => 1 /* VER */ + 1 /* CMD */ + 1 /* RSV */ + Destination.Size;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(Socks5MethodRequest.Version5);
        writer.WriteByte((byte)Command);
        writer.WriteByte(0);
        Destination.Encode(ref writer);
    }

    public static DecodeResult<Socks5Request> Decode(ref PduReader reader)
    {
        if (reader.Ensure(3, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte version = reader.ReadByte();
        if (version != Socks5MethodRequest.Version5)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "ver", $"expected 5, got 0x{version:x2}", start, Socks5MethodRequest.Version5, version);
        }

        byte command = reader.ReadByte();
        if (command is < 1 or > 3)
        {
            return DecodeError.InvalidField(PduName, "cmd", $"0x{command:x2} is not CONNECT, BIND or UDP ASSOCIATE", start + 1);
        }

        byte reserved = reader.ReadByte();
        if (reserved != 0)
        {
            return DecodeError.InvalidField(PduName, "rsv", $"must be 0, is 0x{reserved:x2}", start + 2, 0, reserved);
        }

        DecodeResult<Socks5Address> destination = Socks5Address.Decode(ref reader);
        return destination.IsSuccess ? new Socks5Request((Socks5Command)command, destination.Value) : destination.Error;
    }
}

/// <summary>
/// RFC 1928 section 6: the reply, <c>VER=5 REP RSV=0 ATYP BND.ADDR BND.PORT</c>: the outcome of the request and, for
/// CONNECT, the address the proxy connects from.
/// </summary>
public sealed record Socks5Reply(byte Reply, Socks5Address Bound) : IPdu<Socks5Reply>
{
    /// <summary>The fixed part before the address: 1 /* VER */ + 1 /* REP */ + 1 /* RSV */.</summary>
    public const int FixedPartSize = 1 /* VER */ + 1 /* REP */ + 1 /* RSV */;

    /// <summary>The longest reply: the fixed part and the longest address (a 255-byte name).</summary>
    public const int MaxSize = FixedPartSize + Socks5Address.MaxSize;

    public static string PduName => "SOCKS5 reply";

    public bool Succeeded => Reply == (byte)Socks5ReplyCode.Succeeded;

    public int Size => FixedPartSize + Bound.Size;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(Socks5MethodRequest.Version5);
        writer.WriteByte(Reply);
        writer.WriteByte(0);
        Bound.Encode(ref writer);
    }

    public static DecodeResult<Socks5Reply> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte version = reader.ReadByte();
        if (version != Socks5MethodRequest.Version5)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "ver", $"expected 5, got 0x{version:x2}", start, Socks5MethodRequest.Version5, version);
        }

        byte reply = reader.ReadByte();
        byte reserved = reader.ReadByte();
        if (reserved != 0)
        {
            return DecodeError.InvalidField(PduName, "rsv", $"must be 0, is 0x{reserved:x2}", start + 2, 0, reserved);
        }

        DecodeResult<Socks5Address> bound = Socks5Address.Decode(ref reader);
        return bound.IsSuccess ? new Socks5Reply(reply, bound.Value) : bound.Error;
    }

    /// <summary>
    /// Frames a reply from the first bytes of a stream: its length once the address type (and a name's length) is in.
    /// A first byte other than 5 is not a SOCKS5 reply at all (another protocol answered): invalid at once, so the
    /// sequence can say what it is.
    /// </summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered)
    {
        if (buffered.IsEmpty)
        {
            return FrameSize.NeedMore(1);
        }

        if (buffered[0] != Socks5MethodRequest.Version5)
        {
            return FrameSize.Invalid(new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "ver", $"expected 5, got 0x{buffered[0]:x2}", 0, Socks5MethodRequest.Version5, buffered[0]));
        }

        if (buffered.Length < FixedPartSize + 1)
        {
            return FrameSize.NeedMore(FixedPartSize + 1);
        }

        return Socks5Address.SizeOf(buffered[FixedPartSize..]) switch
        {
            null => FrameSize.NeedMore(FixedPartSize + 2),
            -1 => FrameSize.Invalid(DecodeError.InvalidField(PduName, "atyp", $"0x{buffered[FixedPartSize]:x2} is not an address type (1 IPv4, 3 domain name, 4 IPv6)", FixedPartSize)),
            int size => FrameSize.Complete(FixedPartSize + size),
        };
    }
}
