using System.Collections.Frozen;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Diagnostics;

/// <summary>
/// What the catalogue knows about one cause: a title, what it means, what to do, and the code mstsc shows for the same
/// situation. An entry has either <paramref name="Mstsc"/> or, where no source documents the code mstsc shows,
/// <paramref name="NoMstscCode"/>: why it has none.
/// </summary>
/// <param name="Title">One line naming the situation.</param>
/// <param name="Explanation">What it means.</param>
/// <param name="Remedy">What to do about it.</param>
/// <param name="Mstsc">The disconnect reason (and extended reason) mstsc shows, when documented.</param>
/// <param name="NoMstscCode">Why the entry carries no mstsc code; one of <see cref="DiagnosisCatalog.NoMstscCodeReasons"/>.</param>
public sealed record CatalogEntry(string Title, string Explanation, string Remedy, MstscCode? Mstsc = null, string? NoMstscCode = null);

/// <summary>
/// The catalogue's one row for a cause: its entry, where the cause occurs, and the entries that say more for a phase
/// (a close after the Connect Initial means something else than a close during licensing) or for a detail (one
/// entry per NTSTATUS of <see cref="CauseId.AuthFailed"/>).
/// </summary>
/// <param name="Id">The cause.</param>
/// <param name="Where">The phases it occurs in, for the docs: <c>x224</c>, <c>any</c>, <c>mcs and later</c>.</param>
/// <param name="Entry">What it means wherever no more specific entry applies.</param>
public sealed record CatalogRow(CauseId Id, string Where, CatalogEntry Entry)
{
    public IReadOnlyDictionary<ConnectionPhase, CatalogEntry> ByPhase { get; init; } = new Dictionary<ConnectionPhase, CatalogEntry>();

    public IReadOnlyDictionary<string, CatalogEntry> ByDetail { get; init; } = new Dictionary<string, CatalogEntry>();
}

/// <summary>
/// The cause knowledge base: one row of data per <see cref="CauseId"/> with its explanation, remedy and the
/// mstsc-equivalent code. A lookup takes the entry for the cause's detail, else for its phase, else the row's own.
/// </summary>
public static partial class DiagnosisCatalog
{
    /// <summary>Why a catalogue entry carries no mstsc code (<see cref="CatalogEntry.NoMstscCode"/>).</summary>
    public static class NoMstscCodeReasons
    {
        /// <summary>An RDP Negotiation Failure: the failure code is documented, mstsc's disconnect reason for it is not.</summary>
        public const string NegotiationFailure =
            "undocumented: the disconnect reasons Microsoft documents for mstsc (IMsTscAxEvents::OnDisconnected, "
            + "https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected) name no code for an RDP Negotiation Failure; "
            + "MS-RDPBCGR 2.2.1.2.2 defines only its failureCode, and FreeRDP (libfreerdp/core/nego.c) logs that failureCode without an mstsc equivalent";

        /// <summary>An RD Gateway failure: mstsc shows its own gateway messages, with codes Microsoft does not document per cause.</summary>
        public const string Gateway =
            "undocumented: none of the disconnect reasons Microsoft documents for mstsc (IMsTscAxEvents::OnDisconnected, "
            + "https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected) names an RD Gateway failure; mstsc reports these "
            + "with its own gateway messages (\"the Remote Desktop Gateway server is temporarily unavailable\", \"...your user account is not authorized...\") "
            + "whose codes are not published per cause";

        /// <summary>A server that breaks the protocol in a way the documented disconnect reasons do not name.</summary>
        public const string Undocumented =
            "undocumented: none of the disconnect reasons Microsoft documents for mstsc (IMsTscAxEvents::OnDisconnected, "
            + "https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected) names this situation";

        /// <summary>Not a failure for mstsc: it follows a Server Redirection PDU.</summary>
        public const string Redirected =
            "none: mstsc does not disconnect with an error here, it follows the Server Redirection PDU and reconnects to the server it names (MS-RDPBCGR 2.2.13.1)";

        /// <summary>The person running rdphs stopped it: nothing happened to the connection that mstsc would report.</summary>
        public const string Interrupted =
            "none: the run was stopped from this side (Ctrl-C or SIGTERM), not by the server or the network; mstsc's code for a disconnection its own user asks for "
            + "(0x1, disconnectReasonLocalNotError) would say nothing about the server";

        /// <summary>A SOCKS5 or HTTP CONNECT proxy's answer: mstsc does not go through such proxies.</summary>
        public const string NoProxySupport =
            "none: mstsc does not connect through SOCKS5 or HTTP CONNECT proxies (it reaches session hosts through an RD Gateway), "
            + "so none of the disconnect reasons Microsoft documents for it (IMsTscAxEvents::OnDisconnected) names a proxy's answer";

        /// <summary>A client profile's refusal that mstsc does not make (it accepts the key or hash, or prompts).</summary>
        public const string NotAnMstscRefusal =
            "none: mstsc does not refuse this (it accepts RSA 1024 keys and SHA-1 signed server certificates, showing at most its usual certificate prompt), so this is not an mstsc failure";

        /// <summary>mstsc's CredSSP encryption oracle message, whose disconnect reason is not documented.</summary>
        public const string CredSspOracle =
            "undocumented: mstsc shows 'An authentication error has occurred ... This could be due to CredSSP encryption oracle remediation' "
            + "(https://support.microsoft.com/help/4295591), a disconnect reason the documented list (IMsTscAxEvents::OnDisconnected) does not name";

        /// <summary>An rdphs setting, check or fault, not something that ends an mstsc connection.</summary>
        public const string RdphsOnly =
            "none: this ends the run because of an rdphs option, check or fault, not because the connection failed; mstsc has no such stop, so it has no code for it";
    }

    private static readonly MstscCode SocketClosed = MstscCodes.For(0x904);
    private static readonly MstscCode ConnectFailed = MstscCodes.For(0x204);
    private static readonly MstscCode DnsFailed = MstscCodes.For(0x104);
    private static readonly MstscCode TimedOut = MstscCodes.For(0x108);

    private static readonly FrozenDictionary<CauseId, CatalogRow> Rows = Build();

    /// <summary>The row of <paramref name="id"/>; every id has one (a test enumerates them).</summary>
    public static CatalogRow Row(CauseId id) => Rows[id];

    /// <summary>Every row, in the order of <see cref="CauseId"/>.</summary>
    public static IReadOnlyList<CatalogRow> AllRows { get; } = [.. Rows.Values.OrderBy(r => r.Id)];

    /// <summary>The most specific entry for a cause: its detail's, else its phase's, else its row's.</summary>
    public static CatalogEntry Lookup(Cause cause)
    {
        CatalogRow row = Rows[cause.Id];
        CatalogEntry entry = cause.Detail is { } detail && row.ByDetail.TryGetValue(detail, out CatalogEntry? byDetail) ? byDetail
            : row.ByPhase.TryGetValue(cause.Phase, out CatalogEntry? byPhase) ? byPhase
            : row.Entry;
        // The server said why it ended the connection: its ERRINFO code is mstsc's extended reason.
        return cause.Id == CauseId.ServerErrorInfo && cause.Code is { } code
            ? entry with { Mstsc = new MstscCode(0x3, "ByServer", (int)code, cause.Detail) }
            : entry;
    }

    /// <summary>Every entry as (where, cause text, entry): each row's own, then its phase and detail entries; the docs list is generated from this.</summary>
    public static IEnumerable<(string Where, string Cause, CatalogEntry Entry)> All =>
        AllRows.SelectMany(row => Enumerable.Repeat((row.Where, row.Id.Name(), row.Entry), 1)
            .Concat(row.ByPhase.OrderBy(p => p.Key).Select(p => (p.Key.Name(), row.Id.Name(), p.Value)))
            .Concat(row.ByDetail.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => (row.Where, $"{row.Id.Name()}:{d.Key}", d.Value))));

    /// <summary>
    /// The cause table of docs/report-format.md, generated from the catalogue: one line per row and one per entry that
    /// says more for a phase or a detail. A test fails when the docs are stale.
    /// </summary>
    public static string MarkdownTable()
    {
        var table = new System.Text.StringBuilder();
        table.Append("| where | cause | what it means |\n|---|---|---|\n");
        foreach (CatalogRow row in AllRows)
        {
            string name = row.Id.DetailPlaceholder() is { } placeholder ? $"{row.Id.Name()}:{placeholder}" : row.Id.Name();
            table.Append($"| {row.Where} | `{name}` | {row.Entry.Title} |\n");
            foreach ((ConnectionPhase phase, CatalogEntry entry) in row.ByPhase.OrderBy(p => p.Key))
            {
                table.Append($"| {phase.Name()} | `{name}` | {entry.Title} |\n");
            }

            foreach ((string detail, CatalogEntry entry) in row.ByDetail.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                table.Append($"| {row.Where} | `{row.Id.Name()}:{detail}` | {entry.Title} |\n");
            }
        }

        return table.ToString();
    }

    /// <summary>
    /// The causes whose mstsc code is this disconnect reason: what <c>rdphs explain CODE</c> lists as the steps of a
    /// probe that end that way.
    /// </summary>
    public static IReadOnlyList<(string Where, string Cause, CatalogEntry Entry)> WithDisconnectReason(int disconnectReason) =>
        All.Where(c => c.Entry.Mstsc?.DisconnectReason == disconnectReason).ToList();

    /// <summary>
    /// The RD Gateway hop: its HTTP statuses, the E_PROXY_* statuses of MS-TSGU 2.2.6 one by one, and what closing or
    /// stalling means at each of its steps.
    /// </summary>
    private static void AddGateway(RowBuilder rows)
    {
        rows.Add(CauseId.GatewayHttpStatus, "gateway", new(
                "the RD Gateway refused the tunnel request with an HTTP status",
                "The gateway's web server answered RDG_OUT_DATA (or RDG_IN_DATA) with an HTTP status other than the 101 Switching Protocols or 200 OK that opens a tunnel. The detail is the status.",
                "The status names the layer: 401 authentication, 403 the gateway's or IIS's authorization, 404 no RD Gateway at /remoteDesktopGateway/ on this site, 503 the gateway service is stopped or overloaded. Check the RD Gateway Manager and the IIS site that hosts it.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.Detail(CauseId.GatewayHttpStatus, "401", new(
                "the RD Gateway asks for credentials rdphs did not send or it did not accept",
                "401 Unauthorized: the gateway authenticates every tunnel over HTTP (NTLM, Negotiate or Basic) before anything else, and this request carried no credentials it took.",
                "Give the gateway's user (`rdphs probe HOST --gateway https://GATEWAY --gateway-user DOMAIN\\user`, the password from RDPHS_GATEWAY_PASSWORD or the prompt); check the schemes the gateway offers (the step's wwwAuthenticate field) against the one rdphs used (`rdphs probe HOST --gateway https://GATEWAY --gateway-user DOMAIN\\user --gateway-auth basic` tries Basic).",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.Detail(CauseId.GatewayHttpStatus, "403", new(
                "the RD Gateway's web server forbids the request",
                "403 Forbidden: the user authenticated, but the web server or the gateway does not let this user (or this client address) use the gateway.",
                "Check the gateway's connection authorization policy (RD CAP) user groups and any IIS IP restrictions on the RD Gateway site.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.Detail(CauseId.GatewayHttpStatus, "404", new(
                "no RD Gateway answers at this address",
                "404 Not Found: the HTTPS server has no /remoteDesktopGateway/ endpoint for this method: it is another web server, or an RD Gateway that does not serve the HTTP transport (old gateways speak only RPC over HTTP).",
                "Check the gateway's name and port; on the gateway, check that the RD Gateway role is installed and its HTTP transport enabled (RD Gateway Manager, Transport Settings).",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.Detail(CauseId.GatewayHttpStatus, "503", new(
                "the RD Gateway service is unavailable",
                "503 Service Unavailable: the web server is up, but the gateway service behind it is stopped, overloaded or at its connection limit. This is mstsc's 'the Remote Desktop Gateway server is temporarily unavailable'.",
                "Check that the Remote Desktop Gateway service (TSGateway) is running and its event log (TerminalServices-Gateway) for its connection limit and errors.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));

        rows.Add(CauseId.GatewayAuthFailed, "gateway", new(
                "the RD Gateway refused the credentials",
                "The gateway answered the NTLM AUTHENTICATE (or the Basic credentials, or the Kerberos token without saying why) with 401 again: the user name or password is wrong for the gateway, the account is locked or disabled, or the gateway does not accept this scheme.",
                "Check the gateway user and its password (RDPHS_GATEWAY_PASSWORD), its domain (DOMAIN\\user), and the gateway's event log (TerminalServices-Gateway, Security) for the refused logon.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));

        rows.Add(CauseId.GatewayRefused, "gateway", new(
                "the RD Gateway refused the tunnel with an error status",
                "A gateway response packet (handshake, tunnel, authorization or channel) carried a failing status. The detail is its MS-TSGU name.",
                "The status names the check that failed; see its entry. The gateway's event log (Microsoft-Windows-TerminalServices-Gateway/Operational) records the same refusal with the user and the target.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        foreach ((string name, string title, string explanation, string remedy) in GatewayStatuses)
        {
            rows.Detail(CauseId.GatewayRefused, name, new(title, explanation, remedy, null, NoMstscCode: NoMstscCodeReasons.Gateway));
        }

        rows.Add(CauseId.GatewayTransportUnsupported, "gateway", new(
                "the RD Gateway does not serve the transport asked for",
                "rdphs asked for one transport with --gateway-transport and the gateway answered as the other: a 200 to the WebSocket upgrade (a gateway without WebSocket), or a 101 where the HTTP transport was asked for.",
                "Let rdphs choose as mstsc does (`rdphs probe HOST --gateway https://GATEWAY --gateway-transport auto`: WebSocket when the gateway offers it, else RDG_OUT_DATA and RDG_IN_DATA), or enable the transport on the gateway.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));

        rows.Add(CauseId.GatewayChannelClosed, "gateway", new(
                "the RD Gateway closed the channel to the session host",
                "During the RDP sequence the gateway sent PKT_TYPE_CLOSE_CHANNEL: its connection to the session host ended (the host closed it, or the gateway's session timeout or an administrator ended it). The detail is the status it gave.",
                "Probe the session host directly from the gateway's network to see how its RDP sequence ends; check the gateway's session and idle timeouts.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));

        // Kerberos to the gateway (--gateway-auth negotiate): the same causes as for the session host, at gateway.http-auth.
        rows.In(CauseId.KdcNotFound, ConnectionPhase.Gateway, new(
                "no KDC is known for the gateway user's realm",
                "Negotiate to the RD Gateway needs a Kerberos ticket for its HTTP/ principal, and no KDC of the gateway user's realm was given, listed in krb5.conf or found in DNS.",
                "Name the KDC (`rdphs probe HOST --gateway https://GATEWAY --gateway-user alice@REALM --gateway-auth negotiate --kdc KDC`), or list it in krb5.conf; check the realm in the gateway user's name (user@REALM).",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.In(CauseId.KdcUnreachable, ConnectionPhase.Gateway, new(
                "the KDC could not be reached for the gateway's ticket",
                "The request for the RD Gateway's ticket found no KDC listening (refused), no answer in time (timeout), or a connection that ended before the answer: a stopped KDC, a firewall on port 88, or a wrong address.",
                "Check that the KDC runs and listens on port 88 and that this machine reaches it (`rdphs probe HOST --gateway https://GATEWAY --gateway-user alice@REALM --gateway-auth negotiate --kdc KDC`).",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.In(CauseId.KerberosRejected, ConnectionPhase.Gateway, new(
                "the RD Gateway rejected the Kerberos token",
                "The gateway answered the Negotiate token with a SPNEGO reject and no KRB-ERROR: its web server does not accept Kerberos, or holds no key for the HTTP/ principal the ticket is for.",
                "Check the gateway's HTTP/ principal (`setspn -L` on its account) and that Windows Authentication with Negotiate is on for the RD Gateway site; `rdphs probe HOST --gateway https://GATEWAY --gateway-user alice@REALM --gateway-auth negotiate --gateway-spn HTTP/NAME` asks for another principal.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.In(CauseId.KerberosMutualAuthFailed, ConnectionPhase.Gateway, new(
                "the RD Gateway did not prove it holds its HTTP/ key",
                "The AP-REP in the gateway's WWW-Authenticate: Negotiate answer does not decrypt with the ticket's session key or answers another authenticator: whoever answered is not the gateway the ticket is for.",
                "Check that the gateway's name resolves to the intended server and that nothing intercepts TLS in front of it; do not send credentials there until it is explained.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));

        rows.In(CauseId.ClosedByPeer, ConnectionPhase.Gateway, new(
                "the RD Gateway closed the connection",
                "The gateway (or a reverse proxy or load balancer in front of it) closed the TLS connection while the step waited for its answer: during the TLS handshake, the HTTP authentication, or a tunnel packet. The step in the evidence says which.",
                "Check the gateway's event log (TerminalServices-Gateway) and any reverse proxy in front of it for this connection; `rdphs tls GW:443` shows whether its TLS handshake completes.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.In(CauseId.Timeout, ConnectionPhase.Gateway, new(
                "the RD Gateway did not answer in time",
                "The gateway accepted the connection and then sent nothing (or not all of its answer) before the read timeout at this step: a hung gateway service, a reverse proxy that buffers the tunnel's HTTP response, or a gateway still trying to reach the session host.",
                "Raise the timeout (`rdphs probe HOST --gateway https://GATEWAY --timeout 30`) to tell a slow gateway from a hung one; a reverse proxy in front of the gateway must pass RDG_OUT_DATA and RDG_IN_DATA (and the WebSocket upgrade) through unbuffered.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.In(CauseId.Reset, ConnectionPhase.Gateway, new(
                "the RD Gateway reset the connection",
                "A TCP reset ended the connection to the gateway while this step waited for it.",
                "Check firewalls and reverse proxies in front of the gateway, and the gateway's event log for this connection.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
        rows.In(CauseId.MalformedResponse, ConnectionPhase.Gateway, new(
                "the RD Gateway answered with bytes that are not what MS-TSGU says",
                "The gateway's HTTP response, WebSocket frame or tunnel packet could not be decoded at this step; the decode error in the evidence gives the field and its offset.",
                "Check that the address is an RD Gateway and not another HTTPS service or a proxy that rewrites its responses.",
                null, NoMstscCode: NoMstscCodeReasons.Gateway));
    }

    /// <summary>The E_PROXY_* statuses of MS-TSGU 2.2.6 with what each means and what to do.</summary>
    private static (string Name, string Title, string Explanation, string Remedy)[] GatewayStatuses =>
    [
        ("E_PROXY_NAP_ACCESSDENIED", "the RD Gateway's connection authorization policy refused this user",
            "E_PROXY_NAP_ACCESSDENIED (0x800759DB): no connection authorization policy (RD CAP) lets this user, from this client, use the gateway (or, on old gateways, network access protection refused the client's health).",
            "Add the user (or a group of theirs) to an RD CAP in RD Gateway Manager, and check its device redirection and authentication method requirements."),
        ("E_PROXY_RAP_ACCESSDENIED", "the RD Gateway's resource authorization policy does not allow this target",
            "E_PROXY_RAP_ACCESSDENIED (0x800759DA): no resource authorization policy (RD RAP) lets this user reach this computer through the gateway, or the target's name as sent is not the one the policy lists (a FQDN against a NetBIOS name, an address against a name).",
            "Add the target (or its computer group) to an RD RAP for the user's group, or probe the target by the name the policy lists; check the RD RAP's allowed port."),
        ("E_PROXY_TS_CONNECTFAILED", "the RD Gateway could not connect to the target",
            "E_PROXY_TS_CONNECTFAILED (0x800759DD): the gateway accepted the tunnel but its own TCP connection to the session host failed: the host is down, the name does not resolve on the gateway, or a firewall between gateway and host drops the port.",
            "From the gateway, test the target's name and port (Test-NetConnection HOST -Port 3389); fix DNS on the gateway or the firewall between gateway and host."),
        ("E_PROXY_INTERNALERROR", "the RD Gateway hit an internal error",
            "E_PROXY_INTERNALERROR (0x800759D8): the gateway failed on its own side.",
            "Check the gateway's event log (TerminalServices-Gateway) and restart the Remote Desktop Gateway service if it persists."),
        ("E_PROXY_QUARANTINE_ACCESSDENIED", "the RD Gateway's quarantine refused the client's health",
            "E_PROXY_QUARANTINE_ACCESSDENIED (0x800759ED): the gateway requires a statement of health (NAP) the client did not satisfy.",
            "Relax the gateway's health policy for this client, or connect from a compliant client."),
        ("E_PROXY_NOCERTAVAILABLE", "the RD Gateway has no certificate",
            "E_PROXY_NOCERTAVAILABLE (0x800759EE): no server authentication certificate is bound to the gateway.",
            "Import and select an SSL certificate in RD Gateway Manager (Properties, SSL Certificate)."),
        ("E_PROXY_CAPABILITYMISMATCH", "the client lacks a capability the RD Gateway requires",
            "E_PROXY_CAPABILITYMISMATCH (0x800759E9): the gateway requires a capability the tunnel request did not offer (e.g. its consent message or statement of health).",
            "Check the gateway's messaging and health settings against what the client offers."),
        ("E_PROXY_ALREADYDISCONNECTED", "the RD Gateway had already disconnected the tunnel",
            "E_PROXY_ALREADYDISCONNECTED (0x800759DF): the tunnel was closed on the gateway's side before this step.",
            "Retry; check the gateway's idle and session timeouts."),
        ("E_PROXY_COOKIE_BADPACKET", "the PAA cookie is malformed",
            "E_PROXY_COOKIE_BADPACKET (0x800759F7): the gateway could not read the pluggable authentication cookie sent in the tunnel create packet.",
            "Check the cookie the web access or broker issued (GatewayOptions.PaaCookie in the library)."),
        ("E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED", "the RD Gateway refused the PAA cookie",
            "E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED (0x800759F8): the pluggable authentication cookie was read and refused (expired, or for another user).",
            "Get a fresh cookie from the web access or broker that issues them."),
        ("E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD", "the RD Gateway does not support the authentication asked for",
            "E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD (0x800759F9): the handshake asked for an extended authentication (smart card, PAA) the gateway is not configured for.",
            "Use the gateway's configured method (HTTP authentication, or PAA through its web access)."),
        ("E_PROXY_MAXCONNECTIONSREACHED", "the RD Gateway is at its connection limit",
            "E_PROXY_MAXCONNECTIONSREACHED (0x000059E6): the gateway allows no more connections.",
            "Raise the gateway's maximum connections (RD Gateway Manager, Properties, General) or retry later."),
        ("E_PROXY_SESSIONTIMEOUT", "the RD Gateway's session timeout ended the connection",
            "E_PROXY_SESSIONTIMEOUT (0x000059F6): the gateway's session timeout expired.",
            "Check the session timeout of the gateway's RD CAP."),
    ];

    private static FrozenDictionary<CauseId, CatalogRow> Build()
    {
        var rows = new RowBuilder();
        rows.Add(CauseId.NameNotResolved, "tcp", new(
                "the host name does not resolve",
                "DNS returned no address for the target, so no connection was attempted.",
                "Check the spelling of the host name and the DNS server in use, or probe the IP address directly.",
                DnsFailed));

        rows.Add(CauseId.ConnectionRefused, "tcp", new(
                "nothing listens on the port",
                "The host answered the TCP SYN with a reset: it is up, but no service accepts connections on this port (or a host firewall rejects them).",
                "Check that the Remote Desktop Services service (TermService) or xrdp is running and listening on this port (netstat -an / ss -ltn), and that the port is the one configured (registry PortNumber under RDP-Tcp).",
                ConnectFailed));

        rows.Add(CauseId.Unreachable, "tcp", new(
                "the host or network is unreachable",
                "The local stack or a router reported that the host or network cannot be reached.",
                "Check routing and VPN state from this machine (ip route, traceroute), and that the address is the right one.",
                ConnectFailed));

        rows.Add(CauseId.ConnectTimeout, "tcp", new(
                "no answer to the TCP connection attempt",
                "The SYN went unanswered until the connect timeout: a firewall dropping packets, a host that is down, or a wrong address.",
                "Check firewalls between here and the server (allow TCP 3389 or the configured port), that the host is up, and that a VPN, if needed, is connected.",
                ConnectFailed));

        rows.Add(CauseId.Reset, "any", new(
                "the connection was reset",
                "A TCP reset ended the connection while this step waited for the server.",
                "Check the server's logs and any firewall, IPS or proxy on the path.",
                SocketClosed));
        rows.In(CauseId.Reset, ConnectionPhase.Tcp, new(
                "the server reset the connection as soon as it was accepted",
                "The TCP handshake completed, then a reset arrived before the connection could be used: the listener accepted and dropped it at once. A connection limit, an IP allow-list, a service that is shutting down, or a middlebox that resets RDP does this.",
                "Check the server's connection limits and IP restrictions (and its event log or xrdp.log for the refused connection), and any firewall or IPS on the path.",
                ConnectFailed));
        rows.In(CauseId.Reset, ConnectionPhase.X224, new(
                "the server reset the connection during negotiation",
                "A TCP reset arrived instead of a Connection Confirm. Something actively rejected the connection after accepting it: a firewall or IPS that inspects RDP, a proxy, or a server process that crashed or aborted the socket.",
                "Probe from a host on the server's own network to rule out a middlebox; check the server's event log and any firewall or IPS logs for this connection.",
                SocketClosed));

        rows.Add(CauseId.SocketError, "any", new(
                "a socket error ended the connection",
                "The operating system reported an error on the connection.",
                "The socket error in the evidence says which.",
                SocketClosed));
        rows.In(CauseId.SocketError, ConnectionPhase.Tcp, new(
                "the connection failed with a socket error",
                "The operating system reported an error connecting to the server.",
                "The socket error named in the evidence says which; check the network path to the server.",
                ConnectFailed));

        rows.Add(CauseId.ClosedByPeer, "any", new(
                "the server closed the socket",
                "The server closed the TCP connection (FIN) while this step waited for its answer.",
                "The step and the last bytes in the evidence show where; check the server's logs for this connection.",
                SocketClosed));
        rows.In(CauseId.ClosedByPeer, ConnectionPhase.X224, new(
                "the server closed the socket right after the X.224 Connection Request",
                "The TCP connection was accepted, but the server closed it instead of sending a Connection Confirm. The listener or its security layer refused this client before negotiating: a server that drops requests it dislikes (xrdp drops unknown requestedProtocols), a connection limit, an IP filter, or a proxy or load balancer in front of the server that did not like the routing token or cookie.",
                "Try `rdphs protocols HOST` to see which requested protocols the server answers; retry without a cookie (`rdphs probe HOST --no-cookie`) or with the routing token a broker expects (`rdphs probe HOST --routing-token TOKEN`); check the server's event log (TerminalServices-RemoteConnectionManager) or xrdp.log for the refused connection.",
                SocketClosed));
        rows.In(CauseId.ClosedByPeer, ConnectionPhase.Tls, new(
                "the server closed the socket during the TLS handshake",
                "The server closed the connection part-way through the TLS handshake, after its first messages: it may have rejected our messages without an alert.",
                "The steps show the last TLS message received; compare the negotiated version and suite with the server's configuration.",
                SocketClosed));
        rows.In(CauseId.ClosedByPeer, ConnectionPhase.Mcs, new(
                "the server closed the socket after the MCS Connect Initial",
                "The security protocol was in place, and the server closed the connection when it read the client's settings (the GCC Conference Create Request). Windows does this when the client data is unacceptable: a serverSelectedProtocol that does not match the negotiation, too many static channels, a colour depth or desktop size it refuses, or (Standard RDP Security) no encryption method it allows among those offered.",
                "Compare the client data in the mcs.connect-initial step with the server's policy; retry with fewer channels (`rdphs probe HOST --channels none`), and for Standard RDP Security offer every method (`rdphs probe HOST -p rdp --encryption-methods 40,56,128,fips`). The server's event log names the rejected setting.",
                SocketClosed));
        rows.In(CauseId.ClosedByPeer, ConnectionPhase.Security, new(
                "the server closed the socket after the security exchange",
                "The server closed the connection right after the client's Security Exchange or Client Info PDU: it could not decrypt what the client sent (its RSA key does not match the certificate it published), or refused the logon information.",
                "Restart the server's Remote Desktop Services (it regenerates the Standard Security keys); check the server's event log for the closed connection.",
                SocketClosed));
        rows.In(CauseId.ClosedByPeer, ConnectionPhase.Licensing, new(
                "the server closed the socket during licensing",
                "After the Client Info PDU the server closed the connection without a license answer. A Remote Desktop Session Host without client access licences (no licence server, grace period over) ends the connection at this point, usually after a licence error; a server that denies the user or the connection does it here too.",
                "Check the licensing configuration of the session host (licensing mode, licence server reachable, CALs available: RD Licensing Diagnoser); check the server's event log (TerminalServices-Licensing) for this connection.",
                SocketClosed));
        rows.In(CauseId.ClosedByPeer, ConnectionPhase.Capabilities, new(
                "the server closed the socket before the session became active",
                "The server closed the connection while the client waited for the Demand Active (after licensing) or after the client's Confirm Active: it refused the client's capabilities, or ended the logon (e.g. a denied user, a session limit).",
                "Check the server's event log for this connection; compare the capability sets in the timeline with what the server requires (colour depth, desktop size).",
                SocketClosed));
        rows.In(CauseId.ClosedByPeer, ConnectionPhase.Finalization, new(
                "the server closed the socket during finalization",
                "The capabilities were exchanged, then the server closed the connection before its Font Map: the session could not start (logon failure, session limit, a policy that ends the connection).",
                "Check the server's event log and any Set Error Info code in the timeline.",
                SocketClosed));

        rows.Add(CauseId.Timeout, "any", new(
                "the server did not answer in time",
                "No complete answer arrived before the read timeout.",
                "Raise the timeout (`rdphs probe HOST --timeout 30`) to tell a slow server from a hung one.",
                TimedOut));
        rows.In(CauseId.Timeout, ConnectionPhase.X224, new(
                "the server did not answer the X.224 Connection Request in time",
                "The TCP connection is up, but no Connection Confirm arrived before the read timeout. The service may be hung, overloaded, or not an RDP service; a path that drops larger packets (MTU black hole) can also stall here.",
                "Raise the timeout (`rdphs probe HOST --timeout 30`) to tell a slow server from a hung one; check that the port really serves RDP; if a VPN is involved, test with a lower MTU.",
                TimedOut));
            // 0x908 disconnectReasonLicensingTimeout, "licensing time-out": https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected
        rows.In(CauseId.Timeout, ConnectionPhase.Licensing, new(
                "the server did not answer in time during licensing",
                "After the Client Info PDU the server sent no licensing answer (a License Request, a licence error or STATUS_VALID_CLIENT) before the read timeout, or stopped answering part-way through the licensing exchange. A session host that waits for an unreachable licence server can stall here.",
                "Raise the timeout (`rdphs probe HOST --timeout 30`) to tell a slow server from a hung one; check the session host's licensing configuration and whether its licence server answers (RD Licensing Diagnoser).",
                MstscCodes.For(0x908)));
        rows.In(CauseId.Timeout, ConnectionPhase.Tls, new(
                "the server did not answer the TLS ClientHello in time",
                "The server selected TLS and then sent nothing back within the read timeout. Its answer (ServerHello with the certificate) is usually the first packet of the connection larger than one TCP segment, so besides a hung server, a path MTU black hole (a VPN or tunnel that drops full-size segments while ICMP 'fragmentation needed' is blocked) ends here: the small X.224 exchange passed, the certificate flight did not.",
                "If a VPN or tunnel is on the path, lower the client's MTU (e.g. 1350) or enable MSS clamping on the gateway and probe again; otherwise check whether the server's TLS stack hangs (raise the timeout, `rdphs probe HOST --timeout 30`, and look at its logs).",
                TimedOut));

        rows.Add(CauseId.NegotiationFailure, "x224", new(
                "the server refused the requested security protocols",
                "The server answered with an RDP Negotiation Failure: none of the security protocols the client offered is acceptable to it.",
                "Offer the protocol the failure code names (`rdphs protocols HOST` shows which ones the server accepts), or change the server's security layer to one the client supports.",
                null, NoMstscCode: NoMstscCodeReasons.NegotiationFailure));
        rows.Detail(CauseId.NegotiationFailure, "SSL_REQUIRED_BY_SERVER", new(
                "the server requires TLS (or CredSSP) and the client offered only Standard RDP Security",
                "RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER: the server's security layer is TLS or negotiate-with-NLA, and the request did not include PROTOCOL_SSL.",
                "Offer TLS (`rdphs probe HOST -p ssl,hybrid`). On the server side, the security layer is set by 'Require use of specific security layer' (Windows) or security_layer in xrdp.ini.",
                null, NoMstscCode: NoMstscCodeReasons.NegotiationFailure));
        rows.Detail(CauseId.NegotiationFailure, "SSL_NOT_ALLOWED_BY_SERVER", new(
                "the server allows Standard RDP Security only",
                "RDP_NEG_FAILURE SSL_NOT_ALLOWED_BY_SERVER: the server is configured for the RDP security layer and refuses TLS and CredSSP.",
                "Offer Standard RDP Security (`rdphs probe HOST -p rdp`), or better, enable TLS on the server: Standard RDP Security is weak (RC4, no server authentication).",
                null, NoMstscCode: NoMstscCodeReasons.NegotiationFailure));
        rows.Detail(CauseId.NegotiationFailure, "SSL_CERT_NOT_ON_SERVER", new(
                "the server has no usable TLS certificate",
                "RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER: the server would use TLS but cannot load its certificate or private key.",
                "On Windows, restart the Remote Desktop Services service so it regenerates its self-signed certificate, and check that the machine key store (C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys) is readable by NETWORK SERVICE; on xrdp, check the certificate and key_file paths and permissions.",
                null, NoMstscCode: NoMstscCodeReasons.NegotiationFailure));
        rows.Detail(CauseId.NegotiationFailure, "INCONSISTENT_FLAGS", new(
                "the requested protocols contradict the security already in effect",
                "RDP_NEG_FAILURE INCONSISTENT_FLAGS: possible only with the Direct Approach, where TLS or CredSSP already runs before X.224.",
                "Check what sits in front of the server (a gateway or proxy that starts TLS itself), and request the protocol already in use.",
                null, NoMstscCode: NoMstscCodeReasons.NegotiationFailure));
        rows.Detail(CauseId.NegotiationFailure, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER", new(
                "the server requires TLS with a client certificate",
                "RDP_NEG_FAILURE SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER: the server wants TLS with certificate-based client authentication.",
                "Use a client that authenticates with a certificate (smart card), or change the server's policy.",
                null, NoMstscCode: NoMstscCodeReasons.NegotiationFailure));

        rows.Add(CauseId.NlaRequired, "x224", new(
                "the server requires Network Level Authentication (CredSSP)",
                "The server answered the X.224 Connection Request with RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER: it requires Network Level Authentication, and the request did not include PROTOCOL_HYBRID. A client configured for TLS only, or an old client without CredSSP, cannot connect; mstsc reports it as a security-layer mismatch.",
                "Offer NLA, as the default does, and give credentials (`rdphs probe HOST -p ssl,hybrid --user DOMAIN\\user`), or turn off 'Require user authentication for remote connections by using Network Level Authentication' on the server.",
                MstscCodes.For(0x904)));

        rows.Add(CauseId.ProtocolNotRequested, "x224", new(
                "the server selected a protocol the client did not offer",
                "The RDP_NEG_RSP names a security protocol outside the requestedProtocols, or several at once. A conforming server never does this; a proxy rewriting the request, or a server bug, can.",
                "Compare the requested and selected protocols in the evidence; probe the server directly, bypassing any proxy or load balancer.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.X224DisconnectRequest, "x224", new(
                "the server refused the connection with an X.224 Disconnect Request",
                "Instead of a Connection Confirm, the server (or a device in front of it) sent an X.224 Disconnect Request, refusing the transport connection.",
                "The reason code in the evidence says why; check any RDP gateway, proxy or load balancer in front of the server.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.NotRdp, "x224", new(
                "the port serves another protocol than RDP",
                "The server answered the X.224 Connection Request in another protocol: the port belongs to another service (a web server, SSH, SMB, VNC), or speaks TLS from its first byte where an RDP listener first answers with an X.224 Connection Confirm in the clear. The detail names the protocol; the evidence shows the first bytes it sent.",
                "Point the client at the RDP port: 3389 unless the server's PortNumber (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp) or xrdp.ini says otherwise; check the port forwarding, NAT and load-balancer rules that lead to this port. `rdphs scan HOST` shows what the server's RDP port answers.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));
        rows.Detail(CauseId.NotRdp, "HTTP", new(
                "a web server answered",
                "The answer is an HTTP status line: a web server (or an RD Web Access, RD Gateway or reverse proxy site) listens on this port, not an RDP listener.",
                "Probe the RDP port instead, or fix the port forwarding that sends this port to a web server; an RD Gateway is reached by clients through its gateway setting, not as a session host.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));
        rows.Detail(CauseId.NotRdp, "TLS", new(
                "a TLS service answered, without the X.224 negotiation",
                "The answer is a TLS record: the port speaks TLS from the first byte (an HTTPS service, an RD Gateway, a TLS-terminating proxy or load balancer), where RDP negotiates in X.224 first and starts TLS only after the Connection Confirm. Such a TLS server reads the Connection Request as a broken record and answers with an alert.",
                "If a proxy or load balancer terminates TLS in front of the RDP server, make it pass TCP through (or use its RDP mode), or probe the server behind it directly; if this is an RD Gateway, connect through it as a gateway. Otherwise probe the RDP port.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.DisconnectUltimatum, "any", new(
                "the server ended the connection with an MCS Disconnect Provider Ultimatum",
                "The server ended the MCS domain without saying why (no Set Error Info before it).",
                "Check the server's event log for this connection; re-run stopping at the phase before the one that failed (`rdphs probe HOST --until mcs`, for instance) to see how far it gets.",
                SocketClosed));
        rows.In(CauseId.DisconnectUltimatum, ConnectionPhase.X224, new(
                "the server refused the requested protocols by disconnecting",
                "Instead of a Connection Confirm, the server sent an MCS Disconnect Provider Ultimatum and closed the connection. xrdp does this when requestedProtocols holds a flag it does not know (for xrdp 0.9, anything above 0x0B, such as PROTOCOL_RDSAAD).",
                "Offer only protocols the server knows (see `rdphs protocols HOST`); for xrdp, leave out rdsaad.",
                SocketClosed));
        rows.In(CauseId.DisconnectUltimatum, ConnectionPhase.Tls, new(
                "the server selected TLS but could not start it",
                "The server chose TLS in the X.224 negotiation, then answered the ClientHello with an MCS Disconnect Provider Ultimatum and closed the connection: its own TLS layer failed to start. The usual reason is the server certificate or its private key: the key does not belong to the certificate, the key is too small for the server's TLS library (OpenSSL refuses RSA keys under 2048 bits at its default security level), or the files are corrupt. xrdp answers like this; a Windows server in the same state closes the socket.",
                "Give the server a valid certificate with the private key that belongs to it, RSA 2048 bits or more: on xrdp, check certificate and key_file in xrdp.ini (openssl x509 -noout -modulus and openssl rsa -noout -modulus must match) and xrdp.log; on Windows, restart the Remote Desktop Services service to regenerate the self-signed certificate and check the machine key store.",
                SocketClosed));

        rows.Add(CauseId.ClosedAfterClientHello, "tls", new(
                "the server closed the socket right after the TLS ClientHello",
                "The server selected TLS in the X.224 negotiation, then closed the connection without sending a single TLS byte. A Windows server does this when its RDP certificate or the private key behind it cannot be used: the certificate is corrupt or missing, the key in the machine key store is damaged or unreadable, or the configured certificate thumbprint points at nothing. It also happens when the server's TLS stack accepts none of the offered versions and does not bother to send an alert.",
                "On the server, restart the Remote Desktop Services service (Restart-Service TermService -Force) so it regenerates its self-signed certificate; if that fails, check C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys (permissions, a corrupt key file for the RDP certificate) and the certificate thumbprint under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp. On xrdp, check that certificate and key_file exist, are readable and belong together. Then rule out a version mismatch: `rdphs probe HOST --tls-versions 1.2`, then `rdphs probe HOST --tls-versions 1.0`.",
                SocketClosed));

        rows.Add(CauseId.ServerTlsSetupFailed, "tls", new(
                "the server selected TLS but did not start it",
                "The server chose TLS in the X.224 negotiation, then answered the ClientHello with an RDP packet instead of a ServerHello: its security layer and its negotiation disagree, or its TLS layer failed to start. (A server that sends a Disconnect Provider Ultimatum here is diagnosed as disconnect-ultimatum in phase tls.)",
                "Check the server's TLS configuration and its log for this connection: on xrdp, certificate and key_file in xrdp.ini and xrdp.log; on Windows, the RDP certificate and the machine key store. Then probe again.",
                SocketClosed));

        rows.Add(CauseId.ResetAfterClientHello, "tls", new(
                "the connection was reset right after the TLS ClientHello",
                "The server (or a device in between) reset the connection as soon as the TLS handshake began. Besides an unusable server certificate or key, this is what a firewall or IPS that dislikes the ClientHello does.",
                "Check the server certificate and key as for a close after ClientHello, and any inspecting firewall or IPS on the path.",
                SocketClosed));

        rows.Add(CauseId.NoCommonVersion, "tls", new(
                "no TLS version in common",
                "The server accepts none of the TLS versions offered: typically a server limited to TLS 1.0 meeting a client that disabled it, or a hardened server (TLS 1.2+ only) meeting an old client.",
                "Run `rdphs tls HOST` to list the versions the server accepts, then enable a common version on one side (Windows: SCHANNEL\\Protocols registry keys; xrdp: ssl_protocols).",
                SocketClosed));

        rows.Add(CauseId.NoCommonCipherSuite, "tls", new(
                "no TLS cipher suite in common",
                "The server answered the ClientHello with a handshake_failure alert: none of the offered cipher suites (or key-exchange groups, or signature algorithms) is enabled on the server.",
                "Run `rdphs tls HOST` to list the suites the server accepts, then align the cipher suite order on the server (Windows: 'SSL Cipher Suite Order' policy; xrdp: tls_ciphers) with what the clients offer.",
                SocketClosed));

        rows.Add(CauseId.ServerAlert, "tls", new(
                "the server aborted the TLS handshake with an alert",
                "The server sent a fatal TLS alert; its name says what it objected to.",
                "Look up the alert in the evidence: bad_certificate or unknown_ca point at client certificates, decode_error or illegal_parameter at an incompatible TLS stack.",
                SocketClosed));

        rows.Add(CauseId.LocalAlert, "tls", new(
                "the server's TLS handshake was invalid",
                "rdphs's TLS client aborted the handshake because a message from the server was malformed or not allowed at this point (decode_error, illegal_parameter, unexpected_message, bad_record_mac...). A broken TLS terminator or a server TLS bug is the usual cause.",
                "The alert and its detail in the evidence name the message at fault; report them with the received bytes to the server's vendor.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.MalformedRecord, "tls", new(
                "the server did not answer with TLS",
                "After selecting a TLS-based protocol in the X.224 negotiation, the server sent bytes that are not a TLS record. The server's negotiation and its security layer disagree, or something in the path rewrote the stream.",
                "The received hex in the evidence shows what came instead (a TPKT header 03 00 means the server continued without TLS).",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.CertificateRejected, "tls", new(
                "the server certificate fails the certificate policy",
                "The TLS handshake succeeded, but the certificate has a finding that --cert-policy turns into a failure.",
                "Replace the RDP certificate (a certificate from the organisation's CA with Server Authentication and the server's name, RSA 2048+ and SHA-256), or relax the certificate policy (`rdphs probe HOST --cert-policy expired` fails on expiry alone).",
                null, NoMstscCode: NoMstscCodeReasons.RdphsOnly));

        rows.Add(CauseId.AuthFailed, "credssp", new(
                "the server refused the credentials",
                "The server's CredSSP answer carries an NTSTATUS errorCode (CredSSP version 3 and later): the NTLM authentication itself failed, for the reason the status names.",
                "Act on the status: a wrong password or user (STATUS_LOGON_FAILURE), an expired or must-change password (log on locally or change it first), a locked or disabled account (unlock or enable it), logon rights (add the user to Remote Desktop Users).",
                SocketClosed));

        rows.Add(CauseId.ClosedAfterAuthenticate, "credssp", new(
                "the server closed the connection after the NTLM AUTHENTICATE",
                "The server received our credentials' proof and closed the connection without an errorCode. Servers that speak CredSSP version 2 (or that are configured not to report errors) do this when authentication fails, so the credentials were most likely rejected: a wrong password, an unknown user, or an account that may not log on.",
                "Check the user name (DOMAIN\\user) and password; try `rdphs probe HOST --user DOMAIN\\user --credssp-version 6` so a modern server can report the precise status; check the server's Security event log (event 4625) for the failed logon and its reason.",
                SocketClosed));

        rows.Add(CauseId.PubKeyBindingMismatch, "credssp", new(
                "the server's CredSSP answer does not match the TLS certificate",
                "CredSSP binds the authentication to the TLS server key: the server must prove, inside the NTLM session, that it saw the same public key. It did not, so something between the client and the server terminated TLS with another key: a man in the middle, or a TLS-terminating load balancer or proxy that CredSSP cannot pass through.",
                "Do not send credentials over this path. Connect directly to the server, or make the proxy pass TLS through; if the server itself is broken, report it.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.CredSspVersionMismatch, "credssp", new(
                "the server requires a CredSSP client updated for CVE-2018-0886",
                "CredSSP versions 2 to 4 bind the TLS key without a nonce, which CVE-2018-0886 (the CredSSP encryption oracle) broke. A server updated in 2018 and set to 'Force Updated Clients' (policy Encryption Oracle Remediation) refuses clients that still use that binding: this client spoke an older version than the server accepts, and the server answered SEC_E_UNSUPPORTED_FUNCTION. mstsc shows it as 'an authentication error... This could be due to CredSSP encryption oracle remediation'.",
                "Update the client (any Windows or FreeRDP release since May 2018 speaks version 6; with rdphs, leave the CredSSP version at its default, `rdphs probe HOST --user DOMAIN\\user`, or set 5, `rdphs probe HOST --user DOMAIN\\user --credssp-version 5`). Do not lower the server to 'Vulnerable' to let old clients in.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.MechListMicMismatch, "credssp", new(
                "the server's SPNEGO mechanism-list signature does not verify",
                "SPNEGO protects the list of mechanisms the client offered with a signature under the NTLM session key (mechListMIC). The server's signature does not match the list this client sent: the negotiation was altered on the way (a downgrade attempt), or the server signs differently from Windows.",
                "Do not send credentials over this path. Compare with NTLM outside SPNEGO (`rdphs probe HOST --user DOMAIN\\user --ntlm-bare`); if a direct connection shows the same, report the server's behaviour.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.AccessDenied, "credssp", new(
                "the user may not log on to this server",
                "With HYBRID_EX the server checks the user's logon rights before the session starts and answered AUTHZ_ACCESS_DENIED: the credentials are right, but the user lacks the right to log on through Remote Desktop Services.",
                "Add the user to the Remote Desktop Users group (or grant 'Allow log on through Remote Desktop Services'), and check 'Deny log on through Remote Desktop Services'.",
                MstscCodes.For(0x904)));

        rows.Add(CauseId.CredentialsRequired, "credssp", new(
                "the server requires Network Level Authentication, and no credentials were given",
                "The server selected CredSSP (NLA): every phase after it (MCS, licensing, the session) runs only after the user authenticates. The run got as far as a client can without credentials: the NTLM CHALLENGE, which names the server.",
                "Give credentials: `rdphs probe HOST --user DOMAIN\\user` (the password comes from $RDPHS_PASSWORD, a password file or a prompt). To check only that NLA is offered, and see the names and Windows build the server reveals without credentials, run `rdphs ntlm-info HOST`.",
                null, NoMstscCode: NoMstscCodeReasons.RdphsOnly));

        rows.Add(CauseId.ServerError, "credssp", new(
                "the server answered the CredSSP negotiation with an error",
                "The server's TSRequest carries an errorCode instead of continuing the NTLM exchange: it could not accept the authentication token. A server that wants NTLM without SPNEGO (FreeRDP 2), or one that accepts Kerberos only, answers like this.",
                "The error code in the evidence names the failure (an NTSTATUS or HRESULT). Try NTLM outside SPNEGO for FreeRDP 2 servers (`rdphs probe HOST --ntlm-bare`; `rdphs ntlm-info HOST` retries that way by itself).",
                SocketClosed));

        rows.Add(CauseId.NtlmRejected, "credssp", new(
                "the server does not accept NTLM",
                "The server's SPNEGO answer rejects NTLM: it accepts another mechanism only (typically Kerberos), so NTLM-based clients and scanners cannot authenticate.",
                "Use a client that authenticates with Kerberos (a domain-joined machine with a line of sight to a KDC), or allow NTLM on the server.",
                SocketClosed));

        rows.Add(CauseId.NtlmBlocked, "credssp", new(
                "the server refuses NTLM: it authenticates with Kerberos only",
                "The server answered the NTLM token with STATUS_NTLM_BLOCKED: a Restrict NTLM policy (on the server or its domain) refuses NTLM, so only a client that gets a Kerberos ticket for the server can log on. When the report shows a Kerberos attempt before NTLM, that attempt is why Kerberos was not used.",
                "Make Kerberos work: give the user with its realm and a KDC, and the server by the name of its TERMSRV principal (`rdphs probe HOST --user alice@REALM --kdc KDC --auth kerberos`); or add this client to the server's NTLM exceptions (Network security: Restrict NTLM: Add server exceptions).",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.KdcNotFound, "credssp", new(
                "no KDC is known for the realm",
                "Kerberos needs a KDC of the user's realm, and none was given, none is listed for the realm in krb5.conf, and none was found in DNS. Windows clients find the domain's KDCs through DNS; a client that cannot says the Local Security Authority cannot be contacted.",
                "Name the KDC (`rdphs probe HOST --user alice@REALM --kdc KDC`), or list it in krb5.conf ([realms] REALM = { kdc = KDC }); check the realm's spelling in the user name.",
                MstscCodes.For(0x1807)));

        rows.Add(CauseId.KdcUnreachable, "credssp", new(
                "the KDC could not be reached",
                "The request to the KDC found no KDC listening (refused), no answer within the deadline (timeout), or a connection that ended before the answer (closed, reset, truncated): a stopped KDC service, a firewall between client and KDC (TCP and UDP 88), or a wrong address.",
                "Check that the KDC runs and listens on port 88 (TCP and UDP) and that this machine can reach it; try another KDC of the realm (`rdphs probe HOST --user alice@REALM --kdc KDC`).",
                MstscCodes.For(0x1807)));

        rows.Add(CauseId.KerberosError, "credssp", new(
                "the KDC or the server refused the Kerberos request",
                "A KRB-ERROR (RFC 4120 5.9.1) ended the Kerberos exchange: the error's name (RFC 4120 7.5.9) says why, and its e-text, its time and its e-data (encryption types, an NTSTATUS) are in the step's fields.",
                "Act on the error named; `rdphs probe HOST --user alice@REALM --kdc KDC -v` shows every Kerberos field of the exchange.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.KerberosReplyInvalid, "credssp", new(
                "the KDC's reply does not answer the request",
                "The KDC's reply cannot be used: its encrypted part does not decrypt with the expected key, or it echoes another nonce or names another principal. Without pre-authentication a wrong password shows this way (the KDC could not check it); otherwise something between client and KDC altered or replayed the reply.",
                "Check the password; if it is right, capture the KDC traffic (port 88) and compare the reply with the request, and check for a second KDC answering for the realm.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.KerberosRejected, "credssp", new(
                "the server rejected the Kerberos token",
                "The server's SPNEGO answer refuses the Kerberos AP-REQ without a KRB-ERROR saying why: it does not accept Kerberos, or holds no key for the principal the ticket is for.",
                "Check that the server is joined to the realm and that its TERMSRV principal is the one asked for (`rdphs probe HOST --user alice@REALM --spn TERMSRV/NAME`); `setspn -L` on the server's account lists its principals.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.KerberosMutualAuthFailed, "credssp", new(
                "the server did not prove it holds the service key",
                "Mutual authentication failed: the server's AP-REP does not decrypt with the service ticket's session key, answers another authenticator, or is missing. Whoever answered is not the server the ticket is for.",
                "Check that the name resolves to the intended server (a DNS or hosts entry pointing elsewhere, an interception proxy); do not send credentials to this endpoint until it is explained.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.ConnectResponseResult, "mcs", new(
                "the server rejected the client's settings",
                "The MCS Connect Response carries a failure result instead of rt-successful: the server could not accept the domain parameters or the GCC client data (MS-RDPBCGR 3.3.5.3.3.1 answers invalid client data with rt-unspecified-failure).",
                "The result name says what failed; check the client data in mcs.connect-initial (channels, colour depth, desktop size) against the server's limits.",
                MstscCodes.For(0x904)));

        rows.Add(CauseId.AttachUserResult, "mcs", new(
                "the server refused to attach the user",
                "The MCS Attach User Confirm carries a failure result: the server's MCS domain has no room for another user (rt-too-many-users) or refused the request.",
                "The server may be at its connection limit: check its session limits and active sessions.",
                MstscCodes.For(0x904)));

        rows.Add(CauseId.ChannelJoinResult, "mcs", new(
                "the server refused to join a channel",
                "An MCS Channel Join Confirm carries a failure result or names another channel than the one requested.",
                "The step names the channel; retry without static channels (`rdphs probe HOST --channels none`) to see whether a channel policy (e.g. a disabled redirection) is the cause.",
                MstscCodes.For(0x904)));

        rows.Add(CauseId.RequestedProtocolsMismatch, "mcs", new(
                "the server saw a different Connection Request than the client sent",
                "SC_CORE.clientRequestedProtocols echoes what the server received as requestedProtocols, and it differs from what rdphs sent: something between client and server rewrote the X.224 Connection Request, which is how a downgrade attack (to weaker security) works. MS-RDPBCGR 3.2.5.3.4 tells clients to drop the connection.",
                "Probe from a host next to the server; find and remove the device that rewrites RDP (a proxy or an RDP-aware load balancer), and do not send credentials over this path.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.NoCommonEncryptionMethod, "mcs", new(
                "no Standard RDP Security encryption method in common",
                "The server chose an encryption method the client did not offer (or closed because none of the offered ones is allowed): a server at the FIPS level wants ENCRYPTION_METHOD_FIPS, a server at High wants 128-bit.",
                "Offer the method the server requires (every method: `rdphs probe HOST -p rdp --encryption-methods 40,56,128,fips`), or better, switch the server to TLS: Standard RDP Security has no server authentication.",
                MstscCodes.For(0x506)));

        rows.Add(CauseId.FipsRequired, "mcs", new(
                "the server requires FIPS 140 encryption",
                "The server's Standard RDP Security runs at the FIPS level (Windows: the 'System cryptography: Use FIPS compliant algorithms' policy, or encryption level FIPS; xrdp: crypt_level=fips) and chose ENCRYPTION_METHOD_FIPS (3DES and SHA-1), which the client did not offer. Older clients and clients built without 3DES cannot connect.",
                "Offer FIPS (`rdphs probe HOST -p rdp --encryption-methods fips`), or relax the server's encryption level; better, switch the server to TLS.",
                MstscCodes.For(0x506)));

        rows.Add(CauseId.ServerCertificateInvalid, "security", new(
                "the server's Standard RDP Security certificate is unusable",
                "The proprietary certificate the server sent in its security data does not verify against the Terminal Services signing key, does not decode, or carries no usable RSA key. A Windows server does this when its RDP certificate or the machine keys behind it are corrupt; mstsc shows it as a security data error.",
                "On the server, restart the Remote Desktop Services service so it regenerates its keys; if that fails, remove the damaged RSA key files (C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys, the f686aace... file) and the Certificate value under HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService\\Parameters, then restart the service.",
                MstscCodes.For(0x406)));

            // 0xC06 disconnectReasonDecryptionError, "decryption error": https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected
        rows.Add(CauseId.DecryptFailed, "security and later", new(
                "the server's encrypted PDUs do not verify",
                "A PDU from the server does not decrypt with the session keys: its MAC signature is wrong. Both sides derive the keys from the randoms and the certificate's key, so a mismatch means a server with broken keys, an implementation bug, or a stream altered on the way.",
                "Probe again (the keys are fresh on each connection); if it repeats, restart the server's Remote Desktop Services and switch it to TLS.",
                MstscCodes.For(0xC06)));

        rows.Add(CauseId.StandardSecurityUnavailable, "security", new(
                "Standard RDP Security is not available in this client",
                "The server selected Standard RDP Security and the engine was configured without its cryptography provider.",
                "Use the default ProbeOptions (which supply it), or offer TLS.",
                null, NoMstscCode: NoMstscCodeReasons.RdphsOnly));

        rows.Add(CauseId.LicenseError, "licensing", new(
                "the server refused a licence",
                "The server sent a licensing error other than STATUS_VALID_CLIENT: it cannot grant this client a licence (no licence server, no CAL available, an invalid client or licence), and closes the connection after it.",
                "Act on the error name: ERR_NO_LICENSE_SERVER means the session host finds no licence server (check the licence server setting and its reachability); ERR_NO_LICENSE means no CAL is left; check the RD Licensing Diagnoser on the server.",
                new MstscCode(0x3, "ByServer", 0x102, "ERRINFO_LICENSE_NO_LICENSE")));
        rows.Detail(CauseId.LicenseError, "ERR_NO_LICENSE_SERVER", new(
                "the server has no licence server",
                "The session host answered the licensing phase with ERR_NO_LICENSE_SERVER: it is in per-device or per-user licensing mode and cannot reach a licence server (or none is configured), and its grace period is over.",
                "Configure the licence server on the session host (Set-RDLicenseConfiguration, or the 'Use the specified Remote Desktop license servers' policy), check that it is reachable and activated, and run the RD Licensing Diagnoser.",
                new MstscCode(0x3, "ByServer", 0x101, "ERRINFO_LICENSE_NO_LICENSE_SERVER")));

            // 0x808 disconnectReasonLicensingFailed, "license negotiation failed": https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected
        rows.Add(CauseId.LicenseRequestUnanswered, "licensing", new(
                "the server's licence request could not be answered",
                "The server asks for a licence (MS-RDPELE) and rdphs could not build the answer: the certificate in the request carries no usable RSA key.",
                "Report the License Request bytes in the evidence; the server's licensing certificate may be damaged.",
                MstscCodes.For(0x808)));

            // 0x808 disconnectReasonLicensingFailed, "license negotiation failed": https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected
        rows.Add(CauseId.PlatformChallengeFailed, "licensing", new(
                "the server's licensing challenge does not verify",
                "The Platform Challenge's MAC does not match the licensing keys both sides derived: the server decrypted the pre-master secret with another key than the one its certificate publishes.",
                "Restart the server's Remote Desktop Licensing and Remote Desktop Services; report it if it repeats.",
                MstscCodes.For(0x808)));

        rows.Add(CauseId.ClientRefused, "x224, tls, credssp, security", new(
                "the client named by --client would refuse what the server chose",
                "The server answered, and a permissive client goes on, but the client profile (docs/clients.md) refuses what the server chose: a TLS version or cipher suite it does not enable, a certificate key or signature below its security level, a CredSSP without the 2018 nonce binding, or Standard RDP Security it does not speak. The summary names the client and what it shows.",
                "Change the server as the summary says (`rdphs compat HOST` shows every client at once), or change the client's settings.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));
        rows.Detail(CauseId.ClientRefused, "tls-version", new(
                "the client does not enable the TLS version the server speaks",
                "The server negotiates only TLS versions the client has turned off: typically a server limited to TLS 1.0 or 1.1 meeting Windows 11 or FreeRDP 3 (TLS 1.2 and up), or a TLS 1.2+ server meeting Windows 7's mstsc (TLS 1.0 unless DefaultSecureProtocols is set). The client ends the handshake with a protocol_version alert.",
                "Enable TLS 1.2 on the server (Windows: SCHANNEL\\Protocols\\TLS 1.2\\Server Enabled=1 and the TLS 1.2 update on 2008 R2/2012; xrdp: ssl_protocols=TLSv1.2, TLSv1.3), or, for Windows 7 clients, enable TLS 1.1/1.2 for them (KB3140245, DefaultSecureProtocols).",
                SocketClosed));
        rows.Detail(CauseId.ClientRefused, "cipher-suite", new(
                "no cipher suite of the client's is enabled on the server",
                "The server's cipher suites and the client's have nothing in common: RC4 or 3DES only servers meet clients that dropped them, or AEAD-only servers meet Windows 7.",
                "Enable an AES-GCM suite with ECDHE on the server (Windows: 'SSL Cipher Suite Order' policy; xrdp: tls_ciphers=HIGH).",
                SocketClosed));
        rows.Detail(CauseId.ClientRefused, "certificate-key", new(
                "the server certificate's key is too small for the client",
                "The client enforces a minimum RSA key size (OpenSSL security level 2 and macOS: 2048 bits) and the server's certificate has a smaller key, so the client aborts the TLS handshake after the server's Certificate.",
                "Replace the RDP certificate with one on an RSA key of 2048 bits or more (Windows: delete the self-signed certificate in the 'Remote Desktop' store and restart TermService; xrdp: a new certificate and key_file).",
                null, NoMstscCode: NoMstscCodeReasons.NotAnMstscRefusal));
        rows.Detail(CauseId.ClientRefused, "certificate-signature", new(
                "the server certificate's signature hash is refused by the client",
                "The certificate is signed with a hash the client no longer trusts (SHA-1 or MD5): OpenSSL from security level 1 and macOS refuse SHA-1 signed server certificates, so the client aborts the TLS handshake.",
                "Reissue the RDP certificate signed with SHA-256 (a new self-signed certificate, or one from the organisation's CA).",
                null, NoMstscCode: NoMstscCodeReasons.NotAnMstscRefusal));
        rows.Detail(CauseId.ClientRefused, "credssp-version", new(
                "the server's CredSSP predates the 2018 update the client requires",
                "The server answered with a TSRequest version below 5: it has not installed the CredSSP update for CVE-2018-0886, and an updated client whose 'Encryption Oracle Remediation' policy is 'Mitigated' (the default since May 2018) refuses to fall back to it.",
                "Install the CredSSP update on the server (any cumulative update since May 2018); relaxing the client policy to 'Vulnerable' is the last resort.",
                null, NoMstscCode: NoMstscCodeReasons.CredSspOracle));
        rows.Detail(CauseId.ClientRefused, "standard-security", new(
                "the client cannot use the server's Standard RDP Security",
                "The server offers only Standard RDP Security (RC4, no server authentication) and an encryption method the client does not accept, or the client's RC4 is unavailable.",
                "Enable TLS on the server (Windows: Security Layer 'Negotiate' or 'SSL'; xrdp: security_layer=negotiate) and, while Standard RDP Security remains, set its encryption level to High or Client Compatible (crypt_level=high).",
                MstscCodes.For(0x506)));
        rows.Detail(CauseId.ClientRefused, "security-protocol", new(
                "the client requires TLS and the server offers Standard RDP Security only",
                "The server selected Standard RDP Security (no TLS), which the client does not speak at all.",
                "Enable TLS on the server: Windows: Security Layer 'Negotiate' or 'SSL' (SecurityLayer=1 or 2 under RDP-Tcp); xrdp: security_layer=negotiate or tls with a certificate.",
                SocketClosed));

        rows.Add(CauseId.ServerErrorInfo, "mcs and later", new(
                "the server said why it ended the connection",
                "The server sent a Set Error Info PDU (MS-RDPBCGR 2.2.5.1) before closing: its code is the reason mstsc shows as the extended disconnect reason.",
                "Act on the ERRINFO code named in the summary; `rdphs explain CODE` describes it.",
                MstscCodes.For(0x3)));

        rows.Add(CauseId.Redirected, "mcs and later", new(
                "the server redirects the client to another server",
                "The server sent a Server Redirection PDU: it is a connection broker (or a session host in a farm) sending the client to the server that holds or will hold its session. rdphs reports the target and does not follow it.",
                "Probe the target named in the evidence directly, or let rdphs follow the redirection with the load-balance info it carries (`rdphs probe HOST --follow-redirect`).",
                null, NoMstscCode: NoMstscCodeReasons.Redirected));

        rows.Add(CauseId.NoProgress, "licensing and later", new(
                "the server keeps sending PDUs without progressing",
                "The server sent hundreds of PDUs without the one the step waits for: a server stuck in a loop, or one that expects something this client does not send.",
                "The timeline shows what it sent; report it.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.TruncatedResponse, "any", new(
                "the server closed the socket in the middle of its answer",
                "The first bytes of the answer arrived, including a length, but the server closed the connection before the rest did. A server process that crashed or was killed mid-write, or a middlebox that cut the stream, does this.",
                "The evidence shows how many bytes of the announced length arrived; check the server's logs (and crash dumps) for this moment, and whether a proxy or IPS cut the connection.",
                SocketClosed));

        rows.Add(CauseId.TimeoutMidAnswer, "any", new(
                "the server's answer started, then stopped arriving",
                "The first bytes of the answer arrived (the evidence shows how many, and the length its header announced), then nothing more before the read timeout. When the first segment arrives and the rest never does, the classic cause is a path MTU black hole: a VPN or tunnel lowers the MTU, full-size TCP segments are dropped on the way, and the ICMP 'fragmentation needed' messages that would fix it are blocked, so small packets pass and large ones (a certificate flight, an MCS Connect Response with a certificate, a Demand Active) vanish. A server writing its answer very slowly (dripping) ends the same way.",
                "If a VPN or tunnel is on the path, lower the MTU on the client (Linux: ip link set dev IFACE mtu 1350; Windows: netsh interface ipv4 set subinterface \"IFACE\" mtu=1350 store=persistent), or enable TCP MSS clamping on the VPN gateway, then probe again; probe from a host without the tunnel to confirm. Raise the timeout (`rdphs probe HOST --timeout 60`) to tell a slow server from a black hole.",
                SocketClosed));

        rows.Add(CauseId.MalformedResponse, "any", new(
                "the server's answer is malformed",
                "The bytes the server sent do not decode as the PDU this step expects. The port may serve another protocol (HTTP, SSH, a TLS-only service), or the server or a middlebox is broken.",
                "Look at the received hex in the evidence: rdphs names an HTTP, SSH, SMB, VNC or TLS answer itself (cause not-rdp), so these bytes are none of them; a proxy or another service may still be on the port, or the server is broken: report the bytes to its vendor.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.UnexpectedPdu, "any", new(
                "the server sent a different PDU than expected",
                "The answer is well-formed but of another type than this step expects.",
                "The evidence names what arrived; a proxy or a non-conforming server is the usual cause.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        rows.Add(CauseId.Interrupted, "any", new(
                "the run was interrupted",
                "Ctrl-C or SIGTERM stopped the run; the timeline shows the step in flight.",
                "Re-run to completion, with a larger timeout if the server is slow (`rdphs probe HOST --timeout 30`).",
                null, NoMstscCode: NoMstscCodeReasons.Interrupted));

        rows.Add(CauseId.InternalError, "any", new(
                "rdphs hit an internal error",
                "This is a bug in rdphs, not a finding about the server.",
                "Please report it with the JSON report of the run (`rdphs probe HOST --json` writes it to stdout).",
                null, NoMstscCode: NoMstscCodeReasons.RdphsOnly));
        rows.Add(CauseId.HostTimeout, "any", new(
                "the scan's per-host deadline passed",
                "The scan gives each host a deadline for its whole probe (--host-timeout); this host had not finished when it passed. The phase says how far it got.",
                "Raise the per-host deadline (`rdphs scan HOST --host-timeout 60`), or probe the host on its own (`rdphs probe HOST`) to see which step is slow.",
                null, NoMstscCode: NoMstscCodeReasons.RdphsOnly));
        rows.Add(CauseId.ScrapeTimeout, "any", new(
                "the exporter's deadline for the probe passed",
                "rdphs exporter gives each probe the scrape timeout Prometheus announces (X-Prometheus-Scrape-Timeout-Seconds) less --timeout-offset, or the module's timeout when that is shorter; this probe had not finished when it passed. The phase says how far it got.",
                "Raise scrape_timeout in the Prometheus job (or the module's timeout), or probe the host on its own (`rdphs probe HOST`) to see which step is slow.",
                null, NoMstscCode: NoMstscCodeReasons.RdphsOnly));

        rows.Add(CauseId.ClientClosed, "any", new(
                "the client ended the connection",
                "In the capture the client closed or reset the connection, or sent a disconnect, where the connection sequence needed it to send its next PDU: the client itself decided to stop (a certificate or a server it does not trust, credentials it had none for, a setting it refuses, a user who cancelled).",
                "Read the client's own log or error for this connection (mstsc's event log, xfreerdp's output): it says why it stopped; the steps show the server's last answer, which the client did not like.",
                null, NoMstscCode: NoMstscCodeReasons.Undocumented));

        // One entry per NTSTATUS whose mstsc disconnect reason is documented: the SSL_ERR code with the same name and meaning
        // in the OnDisconnected list (https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected).
        (string Status, int Code, string Meaning, string Title, string Remedy)[] authFailures =
        [
            ("STATUS_LOGON_FAILURE", 0x807, "the user name or password is wrong", "the server refused the user name or password",
                "Check the user name (DOMAIN\\user or user@domain) and the password; the server's Security event log (event 4625) names the precise reason."),
            ("STATUS_NO_SUCH_USER", 0xA07, "there is no such user", "the server knows no such user",
                "Check the user name and the domain it belongs to (DOMAIN\\user); a local account of the server takes the server's name, or '.', as domain."),
            ("STATUS_ACCOUNT_DISABLED", 0xB07, "the account is disabled", "the user's account is disabled",
                "Enable the account (Active Directory Users and Computers, or lusrmgr.msc for a local account)."),
            ("STATUS_ACCOUNT_RESTRICTION", 0xC07, "an account restriction applies (for example a blank password, or logon restrictions)", "an account restriction stops the logon",
                "Check the account's restrictions: a blank password (not allowed over the network by default), logon hours, allowed workstations."),
            ("STATUS_ACCOUNT_LOCKED_OUT", 0xD07, "the account is locked out", "the user's account is locked out",
                "Unlock the account, or wait for the lockout duration; find what keeps sending a wrong password (event 4740 on a domain controller)."),
            ("STATUS_ACCOUNT_EXPIRED", 0xE07, "the account has expired", "the user's account has expired",
                "Extend the account's expiry date (Account tab of the user's properties, or Set-ADAccountExpiration)."),
            ("STATUS_PASSWORD_EXPIRED", 0xF07, "the password has expired", "the user's password has expired",
                "Change the password (from another machine, or by Ctrl-Alt-Del on a console), then connect again; NLA cannot change it."),
            ("STATUS_PASSWORD_MUST_CHANGE", 0x1207, "the password must be changed before the first logon", "the user must change the password before the first logon",
                "Change the password first (locally, or by an administrator clearing 'User must change password at next logon'); NLA cannot change it."),
        ];

        foreach ((string status, int code, string meaning, string title, string remedy) in authFailures)
        {
            rows.Detail(CauseId.AuthFailed, status, new(
                title,
                $"The server's CredSSP answer carries the errorCode {status} (CredSSP version 3 and later): the NTLM authentication failed because {meaning}.",
                remedy,
                MstscCodes.For(code)));
        }

        // The KRB-ERRORs users meet, with the mstsc code of the same failure where Microsoft documents one.
        (string Error, string Title, string Explanation, string Remedy, int? Code)[] kerberosErrors =
        [
            ("KDC_ERR_C_PRINCIPAL_UNKNOWN", "the KDC does not know the user",
                "The KDC has no account of this name in the realm: a misspelt user, a user of another realm, or a local account of the server (which Kerberos cannot authenticate).",
                "Check the user name and its realm (user@REALM); a local account of the server authenticates with NTLM (`rdphs probe HOST --user HOST\\user --auth ntlm`).", 0xA07),
            ("KDC_ERR_PREAUTH_FAILED", "the KDC refused the password",
                "The KDC could not decrypt the pre-authentication timestamp with the user's key: the password is wrong (or the account's keys were made from another salt, after a rename).",
                "Check the password (and Caps Lock); after a rename, reset the password so the keys follow the new name.", 0x807),
            ("KDC_ERR_CLIENT_REVOKED", "the user's account is locked out or disabled",
                "The KDC refuses tickets for this account: it is locked out after failed logons, disabled, or expired (an NTSTATUS in the fields, when the KDC sends one, says which).",
                "Unlock or enable the account (Active Directory Users and Computers, or kadmin modprinc +allow_tix on MIT), and find what locked it (event 4740 on a domain controller).", 0xD07),
            ("KDC_ERR_KEY_EXPIRED", "the user's password has expired",
                "The KDC refuses an initial ticket until the password is changed (or the account must change it at its next logon).",
                "Change the password (kpasswd, Ctrl-Alt-Del on a Windows console), then connect again; NLA cannot change it.", 0xF07),
            ("KDC_ERR_NAME_EXP", "the user's account has expired",
                "The account's expiry date has passed.",
                "Extend the account's expiry date (Set-ADAccountExpiration, or kadmin modprinc -expire on MIT).", 0xE07),
            ("KDC_ERR_ETYPE_NOSUPP", "the KDC and the client share no encryption type",
                "No encryption type offered is one the KDC allows and the account (or the service) has keys for: typically an account with only RC4 keys in a domain that now allows AES only, or a client limited to AES facing an account whose password predates AES.",
                "Reset the account's password so it gets AES keys (or set its msDS-SupportedEncryptionTypes), or offer the type it has (`rdphs probe HOST --user alice@REALM --kerberos-etypes rc4-hmac`) to confirm.", null),
            ("KRB_AP_ERR_SKEW", "the clocks differ by more than Kerberos allows",
                "Kerberos refuses requests whose timestamp is more than five minutes (by default) from its own clock: this machine's clock, or the KDC's or the server's, is wrong. The reason names the offset measured from the error's time.",
                "Synchronise the clocks (w32tm /resync on Windows, chrony or ntpd elsewhere), time zone included, and check the KDC's clock against a reference.", null),
            ("KDC_ERR_S_PRINCIPAL_UNKNOWN", "the KDC has no principal for the server",
                "No account in the realm holds the service principal asked for (TERMSRV/ and the name used for the server): the server is addressed by a name it is not registered under (an alias, an IP address, a load balancer), or the principal was never registered.",
                "Address the server by the name its principal has, or register it (`setspn -S TERMSRV/NAME COMPUTER` in Active Directory); `rdphs probe HOST --user alice@REALM --spn TERMSRV/NAME` tries another principal.", null),
            ("KDC_ERR_PRINCIPAL_NOT_UNIQUE", "two accounts hold the server's principal",
                "The service principal asked for is registered on more than one account, so the KDC cannot tell which key to use.",
                "Find the duplicates (`setspn -X`, or `setspn -Q TERMSRV/NAME`) and remove the principal from every account but the server's.", null),
            ("KDC_ERR_WRONG_REALM", "the user belongs to another realm",
                "The KDC referred the request to another realm and rdphs, having followed one referral of that kind, did not follow a second; or the KDC asked does not serve the realm at all (--kdc, krb5.conf or DNS named another realm's KDC).",
                "Give the user with the realm it belongs to (user@REALM), or the KDC of that realm (`rdphs probe HOST --user alice@REALM --kdc KDC`).", null),
            ("KDC_ERR_POLICY", "the KDC's policy refuses the request",
                "A KDC policy forbids this request: logon hours, allowed workstations, an authentication policy or silo, or an account that may not get tickets.",
                "Check the account's logon restrictions and the domain's authentication policies for this user and service.", 0xC07),
            ("KRB_AP_ERR_MODIFIED", "the server cannot decrypt its service ticket",
                "The server could not decrypt the ticket the KDC issued for its principal: the key it holds differs from the KDC's. Its machine password or keytab is stale, or the principal is registered on another account too, so the KDC used that account's key.",
                "Look for a duplicated principal (`setspn -X`) and remove it; otherwise reset the server's machine account (Test-ComputerSecureChannel -Repair) or export a fresh keytab.", null),
            ("KRB_AP_ERR_BAD_INTEGRITY", "the server cannot decrypt its service ticket",
                "The server could not decrypt the ticket the KDC issued for its principal (MIT's acceptor says BAD_INTEGRITY where Windows says KRB_AP_ERR_MODIFIED): the key in its keytab is not the KDC's, because the keytab is stale or the principal is registered on another account too.",
                "Export a fresh keytab for the principal (kadmin ktadd, or ktpass on Windows) and look for the principal on a second account (`setspn -X`).", null),
            ("KRB_AP_ERR_REPEAT", "the server took the AP-REQ for a replay",
                "The server's replay cache already holds this authenticator: a second client sent the same one, or the clocks and the replay cache disagree.",
                "Retry; if it persists, check the server's replay cache (MIT: KRB5RCACHETYPE) and that no proxy resends the connection.", null),
        ];

        foreach ((string error, string title, string explanation, string remedy, int? code) in kerberosErrors)
        {
            rows.Detail(CauseId.KerberosError, error, code is { } mstsc
                ? new CatalogEntry(title, explanation, remedy, MstscCodes.For(mstsc))
                : new CatalogEntry(title, explanation, remedy, null, NoMstscCode: NoMstscCodeReasons.Undocumented));
        }

        AddProxyRows(rows);
        AddGateway(rows);
        return rows.Build();
    }

    /// <summary>Collects the rows; a cause added twice is a bug in the table.</summary>
    private sealed class RowBuilder
    {
        private readonly Dictionary<CauseId, CatalogRow> _rows = [];
        private readonly Dictionary<CauseId, Dictionary<ConnectionPhase, CatalogEntry>> _byPhase = [];
        private readonly Dictionary<CauseId, Dictionary<string, CatalogEntry>> _byDetail = [];

        public void Add(CauseId id, string where, CatalogEntry entry)
        {
            if (!_rows.TryAdd(id, new CatalogRow(id, where, entry)))
            {
                throw new InvalidOperationException($"the catalogue has two rows for {id.Name()}");
            }
        }

        public void In(CauseId id, ConnectionPhase phase, CatalogEntry entry) => Specific(_byPhase, id, phase, entry);

        public void Detail(CauseId id, string detail, CatalogEntry entry) => Specific(_byDetail, id, detail, entry);

        public FrozenDictionary<CauseId, CatalogRow> Build() => _rows.Values
            .Select(row => row with
            {
                ByPhase = _byPhase.GetValueOrDefault(row.Id) ?? [],
                ByDetail = _byDetail.GetValueOrDefault(row.Id) ?? [],
            })
            .ToFrozenDictionary(row => row.Id);

        private void Specific<TKey>(Dictionary<CauseId, Dictionary<TKey, CatalogEntry>> table, CauseId id, TKey key, CatalogEntry entry)
            where TKey : notnull
        {
            if (!_rows.ContainsKey(id))
            {
                throw new InvalidOperationException($"{id.Name()}: add the row before its specific entries");
            }

            if (!(table.TryGetValue(id, out Dictionary<TKey, CatalogEntry>? entries) ? entries : table[id] = []).TryAdd(key, entry))
            {
                throw new InvalidOperationException($"the catalogue has two entries for {id.Name()} at {key}");
            }
        }
    }
}
