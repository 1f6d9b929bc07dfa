using System.Text.Json;
using RdpHandshake.Checks;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RdpHandshake.Cli;

/// <summary>
/// Collects the checks of a run from --expect and a --policy file, and checks all of them before anything is sent: a
/// check that cannot parse, an unknown key in the policy or a policy with no entry for the target is bad usage.
/// </summary>
internal static class Checks
{
    /// <param name="expressions">The --expect values.</param>
    /// <param name="policyPath">The --policy file, or null.</param>
    /// <param name="target">The target as given, or null for the built-in test server.</param>
    public static IReadOnlyList<Expectation> Load(IEnumerable<string> expressions, string? policyPath, string? target)
    {
        var texts = new List<(string Source, string Text)>();
        texts.AddRange(expressions.Select(e => ("--expect", e)));
        if (policyPath is not null)
        {
            Policy policy = ReadPolicy(policyPath);
            texts.AddRange(policy.Expect.Select(e => ($"--policy {policyPath}", e)));
            texts.AddRange(ForTarget(policyPath, policy, target).Select(e => ($"--policy {policyPath}", e)));
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

    /// <summary>A policy file: checks for every target, and checks per target (keyed HOST or HOST:PORT, as written).</summary>
    private sealed record Policy(IReadOnlyList<string> Expect, IReadOnlyList<(string Key, IReadOnlyList<string> Checks)> Targets);

    /// <summary>
    /// The checks of the policy's <c>targets</c> entry for <paramref name="target"/>, compared as host (any case) and port
    /// (3389 when not written). A policy with targets of which none matches is refused: its checks would silently not run.
    /// </summary>
    private static IEnumerable<string> ForTarget(string path, Policy policy, string? target)
    {
        if (policy.Targets.Count == 0)
        {
            return [];
        }

        string listed = string.Join(", ", policy.Targets.Select(t => t.Key));
        if (target is null)
        {
            throw new UsageException($"--policy '{path}': its \"targets\" ({listed}) cannot match the built-in test server; give the target to probe");
        }

        ProbeTarget? probed = ProbeTarget.TryParse(target, out ProbeTarget? parsed, out _) ? parsed : null;
        var found = new List<string>();
        bool matched = false;
        foreach ((string key, IReadOnlyList<string> checks) in policy.Targets)
        {
            if (!ProbeTarget.TryParse(key, out ProbeTarget? entry, out string? error))
            {
                throw new UsageException($"--policy '{path}': \"targets\" key {error}");
            }

            if (probed is not null && string.Equals(entry!.Host, probed.Host, StringComparison.OrdinalIgnoreCase) && entry.Port == probed.Port)
            {
                matched = true;
                found.AddRange(checks);
            }
        }

        return matched ? found : throw new UsageException($"--policy '{path}': no entry of \"targets\" matches {probed?.ToString() ?? target} (the policy has: {listed})");
    }

    private static Policy ReadPolicy(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml" ? ReadYamlPolicy(path) : ReadJsonPolicy(path);

    /// <summary>
    /// The same policy in YAML: a mapping with <c>expect</c> (a sequence of checks) and <c>targets</c> (a
    /// mapping from host:port to a sequence of checks). Read with YamlDotNet's node model, no reflection.
    /// </summary>
    private static Policy ReadYamlPolicy(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new UsageException($"--policy '{path}': cannot read it as YAML ({ex.Message})");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--policy '{path}': cannot read it ({Files.Describe(ex)})");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new UsageException($"--policy '{path}': expected one YAML mapping with \"expect\" and/or \"targets\"");
        }

        IReadOnlyList<string> expect = [];
        var targets = new List<(string, IReadOnlyList<string>)>();
        foreach ((YamlNode key, YamlNode value) in root.Children)
        {
            string name = (key as YamlScalarNode)?.Value ?? string.Empty;
            if (name == "expect")
            {
                expect = YamlStrings(path, "expect", value);
            }
            else if (name == "targets")
            {
                if (value is not YamlMappingNode entries)
                {
                    throw new UsageException($"--policy '{path}': \"targets\" must map HOST:PORT to a list of checks");
                }

                foreach ((YamlNode targetKey, YamlNode checks) in entries.Children)
                {
                    string host = (targetKey as YamlScalarNode)?.Value ?? string.Empty;
                    targets.Add((host, YamlStrings(path, $"targets.{host}", checks)));
                }
            }
            else
            {
                throw new UsageException($"--policy '{path}': unknown key \"{name}\" (known: expect, targets)");
            }
        }

        return new Policy(expect, targets);
    }

    private static IReadOnlyList<string> YamlStrings(string path, string name, YamlNode node)
    {
        if (node is not YamlSequenceNode sequence || sequence.Children.Any(c => c is not YamlScalarNode { Value: not null }))
        {
            throw new UsageException($"--policy '{path}': \"{name}\" must be a list of checks such as \"tls>=1.2\"");
        }

        return sequence.Children.Select(c => ((YamlScalarNode)c).Value!).ToArray();
    }

    private static Policy ReadJsonPolicy(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new UsageException($"--policy '{path}': cannot read it as JSON ({ex.Message})");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--policy '{path}': cannot read it ({Files.Describe(ex)})");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new UsageException($"--policy '{path}': expected an object with \"expect\" and/or \"targets\"");
            }

            IReadOnlyList<string> expect = [];
            var targets = new List<(string, IReadOnlyList<string>)>();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "expect":
                        expect = Strings(path, "expect", property.Value);
                        break;
                    case "targets" when property.Value.ValueKind == JsonValueKind.Object:
                        targets.AddRange(property.Value.EnumerateObject().Select(entry => (entry.Name, Strings(path, $"targets.{entry.Name}", entry.Value))));
                        break;
                    case "targets":
                        throw new UsageException($"--policy '{path}': \"targets\" must be an object mapping HOST:PORT to a list of checks");
                    default:
                        throw new UsageException($"--policy '{path}': unknown key \"{property.Name}\" (known: expect, targets)");
                }
            }

            return new Policy(expect, targets);
        }
    }

    private static IReadOnlyList<string> Strings(string path, string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array || element.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new UsageException($"--policy '{path}': \"{name}\" must be an array of strings such as \"tls>=1.2\"");
        }

        return element.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }
}
