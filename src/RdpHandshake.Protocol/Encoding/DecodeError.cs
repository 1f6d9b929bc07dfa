namespace RdpHandshake.Protocol.Encoding;

/// <summary>The closed set of ways a decoder can reject its input.</summary>
public enum DecodeErrorKind
{
    /// <summary>The input ends before the structure does.</summary>
    NotEnoughBytes,

    /// <summary>A field holds a value the specification does not allow here.</summary>
    InvalidField,

    /// <summary>The input is a well-formed PDU of another type than the one expected.</summary>
    UnexpectedMessageType,

    /// <summary>A version field names a version this decoder does not know.</summary>
    UnsupportedVersion,

    /// <summary>A length field exceeds a named limit (for example the TPKT maximum).</summary>
    LengthLimitExceeded,

    /// <summary>Bytes remain after the structure inside a length-framed container.</summary>
    TrailingBytes,
}

/// <summary>
/// Why a decoder rejected its input: a value, never an exception, so fuzzers and the state machine can call
/// decoders on any bytes.
/// </summary>
/// <param name="Kind">The category.</param>
/// <param name="Context">The structure being decoded, e.g. <c>X.224 Connection Confirm</c>.</param>
/// <param name="Field">The field at fault, when one is.</param>
/// <param name="Reason">A short lowercase phrase without a final period.</param>
/// <param name="Offset">Byte offset of the fault from the start of the decoded buffer.</param>
/// <param name="Expected">The value or count that was expected, when meaningful.</param>
/// <param name="Received">The value or count that was found, when meaningful.</param>
public readonly record struct DecodeError(
    DecodeErrorKind Kind,
    string Context,
    string? Field,
    string Reason,
    int Offset,
    long? Expected = null,
    long? Received = null)
{
    public static DecodeError NotEnoughBytes(string context, int offset, long expected, long received) =>
        new(DecodeErrorKind.NotEnoughBytes, context, null,
            $"not enough bytes: need {expected}, have {received}", offset, expected, received);

    public static DecodeError InvalidField(string context, string field, string reason, int offset, long? expected = null, long? received = null) =>
        new(DecodeErrorKind.InvalidField, context, field, reason, offset, expected, received);

    public static DecodeError LengthLimit(string context, string field, int offset, long limit, long received) =>
        new(DecodeErrorKind.LengthLimitExceeded, context, field,
            $"length {received} exceeds the limit of {limit}", offset, limit, received);

    public static DecodeError Trailing(string context, int offset, long count) =>
        new(DecodeErrorKind.TrailingBytes, context, null, $"{count} unexpected trailing byte(s)", offset, 0, count);

    /// <summary>A chainable one-line description: <c>decode CONTEXT: invalid FIELD: REASON (at offset N)</c>.</summary>
    public override string ToString() =>
        Field is null
            ? $"decode {Context}: {Reason} (at offset {Offset})"
            : $"decode {Context}: invalid {Field}: {Reason} (at offset {Offset})";
}
