using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.X224;

/// <summary>
/// ITU-T X.224 13.5 Disconnect Request TPDU in TPKT. Some servers and middleboxes send it instead of a
/// Connection Confirm to refuse a connection; the variable part (parameters such as additional information)
/// is kept raw.
/// </summary>
public sealed record X224DisconnectRequest(byte Reason = 0, ByteString VariablePart = default, ushort DstRef = 0, ushort SrcRef = 0)
    : IPdu<X224DisconnectRequest>
{
    public static string PduName => "X.224 Disconnect Request";

    public int Size => X224Framing.CheckedConnectionSize(X224Framing.ConnectionHeaderSize + VariablePart.Length, PduName);

    /// <summary>X.224 13.5.3 reason names for class 0.</summary>
    public string ReasonName => Reason switch
    {
        0 => "reason not specified",
        1 => "congestion at TSAP",
        2 => "session entity not attached to TSAP",
        3 => "address unknown",
        128 => "normal disconnect initiated by session entity",
        129 => "remote transport entity congestion at connect request time",
        130 => "connection negotiation failed",
        131 => "duplicate source reference detected",
        132 => "mismatched references",
        133 => "protocol error",
        135 => "reference overflow",
        136 => "connection request refused on this network connection",
        138 => "header or parameter length invalid",
        _ => "unknown reason",
    };

    public void Encode(ref PduWriter writer)
    {
        X224Framing.WriteConnectionHeader(ref writer, Size, X224TpduCode.DisconnectRequest, DstRef, SrcRef, Reason);
        writer.WriteBytes(VariablePart.Span);
    }

    public static DecodeResult<X224DisconnectRequest> Decode(ref PduReader reader)
    {
        if (X224Framing.ReadConnectionHeader(ref reader, PduName, X224TpduCode.DisconnectRequest,
                out ushort dstRef, out ushort srcRef, out byte reason, out int variableLength) is { } headerError)
        {
            return headerError;
        }

        return new X224DisconnectRequest(reason, new ByteString(reader.ReadBytes(variableLength)), dstRef, srcRef);
    }
}
