using RdpHandshake.Clients;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests;

/// <summary>The profile files compiled into the engine: all there, every value sourced or marked an assumption.</summary>
public sealed class ClientProfileTests
{
    [Fact]
    public void The_seven_profiles_load_in_order()
    {
        Assert.Equal(["mstsc-win11", "mstsc-win10", "mstsc-win7", "freerdp3", "freerdp2-openssl3", "msrdc-macos", "rdphs"], ClientProfiles.Names);
    }

    [Fact]
    public void Every_value_has_a_source_or_says_it_is_an_assumption()
    {
        foreach (ClientProfile profile in ClientProfiles.All)
        {
            Assert.Equal(ClientProfiles.ValueKeys.Order(), profile.Sources.Keys.Order());
            Assert.All(profile.Sources.Values, s => Assert.True(s.Assumption ? !string.IsNullOrWhiteSpace(s.Why) : !string.IsNullOrWhiteSpace(s.Source)));
            Assert.All(["tls", "certificate", "credssp", "standard-security", "protocol"], kind => Assert.True(profile.Messages.ContainsKey(kind), $"{profile.Name} has no {kind} message"));
        }
    }

    [Fact]
    public void OpenSSL_3_levels_decide_the_FreeRDP_minimums()
    {
        ClientProfile freerdp2 = ClientProfiles.Find("freerdp2-openssl3")!;
        ClientProfile freerdp3 = ClientProfiles.Find("FreeRDP3")!;

        Assert.Equal((1, 1024), (freerdp2.SecurityLevel, freerdp2.MinRsaBits));
        Assert.Equal((2, 2048), (freerdp3.SecurityLevel, freerdp3.MinRsaBits));
        Assert.Contains("sha1", freerdp3.RefusedCertificateHashes);
        Assert.DoesNotContain(TlsVersion.Tls10, freerdp3.TlsVersions);
        Assert.Equal(SecurityProtocols.Ssl | SecurityProtocols.Hybrid, freerdp2.RequestedProtocols);
        Assert.Equal(30, freerdp2.CipherSuites.Count);
    }

    [Fact]
    public void A_profile_file_without_a_source_is_refused()
    {
        string json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "RdpHandshake", "Clients", "profiles", "freerdp3.json"))
            .Replace("\"minRsaBits\": { \"value\": 2048, \"source\"", "\"minRsaBits\": { \"value\": 2048, \"note\"", StringComparison.Ordinal);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));

        var error = Assert.Throws<FormatException>(() => ClientProfiles.Parse(stream, "freerdp3.json"));
        Assert.Contains("'minRsaBits' needs a 'source'", error.Message);
    }

    [Fact]
    public void Applying_a_profile_changes_the_offer_only()
    {
        ClientProfile win7 = ClientProfiles.Find("mstsc-win7")!;
        var options = new ProbeOptions { ReadTimeout = TimeSpan.FromSeconds(3) };

        ProbeOptions applied = win7.Apply(options);

        Assert.Equal(SecurityProtocols.Ssl | SecurityProtocols.Hybrid, applied.Negotiation.RequestedProtocols);
        Assert.Equal([TlsVersion.Tls10], applied.Tls.Versions);
        Assert.Equal(win7.CipherSuites, applied.Tls.CipherSuites);
        Assert.Equal(TimeSpan.FromSeconds(3), applied.ReadTimeout);
        Assert.Equal(0x1Bu, applied.Session.EncryptionMethods);
    }
}
