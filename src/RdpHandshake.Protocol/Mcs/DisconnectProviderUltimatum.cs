using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>T.125 section 7 part 2 <c>Reason</c> of a Disconnect Provider Ultimatum.</summary>
public enum McsDisconnectReason : byte
{
    DomainDisconnected = 0,
    ProviderInitiated = 1,
    TokenPurged = 2,
    UserRequested = 3,
    ChannelPurged = 4,
}

/// <summary>
/// T.125 DisconnectProviderUltimatum (DomainMCSPDU choice 8), PER-encoded as MS-RDPBCGR sends it inside an
/// X.224 Data TPDU: two bytes, <c>choice(6 bits) | reason(3 bits) | padding(7 bits)</c>, e.g. <c>21 80</c> for
/// rn-user-requested. Servers send it to end a connection; xrdp sends it instead of a Connection Confirm to
/// refuse requested protocols it does not know.
/// </summary>
public sealed record DisconnectProviderUltimatum(McsDisconnectReason Reason) : IPdu<DisconnectProviderUltimatum>
{
    /// <summary>DomainMCSPDU CHOICE index of disconnectProviderUltimatum.</summary>
    public const int Choice = 8;

    public const int FixedPartSize = 2 /* choice, reason and padding, PER */;

    public static string PduName => "MCS Disconnect Provider Ultimatum";

    public int Size => FixedPartSize;

    /// <summary>The T.125 name, e.g. <c>rn-user-requested</c>.</summary>
    public string ReasonName => Reason switch
    {
        McsDisconnectReason.DomainDisconnected => "rn-domain-disconnected",
        McsDisconnectReason.ProviderInitiated => "rn-provider-initiated",
        McsDisconnectReason.TokenPurged => "rn-token-purged",
        McsDisconnectReason.UserRequested => "rn-user-requested",
        McsDisconnectReason.ChannelPurged => "rn-channel-purged",
        _ => $"reason {(byte)Reason}",
    };

    public void Encode(ref PduWriter writer)
    {
        byte reason = (byte)Reason;
        writer.WriteByte((byte)((Choice << 2) | (reason >> 1)));
        writer.WriteByte((byte)((reason & 1) << 7));
    }

    public static DecodeResult<DisconnectProviderUltimatum> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        byte first = reader.ReadByte();
        byte second = reader.ReadByte();
        if (first >> 2 != Choice)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "DomainMCSPDU",
                $"expected choice {Choice}, got {first >> 2}", start, Choice, first >> 2);
        }

        // X.691: the 3-bit enumerated reason straddles the byte boundary; the remaining 7 bits are padding.
        int reason = ((first & 0x03) << 1) | (second >> 7);
        if ((second & 0x7F) != 0)
        {
            return DecodeError.InvalidField(PduName, "padding", "must be zero", start + 1, 0, second & 0x7F);
        }

        if (reason > (int)McsDisconnectReason.ChannelPurged)
        {
            return DecodeError.InvalidField(PduName, "reason", $"{reason} is not a T.125 Reason", start, (int)McsDisconnectReason.ChannelPurged, reason);
        }

        return new DisconnectProviderUltimatum((McsDisconnectReason)reason);
    }
}
