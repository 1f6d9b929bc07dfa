using System.Text;
using RdpHandshake.Crypto.Kerberos;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>RFC 3961 5.1 n-fold against every vector of RFC 3961 Appendix A.1.</summary>
public sealed class NFoldTests
{
    /// <summary>RFC 3961 A.1: input string, output bits, expected output.</summary>
    public static TheoryData<string, int, string> Rfc3961A1 => new()
    {
        { "012345", 64, "be072631276b1955" },
        { "password", 56, "78a07b6caf85fa" },
        { "Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0" },
        { "password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e" },
        { "MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192, "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b" },
        { "Q", 168, "518a54a2 15a8452a 518a54a2 15a8452a 518a54a2 15" },
        { "ba", 168, "fb25d531 ae897449 9f52fd92 ea9857c4 ba24cf29 7e" },
        { "kerberos", 64, "6b657262 65726f73" },
        { "kerberos", 128, "6b657262 65726f73 7b9b5b2b 93132b93" },
        { "kerberos", 168, "8372c236 344e5f15 50cd0747 e15d62ca 7a5a3bce a4" },
        { "kerberos", 256, "6b657262 65726f73 7b9b5b2b 93132b93 5c9bdcda d95c9899 c4cae4de e6d6cae4" },
    };

    [Theory]
    [MemberData(nameof(Rfc3961A1))]
    public void Folds_as_RFC_3961_A_1_says(string input, int outputBits, string expected)
    {
        Assert.Equal(Hex(expected), NFold.Fold(Encoding.ASCII.GetBytes(input), outputBits / 8));
    }

    [Fact]
    public void Folding_to_a_multiple_of_the_input_length_starts_with_the_input()
    {
        // RFC 3961 A.1: "the initial octets exactly match the input string when the output length is a multiple of
        // the input length".
        byte[] input = Hex("00 ff 10 80 7f");
        Assert.Equal(input, NFold.Fold(input, 10)[..5]);
    }

    [Fact]
    public void Empty_input_and_non_positive_lengths_are_caller_bugs()
    {
        Assert.Throws<ArgumentException>(() => NFold.Fold([], 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => NFold.Fold([1], 0));
    }
}
