using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Benchmarks;

/// <summary>The published test vectors of tests/data/vectors, embedded in this assembly.</summary>
public static class Vectors
{
    public static byte[] Load(string name)
    {
        using Stream stream = typeof(Vectors).Assembly.GetManifestResourceStream("vectors/" + name)
            ?? throw new FileNotFoundException($"no embedded vector {name}");
        using var reader = new StreamReader(stream);
        string hex = string.Concat(reader.ReadToEnd().Split('\n')
            .Where(line => !line.TrimStart().StartsWith('#'))
            .SelectMany(line => line.Where(c => !char.IsWhiteSpace(c))));
        return Convert.FromHexString(hex);
    }

    public static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));

    /// <summary>The MCS bytes inside a TPKT + X.224 Data frame.</summary>
    public static byte[] UserData(byte[] tpkt)
    {
        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(tpkt);
        return data.IsSuccess ? data.Value.UserData.Span.ToArray() : throw new InvalidOperationException(data.ToString());
    }

    public static T Value<T>(DecodeResult<T> result) =>
        result.IsSuccess ? result.Value : throw new InvalidOperationException(result.ToString());
}
