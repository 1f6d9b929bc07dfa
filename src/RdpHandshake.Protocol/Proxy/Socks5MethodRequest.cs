using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Proxy;

/// <summary>
/// RFC 1928 section 3: the client's version identifier/method selection message, <c>VER=5 NMETHODS METHODS</c>, the
/// authentication methods it supports.
/// </summary>
public sealed record Socks5MethodRequest(IReadOnlyList<byte> Methods) : IPdu<Socks5MethodRequest>
{
    public const byte Version5 = 5;

    public static string PduName => "SOCKS5 method request";

    public int Size => 1 /* VER */ + 1 /* NMETHODS */ + Methods.Count;

    public void Encode(ref PduWriter writer)
    {
        if (Methods.Count is 0 or > byte.MaxValue)
        {
            ThrowHelper.ThrowArgument(nameof(Methods), $"a SOCKS5 method request names 1 to 255 methods, not {Methods.Count}");
        }

        writer.WriteByte(Version5);
        writer.WriteByte((byte)Methods.Count);
        foreach (byte method in Methods)
        {
            writer.WriteByte(method);
        }
    }

    public static DecodeResult<Socks5MethodRequest> Decode(ref PduReader reader)
    {
        if (reader.Ensure(2, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte version = reader.ReadByte();
        if (version != Version5)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "ver", $"expected 5, got 0x{version:x2}", start, Version5, version);
        }

        int count = reader.ReadByte();
        if (count == 0)
        {
            return DecodeError.InvalidField(PduName, "nmethods", "names no method", start + 1, 1, 0);
        }

        if (reader.Ensure(count, PduName) is { } shortMethods)
        {
            return shortMethods;
        }

        return new Socks5MethodRequest(reader.ReadBytes(count).ToArray());
    }

    public bool Equals(Socks5MethodRequest? other) => other is not null && Methods.SequenceEqual(other.Methods);

    public override int GetHashCode() => Methods.Count;
}

/// <summary>RFC 1928 section 3: the server's METHOD selection message, <c>VER=5 METHOD</c>.</summary>
public sealed record Socks5MethodSelection(byte Method) : IPdu<Socks5MethodSelection>
{
    /// <summary>1 /* VER */ + 1 /* METHOD */.</summary>
    public const int FixedPartSize = 1 /* VER */ + 1 /* METHOD */;

    public static string PduName => "SOCKS5 method selection";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(Socks5MethodRequest.Version5);
        writer.WriteByte(Method);
    }

    public static DecodeResult<Socks5MethodSelection> Decode(ref PduReader reader)
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

        return new Socks5MethodSelection(reader.ReadByte());
    }
}
