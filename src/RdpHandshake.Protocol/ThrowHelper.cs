using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace RdpHandshake.Protocol;

/// <summary>Throws for our own bugs and API misuse, kept out of line so hot paths stay small.</summary>
[StackTraceHidden]
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowBufferTooSmall(int needed, int available) =>
        throw new ArgumentException($"the destination buffer is too small: need {needed} more byte(s), have {available}");

    [DoesNotReturn]
    public static void ThrowInvalidState(string operation, string state) =>
        throw new InvalidOperationException($"{operation} is not valid in state {state}");

    [DoesNotReturn]
    public static void ThrowArgument(string parameter, string reason) =>
        throw new ArgumentException(reason, parameter);
}
