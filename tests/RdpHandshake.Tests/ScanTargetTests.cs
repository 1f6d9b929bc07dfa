using RdpHandshake.Scan;

namespace RdpHandshake.Tests;

/// <summary>The scan's target expander: hosts, ports, IPv4 ranges, files, and the cap on expansion.</summary>
public sealed class ScanTargetTests
{
    private static ScanTargetSpec Parse(string text, int defaultPort = 3389, long max = ScanTargetList.DefaultMaxTargets)
    {
        Assert.True(ScanTargetSpec.TryParse(text, defaultPort, max, out ScanTargetSpec? spec, out string? error), error);
        return spec!;
    }

    private static string Refused(string text, long max = ScanTargetList.DefaultMaxTargets)
    {
        Assert.False(ScanTargetSpec.TryParse(text, 3389, max, out ScanTargetSpec? spec, out string? error));
        Assert.Null(spec);
        Assert.Contains($"'{text}'", error!, StringComparison.Ordinal);
        return error!;
    }

    private static string[] Expand(string text, int defaultPort = 3389) => Parse(text, defaultPort).Expand().Select(t => t.ToString()).ToArray();

    [Theory]
    [InlineData("rdp.example.com", "rdp.example.com:3390")]
    [InlineData("rdp.example.com:4000", "rdp.example.com:4000")]
    [InlineData("10.1.2.3", "10.1.2.3:3390")]
    [InlineData("10.1.2.3:3389", "10.1.2.3:3389")]
    [InlineData("::1", "[::1]:3390")]
    [InlineData("[::1]:4000", "[::1]:4000")]
    [InlineData("[fe80::1]", "[fe80::1]:3390")]
    [InlineData("  padded.example  ", "padded.example:3390")]
    public void Single_targets_take_the_default_port_only_when_they_name_none(string input, string expected)
    {
        Assert.Equal([expected], Expand(input, defaultPort: 3390));
    }

    [Fact]
    public void A_slash_28_stands_for_its_14_hosts_without_network_and_broadcast()
    {
        string[] targets = Expand("10.0.0.0/28");
        Assert.Equal(14, targets.Length);
        Assert.Equal("10.0.0.1:3389", targets[0]);
        Assert.Equal("10.0.0.14:3389", targets[^1]);
        Assert.Equal(14, Parse("10.0.0.0/28").Count);
    }

    [Fact]
    public void Slash_32_31_and_30_edges()
    {
        Assert.Equal(["192.168.1.7:3389"], Expand("192.168.1.7/32"));
        Assert.Equal(["192.168.1.6:3389", "192.168.1.7:3389"], Expand("192.168.1.6/31"));
        Assert.Equal(["192.168.1.5:3389", "192.168.1.6:3389"], Expand("192.168.1.4/30"));
    }

    [Fact]
    public void Ranges_reach_the_top_of_the_address_space_without_wrapping()
    {
        Assert.Equal(["255.255.255.254:3389", "255.255.255.255:3389"], Expand("255.255.255.254/31"));
        string[] top = Expand("255.255.255.0/24");
        Assert.Equal(254, top.Length);
        Assert.Equal("255.255.255.254:3389", top[^1]);
    }

    [Fact]
    public void A_range_can_name_its_port()
    {
        Assert.Equal(["10.9.8.1:3390", "10.9.8.2:3390"], Expand("10.9.8.0/30:3390", defaultPort: 4000));
        Assert.Equal(["10.9.8.1:4000", "10.9.8.2:4000"], Expand("10.9.8.0/30", defaultPort: 4000));
    }

    [Fact]
    public void A_slash_8_is_counted_without_being_materialised_and_refused_past_the_cap()
    {
        string error = Refused("10.0.0.0/8");
        Assert.Contains("16777214", error, StringComparison.Ordinal);
        Assert.Contains("--max-targets", error, StringComparison.Ordinal);

        ScanTargetSpec big = Parse("10.0.0.0/8", max: 1L << 32);
        Assert.Equal(16_777_214, big.Count);
        Assert.Equal(["10.0.0.1:3389", "10.0.0.2:3389", "10.0.0.3:3389"], big.Expand().Take(3).Select(t => t.ToString()));

        Assert.Equal(65_534, Parse("10.1.0.0/16").Count);
        Refused("10.0.0.0/28", max: 13);
        Assert.Equal(14, Parse("10.0.0.0/28", max: 14).Count);
    }

    [Theory]
    [InlineData("10.0.0.0/33", "prefix length")]
    [InlineData("10.0.0.0/-1", "prefix length")]
    [InlineData("10.0.0.0/", "prefix length")]
    [InlineData("10.0.0.0/abc", "prefix length")]
    [InlineData("10.0.0.0/ 24", "prefix length")]
    [InlineData("10.0.0.5/24", "did you mean 10.0.0.0/24?")]
    [InlineData("10.0.0.1/31", "did you mean 10.0.0.0/31?")]
    [InlineData("10.0.0/24", "dotted form")]
    [InlineData("rdp.example.com/24", "dotted form")]
    [InlineData("fe80::/64", "IPv6 ranges are not supported")]
    [InlineData("10.0.0.0/24:0", "port")]
    [InlineData("10.0.0.0/24:70000", "port")]
    [InlineData("10.0.0.0/24:x", "port")]
    [InlineData("host:0", "port")]
    [InlineData("host:99999", "port")]
    [InlineData("host:", "port")]
    [InlineData(":3389", "host is empty")]
    [InlineData("[::1", "']'")]
    public void Malformed_entries_are_refused_naming_the_entry(string input, string reason)
    {
        string error = Refused(input);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_hold_one_entry_per_line_with_comments_and_blank_lines()
    {
        var reader = new StringReader("""
            # lab servers
            10.0.0.1

              rdp.example.com:3390   # the broker
            10.0.1.0/30:4000
            #10.0.2.0/24
            """);
        Assert.Equal(
            [(2, "10.0.0.1"), (4, "rdp.example.com:3390"), (5, "10.0.1.0/30:4000")],
            ScanTargetList.ReadEntries(reader).ToArray());
    }

    [Fact]
    public void A_list_of_arguments_and_files_is_validated_and_counted_then_expanded_in_order()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["# two ranges", "10.0.1.0/30:4000", "", "name.example # a name"]);
            ScanTargetList list = ScanTargetList.Create(["127.0.0.1:5000", "10.0.0.0/31"], [file], defaultPort: 3390);
            Assert.Equal(6, list.Count);
            Assert.Equal(
                ["127.0.0.1:5000", "10.0.0.0:3390", "10.0.0.1:3390", "10.0.1.1:4000", "10.0.1.2:4000", "name.example:3390"],
                list.Expand().Select(t => t.ToString()));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_bad_line_in_a_file_is_named_by_file_and_line()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["10.0.0.1", "# fine", "10.0.0.0/40"]);
            ScanTargetException ex = Assert.Throws<ScanTargetException>(() => ScanTargetList.Create([], [file]));
            Assert.StartsWith($"{file}:3: '10.0.0.0/40'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("prefix length", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_cap_applies_to_the_total_over_every_entry()
    {
        ScanTargetException ex = Assert.Throws<ScanTargetException>(() => ScanTargetList.Create(["10.0.0.0/28", "10.0.1.0/28"], [], maxTargets: 20));
        Assert.Equal("10.0.1.0/28", ex.Input);
        Assert.Contains("28, more than the limit of 20", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_clear_error()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"rdphs-no-such-{Guid.NewGuid():N}.txt");
        ScanTargetException ex = Assert.Throws<ScanTargetException>(() => ScanTargetList.Create([], [missing]));
        Assert.StartsWith($"'{missing}': cannot read the target file", ex.Message, StringComparison.Ordinal);
    }
}
