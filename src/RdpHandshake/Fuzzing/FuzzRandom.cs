namespace RdpHandshake.Fuzzing;

/// <summary>
/// A counter-based random source: case <c>i</c> of seed <c>S</c> draws from a SplitMix64 stream started at a mix
/// of (S, i) alone, so any case can be regenerated without the cases before it, on any runtime (System.Random's
/// algorithm is not promised to stay the same across .NET versions; this one is spelled out here).
/// </summary>
public struct FuzzRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15;

    private ulong _state;

    /// <param name="seed">The run's seed.</param>
    /// <param name="index">The case's index.</param>
    /// <param name="stream">Separates the streams of different layers for the same (seed, index).</param>
    public FuzzRandom(ulong seed, int index, int stream = 0)
    {
        // Rounds of the finaliser separate neighbouring seeds, indexes and streams into unrelated sequences.
        _state = Mix(Mix(Mix(seed ^ 0x5244_5048_535F_465A) + ((ulong)(uint)index * Golden)) + (ulong)(uint)stream);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += Golden;
        return Mix(_state);
    }

    /// <summary>A value in [0, <paramref name="maxExclusive"/>); 0 when the bound is 0 or less.</summary>
    public int Next(int maxExclusive) => maxExclusive <= 0 ? 0 : (int)(NextUInt64() % (ulong)maxExclusive);

    /// <summary>A value in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int minInclusive, int maxExclusive) => minInclusive + Next(maxExclusive - minInclusive);

    public uint NextUInt32() => (uint)(NextUInt64() >> 32);

    public byte NextByte() => (byte)(NextUInt64() >> 56);

    /// <summary>True with probability <paramref name="percent"/>/100.</summary>
    public bool Chance(int percent) => Next(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public byte[] Bytes(int count)
    {
        byte[] bytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            bytes[i] = NextByte();
        }

        return bytes;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
