using System.Buffers.Binary;
using System.Text;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;
using static RdpHandshake.Fuzzing.FuzzCaseGenerator;

namespace RdpHandshake.Fuzzing;

/// <summary>
/// Mutations of the Client X.224 Connection Request (MS-RDPBCGR 2.2.1.1): TPKT header, X.224 CR TPDU, the
/// cookie and the RDP_NEG_REQ (2.2.1.1.1) with its optional RDP_NEG_CORRELATION_INFO (2.2.1.1.2).
/// </summary>
internal static class X224Mutations
{
    /// <summary>What the baseline requests: TLS, CredSSP and CredSSP with Early User Authorization, as mstsc.</summary>
    public const SecurityProtocols Requested = SecurityProtocols.Ssl | SecurityProtocols.Hybrid | SecurityProtocols.HybridEx;

    public const string Cookie = "rdphs";

    public static byte[] Baseline() =>
        Pdu.Encode(new X224ConnectionRequest(Cookie: Cookie, NegotiationRequest: new RdpNegotiationRequest(Requested)));

    /// <summary>The parts of a Connection Request, each of which a mutation may set to anything.</summary>
    internal sealed record Request
    {
        public byte TpktVersion { get; init; } = TpktHeader.Version3;
        public byte TpktReserved { get; init; }

        /// <summary>The TPKT length to announce; null for the true length.</summary>
        public int? TpktLength { get; init; }

        /// <summary>The X.224 length indicator; null for the true one.</summary>
        public int? LengthIndicator { get; init; }

        public byte Code { get; init; } = 0xE0;
        public ushort DstRef { get; init; }
        public ushort SrcRef { get; init; }
        public byte ClassOptions { get; init; }

        /// <summary>The cookie or routing token bytes, terminator included.</summary>
        public byte[] Prefix { get; init; } = Encoding.Latin1.GetBytes($"Cookie: mstshash={Cookie}\r\n");

        public byte[]? NegotiationRequest { get; init; } = NegReq();

        public byte[] Tail { get; init; } = [];

        public byte[] Encode()
        {
            byte[] neg = NegotiationRequest ?? [];
            int total = TpktHeader.FixedPartSize + 1 /* LI */ + 1 /* code */ + 2 /* DST-REF */ + 2 /* SRC-REF */ + 1 /* class */ + Prefix.Length + neg.Length + Tail.Length;
            byte[] bytes = new byte[total];
            bytes[0] = TpktVersion;
            bytes[1] = TpktReserved;
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(TpktLength ?? Math.Min(total, ushort.MaxValue)));
            bytes[4] = (byte)(LengthIndicator ?? Math.Min(total - 5, 255));
            bytes[5] = Code;
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), DstRef);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(8), SrcRef);
            bytes[10] = ClassOptions;
            Prefix.CopyTo(bytes, 11);
            neg.CopyTo(bytes, 11 + Prefix.Length);
            Tail.CopyTo(bytes, 11 + Prefix.Length + neg.Length);
            return bytes;
        }
    }

    /// <summary>An RDP_NEG_REQ with any field values (type 0x01, length 8 when valid).</summary>
    internal static byte[] NegReq(uint protocols = (uint)Requested, byte flags = 0, ushort length = 8, byte type = RdpNegotiationRequest.TypeCode)
    {
        byte[] bytes = new byte[8];
        bytes[0] = type;
        bytes[1] = flags;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), protocols);
        return bytes;
    }

    private static byte[] Correlation(ushort length = 36, byte type = RdpCorrelationInfo.TypeCode)
    {
        byte[] bytes = new byte[36];
        bytes[0] = type;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), length);
        Guid.Parse("6e0b2b4e-3f4a-4c1d-9b2a-1f2e3d4c5b6a").TryWriteBytes(bytes.AsSpan(4));
        return bytes;
    }

    private static Mutated Make(string description, Request request, bool invalid) => new(description, request.Encode(), invalid);

    public static IReadOnlyList<Mutator> All { get; } =
    [
        (ref FuzzRandom r) =>
        {
            uint value = r.Pick<uint>([0xFFFFFFFF, 0x0000001F, 0x0000000F, 0x80000000, 0x00000100, 0xFFFFFF00, 0x00000020]);
            return Make($"rdp_neg_req.requestedProtocols = {Hex(value)} (unknown bits set)", new Request { NegotiationRequest = NegReq(value) }, false);
        },
        (ref FuzzRandom r) =>
        {
            uint value = r.Pick<uint>([0, 1, 2, 8, 0x10, 0x04, 0x0A]);
            return Make($"rdp_neg_req.requestedProtocols = {Hex(value)} ({NegotiationNames.SpecNames((SecurityProtocols)value)})", new Request { NegotiationRequest = NegReq(value) }, false);
        },
        (ref FuzzRandom r) =>
        {
            uint value = r.NextUInt32();
            return Make($"rdp_neg_req.requestedProtocols = {Hex(value)} (random)", new Request { NegotiationRequest = NegReq(value) }, false);
        },
        (ref FuzzRandom r) =>
        {
            ushort length = r.Pick<ushort>([0, 1, 4, 7, 9, 16, 36, 0x0800, 0xFFFF]);
            return Make($"rdp_neg_req.length = {length} (must be 8)", new Request { NegotiationRequest = NegReq(length: length) }, true);
        },
        (ref FuzzRandom r) =>
        {
            byte type = r.Pick<byte>([0x00, 0x02, 0x03, 0x04, 0x06, 0x7F, 0xFF]);
            return Make($"rdp_neg_req.type = 0x{type:x2} (must be 0x01)", new Request { NegotiationRequest = NegReq(type: type) }, true);
        },
        (ref FuzzRandom r) =>
        {
            byte flags = r.Pick<byte>([0x01, 0x02, 0x08, 0x04, 0x0B, 0xF0, 0xFF]);
            // RESTRICTED_ADMIN (0x01), REDIRECTED_AUTHENTICATION (0x02) and CORRELATION_INFO_PRESENT (0x08) are defined;
            // the correlation flag without the structure, and undefined bits, break the rules.
            bool invalid = (flags & 0xF4) != 0 || (flags & 0x08) != 0;
            return Make($"rdp_neg_req.flags = 0x{flags:x2}", new Request { NegotiationRequest = NegReq(flags: flags) }, invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["no terminator", "CR only", "LF only", "LF CR"]);
            string end = variant switch { "no terminator" => string.Empty, "CR only" => "\r", "LF only" => "\n", _ => "\n\r" };
            return Make($"cookie with {variant}", new Request { Prefix = Encoding.Latin1.GetBytes($"Cookie: mstshash={Cookie}{end}") }, true);
        },
        (ref FuzzRandom r) =>
        {
            // The longest cookie that still fits the one-byte length indicator (254), or one byte more.
            int room = 254 - 6 - 17 - 2 - 8;
            int length = r.Pick([room, room + 1, room + 40]);
            string cookie = new('A', length);
            bool fits = length <= room;
            return Make($"cookie of {length} characters{(fits ? " (the longest that fits the length indicator)" : " (the length indicator overflows)")}", new Request { Prefix = Encoding.Latin1.GetBytes($"Cookie: mstshash={cookie}\r\n") }, !fits);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["empty cookie", "no cookie", "routing token", "token and cookie", "binary cookie"]);
            byte[] prefix = variant switch
            {
                "empty cookie" => Encoding.Latin1.GetBytes("Cookie: mstshash=\r\n"),
                "no cookie" => [],
                "routing token" => Encoding.Latin1.GetBytes("Cookie: msts=3640205228.15629.0000\r\n"),
                "token and cookie" => Encoding.Latin1.GetBytes($"Cookie: msts=3640205228.15629.0000\r\nCookie: mstshash={Cookie}\r\n"),
                _ => [.. Encoding.Latin1.GetBytes("Cookie: mstshash="), .. r.Bytes(12).Select(b => (byte)(b is 0x0D or 0x0A ? 0x41 : b)), 0x0D, 0x0A],
            };
            return Make($"{variant} before the RDP_NEG_REQ", new Request { Prefix = prefix }, variant == "token and cookie");
        },
        (ref FuzzRandom r) =>
        {
            int delta = r.Pick([-8, -2, -1, 1, 2, 8]);
            int actual = Baseline().Length - 5;
            int li = r.Chance(20) ? r.Pick([0, 6, 255]) : actual + delta;
            return Make($"x224.lengthIndicator = {li} (true value {actual})", new Request { LengthIndicator = li }, true);
        },
        (ref FuzzRandom r) =>
        {
            int actual = Baseline().Length;
            int length = r.Pick([0, 3, 4, 6, 7, actual - 1, actual + 1, actual + 100, 0xFFFF]);
            return Make($"tpkt.length = {length} (true value {actual})", new Request { TpktLength = length }, true);
        },
        (ref FuzzRandom r) =>
        {
            byte version = r.Pick<byte>([0x00, 0x02, 0x04, 0x16, 0xFF]);
            bool reserved = r.Chance(30);
            return reserved
                ? Make("tpkt.reserved = 0xff (must be 0)", new Request { TpktReserved = 0xFF }, true)
                : Make($"tpkt.version = 0x{version:x2} (must be 3)", new Request { TpktVersion = version }, true);
        },
        (ref FuzzRandom r) =>
        {
            byte code = r.Pick<byte>([0xD0, 0xF0, 0x80, 0x70, 0x00, 0xE1, 0xEF]);
            return Make($"x224.code = 0x{code:x2} (a Connection Request is 0xe0)", new Request { Code = code }, true);
        },
        (ref FuzzRandom r) =>
        {
            byte options = r.Pick<byte>([0x01, 0x02, 0x10, 0x20, 0x40, 0xFF]);
            return Make($"x224.classOptions = 0x{options:x2} (class 0 expected)", new Request { ClassOptions = options }, true);
        },
        (ref FuzzRandom r) =>
        {
            ushort dst = r.Chance(50) ? (ushort)0xFFFF : (ushort)r.Next(1, 0x10000);
            ushort src = (ushort)r.Next(0x10000);
            return Make($"x224.dstRef = 0x{dst:x4}, srcRef = 0x{src:x4}", new Request { DstRef = dst, SrcRef = src }, false);
        },
        (ref FuzzRandom r) => Make("no RDP_NEG_REQ (a pre-RDP 5.2 client)", new Request { NegotiationRequest = null }, false),
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["with its flag", "without its flag", "flag without the structure", "with length 8", "with type 0x07"]);
            (byte[] neg, byte[] tail, bool invalid) = variant switch
            {
                "with its flag" => (NegReq(flags: 0x08), Correlation(), false),
                "without its flag" => (NegReq(), Correlation(), true),
                "flag without the structure" => (NegReq(flags: 0x08), Array.Empty<byte>(), true),
                "with length 8" => (NegReq(flags: 0x08), Correlation(length: 8), true),
                _ => (NegReq(flags: 0x08), Correlation(type: 0x07), true),
            };
            return Make($"RDP_NEG_CORRELATION_INFO {variant}", new Request { NegotiationRequest = neg, Tail = tail }, invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["trailing random bytes", "the RDP_NEG_REQ twice", "a zero byte"]);
            byte[] tail = variant switch
            {
                "trailing random bytes" => r.Bytes(r.Next(1, 40)),
                "the RDP_NEG_REQ twice" => NegReq(),
                _ => [0],
            };
            return Make($"{variant} after the RDP_NEG_REQ", new Request { Tail = tail }, true);
        },
        (ref FuzzRandom r) =>
        {
            byte flags = (byte)(r.Chance(50) ? 0x01 : 0x02);
            uint protocols = r.Pick<uint>([0, 1, 2]);
            return Make($"rdp_neg_req.flags = 0x{flags:x2} ({(flags == 1 ? "RESTRICTED_ADMIN_MODE_REQUIRED" : "REDIRECTED_AUTHENTICATION_MODE_REQUIRED")}) with requestedProtocols {Hex(protocols)}", new Request { NegotiationRequest = NegReq(protocols, flags) }, false);
        },
        (ref FuzzRandom r) =>
        {
            // Only the fixed header: a TPDU that ends before the variable part.
            int cut = r.Pick([4, 5, 6, 8]);
            byte[] bytes = new Request { NegotiationRequest = null, Prefix = [] }.Encode()[..Math.Min(cut, 11)];
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)bytes.Length);
            if (bytes.Length > 4)
            {
                bytes[4] = (byte)(bytes.Length - 5);
            }

            return new Mutated($"a {bytes.Length}-byte packet with consistent lengths (no complete CR TPDU)", bytes, true);
        },
    ];
}
