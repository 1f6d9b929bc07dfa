using System.Collections.Frozen;
using System.Reflection;
using Org.BouncyCastle.Tls;
using RdpHandshake.Protocol.Tls;

namespace RdpHandshake.Tls;

/// <summary>Names for TLS constants, as the RFCs and IANA registries spell them.</summary>
public static class TlsNames
{
    private static readonly FrozenDictionary<int, string> CipherSuiteNames = typeof(CipherSuite)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int))
        .GroupBy(f => (int)f.GetRawConstantValue()!)
        .ToFrozenDictionary(g => g.Key, g => g.First().Name);

    private static readonly FrozenDictionary<string, int> CipherSuitesByName = CipherSuiteNames
        .GroupBy(p => p.Value, StringComparer.OrdinalIgnoreCase)
        .ToFrozenDictionary(g => g.Key, g => g.First().Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>The IANA name of a cipher suite, e.g. <c>TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</c>.</summary>
    public static string CipherSuite(int suite) =>
        CipherSuiteNames.TryGetValue(suite, out string? name) ? name : $"0x{suite:x4}";

    public static bool TryParseCipherSuite(string text, out int suite)
    {
        string trimmed = text.Trim();
        if (CipherSuitesByName.TryGetValue(trimmed, out suite))
        {
            return true;
        }

        return trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(trimmed[2..], System.Globalization.NumberStyles.HexNumber, null, out suite);
    }

    /// <summary><c>TLS 1.2</c>, <c>TLS 1.3</c>, ...</summary>
    public static string Version(TlsVersion? version) => TlsVersionNames.Name(version);

    /// <summary>Short names used on the command line and in JSON: <c>1.0</c> ... <c>1.3</c>.</summary>
    public static string ShortVersion(TlsVersion version) => TlsVersionNames.ShortName(version);

    public static bool TryParseVersion(string text, out TlsVersion version) => TlsVersionNames.TryParse(text, out version);

    /// <summary>The version in BouncyCastle's terms.</summary>
    internal static ProtocolVersion ToLibrary(TlsVersion version) => ProtocolVersion.Get((int)version >> 8, (int)version & 0xFF);

    /// <summary>The version in the protocol's own terms.</summary>
    internal static TlsVersion FromLibrary(ProtocolVersion version) => (TlsVersion)version.FullVersion;

    /// <summary><c>handshake_failure(40)</c> style alert names.</summary>
    public static string Alert(byte description) => $"{AlertName(description)}({description})";

    /// <summary>The registry name of an alert description, e.g. <c>handshake_failure</c>.</summary>
    public static string AlertName(byte description) => AlertDescription.GetName((short)description);

    /// <summary>An alert as the protocol's core describes it.</summary>
    internal static TlsAlert Alert(short level, short description, string? message = null) =>
        new((byte)level, (byte)description, AlertName((byte)description), message);

    public static string NamedGroupName(int group) => NamedGroup.GetName(group) ?? $"0x{group:x4}";

    private static readonly FrozenDictionary<string, int> NamedGroupsByName = Constants(typeof(NamedGroup));

    private static readonly FrozenDictionary<string, int> SignatureSchemesByName = Constants(typeof(SignatureScheme));

    /// <summary>Parses a named group such as <c>x25519</c> or <c>secp256r1</c>, or a 0xHHHH value.</summary>
    public static bool TryParseNamedGroup(string text, out int group) => TryParseConstant(NamedGroupsByName, text, out group);

    /// <summary>Parses a signature scheme such as <c>rsa_pss_rsae_sha256</c>, or a 0xHHHH value.</summary>
    public static bool TryParseSignatureScheme(string text, out int scheme) => TryParseConstant(SignatureSchemesByName, text, out scheme);

    private static FrozenDictionary<string, int> Constants([System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicFields)] Type type) => type
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int))
        .GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase)
        .ToFrozenDictionary(g => g.Key, g => (int)g.First().GetRawConstantValue()!, StringComparer.OrdinalIgnoreCase);

    private static bool TryParseConstant(FrozenDictionary<string, int> table, string text, out int value)
    {
        string trimmed = text.Trim();
        if (table.TryGetValue(trimmed, out value))
        {
            return true;
        }

        return trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(trimmed[2..], System.Globalization.NumberStyles.HexNumber, null, out value);
    }
}
