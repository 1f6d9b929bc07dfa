using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.X224;

/// <summary>
/// A TPKT packet carrying an ITU-T X.224 13.7 class 0 Data TPDU: <c>LI=2, code=0xF0, EOT=0x80</c>, then
/// the user data (an MCS PDU in RDP). MS-RDPBCGR sends every slow-path PDU after the connection phase this way.
/// </summary>
public sealed record X224Data(ByteString UserData) : IPdu<X224Data>
{
    public const int HeaderSize = TpktHeader.FixedPartSize + 1 /* LI */ + 1 /* code */ + 1 /* EOT + TPDU-NR */;

    /// <summary>The largest user data that fits the TPKT length field.</summary>
    public const int MaxUserDataLength = TpktHeader.MaxPacketLength - HeaderSize;

    private const byte DataLengthIndicator = 2;
    private const byte EndOfTransmission = 0x80;

    public static string PduName => "X.224 Data";

    public int Size
    {
        get
        {
            if (UserData.Length > MaxUserDataLength)
            {
                ThrowHelper.ThrowArgument(nameof(UserData), $"user data of {UserData.Length} bytes exceeds the TPKT maximum of {MaxUserDataLength}");
            }

            return HeaderSize + UserData.Length;
        }
    }

    public void Encode(ref PduWriter writer)
    {
        new TpktHeader((ushort)Size).Encode(ref writer);
        writer.WriteByte(DataLengthIndicator);
        writer.WriteByte((byte)X224TpduCode.Data);
        writer.WriteByte(EndOfTransmission);
        writer.WriteBytes(UserData.Span);
    }

    public static DecodeResult<X224Data> Decode(ref PduReader reader)
    {
        int start = reader.Position;
        if (X224Framing.ReadTpkt(ref reader, PduName, out int packetLength) is { } tpktError)
        {
            return tpktError;
        }

        // TpktHeader.Decode guarantees packetLength >= MinPacketLength == HeaderSize, so the fixed part is in.
        byte lengthIndicator = reader.ReadByte();
        if (lengthIndicator != DataLengthIndicator)
        {
            return DecodeError.InvalidField(PduName, "LI", $"must be 2, got {lengthIndicator}", start + 4, DataLengthIndicator, lengthIndicator);
        }

        byte code = reader.ReadByte();
        if (code != (byte)X224TpduCode.Data)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "code",
                $"expected {X224Framing.Describe((byte)X224TpduCode.Data)}, got {X224Framing.Describe(code)}", start + 5, (byte)X224TpduCode.Data, code);
        }

        byte eot = reader.ReadByte();
        if (eot != EndOfTransmission)
        {
            return DecodeError.InvalidField(PduName, "EOT", $"must be 0x80 (class 0 sends no TPDU-NR), got 0x{eot:x2}", start + 6, EndOfTransmission, eot);
        }

        return new X224Data(new ByteString(reader.ReadBytes(packetLength - HeaderSize)));
    }
}
