using RdpHandshake.Diagnostics;

namespace RdpHandshake.Tests;

/// <summary>The parts of the docs that are generated from code, checked against it.</summary>
public sealed class DocsTests
{
    private const string Begin = "<!-- causes: generated from DiagnosisCatalog.MarkdownTable() -->\n";
    private const string End = "<!-- end of causes -->";

    [Fact]
    public void The_cause_table_of_the_report_format_is_the_catalogues()
    {
        string path = Path.Combine(ArchitectureTests.FindRepositoryRoot(), "docs", "report-format.md");
        string docs = File.ReadAllText(path).ReplaceLineEndings("\n");
        int start = docs.IndexOf(Begin, StringComparison.Ordinal);
        int end = docs.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{path} has no generated cause table between its markers");

        string current = docs[(start + Begin.Length)..end];
        string generated = DiagnosisCatalog.MarkdownTable();
        if (Environment.GetEnvironmentVariable("RDPHS_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, docs[..(start + Begin.Length)] + generated + docs[end..]);
            return;
        }

        Assert.True(current == generated,
            "docs/report-format.md's cause table is stale: run RDPHS_UPDATE_DOCS=1 dotnet test --project tests/RdpHandshake.Tests --filter-class '*DocsTests'");
    }
}

/// <summary>docs/clients.md's profile tables, generated from the profile files.</summary>
public sealed class ClientDocsTests
{
    private const string Begin = "<!-- profiles: generated from ClientProfileDocs.Markdown() -->\n";
    private const string End = "<!-- end of profiles -->";

    [Fact]
    public void The_client_profile_tables_are_the_profiles()
    {
        string path = Path.Combine(ArchitectureTests.FindRepositoryRoot(), "docs", "clients.md");
        string docs = File.ReadAllText(path).ReplaceLineEndings("\n");
        int start = docs.IndexOf(Begin, StringComparison.Ordinal);
        int end = docs.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{path} has no generated profile tables between its markers");

        string generated = RdpHandshake.Clients.ClientProfileDocs.Markdown();
        if (Environment.GetEnvironmentVariable("RDPHS_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, docs[..(start + Begin.Length)] + generated + docs[end..]);
            return;
        }

        Assert.True(docs[(start + Begin.Length)..end] == generated,
            "docs/clients.md is stale: run RDPHS_UPDATE_DOCS=1 dotnet test --project tests/RdpHandshake.Tests --filter-class '*DocsTests'");
    }
}
