namespace RdpHandshake.Cli;

/// <summary>
/// A report file asked for on the command line (<c>--junit</c>, <c>--pcap</c>, <c>--report</c>): opened before
/// anything is sent, so a path that cannot be written is bad usage (exit 2) and not a report lost at the end; written
/// once the run is over, where a failure is <see cref="ExitCodes.ReportNotWritten"/>.
/// </summary>
internal sealed class ReportFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly bool _created;

    private ReportFile(string what, string path, FileStream stream, bool created)
    {
        What = what;
        Path = path;
        _stream = stream;
        _created = created;
    }

    /// <summary>What the file holds, for messages: "JUnit report", "capture".</summary>
    public string What { get; }

    public string Path { get; }

    /// <summary>
    /// Opens <paramref name="path"/> for writing without truncating it (a run that fails before it writes leaves an
    /// existing file alone), or returns null when no path was given.
    /// </summary>
    /// <exception cref="UsageException">The path cannot be written.</exception>
    public static ReportFile? Open(string option, string? path, string what)
    {
        if (path is null)
        {
            return null;
        }

        if (path.Trim().Length == 0)
        {
            throw new UsageException($"{option}: the file name is empty");
        }

        if (Directory.Exists(path))
        {
            throw new UsageException($"{option} '{path}': is a directory, not a file");
        }

        bool existed = File.Exists(path);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
            return new ReportFile(what, path, stream, created: !existed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UsageException($"{option} '{path}': cannot write the {what} there ({Files.Describe(ex)})");
        }
    }

    /// <summary>
    /// Replaces the file's content with what <paramref name="write"/> writes; false, with one line on
    /// <paramref name="errors"/>, when that fails (a full disk, an I/O error).
    /// </summary>
    public bool TryWrite(Action<Stream> write, TextWriter errors)
    {
        try
        {
            // A regular file is replaced; a device or pipe (/dev/stdout, /dev/full) is only written to.
            if (_stream.CanSeek && _stream.Length > 0)
            {
                _stream.SetLength(0);
            }

            write(_stream);
            _stream.Flush();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            errors.WriteLine($"rdphs: cannot write the {What} to {Path}: {Files.Describe(ex)}");
            return false;
        }
    }

    /// <summary>Nothing is to be written after all: a file that this run created is removed again.</summary>
    public void Discard()
    {
        Dispose();
        if (_created)
        {
            try
            {
                File.Delete(Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // It stays, empty: nothing was promised in it.
            }
        }
    }

    public void Dispose()
    {
        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // Flushing on close failed: TryWrite has already said so.
        }
    }
}
