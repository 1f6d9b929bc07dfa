namespace RdpHandshake.Kerberos;

/// <summary>
/// What rdphs reads from a krb5.conf (MIT's profile format, krb5.conf(5)): each realm's <c>kdc</c> entries and
/// <c>[libdefaults] dns_lookup_kdc</c>. Sections, <c>REALM = { ... }</c> blocks, comments (<c>#</c>, <c>;</c>) and
/// final markers (<c>*</c>) are understood; <c>include</c> and <c>includedir</c> are not followed.
/// </summary>
public sealed class Krb5Config
{
    /// <summary>A krb5.conf bigger than this is not read: it is not a configuration file.</summary>
    public const int MaxSize = 1 << 20;

    private readonly Dictionary<string, List<string>> _kdcs = new(StringComparer.Ordinal);

    private Krb5Config(string path) => Path = path;

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary><c>[libdefaults] dns_lookup_kdc</c>, or null when the file does not set it (MIT's default is to look up).</summary>
    public bool? DnsLookupKdc { get; private set; }

    /// <summary><c>[libdefaults] default_realm</c>, when set.</summary>
    public string? DefaultRealm { get; private set; }

    /// <summary>The <c>kdc</c> entries of <paramref name="realm"/>, as written; the realm's name is matched exactly, then ignoring case.</summary>
    public IReadOnlyList<string> KdcsOf(string realm) =>
        _kdcs.TryGetValue(realm, out List<string>? exact) ? exact
        : _kdcs.FirstOrDefault(r => string.Equals(r.Key, realm, StringComparison.OrdinalIgnoreCase)).Value ?? [];

    /// <summary>
    /// The file <c>KRB5_CONFIG</c> names (the first of its colon-separated list that exists), else /etc/krb5.conf;
    /// null when there is none.
    /// </summary>
    public static string? DefaultPath()
    {
        string? variable = Environment.GetEnvironmentVariable("KRB5_CONFIG");
        if (!string.IsNullOrEmpty(variable))
        {
            return variable.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
        }

        return File.Exists("/etc/krb5.conf") ? "/etc/krb5.conf" : null;
    }

    /// <summary>Reads <paramref name="path"/>; null, with the reason, when it cannot be read.</summary>
    public static Krb5Config? Load(string path, out string? error)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxSize)
            {
                error = $"{path} is {info.Length} bytes, more than a krb5.conf can be ({MaxSize})";
                return null;
            }

            error = null;
            return Parse(File.ReadAllText(path), path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"{path} cannot be read: {ex.Message}";
            return null;
        }
    }

    /// <summary>Parses the text of a krb5.conf.</summary>
    public static Krb5Config Parse(string text, string path = "krb5.conf")
    {
        var config = new Krb5Config(path);
        string section = string.Empty;
        var nesting = new List<string>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line.EndsWith(']'))
            {
                section = line[1..^1].Trim().TrimEnd('*').Trim();
                nesting.Clear();
                continue;
            }

            if (line.StartsWith('}'))
            {
                if (nesting.Count > 0)
                {
                    nesting.RemoveAt(nesting.Count - 1);
                }

                continue;
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                continue;
            }

            string key = line[..equals].Trim();
            string value = line[(equals + 1)..].Trim();
            if (value.StartsWith('{'))
            {
                nesting.Add(key);
                continue;
            }

            value = value.TrimEnd('*').Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = value[1..^1];
            }

            if (section == "realms" && nesting.Count == 1 && key == "kdc")
            {
                if (!config._kdcs.TryGetValue(nesting[0], out List<string>? list))
                {
                    config._kdcs[nesting[0]] = list = [];
                }

                list.Add(value);
            }
            else if (section == "libdefaults" && nesting.Count == 0)
            {
                switch (key)
                {
                    case "dns_lookup_kdc":
                        config.DnsLookupKdc = value.ToLowerInvariant() is "true" or "yes" or "1" or "on";
                        break;
                    case "default_realm":
                        config.DefaultRealm = value;
                        break;
                }
            }
        }

        return config;
    }
}
