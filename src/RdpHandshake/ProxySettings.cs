using System.Text;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.Proxy;

namespace RdpHandshake;

/// <summary>
/// The proxy a connection goes through: <c>socks5://[user@]host:port</c> (RFC 1928, RFC 1929) or
/// <c>http://[user@]host:port</c> (HTTP CONNECT with Basic authentication). The password never comes from the URL:
/// <see cref="Password"/> is set from the environment or a prompt.
/// </summary>
/// <param name="Kind">SOCKS5 or HTTP CONNECT.</param>
/// <param name="Host">The proxy's host name or IP address.</param>
/// <param name="Port">The proxy's TCP port.</param>
/// <param name="User">The proxy account, or null for none.</param>
public sealed record ProxySettings(ProxyKind Kind, string Host, int Port, string? User)
{
    /// <summary>The environment variable the proxy password is read from.</summary>
    public const string PasswordVariable = "RDPHS_PROXY_PASSWORD";

    /// <summary>The password of <see cref="User"/>; never printed.</summary>
    public Secret? Password { get; init; }

    /// <summary>The URL scheme of the kind: <c>socks5</c> or <c>http</c>.</summary>
    public string Scheme => Kind switch
    {
        ProxyKind.Socks5 => "socks5",
        ProxyKind.HttpConnect => "http",
    };

    /// <summary>The proxy as <c>host:port</c> (<c>[v6]:port</c>).</summary>
    public string Address => new ProbeTarget(Host, Port).ToString();

    /// <summary>The URL without any password: <c>socks5://user@host:1080</c>.</summary>
    public override string ToString() => $"{Scheme}://{(User is null ? string.Empty : $"{User}@")}{Address}";

    /// <summary>
    /// Parses <c>socks5://[user@]host:port</c> or <c>http://[user@]host:port</c>; on failure <paramref name="error"/>
    /// says what is wrong, in one line that never repeats a password given in the URL.
    /// </summary>
    public static bool TryParse(string text, out ProxySettings? proxy, out string? error)
    {
        proxy = null;
        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            error = "is not a URL: write socks5://[user@]host:port or http://[user@]host:port";
            return false;
        }

        string scheme = text[..schemeEnd].ToLowerInvariant();
        ProxyKind kind;
        switch (scheme)
        {
            case "socks5" or "socks5h":
                kind = ProxyKind.Socks5;
                break;
            case "http":
                kind = ProxyKind.HttpConnect;
                break;
            default:
                error = $"has the scheme '{Printable(text[..schemeEnd])}': rdphs speaks socks5:// and http:// proxies";
                return false;
        }

        string rest = text[(schemeEnd + 3)..];
        if (rest.EndsWith('/'))
        {
            rest = rest[..^1];
        }

        if (rest.IndexOfAny(['/', '?', '#']) >= 0)
        {
            error = "has a path, query or fragment: a proxy URL is scheme://[user@]host:port";
            return false;
        }

        string? user = null;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = rest[..at];
            rest = rest[(at + 1)..];
            if (userInfo.Contains(':', StringComparison.Ordinal))
            {
                error = $"carries a password: give it in {PasswordVariable} or at the prompt, never on the command line";
                return false;
            }

            try
            {
                user = Uri.UnescapeDataString(userInfo);
            }
            catch (UriFormatException)
            {
                error = "has a user name that is not valid percent-encoding";
                return false;
            }

            if (user.Length == 0 || Encoding.UTF8.GetByteCount(user) > Socks5UsernamePasswordRequest.MaxFieldLength || user.Any(char.IsControl))
            {
                error = $"has a user name that is empty, longer than {Socks5UsernamePasswordRequest.MaxFieldLength} bytes or holds control characters";
                return false;
            }
        }

        if (!HasPort(rest))
        {
            error = $"names no port: write {scheme}://{(user is null ? string.Empty : "user@")}host:port";
            return false;
        }

        if (!ProbeTarget.TryParse(rest, out ProbeTarget? address, out string? why))
        {
            error = $"has a bad proxy address: {why}";
            return false;
        }

        proxy = new ProxySettings(kind, address!.Host, address.Port, user);
        error = null;
        return true;
    }

    /// <summary>Whether <c>host:port</c> or <c>[v6]:port</c> ends in an explicit port.</summary>
    private static bool HasPort(string authority) => authority.StartsWith('[')
        ? authority.IndexOf("]:", StringComparison.Ordinal) > 0
        : authority.Count(c => c == ':') == 1;

    private static string Printable(string text) => new([.. text.Take(20).Select(c => char.IsControl(c) ? '?' : c)]);

    /// <summary>The password as the core takes it: UTF-8 written out on demand, never kept by the core.</summary>
    internal sealed class PasswordSource(Secret secret) : IProxyPassword
    {
        public int Utf8Length => Encoding.UTF8.GetByteCount(secret.Reveal());

        public void CopyUtf8(Span<byte> destination) => Encoding.UTF8.GetBytes(secret.Reveal(), destination);
    }
}

/// <summary>What the report says about the proxy a connection went through: the hop.</summary>
/// <param name="Kind">SOCKS5 or HTTP CONNECT.</param>
/// <param name="Address">The proxy as given: <c>host:port</c>.</param>
/// <param name="User">The proxy account offered, if any.</param>
public sealed record ProxyHop(ProxyKind Kind, string Address, string? User)
{
    /// <summary>The proxy's resolved address the connection reached, once TCP connected.</summary>
    public string? Remote { get; init; }

    /// <summary>What the proxy said, once it said anything.</summary>
    public ProxyFacts? Facts { get; init; }

    /// <summary>One line for the text report: the proxy, and what it said.</summary>
    public string Describe()
    {
        var said = new List<string>();
        if (Facts?.Method is { } method)
        {
            said.Add($"method {method}");
        }

        if (Facts?.StatusLine is { } status)
        {
            said.Add(status);
        }

        if (Facts?.Agent is { } agent)
        {
            said.Add(agent);
        }

        if (User is not null)
        {
            said.Add(Facts?.AuthenticatedAs is null ? $"user {User}" : $"authenticated as {User}");
        }

        said.Add(Facts?.Tunnelled == true ? $"tunnel open{(Facts.Bound is { } bound ? $", bound {bound}" : string.Empty)}" : "no tunnel");
        return $"through {KindName} proxy {Address}{(Remote is null || Remote == Address ? string.Empty : $" ({Remote})")}: {string.Join("; ", said)}";
    }

    /// <summary>The kind as the report writes it: <c>socks5</c>, <c>http-connect</c>.</summary>
    public string KindName => Kind switch
    {
        ProxyKind.Socks5 => "socks5",
        ProxyKind.HttpConnect => "http-connect",
    };
}
