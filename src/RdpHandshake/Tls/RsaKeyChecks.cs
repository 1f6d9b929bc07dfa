using Org.BouncyCastle.Utilities;

namespace RdpHandshake.Tls;

/// <summary>
/// How much BouncyCastle checks an RSA public key it is handed. By default every RSA key it builds (the server's
/// certificate key, once per signature it verifies) goes through Miller-Rabin rounds proving the modulus composite
/// and not a prime power: three modular exponentiations with a 2048-bit exponent, per key, which were most of a
/// probe's TLS CPU. The client only verifies signatures with the server's key; it never encrypts to it (no RSA key
/// exchange is offered) and the key is the server's own, so a weak modulus hurts only that server — which is why
/// TLS clients (OpenSSL, SChannel) do not test primality either. The cheap checks stay: the modulus must be odd,
/// free of small prime factors and within BouncyCastle's size bound.
/// </summary>
internal static class RsaKeyChecks
{
    /// <summary>Runs <paramref name="work"/> on this thread without the Miller-Rabin rounds (a thread-scoped setting).</summary>
    public static T WithoutPrimalityRounds<T>(Func<T> work) =>
        Properties.WithThreadProperty(Properties.RsaMaxMRTests, "0", work);

    /// <summary>As <see cref="WithoutPrimalityRounds{T}(Func{T})"/>, for work that returns nothing.</summary>
    public static void WithoutPrimalityRounds(Action work) =>
        Properties.WithThreadProperty(Properties.RsaMaxMRTests, "0", work);
}
