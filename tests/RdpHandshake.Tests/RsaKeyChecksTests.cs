using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Utilities;
using RdpHandshake.Tls;

namespace RdpHandshake.Tests;

/// <summary>The TLS client skips BouncyCastle's Miller-Rabin rounds on RSA keys, and nothing else, and only while it works.</summary>
public sealed class RsaKeyChecksTests
{
    private static readonly BigInteger Exponent = BigInteger.ValueOf(65537);

    [Fact]
    public void A_prime_modulus_is_refused_by_default_and_taken_inside_the_scope_only()
    {
        // A prime "modulus" passes the cheap checks (odd, no small factor) and fails only the Miller-Rabin rounds.
        BigInteger prime = BigInteger.ProbablePrime(1024, new SecureRandom());
        Assert.Throws<ArgumentException>(() => new RsaKeyParameters(false, prime, Exponent));
        RsaKeyParameters key = RsaKeyChecks.WithoutPrimalityRounds(() => new RsaKeyParameters(false, prime, Exponent));
        Assert.Equal(prime, key.Modulus);
        Assert.Null(Properties.GetThreadProperty(Properties.RsaMaxMRTests));
        Assert.Throws<ArgumentException>(() => new RsaKeyParameters(false, prime, Exponent));
    }

    [Fact]
    public void The_cheap_checks_still_hold_inside_the_scope()
    {
        BigInteger even = BigInteger.One.ShiftLeft(2047).Add(BigInteger.Two);
        BigInteger smallFactor = BigInteger.ValueOf(3).Multiply(BigInteger.ProbablePrime(1024, new SecureRandom()));
        Assert.Throws<ArgumentException>(() => RsaKeyChecks.WithoutPrimalityRounds(() => new RsaKeyParameters(false, even, Exponent)));
        Assert.Throws<ArgumentException>(() => RsaKeyChecks.WithoutPrimalityRounds(() => new RsaKeyParameters(false, smallFactor, Exponent)));
        Assert.Null(Properties.GetThreadProperty(Properties.RsaMaxMRTests));
    }
}
