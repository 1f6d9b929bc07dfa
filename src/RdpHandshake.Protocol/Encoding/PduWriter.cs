using System.Buffers.Binary;

namespace RdpHandshake.Protocol.Encoding;

/// <summary>
/// A forward-only cursor that writes into a caller-sized span. Encoders know their <c>Size</c> up front, so
/// running out of space is our bug and throws (see <see cref="ThrowHelper"/>), unlike decoding.
/// </summary>
public ref struct PduWriter
{
    private readonly Span<byte> _buffer;

    public PduWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly int Remaining => _buffer.Length - Position;

    public readonly ReadOnlySpan<byte> Written => _buffer[..Position];

    public void WriteByte(byte value)
    {
        EnsureSpace(1);
        _buffer[Position++] = value;
    }

    public void WriteUInt16Be(ushort value)
    {
        EnsureSpace(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[Position..], value);
        Position += 2;
    }

    public void WriteUInt16Le(ushort value)
    {
        EnsureSpace(2);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[Position..], value);
        Position += 2;
    }

    public void WriteUInt32Le(uint value)
    {
        EnsureSpace(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer[Position..], value);
        Position += 4;
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        EnsureSpace(bytes.Length);
        bytes.CopyTo(_buffer[Position..]);
        Position += bytes.Length;
    }

    public void WriteZeros(int count)
    {
        EnsureSpace(count);
        _buffer.Slice(Position, count).Clear();
        Position += count;
    }

    private readonly void EnsureSpace(int count)
    {
        if (Remaining < count)
        {
            ThrowHelper.ThrowBufferTooSmall(count, Remaining);
        }
    }
}
