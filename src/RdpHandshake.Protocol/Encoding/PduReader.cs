using System.Buffers.Binary;
using System.Diagnostics;

namespace RdpHandshake.Protocol.Encoding;

/// <summary>
/// A forward-only cursor over received bytes. Callers check <see cref="Remaining"/> (or <see cref="Ensure"/>)
/// before reading; the read methods assert rather than check, so a decoder that forgets to check is a bug
/// caught in tests, not a silent over-read.
/// </summary>
public ref struct PduReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    public PduReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly int Remaining => _buffer.Length - Position;

    public readonly int Length => _buffer.Length;

    /// <summary>The bytes not yet consumed.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer[Position..];

    /// <summary>Returns an error when fewer than <paramref name="count"/> bytes remain.</summary>
    public readonly DecodeError? Ensure(int count, string context) =>
        count <= Remaining ? null : DecodeError.NotEnoughBytes(context, Position, count, Remaining);

    public readonly byte PeekByte(int offset = 0)
    {
        Debug.Assert(offset < Remaining);
        return _buffer[Position + offset];
    }

    public byte ReadByte()
    {
        Debug.Assert(Remaining >= 1);
        return _buffer[Position++];
    }

    public ushort ReadUInt16Be()
    {
        Debug.Assert(Remaining >= 2);
        ushort value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[Position..]);
        Position += 2;
        return value;
    }

    public ushort ReadUInt16Le()
    {
        Debug.Assert(Remaining >= 2);
        ushort value = BinaryPrimitives.ReadUInt16LittleEndian(_buffer[Position..]);
        Position += 2;
        return value;
    }

    public uint ReadUInt32Le()
    {
        Debug.Assert(Remaining >= 4);
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[Position..]);
        Position += 4;
        return value;
    }

    public uint ReadUInt32Be()
    {
        Debug.Assert(Remaining >= 4);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[Position..]);
        Position += 4;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Debug.Assert(count >= 0 && Remaining >= count);
        ReadOnlySpan<byte> slice = _buffer.Slice(Position, count);
        Position += count;
        return slice;
    }

    public void Skip(int count)
    {
        Debug.Assert(count >= 0 && Remaining >= count);
        Position += count;
    }
}
