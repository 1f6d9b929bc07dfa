using System.Net;
using DnsClient;
using DnsClient.Protocol;
using RdpHandshake.Protocol.CredSsp;

namespace RdpHandshake.Kerberos;

/// <summary>Where a realm's KDCs are and how that was found.</summary>
/// <param name="Realm">The realm.</param>
/// <param name="Endpoints">Its KDCs, in the order to try them.</param>
/// <param name="Source">Where they came from: <c>--kdc</c>, a krb5.conf path, or the DNS records asked for.</param>
public sealed record KdcLocation(string Realm, IReadOnlyList<KdcEndpoint> Endpoints, string Source);

/// <summary>A lookup's answer: the KDCs, or why none was found (every place looked at is named).</summary>
public sealed record KdcLookup(KdcLocation? Location, string? WhyNot);

/// <summary>
/// Finds a realm's KDCs as MIT's library does, in order: the KDCs given on the command line, the realm's
/// <c>kdc</c> entries in krb5.conf (<c>KRB5_CONFIG</c>, else /etc/krb5.conf), then, unless krb5.conf sets
/// <c>dns_lookup_kdc = false</c>, the DNS SRV records <c>_kerberos._tcp.REALM</c> (or <c>_kerberos._udp.REALM</c>
/// for UDP) that Active Directory publishes (RFC 4120 7.2.3.2).
/// </summary>
public sealed class KdcLocator(KerberosSettings settings)
{
    private Krb5Config? _config;
    private string? _configError;
    private bool _configRead;

    /// <summary>The realm's KDCs for <paramref name="transport"/>, or why none was found; <paramref name="timeout"/> bounds the DNS query.</summary>
    public async Task<KdcLookup> LocateAsync(string realm, KdcTransport transport, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (settings.Kdcs.Count > 0)
        {
            return new KdcLookup(new KdcLocation(realm, settings.Kdcs, "--kdc"), null);
        }

        Krb5Config? config = Config();
        var looked = new List<string>();
        if (config is not null)
        {
            var endpoints = new List<KdcEndpoint>();
            var unusable = new List<string>();
            foreach (string entry in config.KdcsOf(realm))
            {
                if (KdcEndpoint.TryParse(entry, out KdcEndpoint? endpoint, out string? error))
                {
                    endpoints.Add(endpoint!);
                }
                else
                {
                    unusable.Add(error!);
                }
            }

            if (endpoints.Count > 0)
            {
                return new KdcLookup(new KdcLocation(realm, endpoints, config.Path), null);
            }

            looked.Add(unusable.Count > 0 ? $"{config.Path} lists no usable KDC for {realm} ({string.Join("; ", unusable)})" : $"{config.Path} lists no KDC for {realm}");
        }
        else
        {
            looked.Add(_configError ?? "there is no krb5.conf (KRB5_CONFIG names none that exists, and /etc/krb5.conf is absent)");
        }

        if (config?.DnsLookupKdc == false)
        {
            looked.Add($"{config.Path} turns DNS lookups off (dns_lookup_kdc = false)");
        }
        else
        {
            string name = $"_kerberos._{(transport == KdcTransport.Udp ? "udp" : "tcp")}.{realm}";
            (IReadOnlyList<KdcEndpoint> found, string? why) = await QuerySrvAsync(name, transport, timeout, cancellationToken).ConfigureAwait(false);
            if (found.Count > 0)
            {
                return new KdcLookup(new KdcLocation(realm, found, $"DNS SRV {name}"), null);
            }

            looked.Add(why!);
        }

        return new KdcLookup(null, $"no KDC is known for the realm {realm}: no --kdc was given, {string.Join(", ", looked)}");
    }

    /// <summary>The SRV records of <paramref name="name"/>, by priority then weight; a target "." means the service is not offered (RFC 2782).</summary>
    private async Task<(IReadOnlyList<KdcEndpoint> Found, string? WhyNot)> QuerySrvAsync(string name, KdcTransport transport, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var options = settings.DnsServer is { } server ? new LookupClientOptions(server) : new LookupClientOptions();
        options.Timeout = timeout;
        options.Retries = 0;
        options.UseCache = false;
        options.ThrowDnsErrors = false;
        string asked = settings.DnsServer is { } dns ? $"{dns}" : "the system's DNS servers";
        IDnsQueryResponse response;
        try
        {
            response = await new LookupClient(options).QueryAsync(name, QueryType.SRV, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex)
        {
            return ([], $"{asked} gave no answer for the SRV record {name} ({ex.Code}: {ex.DnsError})");
        }

        if (response.HasError)
        {
            return ([], $"{asked} found no SRV record {name} ({response.ErrorMessage})");
        }

        List<KdcEndpoint> found = [.. response.Answers.SrvRecords()
            .Where(r => r.Target.Value is not ("." or ""))
            .OrderBy(r => r.Priority).ThenByDescending(r => r.Weight)
            .Select(r => new KdcEndpoint(r.Target.Value.TrimEnd('.'), r.Port, transport))];
        return found.Count > 0 ? (found, null) : ([], $"{asked} found no SRV record {name}");
    }

    private Krb5Config? Config()
    {
        if (!_configRead)
        {
            _configRead = true;
            string? path = settings.ConfigPath ?? Krb5Config.DefaultPath();
            _config = path is null ? null : Krb5Config.Load(path, out _configError);
        }

        return _config;
    }
}
