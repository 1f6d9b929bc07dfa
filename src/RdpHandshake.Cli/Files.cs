namespace RdpHandshake.Cli;

/// <summary>File errors as short lowercase phrases, without .NET's exception names.</summary>
internal static class Files
{
    private const int NoSpaceLeft = 28; // ENOSPC
    private const int ReadOnlyFileSystem = 30; // EROFS

    /// <summary>What went wrong with a file, e.g. "no such directory", "permission denied", "no space left on device".</summary>
    public static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such directory",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "the path is too long",
        IOException io when (io.HResult & 0xFFFF) == NoSpaceLeft => "no space left on device",
        IOException io when (io.HResult & 0xFFFF) == ReadOnlyFileSystem => "read-only file system",
        _ => Phrase(ex.Message),
    };

    /// <summary>
    /// A system message as a phrase: the path .NET appends (" : '/x/y'") dropped, the first letter lowercase and no
    /// final period, so it chains after "cannot read FILE: ".
    /// </summary>
    private static string Phrase(string message)
    {
        string text = message.Trim();
        int path = text.IndexOf(" : '", StringComparison.Ordinal);
        if (path > 0)
        {
            text = text[..path];
        }

        text = text.TrimEnd('.');
        return text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
    }
}
