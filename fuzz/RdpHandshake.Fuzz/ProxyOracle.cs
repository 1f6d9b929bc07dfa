using System.Buffers;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Http;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Fuzz;

/// <summary>
/// The proxy fuzz oracle: what a SOCKS5 or HTTP proxy answers. The SOCKS5 method selection, username/password status
/// and reply, and the HTTP response head, are decode/encode fixed points that never throw; the reply and head framing
/// never announce a frame over its bound; and each tunnel of the client connector, fed the input as the proxy's
/// answer at each of its reading steps, ends the step (terminal, or on to X.224 once the tunnel is open) and never
/// throws.
/// </summary>
public static class ProxyOracle
{
    private static readonly byte[] UserPasswordSelection = [Socks5MethodRequest.Version5, Socks5Methods.UsernamePassword];
    private static readonly byte[] NoAuthenticationSelection = [Socks5MethodRequest.Version5, Socks5Methods.NoAuthentication];

    public static void Run(byte[] input)
    {
        Oracles.Stable<Socks5MethodSelection>(input);
        Oracles.Stable<Socks5UsernamePasswordStatus>(input);
        Oracles.Stable<Socks5Reply>(input);
        Oracles.Stable<HttpResponseHead>(input);

        FrameSize reply = Socks5Reply.FindFrameSize(input);
        if (reply.Status == FrameSizeStatus.Complete && reply.Length > Socks5Reply.MaxSize)
        {
            throw new InvalidOperationException($"a SOCKS5 reply of {reply.Length} bytes passed the size bound");
        }

        FrameSize head = HttpResponseHead.FindFrameSize(input.AsSpan(0, Math.Min(input.Length, HttpHead.MaxLength)));
        if (head.Status == FrameSizeStatus.Complete && head.Length > HttpHead.MaxLength)
        {
            throw new InvalidOperationException($"an HTTP head of {head.Length} bytes passed the size bound");
        }

        // SOCKS5 without a user: the input as the method selection, then (after a selection that lets it on) as the reply.
        Drive(ProxyKind.Socks5, null, input, []);
        Drive(ProxyKind.Socks5, null, NoAuthenticationSelection, input);
        // SOCKS5 with a user: the input as the username/password status.
        Drive(ProxyKind.Socks5, "fuzz", UserPasswordSelection, input);
        // HTTP CONNECT: the input as the response head.
        Drive(ProxyKind.HttpConnect, "fuzz", input, []);
    }

    /// <summary>Feeds <paramref name="first"/> to the first reading step and <paramref name="second"/> to the next, as the driver would.</summary>
    private static void Drive(ProxyKind kind, string? user, byte[] first, byte[] second)
    {
        var connector = new ClientConnector(
            new ClientConnectorOptions { Until = Protocol.Sequence.ConnectionPhase.X224, Proxy = new ProxyTunnelRequest(kind, "rdp.example.com", 3389, user) },
            new ConnectorServices { Random = FixedRandom.Instance, ProxyPassword = user is null ? null : FuzzPassword.Instance });
        foreach (byte[] answer in new[] { first, second })
        {
            while (connector.Next is { Read: null, Phase: Protocol.Sequence.ConnectionPhase.Proxy })
            {
                connector.Step([], new ArrayBufferWriter<byte>());
            }

            if (connector.Next is not { Read: { } hint, Phase: Protocol.Sequence.ConnectionPhase.Proxy } || answer.Length == 0)
            {
                return;
            }

            ReadOnlySpan<byte> header = answer.AsSpan(0, Math.Min(answer.Length, hint.HeaderLength));
            FrameSize size = hint.FindSize(header);
            if (size.Status == FrameSizeStatus.Complete && size.Length > hint.MaxFrameLength)
            {
                throw new InvalidOperationException($"{hint.StepName}: a frame of {size.Length} bytes passed the bound {hint.MaxFrameLength}");
            }

            string step = connector.Next.Name;
            StepResult result = size.Status switch
            {
                FrameSizeStatus.Invalid => connector.RejectFrame(size.Error!.Value, header),
                FrameSizeStatus.Complete when size.Length <= answer.Length => connector.Step(answer.AsSpan(0, size.Length), new ArrayBufferWriter<byte>()),
                _ => new StepResult(step, Protocol.Sequence.ConnectionPhase.Proxy, hint.Expecting, [], "needs more bytes"),
            };

            if (result.Failure is { } failure && (string.IsNullOrEmpty(failure.Reason) || !connector.IsTerminal))
            {
                throw new InvalidOperationException($"{step}: a failure without a reason, or a failed connector that goes on: {failure.Reason}");
            }

            if (connector.State.Proxy?.Tunnelled == true && connector.Next?.Phase == Protocol.Sequence.ConnectionPhase.Proxy)
            {
                throw new InvalidOperationException($"{step}: the tunnel is open and the connector still waits for the proxy");
            }
        }
    }

    private sealed class FixedRandom : IRandomSource
    {
        public static FixedRandom Instance { get; } = new();

        public void Fill(Span<byte> buffer) => buffer.Fill(0x42);
    }

    private sealed class FuzzPassword : IProxyPassword
    {
        public static FuzzPassword Instance { get; } = new();

        public int Utf8Length => 4;

        public void CopyUtf8(Span<byte> destination) => "fuzz"u8.CopyTo(destination);
    }
}
