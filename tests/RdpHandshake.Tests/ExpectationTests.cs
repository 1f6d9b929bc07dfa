using System.Xml.Linq;
using RdpHandshake.Checks;
using RdpHandshake.Cli;
using RdpHandshake.Crypto;
using RdpHandshake.Protocol.X224;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests;

public sealed class ExpectationTests
{
    private static Expectation Parse(string text)
    {
        Assert.True(Expectation.TryParse(text, out Expectation? expectation, out string? error), error);
        return expectation!;
    }

    [Theory]
    [InlineData("protocol=hybrid_ex", true)]
    [InlineData("protocol!=ssl", true)]
    [InlineData("tls>=1.2", true)]
    [InlineData("tls>1.3", false)]
    [InlineData("tls=1.3", true)]
    [InlineData("cipher!~CBC", true)]
    [InlineData("cipher~aes_128", true)]
    [InlineData("cert.key-bits>=2048", true)]
    [InlineData("cert.key-bits>2048", false)]
    [InlineData("cert.days-left>=30", true)]
    [InlineData("cert.self-signed=true", true)]
    [InlineData("reached=tls", true)]
    [InlineData("reached>=x224", true)]
    [InlineData("reached>=mcs", false)]
    [InlineData("success=true", true)]
    [InlineData("cause=none", true)]
    [InlineData("cert.findings~self-signed", true)]
    public async Task Checks_read_the_report_and_compare_by_kind(string text, bool passes)
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions(), cancellationToken: TestContext.Current.CancellationToken);
        ExpectationResult result = Parse(text).Evaluate(report);
        Assert.True(passes == result.Passed, result.Message);
    }

    [Theory]
    [InlineData(6, true, "credssp.version>=6", true)]
    [InlineData(3, false, "credssp.version>=5", false)]
    [InlineData(3, false, "credssp.version=3", true)]
    [InlineData(6, true, "credssp.nonce-binding=enforced", true)]
    [InlineData(6, false, "credssp.nonce-binding=enforced", false)]
    [InlineData(6, false, "credssp.nonce-binding=not-enforced", true)]
    [InlineData(6, false, "credssp.ntlm=spnego", true)]
    public async Task CredSsp_checks_read_the_server_version_and_the_nonce_binding(int serverVersion, bool requireNonceBinding, string text, bool passes)
    {
        var server = new TestServerOptions { Ntlm = new NtlmIdentity { CredSspVersion = serverVersion }, RequireNonceBinding = requireNonceBinding };
        var options = new ProbeOptions { Credentials = Credentials.Parse("alice", new Secret("Test-Password-1")), CheckNonceBinding = true, Until = Protocol.Sequence.ConnectionPhase.CredSsp };
        (ProbeReport report, _) = await EngineHarness.OverLoopbackAsync(server, options, TestContext.Current.CancellationToken);
        Assert.True(report.Success, report.Verdict);
        ExpectationResult result = Parse(text).Evaluate(report);
        Assert.True(passes == result.Passed, result.Message);
    }

    [Fact]
    public async Task A_credssp_check_without_credssp_has_no_value_and_fails()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { Accepted = SecurityProtocols.Ssl }, cancellationToken: TestContext.Current.CancellationToken);
        ExpectationResult result = Parse("credssp.version>=6").Evaluate(report);
        Assert.False(result.Passed);
        Assert.Contains("has no value", result.Message, StringComparison.Ordinal);
        Assert.False(Parse("credssp.nonce-binding=unknown").Evaluate(report).Passed);
    }

    [Fact]
    public async Task A_check_on_something_the_run_did_not_measure_fails_and_says_so()
    {
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(
            new TestServerOptions(), EngineHarness.FastOptions() with { Until = Protocol.Sequence.ConnectionPhase.X224 }, TestContext.Current.CancellationToken);
        ExpectationResult result = Parse("tls>=1.2").Evaluate(report);
        Assert.False(result.Passed);
        Assert.Null(result.Actual);
        Assert.Contains("no value", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tls", "expected KEY OP VALUE")]
    [InlineData("bogus=1", "unknown key 'bogus'")]
    [InlineData("cipher~(", "not a valid regular expression")]
    [InlineData("tls>>1.2", "'>1.2' is not a TLS version")]
    [InlineData("tls>=", "no value after '>='")]
    [InlineData("elapsed-ms<fast", "'fast' is not a number")]
    [InlineData("encryption-level>=medium", "'medium' is not an encryption level")]
    [InlineData("cert.subject>=CN=a", "'>=' orders numbers")]
    [InlineData("success=yes", "'yes' is not true or false")]
    [InlineData("cause=closed", "'closed' is not a cause")]
    [InlineData("group=x25520", "'x25520' is not a named group")]
    public void Malformed_checks_are_rejected_with_a_reason(string text, string reason)
    {
        Assert.False(Expectation.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Equal(error, Assert.Throws<FormatException>(() => Expectation.Parse(text)).Message);
    }

    [Theory]
    [InlineData("cert.subject~CN=host", "cert.subject", "~", "CN=host")]
    [InlineData("tls >= 1.2", "tls", ">=", "1.2")]
    [InlineData("cipher!~CBC", "cipher", "!~", "CBC")]
    [InlineData("cause=negotiation-failure:SSL_REQUIRED_BY_SERVER", "cause", "=", "negotiation-failure:SSL_REQUIRED_BY_SERVER")]
    [InlineData("failure-code!=none", "failure-code", "!=", "none")]
    public void A_check_splits_at_its_first_operator(string text, string key, string op, string value)
    {
        Expectation check = Expectation.Parse(text);
        Assert.Equal((key, op, value), (check.Key, check.Operator, check.Value));
    }

    [Fact]
    public async Task JUnit_has_a_test_case_per_step_and_per_check_with_failures_marked()
    {
        Fault.TryParse("tls.server-hello:close", out Fault? fault, out _);
        (ProbeReport report, _) = await EngineHarness.InMemoryAsync(new TestServerOptions { Faults = [fault!] }, cancellationToken: TestContext.Current.CancellationToken);
        ExpectationResult[] results = [Parse("protocol=hybrid_ex").Evaluate(report), Parse("tls>=1.2").Evaluate(report)];
        using var stream = new MemoryStream();
        JUnitWriter.Write(report, results, stream);

        XElement suite = XDocument.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray())).Root!.Element("testsuite")!;
        XElement[] cases = suite.Elements("testcase").ToArray();
        Assert.Equal(report.Steps.Count + 2, cases.Length);
        Assert.Equal((report.Steps.Count + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), suite.Attribute("tests")!.Value);
        Assert.Equal("2", suite.Attribute("failures")!.Value); // the tls.server-hello step and the tls check
        XElement failedStep = cases.Single(c => c.Attribute("name")!.Value.EndsWith("tls.server-hello", StringComparison.Ordinal));
        Assert.Equal("closed-after-client-hello", failedStep.Element("failure")!.Attribute("type")!.Value);
        Assert.Null(cases.Single(c => c.Attribute("name")!.Value == "protocol=hybrid_ex").Element("failure"));
        Assert.NotNull(cases.Single(c => c.Attribute("name")!.Value == "tls>=1.2").Element("failure"));
    }
}
