namespace RdpHandshake.Tests;

public sealed class ProbeTargetTests
{
    [Theory]
    [InlineData("rdp.example.com", "rdp.example.com", 3389)]
    [InlineData("rdp.example.com:3390", "rdp.example.com", 3390)]
    [InlineData("127.0.0.1:1", "127.0.0.1", 1)]
    [InlineData("[::1]:3389", "::1", 3389)]
    [InlineData("[::1]", "::1", 3389)]
    [InlineData("::1", "::1", 3389)]
    [InlineData("  host:65535 ", "host", 65535)]
    [InlineData("rdp_1.example.com.", "rdp_1.example.com.", 3389)]
    [InlineData("10.0.0.5", "10.0.0.5", 3389)]
    public void Parses_host_and_port(string text, string host, int port)
    {
        Assert.True(ProbeTarget.TryParse(text, out ProbeTarget? target, out string? error), error);
        Assert.Equal(new ProbeTarget(host, port), target);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("host:0", "port must be a number from 1 to 65535")]
    [InlineData("host:65536", "port must be a number from 1 to 65535")]
    [InlineData("host:abc", "port must be a number")]
    [InlineData(":3389", "host is empty")]
    [InlineData("[::1", "missing ']'")]
    [InlineData("[::1]x", "expected ':PORT'")]
    [InlineData("a:b:c", "not a host")]
    [InlineData("rdp example.com", "not a host name: it contains a space")]
    [InlineData("rdp.example..com", "an empty part between dots")]
    [InlineData("rdp!.example.com:3389", "'!' cannot be part of one")]
    [InlineData("-rdp.example.com", "starts or ends with '-'")]
    [InlineData("rdp://rdp.example.com", "without a scheme")]
    [InlineData("user@rdp.example.com", "'@' cannot be part of one")]
    public void Rejects_malformed_targets_naming_the_problem(string text, string reason)
    {
        Assert.False(ProbeTarget.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Formats_ipv6_with_brackets()
    {
        Assert.Equal("[::1]:3389", new ProbeTarget("::1").ToString());
        Assert.Equal("host:3390", new ProbeTarget("host", 3390).ToString());
    }
}
