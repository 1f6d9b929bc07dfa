using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.CredSsp;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>Where the KDC is: the <c>--kdc</c> and krb5.conf address forms, the krb5.conf reader, and the order of the sources.</summary>
public sealed class KdcLocationTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("kdc.example.com", "kdc.example.com", 88, null)]
    [InlineData("kdc.example.com:750", "kdc.example.com", 750, null)]
    [InlineData("tcp/10.0.0.1", "10.0.0.1", 88, KdcTransport.Tcp)]
    [InlineData("udp/10.0.0.1:8888", "10.0.0.1", 8888, KdcTransport.Udp)]
    [InlineData("[::1]:8888", "::1", 8888, null)]
    [InlineData("[fe80::1]", "fe80::1", 88, null)]
    [InlineData("fe80::1", "fe80::1", 88, null)]
    public void A_kdc_address_parses_as_krb5_conf_writes_it(string text, string host, int port, KdcTransport? transport)
    {
        Assert.True(KdcEndpoint.TryParse(text, out KdcEndpoint? endpoint, out string? error), error);
        Assert.Equal(new KdcEndpoint(host, port, transport), endpoint);
    }

    [Theory]
    [InlineData("", "not a KDC address")]
    [InlineData("kdc:0", "no valid port")]
    [InlineData("kdc:65536", "no valid port")]
    [InlineData("kdc:http", "no valid port")]
    [InlineData("[::1", "does not close it")]
    [InlineData("[::1]x", "no valid port")]
    [InlineData("https://kdc.example.com/KdcProxy", "MS-KKDCP")]
    [InlineData("alice@kdc", "not a KDC address")]
    public void A_bad_kdc_address_says_why(string text, string why)
    {
        Assert.False(KdcEndpoint.TryParse(text, out _, out string? error));
        Assert.Contains(why, error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_text_form_is_the_parsed_form()
    {
        foreach (string text in new[] { "udp/10.0.0.1:8888", "tcp/kdc.example.com:88", "[::1]:750" })
        {
            Assert.True(KdcEndpoint.TryParse(text, out KdcEndpoint? endpoint, out _));
            Assert.True(KdcEndpoint.TryParse(endpoint!.ToString(), out KdcEndpoint? again, out _));
            Assert.Equal(endpoint, again);
        }
    }

    [Fact]
    public void Krb5_conf_gives_each_realms_kdcs_and_the_dns_setting()
    {
        Krb5Config config = Krb5Config.Parse("""
            # a comment
            [libdefaults]
                default_realm = EXAMPLE.COM
                dns_lookup_kdc = false
            ; another comment
            [realms]
                EXAMPLE.COM = {
                    kdc = kdc1.example.com
                    kdc = "kdc2.example.com:750"
                    admin_server = kdc1.example.com
                    auth_to_local = {
                        kdc = not-a-kdc-entry
                    }
                }
                OTHER.TEST = {
                    kdc = udp/10.0.0.1*
                }
            [domain_realm]
                .example.com = EXAMPLE.COM
            """);

        Assert.Equal(["kdc1.example.com", "kdc2.example.com:750"], config.KdcsOf("EXAMPLE.COM"));
        Assert.Equal(["udp/10.0.0.1"], config.KdcsOf("OTHER.TEST"));
        Assert.Equal(["udp/10.0.0.1"], config.KdcsOf("other.test")); // an exact match first, then ignoring case
        Assert.Empty(config.KdcsOf("NONE.TEST"));
        Assert.False(config.DnsLookupKdc);
        Assert.Equal("EXAMPLE.COM", config.DefaultRealm);
    }

    [Fact]
    public void A_krb5_conf_without_the_setting_leaves_dns_lookups_to_the_default()
    {
        Assert.Null(Krb5Config.Parse("[libdefaults]\n default_realm = X\n").DnsLookupKdc);
        Assert.True(Krb5Config.Parse("[libdefaults]\n dns_lookup_kdc = yes\n").DnsLookupKdc);
    }

    [Fact]
    public async Task The_kdc_option_comes_before_krb5_conf()
    {
        string conf = WriteConf("[realms]\n EXAMPLE.COM = {\n  kdc = 10.9.9.9\n }\n");
        var given = new KdcEndpoint("127.0.0.1", 8888);
        var locator = new KdcLocator(new KerberosSettings { Kdcs = [given], ConfigPath = conf });

        KdcLookup lookup = await locator.LocateAsync("EXAMPLE.COM", KdcTransport.Tcp, TimeSpan.FromSeconds(1), Cancel);

        Assert.Equal(("EXAMPLE.COM", "--kdc"), (lookup.Location!.Realm, lookup.Location.Source));
        Assert.Equal([given], lookup.Location.Endpoints);
    }

    [Fact]
    public async Task Krb5_conf_names_the_kdc_when_no_option_does()
    {
        string conf = WriteConf("[libdefaults]\n dns_lookup_kdc = false\n[realms]\n EXAMPLE.COM = {\n  kdc = 10.9.9.9:750\n  kdc = https://proxy/KdcProxy\n }\n");
        var locator = new KdcLocator(new KerberosSettings { ConfigPath = conf });

        KdcLookup lookup = await locator.LocateAsync("EXAMPLE.COM", KdcTransport.Tcp, TimeSpan.FromSeconds(1), Cancel);

        Assert.Equal(conf, lookup.Location!.Source);
        Assert.Equal([new KdcEndpoint("10.9.9.9", 750)], lookup.Location.Endpoints);
    }

    [Fact]
    public async Task Without_a_kdc_the_lookup_says_everywhere_it_looked()
    {
        string conf = WriteConf("[libdefaults]\n dns_lookup_kdc = false\n[realms]\n OTHER.TEST = {\n  kdc = 10.9.9.9\n }\n");
        var locator = new KdcLocator(new KerberosSettings { ConfigPath = conf });

        KdcLookup lookup = await locator.LocateAsync("EXAMPLE.COM", KdcTransport.Tcp, TimeSpan.FromSeconds(1), Cancel);

        Assert.Null(lookup.Location);
        Assert.Contains("no --kdc was given", lookup.WhyNot, StringComparison.Ordinal);
        Assert.Contains($"{conf} lists no KDC for EXAMPLE.COM", lookup.WhyNot, StringComparison.Ordinal);
        Assert.Contains("dns_lookup_kdc = false", lookup.WhyNot, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_krb5_conf_that_cannot_be_read_is_named()
    {
        var locator = new KdcLocator(new KerberosSettings { ConfigPath = "/nonexistent/krb5.conf", DnsServer = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1) });

        KdcLookup lookup = await locator.LocateAsync("EXAMPLE.COM", KdcTransport.Tcp, TimeSpan.FromMilliseconds(300), Cancel);

        Assert.Null(lookup.Location);
        Assert.Contains("/nonexistent/krb5.conf cannot be read", lookup.WhyNot, StringComparison.Ordinal);
        Assert.Contains("_kerberos._tcp.EXAMPLE.COM", lookup.WhyNot, StringComparison.Ordinal);
    }

    private static string WriteConf(string text)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("rdphs-krb5-").FullName, "krb5.conf");
        File.WriteAllText(path, text);
        return path;
    }
}
