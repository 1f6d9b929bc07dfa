using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Tls;

/// <summary>TLS protocol versions by their wire value (RFC 8446 B.1, RFC 5246 E).</summary>
public enum TlsVersion : ushort
{
    Ssl30 = 0x0300,
    Tls10 = 0x0301,
    Tls11 = 0x0302,
    Tls12 = 0x0303,
    Tls13 = 0x0304,
}

/// <summary>Names of <see cref="TlsVersion"/> as reports and the command line spell them.</summary>
public static class TlsVersionNames
{
    /// <summary><c>TLS 1.2</c>, <c>SSL 3.0</c>; an unknown value as <c>0x7f1c</c>.</summary>
    public static string Name(TlsVersion? version) => version switch
    {
        null => "none",
        TlsVersion.Ssl30 => "SSL 3.0",
        TlsVersion.Tls10 => "TLS 1.0",
        TlsVersion.Tls11 => "TLS 1.1",
        TlsVersion.Tls12 => "TLS 1.2",
        TlsVersion.Tls13 => "TLS 1.3",
        { } other => $"0x{(ushort)other:x4}",
    };

    /// <summary><c>1.0</c> ... <c>1.3</c>, as in JSON and on the command line.</summary>
    public static string ShortName(TlsVersion version) => Name(version).Replace("TLS ", string.Empty, StringComparison.Ordinal);

    /// <summary>Parses <c>1.2</c>, <c>tls1.2</c>, <c>TLSv1.2</c> or <c>1</c>.</summary>
    public static bool TryParse(string text, out TlsVersion version)
    {
        TlsVersion? parsed = text.Trim().ToLowerInvariant().Replace("tlsv", string.Empty, StringComparison.Ordinal).Replace("tls", string.Empty, StringComparison.Ordinal).Trim() switch
        {
            "1.0" or "1" => TlsVersion.Tls10,
            "1.1" => TlsVersion.Tls11,
            "1.2" => TlsVersion.Tls12,
            "1.3" => TlsVersion.Tls13,
            _ => null,
        };
        version = parsed ?? default;
        return parsed is not null;
    }

    /// <summary>True for versions deprecated by RFC 8996 (everything before TLS 1.2).</summary>
    public static bool IsDeprecated(TlsVersion version) => version < TlsVersion.Tls12;
}

/// <summary>The handshake milestones in order; each is a step of the timeline.</summary>
public enum TlsMilestone
{
    ClientHello,
    ServerHello,
    Certificate,
    Finished,
}

/// <summary>A TLS alert, as sent or received (RFC 8446 6).</summary>
/// <param name="Level">1 warning, 2 fatal.</param>
/// <param name="Description">The AlertDescription value.</param>
/// <param name="Name">The registry's name of the description, e.g. <c>handshake_failure</c>.</param>
/// <param name="Message">For alerts this side raised: why.</param>
public sealed record TlsAlert(byte Level, byte Description, string Name, string? Message = null)
{
    public const byte Fatal = 2;

    /// <summary>RFC 8446 6.2 protocol_version: no version in common.</summary>
    public const byte ProtocolVersion = 70;

    /// <summary>RFC 8446 6.2 handshake_failure: no acceptable set of parameters.</summary>
    public const byte HandshakeFailure = 40;

    /// <summary>RFC 8446 6.2 insufficient_security: the parameters offered are too weak for the server.</summary>
    public const byte InsufficientSecurity = 71;

    /// <summary><c>handshake_failure(40)</c>.</summary>
    public string DisplayName => $"{Name}({Description})";

    public bool IsFatal => Level == Fatal;
}

public enum TlsFailureKind
{
    /// <summary>The server sent a fatal alert.</summary>
    AlertReceived,

    /// <summary>This side raised a fatal alert (bad record, bad handshake message, a version or suite not offered).</summary>
    AlertRaised,

    /// <summary>The TLS library closed the connection for another reason.</summary>
    Closed,
}

/// <summary>How TLS failed, as the TLS implementation reported it.</summary>
public sealed record TlsFailure(TlsFailureKind Kind, TlsAlert? Alert, string? Message);

/// <summary>What feeding received bytes to a TLS session gave: bytes to send back, and a failure if there was one.</summary>
public readonly record struct TlsReceiveResult(byte[] Output, TlsFailure? Failure);

/// <summary>What a handshake milestone's step says: one line, and its fields (names, the certificate's analysis).</summary>
public sealed record TlsStepReport(string Pdu, string Summary, IReadOnlyList<StepField> Fields);

/// <summary>The record layer of an established TLS connection: records in, application data out, and back.</summary>
public interface ITlsRecordLayer
{
    /// <summary>Feeds received bytes (a whole record); returns what to send back and any failure.</summary>
    TlsReceiveResult Receive(ReadOnlySpan<byte> bytes);

    /// <summary>Protects application data for the peer.</summary>
    byte[] Encrypt(ReadOnlySpan<byte> plaintext);

    /// <summary>Takes the application data decrypted so far.</summary>
    byte[] ReadApplicationData();
}

/// <summary>
/// A sans-IO TLS client, as the connector drives it: records in, records out. The engine implements it over a TLS
/// library, outside the protocol core; the core sees only this. It also says what each milestone means for the
/// timeline, because naming versions and suites and judging certificates is the implementation's knowledge.
/// </summary>
public interface ITlsSession : ITlsRecordLayer
{
    /// <summary>Starts the handshake: the ClientHello to send.</summary>
    byte[] Start();

    /// <summary>The last milestone the handshake reached.</summary>
    TlsMilestone Milestone { get; }

    /// <summary>What the step of <paramref name="milestone"/> shows, once it is reached.</summary>
    TlsStepReport Describe(TlsMilestone milestone);

    /// <summary>The offered versions, as a range for messages: <c>TLS 1.0 to TLS 1.3</c>.</summary>
    string OfferedVersions { get; }

    /// <summary>How many cipher suites the ClientHello offered.</summary>
    int OfferedCipherSuiteCount { get; }

    /// <summary>The version the server chose, by name, or <c>none</c>.</summary>
    string ServerVersion { get; }

    /// <summary>The subjectPublicKey of the server's certificate (the DER RSAPublicKey for RSA), which CredSSP binds; empty before the Certificate.</summary>
    ReadOnlyMemory<byte> ServerPublicKey { get; }

    /// <summary>A certificate finding that the caller's policy makes fatal: its code and text; null when there is none.</summary>
    (string Code, string Text)? PolicyViolation { get; }
}
