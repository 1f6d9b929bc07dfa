using System.Reflection;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl;

namespace RdpHandshake.Tls;

/// <summary>
/// Copies the bytes of a BouncyCastle TLS secret for the key log. The library only offers
/// <c>TlsSecret.Extract()</c>, which destroys the secret while the connection still uses it, so the copy reads
/// the secret's storage field instead. Used for <c>--keylog</c> and nothing else.
/// </summary>
internal static class SecretBytes
{
    private static readonly FieldInfo? Data = typeof(AbstractTlsSecret).GetField("m_data", BindingFlags.NonPublic | BindingFlags.Instance);

    public static byte[]? Copy(TlsSecret secret) =>
        secret is AbstractTlsSecret && Data?.GetValue(secret) is byte[] data ? (byte[])data.Clone() : null;
}
