using RdpHandshake.Fuzzing;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests;

/// <summary>The fuzz case generator: deterministic per (seed, index), bounded, every case described.</summary>
public sealed class FuzzGeneratorTests
{
    public static TheoryData<FuzzLayer> Layers => new() { FuzzLayer.X224, FuzzLayer.Tls, FuzzLayer.CredSsp, FuzzLayer.Mcs };

    [Theory]
    [MemberData(nameof(Layers))]
    public void The_same_seed_and_index_give_the_same_bytes(FuzzLayer layer)
    {
        for (int index = 0; index < 300; index++)
        {
            FuzzCase first = FuzzCaseGenerator.Generate(layer, 42, index);
            FuzzCase again = FuzzCaseGenerator.Generate(layer, 42, index);
            Assert.Equal(first.Bytes, again.Bytes);
            Assert.Equal(first.Mutation, again.Mutation);
            Assert.Equal(first.Invalid, again.Invalid);
            Assert.Equal($"42:{index}", first.Id);
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Different_indexes_and_seeds_give_different_cases(FuzzLayer layer)
    {
        var distinct = new HashSet<string>();
        for (int index = 1; index <= 200; index++)
        {
            distinct.Add(Convert.ToHexString(FuzzCaseGenerator.Generate(layer, 7, index).Bytes));
        }

        // Some mutators have few choices, so a few repeats are expected; most cases differ.
        Assert.True(distinct.Count > 100, $"only {distinct.Count} distinct cases in 200");
        int sameAcrossSeeds = Enumerable.Range(1, 50).Count(i => FuzzCaseGenerator.Generate(layer, 1, i).Bytes.AsSpan().SequenceEqual(FuzzCaseGenerator.Generate(layer, 2, i).Bytes));
        Assert.True(sameAcrossSeeds < 25, $"{sameAcrossSeeds} of 50 cases equal under seeds 1 and 2");
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Every_case_is_described_bounded_and_case_0_is_the_valid_pdu(FuzzLayer layer)
    {
        Assert.Equal(FuzzCaseGenerator.Baseline(layer), FuzzCaseGenerator.Generate(layer, 99, 0).Bytes);
        Assert.False(FuzzCaseGenerator.Generate(layer, 99, 0).Invalid);
        var mutations = new HashSet<string>();
        int byteLevel = 0;
        for (int index = 0; index < 1000; index++)
        {
            FuzzCase fuzzCase = FuzzCaseGenerator.Generate(layer, 99, index);
            Assert.False(string.IsNullOrWhiteSpace(fuzzCase.Mutation));
            Assert.NotEmpty(fuzzCase.Bytes);
            Assert.InRange(fuzzCase.Bytes.Length, 1, FuzzCaseGenerator.MaxCaseSize);
            mutations.Add(fuzzCase.Mutation.Split(':')[0]);
            byteLevel += fuzzCase.Mutation.StartsWith("bytes:", StringComparison.Ordinal) ? 1 : 0;
        }

        Assert.InRange(byteLevel, 200, 400);
        Assert.True(mutations.Count >= 8, $"only {mutations.Count} kinds of mutation: {string.Join(" | ", mutations)}");
    }

    [Fact]
    public void The_x224_builder_writes_what_the_encoder_writes()
    {
        Assert.Equal(Pdu.Encode(new X224ConnectionRequest(Cookie: "rdphs", NegotiationRequest: new RdpNegotiationRequest(X224Mutations.Requested))), new X224Mutations.Request().Encode());
        Assert.True(Pdu.Decode<X224ConnectionRequest>(X224Mutations.Baseline()).IsSuccess);
    }

    [Fact]
    public void The_tsrequest_builder_writes_the_der_the_encoder_writes()
    {
        Assert.Equal(CredSspMutations.Baseline(), CredSspMutations.Request());
        DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(CredSspMutations.Baseline());
        Assert.True(decoded.IsSuccess);
        Assert.Equal(6, decoded.Value.Version);
        Assert.Equal(0x30, CredSspMutations.Int(-1)[0] == 0x02 ? 0x30 : 0);
        Assert.Equal([0x02, 0x01, 0xFF], CredSspMutations.Int(-1));
        Assert.Equal([0x02, 0x02, 0x00, 0xFF], CredSspMutations.Int(255));
    }

    [Fact]
    public void The_mcs_baseline_is_a_connect_initial_that_decodes()
    {
        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(McsMutations.Baseline());
        Assert.True(data.IsSuccess);
        var reader = new PduReader(data.Value.UserData.Span);
        DecodeResult<McsConnectInitial> initial = McsConnectInitial.Decode(ref reader);
        Assert.True(initial.IsSuccess, initial.IsSuccess ? null : initial.Error.ToString());
    }

    [Fact]
    public void The_tls_baseline_is_one_handshake_record_holding_a_client_hello()
    {
        byte[] hello = TlsMutations.Baseline();
        Assert.Equal(0x16, hello[0]);
        Assert.Equal(hello.Length - 5, (hello[3] << 8) | hello[4]);
        Assert.Equal(0x01, hello[5]);
        Assert.Equal(hello.Length - 9, (hello[6] << 16) | (hello[7] << 8) | hello[8]);
        Assert.Equal(new TlsMutations.Hello { Fragment = 1 }.Encode().Length, 5 * (hello.Length - 5) + (hello.Length - 5));
    }

    [Fact]
    public void The_random_stream_depends_on_seed_index_and_stream_only()
    {
        var a = new FuzzRandom(5, 9);
        var b = new FuzzRandom(5, 9);
        var c = new FuzzRandom(5, 10);
        var d = new FuzzRandom(5, 9, 1);
        ulong first = a.NextUInt64();
        Assert.Equal(first, b.NextUInt64());
        Assert.NotEqual(first, c.NextUInt64());
        Assert.NotEqual(first, d.NextUInt64());
    }
}
