using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.X224;

/// <summary>ITU-T X.224 class 0 TPDU codes (the high nibble of the second TPDU byte).</summary>
public enum X224TpduCode : byte
{
    /// <summary>CR: Connection Request (X.224 13.3).</summary>
    ConnectionRequest = 0xE0,

    /// <summary>CC: Connection Confirm (X.224 13.4).</summary>
    ConnectionConfirm = 0xD0,

    /// <summary>DR: Disconnect Request (X.224 13.5).</summary>
    DisconnectRequest = 0x80,

    /// <summary>DT: Data (X.224 13.7).</summary>
    Data = 0xF0,

    /// <summary>ER: TPDU Error (X.224 13.12).</summary>
    Error = 0x70,
}

/// <summary>Shared framing rules for X.224 TPDUs carried in TPKT.</summary>
public static class X224Framing
{
    /// <summary>Bytes before the first variable-part byte of a CR/CC/DR: TPKT header, LI, code, DST-REF, SRC-REF, class/reason.</summary>
    public const int ConnectionHeaderSize = TpktHeader.FixedPartSize + 1 /* LI */ + 1 /* code */ + 2 /* DST-REF */ + 2 /* SRC-REF */ + 1 /* class option or reason */;

    /// <summary>The largest length indicator: 255 is reserved (X.224 13.2.1).</summary>
    public const int MaxLengthIndicator = 254;

    /// <summary>The largest CR/CC/DR the length indicator can describe.</summary>
    public const int MaxConnectionPduSize = TpktHeader.FixedPartSize + 1 /* LI */ + MaxLengthIndicator;

    /// <summary>The TPDU code of a TPKT-framed packet, or null when there are not enough bytes to tell.</summary>
    public static byte? PeekTpduCode(ReadOnlySpan<byte> packet) =>
        packet.Length > TpktHeader.FixedPartSize + 1 ? (byte)(packet[TpktHeader.FixedPartSize + 1] & 0xF0) : null;

    /// <summary>Spec name of a TPDU code for messages, e.g. <c>Connection Confirm (0xd0)</c>.</summary>
    public static string Describe(byte code) => (X224TpduCode)(code & 0xF0) switch
    {
        X224TpduCode.ConnectionRequest => $"X.224 Connection Request (0x{code:x2})",
        X224TpduCode.ConnectionConfirm => $"X.224 Connection Confirm (0x{code:x2})",
        X224TpduCode.DisconnectRequest => $"X.224 Disconnect Request (0x{code:x2})",
        X224TpduCode.Data => $"X.224 Data (0x{code:x2})",
        X224TpduCode.Error => $"X.224 TPDU Error (0x{code:x2})",
        _ => $"unknown X.224 TPDU code 0x{code:x2}",
    };

    /// <summary>
    /// Reads a TPKT header and the fixed part of a CR, CC or DR TPDU, checking that the TPKT length covers
    /// exactly the buffer, that LI agrees with it, and that the code matches. Leaves the reader at the
    /// variable part; returns the variable part's length through <paramref name="variableLength"/>.
    /// </summary>
    internal static DecodeError? ReadConnectionHeader(
        ref PduReader reader,
        string context,
        X224TpduCode expectedCode,
        out ushort dstRef,
        out ushort srcRef,
        out byte classOrReason,
        out int variableLength)
    {
        dstRef = srcRef = 0;
        classOrReason = 0;
        variableLength = 0;

        int start = reader.Position;
        if (ReadTpkt(ref reader, context, out int packetLength) is { } tpktError)
        {
            return tpktError;
        }

        // TpktHeader.Decode guarantees at least 7 bytes, so LI and the code are in. The code is checked first so
        // that another TPDU type (which has another length and LI) is reported as what it is.
        byte lengthIndicator = reader.ReadByte();
        int codeAt = reader.Position;
        byte code = reader.ReadByte();
        if ((code & 0xF0) != (byte)expectedCode)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, context, "code",
                $"expected {Describe((byte)expectedCode)}, got {Describe(code)}", codeAt, (byte)expectedCode, code);
        }

        if (packetLength < ConnectionHeaderSize)
        {
            return DecodeError.InvalidField(context, "TPKT length", $"{packetLength} is smaller than the {ConnectionHeaderSize}-byte header",
                start + 2, ConnectionHeaderSize, packetLength);
        }

        if (lengthIndicator != packetLength - TpktHeader.FixedPartSize - 1)
        {
            return DecodeError.InvalidField(context, "LI", $"{lengthIndicator} disagrees with the TPKT length {packetLength} (expected {packetLength - TpktHeader.FixedPartSize - 1})",
                start + TpktHeader.FixedPartSize, packetLength - TpktHeader.FixedPartSize - 1, lengthIndicator);
        }

        // X.224 13.3.3/13.4.3: the low nibble of CR and CC is CDT, which class 0 sets to 0000; DR has none.
        if (code != (byte)expectedCode)
        {
            return DecodeError.InvalidField(context, "CDT", $"must be 0 in class 0, got {code & 0x0F}", codeAt, 0, code & 0x0F);
        }

        dstRef = reader.ReadUInt16Be();
        srcRef = reader.ReadUInt16Be();
        classOrReason = reader.ReadByte();
        variableLength = packetLength - ConnectionHeaderSize;
        return null;
    }

    /// <summary>
    /// Reads the TPKT header of a packet that must lie wholly in the reader: version 3, reserved 0 (RFC 1006
    /// section 6), and a length no greater than the bytes available.
    /// </summary>
    internal static DecodeError? ReadTpkt(ref PduReader reader, string context, out int packetLength)
    {
        packetLength = 0;
        int start = reader.Position;
        DecodeResult<TpktHeader> tpkt = TpktHeader.Decode(ref reader);
        if (!tpkt.IsSuccess)
        {
            return tpkt.Error with { Context = $"{context}: {tpkt.Error.Context}" };
        }

        if (tpkt.Value.Reserved != 0)
        {
            return DecodeError.InvalidField($"{context}: {TpktHeader.PduName}", "reserved", $"must be 0, got 0x{tpkt.Value.Reserved:x2}", start + 1, 0, tpkt.Value.Reserved);
        }

        packetLength = tpkt.Value.PacketLength;
        int available = reader.Remaining + TpktHeader.FixedPartSize;
        if (available < packetLength)
        {
            return DecodeError.NotEnoughBytes(context, start, packetLength, available);
        }

        return null;
    }

    internal static void WriteConnectionHeader(ref PduWriter writer, int totalSize, X224TpduCode code, ushort dstRef, ushort srcRef, byte classOrReason)
    {
        new TpktHeader((ushort)totalSize).Encode(ref writer);
        writer.WriteByte((byte)(totalSize - TpktHeader.FixedPartSize - 1));
        writer.WriteByte((byte)code);
        writer.WriteUInt16Be(dstRef);
        writer.WriteUInt16Be(srcRef);
        writer.WriteByte(classOrReason);
    }

    internal static int CheckedConnectionSize(int size, string context)
    {
        if (size > MaxConnectionPduSize)
        {
            ThrowHelper.ThrowArgument(context, $"{context} would be {size} bytes; the X.224 length indicator allows at most {MaxConnectionPduSize}");
        }

        return size;
    }
}
