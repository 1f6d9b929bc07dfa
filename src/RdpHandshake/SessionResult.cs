using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake;

/// <summary>What the phases after the security protocol established: MCS channels, Standard RDP Security, licensing, activation.</summary>
public sealed record SessionResult
{
    public string? ServerVersion { get; init; }

    public ushort? UserChannelId { get; init; }

    public ushort IoChannelId { get; init; }

    public ushort? MessageChannelId { get; init; }

    /// <summary>The static channels with the IDs the server gave them.</summary>
    public IReadOnlyList<(string Name, ushort Id)> Channels { get; init; } = [];

    /// <summary>The channels joined, in order.</summary>
    public IReadOnlyList<ushort> Joined { get; init; } = [];

    /// <summary>Standard RDP Security's encryption method, by spec name; null under TLS or CredSSP.</summary>
    public string? EncryptionMethod { get; init; }

    /// <summary>Standard RDP Security's encryption level, by spec name; null under TLS or CredSSP.</summary>
    public string? EncryptionLevel { get; init; }

    /// <summary>True when the method or level is weak (40/56-bit RC4, level none or low).</summary>
    public bool WeakEncryption { get; init; }

    public string? Licensing { get; init; }

    public uint? ShareId { get; init; }

    public int? ServerCapabilitySets { get; init; }

    public IReadOnlyList<string> Finalization { get; init; } = [];

    /// <summary>The last Set Error Info code the server sent, with its name.</summary>
    public CodeEntry? ErrorInfo { get; init; }

    /// <summary>Where the server redirected the client (name/value pairs, no password), when it did.</summary>
    public IReadOnlyList<(string Name, string Value)>? Redirection { get; init; }

    /// <summary>The host a redirection points to (its net address, else FQDN, else NetBIOS name).</summary>
    public string? RedirectionTarget { get; init; }

    /// <summary>The redirection's load-balance info, sent as the routing token when following it.</summary>
    public string? RedirectionRoutingToken { get; init; }

    internal static SessionResult From(ConnectionState connector)
    {
        McsResultInfo mcs = connector.Mcs;
        bool standard = connector.StandardSecurity;
        return new SessionResult
        {
            ServerVersion = mcs.Server?.Core is { } core ? Protocol.Mcs.UserDataNames.Version(core.Version) : null,
            UserChannelId = mcs.UserChannelId,
            IoChannelId = mcs.IoChannelId,
            MessageChannelId = mcs.MessageChannelId,
            Channels = mcs.StaticChannels,
            Joined = mcs.Joined,
            EncryptionMethod = standard ? EncryptionNames.Method(connector.Encryption.Method) : null,
            EncryptionLevel = standard ? EncryptionNames.Level(connector.Encryption.Level) : null,
            WeakEncryption = standard && (EncryptionNames.IsWeak(connector.Encryption.Method) || EncryptionNames.IsWeak(connector.Encryption.Level)),
            Licensing = connector.LicensingOutcome,
            ShareId = connector.DemandActive?.ShareId,
            ServerCapabilitySets = connector.DemandActive?.CapabilitySets.Count,
            Finalization = [.. connector.FinalizationReceived],
            ErrorInfo = connector.LastErrorInfo is { } code ? MstscCodes.ExtendedReason((int)code) ?? new CodeEntry((int)code, $"0x{code:x8}", "an ERRINFO code rdphs does not know") : null,
            Redirection = connector.Redirection?.Describe().ToList(),
            RedirectionTarget = connector.Redirection is { } r
                ? (r.TargetNetAddressText ?? r.TargetFqdnText ?? r.TargetNetBiosNameText)?.TrimEnd('\0')
                : null,
            RedirectionRoutingToken = connector.Redirection?.LoadBalanceInfo is { } lb
                ? System.Text.Encoding.Latin1.GetString(lb.Span).TrimEnd('\r', '\n', '\0')
                : null,
        };
    }
}
