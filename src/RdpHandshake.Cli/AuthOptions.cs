using System.CommandLine;
using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.Kerberos;

namespace RdpHandshake.Cli;

/// <summary>The choice of authentication package and the Kerberos options: <c>--auth</c>, <c>--kdc</c>, <c>--spn</c>, <c>--kerberos-etypes</c>.</summary>
public sealed class AuthOptions
{
    private static readonly (string Name, KerberosEtype Etype)[] EtypeNames =
    [
        ("aes256-cts-hmac-sha1-96", KerberosEtype.Aes256CtsHmacSha196),
        ("aes128-cts-hmac-sha1-96", KerberosEtype.Aes128CtsHmacSha196),
        ("aes256-cts-hmac-sha384-192", KerberosEtype.Aes256CtsHmacSha384192),
        ("aes128-cts-hmac-sha256-128", KerberosEtype.Aes128CtsHmacSha256128),
        ("rc4-hmac", KerberosEtype.Rc4Hmac),
        ("aes256", KerberosEtype.Aes256CtsHmacSha196),
        ("aes128", KerberosEtype.Aes128CtsHmacSha196),
        ("aes256-sha2", KerberosEtype.Aes256CtsHmacSha384192),
        ("aes128-sha2", KerberosEtype.Aes128CtsHmacSha256128),
        ("rc4", KerberosEtype.Rc4Hmac),
    ];

    public Option<string> Auth { get; } = new("--auth")
    {
        Description = "The NLA package: negotiate (Kerberos when the user names a realm and the server has a name, else or on failure NTLM, as Windows), kerberos, or ntlm.",
        DefaultValueFactory = _ => "negotiate",
    };

    public Option<string?> Kdc { get; } = new("--kdc")
    {
        Description = "The KDC(s) of the realm, comma-separated [tcp/|udp/]HOST[:PORT] (port 88 by default, TCP unless udp/) [default: krb5.conf ($KRB5_CONFIG or /etc/krb5.conf)].",
    };

    public Option<string?> Spn { get; } = new("--spn")
    {
        Description = "The server principal to ask a Kerberos ticket for, e.g. TERMSRV/host.example.com [default: TERMSRV/ and the target's name].",
    };

    public Option<string?> KerberosEtypes { get; } = new("--kerberos-etypes")
    {
        Description = "The Kerberos encryption types to offer, comma-separated, most preferred first: aes256-cts-hmac-sha1-96 (aes256), aes128-cts-hmac-sha1-96 (aes128), aes256-cts-hmac-sha384-192 (aes256-sha2), aes128-cts-hmac-sha256-128 (aes128-sha2), rc4-hmac (rc4) [default: all, AES first].",
    };

    public Option<string?> DnsServer { get; } = new("--dns-server")
    {
        Description = "The DNS server (IP[:PORT]) asked for the realm's KDC records (_kerberos._tcp.REALM) when --kdc and krb5.conf name none [default: the system's resolvers].",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(DnsServer);
        command.Options.Add(Auth);
        command.Options.Add(Kdc);
        command.Options.Add(Spn);
        command.Options.Add(KerberosEtypes);
    }

    /// <summary>Adds the package and Kerberos settings to <paramref name="options"/>; bad values are usage errors, before anything is sent.</summary>
    public ProbeOptions Apply(ParseResult parse, ProbeOptions options, bool ntlmBare)
    {
        string authText = parse.GetValue(Auth)!.Trim().ToLowerInvariant();
        AuthPackage package = authText switch
        {
            "negotiate" => ntlmBare ? AuthPackage.Ntlm : AuthPackage.Negotiate,
            "kerberos" when ntlmBare => throw new UsageException("--ntlm-bare sends NTLM without SPNEGO, and Kerberos needs SPNEGO: drop one of them"),
            "kerberos" => AuthPackage.Kerberos,
            "ntlm" => AuthPackage.Ntlm,
            _ => throw new UsageException($"--auth '{authText}': must be negotiate, kerberos or ntlm"),
        };

        var kerberos = new KerberosSettings();
        if (parse.GetValue(Kdc) is { } kdcText)
        {
            var endpoints = new List<KdcEndpoint>();
            foreach (string part in kdcText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                endpoints.Add(KdcEndpoint.TryParse(part, out KdcEndpoint? endpoint, out string? error) ? endpoint! : throw new UsageException($"--kdc: {error}"));
            }

            kerberos = kerberos with { Kdcs = endpoints.Count > 0 ? endpoints : throw new UsageException("--kdc needs at least one [tcp/|udp/]HOST[:PORT]") };
        }

        if (parse.GetValue(Spn) is { } spn)
        {
            if (!PrincipalName.TryParseService(spn, out _) || !spn.Contains('/', StringComparison.Ordinal))
            {
                throw new UsageException($"--spn '{spn}': write SERVICE/HOST without a realm, e.g. TERMSRV/host.example.com");
            }

            kerberos = kerberos with { ServicePrincipal = spn };
        }

        if (parse.GetValue(KerberosEtypes) is { } etypeText)
        {
            var etypes = new List<KerberosEtype>();
            foreach (string part in etypeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                KerberosEtype etype = EtypeNames.FirstOrDefault(e => string.Equals(e.Name, part, StringComparison.OrdinalIgnoreCase)) is { Name: not null } known
                    ? known.Etype
                    : throw new UsageException($"--kerberos-etypes: unknown type '{part}' (known: {string.Join(", ", EtypeNames.Take(5).Select(e => e.Name))})");
                if (!etypes.Contains(etype))
                {
                    etypes.Add(etype);
                }
            }

            kerberos = kerberos with { Etypes = etypes.Count > 0 ? etypes : throw new UsageException("--kerberos-etypes needs at least one type") };
        }

        if (parse.GetValue(DnsServer) is { } dnsText)
        {
            kerberos = kerberos with
            {
                DnsServer = System.Net.IPEndPoint.TryParse(dnsText, out System.Net.IPEndPoint? server)
                    ? server.Port == 0 ? new System.Net.IPEndPoint(server.Address, 53) : server
                    : throw new UsageException($"--dns-server '{dnsText}': write an IP address, with :PORT if not 53"),
            };
        }

        bool kerberosOptions = parse.GetValue(Kdc) is not null || parse.GetValue(Spn) is not null || parse.GetValue(KerberosEtypes) is not null
            || parse.GetValue(DnsServer) is not null;
        if (package == AuthPackage.Ntlm && kerberosOptions)
        {
            throw new UsageException($"--kdc, --spn, --kerberos-etypes and --dns-server are for Kerberos, and {(ntlmBare && authText == "negotiate" ? "--ntlm-bare" : "--auth ntlm")} uses NTLM only");
        }

        return options with { Authentication = package, Kerberos = kerberos };
    }

    /// <summary>
    /// Checks, before connecting, that Kerberos can run when it was asked for: the user names a realm, and the server
    /// has a name to make its principal of (or <c>--spn</c> names it).
    /// </summary>
    public static void Check(ProbeOptions options, string host)
    {
        if (options.Authentication != AuthPackage.Kerberos)
        {
            return;
        }

        if (options.Credentials is not { } credentials)
        {
            throw new UsageException("--auth kerberos needs --user user@REALM (or REALM\\user) and a password");
        }

        if (RdpProber.KerberosUnavailable(options, credentials, host) is { } why)
        {
            throw new UsageException($"--auth kerberos: {why}");
        }
    }
}
