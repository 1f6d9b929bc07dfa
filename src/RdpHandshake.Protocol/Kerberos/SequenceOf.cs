using System.Collections;
using System.Runtime.CompilerServices;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// An ASN.1 SEQUENCE OF as an immutable list with value equality, so the Kerberos records that carry lists compare
/// by content. Written with a collection expression: <c>SequenceOf&lt;int&gt; etypes = [18, 17];</c>.
/// </summary>
[CollectionBuilder(typeof(SequenceOf), nameof(SequenceOf.Create))]
public readonly struct SequenceOf<T> : IReadOnlyList<T>, IEquatable<SequenceOf<T>>
{
    private readonly T[]? _items;

    public SequenceOf(IEnumerable<T> items)
    {
        T[] array = [.. items];
        _items = array.Length == 0 ? null : array;
    }

    public int Count => _items?.Length ?? 0;

    public T this[int index] => (_items ?? [])[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(SequenceOf<T> other) => (_items ?? []).AsSpan().SequenceEqual(other._items ?? []);

    public override bool Equals(object? obj) => obj is SequenceOf<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (T item in _items ?? [])
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public static bool operator ==(SequenceOf<T> left, SequenceOf<T> right) => left.Equals(right);

    public static bool operator !=(SequenceOf<T> left, SequenceOf<T> right) => !left.Equals(right);

    public override string ToString() => $"[{string.Join(", ", _items ?? [])}]";
}

/// <summary>The builder behind collection expressions of <see cref="SequenceOf{T}"/>.</summary>
public static class SequenceOf
{
    public static SequenceOf<T> Create<T>(ReadOnlySpan<T> items) => new(items.ToArray());
}
