using System.Security.Cryptography;

namespace RdpHandshake.Crypto;

/// <summary>
/// A password held for the CredSSP exchange: kept as characters (never an interned string), cleared on
/// dispose, and never printed: <see cref="ToString"/> says what it is, not what it holds.
/// </summary>
public sealed class Secret : IDisposable
{
    private readonly char[] _value;

    public Secret(ReadOnlySpan<char> value) => _value = value.ToArray();

    public int Length => _value.Length;

    /// <summary>The characters, for the computation that needs them; do not keep or log the span.</summary>
    public ReadOnlySpan<char> Reveal() => _value;

    public void Dispose() => CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_value.AsSpan()));

    public override string ToString() => "(secret)";
}

/// <summary>Who to authenticate as in CredSSP: DOMAIN\user (or user@domain) and the password.</summary>
public sealed record Credentials(string User, string Domain, Secret Password)
{
    /// <summary>Parses <c>DOMAIN\user</c>, <c>user@domain</c> or <c>user</c>.</summary>
    public static Credentials Parse(string text, Secret password)
    {
        int slash = text.IndexOf('\\', StringComparison.Ordinal);
        if (slash >= 0)
        {
            return new Credentials(text[(slash + 1)..], text[..slash], password);
        }

        int at = text.LastIndexOf('@');
        return at > 0 ? new Credentials(text[..at], text[(at + 1)..], password) : new Credentials(text, string.Empty, password);
    }

    public override string ToString() => Domain.Length == 0 ? User : $"{Domain}\\{User}";
}
