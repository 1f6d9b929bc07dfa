using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake;

/// <summary>How a probe runs: what the client offers, and how long it waits.</summary>
public sealed record ProbeOptions
{
    public const int DefaultTimeoutSeconds = 10;

    /// <summary>What the X.224 Connection Request offers.</summary>
    public ClientConnectorOptions Connector { get; init; } = new() { Cookie = "rdphs" };

    /// <summary>The deadline for each frame the server owes us (the whole frame, not each byte).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds);

    /// <summary>The deadline for name resolution plus the TCP handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds);
}
