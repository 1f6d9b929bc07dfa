using System.Diagnostics.CodeAnalysis;

namespace RdpHandshake.Protocol.Encoding;

/// <summary>Either a decoded value or the <see cref="DecodeError"/> that explains why there is none.</summary>
public readonly struct DecodeResult<T>
{
    private readonly T? _value;
    private readonly DecodeError _error;

    private DecodeResult(T value)
    {
        _value = value;
        IsSuccess = true;
        _error = default;
    }

    private DecodeResult(DecodeError error)
    {
        _value = default;
        IsSuccess = false;
        _error = error;
    }

    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsSuccess { get; }

    /// <summary>The decoded value; only meaningful when <see cref="IsSuccess"/>.</summary>
    public T? Value => _value;

    /// <summary>The error; only meaningful when not <see cref="IsSuccess"/>.</summary>
    public DecodeError Error => _error;

    public static DecodeResult<T> Success(T value) => new(value);

    public static DecodeResult<T> Failure(DecodeError error) => new(error);

    public static implicit operator DecodeResult<T>(T value) => new(value);

    public static implicit operator DecodeResult<T>(DecodeError error) => new(error);

    public bool TryGetValue([MaybeNullWhen(false)] out T value, out DecodeError error)
    {
        value = _value;
        error = _error;
        return IsSuccess;
    }

    public override string ToString() => IsSuccess ? $"Success({_value})" : $"Failure({_error})";
}
