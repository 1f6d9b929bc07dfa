using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.X224;

/// <summary>
/// MS-RDPBCGR 2.2.1.1 Client X.224 Connection Request PDU: TPKT header, X.224 CR TPDU, then an optional
/// routing token or cookie, an optional RDP_NEG_REQ and an optional RDP_NEG_CORRELATION_INFO.
/// </summary>
/// <param name="Cookie">The IDENTIFIER of <c>Cookie: mstshash=IDENTIFIER\r\n</c>, without prefix or CR LF.</param>
/// <param name="RoutingToken">An opaque routing token without its CR LF terminator, as Latin-1 text (byte for byte).</param>
/// <param name="NegotiationRequest">The RDP_NEG_REQ; absent for pre-RDP 5.2 clients, which get Standard RDP Security.</param>
/// <param name="CorrelationInfo">Present when the request's flags include CORRELATION_INFO_PRESENT.</param>
/// <param name="DstRef">X.224 DST-REF; clients send 0 and servers ignore it.</param>
/// <param name="SrcRef">X.224 SRC-REF; clients send 0 and servers ignore it.</param>
/// <param name="ClassOptions">X.224 class and options; RDP uses class 0.</param>
public sealed record X224ConnectionRequest(
    string? Cookie = null,
    string? RoutingToken = null,
    RdpNegotiationRequest? NegotiationRequest = null,
    RdpCorrelationInfo? CorrelationInfo = null,
    ushort DstRef = 0,
    ushort SrcRef = 0,
    byte ClassOptions = 0) : IPdu<X224ConnectionRequest>
{
    /// <summary>The prefix MS-RDPBCGR 2.2.1.1 gives the cookie field.</summary>
    public const string CookiePrefix = "Cookie: mstshash=";

    private static ReadOnlySpan<byte> CookiePrefixBytes => "Cookie: mstshash="u8;

    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;

    public static string PduName => "X.224 Connection Request";

    public int Size => X224Framing.CheckedConnectionSize(
        X224Framing.ConnectionHeaderSize
        + (RoutingToken is null ? 0 : System.Text.Encoding.Latin1.GetByteCount(RoutingToken) + CrLf.Length)
        + (Cookie is null ? 0 : CookiePrefixBytes.Length + System.Text.Encoding.Latin1.GetByteCount(Cookie) + CrLf.Length)
        + (NegotiationRequest?.Size ?? 0)
        + (CorrelationInfo?.Size ?? 0),
        PduName);

    public void Encode(ref PduWriter writer)
    {
        X224Framing.WriteConnectionHeader(ref writer, Size, X224TpduCode.ConnectionRequest, DstRef, SrcRef, ClassOptions);
        if (RoutingToken is not null)
        {
            WriteLatin1(ref writer, RoutingToken);
            writer.WriteBytes(CrLf);
        }

        if (Cookie is not null)
        {
            writer.WriteBytes(CookiePrefixBytes);
            WriteLatin1(ref writer, Cookie);
            writer.WriteBytes(CrLf);
        }

        NegotiationRequest?.Encode(ref writer);
        CorrelationInfo?.Encode(ref writer);
    }

    public static DecodeResult<X224ConnectionRequest> Decode(ref PduReader reader)
    {
        if (X224Framing.ReadConnectionHeader(ref reader, PduName, X224TpduCode.ConnectionRequest,
                out ushort dstRef, out ushort srcRef, out byte classOptions, out int variableLength) is { } headerError)
        {
            return headerError;
        }

        int variableStart = reader.Position;
        var body = new PduReader(reader.ReadBytes(variableLength));
        string? cookie = null;
        string? routingToken = null;

        // MS-RDPBCGR 2.2.1.1: a routing token or a cookie, each ending in CR LF, may precede RDP_NEG_REQ.
        // Without one, the variable part is exactly an RDP_NEG_REQ (8 bytes) or RDP_NEG_REQ plus correlation info (44).
        // Clients must not send both, but servers tolerate it (3.3.5.3.1), so a token followed by a cookie decodes.
        // A routing token that itself starts with 0x01 and makes the variable part 8 or 44 bytes long would be
        // read as a bare RDP_NEG_REQ: the format is ambiguous there, and no real token looks like that.
        if (body.Remaining > 0 && !LooksLikeBareNegotiationRequest(body.RemainingSpan))
        {
            if (!body.RemainingSpan.StartsWith(CookiePrefixBytes))
            {
                if (CheckTerminated(ref body, "routingToken", variableStart) is { } tokenError)
                {
                    return tokenError;
                }

                routingToken = System.Text.Encoding.Latin1.GetString(body.ReadBytes(FindCrLf(body)));
                body.Skip(CrLf.Length);
            }

            if (body.RemainingSpan.StartsWith(CookiePrefixBytes))
            {
                if (CheckTerminated(ref body, "cookie", variableStart) is { } cookieError)
                {
                    return cookieError;
                }

                body.Skip(CookiePrefixBytes.Length);
                cookie = System.Text.Encoding.Latin1.GetString(body.ReadBytes(FindCrLf(body)));
                body.Skip(CrLf.Length);
            }
        }

        RdpNegotiationRequest? negotiation = null;
        RdpCorrelationInfo? correlation = null;
        if (body.Remaining > 0)
        {
            DecodeResult<RdpNegotiationRequest> request = RdpNegotiationRequest.Decode(ref body);
            if (!request.IsSuccess)
            {
                return Shift(request.Error, variableStart);
            }

            negotiation = request.Value;
            if ((negotiation.Flags & NegotiationRequestFlags.CorrelationInfoPresent) != 0)
            {
                DecodeResult<RdpCorrelationInfo> info = RdpCorrelationInfo.Decode(ref body);
                if (!info.IsSuccess)
                {
                    return Shift(info.Error, variableStart);
                }

                correlation = info.Value;
            }
        }

        if (body.Remaining != 0)
        {
            return DecodeError.Trailing(PduName, variableStart + body.Position, body.Remaining);
        }

        return new X224ConnectionRequest(cookie, routingToken, negotiation, correlation, dstRef, srcRef, classOptions);
    }

    /// <summary>Checks that a CR LF terminates the next field; the caller then reads up to it.</summary>
    private static DecodeError? CheckTerminated(ref PduReader body, string field, int variableStart) =>
        FindCrLf(body) < 0
            ? DecodeError.InvalidField(PduName, field, "not terminated by CR LF", variableStart + body.Position)
            : null;

    private static int FindCrLf(PduReader body) => body.RemainingSpan.IndexOf(CrLf);

    private static bool LooksLikeBareNegotiationRequest(ReadOnlySpan<byte> variablePart) =>
        variablePart[0] == RdpNegotiationRequest.TypeCode
        && variablePart.Length is RdpNegotiationRequest.FixedPartSize or RdpNegotiationRequest.FixedPartSize + RdpCorrelationInfo.FixedPartSize;

    private static void WriteLatin1(ref PduWriter writer, string text)
    {
        Span<byte> bytes = stackalloc byte[System.Text.Encoding.Latin1.GetByteCount(text)];
        System.Text.Encoding.Latin1.GetBytes(text, bytes);
        writer.WriteBytes(bytes);
    }

    private static DecodeError Shift(DecodeError error, int by) => error with { Context = $"{PduName}: {error.Context}", Offset = error.Offset + by };
}
