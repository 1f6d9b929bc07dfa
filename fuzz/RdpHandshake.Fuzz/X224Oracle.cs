using System.Buffers;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Fuzz;

/// <summary>
/// The X.224 fuzz oracle: decoding any bytes must not throw, a successful decode must re-encode to the same
/// bytes, and the client state machine fed the bytes as the server's answer must end in a state, not an
/// exception. A violated invariant throws, which is what a fuzzer reports as a crash.
/// </summary>
public static class X224Oracle
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        CheckCanonical<X224ConnectionRequest>(input);
        CheckCanonical<X224ConnectionConfirm>(input);
        CheckCanonical<X224DisconnectRequest>(input);
        CheckCanonical<X224Data>(input);

        var connector = new ClientConnector(
            new ClientConnectorOptions { Negotiation = new NegotiationOptions { Cookie = "fuzz" }, Until = ConnectionPhase.X224 },
            new ConnectorServices { Random = NoRandom.Instance });
        connector.Step([], new ArrayBufferWriter<byte>());
        StepPlan plan = connector.Next!;
        FrameHint hint = plan.Read!;
        FrameSize size = hint.FindSize(input[..Math.Min(input.Length, hint.HeaderLength)]);
        StepResult result = size.Status switch
        {
            FrameSizeStatus.Invalid => connector.RejectFrame(size.Error!.Value, input[..Math.Min(input.Length, hint.HeaderLength)]),
            FrameSizeStatus.Complete when size.Length <= input.Length => connector.Step(input[..size.Length], new ArrayBufferWriter<byte>()),
            _ => new StepResult(hint.StepName, plan.Phase, hint.Expecting, [], "needs more bytes"),
        };

        bool wholeFrame = size.Status == FrameSizeStatus.Invalid || (size.Status == FrameSizeStatus.Complete && size.Length <= input.Length);
        if (wholeFrame && !connector.IsTerminal)
        {
            throw new InvalidOperationException($"the connector is not terminal after a whole frame: {connector.Next?.Name}, {result.Summary}");
        }
    }

    /// <summary>X.224 draws no random numbers.</summary>
    private sealed class NoRandom : IRandomSource
    {
        public static NoRandom Instance { get; } = new();

        public void Fill(Span<byte> buffer) => throw new InvalidOperationException("X.224 draws no random numbers");
    }

    private static void CheckCanonical<T>(ReadOnlySpan<byte> input) where T : IPdu<T>
    {
        DecodeResult<T> decoded = Pdu.Decode<T>(input);
        if (decoded.IsSuccess && !Pdu.Encode(decoded.Value!).AsSpan().SequenceEqual(input))
        {
            throw new InvalidOperationException($"{T.PduName} decoded from bytes it does not re-encode to");
        }

        if (!decoded.IsSuccess && string.IsNullOrEmpty(decoded.Error.Reason))
        {
            throw new InvalidOperationException($"{T.PduName} rejected input without a reason");
        }
    }
}
