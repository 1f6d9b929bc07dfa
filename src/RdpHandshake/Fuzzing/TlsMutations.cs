using System.Buffers.Binary;
using System.Text;
using static RdpHandshake.Fuzzing.FuzzCaseGenerator;

namespace RdpHandshake.Fuzzing;

/// <summary>
/// Mutations of the TLS ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2) built byte by byte, so that every
/// version, list and length can be set to anything. The baseline offers TLS 1.3 and 1.2 the way a modern
/// client does, with an X25519 key share (a fixed public value: the handshake is never completed).
/// </summary>
internal static class TlsMutations
{
    internal const ushort ServerName = 0, SupportedGroups = 10, EcPointFormats = 11, SignatureAlgorithms = 13, Alpn = 16,
        Heartbeat = 15, ExtendedMasterSecret = 23, SupportedVersions = 43, PskModes = 45, KeyShare = 51, RenegotiationInfo = 0xFF01;

    private static readonly ushort[] DefaultSuites =
        [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035];

    private static readonly ushort[] Grease = [0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A, 0x4A4A, 0x5A5A, 0x6A6A, 0x7A7A, 0x8A8A, 0x9A9A, 0xAAAA, 0xBABA, 0xCACA, 0xDADA, 0xEAEA, 0xFAFA];

    /// <summary>A fixed X25519 public value (any 32 bytes are one).</summary>
    private static readonly byte[] KeyShareValue = Enumerable.Range(0, 32).Select(i => (byte)(0x40 + (i * 7))).ToArray();

    private static readonly byte[] FixedRandom = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 ^ (i * 13))).ToArray();

    private static readonly byte[] FixedSessionId = Enumerable.Range(0, 32).Select(i => (byte)(0x11 * (i % 15))).ToArray();

    public static byte[] Baseline() => new Hello().Encode();

    internal sealed record Extension(ushort Type, byte[] Body, int? Length = null);

    /// <summary>The fields of a ClientHello and its record; nulls mean the true lengths.</summary>
    internal sealed record Hello
    {
        public byte RecordType { get; init; } = 0x16;
        public ushort RecordVersion { get; init; } = 0x0301;
        public int? RecordLength { get; init; }
        public byte HandshakeType { get; init; } = 0x01;
        public int? HandshakeLength { get; init; }
        public ushort Version { get; init; } = 0x0303;
        public byte[] SessionId { get; init; } = FixedSessionId;
        public int? SessionIdLength { get; init; }
        public IReadOnlyList<ushort> Suites { get; init; } = DefaultSuites;
        public int? SuitesLength { get; init; }
        public byte[] Compression { get; init; } = [0];
        public int? ExtensionsLength { get; init; }
        public bool NoExtensions { get; init; }
        public IReadOnlyList<Extension> Extensions { get; init; } = DefaultExtensions();
        public byte[] Trailing { get; init; } = [];

        /// <summary>Cut the handshake message into records of at most this many bytes.</summary>
        public int? Fragment { get; init; }

        public byte[] Encode()
        {
            var body = new List<byte>();
            U16(body, Version);
            body.AddRange(FixedRandom);
            body.Add((byte)(SessionIdLength ?? SessionId.Length));
            body.AddRange(SessionId);
            U16(body, SuitesLength ?? Suites.Count * 2);
            foreach (ushort suite in Suites)
            {
                U16(body, suite);
            }

            body.Add((byte)Compression.Length);
            body.AddRange(Compression);
            if (!NoExtensions)
            {
                var extensions = new List<byte>();
                foreach (Extension extension in Extensions)
                {
                    U16(extensions, extension.Type);
                    U16(extensions, extension.Length ?? extension.Body.Length);
                    extensions.AddRange(extension.Body);
                }

                U16(body, ExtensionsLength ?? extensions.Count);
                body.AddRange(extensions);
            }

            body.AddRange(Trailing);
            int handshakeLength = HandshakeLength ?? body.Count;
            byte[] handshake = [HandshakeType, (byte)(handshakeLength >> 16), (byte)(handshakeLength >> 8), (byte)handshakeLength, .. body];
            var records = new List<byte>();
            int size = Fragment ?? handshake.Length;
            for (int offset = 0; offset < handshake.Length; offset += size)
            {
                int length = Math.Min(size, handshake.Length - offset);
                records.Add(RecordType);
                U16(records, RecordVersion);
                U16(records, RecordLength ?? length);
                records.AddRange(handshake.AsSpan(offset, length).ToArray());
            }

            return [.. records];
        }
    }

    internal static List<Extension> DefaultExtensions() =>
    [
        new(SupportedGroups, List16([0x001D, 0x0017, 0x0018])),
        new(EcPointFormats, [0x01, 0x00]),
        new(SignatureAlgorithms, List16([0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0201])),
        new(SupportedVersions, [0x04, 0x03, 0x04, 0x03, 0x03]),
        new(PskModes, [0x01, 0x01]),
        new(KeyShare, KeyShareBody(0x001D, KeyShareValue)),
        new(ExtendedMasterSecret, []),
        new(RenegotiationInfo, [0x00]),
    ];

    private static byte[] KeyShareBody(ushort group, byte[] key)
    {
        var entry = new List<byte>();
        U16(entry, group);
        U16(entry, key.Length);
        entry.AddRange(key);
        var body = new List<byte>();
        U16(body, entry.Count);
        body.AddRange(entry);
        return [.. body];
    }

    private static byte[] List16(IEnumerable<ushort> values)
    {
        var items = new List<byte>();
        foreach (ushort value in values)
        {
            U16(items, value);
        }

        var list = new List<byte>();
        U16(list, items.Count);
        list.AddRange(items);
        return [.. list];
    }

    private static void U16(List<byte> bytes, int value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }

    private static List<Extension> Replace(ushort type, Extension? with)
    {
        List<Extension> extensions = DefaultExtensions();
        int at = extensions.FindIndex(e => e.Type == type);
        if (with is null)
        {
            extensions.RemoveAt(at);
        }
        else
        {
            extensions[at] = with;
        }

        return extensions;
    }

    private static Mutated Make(string description, Hello hello, bool invalid) => new(description, hello.Encode(), invalid);

    private static string Hex16(int value) => $"0x{value:x4}";

    public static IReadOnlyList<Mutator> All { get; } =
    [
        (ref FuzzRandom r) =>
        {
            ushort version = r.Pick<ushort>([0x0300, 0x0301, 0x0302, 0x0304, 0x7F1C, 0xFEFD, 0x0000, 0xFFFF, 0x0203, 0x0399]);
            return Make($"client_hello.legacy_version = {Hex16(version)}", new Hello { Version = version }, version is < 0x0300 or > 0x0304);
        },
        (ref FuzzRandom r) =>
        {
            ushort version = r.Pick<ushort>([0x0300, 0x0302, 0x0303, 0x0304, 0x0000, 0xFFFF, 0x0200, 0x0100]);
            return Make($"record.legacy_record_version = {Hex16(version)}", new Hello { RecordVersion = version }, version >> 8 != 3);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["none", "GREASE only", "unknown only", "duplicates", "NULL_WITH_NULL_NULL only", "renegotiation SCSV only", "fallback SCSV first", "export and RC4 only", "TLS 1.3 only", "GREASE first"]);
            (IReadOnlyList<ushort> Suites, bool Invalid) choice = variant switch
            {
                "none" => ([], true),
                "GREASE only" => ([Grease[r.Next(Grease.Length)], Grease[r.Next(Grease.Length)]], false),
                "unknown only" => ([0xFEFE, 0x1399, 0xC0FF], false),
                "duplicates" => ([.. DefaultSuites, .. DefaultSuites], false),
                "NULL_WITH_NULL_NULL only" => ([0x0000], false),
                "renegotiation SCSV only" => ([0x00FF], false),
                "fallback SCSV first" => ([0x5600, .. DefaultSuites], false),
                "export and RC4 only" => ([0x0003, 0x0004, 0x0005, 0x0006], false),
                "TLS 1.3 only" => ([0x1301, 0x1302, 0x1303], false),
                _ => ([Grease[0], .. DefaultSuites], false),
            };
            return Make($"cipher_suites: {variant}", new Hello { Suites = choice.Suites }, choice.Invalid);
        },
        (ref FuzzRandom r) =>
        {
            int count = r.Pick([1000, 4000, 8000, 20000]);
            ushort[] suites = new ushort[count];
            suites[0] = 0xC02F;
            for (int i = 1; i < count; i++)
            {
                suites[i] = (ushort)r.Next(0x10000);
            }

            bool overflow = (count * 2) + 200 > 16384;
            return Make($"cipher_suites: {count} random values{(overflow ? " (the record exceeds 2^14 bytes)" : string.Empty)}", new Hello { Suites = suites }, overflow);
        },
        (ref FuzzRandom r) =>
        {
            int actual = DefaultSuites.Length * 2;
            int length = r.Pick([0, 1, actual - 2, actual - 1, actual + 1, actual + 2, 0xFFFE, 0xFFFF]);
            return Make($"cipher_suites length = {length} (true value {actual})", new Hello { SuitesLength = length }, true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["deflate only", "none", "null and deflate", "255 methods"]);
            (byte[] methods, bool invalid) = variant switch
            {
                "deflate only" => (new byte[] { 1 }, true),
                "none" => (Array.Empty<byte>(), true),
                "null and deflate" => (new byte[] { 0, 1 }, false),
                _ => (Enumerable.Range(0, 255).Select(i => (byte)i).ToArray(), false),
            };
            return Make($"compression_methods: {variant}", new Hello { Compression = methods }, invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["empty", "33 bytes", "length byte 255 over 32 bytes", "length byte 0 over 32 bytes"]);
            Hello hello = variant switch
            {
                "empty" => new Hello { SessionId = [] },
                "33 bytes" => new Hello { SessionId = [.. FixedSessionId, 0x42] },
                "length byte 255 over 32 bytes" => new Hello { SessionIdLength = 255 },
                _ => new Hello { SessionIdLength = 0 },
            };
            return Make($"legacy_session_id: {variant}", hello, variant != "empty");
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["none at all", "an empty list", "a duplicate supported_groups", "a GREASE extension", "an unknown extension of 2000 bytes", "heartbeat"]);
            Hello hello = variant switch
            {
                "none at all" => new Hello { NoExtensions = true },
                "an empty list" => new Hello { Extensions = [] },
                "a duplicate supported_groups" => new Hello { Extensions = [.. DefaultExtensions(), new(SupportedGroups, List16([0x001D]))] },
                "a GREASE extension" => new Hello { Extensions = [new(Grease[r.Next(Grease.Length)], []), .. DefaultExtensions()] },
                "an unknown extension of 2000 bytes" => new Hello { Extensions = [.. DefaultExtensions(), new(0xFE42, r.Bytes(2000))] },
                _ => new Hello { Extensions = [.. DefaultExtensions(), new(Heartbeat, [0x01])] },
            };
            return Make($"extensions: {variant}", hello, variant == "a duplicate supported_groups");
        },
        (ref FuzzRandom r) =>
        {
            List<Extension> extensions = DefaultExtensions();
            int at = r.Next(extensions.Count);
            Extension target = extensions[at];
            int length = r.Pick([target.Body.Length + 1, Math.Max(0, target.Body.Length - 1), 0xFFFF, 0]);
            if (length == target.Body.Length)
            {
                length++;
            }

            extensions[at] = target with { Length = length };
            return Make($"extension {Hex16(target.Type)} length = {length} (true value {target.Body.Length})", new Hello { Extensions = extensions }, true);
        },
        (ref FuzzRandom r) =>
        {
            int actual = new Hello().Extensions.Sum(e => 4 + e.Body.Length);
            int length = r.Pick([0, 1, actual - 1, actual + 1, actual + 100, 0xFFFF]);
            return Make($"extensions length = {length} (true value {actual})", new Hello { ExtensionsLength = length }, true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["TLS 1.3 only", "GREASE only", "an empty list", "an odd length", "draft 28 only", "SSL 3.0 only", "127 versions", "TLS 1.2 only"]);
            (byte[] body, bool invalid) = variant switch
            {
                "TLS 1.3 only" => (new byte[] { 2, 0x03, 0x04 }, false),
                "GREASE only" => (new byte[] { 2, 0x0A, 0x0A }, false),
                "an empty list" => (new byte[] { 0 }, true),
                "an odd length" => (new byte[] { 3, 0x03, 0x04, 0x03 }, true),
                "draft 28 only" => (new byte[] { 2, 0x7F, 0x1C }, false),
                "SSL 3.0 only" => (new byte[] { 2, 0x03, 0x00 }, false),
                "127 versions" => ([254, .. Enumerable.Range(0, 127).SelectMany(i => new byte[] { 0x03, (byte)i })], false),
                _ => (new byte[] { 2, 0x03, 0x03 }, false),
            };
            return Make($"supported_versions: {variant}", new Hello { Extensions = Replace(SupportedVersions, new(SupportedVersions, body)) }, invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["31-byte X25519 key", "an unknown group", "secp256r1 with a 32-byte key", "no shares", "a group not in supported_groups", "absent"]);
            (Extension? share, bool invalid) = variant switch
            {
                "31-byte X25519 key" => (new Extension(KeyShare, KeyShareBody(0x001D, KeyShareValue[..31])), true),
                "an unknown group" => (new Extension(KeyShare, KeyShareBody(0x0A0A, r.Bytes(1))), false),
                "secp256r1 with a 32-byte key" => (new Extension(KeyShare, KeyShareBody(0x0017, KeyShareValue)), true),
                "no shares" => (new Extension(KeyShare, [0, 0]), false),
                "a group not in supported_groups" => (new Extension(KeyShare, KeyShareBody(0x001E, [.. KeyShareValue, .. KeyShareValue[..24]])), true),
                _ => ((Extension?)null, true),
            };
            return Make($"key_share: {variant}", new Hello { Extensions = Replace(KeyShare, share) }, invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["empty supported_groups", "unknown groups only", "odd supported_groups length", "empty signature_algorithms", "unknown signature schemes only", "rsa_pkcs1_sha1 only"]);
            (ushort type, byte[] body, bool invalid) = variant switch
            {
                "empty supported_groups" => (SupportedGroups, new byte[] { 0, 0 }, true),
                "unknown groups only" => (SupportedGroups, List16([0x0A0A, 0xFE00]), false),
                "odd supported_groups length" => (SupportedGroups, new byte[] { 0, 3, 0, 0x1D, 0 }, true),
                "empty signature_algorithms" => (SignatureAlgorithms, new byte[] { 0, 0 }, true),
                "unknown signature schemes only" => (SignatureAlgorithms, List16([0x0A0A, 0xFEFE]), false),
                _ => (SignatureAlgorithms, List16([0x0201]), false),
            };
            return Make($"{variant}", new Hello { Extensions = Replace(type, new(type, body)) }, invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["a 255-character host name", "an empty host name", "an IP address", "name type 1", "a host name with a NUL"]);
            (byte type, byte[] name, bool invalid) = variant switch
            {
                "a 255-character host name" => ((byte)0, Encoding.ASCII.GetBytes(new string('a', 255)), false),
                "an empty host name" => ((byte)0, Array.Empty<byte>(), true),
                "an IP address" => ((byte)0, Encoding.ASCII.GetBytes("127.0.0.1"), true),
                "name type 1" => ((byte)1, Encoding.ASCII.GetBytes("rdp.example.com"), false),
                _ => ((byte)0, Encoding.ASCII.GetBytes("rdp\0example.com"), true),
            };
            var entry = new List<byte> { type };
            U16(entry, name.Length);
            entry.AddRange(name);
            var body = new List<byte>();
            U16(body, entry.Count);
            body.AddRange(entry);
            return Make($"server_name: {variant}", new Hello { Extensions = [new(ServerName, [.. body]), .. DefaultExtensions()] }, invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["rdp and h2", "an empty protocol name", "a 255-byte protocol name"]);
            byte[] names = variant switch
            {
                "rdp and h2" => [3, (byte)'r', (byte)'d', (byte)'p', 2, (byte)'h', (byte)'2'],
                "an empty protocol name" => [0],
                _ => [255, .. Enumerable.Repeat((byte)'x', 255)],
            };
            var body = new List<byte>();
            U16(body, names.Length);
            body.AddRange(names);
            return Make($"application_layer_protocol_negotiation: {variant}", new Hello { Extensions = [.. DefaultExtensions(), new(Alpn, [.. body])] }, variant == "an empty protocol name");
        },
        (ref FuzzRandom r) =>
        {
            byte type = r.Pick<byte>([0x00, 0x02, 0x0B, 0x10, 0x14, 0xFF]);
            return Make($"handshake.msg_type = 0x{type:x2} (a ClientHello is 0x01)", new Hello { HandshakeType = type }, true);
        },
        (ref FuzzRandom r) =>
        {
            int actual = new Hello().Encode().Length - 9;
            int length = r.Pick([0, actual - 1, actual + 1, actual + 1000, 0xFFFFFF]);
            return Make($"handshake length = {length} (true value {actual})", new Hello { HandshakeLength = length }, true);
        },
        (ref FuzzRandom r) =>
        {
            byte type = r.Pick<byte>([0x14, 0x15, 0x17, 0x18, 0x00, 0xFF]);
            return Make($"record.content_type = 0x{type:x2} (a handshake record is 0x16)", new Hello { RecordType = type }, true);
        },
        (ref FuzzRandom r) =>
        {
            int actual = new Hello().Encode().Length - 5;
            int length = r.Pick([0, 1, actual - 1, 16385, 18432, 0xFFFF]);
            return Make($"record length = {length} (true value {actual})", new Hello { RecordLength = length }, true);
        },
        (ref FuzzRandom r) =>
        {
            int size = r.Pick([1, 4, 16, 100]);
            return Make($"the ClientHello split into records of {size} byte(s)", new Hello { Fragment = size }, false);
        },
        (ref FuzzRandom r) =>
        {
            byte[] trailing = r.Bytes(r.Next(1, 33));
            return Make($"{trailing.Length} byte(s) after the extensions inside the handshake message", new Hello { Trailing = trailing }, true);
        },
        (ref FuzzRandom r) =>
        {
            // An SSL 2.0-compatible CLIENT-HELLO (RFC 5246 appendix E.2) offering TLS 1.0 with three suites.
            byte[] challenge = FixedRandom[..16];
            byte[] body = [0x01, 0x03, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x2F, 0x00, 0x00, 0x35, 0x00, 0x00, 0x0A, .. challenge];
            return new Mutated("an SSL 2.0-compatible CLIENT-HELLO offering TLS 1.0", [(byte)(0x80 | (body.Length >> 8)), (byte)body.Length, .. body], false);
        },
    ];
}
