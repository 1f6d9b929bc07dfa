using System.Text.Json;
using RdpHandshake.Checks;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

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

    private static IEnumerable<string> ReadPolicy(string path, string? target) =>
        Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml" ? ReadYamlPolicy(path, target) : ReadJsonPolicy(path, target);

    /// <summary>
    /// The same policy in YAML: a mapping with <c>expect</c> (a sequence of checks) and <c>targets</c> (a
    /// mapping from host:port to a sequence of checks). Read with YamlDotNet's node model, no reflection.
    /// </summary>
    private static IEnumerable<string> ReadYamlPolicy(string path, string? target)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or YamlException)
        {
            throw new UsageException($"--policy '{path}': cannot read it as YAML ({ex.Message})");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new UsageException($"--policy '{path}': expected one YAML mapping with \"expect\" and/or \"targets\"");
        }

        var found = new List<string>();
        foreach ((YamlNode key, YamlNode value) in root.Children)
        {
            string name = (key as YamlScalarNode)?.Value ?? string.Empty;
            if (name == "expect")
            {
                found.AddRange(YamlStrings(path, "expect", value));
            }
            else if (name == "targets" && target is not null && value is YamlMappingNode targets)
            {
                foreach ((YamlNode targetKey, YamlNode checks) in targets.Children)
                {
                    if (string.Equals((targetKey as YamlScalarNode)?.Value, target, StringComparison.OrdinalIgnoreCase))
                    {
                        found.AddRange(YamlStrings(path, $"targets.{target}", checks));
                    }
                }
            }
            else if (name is not ("expect" or "targets"))
            {
                throw new UsageException($"--policy '{path}': unknown key \"{name}\" (known: expect, targets)");
            }
        }

        return found;
    }

    private static IEnumerable<string> YamlStrings(string path, string name, YamlNode node)
    {
        if (node is not YamlSequenceNode sequence || sequence.Children.Any(c => c is not YamlScalarNode { Value: not null }))
        {
            throw new UsageException($"--policy '{path}': \"{name}\" must be a list of checks such as \"tls>=1.2\"");
        }

        return sequence.Children.Select(c => ((YamlScalarNode)c).Value!).ToArray();
    }

    private static IEnumerable<string> ReadJsonPolicy(string path, string? target)
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
