using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.IntegrationTests;

/// <summary>The whole connection sequence, MCS to finalization, against real xrdp in both security modes.</summary>
public sealed class XrdpSessionTests(XrdpFixture xrdp) : IClassFixture<XrdpFixture>
{
    private static ProbeOptions Finalized(SecurityProtocols protocols) => new()
    {
        Negotiation = new NegotiationOptions { RequestedProtocols = protocols, Cookie = "rdphs" },
        ReadTimeout = TimeSpan.FromSeconds(10),
        Until = ConnectionPhase.Finalization,
    };

    private static void AssertFinalized(ProbeReport report)
    {
        Assert.True(report.Success, report.Verdict);
        Assert.Equal(ConnectionPhase.Finalization, report.Reached);
        string[] names = report.Steps.Select(s => s.Name).ToArray();
        foreach (string step in new[]
        {
            "mcs.connect-initial", "mcs.connect-response", "mcs.erect-domain", "mcs.attach-user", "mcs.attach-user-confirm",
            "security.client-info", "licensing.license", "capabilities.demand-active", "capabilities.confirm-active",
            "finalization.synchronize", "finalization.control-cooperate", "finalization.request-control", "finalization.font-list",
            "finalization.font-map", "disconnect",
        })
        {
            Assert.Contains(step, names);
        }

        SessionResult session = report.Session!;
        Assert.Equal((ushort)1003, session.IoChannelId);
        Assert.Equal(["rdpdr", "rdpsnd", "cliprdr", "drdynvc"], session.Channels.Select(c => c.Name));
        Assert.Equal(2 + session.Channels.Count, session.Joined.Count);
        Assert.Equal("STATUS_VALID_CLIENT", session.Licensing);
        Assert.Equal(["Synchronize", "Control (Cooperate)", "Control (GrantedControl)", "Font Map"], session.Finalization);
        Assert.Equal(0x000103EAu, session.ShareId);
    }

    [Fact]
    public async Task Default_xrdp_reaches_finalization_over_tls()
    {
        xrdp.Require();
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", xrdp.NegotiatePort),
            Finalized(SecurityProtocols.Ssl | SecurityProtocols.Hybrid), TestContext.Current.CancellationToken);

        AssertFinalized(report);
        Assert.Equal(SecurityProtocols.Ssl, report.Negotiation!.Selected);
        Assert.Null(report.Session!.EncryptionMethod);
        Assert.DoesNotContain(report.Steps, s => s.Name == "security.exchange");
    }

    [Theory]
    [InlineData("low", "ENCRYPTION_METHOD_40BIT", "ENCRYPTION_LEVEL_LOW", true)]
    [InlineData("medium", "ENCRYPTION_METHOD_40BIT", "ENCRYPTION_LEVEL_CLIENT_COMPATIBLE", true)]
    [InlineData("high", "ENCRYPTION_METHOD_128BIT", "ENCRYPTION_LEVEL_HIGH", false)]
    [InlineData("fips", "ENCRYPTION_METHOD_FIPS", "ENCRYPTION_LEVEL_FIPS", false)]
    public async Task Xrdp_with_standard_rdp_security_reaches_finalization_at_each_crypt_level(string level, string method, string encryptionLevel, bool weak)
    {
        xrdp.Require();
        int port = await xrdp.InstanceAsync("rdp", level);
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", port),
            Finalized(SecurityProtocols.Ssl | SecurityProtocols.Hybrid), TestContext.Current.CancellationToken);

        AssertFinalized(report);
        Assert.Equal(SecurityProtocols.Rdp, report.Negotiation!.Selected);
        Assert.Equal(method, report.Session!.EncryptionMethod);
        Assert.Equal(encryptionLevel, report.Session.EncryptionLevel);
        Assert.Equal(weak, report.Session.WeakEncryption);
        Assert.Contains(report.Steps, s => s.Name == "security.exchange" && s.Fields.Any(f => f.Value == "valid (Terminal Services key)"));
        Assert.Contains(method, report.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Xrdp_at_the_fips_level_with_a_client_that_does_not_offer_fips_is_fips_required()
    {
        xrdp.Require();
        int port = await xrdp.InstanceAsync("rdp", "fips");
        ProbeOptions options = Finalized(SecurityProtocols.Ssl);
        options = options with { Session = options.Session with { EncryptionMethods = 0x02 } };
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", port), options, TestContext.Current.CancellationToken);

        // The server's answer that ends the attempt is the MCS Connect Response: phase mcs, whatever it is about.
        Assert.False(report.Success);
        Assert.Equal(ConnectionPhase.Mcs, report.Diagnosis!.Phase);
        Assert.Equal("fips-required", report.Diagnosis.Cause.Name);
        Assert.Equal("mcs.connect-response", report.Diagnosis.Evidence.Step);
        Assert.Equal(0x506, report.Diagnosis.Mstsc!.DisconnectReason);
    }

    [Theory]
    [InlineData(ConnectionPhase.Mcs, "mcs.channel-join-confirm.1007")]
    [InlineData(ConnectionPhase.Licensing, "licensing.license")]
    [InlineData(ConnectionPhase.Capabilities, "capabilities.confirm-active")]
    public async Task Until_stops_after_the_phase_and_disconnects_cleanly(ConnectionPhase until, string lastStepBeforeDisconnect)
    {
        xrdp.Require();
        ProbeOptions options = Finalized(SecurityProtocols.Ssl) with { Until = until };
        ProbeReport report = await new RdpProber().ProbeAsync(new ProbeTarget("127.0.0.1", xrdp.NegotiatePort), options, TestContext.Current.CancellationToken);

        Assert.True(report.Success, report.Verdict);
        Assert.Equal(until, report.Reached);
        Assert.Equal("disconnect", report.Steps[^1].Name);
        Assert.Equal("0300000902f0802180", Convert.ToHexStringLower(report.Steps[^1].Sent));
        Assert.Equal(lastStepBeforeDisconnect, report.Steps[^2].Name);
    }
}
