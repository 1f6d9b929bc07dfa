using System.Buffers;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Transport;

/// <summary>
/// Opens a proxy's tunnel on a connection to the proxy for callers outside a probe (the fuzzer): the connector's proxy
/// sequence alone, driven with the same frame hints, deadline and size bounds, without a timeline.
/// </summary>
public static class ProxyHandshake
{
    /// <summary>Runs the tunnel to <paramref name="target"/>; null once it is open, else why not, in one line.</summary>
    public static async Task<string?> OpenAsync(IRdpTransport transport, ProxySettings proxy, ProbeTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connector = new ClientConnector(
            new ClientConnectorOptions { Until = ConnectionPhase.Proxy, Proxy = RdpProber.ProxyTunnelFor(proxy, target) },
            new ConnectorServices { Random = NoRandom.Instance, ProxyPassword = proxy.Password is { } password ? new ProxySettings.PasswordSource(password) : null });
        var output = new ArrayBufferWriter<byte>();
        while (connector.Next is { } plan)
        {
            output.ResetWrittenCount();
            if (plan.Read is { } hint)
            {
                FrameReadResult read = await FrameReader.ReadFrameAsync(transport, hint, timeout, cancellationToken).ConfigureAwait(false);
                switch (read.Status)
                {
                    case FrameReadStatus.Frame:
                        connector.Step(read.Bytes, output);
                        break;
                    case FrameReadStatus.Invalid:
                        connector.RejectFrame(read.Error!.Value, read.Bytes);
                        break;
                    default:
                        return $"the proxy did not answer at {plan.Name}: {read.Status.ToString().ToLowerInvariant()}{(read.End is { } end ? $" ({end.Describe()})" : string.Empty)}";
                }
            }
            else
            {
                connector.Step([], output);
            }

            if (output.WrittenCount > 0)
            {
                await transport.Output.WriteAsync(output.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
        }

        return connector.Failure is { } failure ? $"{failure.Cause.Name()}{(failure.Detail is null ? string.Empty : $":{failure.Detail}")}: {failure.Reason}" : null;
    }

    /// <summary>The proxy sequences draw no random numbers.</summary>
    private sealed class NoRandom : IRandomSource
    {
        public static NoRandom Instance { get; } = new();

        public void Fill(Span<byte> buffer) => throw new InvalidOperationException("a proxy tunnel draws no random numbers");
    }
}
