using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Clients;

/// <summary>Where a profile value comes from: a document or code location, or an assumption and why it was made.</summary>
/// <param name="Source">The URL, document or file that states the value; null for an assumption.</param>
/// <param name="Assumption">True when no source states the value.</param>
/// <param name="Why">For an assumption, what it rests on.</param>
public sealed record ProfileSource(string? Source, bool Assumption, string? Why)
{
    public override string ToString() => Assumption ? $"assumption: {Why}" : Source ?? string.Empty;
}

/// <summary>What a client does with a server certificate it cannot verify.</summary>
public enum CertificateBehaviour
{
    /// <summary>Asks the user, who may go on (mstsc, FreeRDP 3).</summary>
    Prompt,

    /// <summary>Accepts it without asking (xfreerdp /cert:ignore, rdphs).</summary>
    Ignore,

    /// <summary>Ends the connection.</summary>
    Refuse,
}

/// <summary>
/// What one RDP client offers and refuses, as data (one JSON file per client under <c>Clients/profiles</c>, compiled
/// into the engine): the X.224 request, the TLS ClientHello, the minimum key sizes and refused certificate hashes,
/// CredSSP, Standard RDP Security. Every value carries its <see cref="Sources"/> entry. docs/clients.md lists them.
/// </summary>
public sealed record ClientProfile
{
    /// <summary>The name <c>--client</c> takes: <c>mstsc-win11</c>, <c>freerdp3</c>, ...</summary>
    public required string Name { get; init; }

    /// <summary>Which client and settings the profile describes.</summary>
    public required string Client { get; init; }

    /// <summary><c>mstsc</c>, <c>freerdp</c>, <c>msrdc</c> or <c>rdphs</c>: mstsc profiles get mstsc codes.</summary>
    public required string Family { get; init; }

    public required SecurityProtocols RequestedProtocols { get; init; }

    /// <summary>TLS versions offered, newest first.</summary>
    public required IReadOnlyList<TlsVersion> TlsVersions { get; init; }

    /// <summary>
    /// The oldest TLS version the client goes on with once the server chose it. It can be newer than the oldest it
    /// offers: OpenSSL 3 at security level 1 offers TLS 1.0 and then refuses it.
    /// </summary>
    public required TlsVersion MinTlsVersion { get; init; }

    /// <summary>Cipher suites in the client's order; empty for rdphs's defaults.</summary>
    public required IReadOnlyList<int> CipherSuites { get; init; }

    /// <summary>Named groups in the client's order; empty for the TLS library's defaults.</summary>
    public required IReadOnlyList<int> Groups { get; init; }

    /// <summary>Signature schemes in the client's order; empty for the TLS library's defaults.</summary>
    public required IReadOnlyList<int> SignatureAlgorithms { get; init; }

    /// <summary>The smallest RSA key the client accepts in a server certificate (0: any).</summary>
    public required int MinRsaBits { get; init; }

    /// <summary>The smallest finite-field Diffie-Hellman group the client accepts (0: any).</summary>
    public required int MinDhBits { get; init; }

    /// <summary>The OpenSSL security level the client sets, or null for a client that is not built on OpenSSL.</summary>
    public int? SecurityLevel { get; init; }

    /// <summary>Hashes (<c>md5</c>, <c>sha1</c>) whose certificate signatures the client refuses.</summary>
    public required IReadOnlyList<string> RefusedCertificateHashes { get; init; }

    /// <summary>The TSRequest version the client sends.</summary>
    public required int CredSspVersion { get; init; }

    /// <summary>True when the client refuses a server whose CredSSP predates the nonce binding (version 5, CVE-2018-0886).</summary>
    public required bool RequiresNonceBinding { get; init; }

    /// <summary><c>negotiate</c> (Kerberos, else NTLM) or <c>ntlm</c>.</summary>
    public required string Authentication { get; init; }

    /// <summary>Standard RDP Security methods the client accepts (<c>40bit</c>, <c>56bit</c>, <c>128bit</c>, <c>fips</c>); empty when it refuses Standard RDP Security.</summary>
    public required IReadOnlyList<string> StandardSecurity { get; init; }

    public required CertificateBehaviour Certificate { get; init; }

    public required bool EarlyUserAuthorization { get; init; }

    /// <summary>Where each value comes from, by the profile file's key (<c>tlsVersions</c>, <c>minRsaBits</c>, ...).</summary>
    public required IReadOnlyDictionary<string, ProfileSource> Sources { get; init; }

    /// <summary>What the client shows when it fails, by kind: <c>tls</c>, <c>certificate</c>, <c>credssp</c>, <c>standard-security</c>, <c>protocol</c>.</summary>
    public required IReadOnlyDictionary<string, string> Messages { get; init; }

    /// <summary>True for mstsc profiles: their failures carry mstsc codes.</summary>
    public bool IsMstsc => Family == "mstsc";

    /// <summary>The CS_SECURITY encryptionMethods the client sends (MS-RDPBCGR 2.2.1.3.3).</summary>
    public uint EncryptionMethods => StandardSecurity.Count == 0 ? 0x1Bu : StandardSecurity.Aggregate(0u, (bits, method) => bits | MethodBit(method));

    /// <summary>The ClientHello the client sends (the SNI is the engine's to fill in).</summary>
    public TlsOffer Offer => new()
    {
        Versions = TlsVersions,
        CipherSuites = CipherSuites.Count == 0 ? null : CipherSuites,
        NamedGroups = Groups.Count == 0 ? null : Groups,
        SignatureSchemes = SignatureAlgorithms.Count == 0 ? null : SignatureAlgorithms,
    };

    /// <summary>
    /// What decides the server's answers to this client: two profiles with the same key send the same bytes up to the
    /// point the engine goes to, so one connection answers for both.
    /// </summary>
    public string OfferKey => string.Join('/',
        (uint)RequestedProtocols,
        string.Join(',', TlsVersions.Select(v => (int)v)),
        string.Join(',', CipherSuites),
        string.Join(',', Groups),
        string.Join(',', SignatureAlgorithms),
        CredSspVersion,
        EncryptionMethods);

    /// <summary>The probe options that offer what this client offers, on top of <paramref name="options"/>.</summary>
    public ProbeOptions Apply(ProbeOptions options) => options with
    {
        Negotiation = options.Negotiation with { RequestedProtocols = RequestedProtocols },
        Tls = Offer with { ServerName = options.Tls.ServerName },
        CredSspVersion = CredSspVersion,
        Session = options.Session with { EncryptionMethods = EncryptionMethods },
    };

    /// <summary>What the client shows for a failure of <paramref name="kind"/>, or a generic line.</summary>
    public string Message(string kind) => Messages.TryGetValue(kind, out string? text) ? text : $"{Name} cannot connect";

    /// <summary>The CS_SECURITY bit of a method name.</summary>
    public static uint MethodBit(string method) => method switch
    {
        "40bit" => 0x01,
        "128bit" => 0x02,
        "56bit" => 0x08,
        "fips" => 0x10,
        _ => 0,
    };

    public override string ToString() => Name;
}
