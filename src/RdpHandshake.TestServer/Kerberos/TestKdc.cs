using System.Security.Cryptography;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;

namespace RdpHandshake.TestServer.Kerberos;

/// <summary>What the test KDC answered one request with.</summary>
/// <param name="Kind">The request, when it decoded as one.</param>
/// <param name="Transport">How it came.</param>
/// <param name="Client">The client named (the AS-REQ's cname, the TGT's client), <c>alice@RDPHS.TEST</c>; null when none.</param>
/// <param name="Service">The principal asked for, <c>TERMSRV/localhost</c>; null when none.</param>
/// <param name="Error">The KRB-ERROR's code, or null for an AS-REP or TGS-REP.</param>
/// <param name="Fault">The fault applied to the reply, if any.</param>
public sealed record KdcAnswerRecord(KdcRequestKind? Kind, KdcTransport Transport, string? Client, string? Service, KerberosErrorCode? Error, KdcFault? Fault)
{
    /// <summary>The request as it came (without the TCP length prefix): a test looks for its encrypted parts where they must not be.</summary>
    public byte[] Request { get; init; } = [];

    /// <summary>The reply as the KDC made it, before any wire fault.</summary>
    public byte[] Reply { get; init; } = [];
}

/// <summary>A ticket the test KDC issued, with what a test needs to look inside it: its session key and its bytes.</summary>
/// <param name="Kind">The exchange that issued it: a TGT (or a referral TGT) from AS or TGS, a service ticket from TGS.</param>
/// <param name="Client">The client, <c>alice@RDPHS.TEST</c>.</param>
/// <param name="Server">The ticket's server principal, <c>krbtgt/RDPHS.TEST@RDPHS.TEST</c>.</param>
/// <param name="SessionKey">The session key, in the ticket and in the reply's encrypted part.</param>
/// <param name="Ticket">The ticket as sent.</param>
public sealed record IssuedTicket(KdcRequestKind Kind, string Client, string Server, EncryptionKey SessionKey, Ticket Ticket);

/// <summary>
/// A KDC for one realm, sans IO: a request's bytes in, the reply's bytes out (<see cref="Answer"/>), answering as RFC
/// 4120 has a KDC answer and as MIT's and Windows' do where RFC 4120 leaves a choice: the AS exchange with
/// pre-authentication by encrypted timestamp (KDC_ERR_PREAUTH_REQUIRED with ETYPE-INFO2, then the AS-REP), the TGS
/// exchange checking the TGT, the authenticator and its checksum over the request body, referrals (RFC 6806), and the
/// errors a real KDC gives for unknown or duplicated principals, locked or expired accounts, a wrong password, no
/// common encryption type and skewed clocks. Tickets are real: an <see cref="EncTicketPart"/> under the krbtgt or
/// service key, which <see cref="ServiceKey"/> and <see cref="TryReadTicket"/> open for tests.
/// </summary>
/// <remarks>
/// Built only from the project's own Kerberos codecs and ciphers. Thread-safe: <see cref="TestKdcHost"/> answers
/// requests from several connections at once. What a reply says can be made wrong with <see cref="TestKdcOptions.Faults"/>;
/// what goes on the wire is the host's.
/// </remarks>
public sealed class TestKdc
{
    /// <summary>The lifetime of the tickets issued (as a default MIT or Windows KDC: ten hours), renewable for seven days.</summary>
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromHours(10);

    private static readonly TimeSpan RenewLifetime = TimeSpan.FromDays(7);

    /// <summary>The principal an <see cref="KdcFaultKind.OtherPrincipal"/> reply is for.</summary>
    public static readonly PrincipalName OtherPrincipal = PrincipalName.TermSrv("elsewhere");

    /// <summary>MS-PAC / RFC 4120 7.5.4: AD-IF-RELEVANT (1) holding AD-WIN2K-PAC (128).</summary>
    private const int AdIfRelevant = 1;

    private const int AdWin2kPac = 128;

    private readonly object _gate = new();
    private readonly Dictionary<string, Dictionary<KerberosEtype, byte[]>> _userKeys = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(PrincipalName Name, KdcService Service, Dictionary<KerberosEtype, byte[]> Keys)> _services = [];
    private readonly Dictionary<string, EncryptionKey> _outgoingTrust = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, EncryptionKey> _incomingTrust = new(StringComparer.OrdinalIgnoreCase);
    private readonly int[] _faultMatches;
    private readonly List<KdcAnswerRecord> _answers = [];
    private readonly List<IssuedTicket> _issued = [];

    public TestKdc(TestKdcOptions? options = null)
    {
        Options = options ?? new TestKdcOptions();
        _faultMatches = new int[Options.Faults.Count];
        foreach (KdcUser user in Options.Users)
        {
            var keys = new Dictionary<KerberosEtype, byte[]>();
            byte[] salt = System.Text.Encoding.UTF8.GetBytes(SaltOf(user));
            byte[] parameters = user.Iterations is { } count ? IterationCount(count) : [];
            foreach (KerberosEtype etype in user.Etypes.Distinct())
            {
                KerberosCipher cipher = KerberosCipher.For(etype);
                keys[etype] = cipher.TryStringToKey(user.Password, salt, parameters, out byte[] key) ? key : cipher.StringToKey(user.Password, salt, []);
            }

            _userKeys[user.Name] = keys;
        }

        foreach (KdcService service in Options.Services)
        {
            if (!PrincipalName.TryParseService(service.Spn, out PrincipalName? name))
            {
                throw new ArgumentException($"'{service.Spn}' is not a service principal name (SERVICE/HOST)", nameof(options));
            }

            _services.Add((name!, service, service.Etypes.Distinct().ToDictionary(e => e, KerberosCipher.RandomKey)));
        }

        KerberosEtype krbtgtType = Options.AllowedEtypes.FirstOrDefault(e => e is KerberosEtype.Aes256CtsHmacSha196, Options.AllowedEtypes.Count > 0 ? Options.AllowedEtypes[0] : KerberosEtype.Aes256CtsHmacSha196);
        KrbtgtKey = new EncryptionKey((EncryptionType)krbtgtType, new ByteString(KerberosCipher.RandomKey(krbtgtType)));
    }

    public TestKdcOptions Options { get; }

    public string Realm => Options.Realm;

    /// <summary>The key of krbtgt/REALM, which the TGTs are encrypted with (kvno 1).</summary>
    public EncryptionKey KrbtgtKey { get; }

    /// <summary>Every request answered, in order.</summary>
    public IReadOnlyList<KdcAnswerRecord> Answers
    {
        get
        {
            lock (_gate)
            {
                return [.. _answers];
            }
        }
    }

    /// <summary>Every ticket issued, in order.</summary>
    public IReadOnlyList<IssuedTicket> Issued
    {
        get
        {
            lock (_gate)
            {
                return [.. _issued];
            }
        }
    }

    /// <summary>The key of <paramref name="spn"/> for <paramref name="etype"/>, as the service's keytab holds it.</summary>
    public byte[] ServiceKey(string spn, KerberosEtype etype) =>
        _services.First(s => s.Service.Spn.Equals(spn, StringComparison.OrdinalIgnoreCase)).Keys[etype];

    /// <summary>
    /// The keytab of the services (every key of every service, or of those <paramref name="spns"/> names), as the RDP
    /// server's GSS-API reads it (<see cref="TestServerOptions.KerberosKeytab"/>): the test server then accepts this
    /// KDC's tickets.
    /// </summary>
    public byte[] Keytab(params string[] spns) => Kerberos.Keytab.Encode(
        from s in _services
        where spns.Length == 0 || spns.Any(spn => spn.Equals(s.Service.Spn, StringComparison.OrdinalIgnoreCase))
        from key in s.Keys
        select new KeytabEntry(Realm, s.Name, s.Service.Kvno, new EncryptionKey((EncryptionType)key.Key, new ByteString(key.Value))));

    /// <summary>Writes <see cref="Keytab"/> to <paramref name="path"/>, readable by its owner only, and returns the path.</summary>
    public string WriteKeytab(string path, params string[] spns)
    {
        File.WriteAllBytes(path, Keytab(spns));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    /// <summary>The key the KDC derived from <paramref name="user"/>'s password for <paramref name="etype"/>.</summary>
    public byte[] UserKey(string user, KerberosEtype etype) => _userKeys[user][etype];

    /// <summary>The salt of <paramref name="user"/>'s AES keys: the configured one, else realm then name.</summary>
    public string SaltOf(KdcUser user) => user.Salt ?? Realm + user.Name;

    /// <summary>
    /// Sets up a two-way trust with <paramref name="other"/> (RFC 4120 1.2, 3.3.1): each realm's KDC can issue
    /// referral tickets krbtgt/OTHER@THIS that the other's KDC reads, under a shared random inter-realm key per direction.
    /// </summary>
    public void Trust(TestKdc other)
    {
        lock (_gate)
        {
            lock (other._gate)
            {
                var outgoing = new EncryptionKey(EncryptionType.Aes256CtsHmacSha196, new ByteString(KerberosCipher.RandomKey(KerberosEtype.Aes256CtsHmacSha196)));
                var incoming = new EncryptionKey(EncryptionType.Aes256CtsHmacSha196, new ByteString(KerberosCipher.RandomKey(KerberosEtype.Aes256CtsHmacSha196)));
                _outgoingTrust[other.Realm] = outgoing;
                other._incomingTrust[Realm] = outgoing;
                other._outgoingTrust[Realm] = incoming;
                _incomingTrust[other.Realm] = incoming;
            }
        }
    }

    /// <summary>Which request <paramref name="request"/> is, from its APPLICATION tag; null for anything else.</summary>
    public static KdcRequestKind? KindOf(ReadOnlySpan<byte> request) => KerberosMessages.PeekType(request) switch
    {
        KerberosMessageType.AsReq => KdcRequestKind.As,
        KerberosMessageType.TgsReq => KdcRequestKind.Tgs,
        _ => null,
    };

    /// <summary>The realm a request is for (its req-body's realm), when it decodes; the host routes it to that realm's KDC.</summary>
    public static string? RealmOf(ReadOnlySpan<byte> request) =>
        Pdu.Decode<KdcReq>(request) is { IsSuccess: true } decoded ? decoded.Value.ReqBody.Realm : null;

    /// <summary>Opens a ticket this KDC issued (or a referral ticket from a trusted realm): its EncTicketPart, or null when no key of this KDC opens it.</summary>
    public EncTicketPart? TryReadTicket(Ticket ticket)
    {
        EncryptionKey? key = KeyOfTicket(ticket);
        return key is null ? null : Decrypt<EncTicketPart>(key, KeyUsage.TicketEncPart, ticket.EncPart);
    }

    /// <summary>
    /// The wire fault due for this request, counting it against each fault's <see cref="KdcFault.Skip"/>: the host
    /// asks before answering.
    /// </summary>
    public KdcFault? TakeWireFault(KdcRequestKind? kind, KdcTransport transport) => TakeFault(kind, transport, static f => f.OnTheWire);

    /// <summary>
    /// The answer to <paramref name="request"/>, which came over <paramref name="transport"/>: an AS-REP, a TGS-REP or a
    /// KRB-ERROR, as the DER of one message (the host frames it for TCP).
    /// </summary>
    public byte[] Answer(ReadOnlySpan<byte> request, KdcTransport transport = KdcTransport.Tcp)
    {
        lock (_gate)
        {
            var exchange = new Exchange(this, transport, Options.Time.GetUtcNow() + Options.ClockOffset);
            byte[] reply = exchange.Answer(request);
            if (transport == KdcTransport.Udp && exchange.Error is null && Options.MaxDatagramReplySize is { } limit && reply.Length > limit)
            {
                // RFC 4120 7.2.1: a reply too big for a datagram is replaced by this error, and the client asks over TCP.
                reply = exchange.Refuse(KerberosErrorCode.KRB_ERR_RESPONSE_TOO_BIG);
            }

            _answers.Add(new KdcAnswerRecord(exchange.Kind, transport, exchange.Client, exchange.Service, exchange.Error, exchange.Fault)
            {
                Request = request.ToArray(),
                Reply = reply,
            });
            return reply;
        }
    }

    private KdcFault? TakeFault(KdcRequestKind? kind, KdcTransport transport, Func<KdcFault, bool> which)
    {
        lock (_gate)
        {
            for (int i = 0; i < Options.Faults.Count; i++)
            {
                KdcFault fault = Options.Faults[i];
                if (which(fault) && (fault.Request is null || fault.Request == kind) && fault.AppliesOn(transport) && _faultMatches[i]++ >= fault.Skip)
                {
                    return fault;
                }
            }

            return null;
        }
    }

    private KdcUser? FindUser(string name) => Options.Users.FirstOrDefault(u => u.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    private EncryptionKey? KeyOfTicket(Ticket ticket)
    {
        if (!SameName(ticket.SName, PrincipalName.Krbtgt(Realm)))
        {
            return _services.FirstOrDefault(s => SameName(s.Name, ticket.SName)) is { Keys: { } keys } && keys.TryGetValue((KerberosEtype)ticket.EncPart.EType, out byte[]? key)
                ? new EncryptionKey(ticket.EncPart.EType, new ByteString(key))
                : null;
        }

        return ticket.Realm.Equals(Realm, StringComparison.OrdinalIgnoreCase) ? KrbtgtKey : _incomingTrust.GetValueOrDefault(ticket.Realm);
    }

    private static bool SameName(PrincipalName a, PrincipalName b) =>
        a.NameString.Count == b.NameString.Count && a.NameString.Zip(b.NameString).All(p => p.First.Equals(p.Second, StringComparison.OrdinalIgnoreCase));

    private static T? Decrypt<T>(EncryptionKey key, int usage, EncryptedData data) where T : class, IPdu<T>
    {
        if (data.EType != key.KeyType || !KerberosCipher.TryFor((int)data.EType, out KerberosCipher? cipher)
            || !cipher.TryDecrypt(key.KeyValue.Span, usage, data.Cipher.Span, out byte[] plain))
        {
            return null;
        }

        DecodeResult<T> decoded = Pdu.Decode<T>(plain);
        CryptographicOperations.ZeroMemory(plain);
        return decoded.IsSuccess ? decoded.Value : null;
    }

    private static EncryptedData Encrypt<T>(EncryptionKey key, int usage, T value, uint? kvno = null) where T : IPdu<T>
    {
        byte[] plain = Pdu.Encode(value);
        byte[] cipher = KerberosCipher.For((KerberosEtype)key.KeyType).Encrypt(key.KeyValue.Span, usage, plain);
        CryptographicOperations.ZeroMemory(plain);
        return new EncryptedData(key.KeyType, kvno, new ByteString(cipher));
    }

    private static EncryptionKey NewKey(KerberosEtype etype) => new((EncryptionType)etype, new ByteString(KerberosCipher.RandomKey(etype)));

    private static byte[] IterationCount(uint count)
    {
        byte[] bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, count);
        return bytes;
    }

    /// <summary>RFC 4120 7.5.1 key usage numbers.</summary>
    private static class KeyUsage
    {
        public const int PaEncTimestamp = 1;
        public const int TicketEncPart = 2;
        public const int AsRepEncPart = 3;
        public const int TgsReqAuthenticatorChecksum = 6;
        public const int TgsReqAuthenticator = 7;
        public const int TgsRepEncPartSessionKey = 8;
        public const int TgsRepEncPartSubkey = 9;
    }

    /// <summary>One request and its answer: what it named, and the error or fault it got, for the record.</summary>
    private sealed class Exchange(TestKdc kdc, KdcTransport transport, DateTimeOffset now)
    {
        private KdcReq? _request;

        public KdcRequestKind? Kind { get; private set; }

        public string? Client { get; private set; }

        public string? Service { get; private set; }

        public KerberosErrorCode? Error { get; private set; }

        public KdcFault? Fault { get; private set; }

        private TestKdcOptions Options => kdc.Options;

        private string Realm => kdc.Realm;

        public byte[] Answer(ReadOnlySpan<byte> bytes)
        {
            Kind = KindOf(bytes);
            DecodeResult<KdcReq> decoded = Pdu.Decode<KdcReq>(bytes);
            if (!decoded.IsSuccess)
            {
                // MIT answers what it cannot decode with a generic error; what it cannot even frame it drops.
                return Refuse(KerberosErrorCode.KRB_ERR_GENERIC, eText: "the request does not decode");
            }

            _request = decoded.Value;
            Service = _request.ReqBody.SName?.ToString();
            if (transport == KdcTransport.Udp && kdc.TakeFault(Kind, transport, static f => f.Kind == KdcFaultKind.ResponseTooBig) is { } tooBig)
            {
                Fault = tooBig;
                return Refuse(KerberosErrorCode.KRB_ERR_RESPONSE_TOO_BIG);
            }

            if (Kind == KdcRequestKind.Tgs)
            {
                return TgsAnswer(_request);
            }

            Client = _request.ReqBody.CName is { } cname ? $"{cname}@{_request.ReqBody.Realm}" : null;
            return AsAnswer(_request);
        }

        /// <summary>
        /// RFC 4120 3.1.2, in the order MIT's and Windows' KDCs check: the realm, a client referral, the client, the
        /// server, a common type, the account's state, the pre-authentication (its key, then its time), the password's
        /// expiry; then the AS-REP with a TGT.
        /// </summary>
        private byte[] AsAnswer(KdcReq request)
        {
            KdcReqBody body = request.ReqBody;
            if (!body.Realm.Equals(Realm, StringComparison.OrdinalIgnoreCase))
            {
                return Refuse(KerberosErrorCode.KDC_ERR_WRONG_REALM);
            }

            if (body.CName is not { NameString.Count: 1 } cname)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
            }

            string name = cname.NameString[0];
            if (Options.ClientReferrals.TryGetValue(name, out string? userRealm))
            {
                // RFC 6806 7: the client's realm is another; the error names it in crealm.
                return Refuse(KerberosErrorCode.KDC_ERR_WRONG_REALM, crealm: userRealm);
            }

            KdcUser? user = kdc.FindUser(name);
            if (user is null)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
            }

            if (body.SName is not { } sname || !SameName(sname, PrincipalName.Krbtgt(Realm)))
            {
                return Refuse(KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, user: user);
            }

            Dictionary<KerberosEtype, byte[]> keys = kdc._userKeys[user.Name];
            KerberosEtype[] common = [.. body.EType.Select(e => (KerberosEtype)e).Where(e => keys.ContainsKey(e) && Options.AllowedEtypes.Contains(e)).Distinct()];
            if (common.Length == 0)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP, user: user);
            }

            if (user.Locked)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_CLIENT_REVOKED, user: user);
            }

            if (user.AccountExpired)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_NAME_EXP, user: user);
            }

            KerberosEtype replyType = common[0];
            bool preauthenticated = false;
            if (request.PaData?.FirstOrDefault(p => p.Type == PaDataType.EncTimestamp) is { } timestamp)
            {
                // RFC 4120 5.2.7.2: the timestamp must decrypt with the user's key of its type, and be within the skew.
                DecodeResult<EncryptedData> encrypted = timestamp.DecodeValue<EncryptedData>();
                var type = (KerberosEtype)(encrypted.IsSuccess ? (int)encrypted.Value.EType : 0);
                PaEncTsEnc? when = encrypted.IsSuccess && keys.TryGetValue(type, out byte[]? key) && Options.AllowedEtypes.Contains(type)
                    ? Decrypt<PaEncTsEnc>(new EncryptionKey((EncryptionType)type, new ByteString(key)), KeyUsage.PaEncTimestamp, encrypted.Value)
                    : null;
                if (when is null)
                {
                    return Refuse(KerberosErrorCode.KDC_ERR_PREAUTH_FAILED, user: user, methods: MethodData(user, common));
                }

                DateTimeOffset clientTime = when.PaTimestamp.Value.AddTicks((when.PaUsec ?? 0) * 10L);
                if ((clientTime - now).Duration() > Options.MaxSkew)
                {
                    return Refuse(KerberosErrorCode.KRB_AP_ERR_SKEW, user: user);
                }

                replyType = type;
                preauthenticated = true;
            }
            else if (user.RequiresPreauth)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED, user: user, methods: MethodData(user, common));
            }

            if (user.PasswordExpired)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_KEY_EXPIRED, user: user);
            }

            // The session key is of the client's most preferred type the KDC allows, whatever the user's keys are.
            KerberosEtype sessionType = body.EType.Select(e => (KerberosEtype)e).First(e => Options.AllowedEtypes.Contains(e) && KerberosCipher.TryFor((int)e, out _));
            EncryptionKey sessionKey = NewKey(sessionType);
            TicketFlags flags = TicketFlags.Initial | (preauthenticated ? TicketFlags.PreAuthent : TicketFlags.None) | Requested(body.KdcOptions);
            KerberosTime authTime = KerberosTime.FromInstant(now);
            (KerberosTime end, KerberosTime? renewTill) = Lifetime(body, authTime, null, null);
            var tgsName = PrincipalName.Krbtgt(Realm);
            var encTicket = new EncTicketPart(flags, sessionKey, Realm, cname, TransitedEncoding.None, authTime, authTime, end, renewTill, AuthorizationData: Pac());
            var ticket = new Ticket(Realm, tgsName, Encrypt(kdc.KrbtgtKey, KeyUsage.TicketEncPart, encTicket, kvno: 1));

            KdcFault? fault = kdc.TakeFault(KdcRequestKind.As, transport, static f => f.Kind is KdcFaultKind.WrongNonce or KdcFaultKind.WrongKey or KdcFaultKind.OtherPrincipal);
            Fault = fault;
            PrincipalName answeredFor = fault?.Kind == KdcFaultKind.OtherPrincipal ? OtherPrincipal : tgsName;
            if (fault?.Kind == KdcFaultKind.OtherPrincipal)
            {
                ticket = ticket with { SName = answeredFor };
            }

            var part = new EncKdcRepPart(Options.AsRepPartTag, sessionKey, [new LastReqEntry(0, authTime)],
                fault?.Kind == KdcFaultKind.WrongNonce ? unchecked(body.Nonce + 1) : body.Nonce,
                user.PasswordExpires is { } expires ? KerberosTime.FromInstant(expires) : null,
                flags, authTime, authTime, end, renewTill, Realm, answeredFor);
            EncryptionKey replyKey = fault?.Kind == KdcFaultKind.WrongKey ? NewKey(replyType) : new EncryptionKey((EncryptionType)replyType, new ByteString(keys[replyType]));
            SequenceOf<PaData> padata = [PaData.Of(PaDataType.EtypeInfo2, new EtypeInfo2([EtypeInfo2Entry(user, replyType)]))];
            var reply = new KdcRep(KerberosMessageType.AsRep, padata, Realm, cname, ticket, Encrypt(replyKey, KeyUsage.AsRepEncPart, part, kvno: 1));
            kdc._issued.Add(new IssuedTicket(KdcRequestKind.As, Client!, $"{ticket.SName}@{Realm}", sessionKey, ticket));
            return Pdu.Encode(reply);
        }

        /// <summary>
        /// RFC 4120 3.3.2: the TGT in PA-TGS-REQ must be this realm's (or a trusted realm's referral) and open with its
        /// key, the authenticator must open with the TGT's session key, name the TGT's client, be within the skew and
        /// checksum the request body; then the service is looked up (referred on, duplicated, unknown) and a ticket
        /// issued under its key.
        /// </summary>
        private byte[] TgsAnswer(KdcReq request)
        {
            KdcReqBody body = request.ReqBody;
            if (request.PaData?.FirstOrDefault(p => p.Type == PaDataType.TgsReq) is not { } tgsReq)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
            }

            DecodeResult<ApReq> apReq = tgsReq.DecodeValue<ApReq>();
            if (!apReq.IsSuccess)
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_MSG_TYPE);
            }

            Ticket tgt = apReq.Value.Ticket;
            if (!SameName(tgt.SName, PrincipalName.Krbtgt(Realm)))
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_NOT_US);
            }

            if (kdc.KeyOfTicket(tgt) is not { } tgtKey)
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_NOKEY);
            }

            if (Decrypt<EncTicketPart>(tgtKey, KeyUsage.TicketEncPart, tgt.EncPart) is not { } tgtPart)
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
            }

            Client = $"{tgtPart.CName}@{tgtPart.CRealm}";
            if (tgtPart.EndTime.Value < now)
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_TKT_EXPIRED);
            }

            if (Decrypt<Authenticator>(tgtPart.Key, KeyUsage.TgsReqAuthenticator, apReq.Value.Authenticator) is not { } authenticator)
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
            }

            if (!authenticator.CRealm.Equals(tgtPart.CRealm, StringComparison.OrdinalIgnoreCase) || !SameName(authenticator.CName, tgtPart.CName))
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_BADMATCH);
            }

            DateTimeOffset clientTime = authenticator.CTime.Value.AddTicks(authenticator.Cusec * 10L);
            if ((clientTime - now).Duration() > Options.MaxSkew)
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_SKEW);
            }

            // RFC 4120 7.5.1 usage 6: a keyed checksum of the KDC-REQ-BODY as sent (the decoder is exact, so its encoding is what was sent).
            KerberosCipher sessionCipher = KerberosCipher.For((KerberosEtype)tgtPart.Key.KeyType);
            if (authenticator.Cksum is not { } checksum || (int)checksum.CksumType != sessionCipher.ChecksumType)
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_INAPP_CKSUM);
            }

            if (!sessionCipher.VerifyChecksum(tgtPart.Key.KeyValue.Span, KeyUsage.TgsReqAuthenticatorChecksum, Pdu.Encode(body), checksum.Value.Span))
            {
                return Refuse(KerberosErrorCode.KRB_AP_ERR_MODIFIED);
            }

            if (!body.Realm.Equals(Realm, StringComparison.OrdinalIgnoreCase))
            {
                return Refuse(KerberosErrorCode.KDC_ERR_WRONG_REALM);
            }

            if (body.SName is not { } sname)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
            }

            string spn = string.Join('/', sname.NameString);
            EncryptionKey ticketKey;
            PrincipalName server;
            uint kvno;
            KerberosEtype[] sessionTypes;
            if (Options.Referrals.FirstOrDefault(r => r.Key.Equals(spn, StringComparison.OrdinalIgnoreCase)) is { Value: { } target })
            {
                // RFC 6806 8: a TGT for the realm that holds the service, under the inter-realm key.
                if (!kdc._outgoingTrust.TryGetValue(target, out EncryptionKey? trustKey))
                {
                    kdc._outgoingTrust[target] = trustKey = NewKey(KerberosEtype.Aes256CtsHmacSha196);
                }

                ticketKey = trustKey;
                server = PrincipalName.Krbtgt(target);
                kvno = 1;
                sessionTypes = [.. Options.AllowedEtypes];
            }
            else
            {
                var matches = kdc._services.Where(s => SameName(s.Name, sname)).ToList();
                if (matches.Count > 1)
                {
                    return Refuse(KerberosErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE);
                }

                if (matches.Count == 0)
                {
                    return Refuse(KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
                }

                (PrincipalName name, KdcService service, Dictionary<KerberosEtype, byte[]> keys) = matches[0];
                if (service.Etypes.Where(Options.AllowedEtypes.Contains).Cast<KerberosEtype?>().FirstOrDefault() is not { } ticketType)
                {
                    return Refuse(KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP);
                }

                ticketKey = new EncryptionKey((EncryptionType)ticketType, new ByteString(keys[ticketType]));
                server = name;
                kvno = service.Kvno;
                sessionTypes = [.. service.Etypes.Where(Options.AllowedEtypes.Contains)];
            }

            KerberosEtype? sessionType = body.EType.Select(e => (KerberosEtype)e).Where(e => sessionTypes.Contains(e) && KerberosCipher.TryFor((int)e, out _)).Cast<KerberosEtype?>().FirstOrDefault();
            if (sessionType is null)
            {
                return Refuse(KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP);
            }

            EncryptionKey sessionKey = NewKey(sessionType.Value);
            TicketFlags flags = (tgtPart.Flags & (TicketFlags.PreAuthent | TicketFlags.Forwardable | TicketFlags.Renewable)) & (Requested(body.KdcOptions) | TicketFlags.PreAuthent);
            KerberosTime start = KerberosTime.FromInstant(now);
            (KerberosTime end, KerberosTime? renewTill) = Lifetime(body, start, tgtPart.EndTime, tgtPart.RenewTill);
            var encTicket = new EncTicketPart(flags, sessionKey, tgtPart.CRealm, tgtPart.CName, TransitedEncoding.None, tgtPart.AuthTime, start, end, renewTill, AuthorizationData: Pac());

            KdcFault? fault = kdc.TakeFault(KdcRequestKind.Tgs, transport, static f => f.Kind is KdcFaultKind.WrongNonce or KdcFaultKind.WrongKey or KdcFaultKind.OtherPrincipal);
            Fault = fault;
            PrincipalName answeredFor = fault?.Kind == KdcFaultKind.OtherPrincipal ? OtherPrincipal : server;
            var ticket = new Ticket(Realm, answeredFor, Encrypt(ticketKey, KeyUsage.TicketEncPart, encTicket, kvno));
            var part = new EncKdcRepPart(EncKdcRepPartTag.EncTgsRepPart, sessionKey, [new LastReqEntry(0, start)],
                fault?.Kind == KdcFaultKind.WrongNonce ? unchecked(body.Nonce + 1) : body.Nonce, null,
                flags, tgtPart.AuthTime, start, end, renewTill, Realm, answeredFor);

            // RFC 4120 3.3.3: the reply is encrypted with the authenticator's subkey when there is one (usage 9), else the TGT's session key (8).
            (EncryptionKey replyKey, int usage) = authenticator.Subkey is { } subkey ? (subkey, KeyUsage.TgsRepEncPartSubkey) : (tgtPart.Key, KeyUsage.TgsRepEncPartSessionKey);
            if (fault?.Kind == KdcFaultKind.WrongKey)
            {
                replyKey = NewKey((KerberosEtype)replyKey.KeyType);
            }

            var reply = new KdcRep(KerberosMessageType.TgsRep, null, tgtPart.CRealm, tgtPart.CName, ticket, Encrypt(replyKey, usage, part));
            kdc._issued.Add(new IssuedTicket(KdcRequestKind.Tgs, Client, $"{ticket.SName}@{Realm}", sessionKey, ticket));
            return Pdu.Encode(reply);
        }

        /// <summary>A KRB-ERROR for this request (RFC 4120 5.9.1): the KDC's time, the realm and names of the request, its e-text and e-data.</summary>
        public byte[] Refuse(KerberosErrorCode code, KdcUser? user = null, string? crealm = null, MethodData? methods = null, string? eText = null)
        {
            Error = code;
            KdcReqBody? body = _request?.ReqBody;
            ByteString? eData = null;
            if (user?.ExtendedError is { } status)
            {
                byte[] extended = Pdu.Encode(KerbExtError.Of(status));
                eData = methods is not null
                    ? new ByteString(Pdu.Encode(new MethodData([.. methods.Entries, new PaData(PaDataType.PwSalt, new ByteString(extended))])))
                    : new ByteString(Pdu.Encode(new KerbErrorData(KerbErrorData.KerbErrTypeExtended, new ByteString(extended))));
            }
            else if (methods is not null)
            {
                eData = new ByteString(Pdu.Encode(methods));
            }

            var error = new KrbError(
                CTime: null,
                Cusec: null,
                STime: KerberosTime.FromInstant(now),
                SUsec: KerberosTime.Microseconds(now),
                ErrorCode: code,
                CRealm: crealm ?? body?.Realm,
                CName: Kind == KdcRequestKind.As ? body?.CName : null,
                Realm: Realm,
                SName: body?.SName ?? PrincipalName.Krbtgt(Realm),
                EText: eText ?? Options.ETexts.GetValueOrDefault(code),
                EData: eData);
            return Pdu.Encode(error);
        }

        /// <summary>
        /// The METHOD-DATA of KDC_ERR_PREAUTH_REQUIRED and KDC_ERR_PREAUTH_FAILED: PA-ETYPE-INFO2 with an entry per type
        /// the client offered and the user has (the client's preference first), then PA-ENC-TIMESTAMP, empty.
        /// </summary>
        private MethodData MethodData(KdcUser user, IEnumerable<KerberosEtype> common) =>
            new([
                PaData.Of(PaDataType.EtypeInfo2, new EtypeInfo2(new SequenceOf<EtypeInfo2Entry>(common.Select(e => EtypeInfo2Entry(user, e))))),
                new PaData(PaDataType.EncTimestamp, ByteString.Empty),
            ]);

        /// <summary>An ETYPE-INFO2 entry: the salt for the AES types (RC4 has none), and the iteration count when one is configured.</summary>
        private EtypeInfo2Entry EtypeInfo2Entry(KdcUser user, KerberosEtype etype) => etype == KerberosEtype.Rc4Hmac
            ? new EtypeInfo2Entry((EncryptionType)etype, null, null)
            : new EtypeInfo2Entry((EncryptionType)etype, kdc.SaltOf(user), user.Iterations is { } count ? new ByteString(IterationCount(count)) : null);

        /// <summary>The ticket flags the request's options ask for and the KDC grants: forwardable and renewable.</summary>
        private static TicketFlags Requested(KdcOptions options) =>
            ((options & KdcOptions.Forwardable) != 0 ? TicketFlags.Forwardable : TicketFlags.None)
            | ((options & (KdcOptions.Renewable | KdcOptions.RenewableOk)) != 0 ? TicketFlags.Renewable : TicketFlags.None);

        /// <summary>The end (the request's till, at most the lifetime and the TGT's end) and the renew-till (for a renewable ticket).</summary>
        private static (KerberosTime End, KerberosTime? RenewTill) Lifetime(KdcReqBody body, KerberosTime start, KerberosTime? tgtEnd, KerberosTime? tgtRenewTill)
        {
            DateTimeOffset end = Min(body.Till.Value, start.Value + TicketLifetime, tgtEnd?.Value);
            bool renewable = (body.KdcOptions & (KdcOptions.Renewable | KdcOptions.RenewableOk)) != 0;
            KerberosTime? renewTill = renewable ? new KerberosTime(Min(body.RTime?.Value ?? body.Till.Value, start.Value + RenewLifetime, tgtRenewTill?.Value)) : null;
            return (new KerberosTime(end), renewTill);
        }

        private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b, DateTimeOffset? c)
        {
            DateTimeOffset smaller = a < b ? a : b;
            return c is { } third && third < smaller ? third : smaller;
        }

        /// <summary>An opaque PAC of <see cref="TestKdcOptions.PacSize"/> bytes, as a Windows KDC puts one into every ticket; null for none.</summary>
        private SequenceOf<AuthorizationDataEntry>? Pac()
        {
            if (Options.PacSize <= 0)
            {
                return null;
            }

            // AD-IF-RELEVANT's ad-data is itself AuthorizationData, a SEQUENCE OF elements (RFC 4120 5.2.6.1).
            var pac = new AuthorizationDataEntry(AdWin2kPac, new ByteString(RandomNumberGenerator.GetBytes(Options.PacSize)));
            var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                writer.WriteEncodedValue(Pdu.Encode(pac));
            }

            return [new AuthorizationDataEntry(AdIfRelevant, new ByteString(writer.Encode()))];
        }
    }
}
