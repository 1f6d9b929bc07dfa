using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Proxy;

/// <summary>
/// Names what answered when a proxy's answer is not the one its protocol sends: an HTTP proxy (or a web server) on a
/// port given as SOCKS5, a SOCKS server on a port given as HTTP, SOCKS4, or one of the services
/// <see cref="NonRdpAnswer"/> knows.
/// </summary>
public static class ProxyAnswers
{
    public static NonRdpAnswer? Recognise(ReadOnlySpan<byte> first, ProxyKind expected)
    {
        if (first.StartsWith("HTTP/"u8))
        {
            return expected == ProxyKind.Socks5
                ? new NonRdpAnswer("HTTP", NonRdpAnswer.Recognise(first)!.Answer, "an HTTP proxy or a web server")
                : null;
        }

        if (expected == ProxyKind.HttpConnect && first.Length >= 2 && first[0] == Socks5MethodRequest.Version5 && first[1] is 0x00 or 0x01 or 0x02 or 0xFF)
        {
            return new NonRdpAnswer("SOCKS5", $"a SOCKS5 method selection (0x{first[1]:x2})", "a SOCKS5 proxy");
        }

        // RFC-less but long-standing SOCKS4 (NEC's protocol): a reply is VN=0 then CD 90 to 93.
        if (first.Length >= 2 && first[0] == 0x00 && first[1] is >= 0x5A and <= 0x5D)
        {
            return new NonRdpAnswer("SOCKS4", $"a SOCKS4 reply (CD {first[1]})", "a SOCKS4 proxy");
        }

        return NonRdpAnswer.Recognise(first);
    }
}
