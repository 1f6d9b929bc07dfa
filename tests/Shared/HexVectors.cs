namespace RdpHandshake.Tests;

/// <summary>Loads the hex test vectors under tests/data/vectors and the captures of the fuzz corpus.</summary>
internal static class HexVectors
{
    public static byte[] Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", "vectors", name);
        string hex = string.Concat(File.ReadAllLines(path)
            .Where(line => !line.TrimStart().StartsWith('#'))
            .SelectMany(line => line.Where(c => !char.IsWhiteSpace(c))));
        return Convert.FromHexString(hex);
    }

    /// <summary>A committed fuzz seed, fuzz/corpus/<paramref name="target"/>/<paramref name="name"/>: real peers' bytes.</summary>
    public static byte[] Corpus(string target, string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", target, name));

    /// <summary>Parses hex with spaces and line breaks, as printed in the specs.</summary>
    public static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
}
