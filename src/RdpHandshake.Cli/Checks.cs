using System.Text.Json;
using RdpHandshake.Checks;

namespace RdpHandshake.Cli;

/// <summary>Collects the checks of a run from --expect and a --policy file.</summary>
internal static class Checks
{
    public static IReadOnlyList<Expectation> Load(IEnumerable<string> expressions, string? policyPath, string? target)
    {
        var texts = new List<(string Source, string Text)>();
        texts.AddRange(expressions.Select(e => ("--expect", e)));
        if (policyPath is not null)
        {
            texts.AddRange(ReadPolicy(policyPath, target).Select(e => ($"--policy {policyPath}", e)));
        }

        var checks = new List<Expectation>();
        foreach ((string source, string text) in texts)
        {
            if (!Expectation.TryParse(text, out Expectation? check, out string? error))
            {
                throw new UsageException($"{source} {error}");
            }

            checks.Add(check!);
        }

        return checks;
    }

    private static IEnumerable<string> ReadPolicy(string path, string? target)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new UsageException($"--policy '{path}': cannot read it as JSON ({ex.Message})");
        }

        using (document)
        {
            var found = new List<string>();
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new UsageException($"--policy '{path}': expected an object with \"expect\" and/or \"targets\"");
            }

            if (root.TryGetProperty("expect", out JsonElement common))
            {
                found.AddRange(Strings(path, "expect", common));
            }

            if (target is not null && root.TryGetProperty("targets", out JsonElement targets) && targets.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty entry in targets.EnumerateObject())
                {
                    if (string.Equals(entry.Name, target, StringComparison.OrdinalIgnoreCase))
                    {
                        found.AddRange(Strings(path, $"targets.{entry.Name}", entry.Value));
                    }
                }
            }

            return found;
        }
    }

    private static IEnumerable<string> Strings(string path, string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array || element.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new UsageException($"--policy '{path}': \"{name}\" must be an array of strings such as \"tls>=1.2\"");
        }

        return element.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }
}
