using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// What the SOCKS5 and HTTP CONNECT tunnels share: an answer that does not decode is said of the proxy, as another
/// protocol's answer when it is recognisably one (a web server, a TLS service, SSH, the other kind of proxy), else as a
/// malformed answer to the step awaiting it.
/// </summary>
public abstract class ProxyTunnelSequence<TState>(TState first, ProxyKind kind, string proxyName) : Sequence<TState>(first)
    where TState : struct, Enum
{
    /// <summary>The failure of the awaiting step for bytes that are not the proxy's answer.</summary>
    protected StepResult UnexpectedAnswer(DecodeError error, ReadOnlySpan<byte> received)
    {
        if (ProxyAnswers.Recognise(received, kind) is { } other)
        {
            return Fail(Next!.Name, ConnectionPhase.Proxy, $"{other.Protocol} answer", [new("answer", other.Answer), new("protocol", other.Protocol), new("error", error.ToString())],
                new ProtocolFailure(CauseId.ProxyProtocolMismatch, $"the proxy answered {other.Answer}: {other.Service}, not {proxyName}") { Detail = other.Protocol, DecodeError = error });
        }

        return MalformedAnswer(error);
    }

    /// <summary>Bytes that cannot be the awaited answer: malformed, said of the proxy (not of the RDP server).</summary>
    protected StepResult MalformedAnswer(DecodeError error)
    {
        StepPlan plan = Next!;
        string expecting = plan.Read!.Expecting;
        return Fail(plan.Name, ConnectionPhase.Proxy, expecting, [new("error", error.ToString())],
            ProtocolFailure.Malformed($"the proxy's answer is not a valid {expecting}: {error}", error));
    }
}
