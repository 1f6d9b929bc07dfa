using System.CommandLine;
using System.Globalization;
using RdpHandshake.Crypto;
using RdpHandshake.Gateway;

namespace RdpHandshake.Cli;

/// <summary>The options that send a probe through an RD Gateway: <c>--gateway</c>, its user, transport and authentication.</summary>
internal sealed class GatewayOptionsCli
{
    public Option<string?> Gateway { get; } = new("--gateway")
    {
        HelpName = "URL",
        Description = "Reach the target through this RD Gateway, https://GATEWAY[:PORT] (MS-TSGU over HTTPS, port 443 by default): the gateway's TLS, HTTP authentication, tunnel and channel are steps of phase gateway, and the RDP sequence runs inside its channel.",
    };

    public Option<string?> User { get; } = new("--gateway-user")
    {
        HelpName = "USER",
        Description = "The gateway's user, DOMAIN\\user or user@domain. The password comes from $RDPHS_GATEWAY_PASSWORD or a prompt; never from the command line.",
    };

    public Option<string> Transport { get; } = new("--gateway-transport")
    {
        HelpName = "auto|websocket|http",
        Description = "How the tunnel travels: auto (WebSocket when the gateway offers it, else HTTP, as mstsc does), websocket, or http (RDG_OUT_DATA and RDG_IN_DATA).",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string> Auth { get; } = new("--gateway-auth")
    {
        HelpName = "ntlm|basic|negotiate",
        Description = "The HTTP authentication to the gateway: ntlm, basic, or negotiate (Kerberos, RFC 4559: a ticket for the gateway's HTTP/ principal from the realm's KDC, found as for --auth kerberos through --kdc, krb5.conf or DNS; kerberos is the same).",
        DefaultValueFactory = _ => "ntlm",
    };

    public Option<string?> Spn { get; } = new("--gateway-spn")
    {
        HelpName = "SERVICE/HOST",
        Description = "The gateway's Kerberos principal for --gateway-auth negotiate, e.g. HTTP/gw.example.com [default: HTTP/ and the gateway's name].",
    };

    public Option<string?> PaaCookieFile { get; } = new("--gateway-paa-cookie-file")
    {
        HelpName = "FILE",
        Description = "A pluggable authentication (PAA) cookie for the gateway, as RD Web Access issues it, read from FILE (or from $RDPHS_GATEWAY_PAA_COOKIE; never from the command line): sent in the tunnel create packet (MS-TSGU 2.2.10.19), recorded only as its length.",
    };

    /// <summary>The environment variable a PAA cookie may come from instead of a file.</summary>
    public const string PaaCookieVariable = "RDPHS_GATEWAY_PAA_COOKIE";

    /// <summary>The longest cookie a tunnel create packet carries: its UTF-16 and the NUL within a 16-bit length.</summary>
    public const int MaxPaaCookieLength = (ushort.MaxValue / 2) - 1;

    public void AddTo(Command command)
    {
        command.Options.Add(Gateway);
        command.Options.Add(User);
        command.Options.Add(Transport);
        command.Options.Add(Auth);
        command.Options.Add(Spn);
        command.Options.Add(PaaCookieFile);
    }

    /// <summary>
    /// The PAA cookie from <c>--gateway-paa-cookie-file</c> or <see cref="PaaCookieVariable"/>, trimmed; null when neither
    /// gives one. A file that cannot be read, an empty cookie or one too long for the packet is a usage error, and the
    /// message never shows the cookie.
    /// </summary>
    public static string? ReadPaaCookie(string? file, string? fromEnvironment, string option = "--gateway-paa-cookie-file")
    {
        string? text;
        string origin;
        if (file is not null)
        {
            origin = $"{option} '{file}'";
            try
            {
                var info = new FileInfo(file);
                if (info.Exists && info.Length > 4 * MaxPaaCookieLength)
                {
                    throw new UsageException($"{origin}: {info.Length} bytes, more than a PAA cookie can be ({MaxPaaCookieLength} characters)");
                }

                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"{origin}: cannot read it ({Files.Describe(ex)})");
            }
        }
        else if (fromEnvironment is not null)
        {
            origin = $"${PaaCookieVariable}";
            text = fromEnvironment;
        }
        else
        {
            return null;
        }

        text = text.Trim();
        if (text.Length == 0)
        {
            throw new UsageException($"{origin}: the PAA cookie is empty");
        }

        if (text.Length > MaxPaaCookieLength || text.Contains('\0', StringComparison.Ordinal))
        {
            throw new UsageException($"{origin}: not a PAA cookie ({(text.Length > MaxPaaCookieLength ? $"longer than {MaxPaaCookieLength} characters" : "it contains a NUL")})");
        }

        return text;
    }

    /// <summary>
    /// <paramref name="options"/> with the gateway the options name (unchanged without <c>--gateway</c>); a usage error
    /// when there is no target for the gateway to reach, or a proxy too.
    /// </summary>
    public ProbeOptions Apply(ParseResult parse, ProbeOptions options, bool hasTarget = true) => Read(parse) is not { } hop
        ? options
        : !hasTarget
            ? throw new UsageException("--gateway needs a target: the HOST[:PORT] the gateway connects to")
            : options.Proxy is not null
                ? throw new UsageException("--gateway and --proxy together: rdphs reaches an RD Gateway directly, not through a proxy")
                : options with { Gateway = hop };

    /// <summary>The gateway the options name, or null; a <see cref="UsageException"/> for anything wrong, before anything is sent.</summary>
    public GatewayOptions? Read(ParseResult parse)
    {
        string? url = parse.GetValue(Gateway);
        if (url is null)
        {
            if (parse.GetValue(User) is not null)
            {
                throw new UsageException("--gateway-user needs --gateway");
            }

            if (parse.GetValue(PaaCookieFile) is not null)
            {
                throw new UsageException("--gateway-paa-cookie-file needs --gateway");
            }

            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
        {
            throw new UsageException($"--gateway '{url}': expected https://GATEWAY[:PORT]");
        }

        if (!string.Equals(uri.Scheme, "https", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"--gateway '{url}': an RD Gateway is reached over HTTPS; write https://{uri.Host}{(uri.IsDefaultPort ? string.Empty : $":{uri.Port.ToString(CultureInfo.InvariantCulture)}")}");
        }

        if (uri.AbsolutePath is not ("/" or "" or "/remoteDesktopGateway/" or "/remoteDesktopGateway") || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new UsageException($"--gateway '{url}': give only https://GATEWAY[:PORT] (the path is always /remoteDesktopGateway/; the user goes in --gateway-user)");
        }

        GatewayTransport transport = parse.GetValue(Transport)!.ToLowerInvariant() switch
        {
            "auto" => GatewayTransport.Auto,
            "websocket" or "ws" => GatewayTransport.WebSocket,
            "http" => GatewayTransport.Http,
            var other => throw new UsageException($"--gateway-transport '{other}': expected auto, websocket or http"),
        };
        GatewayAuthScheme auth = parse.GetValue(Auth)!.ToLowerInvariant() switch
        {
            "ntlm" => GatewayAuthScheme.Ntlm,
            "basic" => GatewayAuthScheme.Basic,
            "negotiate" or "kerberos" => GatewayAuthScheme.Negotiate,
            var other => throw new UsageException($"--gateway-auth '{other}': expected ntlm, basic or negotiate"),
        };

        string? spn = parse.GetValue(Spn);
        if (spn is not null)
        {
            if (auth != GatewayAuthScheme.Negotiate)
            {
                throw new UsageException("--gateway-spn names the gateway's Kerberos principal: it needs --gateway-auth negotiate");
            }

            if (!spn.Contains('/', StringComparison.Ordinal) || !RdpHandshake.Protocol.Kerberos.PrincipalName.TryParseService(spn, out _))
            {
                throw new UsageException($"--gateway-spn '{spn}': write SERVICE/HOST without a realm, e.g. HTTP/gw.example.com");
            }
        }

        if (auth == GatewayAuthScheme.Negotiate && parse.GetValue(User) is { } kerberosUser && !kerberosUser.Contains('@', StringComparison.Ordinal) && !kerberosUser.Contains('\\', StringComparison.Ordinal))
        {
            throw new UsageException($"--gateway-auth negotiate: the gateway user '{kerberosUser}' names no realm; write user@REALM or REALM\\user");
        }

        Credentials? credentials = null;
        if (parse.GetValue(User) is { } user)
        {
            Secret password = Environment.GetEnvironmentVariable("RDPHS_GATEWAY_PASSWORD") is { } fromEnvironment
                ? new Secret(fromEnvironment)
                : !Console.IsInputRedirected
                    ? CommonOptions.PromptPassword($"Gateway password for {user}: ")
                    : throw new UsageException("--gateway-user needs a password: set RDPHS_GATEWAY_PASSWORD, or run in a terminal to be asked");
            credentials = Credentials.Parse(user, password);
        }

        return new GatewayOptions(uri.IdnHost.Trim('[', ']'), uri.Port) {
            Credentials = credentials,
            Transport = transport,
            Auth = auth,
            ServicePrincipal = spn,
            PaaCookie = ReadPaaCookie(parse.GetValue(PaaCookieFile), Environment.GetEnvironmentVariable(PaaCookieVariable)),
        };
    }
}
