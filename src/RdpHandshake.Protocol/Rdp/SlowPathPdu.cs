using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>
/// One slow-path Share Control PDU, as the state machine switches on it: the bytes that follow the MCS Send
/// Data header and (where present) the security header. <see cref="Decode"/> walks <c>totalLength</c>, since one
/// MCS Send Data may carry several PDUs back to back.
/// </summary>
public abstract record SlowPathPdu
{
    /// <summary>A name for the timeline, e.g. <c>PDUTYPE2_FONTMAP</c>.</summary>
    public abstract string Name { get; }

    /// <summary>MS-RDPBCGR 2.2.1.13.1 Server Demand Active PDU.</summary>
    public sealed record DemandActive(DemandActivePdu Pdu) : SlowPathPdu
    {
        public override string Name => ShareNames.Name(PduType.DemandActivePdu);
    }

    /// <summary>MS-RDPBCGR 2.2.1.13.2 Client Confirm Active PDU.</summary>
    public sealed record ConfirmActive(ConfirmActivePdu Pdu) : SlowPathPdu
    {
        public override string Name => ShareNames.Name(PduType.ConfirmActivePdu);
    }

    /// <summary>MS-RDPBCGR 2.2.3.1 Server Deactivate All PDU.</summary>
    public sealed record DeactivateAll(DeactivateAllPdu Pdu) : SlowPathPdu
    {
        public override string Name => ShareNames.Name(PduType.DeactivateAllPdu);
    }

    /// <summary>
    /// MS-RDPBCGR 2.2.13.3.1 Enhanced Security Server Redirection PDU: <paramref name="Body"/> is everything after
    /// the Share Control Header (pad2Octets, the RDP_SERVER_REDIRECTION_PACKET and its padding), for the
    /// redirection decoder.
    /// </summary>
    public sealed record ServerRedirection(ushort PduSource, ByteString Body) : SlowPathPdu
    {
        public override string Name => ShareNames.Name(PduType.ServerRedirPkt);
    }

    /// <summary>A Share Data PDU; <see cref="ShareDataPdu.Body"/> is typed when the pduType2 is known.</summary>
    public sealed record Data(ShareDataPdu Pdu) : SlowPathPdu
    {
        public PduType2 PduType2 => Pdu.PduType2;

        public override string Name => ShareNames.Name(Pdu.PduType2);
    }

    /// <summary>
    /// A T.128 FlowPDU (<c>totalLength</c> 0x8000, 8 bytes: flowMarker, pduTypeFlow, pad, flowIdentifier,
    /// flowNumber, pduSource) which MS-RDPBCGR 2.2.8.1.1.1.1 says MUST be ignored.
    /// </summary>
    public sealed record Flow(byte PduTypeFlow, byte FlowIdentifier, byte FlowNumber, ushort PduSource) : SlowPathPdu
    {
        public const int Size = 2 /* flowMarker */ + 1 /* pduTypeFlow */ + 1 /* pad8bits */ + 1 /* flowIdentifier */ + 1 /* flowNumber */ + 2 /* pduSource */;

        public override string Name => "T.128 FlowPDU";
    }

    /// <summary>A Share Control PDU of a type MS-RDPBCGR does not define, kept as bytes.</summary>
    public sealed record Unknown(ShareControlHeader Header, ByteString Body) : SlowPathPdu
    {
        public override string Name => ShareNames.Name(Header.PduType);
    }

    public const string PduName = "Share Control PDU";

    /// <summary>Decodes every PDU in <paramref name="bytes"/>, which must end exactly where the last one does.</summary>
    public static DecodeResult<IReadOnlyList<SlowPathPdu>> Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new PduReader(bytes);
        List<SlowPathPdu> pdus = [];
        do
        {
            DecodeResult<SlowPathPdu> next = DecodeNext(ref reader);
            if (!next.IsSuccess)
            {
                return next.Error;
            }

            pdus.Add(next.Value);
        }
        while (reader.Remaining != 0);

        return pdus;
    }

    /// <summary>Decodes the next PDU and advances past its <c>totalLength</c>.</summary>
    public static DecodeResult<SlowPathPdu> DecodeNext(ref PduReader reader)
    {
        int start = reader.Position;
        if (reader.Ensure(2 /* totalLength */ + 2 /* pduType */, PduName) is { } missing)
        {
            return missing;
        }

        ReadOnlySpan<byte> rest = reader.RemainingSpan;
        int totalLength = rest[0] | (rest[1] << 8);
        if (totalLength == ShareControlHeader.FlowPduMarker)
        {
            if (reader.Ensure(Flow.Size, "T.128 FlowPDU") is { } shortFlow)
            {
                return shortFlow;
            }

            reader.Skip(2);
            byte type = reader.ReadByte();
            reader.Skip(1);
            byte id = reader.ReadByte();
            byte number = reader.ReadByte();
            return new Flow(type, id, number, reader.ReadUInt16Le());
        }

        var pduType = (PduType)(rest[2] & 0x0F);
        if (totalLength == DeactivateAllPdu.ShortFormLength && pduType == PduType.DeactivateAllPdu)
        {
            return Wrap(DeactivateAllPdu.Decode(ref reader), p => new DeactivateAll(p), start);
        }

        if (totalLength < ShareControlHeader.FixedPartSize)
        {
            return DecodeError.InvalidField(PduName, "totalLength", "smaller than the Share Control Header", start, ShareControlHeader.FixedPartSize, totalLength);
        }

        if (reader.Remaining < totalLength)
        {
            return DecodeError.NotEnoughBytes(PduName, start, totalLength, reader.Remaining);
        }

        // INVARIANT: each typed decoder sees exactly totalLength bytes, so a PDU can neither read into the next
        // one nor leave bytes of its own behind.
        var one = new PduReader(reader.ReadBytes(totalLength));
        DecodeResult<SlowPathPdu> result = pduType switch
        {
            PduType.DemandActivePdu => Wrap(DemandActivePdu.Decode(ref one), p => new DemandActive(p), start),
            PduType.ConfirmActivePdu => Wrap(ConfirmActivePdu.Decode(ref one), p => new ConfirmActive(p), start),
            PduType.DeactivateAllPdu => Wrap(DeactivateAllPdu.Decode(ref one), p => new DeactivateAll(p), start),
            PduType.DataPdu => Wrap(ShareDataPdu.Decode(ref one), p => new Data(p), start),
            _ => DecodeOther(ref one, start),
        };
        if (result.IsSuccess && one.Remaining != 0)
        {
            return DecodeError.Trailing(PduName, start + one.Position, one.Remaining);
        }

        return result;
    }

    private static DecodeResult<SlowPathPdu> DecodeOther(ref PduReader one, int start)
    {
        DecodeResult<ShareControlHeader> header = ShareControlHeader.Decode(ref one);
        if (!header.IsSuccess)
        {
            return ShareWire.Shift(header.Error, PduName, start);
        }

        var body = new ByteString(one.ReadBytes(one.Remaining));
        return header.Value.PduType == PduType.ServerRedirPkt
            ? new ServerRedirection(header.Value.PduSource, body)
            : new Unknown(header.Value, body);
    }

    private static DecodeResult<SlowPathPdu> Wrap<T>(DecodeResult<T> result, Func<T, SlowPathPdu> make, int start) =>
        result.IsSuccess ? make(result.Value!) : ShareWire.Shift(result.Error, PduName, start);
}
