namespace RdpHandshake.Protocol.Sequence;

/// <summary>Where a step's frames travel.</summary>
public enum FrameLayer
{
    /// <summary>The TCP stream itself: X.224, the TLS handshake's records, everything under Standard RDP Security.</summary>
    Transport,

    /// <summary>TLS application data, once TLS is up: CredSSP and everything after it. The driver decrypts and encrypts.</summary>
    Tls,

    /// <summary>
    /// A KDC of the realm the plan names (<see cref="StepPlan.Kdc"/>), which the driver finds and reaches: the Kerberos
    /// exchanges a package needs before its first token. Frames are the bare Kerberos messages.
    /// </summary>
    Kdc,
}

/// <summary>Which KDC a step on <see cref="FrameLayer.Kdc"/> talks to: its realm and the transport.</summary>
public sealed record KdcTarget(string Realm, CredSsp.KdcTransport Transport);

/// <summary>
/// What the next step is before it runs: its name in the timeline, its phase, the frame it reads (null when it
/// only sends) and the layer its frames travel on. The driver opens the step, reads the frame as
/// <see cref="Read"/> sizes it within the deadline, and feeds it to the sequence.
/// </summary>
/// <param name="Name">The timeline name, e.g. <c>x224.confirm</c>.</param>
/// <param name="Phase">The phase the step belongs to.</param>
/// <param name="Read">How to frame what the step waits for; null for a step that only sends (or only reports).</param>
/// <param name="Layer">Where the step's frames travel.</param>
public sealed record StepPlan(string Name, ConnectionPhase Phase, FrameHint? Read, FrameLayer Layer)
{
    /// <summary>The cause when the server closes the connection (FIN) before any byte of the answer: by default <see cref="CauseId.ClosedByPeer"/>.</summary>
    public CauseId WhenClosed { get; init; } = CauseId.ClosedByPeer;

    /// <summary>The cause when the server resets the connection before any byte of the answer: by default <see cref="CauseId.Reset"/>.</summary>
    public CauseId WhenReset { get; init; } = CauseId.Reset;

    /// <summary>
    /// The cause when the deadline passes with no byte of this frame received: by default <see cref="CauseId.Timeout"/>;
    /// <see cref="CauseId.TimeoutMidAnswer"/> when earlier frames of the same answer arrived (a TLS flight that stopped
    /// between two records).
    /// </summary>
    public CauseId WhenTimedOut { get; init; } = CauseId.Timeout;

    /// <summary>For a step on <see cref="FrameLayer.Kdc"/>: the KDC it talks to.</summary>
    public KdcTarget? Kdc { get; init; }
}
