using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// Frames a KDC's reply on UDP (RFC 4120 7.2.1): one datagram is one message, so the whole datagram is the frame,
/// bounded by <see cref="KerberosLimits.MaxMessageSize"/>.
/// </summary>
public sealed class KdcDatagramHint(string stepName, string expecting) : FrameHint(stepName, expecting, KerberosLimits.MaxMessageSize)
{
    /// <summary>The channel hands over the whole datagram.</summary>
    public override int HeaderLength => MaxFrameLength + 1;

    public override FrameSize FindSize(ReadOnlySpan<byte> buffered) => buffered.Length switch
    {
        0 => FrameSize.Invalid(DecodeError.InvalidField(PduName, "length", "an empty datagram", 0, null, 0)),
        > KerberosLimits.MaxMessageSize => FrameSize.Invalid(DecodeError.LengthLimit(PduName, "length", 0, KerberosLimits.MaxMessageSize, buffered.Length)),
        _ => FrameSize.Complete(buffered.Length),
    };

    private const string PduName = "Kerberos datagram";
}
