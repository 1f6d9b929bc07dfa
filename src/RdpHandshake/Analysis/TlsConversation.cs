using System.Buffers.Binary;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Tls;

namespace RdpHandshake.Analysis;

/// <summary>
/// Both directions of one TLS connection read from the outside: the handshake in the clear (versions and suites
/// offered and chosen, groups, the certificate up to TLS 1.2, alerts) and, with the key log's secrets, decrypted
/// (TLS 1.3's encrypted handshake, then the application data of either side). What it cannot decrypt it names.
/// </summary>
public sealed class TlsConversation(TlsKeyLog keys)
{
    private readonly Side _client = new(isClient: true);
    private readonly Side _server = new(isClient: false);
    private byte[]? _clientRandom;
    private byte[]? _serverRandom;
    private bool _encryptThenMac;

    /// <summary>What a record told, in the order records came.</summary>
    public sealed record TlsEvent(bool FromClient, DateTimeOffset Time, string What)
    {
        public byte[]? ApplicationData { get; init; }

        public TlsAlert? Alert { get; init; }

        public bool Encrypted { get; init; }

        public int Length { get; init; }
    }

    private sealed class Side(bool isClient)
    {
        public bool IsClient { get; } = isClient;

        public TlsRecordCipher? Cipher { get; set; }

        /// <summary>True once this side encrypts (after its ChangeCipherSpec in TLS 1.2, after the ServerHello in 1.3).</summary>
        public bool Encrypting { get; set; }

        /// <summary>TLS 1.3: still on the handshake traffic secret.</summary>
        public bool Handshaking { get; set; } = true;

        public List<byte> Handshake { get; } = [];

        public int Records { get; set; }

        public int Undecrypted { get; set; }

        public bool SentFinished { get; set; }

        public int ApplicationRecords { get; set; }
    }

    public TlsObservations Seen { get; } = new();

    /// <summary>Everything observed so far, client and server interleaved as fed.</summary>
    public List<TlsEvent> Events { get; } = [];

    public TlsVersion? Version => Seen.ServerVersion;

    public bool IsTls13 => Seen.ServerVersion == TlsVersion.Tls13;

    /// <summary>The server's SNI as the ClientHello sent it.</summary>
    public string? ServerName { get; private set; }

    /// <summary>The groups the ClientHello offered.</summary>
    public IReadOnlyList<int> OfferedGroups { get; private set; } = [];

    /// <summary>True once a ClientHello was read.</summary>
    public bool SawClientHello => _clientRandom is not null;

    public byte[]? ClientRandom => _clientRandom;

    /// <summary>True when the key log holds this connection's secrets.</summary>
    public bool HasKeys { get; private set; }

    /// <summary>Why decryption is not possible (no key log entry, a suite this reader does not decrypt), once known.</summary>
    public string? NoDecryption { get; private set; }

    /// <summary>
    /// True when what follows the ServerHello cannot be read: TLS 1.3 without keys (the rest of the handshake is
    /// encrypted), or keys that do not decrypt.
    /// </summary>
    public bool Opaque => IsTls13 && _server.Cipher is null && _server.Encrypting;

    /// <summary>The client's first failure to decrypt, or the server's.</summary>
    public string? DecryptFailure { get; private set; }

    /// <summary>The last alert the server sent.</summary>
    public TlsAlert? ServerAlert { get; private set; }

    public TlsAlert? ClientAlert { get; private set; }

    /// <summary>True once the client sent application data after its Finished: it accepted the handshake.</summary>
    public bool ClientAcceptedHandshake => _client.SentFinished && _client.ApplicationRecords > 0;

    /// <summary>Feeds one whole record a side sent; returns the events it produced.</summary>
    public IReadOnlyList<TlsEvent> Feed(bool fromClient, ReadOnlySpan<byte> record, DateTimeOffset time)
    {
        int before = Events.Count;
        Side side = fromClient ? _client : _server;
        side.Records++;
        if (record.Length < TlsRecordHeader.FixedPartSize)
        {
            return [];
        }

        byte type = record[0];
        int length = record.Length - TlsRecordHeader.FixedPartSize;
        if (type == (byte)TlsContentType.ChangeCipherSpec)
        {
            Add(fromClient, time, "ChangeCipherSpec", length);
            if (!IsTls13)
            {
                side.Encrypting = true;
                side.Cipher = Tls12Cipher(fromClient);
            }

            return Events.GetRange(before, Events.Count - before);
        }

        byte[] plain;
        byte inner = type;
        bool encrypted = side.Encrypting && type != (byte)TlsContentType.ChangeCipherSpec && !(IsTls13 && type != (byte)TlsContentType.ApplicationData);
        if (encrypted)
        {
            if (side.Cipher is null)
            {
                side.Undecrypted++;
                if (type == (byte)TlsContentType.ApplicationData)
                {
                    side.ApplicationRecords += side.SentFinished || !IsTls13 ? 1 : 0;
                    if (IsTls13 && fromClient && !side.SentFinished)
                    {
                        // A TLS 1.3 client's first encrypted record is its Finished.
                        side.SentFinished = true;
                    }
                }

                Add(fromClient, time, $"encrypted {ContentName(type)} record ({length} bytes)", length, encrypted: true);
                return Events.GetRange(before, Events.Count - before);
            }

            (byte[] Plain, byte ContentType)? opened = side.Cipher.Decrypt(record);
            if (opened is null)
            {
                side.Undecrypted++;
                DecryptFailure ??= $"a record from the {(fromClient ? "client" : "server")} does not decrypt with the key log's secrets";
                side.Cipher = null;
                Add(fromClient, time, $"encrypted record ({length} bytes) that does not decrypt", length, encrypted: true);
                return Events.GetRange(before, Events.Count - before);
            }

            (plain, inner) = opened.Value;
        }
        else
        {
            plain = record[TlsRecordHeader.FixedPartSize..].ToArray();
        }

        switch ((TlsContentType)inner)
        {
            case TlsContentType.Handshake:
                side.Handshake.AddRange(plain);
                ReadHandshake(side, time, encrypted);
                break;
            case TlsContentType.Alert when plain.Length >= 2:
                var alert = new TlsAlert(plain[0], plain[1], TlsNames.AlertName(plain[1]));
                if (fromClient)
                {
                    ClientAlert = alert;
                    Seen.AlertsRaised.Add(alert);
                }
                else
                {
                    ServerAlert = alert;
                    Seen.AlertsReceived.Add(alert);
                }

                Events.Add(new TlsEvent(fromClient, time, $"alert {(alert.IsFatal ? "fatal" : "warning")} {alert.DisplayName}") { Alert = alert, Encrypted = encrypted, Length = length });
                break;
            case TlsContentType.ApplicationData:
                side.ApplicationRecords++;
                Events.Add(new TlsEvent(fromClient, time, $"application data ({plain.Length} bytes)") { ApplicationData = plain, Encrypted = encrypted, Length = length });
                break;
            default:
                Add(fromClient, time, $"record of type {inner} ({length} bytes)", length, encrypted);
                break;
        }

        return Events.GetRange(before, Events.Count - before);
    }

    private void Add(bool fromClient, DateTimeOffset time, string what, int length, bool encrypted = false) =>
        Events.Add(new TlsEvent(fromClient, time, what) { Length = length, Encrypted = encrypted });

    private void ReadHandshake(Side side, DateTimeOffset time, bool encrypted)
    {
        while (side.Handshake.Count >= 4)
        {
            int length = (side.Handshake[1] << 16) | (side.Handshake[2] << 8) | side.Handshake[3];
            if (side.Handshake.Count < 4 + length)
            {
                return;
            }

            byte type = side.Handshake[0];
            byte[] body = [.. side.Handshake.GetRange(4, length)];
            side.Handshake.RemoveRange(0, 4 + length);
            string name = HandshakeName(type);
            Events.Add(new TlsEvent(side.IsClient, time, name) { Encrypted = encrypted, Length = length });
            try
            {
                Handle(side, type, body);
            }
            catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException)
            {
                Events.Add(new TlsEvent(side.IsClient, time, $"malformed {name}") { Length = length });
            }
        }
    }

    private void Handle(Side side, byte type, byte[] body)
    {
        switch (type)
        {
            case 1 when side.IsClient:
                ClientHello(body);
                break;
            case 2 when !side.IsClient:
                ServerHello(body);
                break;
            case 11 when !side.IsClient:
                Certificate(body);
                break;
            case 12 when !side.IsClient && body.Length >= 3 && body[0] == 3:
                // ServerKeyExchange, ECDHE: curve_type named_curve(3), then the group (RFC 8422 5.4).
                Seen.NamedGroup = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(1));
                break;
            case 20:
                side.SentFinished = true;
                if (!side.IsClient)
                {
                    Seen.HandshakeComplete = true;
                }

                if (IsTls13 && side.Handshaking)
                {
                    // From the Finished on, each side uses its application traffic secret (RFC 8446 7.1).
                    side.Handshaking = false;
                    side.Cipher = Tls13Cipher(side.IsClient ? TlsKeyLog.ClientTraffic : TlsKeyLog.ServerTraffic);
                }

                break;
        }
    }

    private void ClientHello(byte[] body)
    {
        var reader = new Reader(body);
        ushort legacy = reader.U16();
        _clientRandom = reader.Bytes(32);
        reader.Skip(reader.U8());
        int suites = reader.U16();
        var offered = new List<int>();
        for (int i = 0; i + 1 < suites; i += 2)
        {
            offered.Add(reader.U16());
        }

        reader.Skip(reader.U8());
        var versions = new List<TlsVersion> { (TlsVersion)legacy };
        if (reader.Left >= 2)
        {
            int end = reader.Position + reader.U16();
            while (reader.Position + 4 <= end)
            {
                ushort ext = reader.U16();
                byte[] data = reader.Bytes(reader.U16());
                var r = new Reader(data);
                switch (ext)
                {
                    case 0 when data.Length > 5:
                        r.U16();
                        r.U8();
                        ServerName = System.Text.Encoding.ASCII.GetString(r.Bytes(r.U16()));
                        break;
                    case 10 when data.Length >= 2:
                        int groups = r.U16();
                        var list = new List<int>();
                        for (int i = 0; i + 1 < groups; i += 2)
                        {
                            list.Add(r.U16());
                        }

                        OfferedGroups = list;
                        break;
                    case 43 when data.Length >= 1:
                        int count = r.U8();
                        versions.Clear();
                        for (int i = 0; i + 1 < count; i += 2)
                        {
                            ushort v = r.U16();
                            if ((v & 0x0F0F) != 0x0A0A)
                            {
                                versions.Add((TlsVersion)v);
                            }
                        }

                        break;
                }
            }
        }

        Seen.OfferedVersions = versions;
        Seen.OfferedCipherSuites = offered.Where(s => (s & 0x0F0F) != 0x0A0A).ToList();
    }

    private void ServerHello(byte[] body)
    {
        var reader = new Reader(body);
        ushort legacy = reader.U16();
        byte[] random = reader.Bytes(32);
        if (random.AsSpan().SequenceEqual(HelloRetryRandom))
        {
            Events.Add(new TlsEvent(false, Events.Count > 0 ? Events[^1].Time : default, "HelloRetryRequest"));
            return;
        }

        _serverRandom = random;
        reader.Skip(reader.U8());
        int suite = reader.U16();
        reader.U8();
        TlsVersion version = (TlsVersion)legacy;
        if (reader.Left >= 2)
        {
            int end = reader.Position + reader.U16();
            while (reader.Position + 4 <= end)
            {
                ushort ext = reader.U16();
                byte[] data = reader.Bytes(reader.U16());
                switch (ext)
                {
                    case 43 when data.Length == 2:
                        version = (TlsVersion)BinaryPrimitives.ReadUInt16BigEndian(data);
                        break;
                    case 51 when data.Length >= 2:
                        Seen.NamedGroup = BinaryPrimitives.ReadUInt16BigEndian(data);
                        break;
                    case 22:
                        _encryptThenMac = true;
                        break;
                    case 0xFF01:
                        Seen.SecureRenegotiation = true;
                        break;
                }
            }
        }

        if (version != TlsVersion.Tls13)
        {
            Seen.SecureRenegotiation ??= false;
        }

        Seen.ServerVersion = version;
        Seen.CipherSuite = suite;
        if (version == TlsVersion.Tls13)
        {
            // Everything after the ServerHello is encrypted, each side with its handshake traffic secret.
            _server.Encrypting = true;
            _client.Encrypting = true;
            _server.Cipher = Tls13Cipher(TlsKeyLog.ServerHandshake);
            _client.Cipher = Tls13Cipher(TlsKeyLog.ClientHandshake);
        }
        else if (Keys(TlsKeyLog.MasterSecret) is null)
        {
            NoDecryption ??= "the key log holds no CLIENT_RANDOM line for this connection";
        }
    }

    private void Certificate(byte[] body)
    {
        var reader = new Reader(body);
        if (IsTls13)
        {
            reader.Skip(reader.U8());
        }

        int end = reader.Position + reader.U24();
        var chain = new List<byte[]>();
        while (reader.Position + 3 <= end && chain.Count < 16)
        {
            chain.Add(reader.Bytes(reader.U24()));
            if (IsTls13)
            {
                reader.Skip(reader.U16());
            }
        }

        Seen.CertificateChain = chain;
    }

    private TlsRecordCipher? Tls13Cipher(string label)
    {
        byte[]? secret = Keys(label);
        TlsSuiteCipher? suite = Suite();
        if (secret is null || suite is null)
        {
            NoDecryption ??= secret is null ? $"the key log holds no {label} line for this connection" : $"{TlsNames.CipherSuite(Seen.CipherSuite ?? 0)} is not a suite this reader decrypts";
            return null;
        }

        HasKeys = true;
        return TlsRecordCipher.ForTls13(suite, secret);
    }

    private TlsRecordCipher? Tls12Cipher(bool client)
    {
        byte[]? master = Keys(TlsKeyLog.MasterSecret);
        TlsSuiteCipher? suite = Suite();
        if (master is null || suite is null || _serverRandom is null || _clientRandom is null)
        {
            NoDecryption ??= master is null ? "the key log holds no CLIENT_RANDOM line for this connection" : $"{TlsNames.CipherSuite(Seen.CipherSuite ?? 0)} is not a suite this reader decrypts";
            return null;
        }

        HasKeys = true;
        return TlsRecordCipher.ForTls12(suite, master, _clientRandom, _serverRandom, client, (ushort)(Seen.ServerVersion ?? TlsVersion.Tls12), _encryptThenMac);
    }

    private TlsSuiteCipher? Suite() => Seen.CipherSuite is { } suite ? TlsSuiteCipher.Of(TlsNames.CipherSuite(suite)) : null;

    private byte[]? Keys(string label) => _clientRandom is null ? null : keys.Find(label, _clientRandom);

    private static ReadOnlySpan<byte> HelloRetryRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    public static string HandshakeName(byte type) => type switch
    {
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        24 => "KeyUpdate",
        _ => $"handshake message {type}",
    };

    private static string ContentName(byte type) => type switch
    {
        20 => "ChangeCipherSpec",
        21 => "alert",
        22 => "handshake",
        23 => "application data",
        _ => $"type {type}",
    };

    /// <summary>A bounds-checked big-endian reader; reading past the end throws <see cref="ArgumentException"/>.</summary>
    private sealed class Reader(byte[] data)
    {
        public int Position { get; private set; }

        public int Left => data.Length - Position;

        public byte U8() => Take(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public int U24()
        {
            ReadOnlySpan<byte> b = Take(3);
            return (b[0] << 16) | (b[1] << 8) | b[2];
        }

        public byte[] Bytes(int n) => Take(n).ToArray();

        public void Skip(int n) => Take(n);

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > Left)
            {
                throw new ArgumentException("short TLS message");
            }

            ReadOnlySpan<byte> span = data.AsSpan(Position, n);
            Position += n;
            return span;
        }
    }
}
