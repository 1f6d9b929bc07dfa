using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Crypto.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// Properties of the ciphers and the message protections over generated keys, usages and messages: decryption
/// inverts encryption, every single-bit change and every truncation is refused rather than thrown at, tokens travel
/// both ways with their sequence numbers, and replayed or reordered tokens are refused.
/// </summary>
[Properties(Arbitrary = [typeof(KerberosArbitraries)], MaxTest = 150)]
public sealed class KerberosPropertyTests
{
    [Property]
    public bool Decryption_inverts_encryption(CipherCase c)
    {
        KerberosCipher cipher = KerberosCipher.For(c.Etype);
        byte[] ciphertext = cipher.Encrypt(c.Key, c.Usage, c.Plaintext);
        return ciphertext.Length == c.Plaintext.Length + cipher.CiphertextOverhead
            && cipher.TryDecrypt(c.Key, c.Usage, ciphertext, out byte[] plaintext)
            && plaintext.AsSpan().SequenceEqual(c.Plaintext);
    }

    [Property]
    public bool Any_single_flipped_bit_makes_decryption_fail(CipherCase c, uint bitSeed)
    {
        KerberosCipher cipher = KerberosCipher.For(c.Etype);
        byte[] ciphertext = cipher.Encrypt(c.Key, c.Usage, c.Plaintext);
        int bit = (int)(bitSeed % (uint)(ciphertext.Length * 8));
        ciphertext[bit / 8] ^= (byte)(0x80 >> (bit % 8));
        return !cipher.TryDecrypt(c.Key, c.Usage, ciphertext, out byte[] plaintext) && plaintext.Length == 0;
    }

    [Property]
    public bool Every_truncated_ciphertext_is_refused(CipherCase c)
    {
        KerberosCipher cipher = KerberosCipher.For(c.Etype);
        byte[] ciphertext = cipher.Encrypt(c.Key, c.Usage, c.Plaintext);
        for (int length = 0; length < ciphertext.Length; length++)
        {
            if (cipher.TryDecrypt(c.Key, c.Usage, ciphertext.AsSpan(0, length), out _))
            {
                return false;
            }
        }

        return true;
    }

    [Property]
    public bool Another_usage_or_key_does_not_decrypt(CipherCase c)
    {
        KerberosCipher cipher = KerberosCipher.For(c.Etype);
        byte[] ciphertext = cipher.Encrypt(c.Key, c.Usage, c.Plaintext);
        byte[] otherKey = c.Key.ToArray();
        otherKey[0] ^= 0x01;
        return !cipher.TryDecrypt(c.Key, c.Usage + 1, ciphertext, out _) && !cipher.TryDecrypt(otherKey, c.Usage, ciphertext, out _);
    }

    [Property]
    public bool Checksums_verify_and_any_flipped_bit_does_not(CipherCase c, uint bitSeed)
    {
        KerberosCipher cipher = KerberosCipher.For(c.Etype);
        byte[] checksum = cipher.Checksum(c.Key, c.Usage, c.Plaintext);
        bool verifies = checksum.Length == cipher.ChecksumSize && cipher.VerifyChecksum(c.Key, c.Usage, c.Plaintext, checksum);
        int bit = (int)(bitSeed % (uint)(checksum.Length * 8));
        checksum[bit / 8] ^= (byte)(0x80 >> (bit % 8));
        return verifies && !cipher.VerifyChecksum(c.Key, c.Usage, c.Plaintext, checksum);
    }

    [Property]
    public bool Rfc4121_tokens_travel_both_ways_in_order(ContextCase c)
    {
        using Rfc4121MessageProtection initiator = c.Initiator();
        using Rfc4121MessageProtection acceptor = c.Acceptor();
        foreach (byte[] message in c.Messages)
        {
            if (!Same(acceptor.Unwrap(initiator.Wrap(message, c.Rotation(initiator))), message)
                || !Same(initiator.Unwrap(acceptor.Wrap(message, c.Rotation(acceptor))), message)
                || !acceptor.VerifyMic(message, initiator.GetMic(message))
                || !initiator.VerifyMic(message, acceptor.GetMic(message)))
            {
                return false;
            }
        }

        ulong sent = 2 * (ulong)c.Messages.Length;
        return initiator.SendSequence == unchecked(c.InitiatorSequence + sent) && acceptor.ReceiveSequence == initiator.SendSequence
            && acceptor.SendSequence == unchecked(c.AcceptorSequence + sent) && initiator.ReceiveSequence == acceptor.SendSequence;
    }

    [Property]
    public bool Rfc4121_tokens_with_RRC_0_and_28_both_unwrap(ContextCase c)
    {
        using Rfc4121MessageProtection initiator = c.Initiator();
        using Rfc4121MessageProtection acceptor = c.Acceptor();
        byte[] message = c.Messages[0];
        return Same(acceptor.Unwrap(initiator.Wrap(message, 0)), message)
            && Same(acceptor.Unwrap(initiator.Wrap(message, 28)), message)
            && Same(initiator.Unwrap(acceptor.Wrap(message, 28)), message)
            && Same(initiator.Unwrap(acceptor.Wrap(message, 0)), message);
    }

    [Property]
    public bool Rfc4121_replayed_or_reordered_tokens_are_refused(ContextCase c)
    {
        using Rfc4121MessageProtection initiator = c.Initiator();
        using Rfc4121MessageProtection acceptor = c.Acceptor();
        byte[] first = initiator.Wrap(c.Messages[0], c.Rotation(initiator));
        byte[] second = initiator.Wrap(c.Messages[^1], c.Rotation(initiator));
        byte[] mic = initiator.GetMic(c.Messages[0]);
        return acceptor.Unwrap(second) is null
            && !acceptor.VerifyMic(c.Messages[0], mic)
            && Same(acceptor.Unwrap(first), c.Messages[0])
            && acceptor.Unwrap(first) is null
            && Same(acceptor.Unwrap(second), c.Messages[^1])
            && acceptor.Unwrap(second) is null
            && acceptor.VerifyMic(c.Messages[0], mic)
            && !acceptor.VerifyMic(c.Messages[0], mic);
    }

    [Property]
    public bool Rfc4121_a_token_never_opens_on_its_own_side(ContextCase c)
    {
        using Rfc4121MessageProtection initiator = c.Initiator();
        using Rfc4121MessageProtection mirror = c.Initiator();
        return mirror.Unwrap(initiator.Wrap(c.Messages[0])) is null && !mirror.VerifyMic(c.Messages[0], initiator.GetMic(c.Messages[0]));
    }

    [Property]
    public bool Rfc4121_any_flipped_bit_outside_RRC_is_refused(ContextCase c, uint bitSeed)
    {
        // RFC 4121 4.2.5: RRC is not integrity protected, and a rotation equal modulo the body length is the same
        // token, so octets 6 and 7 are left alone.
        using Rfc4121MessageProtection initiator = c.Initiator();
        using Rfc4121MessageProtection acceptor = c.Acceptor();
        byte[] token = initiator.Wrap(c.Messages[0], c.Rotation(initiator));
        int bits = (token.Length - 2) * 8;
        int bit = (int)(bitSeed % (uint)bits);
        int index = bit / 8 < 6 ? bit / 8 : (bit / 8) + 2;
        token[index] ^= (byte)(0x80 >> (bit % 8));
        return acceptor.Unwrap(token) is null && acceptor.ReceiveSequence == c.InitiatorSequence;
    }

    [Property]
    public bool Rfc4757_tokens_travel_both_ways_and_refuse_replays(Rc4ContextCase c)
    {
        using var initiator = new Rfc4757MessageProtection(c.Key, true, c.InitiatorSequence, c.AcceptorSequence);
        using var acceptor = new Rfc4757MessageProtection(c.Key, false, c.AcceptorSequence, c.InitiatorSequence);
        foreach (byte[] message in c.Messages)
        {
            byte[] fromInitiator = initiator.Wrap(message);
            byte[] fromAcceptor = acceptor.Wrap(message);
            byte[] mic = acceptor.GetMic(message);
            if (!Same(acceptor.Unwrap(fromInitiator), message) || acceptor.Unwrap(fromInitiator) is not null
                || !Same(initiator.Unwrap(fromAcceptor), message) || initiator.Unwrap(fromAcceptor) is not null
                || !initiator.VerifyMic(message, mic) || initiator.VerifyMic(message, mic))
            {
                return false;
            }
        }

        return initiator.SendSequence == unchecked(c.InitiatorSequence + (uint)c.Messages.Length)
            && acceptor.SendSequence == unchecked(c.AcceptorSequence + (uint)(2 * c.Messages.Length));
    }

    [Property]
    public bool Rfc4757_any_flipped_bit_is_refused(Rc4ContextCase c, uint bitSeed)
    {
        using var initiator = new Rfc4757MessageProtection(c.Key, true, c.InitiatorSequence, 0);
        using var acceptor = new Rfc4757MessageProtection(c.Key, false, 0, c.InitiatorSequence);
        byte[] token = initiator.Wrap(c.Messages[0]);
        int bit = (int)(bitSeed % (uint)(token.Length * 8));
        token[bit / 8] ^= (byte)(0x80 >> (bit % 8));
        return acceptor.Unwrap(token) is null && acceptor.ReceiveSequence == c.InitiatorSequence;
    }

    [Property]
    public bool Arbitrary_bytes_are_refused_without_throwing(byte[] token, bool integrityOnly)
    {
        byte[] aesKey = new byte[32];
        using var rfc4121 = new Rfc4121MessageProtection(KerberosEtype.Aes256CtsHmacSha196, aesKey, true, false, 0, 0);
        using var rfc4757 = new Rfc4757MessageProtection(new byte[16], true, 0, 0);
        byte[] wrapLike = [0x05, 0x04, 0x03, 0xFF, .. new byte[12], .. token];
        byte[] framedLike = [0x60, (byte)(11 + token.Length), 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02, .. token];
        return rfc4121.Unwrap(token, integrityOnly) is null && rfc4121.Unwrap(wrapLike, integrityOnly) is null
            && !rfc4121.VerifyMic(token, token)
            && rfc4757.Unwrap(token, integrityOnly) is null && rfc4757.Unwrap(framedLike, integrityOnly) is null
            && !rfc4757.VerifyMic(token, framedLike)
            && !KerberosCipher.For(KerberosEtype.Aes128CtsHmacSha256128).TryDecrypt(new byte[16], 1, token, out _)
            && !KerberosCipher.For(KerberosEtype.Rc4Hmac).TryDecrypt(new byte[16], 1, token, out _);
    }

    private static bool Same(byte[]? actual, byte[] expected) => actual is not null && actual.AsSpan().SequenceEqual(expected);
}

/// <summary>One encryption: an etype, a key of its size, a usage and a plaintext of 0 to 300 bytes.</summary>
public sealed record CipherCase(KerberosEtype Etype, byte[] Key, int Usage, byte[] Plaintext)
{
    public override string ToString() =>
        $"{Etype.RfcName()} usage {Usage} key {Convert.ToHexStringLower(Key)} plaintext {Convert.ToHexStringLower(Plaintext)}";
}

/// <summary>An RFC 4121 context: an AES etype and key, the AcceptorSubkey flag, both initial sequence numbers, 1 to 4 messages and an RRC choice.</summary>
public sealed record ContextCase(KerberosEtype Etype, byte[] Key, bool AcceptorSubkey, ulong InitiatorSequence, ulong AcceptorSequence, byte[][] Messages, int RotationChoice)
{
    public Rfc4121MessageProtection Initiator() => new(Etype, Key, true, AcceptorSubkey, InitiatorSequence, AcceptorSequence);

    public Rfc4121MessageProtection Acceptor() => new(Etype, Key, false, AcceptorSubkey, AcceptorSequence, InitiatorSequence);

    /// <summary>0, the SSPI rotation, or any other two-octet value (including ones past the token length).</summary>
    public int Rotation(Rfc4121MessageProtection sender) => RotationChoice switch
    {
        -1 => 0,
        -2 => sender.SspiRightRotationCount,
        _ => RotationChoice,
    };

    public override string ToString() =>
        $"{Etype.RfcName()} key {Convert.ToHexStringLower(Key)} acceptor subkey {AcceptorSubkey} sequences {InitiatorSequence}/{AcceptorSequence} "
        + $"rotation {RotationChoice} messages [{string.Join(", ", Messages.Select(Convert.ToHexStringLower))}]";
}

/// <summary>An rc4-hmac GSS context: key, both initial sequence numbers, 1 to 4 messages.</summary>
public sealed record Rc4ContextCase(byte[] Key, uint InitiatorSequence, uint AcceptorSequence, byte[][] Messages)
{
    public override string ToString() =>
        $"key {Convert.ToHexStringLower(Key)} sequences {InitiatorSequence}/{AcceptorSequence} messages [{string.Join(", ", Messages.Select(Convert.ToHexStringLower))}]";
}

public static class KerberosArbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<byte[]> Bytes(int min, int max) => Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Byte, n));

    /// <summary>The RFC 4120 7.5.1 and RFC 4121 2 usages CredSSP meets, and any other up to 1024.</summary>
    private static Gen<int> Usages => Gen.OneOf(Gen.Elements(1, 2, 3, 6, 7, 8, 9, 11, 12, 22, 23, 24, 25), Gen.Choose(0, 1024));

    private static Gen<ulong> Sequences => Gen.OneOf(
        Gen.Choose(0, 1000).Select(i => (ulong)i),
        ArbMap.Default.GeneratorFor<uint>().Select(i => (ulong)i),
        Gen.Choose(0, 5).Select(i => ulong.MaxValue - (ulong)i));

    public static Arbitrary<CipherCase> CipherCases() =>
        (from etype in Gen.Elements(Enum.GetValues<KerberosEtype>())
         from key in Gen.ArrayOf(Byte, KerberosCipher.For(etype).KeySize)
         from usage in Usages
         from plaintext in Bytes(0, 300)
         select new CipherCase(etype, key, usage, plaintext))
        .ToArbitrary();

    public static Arbitrary<ContextCase> ContextCases() =>
        (from etype in Gen.Elements(KerberosEtype.Aes128CtsHmacSha196, KerberosEtype.Aes256CtsHmacSha196, KerberosEtype.Aes128CtsHmacSha256128, KerberosEtype.Aes256CtsHmacSha384192)
         from key in Gen.ArrayOf(Byte, KerberosCipher.For(etype).KeySize)
         from acceptorSubkey in ArbMap.Default.GeneratorFor<bool>()
         from initiatorSequence in Sequences
         from acceptorSequence in Sequences
         from count in Gen.Choose(1, 4)
         from messages in Gen.ArrayOf(Bytes(0, 300), count)
         from rotation in Gen.Frequency((2, Gen.Constant(-1)), (2, Gen.Constant(-2)), (1, Gen.Choose(0, ushort.MaxValue)))
         select new ContextCase(etype, key, acceptorSubkey, initiatorSequence, acceptorSequence, messages, rotation))
        .ToArbitrary();

    public static Arbitrary<Rc4ContextCase> Rc4ContextCases() =>
        (from key in Gen.ArrayOf(Byte, 16)
         from initiatorSequence in ArbMap.Default.GeneratorFor<uint>()
         from acceptorSequence in ArbMap.Default.GeneratorFor<uint>()
         from count in Gen.Choose(1, 4)
         from messages in Gen.ArrayOf(Bytes(0, 300), count)
         select new Rc4ContextCase(key, initiatorSequence, acceptorSequence, messages))
        .ToArbitrary();
}
