using System.Globalization;
using RdpHandshake.Protocol.CredSsp;

namespace RdpHandshake.Kerberos;

/// <summary>A KDC address as krb5.conf and <c>--kdc</c> write it: <c>[tcp/|udp/]host[:port]</c>, IPv6 in brackets.</summary>
/// <param name="Host">A name or an address.</param>
/// <param name="Port">88 unless given.</param>
/// <param name="Transport">The transport the prefix names, or null when it names none.</param>
public sealed record KdcEndpoint(string Host, int Port = KdcEndpoint.DefaultPort, KdcTransport? Transport = null)
{
    /// <summary>RFC 4120 7.2.3.</summary>
    public const int DefaultPort = 88;

    /// <summary>Parses <c>[tcp/|udp/]host[:port]</c>; false, with the reason, for anything else.</summary>
    public static bool TryParse(string text, out KdcEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        string rest = text.Trim();
        KdcTransport? transport = null;
        if (rest.StartsWith("tcp/", StringComparison.OrdinalIgnoreCase))
        {
            transport = KdcTransport.Tcp;
            rest = rest[4..];
        }
        else if (rest.StartsWith("udp/", StringComparison.OrdinalIgnoreCase))
        {
            transport = KdcTransport.Udp;
            rest = rest[4..];
        }
        else if (rest.Contains("://", StringComparison.Ordinal))
        {
            error = $"'{text}' is a URL: rdphs reaches a KDC over TCP or UDP (write [tcp/|udp/]HOST[:PORT]); a KDC proxy (MS-KKDCP) is not supported";
            return false;
        }

        string host = rest;
        int port = DefaultPort;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}' opens a bracket for an IPv6 address and does not close it";
                return false;
            }

            host = rest[1..close];
            string after = rest[(close + 1)..];
            if (after.Length > 0 && (!after.StartsWith(':') || !TryPort(after[1..], out port)))
            {
                error = $"'{text}' has no valid port after the address (1 to 65535)";
                return false;
            }
        }
        else if (rest.Count(c => c == ':') == 1)
        {
            int colon = rest.IndexOf(':', StringComparison.Ordinal);
            host = rest[..colon];
            if (!TryPort(rest[(colon + 1)..], out port))
            {
                error = $"'{text}' has no valid port after the colon (1 to 65535)";
                return false;
            }
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '@'))
        {
            error = $"'{text}' is not a KDC address: write [tcp/|udp/]HOST[:PORT]";
            return false;
        }

        endpoint = new KdcEndpoint(host, port, transport);
        error = null;
        return true;
    }

    public override string ToString()
    {
        string prefix = Transport switch { KdcTransport.Tcp => "tcp/", KdcTransport.Udp => "udp/", null => string.Empty };
        string host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        return $"{prefix}{host}:{Port.ToString(CultureInfo.InvariantCulture)}";
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
}
