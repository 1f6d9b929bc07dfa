using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Gateway;

/// <summary>WebSocket opcodes (RFC 6455 5.2).</summary>
public enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// <summary>
/// One WebSocket frame (RFC 6455 5.2), as the RD Gateway's WebSocket transport carries the HTTP packets in binary
/// frames over the upgraded RDG_OUT_DATA connection (MS-TSGU 3.3.5.1). A client masks what it sends (5.3); a server
/// does not.
/// </summary>
/// <param name="Opcode">The frame's opcode.</param>
/// <param name="Payload">The unmasked payload.</param>
/// <param name="Fin">The FIN bit: the last fragment of a message.</param>
/// <param name="MaskingKey">The masking key, for frames a client sends; null for a server's.</param>
public sealed record WebSocketFrame(WebSocketOpcode Opcode, ByteString Payload, bool Fin = true, uint? MaskingKey = null)
{
    /// <summary>The largest frame rdphs accepts: one gateway packet and its framing.</summary>
    public const int MaxFrameLength = TsguPacketHeader.MaxPacketLength + 14;

    public const string PduName = "WebSocket frame";

    /// <summary>The GUID of the Sec-WebSocket-Accept computation (RFC 6455 4.2.2).</summary>
    public const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Sec-WebSocket-Accept for <paramref name="key"/>: base64(SHA-1(key + GUID)) (RFC 6455 4.2.2 item 5.4).</summary>
    public static string AcceptFor(string key) => Convert.ToBase64String(SHA1.HashData(System.Text.Encoding.ASCII.GetBytes(key.Trim() + AcceptGuid)));

    public int Size => 2 + (Payload.Length < 126 ? 0 : Payload.Length <= ushort.MaxValue ? 2 : 8) + (MaskingKey is null ? 0 : 4) + Payload.Length;

    /// <summary>The frame's bytes, masked when it has a masking key.</summary>
    public byte[] Encode()
    {
        byte[] frame = new byte[Size];
        frame[0] = (byte)((Fin ? 0x80 : 0) | (byte)Opcode);
        int length = Payload.Length;
        int at = 2;
        byte mask = MaskingKey is null ? (byte)0 : (byte)0x80;
        if (length < 126)
        {
            frame[1] = (byte)(mask | length);
        }
        else if (length <= ushort.MaxValue)
        {
            frame[1] = (byte)(mask | 126);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)length);
            at = 4;
        }
        else
        {
            frame[1] = (byte)(mask | 127);
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)length);
            at = 10;
        }

        Payload.Span.CopyTo(frame.AsSpan(at + (MaskingKey is null ? 0 : 4)));
        if (MaskingKey is { } key)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), key);
            Mask(frame.AsSpan(at + 4), key);
        }

        return frame;
    }

    /// <summary>XORs <paramref name="data"/> with the masking key, the key's first byte first (RFC 6455 5.3).</summary>
    public static void Mask(Span<byte> data, uint key)
    {
        Span<byte> keyBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(keyBytes, key);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] ^= keyBytes[i & 3];
        }
    }

    /// <summary>
    /// The size of the frame that starts <paramref name="buffered"/>: need more, complete, or invalid (reserved bits
    /// set, an unknown opcode, a control frame over 125 bytes or fragmented, a 64-bit length with its top bit set, or
    /// more than <paramref name="maxFrameLength"/>).
    /// </summary>
    public static FrameSize FindFrameSize(ReadOnlySpan<byte> buffered, int maxFrameLength = MaxFrameLength)
    {
        if (buffered.Length < 2)
        {
            return FrameSize.NeedMore(2);
        }

        byte first = buffered[0];
        if ((first & 0x70) != 0)
        {
            return FrameSize.Invalid(DecodeError.InvalidField(PduName, "RSV", $"reserved bits 0x{first & 0x70:x2} are set and no extension was negotiated", 0, 0, first & 0x70));
        }

        var opcode = (WebSocketOpcode)(first & 0x0F);
        if (opcode is not (WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong))
        {
            return FrameSize.Invalid(DecodeError.InvalidField(PduName, "opcode", $"0x{(byte)opcode:x} is reserved", 0, null, (byte)opcode));
        }

        bool masked = (buffered[1] & 0x80) != 0;
        int shortLength = buffered[1] & 0x7F;
        int header = 2 + (shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (buffered.Length < header)
        {
            return FrameSize.NeedMore(header);
        }

        ulong length = shortLength switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(buffered[2..]),
            127 => BinaryPrimitives.ReadUInt64BigEndian(buffered[2..]),
            _ => (ulong)shortLength,
        };
        if ((byte)opcode >= 0x8 && (length > 125 || (first & 0x80) == 0))
        {
            return FrameSize.Invalid(DecodeError.InvalidField(PduName, "payload length", $"a control frame must be whole and carry at most 125 bytes, this one says {length}", 1, 125, (long)Math.Min(length, long.MaxValue)));
        }

        if (length > (ulong)(maxFrameLength - header))
        {
            return FrameSize.Invalid(DecodeError.LengthLimit(PduName, "payload length", 1, maxFrameLength - header, (long)Math.Min(length, long.MaxValue)));
        }

        return FrameSize.Complete(header + (int)length);
    }

    /// <summary>Decodes one whole frame (as <see cref="FindFrameSize"/> framed it), unmasking its payload.</summary>
    public static DecodeResult<WebSocketFrame> Decode(ReadOnlySpan<byte> frame)
    {
        FrameSize size = FindFrameSize(frame);
        switch (size.Status)
        {
            case FrameSizeStatus.Invalid:
                return size.Error!.Value;
            case FrameSizeStatus.NeedMore:
                return DecodeError.NotEnoughBytes(PduName, frame.Length, size.Length, frame.Length);
        }

        if (frame.Length < size.Length)
        {
            return DecodeError.NotEnoughBytes(PduName, frame.Length, size.Length, frame.Length);
        }

        if (frame.Length > size.Length)
        {
            return DecodeError.Trailing(PduName, size.Length, frame.Length - size.Length);
        }

        bool masked = (frame[1] & 0x80) != 0;
        int shortLength = frame[1] & 0x7F;
        int at = 2 + (shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0);
        uint? key = null;
        if (masked)
        {
            key = BinaryPrimitives.ReadUInt32BigEndian(frame[at..]);
            at += 4;
        }

        byte[] payload = frame[at..].ToArray();
        if (key is { } k)
        {
            Mask(payload, k);
        }

        return new WebSocketFrame((WebSocketOpcode)(frame[0] & 0x0F), new ByteString(payload), (frame[0] & 0x80) != 0, key);
    }
}
