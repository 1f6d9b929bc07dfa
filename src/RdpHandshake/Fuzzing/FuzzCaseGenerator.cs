using System.Buffers.Binary;
using System.Globalization;

namespace RdpHandshake.Fuzzing;

/// <summary>A structure-aware mutation: what it did, the bytes, and whether it breaks a rule of the spec.</summary>
internal readonly record struct Mutated(string Description, byte[] Bytes, bool Invalid);

/// <summary>Makes one mutated PDU from the random stream of a case.</summary>
internal delegate Mutated Mutator(ref FuzzRandom random);

/// <summary>
/// Derives case <c>i</c> of seed <c>S</c> from (S, i) alone. Case 0 is the valid PDU unchanged (the baseline
/// the server should accept); about seven cases in ten apply a structure-aware mutation (a field set to a
/// boundary value, a length that lies, a type byte that is wrong), the rest a byte-level one (bit flips,
/// truncation, overwritten or inserted bytes, an inflated outer length) on the valid PDU.
/// </summary>
public static class FuzzCaseGenerator
{
    /// <summary>No case is larger than this (the largest mutations stay under a 64 KiB TSRequest or TPKT).</summary>
    public const int MaxCaseSize = 70_000;

    /// <summary>Percentage of cases (after case 0) that get a structure-aware mutation.</summary>
    public const int StructuralPercent = 70;

    public static FuzzCase Generate(FuzzLayer layer, ulong seed, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var random = new FuzzRandom(seed, index, (int)layer);
        byte[] valid = Baseline(layer);
        Mutated mutated;
        if (index == 0)
        {
            mutated = new Mutated("baseline: the valid PDU, unchanged", valid, false);
        }
        else if (random.Chance(StructuralPercent))
        {
            IReadOnlyList<Mutator> mutators = Mutators(layer);
            mutated = mutators[random.Next(mutators.Count)](ref random);
        }
        else
        {
            mutated = ByteLevel(layer, valid, ref random);
        }

        byte[] bytes = mutated.Bytes.Length > MaxCaseSize ? mutated.Bytes[..MaxCaseSize] : mutated.Bytes;
        return new FuzzCase(layer, seed, index, mutated.Description, bytes, mutated.Invalid);
    }

    /// <summary>The valid, unmutated PDU of the layer.</summary>
    public static byte[] Baseline(FuzzLayer layer) => layer switch
    {
        FuzzLayer.X224 => X224Mutations.Baseline(),
        FuzzLayer.Tls => TlsMutations.Baseline(),
        FuzzLayer.CredSsp => CredSspMutations.Baseline(),
        _ => McsMutations.Baseline(),
    };

    /// <summary>How many distinct structure-aware mutators the layer has (each has its own random choices).</summary>
    public static int MutatorCount(FuzzLayer layer) => Mutators(layer).Count;

    private static IReadOnlyList<Mutator> Mutators(FuzzLayer layer) => layer switch
    {
        FuzzLayer.X224 => X224Mutations.All,
        FuzzLayer.Tls => TlsMutations.All,
        FuzzLayer.CredSsp => CredSspMutations.All,
        _ => McsMutations.All,
    };

    private static Mutated ByteLevel(FuzzLayer layer, byte[] valid, ref FuzzRandom random)
    {
        byte[] bytes = (byte[])valid.Clone();
        switch (random.Next(5))
        {
            case 0:
            {
                int flips = random.Next(1, 9);
                var offsets = new SortedSet<int>();
                for (int i = 0; i < flips; i++)
                {
                    int offset = random.Next(bytes.Length);
                    bytes[offset] ^= (byte)(1 << random.Next(8));
                    offsets.Add(offset);
                }

                return new Mutated($"bytes: {flips} bit flip(s) at offset(s) {string.Join(", ", offsets)}", bytes, false);
            }

            case 1:
            {
                int keep = random.Next(1, bytes.Length);
                return new Mutated($"bytes: truncated to {keep} of {bytes.Length}", bytes[..keep], true);
            }

            case 2:
            {
                int offset = random.Next(bytes.Length);
                int count = Math.Min(random.Next(1, 9), bytes.Length - offset);
                random.Bytes(count).CopyTo(bytes, offset);
                return new Mutated($"bytes: {count} byte(s) overwritten with random values at offset {offset}", bytes, false);
            }

            case 3:
            {
                int offset = random.Next(bytes.Length + 1);
                byte[] inserted = random.Bytes(random.Next(1, 17));
                return new Mutated($"bytes: {inserted.Length} random byte(s) inserted at offset {offset}, lengths unchanged", [.. bytes[..offset], .. inserted, .. bytes[offset..]], true);
            }

            default:
                return InflateOuterLength(layer, bytes, ref random);
        }
    }

    /// <summary>Makes the outermost length field announce more bytes than follow (the server must wait or refuse).</summary>
    private static Mutated InflateOuterLength(FuzzLayer layer, byte[] bytes, ref FuzzRandom random)
    {
        int extra = random.Pick([1, 2, 16, 255, 4096, 65535]);
        switch (layer)
        {
            case FuzzLayer.Tls:
            {
                int length = Math.Min(ushort.MaxValue, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(3)) + extra);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(3), (ushort)length);
                return new Mutated(Invariant($"bytes: TLS record length inflated to {length} ({bytes.Length - 5} follow)"), bytes, true);
            }

            case FuzzLayer.CredSsp:
            {
                // The baseline TSRequest is well under 64 KiB, so its DER length is in the short or 0x81/0x82 form:
                // rewrite it as a four-byte long form announcing more.
                int headerLength = bytes[1] < 0x80 ? 2 : 2 + (bytes[1] & 0x7F);
                int content = bytes.Length - headerLength;
                int announced = content + extra;
                byte[] header = [0x30, 0x84, (byte)(announced >> 24), (byte)(announced >> 16), (byte)(announced >> 8), (byte)announced];
                return new Mutated(Invariant($"bytes: TSRequest DER length inflated to {announced} ({content} follow)"), [.. header, .. bytes[headerLength..]], true);
            }

            default:
            {
                int length = Math.Min(ushort.MaxValue, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2)) + extra);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)length);
                return new Mutated(Invariant($"bytes: TPKT length inflated to {length} ({bytes.Length} sent)"), bytes, true);
            }
        }
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    internal static string Hex(uint value) => $"0x{value:x8}";
}
