using RdpHandshake.Cli;
using RdpHandshake.Cli.Exporter;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests;

/// <summary>The exporter's YAML config and allow-list: what reads, and what is refused with the key at fault.</summary>
public sealed class ExporterConfigTests : IDisposable
{
    private const string Password = "Cfg-Secret-Pw-4711";
    private readonly string _directory = Directory.CreateTempSubdirectory("rdphs-exporter-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string yaml)
    {
        string path = Path.Combine(_directory, $"exporter-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string? Environment(string name) => name == "MONITOR_PASSWORD" ? Password : null;

    private static UsageException Refused(string? path, params string[] allowTargets) =>
        Assert.Throws<UsageException>(() => ExporterConfig.Load(path, allowTargets, Environment));

    [Fact]
    public void Without_a_config_the_built_in_modules_probe_loopback_only()
    {
        ExporterConfig config = ExporterConfig.Load(null, [], Environment);
        Assert.Equal(["negotiate", "tls_only"], config.Modules.Keys.Order());
        Assert.Equal(SecurityProtocols.Ssl, config.Modules["tls_only"].Probe.Negotiation.RequestedProtocols);
        Assert.Equal(ConnectionPhase.Tls, config.Modules["tls_only"].Probe.Until);
        Assert.True(config.AllowList.Allows(new ProbeTarget("127.0.0.1", 3389)));
        Assert.True(config.AllowList.Allows(new ProbeTarget("::1", 3390)));
        Assert.True(config.AllowList.Allows(new ProbeTarget("localhost")));
        Assert.False(config.AllowList.Allows(new ProbeTarget("10.0.0.5")));
        Assert.False(config.AllowList.Allows(new ProbeTarget("rdp.example.com")));
    }

    [Fact]
    public void A_config_adds_modules_with_their_options_and_the_modules_targets_make_the_allow_list()
    {
        string path = Write("""
            modules:
              tls12:
                protocols: [ssl]
                until: tls
                timeout: 5s
                tls_versions: "1.2,1.3"
                expect: [ "tls>=1.2", "cert.days-left>=14" ]
                cert_policy: [expired]
                targets: [ rdp1.example.com, "10.0.0.0/30" ]
              nla_logon:
                protocols: hybrid,hybrid_ex
                until: finalized
                user: 'CONTOSO\monitor'
                password_env: MONITOR_PASSWORD
                targets: [ "*.rdp.example.com" ]
                nla_check: false
            """);
        ExporterConfig config = ExporterConfig.Load(path, [], Environment);

        ExporterModule tls12 = config.Modules["tls12"];
        Assert.Equal(SecurityProtocols.Ssl, tls12.Probe.Negotiation.RequestedProtocols);
        Assert.Equal(ConnectionPhase.Tls, tls12.Probe.Until);
        Assert.Equal(TimeSpan.FromSeconds(5), tls12.Timeout);
        Assert.Equal(["tls>=1.2", "cert.days-left>=14"], tls12.Checks.Select(c => c.Text));
        Assert.Contains("expired", tls12.Probe.CertificatePolicy);
        Assert.Equal(2, tls12.Probe.Tls.Versions.Count);

        ExporterModule logon = config.Modules["nla_logon"];
        Assert.Equal("CONTOSO\\monitor", logon.User);
        Assert.Equal(Password, logon.Probe.Credentials!.Password.Reveal().ToString());
        Assert.Equal(SecurityProtocols.Hybrid | SecurityProtocols.HybridEx, logon.Probe.Negotiation.RequestedProtocols);
        Assert.False(logon.CheckNlaRequired);
        Assert.True(config.Modules.ContainsKey("negotiate")); // the built-in ones stay

        // No allow_targets: the modules' targets are the allow-list, and loopback is not on it.
        Assert.Equal("the modules' targets", config.AllowListOrigin);
        Assert.True(config.AllowList.Allows(new ProbeTarget("rdp1.example.com", 3390)));
        Assert.True(config.AllowList.Allows(new ProbeTarget("10.0.0.3")));
        Assert.True(config.AllowList.Allows(new ProbeTarget("host7.rdp.example.com")));
        Assert.False(config.AllowList.Allows(new ProbeTarget("10.0.0.4")));
        Assert.False(config.AllowList.Allows(new ProbeTarget("127.0.0.1")));
        Assert.False(logon.Targets!.Allows(new ProbeTarget("rdp1.example.com")));
    }

    [Fact]
    public void Allow_targets_of_the_config_and_the_command_line_add_up()
    {
        string path = Write("allow_targets: [ 192.0.2.0/24 ]\nmodules:\n  quick:\n    until: x224\n");
        ExporterConfig config = ExporterConfig.Load(path, ["198.51.100.7,rdp.example.com", "2001:db8::/64"], Environment);
        Assert.True(config.AllowList.Allows(new ProbeTarget("192.0.2.10")));
        Assert.True(config.AllowList.Allows(new ProbeTarget("198.51.100.7")));
        Assert.True(config.AllowList.Allows(new ProbeTarget("RDP.example.com.")));
        Assert.True(config.AllowList.Allows(new ProbeTarget("2001:db8::5")));
        Assert.False(config.AllowList.Allows(new ProbeTarget("198.51.100.8")));
        Assert.Equal("allow_targets and --allow-targets", config.AllowListOrigin);
        Assert.Equal(ConnectionPhase.X224, config.Modules["quick"].Probe.Until);
    }

    [Theory]
    [InlineData("127.1", true)] // the resolver reads it as 127.0.0.1 too
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("127.255.255.254", true)]
    [InlineData("128.0.0.1", false)]
    [InlineData("localhost.", true)]
    [InlineData("localhost.example.com", false)]
    [InlineData("evil-localhost", false)]
    public void The_default_allow_list_reads_addresses_as_the_resolver_does(string host, bool allowed) =>
        Assert.Equal(allowed, TargetAllowList.Loopback.Allows(new ProbeTarget(host)));

    [Fact]
    public void A_range_does_not_allow_a_name_whatever_it_resolves_to()
    {
        TargetAllowList list = TargetAllowList.Parse(["0.0.0.0/0", "*.example.com"], "--allow-targets");
        Assert.True(list.Allows(new ProbeTarget("203.0.113.9")));
        Assert.False(list.Allows(new ProbeTarget("localhost")));
        Assert.True(list.Allows(new ProbeTarget("a.example.com")));
        Assert.False(list.Allows(new ProbeTarget("example.com")));
        Assert.False(list.Allows(new ProbeTarget("badexample.com")));
    }

    [Theory]
    [InlineData("modules:\n  x:\n    password: hunter2\n", "modules.x.password: a password is never written in the config")]
    [InlineData("modules:\n  x:\n    user: alice\n    password_env: NOT_SET_ANYWHERE\n    targets: [127.0.0.1]\n", "the environment variable NOT_SET_ANYWHERE is not set")]
    [InlineData("modules:\n  x:\n    user: alice\n    targets: [127.0.0.1]\n", "name where its password is")]
    [InlineData("modules:\n  x:\n    password_env: MONITOR_PASSWORD\n", "modules.x.password_env: needs user")]
    [InlineData("modules:\n  x:\n    user: alice\n    password_env: MONITOR_PASSWORD\n", "modules.x signs in as alice: name the hosts it may send the credentials to")]
    [InlineData("allow_targets: [10.0.0.0/24]\nmodules:\n  x:\n    targets: [10.0.1.5]\n", "modules.x.targets '10.0.1.5' is not on the allow-list")]
    [InlineData("modules:\n  x:\n    protocol: ssl\n", "modules.x: unknown key \"protocol\"")]
    [InlineData("module:\n  x: {}\n", "unknown key \"module\" (known: modules, allow_targets)")]
    [InlineData("modules:\n  x:\n    until: tsl\n", "modules.x.until 'tsl': must be")]
    [InlineData("modules:\n  x:\n    protocols: [ssl, quic]\n", "unknown protocol 'quic'")]
    [InlineData("modules:\n  x:\n    expect: [ \"tls>=banana\" ]\n", "'banana' is not a TLS version")]
    [InlineData("modules:\n  x:\n    timeout: soon\n", "modules.x.timeout 'soon': expected a duration")]
    [InlineData("modules:\n  \"a b\": {}\n", "module name 'a b'")]
    [InlineData("allow_targets: [ 10.0.0.1/8 ]\n", "'10.0.0.1/8': not an address range")]
    [InlineData("allow_targets: [ \"http://x\" ]\n", "'http://x': not an address range")]
    [InlineData("allow_targets: [ \"rdp!.example.com\" ]\n", "not an address, address range (10.0.0.0/24), host name or domain (*.example.com)")]
    [InlineData("allow_targets: []\n", "\"allow_targets\" is empty")]
    [InlineData("modules: [unclosed\n", "cannot read it as YAML")]
    [InlineData("- just\n- a list\n", "expected one YAML mapping")]
    public void A_config_that_cannot_make_sense_is_refused_with_the_key_at_fault(string yaml, string reason)
    {
        string path = Write(yaml);
        UsageException error = Refused(path);
        Assert.StartsWith($"--config '{path}': ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_file_is_read_and_a_missing_one_is_named_without_its_content()
    {
        string secretFile = Path.Combine(_directory, "pw");
        File.WriteAllText(secretFile, Password + "\r\nsecond line ignored\n");
        string path = Write($"modules:\n  logon:\n    user: alice@RDPHS.TEST\n    password_file: {secretFile}\n    auth: ntlm\n    targets: [127.0.0.1]\n");
        ExporterModule logon = ExporterConfig.Load(path, [], Environment).Modules["logon"];
        Assert.Equal(Password, logon.Probe.Credentials!.Password.Reveal().ToString());
        Assert.Equal(RdpHandshake.Kerberos.AuthPackage.Ntlm, logon.Probe.Authentication);

        string missing = Write("modules:\n  logon:\n    user: alice\n    password_file: /nonexistent-rdphs/pw\n    targets: [127.0.0.1]\n");
        UsageException error = Refused(missing);
        Assert.Contains("password_file '/nonexistent-rdphs/pw': cannot read it (no such directory)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_config_of_the_monitoring_docs_reads_as_it_says()
    {
        string docs = File.ReadAllText(Path.Combine(ArchitectureTests.FindRepositoryRoot(), "docs", "monitoring.md")).ReplaceLineEndings("\n");
        const string Opening = "```yaml\n# /etc/rdphs/exporter.yaml\n";
        int start = docs.IndexOf(Opening, StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/monitoring.md has no exporter.yaml example");
        start += "```yaml\n".Length;
        string yaml = docs[start..docs.IndexOf("```", start, StringComparison.Ordinal)];

        ExporterConfig config = ExporterConfig.Load(Write(yaml), [], name => name == "RDPHS_MONITOR_PASSWORD" ? Password : null);
        Assert.Equal(["negotiate", "nla_logon", "tls12", "tls_only"], config.Modules.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("CONTOSO\\rdp-monitor", config.Modules["nla_logon"].User);
        Assert.True(config.AllowList.Allows(new ProbeTarget("10.0.0.200")));
        Assert.True(config.AllowList.Allows(new ProbeTarget("x.rdp.example.com")));
        Assert.False(config.AllowList.Allows(new ProbeTarget("127.0.0.1")));
        Assert.Equal(3, config.Modules["tls12"].Checks.Count);
    }

    [Fact]
    public void A_config_file_that_cannot_be_read_and_a_bad_allow_target_are_refused()
    {
        Assert.Contains("cannot read it (no such file)", Refused(Path.Combine(_directory, "absent.yaml")).Message, StringComparison.Ordinal);
        Assert.StartsWith("--allow-targets 'rdp!.example.com': ", Refused(null, "rdp!.example.com").Message, StringComparison.Ordinal);
    }
}
