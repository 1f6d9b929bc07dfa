using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Diagnostics;

/// <summary>The catalogue's rows for a connection through a SOCKS5 or HTTP CONNECT proxy (phase <c>proxy</c>).</summary>
public static partial class DiagnosisCatalog
{
    private const string NoProxyCode = NoMstscCodeReasons.NoProxySupport;

    private static void AddProxyRows(RowBuilder rows)
    {
        // The transport causes, where the peer is the proxy.
        rows.In(CauseId.NameNotResolved, ConnectionPhase.Proxy, new(
                "the proxy's name does not resolve",
                "DNS returned no address for the proxy's host, so nothing was sent. The server's own name is not resolved here: the proxy resolves it.",
                "Check the host name in the proxy URL and the DNS server in use, or give the proxy's IP address.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.ConnectionRefused, ConnectionPhase.Proxy, new(
                "nothing listens on the proxy's port",
                "The proxy's host answered the TCP connection with a reset: no proxy listens on that port (the proxy is stopped, or listens elsewhere).",
                "Check the port in the proxy URL (SOCKS proxies commonly listen on 1080, HTTP proxies on 3128 or 8080) and that the proxy runs.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.Unreachable, ConnectionPhase.Proxy, new(
                "the proxy is unreachable",
                "The network reported the proxy's host unreachable: no route leads to it from this machine.",
                "Check routing and VPN state from this machine to the proxy.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.ConnectTimeout, ConnectionPhase.Proxy, new(
                "no answer from the proxy to the TCP connection attempt",
                "The SYN to the proxy went unanswered until the connect timeout: a firewall dropping packets, a proxy host that is down, or a wrong address.",
                "Check the address in the proxy URL and the firewalls between here and the proxy.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.SocketError, ConnectionPhase.Proxy, new(
                "a socket error on the connection to the proxy",
                "The operating system reported an error on the connection to the proxy.",
                "The socket error named in the evidence says which; check the network path to the proxy.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.ClosedByPeer, ConnectionPhase.Proxy, new(
                "the proxy closed the connection without answering",
                "The proxy closed the TCP connection (FIN) while this step waited for its answer: it refused this client before speaking (an address it does not serve, a connection limit), or the port holds another service that does not answer this protocol. The step says which request went unanswered.",
                "Check the proxy's log for this connection and its client rules (dante: client pass/block; tinyproxy: Allow; squid: http_access), and that the proxy URL names the right scheme for the port.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.Reset, ConnectionPhase.Proxy, new(
                "the proxy reset the connection",
                "A TCP reset ended the connection to the proxy while this step waited for its answer: the proxy aborted it, or a middlebox between here and the proxy did.",
                "Check the proxy's log for this connection and any firewall between here and the proxy.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.Timeout, ConnectionPhase.Proxy, new(
                "the proxy did not answer",
                "The proxy accepted the TCP connection and then sent nothing within the timeout in answer to this step's request: an overloaded or stuck proxy, a port that holds a service speaking another protocol and waiting for more, or (for the tunnel) a proxy still trying to reach the server.",
                "Check that the proxy URL names the right scheme for the port (socks5:// or http://) and the proxy's log; allow a longer timeout when the proxy's own connection to the server is slow.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.TruncatedResponse, ConnectionPhase.Proxy, new(
                "the proxy closed the connection part-way through its answer",
                "The proxy sent the start of its answer and closed the connection before the rest: a proxy that crashed or a middlebox that cut the connection.",
                "Check the proxy's log for this connection; the evidence shows the bytes that arrived.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.TimeoutMidAnswer, ConnectionPhase.Proxy, new(
                "the proxy stopped part-way through its answer",
                "The proxy sent the start of its answer and then nothing more within the timeout: the rest never came, or came too slowly.",
                "Check the proxy's log and load; the evidence shows the bytes that arrived.",
                null, NoMstscCode: NoProxyCode));
        rows.In(CauseId.MalformedResponse, ConnectionPhase.Proxy, new(
                "the proxy's answer is malformed",
                "The proxy answered with bytes that its protocol does not allow (RFC 1928 and 1929 for SOCKS5, RFC 9112 for HTTP): a broken proxy, or a service that only looks like one.",
                "The evidence shows the bytes and what is wrong with them; check that the proxy URL names the right scheme and port.",
                null, NoMstscCode: NoProxyCode));

        rows.Add(CauseId.SocksReply, "proxy", new(
                "the SOCKS5 proxy did not open the tunnel",
                "The SOCKS5 proxy answered the CONNECT request with a reply code other than succeeded (RFC 1928 section 6); the detail names the code.",
                "The code's own entry says what to check; the proxy's log names the rule or the error.",
                null, NoMstscCode: NoProxyCode));
        foreach ((Socks5ReplyCode code, string title, string explanation, string remedy) in SocksReplies)
        {
            rows.Detail(CauseId.SocksReply, Socks5ReplyNames.Name((byte)code), new(title, explanation, remedy, null, NoMstscCode: NoProxyCode));
        }

        rows.Add(CauseId.ProxyAuthRequired, "proxy", new(
                "the proxy requires a user and password",
                "The proxy asks for credentials (a SOCKS5 proxy selecting username/password, an HTTP proxy answering 407 Proxy Authentication Required) and none were given.",
                "Give the proxy's user in the proxy URL (socks5://USER@HOST:PORT or http://USER@HOST:PORT) and its password in RDPHS_PROXY_PASSWORD or at the prompt.",
                null, NoMstscCode: NoProxyCode));
        rows.Add(CauseId.ProxyAuthFailed, "proxy", new(
                "the proxy refused the user and password",
                "The proxy rejected the credentials: a SOCKS5 username/password status other than success (RFC 1929), or an HTTP proxy answering 407 again to the Basic credentials.",
                "Check the user in the proxy URL and the password in RDPHS_PROXY_PASSWORD; check the proxy's user database (dante: the system account; tinyproxy: BasicAuth; squid: its auth_param helper) and its log.",
                null, NoMstscCode: NoProxyCode));
        rows.Add(CauseId.ProxyNoAcceptableMethod, "proxy", new(
                "the SOCKS5 proxy accepts none of the authentication methods offered",
                "The SOCKS5 proxy answered the method negotiation with X'FF' NO ACCEPTABLE METHODS (RFC 1928 section 3), or selected a method that was not offered: it requires a method rdphs did not offer (username/password is offered only with a user; GSSAPI never).",
                "Give a user in the proxy URL (socks5://USER@HOST:PORT) if the proxy takes username/password; otherwise check its socksmethod setting (dante) for the methods it requires.",
                null, NoMstscCode: NoProxyCode));
        rows.Add(CauseId.ProxyHttpStatus, "proxy", new(
                "the HTTP proxy did not open the tunnel",
                "The HTTP proxy answered CONNECT with a status other than 2xx; the detail is the status code and the evidence shows the status line.",
                "The status's own entry, where there is one, says what to check; otherwise the proxy's log and its error page name the reason.",
                null, NoMstscCode: NoProxyCode));
        rows.Detail(CauseId.ProxyHttpStatus, "403", new(
                "the HTTP proxy forbids this tunnel",
                "The proxy answered 403 Forbidden: its rules do not allow CONNECT to this server or port (tinyproxy and squid allow CONNECT to 443 and 563 only unless configured otherwise), or do not allow this client.",
                "Allow CONNECT to the server's RDP port on the proxy (tinyproxy: ConnectPort 3389; squid: the SSL_ports/CONNECT rules of http_access) and check its filter and client rules.",
                null, NoMstscCode: NoProxyCode));
        rows.Detail(CauseId.ProxyHttpStatus, "502", new(
                "the HTTP proxy could not connect to the server",
                "The proxy answered 502 Bad Gateway: it could not resolve the server's name or its connection to the server was refused or reset (tinyproxy answers 500 for the same reasons).",
                "Check the server name and port from the proxy's side (the proxy resolves the name), that the server listens, and the firewalls between the proxy and the server.",
                null, NoMstscCode: NoProxyCode));
        rows.Detail(CauseId.ProxyHttpStatus, "504", new(
                "the HTTP proxy timed out connecting to the server",
                "The proxy answered 504 Gateway Timeout: its connection to the server got no answer in the proxy's own timeout.",
                "Check that the server is up and that firewalls between the proxy and the server let its RDP port through.",
                null, NoMstscCode: NoProxyCode));
        rows.Detail(CauseId.ProxyHttpStatus, "500", new(
                "the HTTP proxy failed to open the tunnel",
                "The proxy answered 500 Internal Server Error: tinyproxy answers so when it cannot resolve or connect to the server; other proxies for their own errors.",
                "Read the proxy's error page in the evidence and its log; check the server's name and port from the proxy's side.",
                null, NoMstscCode: NoProxyCode));
        rows.Add(CauseId.ProxyProtocolMismatch, "proxy", new(
                "the proxy port speaks another protocol",
                "The port given as a proxy answered in another protocol than the one asked for: an HTTP proxy where socks5:// was given, a SOCKS server where http:// was given, a SOCKS4-only server, or another service altogether. The detail names what answered.",
                "Give the scheme the port speaks in the proxy URL (socks5:// or http://), or the port of the proxy you meant.",
                null, NoMstscCode: NoProxyCode));
    }

    /// <summary>What each SOCKS5 reply code (RFC 1928 section 6) means for a CONNECT to an RDP server (a property: the catalogue is built from it during type initialisation).</summary>
    private static (Socks5ReplyCode Code, string Title, string Explanation, string Remedy)[] SocksReplies =>
    [
        (Socks5ReplyCode.GeneralFailure, "the SOCKS5 proxy failed (general SOCKS server failure)",
            "The proxy answered X'01' general SOCKS server failure: an error of its own, or (dante) a server name it could not resolve.",
            "Check the server's name from the proxy's side (the proxy resolves it) and the proxy's log for this request."),
        (Socks5ReplyCode.NotAllowedByRuleset, "the SOCKS5 proxy's rules forbid this connection",
            "The proxy answered X'02' connection not allowed by ruleset: its rules (dante: socks pass/block) do not let this client reach this server or port.",
            "Ask the proxy's administrator to allow the server's RDP port, or check the socks rules in the proxy's configuration; its log names the rule that blocked."),
        (Socks5ReplyCode.NetworkUnreachable, "the SOCKS5 proxy has no route to the server's network",
            "The proxy answered X'03' network unreachable: from the proxy there is no route to the server's network.",
            "Check routing from the proxy's host to the server; a proxy in another network segment may not reach it."),
        (Socks5ReplyCode.HostUnreachable, "the SOCKS5 proxy cannot reach the server",
            "The proxy answered X'04' host unreachable: the server is down or unreachable from the proxy, or (some proxies) its name does not resolve there.",
            "Check that the server is up and its name resolves on the proxy's host."),
        (Socks5ReplyCode.ConnectionRefused, "the server refused the proxy's connection",
            "The proxy answered X'05' connection refused: the proxy reached the server's host, and nothing listens on the RDP port there (or a firewall rejects the proxy).",
            "Check that Remote Desktop (or xrdp) runs on the server and listens on the port given, and that the server's firewall admits the proxy's address."),
        (Socks5ReplyCode.TtlExpired, "the SOCKS5 proxy's connection to the server timed out",
            "The proxy answered X'06' TTL expired: its connection attempt to the server expired (dante answers so when the server does not answer in time).",
            "Check that the server is up and that firewalls between the proxy and the server let the RDP port through."),
        (Socks5ReplyCode.CommandNotSupported, "the SOCKS5 proxy does not support CONNECT",
            "The proxy answered X'07' command not supported: it refuses the CONNECT command (a proxy configured for UDP or BIND only).",
            "Use a proxy that allows CONNECT, or enable it in this proxy's configuration (dante: command: connect)."),
        (Socks5ReplyCode.AddressTypeNotSupported, "the SOCKS5 proxy does not take this kind of address",
            "The proxy answered X'08' address type not supported: it refuses a server given by name (ATYP 3), or an IPv6 address (ATYP 4).",
            "Give the server by IP address (IPv4 where IPv6 is refused), or configure the proxy to resolve names."),
    ];
}
