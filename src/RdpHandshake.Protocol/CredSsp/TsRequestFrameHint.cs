using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>Frames a TSRequest (a DER SEQUENCE) in the TLS application data, bounded by <see cref="TsRequest.MaxSize"/>.</summary>
public sealed class TsRequestFrameHint(string stepName, string expecting) : FrameHint(stepName, expecting, TsRequest.MaxSize)
{
    /// <summary>The tag, the first length byte and up to four more.</summary>
    public override int HeaderLength => 6;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) => TsRequest.FindFrameSize(buffered);
}
