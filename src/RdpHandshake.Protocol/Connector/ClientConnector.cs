using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// One link of the connection sequence: a name, the phase it belongs to, and how it starts its sequence once the
/// links before it completed (null when it does not apply to this connection, e.g. TLS under Standard RDP Security).
/// </summary>
public sealed record SequenceLink(string Name, ConnectionPhase Phase, Func<ConnectionState, IConnectionSequence?> Start);

/// <summary>
/// The client side of the whole RDP connection sequence (MS-RDPBCGR 1.3.1.1) as one sans-IO state machine, composed
/// of one sequence per phase (after IronRDP's <c>ClientConnector</c>): X.224 negotiation, the TLS upgrade, CredSSP,
/// channel connection, security commencement, secure settings, licensing, capabilities exchange and finalization,
/// then a clean disconnect once <see cref="ClientConnectorOptions.Until"/> is reached. The driver asks for the
/// <see cref="Next"/> step, feeds it one frame or nothing, and sends what it writes; the connector reads no clock
/// and touches no socket, so the same instance runs over TCP, in memory, over a capture or in a fuzzer.
/// </summary>
public sealed class ClientConnector
{
    /// <summary>The standard order of the connection sequence. A new phase is one sequence class and one link here.</summary>
    public static IReadOnlyList<SequenceLink> StandardLinks { get; } =
    [
        new("proxy", ConnectionPhase.Proxy, ProxyTunnel),
        new("x224", ConnectionPhase.X224, state => new X224Negotiation(state)),
        new("tls", ConnectionPhase.Tls, state => state.Negotiation!.RequiresTls ? new TlsUpgrade(state) : null),
        new("credssp", ConnectionPhase.CredSsp, state => state.Negotiation!.RequiresCredSsp ? new CredSspSequence(state) : null),
        new("channel-connection", ConnectionPhase.Mcs, state => state.Selected is SecurityProtocols.Rdp or SecurityProtocols.Ssl or SecurityProtocols.Hybrid or SecurityProtocols.HybridEx
            ? new ChannelConnection(state) : null),
        new("security-commencement", ConnectionPhase.Security, state => ChannelsJoined(state) && SecurityCommencement.Applies(state) ? new SecurityCommencement(state) : null),
        new("secure-settings", ConnectionPhase.Security, state => ChannelsJoined(state) ? new SecureSettingsExchange(state) : null),
        new("licensing", ConnectionPhase.Licensing, state => ChannelsJoined(state) ? new LicensingExchange(state) : null),
        new("capabilities", ConnectionPhase.Capabilities, state => ChannelsJoined(state) ? new CapabilitiesExchange(state) : null),
        new("finalization", ConnectionPhase.Finalization, state => ChannelsJoined(state) ? new ConnectionFinalization(state) : null),
    ];

    private const string CapabilitiesLink = "capabilities";
    private const string ChannelConnectionLink = "channel-connection";

    private readonly IReadOnlyList<SequenceLink> _links;
    private int _nextLink;
    private IConnectionSequence? _current;
    private bool _disconnecting;
    private bool _over;

    /// <param name="options">What the client offers and how far it goes.</param>
    /// <param name="services">What the core cannot do itself: randomness, TLS, authentication, cryptography.</param>
    /// <param name="links">The sequence, in order; <see cref="StandardLinks"/> by default.</param>
    public ClientConnector(ClientConnectorOptions options, ConnectorServices services, IReadOnlyList<SequenceLink>? links = null)
    {
        State = new ConnectionState(options, services);
        _links = links ?? StandardLinks;
        Advance();
    }

    /// <summary>
    /// A connector that starts where Connection Initiation (and, for TLS-based protocols, the security upgrade)
    /// already happened with <paramref name="negotiation"/>: from the MCS Connect Initial on, over frames the caller
    /// supplies in plaintext. Fuzzers and replays of a decrypted capture start here.
    /// </summary>
    public static ClientConnector AfterNegotiation(ClientConnectorOptions options, ConnectorServices services, NegotiationResult negotiation)
    {
        var connector = new ClientConnector(options, services, StandardLinks, negotiation);
        return connector;
    }

    private ClientConnector(ClientConnectorOptions options, ConnectorServices services, IReadOnlyList<SequenceLink> links, NegotiationResult negotiation)
    {
        State = new ConnectionState(options, services) { Negotiation = negotiation };
        State.Reach(ConnectionPhase.X224);
        _links = links;
        _nextLink = IndexOf(ChannelConnectionLink);
        Advance();
    }

    /// <summary>What the connection established so far.</summary>
    public ConnectionState State { get; }

    /// <summary>The next step; null once the connection is over (the goal reached, stopped, or failed).</summary>
    public StepPlan? Next => _current?.Next;

    /// <summary>True once no further step is possible.</summary>
    public bool IsTerminal => _over;

    /// <summary>Why the connection cannot go on, once it failed.</summary>
    public ProtocolFailure? Failure { get; private set; }

    /// <summary>The sequence taking the next step, for tests and the timeline.</summary>
    public IConnectionSequence? Current => _current;

    /// <summary>Runs the next step: empty input for a step without <see cref="StepPlan.Read"/>, else exactly one frame as it sizes it.</summary>
    public StepResult Step(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        IConnectionSequence sequence = _current ?? throw new InvalidOperationException("the connection is over");
        StepResult result = sequence.Step(input, output);
        Advance();
        return result;
    }

    /// <summary>The KDC of a step on <see cref="FrameLayer.Kdc"/> was not found, not reached or did not answer: the sequence in flight decides.</summary>
    public StepResult EndpointFailed(ProtocolFailure failure)
    {
        IConnectionSequence sequence = _current ?? throw new InvalidOperationException("the connection is over");
        StepResult result = sequence.EndpointFailed(failure);
        Advance();
        return result;
    }

    /// <summary>Ends the connection because the awaited frame could not even be sized.</summary>
    public StepResult RejectFrame(DecodeError error, ReadOnlySpan<byte> received)
    {
        IConnectionSequence sequence = _current ?? throw new InvalidOperationException("the connection is over");
        StepResult result = sequence.RejectFrame(error, received);
        Advance();
        return result;
    }

    /// <summary>Moves past every sequence that is over, to the next one that has a step to take, or to the end.</summary>
    private void Advance()
    {
        while (!_over && _current?.Status != SequenceStatus.Running)
        {
            switch (_current?.Status)
            {
                case SequenceStatus.Failed:
                    Failure = _current.Failure;
                    End();
                    return;
                case SequenceStatus.Stopped:
                    End();
                    return;
            }

            if (_disconnecting)
            {
                End();
                return;
            }

            if (State.ReactivationRequested)
            {
                // MS-RDPBCGR 1.3.1.3: after a Deactivate All the capabilities exchange and finalization run again.
                State.ReactivationRequested = false;
                _nextLink = IndexOf(CapabilitiesLink);
            }

            if (GoalReached())
            {
                if (State.McsStarted)
                {
                    _disconnecting = true;
                    _current = new Disconnection(State);
                    continue;
                }

                End();
                return;
            }

            _current = null;
            while (_current is null && _nextLink < _links.Count && _links[_nextLink].Phase <= State.Options.Until)
            {
                _current = _links[_nextLink++].Start(State);
            }

            if (_current is null)
            {
                // Nothing more applies up to the goal: what could be done is done.
                _nextLink = _links.Count;
                if (State.McsStarted && State.Reached >= ConnectionPhase.Mcs)
                {
                    _disconnecting = true;
                    _current = new Disconnection(State);
                    continue;
                }

                End();
                return;
            }
        }
    }

    private bool GoalReached() => State.Reached >= State.Options.Until;

    private void End()
    {
        _over = true;
        _current = null;
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < _links.Count; i++)
        {
            if (_links[i].Name == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"no link named {name}");
    }

    private static bool ChannelsJoined(ConnectionState state) => state.Reached >= ConnectionPhase.Mcs;

    /// <summary>The proxy's tunnel, when the connection goes through one: SOCKS5 or HTTP CONNECT.</summary>
    private static IConnectionSequence? ProxyTunnel(ConnectionState state) => state.Options.Proxy is not { } request ? null : request.Kind switch
    {
        Proxy.ProxyKind.Socks5 => new Socks5Tunnel(state, request),
        Proxy.ProxyKind.HttpConnect => new HttpConnectTunnel(state, request),
    };
}
