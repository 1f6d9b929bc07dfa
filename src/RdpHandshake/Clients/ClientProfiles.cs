using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Org.BouncyCastle.Tls;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Clients;

/// <summary>
/// The client profiles compiled into the engine (embedded JSON resources, one per client, read with
/// <see cref="JsonDocument"/>: no reflection-based serialisation, so the NativeAOT CLI stays warning-free).
/// </summary>
public static class ClientProfiles
{
    private const string ResourcePrefix = "RdpHandshake.Clients.profiles.";

    /// <summary>The keys every profile file has, each an object with <c>value</c> and <c>source</c> or <c>assumption</c>.</summary>
    public static IReadOnlyList<string> ValueKeys { get; } =
    [
        "requestedProtocols", "tlsVersions", "minTlsVersion", "cipherSuites", "groups", "signatureAlgorithms", "minRsaBits", "minDhBits",
        "securityLevel", "refusedCertificateHashes", "credSspVersion", "nonceBinding", "authentication", "standardSecurity",
        "certificate", "earlyUserAuthorization",
    ];

    private static readonly Lazy<IReadOnlyList<ClientProfile>> Loaded = new(LoadAll);

    /// <summary>Every profile, in a stable order: mstsc newest first, then FreeRDP, macOS, rdphs.</summary>
    public static IReadOnlyList<ClientProfile> All => Loaded.Value;

    /// <summary>The profile names, as <c>--client</c> lists them.</summary>
    public static IReadOnlyList<string> Names => [.. All.Select(p => p.Name)];

    /// <summary>The profile called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static ClientProfile? Find(string name) => All.FirstOrDefault(p => string.Equals(p.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    private static readonly string[] Order = ["mstsc-win11", "mstsc-win10", "mstsc-win7", "freerdp3", "freerdp2-openssl3", "msrdc-macos", "rdphs"];

    private static IReadOnlyList<ClientProfile> LoadAll()
    {
        Assembly assembly = typeof(ClientProfiles).Assembly;
        var profiles = new List<ClientProfile>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal)))
        {
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            profiles.Add(Parse(stream, resource[ResourcePrefix.Length..]));
        }

        return [.. profiles.OrderBy(p => Array.IndexOf(Order, p.Name) is var i && i < 0 ? int.MaxValue : i).ThenBy(p => p.Name, StringComparer.Ordinal)];
    }

    /// <summary>Reads one profile file; a file that breaks the format throws <see cref="FormatException"/> naming the file and key.</summary>
    public static ClientProfile Parse(Stream json, string fileName)
    {
        using JsonDocument document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        JsonElement root = document.RootElement;
        var sources = new Dictionary<string, ProfileSource>(StringComparer.Ordinal);
        foreach (string key in ValueKeys)
        {
            if (!root.TryGetProperty(key, out JsonElement entry) || entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("value", out _))
            {
                throw new FormatException($"{fileName}: '{key}' is missing or has no 'value'");
            }

            bool assumption = entry.TryGetProperty("assumption", out JsonElement flag) && flag.ValueKind == JsonValueKind.True;
            string? source = entry.TryGetProperty("source", out JsonElement s) ? s.GetString() : null;
            string? why = entry.TryGetProperty("why", out JsonElement w) ? w.GetString() : null;
            if (assumption ? string.IsNullOrWhiteSpace(why) : string.IsNullOrWhiteSpace(source))
            {
                throw new FormatException($"{fileName}: '{key}' needs a 'source', or 'assumption': true with a 'why'");
            }

            sources[key] = new ProfileSource(assumption ? null : source, assumption, why);
        }

        JsonElement Value(string key) => root.GetProperty(key).GetProperty("value");
        IEnumerable<string> Strings(string key) => Value(key).EnumerateArray().Select(e => e.GetString() ?? string.Empty);
        var messages = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("messages", out JsonElement m))
        {
            foreach (JsonProperty p in m.EnumerateObject())
            {
                messages[p.Name] = p.Value.GetString() ?? string.Empty;
            }
        }

        return new ClientProfile
        {
            Name = root.GetProperty("name").GetString() ?? throw new FormatException($"{fileName}: no name"),
            Client = root.GetProperty("client").GetString() ?? string.Empty,
            Family = root.GetProperty("family").GetString() ?? string.Empty,
            RequestedProtocols = Strings("requestedProtocols").Aggregate(SecurityProtocols.Rdp, (all, name) =>
                all | (NegotiationNames.TryParseProtocol(name, out SecurityProtocols p) ? p : throw new FormatException($"{fileName}: unknown protocol '{name}'"))),
            TlsVersions = [.. Strings("tlsVersions").Select(v => TlsNames.TryParseVersion(v, out TlsVersion version) ? version : throw new FormatException($"{fileName}: unknown TLS version '{v}'"))],
            MinTlsVersion = TlsNames.TryParseVersion(Value("minTlsVersion").GetString() ?? string.Empty, out TlsVersion minimum) ? minimum : throw new FormatException($"{fileName}: minTlsVersion is not a TLS version"),
            CipherSuites = [.. Strings("cipherSuites").Select(s => TlsNames.TryParseCipherSuite(s, out int suite) ? suite : throw new FormatException($"{fileName}: unknown cipher suite '{s}'"))],
            Groups = [.. Strings("groups").Select(g => ParseCode(g, GroupsByName) ?? throw new FormatException($"{fileName}: unknown group '{g}'"))],
            SignatureAlgorithms = [.. Strings("signatureAlgorithms").Select(g => ParseCode(g, SchemesByName) ?? throw new FormatException($"{fileName}: unknown signature scheme '{g}'"))],
            MinRsaBits = Value("minRsaBits").GetInt32(),
            MinDhBits = Value("minDhBits").GetInt32(),
            SecurityLevel = Value("securityLevel").ValueKind == JsonValueKind.Null ? null : Value("securityLevel").GetInt32(),
            RefusedCertificateHashes = [.. Strings("refusedCertificateHashes").Select(h => h.ToLowerInvariant())],
            CredSspVersion = Value("credSspVersion").GetInt32(),
            RequiresNonceBinding = Value("nonceBinding").GetString() switch
            {
                "required" => true,
                "optional" => false,
                var other => throw new FormatException($"{fileName}: nonceBinding '{other}' is neither required nor optional"),
            },
            Authentication = Value("authentication").GetString() ?? "negotiate",
            StandardSecurity = [.. Strings("standardSecurity").Select(s => ClientProfile.MethodBit(s) != 0 ? s : throw new FormatException($"{fileName}: unknown encryption method '{s}'"))],
            Certificate = Value("certificate").GetString() switch
            {
                "prompt" => CertificateBehaviour.Prompt,
                "ignore" => CertificateBehaviour.Ignore,
                "refuse" => CertificateBehaviour.Refuse,
                var other => throw new FormatException($"{fileName}: certificate '{other}' is not prompt, ignore or refuse"),
            },
            EarlyUserAuthorization = Value("earlyUserAuthorization").GetBoolean(),
            Sources = sources,
            Messages = messages,
        };
    }

    /// <summary>The registry name of a named group, e.g. <c>x25519</c>.</summary>
    public static string GroupName(int group) => NamedGroup.GetName(group) ?? $"0x{group:x4}";

    /// <summary>The registry name of a signature scheme, e.g. <c>rsa_pss_rsae_sha256</c>.</summary>
    public static string SchemeName(int scheme) => SchemeNames.TryGetValue(scheme, out string? name) ? name : $"0x{scheme:x4}";

    private static readonly FrozenDictionary<string, int> GroupsByName = Enumerable.Range(0, 0x0200)
        .Where(g => NamedGroup.GetName(g) is { Length: > 0 } name && name.Any(char.IsLower))
        .GroupBy(g => NamedGroup.GetName(g), StringComparer.OrdinalIgnoreCase)
        .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

    // The TLS 1.3 names (RFC 8446 4.2.3); the TLS 1.2 hash/signature pairs without one are written 0xHHSS.
    private static readonly FrozenDictionary<int, string> SchemeNames = new Dictionary<int, string>
    {
        [0x0201] = "rsa_pkcs1_sha1",
        [0x0203] = "ecdsa_sha1",
        [0x0401] = "rsa_pkcs1_sha256",
        [0x0501] = "rsa_pkcs1_sha384",
        [0x0601] = "rsa_pkcs1_sha512",
        [0x0403] = "ecdsa_secp256r1_sha256",
        [0x0503] = "ecdsa_secp384r1_sha384",
        [0x0603] = "ecdsa_secp521r1_sha512",
        [0x0804] = "rsa_pss_rsae_sha256",
        [0x0805] = "rsa_pss_rsae_sha384",
        [0x0806] = "rsa_pss_rsae_sha512",
        [0x0807] = "ed25519",
        [0x0808] = "ed448",
        [0x0809] = "rsa_pss_pss_sha256",
        [0x080a] = "rsa_pss_pss_sha384",
        [0x080b] = "rsa_pss_pss_sha512",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, int> SchemesByName = SchemeNames.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    private static int? ParseCode(string text, FrozenDictionary<string, int> byName) =>
        byName.TryGetValue(text.Trim(), out int code) ? code
        : text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && int.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out code) ? code
        : null;
}
