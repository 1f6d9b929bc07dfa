using System.Globalization;
using System.Net;

namespace RdpHandshake;

/// <summary>A host and TCP port to probe: <c>host</c>, <c>host:port</c>, <c>[v6]:port</c> or a bare IPv6 address.</summary>
public sealed record ProbeTarget(string Host, int Port = ProbeTarget.DefaultPort)
{
    public const int DefaultPort = 3389;

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>Parses <c>host</c>, <c>host:port</c> or <c>[v6]:port</c> (port 3389 by default).</summary>
    /// <exception cref="FormatException">The text is not a target; the message says why.</exception>
    public static ProbeTarget Parse(string text) =>
        TryParse(text, out ProbeTarget? target, out string? error) ? target! : throw new FormatException($"target {error}");

    /// <summary>Parses a target; on failure <paramref name="error"/> says what is wrong with it.</summary>
    public static bool TryParse(string text, out ProbeTarget? target, out string? error)
    {
        target = null;
        error = null;
        string input = text.Trim();
        if (input.Length == 0)
        {
            error = "the target is empty";
            return false;
        }

        if (input.Contains("://", StringComparison.Ordinal))
        {
            error = $"'{text}': write the host without a scheme, e.g. rdp.example.com or rdp.example.com:3390";
            return false;
        }

        string host = input;
        string? portText = null;
        if (input.StartsWith('['))
        {
            int close = input.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}': missing ']' after the IPv6 address";
                return false;
            }

            host = input[1..close];
            string rest = input[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':'))
                {
                    error = $"'{text}': expected ':PORT' after ']'";
                    return false;
                }

                portText = rest[1..];
            }
        }
        else if (input.Count(c => c == ':') == 1)
        {
            int colon = input.IndexOf(':', StringComparison.Ordinal);
            host = input[..colon];
            portText = input[(colon + 1)..];
        }
        else if (input.Contains(':', StringComparison.Ordinal) && !IPAddress.TryParse(input, out _))
        {
            error = $"'{text}': not a host, host:port or IPv6 address (write IPv6 with a port as [addr]:port)";
            return false;
        }

        if (host.Length == 0)
        {
            error = $"'{text}': the host is empty";
            return false;
        }

        if (HostProblem(host) is { } problem)
        {
            error = $"'{text}': {problem}";
            return false;
        }

        int port = DefaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"'{text}': the port must be a number from 1 to 65535";
            return false;
        }

        target = new ProbeTarget(host, port);
        return true;
    }

    /// <summary>
    /// Why <paramref name="host"/> is neither an IP address nor a DNS name (RFC 1123: dot-separated labels of letters,
    /// digits and hyphens, 63 characters each and 253 in all; underscores are let through, as resolvers do), or null.
    /// </summary>
    private static string? HostProblem(string host)
    {
        if (IPAddress.TryParse(host, out _))
        {
            return null;
        }

        if (host.Length > 253)
        {
            return "not a host name: longer than 253 characters";
        }

        foreach (string label in host.EndsWith('.') ? host[..^1].Split('.') : host.Split('.'))
        {
            if (label.Length == 0)
            {
                return "not a host name: an empty part between dots";
            }

            if (label.Length > 63)
            {
                return $"not a host name: '{label[..20]}...' is longer than 63 characters";
            }

            if (label.FirstOrDefault(c => !(char.IsLetterOrDigit(c) || c is '-' or '_')) is var bad and not '\0')
            {
                return bad == ' ' ? "not a host name: it contains a space" : $"not a host name: '{bad}' cannot be part of one";
            }

            if (label.StartsWith('-') || label.EndsWith('-'))
            {
                return $"not a host name: '{label}' starts or ends with '-'";
            }
        }

        return null;
    }
}
