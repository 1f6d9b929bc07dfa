using RdpHandshake.Crypto.Kerberos;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// AES CBC with ciphertext stealing (RFC 3962 5) against the sample vectors of RFC 3962 Appendix B: the key "chicken
/// teriyaki", a zero initial vector, and inputs of 17, 31, 32, 47, 48 and 64 bytes. The appendix has no vector
/// shorter than 17 bytes; the single-block case is covered by the empty-plaintext encryptions of RFC 8009 Appendix A
/// in <see cref="Rfc8009VectorTests"/>.
/// </summary>
public sealed class AesCtsTests
{
    private static readonly byte[] Key = Hex("63 68 69 63 6b 65 6e 20 74 65 72 69 79 61 6b 69");

    private const string Input =
        "49 20 77 6f 75 6c 64 20 6c 69 6b 65 20 74 68 65" +
        "20 47 65 6e 65 72 61 6c 20 47 61 75 27 73 20 43" +
        "68 69 63 6b 65 6e 2c 20 70 6c 65 61 73 65 2c 20" +
        "61 6e 64 20 77 6f 6e 74 6f 6e 20 73 6f 75 70 2e";

    /// <summary>RFC 3962 Appendix B: input length (a prefix of <see cref="Input"/>) and output.</summary>
    public static TheoryData<int, string> Rfc3962AppendixB => new()
    {
        { 17, "c6 35 35 68 f2 bf 8c b4 d8 a5 80 36 2d a7 ff 7f 97" },
        {
            31,
            "fc 00 78 3e 0e fd b2 c1 d4 45 d4 c8 ef f7 ed 22" +
            "97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5"
        },
        {
            32,
            "39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8" +
            "97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84"
        },
        {
            47,
            "97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84" +
            "b3 ff fd 94 0c 16 a1 8c 1b 55 49 d2 f8 38 02 9e" +
            "39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5"
        },
        {
            48,
            "97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84" +
            "9d ad 8b bb 96 c4 cd c0 3b c1 03 e1 a1 94 bb d8" +
            "39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8"
        },
        {
            64,
            "97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84" +
            "39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8" +
            "48 07 ef e8 36 ee 89 a5 26 73 0d bc 2f 7b c8 40" +
            "9d ad 8b bb 96 c4 cd c0 3b c1 03 e1 a1 94 bb d8"
        },
    };

    [Theory]
    [MemberData(nameof(Rfc3962AppendixB))]
    public void Encrypts_as_RFC_3962_appendix_B_says(int length, string expected)
    {
        Assert.Equal(Hex(expected), AesCts.Encrypt(Key, new byte[16], Hex(Input)[..length]));
    }

    [Theory]
    [MemberData(nameof(Rfc3962AppendixB))]
    public void Decrypts_the_RFC_3962_appendix_B_outputs(int length, string ciphertext)
    {
        Assert.Equal(Hex(Input)[..length], AesCts.Decrypt(Key, new byte[16], Hex(ciphertext)));
    }

    [Fact]
    public void One_block_is_plain_AES()
    {
        // RFC 3962 5: "If exactly one block is to be encrypted, that block is simply encrypted with AES". With a zero
        // IV the first CBC block is E(P1); the appendix's outputs of 32 bytes and more show it (it ends the 32-byte
        // output and begins the longer ones), and for one block it is the whole output.
        byte[] block = Hex(Input)[..16];
        byte[] encrypted = AesCts.Encrypt(Key, new byte[16], block);
        Assert.Equal(Hex("97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84"), encrypted);
        Assert.Equal(block, AesCts.Decrypt(Key, new byte[16], encrypted));
    }

    [Fact]
    public void Less_than_a_block_is_a_caller_bug()
    {
        Assert.Throws<ArgumentException>(() => AesCts.Encrypt(Key, new byte[16], new byte[15]));
        Assert.Throws<ArgumentException>(() => AesCts.Decrypt(Key, new byte[16], new byte[15]));
    }
}
