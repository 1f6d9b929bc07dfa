using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Proxy;

/// <summary>
/// RFC 1929 section 2: the username/password request, <c>VER=1 ULEN UNAME PLEN PASSWD</c>, each string 1 to 255 bytes.
/// The password travels in the clear (the RFC says so); the timeline and the capture record the request with its bytes
/// overwritten (<see cref="Redacted"/>).
/// </summary>
public sealed record Socks5UsernamePasswordRequest(ReadOnlyMemory<byte> UserName, ReadOnlyMemory<byte> Password) : IPdu<Socks5UsernamePasswordRequest>
{
    public const byte SubnegotiationVersion = 1;

    /// <summary>The longest user name or password the one-byte lengths describe.</summary>
    public const int MaxFieldLength = byte.MaxValue;

    /// <summary>What replaces each byte of the password in the recorded copy.</summary>
    public const byte RedactionByte = (byte)'*';

    public static string PduName => "SOCKS5 username/password request";

    public int Size => 1 /* VER */ + 1 /* ULEN */ + UserName.Length + 1 /* PLEN */ + Password.Length;

    /// <summary>The same request with every byte of the password overwritten, for the record.</summary>
    public Socks5UsernamePasswordRequest Redacted() => this with { Password = Enumerable.Repeat(RedactionByte, Password.Length).ToArray() };

    public void Encode(ref PduWriter writer)
    {
        if (UserName.Length is 0 or > MaxFieldLength || Password.Length is 0 or > MaxFieldLength)
        {
            ThrowHelper.ThrowArgument(nameof(UserName), $"RFC 1929 names and passwords are 1 to {MaxFieldLength} bytes");
        }

        writer.WriteByte(SubnegotiationVersion);
        writer.WriteByte((byte)UserName.Length);
        writer.WriteBytes(UserName.Span);
        writer.WriteByte((byte)Password.Length);
        writer.WriteBytes(Password.Span);
    }

    public static DecodeResult<Socks5UsernamePasswordRequest> Decode(ref PduReader reader)
    {
        if (reader.Ensure(2, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte version = reader.ReadByte();
        if (version != SubnegotiationVersion)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "ver", $"expected 1, got 0x{version:x2}", start, SubnegotiationVersion, version);
        }

        int userLength = reader.ReadByte();
        if (userLength == 0)
        {
            return DecodeError.InvalidField(PduName, "ulen", "an empty user name", start + 1, 1, 0);
        }

        if (reader.Ensure(userLength + 1, PduName) is { } shortUser)
        {
            return shortUser;
        }

        byte[] user = reader.ReadBytes(userLength).ToArray();
        int passwordLength = reader.ReadByte();
        if (passwordLength == 0)
        {
            return DecodeError.InvalidField(PduName, "plen", "an empty password", reader.Position - 1, 1, 0);
        }

        if (reader.Ensure(passwordLength, PduName) is { } shortPassword)
        {
            return shortPassword;
        }

        return new Socks5UsernamePasswordRequest(user, reader.ReadBytes(passwordLength).ToArray());
    }

    public bool Equals(Socks5UsernamePasswordRequest? other) =>
        other is not null && UserName.Span.SequenceEqual(other.UserName.Span) && Password.Span.SequenceEqual(other.Password.Span);

    public override int GetHashCode() => HashCode.Combine(UserName.Length, Password.Length);

    /// <summary>Never the password.</summary>
    public override string ToString() => $"{PduName} {{ UserName = {System.Text.Encoding.UTF8.GetString(UserName.Span)}, Password = ({Password.Length} bytes) }}";
}

/// <summary>RFC 1929 section 2: the server's answer, <c>VER=1 STATUS</c>; X'00' is success, anything else a failure.</summary>
public sealed record Socks5UsernamePasswordStatus(byte Status) : IPdu<Socks5UsernamePasswordStatus>
{
    /// <summary>1 /* VER */ + 1 /* STATUS */.</summary>
    public const int FixedPartSize = 1 /* VER */ + 1 /* STATUS */;

    public static string PduName => "SOCKS5 username/password status";

    public bool Succeeded => Status == 0;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(Socks5UsernamePasswordRequest.SubnegotiationVersion);
        writer.WriteByte(Status);
    }

    public static DecodeResult<Socks5UsernamePasswordStatus> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte version = reader.ReadByte();
        if (version != Socks5UsernamePasswordRequest.SubnegotiationVersion)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "ver", $"expected 1, got 0x{version:x2}", start, Socks5UsernamePasswordRequest.SubnegotiationVersion, version);
        }

        return new Socks5UsernamePasswordStatus(reader.ReadByte());
    }
}
