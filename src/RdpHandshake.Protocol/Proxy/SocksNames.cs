namespace RdpHandshake.Protocol.Proxy;

/// <summary>The authentication methods of RFC 1928 section 3 that a SOCKS5 client or server may name.</summary>
public static class Socks5Methods
{
    /// <summary>X'00' NO AUTHENTICATION REQUIRED.</summary>
    public const byte NoAuthentication = 0x00;

    /// <summary>X'01' GSSAPI (RFC 1961).</summary>
    public const byte Gssapi = 0x01;

    /// <summary>X'02' USERNAME/PASSWORD (RFC 1929).</summary>
    public const byte UsernamePassword = 0x02;

    /// <summary>X'FF' NO ACCEPTABLE METHODS: the server refuses every method the client offered.</summary>
    public const byte NoAcceptableMethods = 0xFF;

    /// <summary>The method's name as RFC 1928 writes it, lowercase; IANA's other assignments by number.</summary>
    public static string Name(byte method) => method switch
    {
        NoAuthentication => "no authentication required",
        Gssapi => "GSSAPI",
        UsernamePassword => "username/password",
        NoAcceptableMethods => "no acceptable methods",
        >= 0x80 and <= 0xFE => $"private method 0x{method:x2}",
        _ => $"method 0x{method:x2}",
    };
}

/// <summary>The REP field of a SOCKS5 reply (RFC 1928 section 6).</summary>
public enum Socks5ReplyCode : byte
{
    Succeeded = 0x00,
    GeneralFailure = 0x01,
    NotAllowedByRuleset = 0x02,
    NetworkUnreachable = 0x03,
    HostUnreachable = 0x04,
    ConnectionRefused = 0x05,
    TtlExpired = 0x06,
    CommandNotSupported = 0x07,
    AddressTypeNotSupported = 0x08,
}

/// <summary>The names of the SOCKS5 reply codes: the cause details of <c>socks-reply</c> and what RFC 1928 says they mean.</summary>
public static class Socks5ReplyNames
{
    /// <summary>Every code RFC 1928 assigns, in order.</summary>
    public static IReadOnlyList<Socks5ReplyCode> All { get; } = Enum.GetValues<Socks5ReplyCode>();

    /// <summary>The detail name of a reply code: <c>host-unreachable</c>; <c>0xNN</c> for one RFC 1928 leaves unassigned.</summary>
    public static string Name(byte code) => (Socks5ReplyCode)code switch
    {
        Socks5ReplyCode.Succeeded => "succeeded",
        Socks5ReplyCode.GeneralFailure => "general-failure",
        Socks5ReplyCode.NotAllowedByRuleset => "not-allowed",
        Socks5ReplyCode.NetworkUnreachable => "network-unreachable",
        Socks5ReplyCode.HostUnreachable => "host-unreachable",
        Socks5ReplyCode.ConnectionRefused => "connection-refused",
        Socks5ReplyCode.TtlExpired => "ttl-expired",
        Socks5ReplyCode.CommandNotSupported => "command-not-supported",
        Socks5ReplyCode.AddressTypeNotSupported => "address-type-not-supported",
        _ => $"0x{code:x2}",
    };

    /// <summary>RFC 1928's own words for the code.</summary>
    public static string Meaning(byte code) => (Socks5ReplyCode)code switch
    {
        Socks5ReplyCode.Succeeded => "succeeded",
        Socks5ReplyCode.GeneralFailure => "general SOCKS server failure",
        Socks5ReplyCode.NotAllowedByRuleset => "connection not allowed by ruleset",
        Socks5ReplyCode.NetworkUnreachable => "network unreachable",
        Socks5ReplyCode.HostUnreachable => "host unreachable",
        Socks5ReplyCode.ConnectionRefused => "connection refused",
        Socks5ReplyCode.TtlExpired => "TTL expired",
        Socks5ReplyCode.CommandNotSupported => "command not supported",
        Socks5ReplyCode.AddressTypeNotSupported => "address type not supported",
        _ => "unassigned",
    };
}
