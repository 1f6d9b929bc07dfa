using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.X224;

/// <summary>
/// MS-RDPBCGR 2.2.1.2 Server X.224 Connection Confirm PDU: TPKT header, X.224 CC TPDU and optional
/// negotiation data, which is either an RDP_NEG_RSP or an RDP_NEG_FAILURE (never both).
/// </summary>
/// <param name="Response">The selected protocol; absent with a failure and from servers that predate negotiation.</param>
/// <param name="Failure">Why negotiation failed; absent on success.</param>
/// <param name="DstRef">X.224 DST-REF (servers send 0).</param>
/// <param name="SrcRef">X.224 SRC-REF (MS-RDPBCGR 3.3.5.3.2: servers send 0x1234; clients ignore it).</param>
/// <param name="ClassOptions">X.224 class and options (0).</param>
public sealed record X224ConnectionConfirm(
    RdpNegotiationResponse? Response = null,
    RdpNegotiationFailure? Failure = null,
    ushort DstRef = 0,
    ushort SrcRef = X224ConnectionConfirm.DefaultSrcRef,
    byte ClassOptions = 0) : IPdu<X224ConnectionConfirm>
{
    /// <summary>The SRC-REF MS-RDPBCGR 3.3.5.3.2 tells servers to send.</summary>
    public const ushort DefaultSrcRef = 0x1234;

    public static string PduName => "X.224 Connection Confirm";

    public int Size
    {
        get
        {
            if (Response is not null && Failure is not null)
            {
                ThrowHelper.ThrowInvalidState($"encoding {PduName}", "both RDP_NEG_RSP and RDP_NEG_FAILURE are set");
            }

            return X224Framing.ConnectionHeaderSize + (Response?.Size ?? 0) + (Failure?.Size ?? 0);
        }
    }

    public void Encode(ref PduWriter writer)
    {
        X224Framing.WriteConnectionHeader(ref writer, Size, X224TpduCode.ConnectionConfirm, DstRef, SrcRef, ClassOptions);
        Response?.Encode(ref writer);
        Failure?.Encode(ref writer);
    }

    public static DecodeResult<X224ConnectionConfirm> Decode(ref PduReader reader)
    {
        if (X224Framing.ReadConnectionHeader(ref reader, PduName, X224TpduCode.ConnectionConfirm,
                out ushort dstRef, out ushort srcRef, out byte classOptions, out int variableLength) is { } headerError)
        {
            return headerError;
        }

        if (variableLength == 0)
        {
            return new X224ConnectionConfirm(null, null, dstRef, srcRef, classOptions);
        }

        int variableStart = reader.Position;
        var body = new PduReader(reader.ReadBytes(variableLength));
        byte type = body.PeekByte();
        RdpNegotiationResponse? response = null;
        RdpNegotiationFailure? failure = null;
        switch (type)
        {
            case RdpNegotiationResponse.TypeCode:
                DecodeResult<RdpNegotiationResponse> rsp = RdpNegotiationResponse.Decode(ref body);
                if (!rsp.IsSuccess)
                {
                    return Shift(rsp.Error, variableStart);
                }

                response = rsp.Value;
                break;
            case RdpNegotiationFailure.TypeCode:
                DecodeResult<RdpNegotiationFailure> fail = RdpNegotiationFailure.Decode(ref body);
                if (!fail.IsSuccess)
                {
                    return Shift(fail.Error, variableStart);
                }

                failure = fail.Value;
                break;
            default:
                return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "rdpNegData.type",
                    $"expected RDP_NEG_RSP (0x02) or RDP_NEG_FAILURE (0x03), got 0x{type:x2}", variableStart, null, type);
        }

        if (body.Remaining != 0)
        {
            return DecodeError.Trailing(PduName, variableStart + body.Position, body.Remaining);
        }

        return new X224ConnectionConfirm(response, failure, dstRef, srcRef, classOptions);
    }

    private static DecodeError Shift(DecodeError error, int by) => error with { Context = $"{PduName}: {error.Context}", Offset = error.Offset + by };
}
