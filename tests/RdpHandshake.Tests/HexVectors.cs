namespace RdpHandshake.Tests;

/// <summary>Loads the hex test vectors under tests/data/vectors.</summary>
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

    /// <summary>Parses hex with spaces and line breaks, as printed in the specs.</summary>
    public static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
}
