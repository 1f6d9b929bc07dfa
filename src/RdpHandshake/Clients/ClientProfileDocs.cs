using System.Globalization;
using System.Text;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Clients;

/// <summary>The profiles as Markdown, for docs/clients.md (a test keeps the document in step with the files).</summary>
public static class ClientProfileDocs
{
    /// <summary>One section per profile: each value with its source, or the assumption and its reason.</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        foreach (ClientProfile profile in ClientProfiles.All)
        {
            text.Append(CultureInfo.InvariantCulture, $"### {profile.Name}\n\n{profile.Client}.\n\n| Value | Profile | Source |\n|---|---|---|\n");
            foreach (string key in ClientProfiles.ValueKeys)
            {
                ProfileSource source = profile.Sources[key];
                string origin = source.Assumption ? $"**assumption**: {source.Why}" : source.Source!;
                text.Append(CultureInfo.InvariantCulture, $"| {key} | {Escape(Value(profile, key))} | {Escape(origin)} |\n");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static string Value(ClientProfile profile, string key) => key switch
    {
        "requestedProtocols" => NegotiationNames.SpecNames(profile.RequestedProtocols),
        "tlsVersions" => string.Join(", ", profile.TlsVersions.Select(v => TlsNames.Version(v))),
        "minTlsVersion" => TlsNames.Version(profile.MinTlsVersion),
        "cipherSuites" => profile.CipherSuites.Count == 0 ? "rdphs's defaults" : string.Join(", ", profile.CipherSuites.Select(TlsNames.CipherSuite)),
        "groups" => profile.Groups.Count == 0 ? "the TLS library's defaults" : string.Join(", ", profile.Groups.Select(ClientProfiles.GroupName)),
        "signatureAlgorithms" => profile.SignatureAlgorithms.Count == 0 ? "the TLS library's defaults" : string.Join(", ", profile.SignatureAlgorithms.Select(ClientProfiles.SchemeName)),
        "minRsaBits" => profile.MinRsaBits == 0 ? "any" : profile.MinRsaBits.ToString(CultureInfo.InvariantCulture),
        "minDhBits" => profile.MinDhBits == 0 ? "any" : profile.MinDhBits.ToString(CultureInfo.InvariantCulture),
        "securityLevel" => profile.SecurityLevel?.ToString(CultureInfo.InvariantCulture) ?? "none (not OpenSSL)",
        "refusedCertificateHashes" => profile.RefusedCertificateHashes.Count == 0 ? "none" : string.Join(", ", profile.RefusedCertificateHashes),
        "credSspVersion" => profile.CredSspVersion.ToString(CultureInfo.InvariantCulture),
        "nonceBinding" => profile.RequiresNonceBinding ? "required (refuses servers below version 5)" : "optional",
        "authentication" => profile.Authentication,
        "standardSecurity" => profile.StandardSecurity.Count == 0 ? "refused" : string.Join(", ", profile.StandardSecurity),
        "certificate" => profile.Certificate.ToString().ToLowerInvariant(),
        "earlyUserAuthorization" => profile.EarlyUserAuthorization ? "yes" : "no",
        _ => string.Empty,
    };

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
