namespace RdpHandshake.Kerberos;

/// <summary>Where a realm's KDCs are and how that was found.</summary>
/// <param name="Realm">The realm.</param>
/// <param name="Endpoints">Its KDCs, in the order to try them.</param>
/// <param name="Source">Where they came from: <c>--kdc</c>, a krb5.conf path, or DNS.</param>
public sealed record KdcLocation(string Realm, IReadOnlyList<KdcEndpoint> Endpoints, string Source);

/// <summary>
/// Finds a realm's KDCs as MIT's library does, in order: the KDCs given on the command line, the realm's
/// <c>kdc</c> entries in krb5.conf (<c>KRB5_CONFIG</c>, else /etc/krb5.conf).
/// </summary>
public sealed class KdcLocator(KerberosSettings settings)
{
    private Krb5Config? _config;
    private string? _configError;
    private bool _configRead;

    /// <summary>The realm's KDCs, or null with why none was found (every place looked at is named).</summary>
    public KdcLocation? Locate(string realm, out string? whyNot)
    {
        whyNot = null;
        if (settings.Kdcs.Count > 0)
        {
            return new KdcLocation(realm, settings.Kdcs, "--kdc");
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
                return new KdcLocation(realm, endpoints, config.Path);
            }

            looked.Add(unusable.Count > 0 ? $"{config.Path} lists no usable KDC for {realm} ({string.Join("; ", unusable)})" : $"{config.Path} lists no KDC for {realm}");
        }
        else
        {
            looked.Add(_configError ?? "there is no krb5.conf (KRB5_CONFIG names none that exists, and /etc/krb5.conf is absent)");
        }

        whyNot = $"no KDC is known for the realm {realm}: no --kdc was given, and {string.Join(", ", looked)}";
        return null;
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
