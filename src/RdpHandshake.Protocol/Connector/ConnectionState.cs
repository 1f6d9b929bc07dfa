using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>The result of Connection Initiation (MS-RDPBCGR 1.3.1.1, first phase).</summary>
/// <param name="Requested">What the client asked for.</param>
/// <param name="RequestSent">Whether an RDP_NEG_REQ was sent at all.</param>
/// <param name="Selected">What the server selected; null after a failure.</param>
/// <param name="ResponseFlags">RDP_NEG_RSP flags.</param>
/// <param name="FailureCode">RDP_NEG_FAILURE code, when the server refused.</param>
/// <param name="ServerSentNegotiationData">False for a server that answers without RDP_NEG_RSP/RDP_NEG_FAILURE.</param>
public sealed record NegotiationResult(
    SecurityProtocols Requested,
    bool RequestSent,
    SecurityProtocols? Selected,
    NegotiationResponseFlags ResponseFlags,
    NegotiationFailureCode? FailureCode,
    bool ServerSentNegotiationData)
{
    /// <summary>True when the selected protocol runs inside TLS (PROTOCOL_SSL, HYBRID, HYBRID_EX, RDSTLS).</summary>
    public bool RequiresTls => Selected is SecurityProtocols.Ssl or SecurityProtocols.Hybrid or SecurityProtocols.HybridEx or SecurityProtocols.RdsTls;

    /// <summary>True when the selected protocol is CredSSP (Network Level Authentication).</summary>
    public bool RequiresCredSsp => Selected is SecurityProtocols.Hybrid or SecurityProtocols.HybridEx;
}

/// <summary>What the CredSSP exchange learned.</summary>
/// <param name="ServerVersion">The version of the server's TSRequest.</param>
/// <param name="SupportedMech">The mechanism the server's SPNEGO answer names, if any.</param>
/// <param name="Spnego">Whether the tokens travelled wrapped in SPNEGO.</param>
public sealed record CredSspFacts(int ServerVersion, string? SupportedMech, bool Spnego)
{
    /// <summary>The CredSSP version both sides used for the authentication.</summary>
    public int? AuthenticatedVersion { get; init; }

    /// <summary>True once the server proved, with pubKeyAuth, that it holds the TLS key, and accepted the credentials.</summary>
    public bool Authenticated { get; init; }
}

/// <summary>What the Basic Settings Exchange and Channel Connection established.</summary>
public sealed record McsResultInfo
{
    public ServerConferenceData? Server { get; init; }

    public ushort? UserChannelId { get; init; }

    public ushort IoChannelId { get; init; } = 1003;

    public ushort? MessageChannelId { get; init; }

    /// <summary>Static channels by name with the IDs the server assigned.</summary>
    public IReadOnlyList<(string Name, ushort Id)> StaticChannels { get; init; } = [];

    /// <summary>The channels joined, in order.</summary>
    public IReadOnlyList<ushort> Joined { get; init; } = [];

    /// <summary>How a channel is shown in the timeline: <c>I/O channel 1003</c>, <c>rdpdr channel 1004</c>.</summary>
    public string ChannelName(ushort id)
    {
        if (id == UserChannelId)
        {
            return $"user channel {id}";
        }

        if (id == IoChannelId)
        {
            return $"I/O channel {id}";
        }

        if (id == MessageChannelId)
        {
            return $"message channel {id}";
        }

        foreach ((string name, ushort channel) in StaticChannels)
        {
            if (channel == id)
            {
                return $"{name} channel {id}";
            }
        }

        return $"channel {id}";
    }
}

/// <summary>
/// Everything the connection established so far, shared by the sequences that make up the connector and read by the
/// engine for its report. Each sequence writes what its phase establishes and reads what earlier phases did.
/// </summary>
public sealed class ConnectionState
{
    public ConnectionState(ClientConnectorOptions options, ConnectorServices services)
    {
        Options = options;
        Services = services;
        Channel = new IoChannel(this);
    }

    public ClientConnectorOptions Options { get; }

    public ConnectorServices Services { get; }

    /// <summary>The last phase completed, or null before X.224 completes.</summary>
    public ConnectionPhase? Reached { get; private set; }

    public NegotiationResult? Negotiation { get; internal set; }

    /// <summary>What the proxy said, once a proxy tunnel was asked for.</summary>
    public Proxy.ProxyFacts? Proxy { get; internal set; }

    /// <summary>The security protocol the server selected (Standard RDP Security when it sent no negotiation data).</summary>
    public SecurityProtocols Selected => Negotiation?.Selected ?? SecurityProtocols.Rdp;

    /// <summary>The TLS client, once the TLS upgrade started.</summary>
    public ITlsSession? Tls { get; internal set; }

    /// <summary>The layer the frames after TLS travel on.</summary>
    public FrameLayer Layer => Tls is null ? FrameLayer.Transport : FrameLayer.Tls;

    /// <summary>What CredSSP learned, once the server answered its first token.</summary>
    public CredSspFacts? CredSsp { get; internal set; }

    /// <summary>The errorCode with which the server refused the first CredSSP token, if it did.</summary>
    public uint? CredSspRefusedWith { get; internal set; }

    /// <summary>True once the MCS Connect Initial has gone out: ending cleanly then takes a Disconnect Provider Ultimatum.</summary>
    public bool McsStarted { get; internal set; }

    public McsResultInfo Mcs { get; internal set; } = new();

    /// <summary>True when the server selected Standard RDP Security (PROTOCOL_RDP) and MCS is up.</summary>
    public bool StandardSecurity { get; internal set; }

    /// <summary>The encryption method and level of Standard RDP Security (both 0 under TLS or CredSSP).</summary>
    public (EncryptionMethod Method, EncryptionLevel Level) Encryption { get; internal set; }

    /// <summary>How the I/O channel is written and read: MCS Send Data with the security header the mode needs.</summary>
    public IoChannel Channel { get; }

    /// <summary>The last non-zero Set Error Info code the server sent (MS-RDPBCGR 2.2.5.1.1), if any.</summary>
    public uint? LastErrorInfo { get; internal set; }

    /// <summary>How licensing ended, e.g. <c>STATUS_VALID_CLIENT</c>.</summary>
    public string? LicensingOutcome { get; internal set; }

    /// <summary>The server's Demand Active, once received.</summary>
    public DemandActivePdu? DemandActive { get; internal set; }

    /// <summary>The server's finalization PDUs in the order they arrived.</summary>
    public List<string> FinalizationReceived { get; } = [];

    /// <summary>Where the server redirected the client, when it did.</summary>
    public ServerRedirectionPacket? Redirection { get; internal set; }

    /// <summary>Set by a Deactivate All during finalization: the capabilities exchange runs again (MS-RDPBCGR 1.3.1.3).</summary>
    internal bool ReactivationRequested { get; set; }

    /// <summary>Records that <paramref name="phase"/> completed.</summary>
    internal void Reach(ConnectionPhase phase)
    {
        if (Reached is null || phase > Reached)
        {
            Reached = phase;
        }
    }
}
