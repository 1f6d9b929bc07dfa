using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Protocol.Kerberos;

namespace RdpHandshake.TestServer.Kerberos;

/// <summary>A user of the test KDC's realm: the password its keys come from, and what the KDC holds against it.</summary>
/// <param name="Name">The user's name, one component (<c>alice</c>).</param>
/// <param name="Password">The password; the KDC derives one key per type in <see cref="Etypes"/> from it.</param>
public sealed record KdcUser(string Name, string Password)
{
    /// <summary>The types the KDC holds keys of for this user, in the KDC's preference (a Windows account: AES then RC4).</summary>
    public IReadOnlyList<KerberosEtype> Etypes { get; init; } = KerberosOptions.DefaultEtypes;

    /// <summary>Whether an AS-REQ without PA-ENC-TIMESTAMP is answered KDC_ERR_PREAUTH_REQUIRED (every Windows account, MIT's +requires_preauth).</summary>
    public bool RequiresPreauth { get; init; } = true;

    /// <summary>A locked-out, disabled or revoked account: KDC_ERR_CLIENT_REVOKED, before the password is looked at.</summary>
    public bool Locked { get; init; }

    /// <summary>An account past its expiry: KDC_ERR_NAME_EXP (MIT's answer; Windows says CLIENT_REVOKED with STATUS_ACCOUNT_EXPIRED).</summary>
    public bool AccountExpired { get; init; }

    /// <summary>A password that must be changed: KDC_ERR_KEY_EXPIRED once the pre-authentication proved the password (as Windows does).</summary>
    public bool PasswordExpired { get; init; }

    /// <summary>When the password expires, sent as the AS-REP's key-expiration; null to send none.</summary>
    public DateTimeOffset? PasswordExpires { get; init; }

    /// <summary>
    /// An NTSTATUS added to every KRB-ERROR about this user as an MS-KILE 2.2.1 KERB-EXT-ERROR: in the METHOD-DATA's
    /// PA-PW-SALT when the error carries METHOD-DATA, else in a KERB-ERROR-DATA of type KERB_ERR_TYPE_EXTENDED (2.2.2).
    /// </summary>
    public uint? ExtendedError { get; init; }

    /// <summary>The salt of the user's AES keys, announced in ETYPE-INFO2; null for RFC 4120 4's default, realm then name (<c>RDPHS.TESTalice</c>).</summary>
    public string? Salt { get; init; }

    /// <summary>
    /// The PBKDF2 iteration count announced in ETYPE-INFO2 as s2kparams (RFC 3962 4); null to announce none (the
    /// default count). The KDC derives its keys with it when the count is usable, else with the default.
    /// </summary>
    public uint? Iterations { get; init; }

    /// <summary>The password never reaches a log or a message: the text form leaves it out.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Name = {Name}, Etypes = [{string.Join(", ", Etypes.Select(e => e.RfcName()))}], RequiresPreauth = {RequiresPreauth}, Locked = {Locked}, ");
        builder.Append($"AccountExpired = {AccountExpired}, PasswordExpired = {PasswordExpired}, ExtendedError = {ExtendedError}, Salt = {Salt}, Iterations = {Iterations}");
        return true;
    }
}

/// <summary>A service principal of the test KDC's realm, e.g. <c>TERMSRV/localhost</c>: its keys are random, of the types listed.</summary>
/// <param name="Spn">The service principal name, components separated by <c>/</c>, without a realm.</param>
public sealed record KdcService(string Spn)
{
    /// <summary>The types the service has keys of, its preference first: the ticket is encrypted with the first the KDC allows.</summary>
    public IReadOnlyList<KerberosEtype> Etypes { get; init; } = KerberosOptions.DefaultEtypes;

    /// <summary>The key version number written into tickets for the service.</summary>
    public uint Kvno { get; init; } = 2;
}

/// <summary>Which request a <see cref="KdcFault"/> applies to.</summary>
public enum KdcRequestKind
{
    /// <summary>An AS-REQ (RFC 4120 3.1), with or without pre-authentication.</summary>
    As,

    /// <summary>A TGS-REQ (RFC 4120 3.3).</summary>
    Tgs,
}

/// <summary>What the test KDC does wrong instead of answering correctly.</summary>
public enum KdcFaultKind
{
    /// <summary>Read the request and never answer; keep the connection open.</summary>
    Stall,

    /// <summary>Send the correct answer one byte at a time, <see cref="KdcFault.DripInterval"/> apart (TCP only).</summary>
    Drip,

    /// <summary>Close the connection (FIN) without answering (TCP only).</summary>
    Close,

    /// <summary>Reset the connection (RST) without answering (TCP only).</summary>
    Reset,

    /// <summary>
    /// Answer with random bytes: on TCP without a length prefix (the first byte has its high bit set, so the prefix it
    /// stands in for is one RFC 4120 7.2.2 reserves), on UDP as the datagram.
    /// </summary>
    Garbage,

    /// <summary>Answer with random bytes behind a correct four-byte length prefix (TCP only).</summary>
    GarbageFramed,

    /// <summary>Answer with the length prefix 0x7FFFFFFF, 2 GB, then the answer (TCP only).</summary>
    HugeLength,

    /// <summary>Send the first half of the answer, then close (on UDP: half the datagram).</summary>
    Truncated,

    /// <summary>Answer on TCP without the length prefix, as a KDC that mixes up its transports would.</summary>
    Unframed,

    /// <summary>Answer KRB_ERR_RESPONSE_TOO_BIG on UDP whatever the size (RFC 4120 7.2.1), so that the client asks again over TCP.</summary>
    ResponseTooBig,

    /// <summary>Answer with an encrypted part whose nonce is not the request's (a replayed reply).</summary>
    WrongNonce,

    /// <summary>Encrypt the reply's part with a random key instead of the client's (or the TGT session) key.</summary>
    WrongKey,

    /// <summary>Answer for another principal than the one asked for (the encrypted part names <c>TERMSRV/elsewhere</c>).</summary>
    OtherPrincipal,
}

/// <summary>A fault of the test KDC: what goes wrong, for which request, on which transport.</summary>
/// <param name="Kind">What goes wrong.</param>
/// <param name="Request">The request it applies to; null for every request.</param>
/// <param name="Transport">The transport it applies on; null for both (a fault that cannot happen on one never does there).</param>
public sealed record KdcFault(KdcFaultKind Kind, KdcRequestKind? Request = null, Protocol.CredSsp.KdcTransport? Transport = null)
{
    /// <summary>The time between two bytes of a <see cref="KdcFaultKind.Drip"/>.</summary>
    public TimeSpan DripInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many matching requests are answered correctly before the fault strikes (1: the pre-authenticated AS-REQ).</summary>
    public int Skip { get; init; }

    /// <summary>Whether the fault is the host's (what goes on the wire) rather than the KDC's (what the reply says).</summary>
    public bool OnTheWire => Kind is not (KdcFaultKind.ResponseTooBig or KdcFaultKind.WrongNonce or KdcFaultKind.WrongKey or KdcFaultKind.OtherPrincipal);

    /// <summary>Whether the fault can happen on <paramref name="transport"/>: a stream's faults do not exist for datagrams, RESPONSE_TOO_BIG only does.</summary>
    public bool AppliesOn(Protocol.CredSsp.KdcTransport transport) => (Transport is null || Transport == transport) && (transport == Protocol.CredSsp.KdcTransport.Tcp
        ? Kind != KdcFaultKind.ResponseTooBig
        : Kind is not (KdcFaultKind.Drip or KdcFaultKind.Close or KdcFaultKind.Reset or KdcFaultKind.GarbageFramed or KdcFaultKind.HugeLength or KdcFaultKind.Unframed));

    /// <summary>Parses <c>[as:|tgs:]KIND[/tcp|/udp]</c>, e.g. <c>as:stall</c>, <c>tgs:wrong-nonce</c>, <c>too-big/udp</c>.</summary>
    public static bool TryParse(string text, out KdcFault? fault, out string? error)
    {
        fault = null;
        string rest = text.Trim();
        KdcRequestKind? request = null;
        int colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            string at = rest[..colon];
            request = at.ToLowerInvariant() switch
            {
                "as" => KdcRequestKind.As,
                "tgs" => KdcRequestKind.Tgs,
                _ => null,
            };
            if (request is null)
            {
                error = $"'{text}': the request must be as or tgs, not '{at}'";
                return false;
            }

            rest = rest[(colon + 1)..];
        }

        Protocol.CredSsp.KdcTransport? transport = null;
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            string on = rest[(slash + 1)..];
            transport = on.ToLowerInvariant() switch
            {
                "tcp" => Protocol.CredSsp.KdcTransport.Tcp,
                "udp" => Protocol.CredSsp.KdcTransport.Udp,
                _ => null,
            };
            if (transport is null)
            {
                error = $"'{text}': the transport must be tcp or udp, not '{on}'";
                return false;
            }

            rest = rest[..slash];
        }

        KdcFaultKind? kind = Enum.GetValues<KdcFaultKind>().Cast<KdcFaultKind?>().FirstOrDefault(k => Name(k!.Value) == rest.ToLowerInvariant());
        if (kind is null)
        {
            error = $"'{text}': unknown fault '{rest}' (known: {string.Join(", ", Enum.GetValues<KdcFaultKind>().Select(Name))})";
            return false;
        }

        fault = new KdcFault(kind.Value, request, transport);
        error = null;
        return true;
    }

    /// <summary>The fault's name as <see cref="TryParse"/> reads it: <c>stall</c>, <c>garbage-framed</c>, <c>too-big</c>.</summary>
    public static string Name(KdcFaultKind kind) => kind switch
    {
        KdcFaultKind.Stall => "stall",
        KdcFaultKind.Drip => "drip",
        KdcFaultKind.Close => "close",
        KdcFaultKind.Reset => "reset",
        KdcFaultKind.Garbage => "garbage",
        KdcFaultKind.GarbageFramed => "garbage-framed",
        KdcFaultKind.HugeLength => "huge-length",
        KdcFaultKind.Truncated => "truncated",
        KdcFaultKind.Unframed => "unframed",
        KdcFaultKind.ResponseTooBig => "too-big",
        KdcFaultKind.WrongNonce => "wrong-nonce",
        KdcFaultKind.WrongKey => "wrong-key",
        KdcFaultKind.OtherPrincipal => "other-principal",
    };

    public override string ToString()
    {
        string request = Request switch { KdcRequestKind.As => "as:", KdcRequestKind.Tgs => "tgs:", null => string.Empty };
        string transport = Transport switch { Protocol.CredSsp.KdcTransport.Tcp => "/tcp", Protocol.CredSsp.KdcTransport.Udp => "/udp", null => string.Empty };
        return $"{request}{Name(Kind)}{transport}";
    }
}

/// <summary>How the test KDC behaves: its realm, principals, encryption types, clock, referrals and faults.</summary>
public sealed record TestKdcOptions
{
    /// <summary>The realm the KDC serves, upper case.</summary>
    public string Realm { get; init; } = "RDPHS.TEST";

    /// <summary>The users (by default alice, with the test server's password Test-Password-1).</summary>
    public IReadOnlyList<KdcUser> Users { get; init; } = [new("alice", "Test-Password-1")];

    /// <summary>
    /// The service principals (by default TERMSRV/localhost). An SPN listed twice is registered on two accounts: a
    /// TGS-REQ for it is answered KDC_ERR_PRINCIPAL_NOT_UNIQUE.
    /// </summary>
    public IReadOnlyList<KdcService> Services { get; init; } = [new("TERMSRV/localhost")];

    /// <summary>The encryption types the KDC allows at all, for every key it uses or issues.</summary>
    public IReadOnlyList<KerberosEtype> AllowedEtypes { get; init; } = KerberosOptions.DefaultEtypes;

    /// <summary>How far the KDC's clock is from the machine's: positive when ahead. Errors carry the KDC's time as stime.</summary>
    public TimeSpan ClockOffset { get; init; }

    /// <summary>The largest clock difference accepted in a timestamp or authenticator (RFC 4120 10: five minutes by default).</summary>
    public TimeSpan MaxSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Service principals this KDC does not hold but refers on (RFC 6806 8): SPN to the realm a referral TGT is issued for.</summary>
    public IReadOnlyDictionary<string, string> Referrals { get; init; } = new Dictionary<string, string>();

    /// <summary>Users this KDC answers KDC_ERR_WRONG_REALM for, naming their realm in crealm (RFC 6806 7, a client referral): user to realm.</summary>
    public IReadOnlyDictionary<string, string> ClientReferrals { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The largest reply sent over UDP: a bigger one is answered KRB_ERR_RESPONSE_TOO_BIG (RFC 4120 7.2.1), as a Windows
    /// KDC does above 1465 bytes (MaxDatagramReplySize). Null for no limit.
    /// </summary>
    public int? MaxDatagramReplySize { get; init; }

    /// <summary>
    /// The size of an opaque PAC put into every ticket (in AD-IF-RELEVANT, as AD-WIN2K-PAC, MS-PAC): Windows tickets
    /// carry one of a few KiB, which is what makes their replies too big for UDP. 0 for none. The bytes are random, not
    /// a PAC a server could parse or verify: it sizes the replies, nothing more.
    /// </summary>
    public int PacSize { get; init; }

    /// <summary>The tag of the AS-REP's encrypted part: EncTGSRepPart [26] as MIT and Windows KDCs send it, or EncASRepPart [25] as RFC 4120 assigns.</summary>
    public EncKdcRepPartTag AsRepPartTag { get; init; } = EncKdcRepPartTag.EncTgsRepPart;

    /// <summary>The e-text sent with an error (MIT's for pre-authentication; a Windows KDC sends none); an error not listed gets none.</summary>
    public IReadOnlyDictionary<KerberosErrorCode, string> ETexts { get; init; } = new Dictionary<KerberosErrorCode, string>
    {
        [KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED] = "NEEDED_PREAUTH",
        [KerberosErrorCode.KDC_ERR_PREAUTH_FAILED] = "PREAUTH_FAILED",
    };

    /// <summary>What goes wrong: the KDC applies the faults about what a reply says, <see cref="TestKdcHost"/> those about the wire.</summary>
    public IReadOnlyList<KdcFault> Faults { get; init; } = [];

    /// <summary>The machine's clock, which <see cref="ClockOffset"/> shifts; the system clock by default.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
