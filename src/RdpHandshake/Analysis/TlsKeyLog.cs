namespace RdpHandshake.Analysis;

/// <summary>
/// An NSS key log (the format <c>rdphs probe --keylog</c>, browsers' and OpenSSL's SSLKEYLOGFILE write): one line per
/// secret, <c>LABEL CLIENT_RANDOM SECRET</c> in hex. <c>CLIENT_RANDOM</c> holds a TLS 1.2 (or earlier) master secret;
/// the <c>*_TRAFFIC_SECRET*</c> labels hold TLS 1.3's. Lines of other labels and comments are skipped.
/// </summary>
public sealed class TlsKeyLog
{
    /// <summary>The largest key log read: a key log is a few hundred bytes per connection.</summary>
    public const long MaxLength = 64 * 1024 * 1024;

    public const string MasterSecret = "CLIENT_RANDOM";
    public const string ClientHandshake = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
    public const string ServerHandshake = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
    public const string ClientTraffic = "CLIENT_TRAFFIC_SECRET_0";
    public const string ServerTraffic = "SERVER_TRAFFIC_SECRET_0";

    private readonly Dictionary<(string Label, string Random), byte[]> _secrets = [];

    /// <summary>How many secrets were read.</summary>
    public int Count => _secrets.Count;

    /// <summary>Lines that are neither comments nor secrets of a known form.</summary>
    public int Skipped { get; private set; }

    public static TlsKeyLog Empty { get; } = new();

    /// <summary>Reads a key log file; throws <see cref="IOException"/> or <see cref="InvalidDataException"/> with one line.</summary>
    public static TlsKeyLog Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"the key log {path} does not exist", path);
        }

        if (info.Length > MaxLength)
        {
            throw new InvalidDataException($"the key log {path} is {info.Length} bytes, more than a key log can be ({MaxLength} bytes)");
        }

        using var reader = new StreamReader(path);
        return Parse(reader);
    }

    public static TlsKeyLog Parse(TextReader reader)
    {
        var log = new TlsKeyLog();
        while (reader.ReadLine() is { } line)
        {
            log.Add(line);
        }

        return log;
    }

    /// <summary>Adds one line; false when it is not a secret of a known form.</summary>
    public bool Add(string line)
    {
        string trimmed = line.Trim();
        if (trimmed.Length == 0 || trimmed.StartsWith('#'))
        {
            return false;
        }

        string[] parts = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[1].Length != 64 || !IsHex(parts[1]) || !IsHex(parts[2]) || parts[2].Length % 2 != 0 || parts[2].Length > 256)
        {
            Skipped++;
            return false;
        }

        _secrets[(parts[0], parts[1].ToLowerInvariant())] = Convert.FromHexString(parts[2]);
        return true;
    }

    /// <summary>The secret of <paramref name="label"/> for the connection whose ClientHello carried <paramref name="clientRandom"/>.</summary>
    public byte[]? Find(string label, ReadOnlySpan<byte> clientRandom) =>
        _secrets.TryGetValue((label, Convert.ToHexStringLower(clientRandom)), out byte[]? secret) ? secret : null;

    private static bool IsHex(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return text.Length > 0;
    }
}
