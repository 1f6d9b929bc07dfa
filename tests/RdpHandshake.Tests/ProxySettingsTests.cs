using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Tests;

/// <summary>The --proxy URL, and the catalogue's word for every way a proxy can fail.</summary>
public sealed class ProxySettingsTests
{
    [Theory]
    [InlineData("socks5://127.0.0.1:1080", ProxyKind.Socks5, "127.0.0.1", 1080, null)]
    [InlineData("SOCKS5://proxy.example.com:1080/", ProxyKind.Socks5, "proxy.example.com", 1080, null)]
    [InlineData("socks5h://alice@proxy.example.com:1080", ProxyKind.Socks5, "proxy.example.com", 1080, "alice")]
    [InlineData("http://bob%40corp@[2001:db8::1]:3128", ProxyKind.HttpConnect, "2001:db8::1", 3128, "bob@corp")]
    public void A_proxy_url_gives_the_kind_the_address_and_the_user(string url, ProxyKind kind, string host, int port, string? user)
    {
        Assert.True(ProxySettings.TryParse(url, out ProxySettings? proxy, out string? error), error);
        Assert.Equal(new ProxySettings(kind, host, port, user), proxy);
        Assert.Null(proxy!.Password);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:21", "scheme 'ftp'")]
    [InlineData("https://127.0.0.1:443", "scheme 'https'")]
    [InlineData("127.0.0.1:1080", "is not a URL")]
    [InlineData("socks5://127.0.0.1", "names no port")]
    [InlineData("socks5://127.0.0.1:0", "bad proxy address")]
    [InlineData("socks5://127.0.0.1:99999", "bad proxy address")]
    [InlineData("http://proxy:3128/path", "path, query or fragment")]
    [InlineData("socks5://@proxy:1080", "user name")]
    [InlineData("http://bad host:3128", "bad proxy address")]
    public void A_bad_proxy_url_says_what_is_wrong_in_one_line(string url, string says)
    {
        Assert.False(ProxySettings.TryParse(url, out ProxySettings? proxy, out string? error));
        Assert.Null(proxy);
        Assert.Contains(says, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error!);
    }

    [Fact]
    public void A_password_in_the_url_is_refused_and_not_repeated()
    {
        Assert.False(ProxySettings.TryParse("socks5://alice:Hunter2-secret@proxy:1080", out _, out string? error));
        Assert.Contains("RDPHS_PROXY_PASSWORD", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_url_shown_never_holds_the_password()
    {
        var proxy = new ProxySettings(ProxyKind.HttpConnect, "proxy", 3128, "alice") { Password = new Crypto.Secret("Hunter2-secret") };
        Assert.Equal("http://alice@proxy:3128", proxy.ToString());
        Assert.DoesNotContain("Hunter2", new ProxyHop(proxy.Kind, proxy.Address, proxy.User).Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_socks5_reply_code_and_the_named_http_statuses_have_their_own_catalogue_entry()
    {
        CatalogRow socks = DiagnosisCatalog.Row(CauseId.SocksReply);
        foreach (Socks5ReplyCode code in Socks5ReplyNames.All.Where(c => c != Socks5ReplyCode.Succeeded))
        {
            Assert.True(socks.ByDetail.ContainsKey(Socks5ReplyNames.Name((byte)code)), $"no entry for {Socks5ReplyNames.Name((byte)code)}");
        }

        CatalogRow http = DiagnosisCatalog.Row(CauseId.ProxyHttpStatus);
        Assert.All(new[] { "403", "502", "504" }, status => Assert.True(http.ByDetail.ContainsKey(status), status));
    }

    [Theory]
    [InlineData(CauseId.ClosedByPeer)]
    [InlineData(CauseId.Timeout)]
    [InlineData(CauseId.TimeoutMidAnswer)]
    [InlineData(CauseId.TruncatedResponse)]
    [InlineData(CauseId.Reset)]
    [InlineData(CauseId.MalformedResponse)]
    [InlineData(CauseId.ConnectionRefused)]
    [InlineData(CauseId.ConnectTimeout)]
    [InlineData(CauseId.NameNotResolved)]
    public void A_proxy_that_closes_stalls_or_cannot_be_reached_is_explained_as_the_proxy(CauseId id)
    {
        CatalogEntry entry = DiagnosisCatalog.Lookup(new Cause(ConnectionPhase.Proxy, id));
        Assert.Contains("proxy", entry.Title, StringComparison.Ordinal);
        Assert.NotEqual(DiagnosisCatalog.Row(id).Entry, entry);
        Assert.NotNull(entry.NoMstscCode);
    }
}
