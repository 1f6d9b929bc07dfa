namespace RdpHandshake.Cli;

/// <summary>An NSS key log file opened for appending, written one line at a time, readable only by its owner.</summary>
internal sealed class KeyLogFile : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();

    public KeyLogFile(string path)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _writer = new StreamWriter(new FileStream(path, options)) { AutoFlush = true, NewLine = "\n" };
        Path = path;
    }

    public string Path { get; }

    public void Write(string line)
    {
        lock (_gate)
        {
            _writer.WriteLine(line);
        }
    }

    public void Dispose() => _writer.Dispose();
}
