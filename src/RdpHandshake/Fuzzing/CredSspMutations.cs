using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using static RdpHandshake.Fuzzing.FuzzCaseGenerator;

namespace RdpHandshake.Fuzzing;

/// <summary>
/// Mutations of the client's first CredSSP TSRequest (MS-CSSP 2.2.1, 3.1.5): version [0] and negoTokens [1]
/// carrying an SPNEGO NegTokenInit with the NTLM NEGOTIATE, written as raw DER so that tags, lengths and
/// field order can be anything.
/// </summary>
internal static class CredSspMutations
{
    public const int Version = 6;

    public static byte[] NtlmNegotiate() => Pdu.Encode(new NtlmNegotiateMessage(NtlmNegotiateMessage.CredSspClientFlags, new NtlmVersion(10, 0, 20348)));

    public static byte[] SpnegoToken() => NegTokenInit([Spnego.NtlmOid], NtlmNegotiate());

    public static byte[] Baseline() => Pdu.Encode(new TsRequest(Version, [new ByteString(SpnegoToken())]));

    private static byte[] NegTokenInit(IReadOnlyList<string> mechTypes, byte[] mechToken) => Pdu.Encode(new SpnegoNegTokenInit(mechTypes, new ByteString(mechToken)));

    /// <summary>A DER tag-length-value with the minimal definite length (X.690 8.1.3, 10.1).</summary>
    internal static byte[] Tlv(byte tag, byte[] content)
    {
        int length = content.Length;
        byte[] header = length switch
        {
            < 0x80 => [tag, (byte)length],
            <= 0xFF => [tag, 0x81, (byte)length],
            <= 0xFFFF => [tag, 0x82, (byte)(length >> 8), (byte)length],
            _ => [tag, 0x83, (byte)(length >> 16), (byte)(length >> 8), (byte)length],
        };
        return [.. header, .. content];
    }

    internal static byte[] Seq(params byte[][] items) => Tlv(0x30, [.. items.SelectMany(i => i)]);

    internal static byte[] Ctx(int number, byte[] content) => Tlv((byte)(0xA0 | number), content);

    internal static byte[] Oct(byte[] content) => Tlv(0x04, content);

    /// <summary>A DER INTEGER: minimal two's complement content.</summary>
    internal static byte[] Int(long value)
    {
        var content = new List<byte>();
        long v = value;
        do
        {
            content.Insert(0, (byte)v);
            v >>= 8;
        }
        while (!((v == 0 && (content[0] & 0x80) == 0) || (v == -1 && (content[0] & 0x80) != 0)));
        return Tlv(0x02, [.. content]);
    }

    internal static byte[] NegoTokens(params byte[][] tokens) => Ctx(1, Seq([.. tokens.Select(t => Seq(Ctx(0, Oct(t))))]));

    internal static byte[] Request(byte[]? version = null, byte[]? negoTokens = null, params byte[][] more) =>
        Seq([Ctx(0, version ?? Int(Version)), negoTokens ?? NegoTokens(SpnegoToken()), .. more]);

    public static IReadOnlyList<Mutator> All { get; } =
    [
        (ref FuzzRandom r) =>
        {
            long version = r.Pick<long>([0, 1, 2, 3, 4, 5, 7, 255, 256, -1, int.MaxValue, long.MaxValue]);
            return new Mutated($"tsRequest.version = {version}", Request(Int(version)), version < 1);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["zero-length INTEGER", "non-minimal INTEGER 00 06", "17-byte INTEGER", "OCTET STRING instead of INTEGER", "BOOLEAN instead of INTEGER"]);
            byte[] version = variant switch
            {
                "zero-length INTEGER" => [0x02, 0x00],
                "non-minimal INTEGER 00 06" => [0x02, 0x02, 0x00, 0x06],
                "17-byte INTEGER" => [0x02, 0x11, 0x01, .. new byte[16]],
                "OCTET STRING instead of INTEGER" => [0x04, 0x01, 0x06],
                _ => [0x01, 0x01, 0xFF],
            };
            return new Mutated($"tsRequest.version as {variant}", Request(version), true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["absent", "an empty SEQUENCE OF", "one empty token", "the token twice", "50 tokens"]);
            byte[] request = variant switch
            {
                "absent" => Seq(Ctx(0, Int(Version))),
                "an empty SEQUENCE OF" => Request(negoTokens: Ctx(1, Seq())),
                "one empty token" => Request(negoTokens: NegoTokens(Array.Empty<byte>())),
                "the token twice" => Request(negoTokens: NegoTokens(SpnegoToken(), SpnegoToken())),
                _ => Request(negoTokens: NegoTokens(Enumerable.Repeat(SpnegoToken(), 50).ToArray())),
            };
            return new Mutated($"negoTokens: {variant}", request, variant != "the token twice");
        },
        (ref FuzzRandom r) =>
        {
            int size = r.Pick([4096, 16384, 32000, 60000]);
            byte[] token = [.. SpnegoToken(), .. r.Bytes(size)];
            return new Mutated($"negoToken of {token.Length} bytes (NegTokenInit then random bytes)", Request(negoTokens: NegoTokens(token)), true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["bare NTLM NEGOTIATE (no SPNEGO)", "SPNEGO offering Kerberos only", "NTLM signature altered", "NTLM message type 3", "NTLM message type 0xff", "random bytes"]);
            byte[] ntlm = NtlmNegotiate();
            (byte[] token, bool invalid) = variant switch
            {
                "bare NTLM NEGOTIATE (no SPNEGO)" => (ntlm, false),
                "SPNEGO offering Kerberos only" => (NegTokenInit(["1.2.840.113554.1.2.2"], ntlm), false),
                "NTLM signature altered" => (NegTokenInit([Spnego.NtlmOid], [.. "NTLMSSX\0"u8, .. ntlm[8..]]), true),
                "NTLM message type 3" => (NegTokenInit([Spnego.NtlmOid], [.. ntlm[..8], 3, 0, 0, 0, .. ntlm[12..]]), true),
                "NTLM message type 0xff" => (NegTokenInit([Spnego.NtlmOid], [.. ntlm[..8], 0xFF, 0, 0, 0, .. ntlm[12..]]), true),
                _ => (r.Bytes(r.Next(1, 200)), true),
            };
            return new Mutated($"negoToken: {variant}", Request(negoTokens: NegoTokens(token)), invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["pubKeyAuth", "authInfo", "errorCode", "clientNonce of 1 byte", "clientNonce of 64 bytes", "clientNonce of 32 bytes"]);
            (byte[] extra, bool invalid) = variant switch
            {
                "pubKeyAuth" => (Ctx(3, Oct(r.Bytes(32))), true),
                "authInfo" => (Ctx(2, Oct(r.Bytes(48))), true),
                "errorCode" => (Ctx(4, Int(unchecked((int)0xC000006D))), true),
                "clientNonce of 1 byte" => (Ctx(5, Oct(r.Bytes(1))), true),
                "clientNonce of 64 bytes" => (Ctx(5, Oct(r.Bytes(64))), true),
                _ => (Ctx(5, Oct(r.Bytes(32))), false),
            };
            return new Mutated($"first TSRequest with {variant}", Request(null, null, extra), invalid);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["negoTokens before version", "version twice", "an unknown field [6]", "an unknown field [30]"]);
            byte[] request = variant switch
            {
                "negoTokens before version" => Seq(NegoTokens(SpnegoToken()), Ctx(0, Int(Version))),
                "version twice" => Seq(Ctx(0, Int(Version)), Ctx(0, Int(Version)), NegoTokens(SpnegoToken())),
                "an unknown field [6]" => Request(null, null, Ctx(6, Int(1))),
                _ => Request(null, null, Ctx(30, Oct([1, 2, 3]))),
            };
            return new Mutated($"TSRequest fields: {variant}", request, true);
        },
        (ref FuzzRandom r) =>
        {
            byte[] valid = Baseline();
            byte[] content = valid[(valid[1] < 0x80 ? 2 : 2 + (valid[1] & 0x7F))..];
            string variant = r.Pick(["outer tag SET (0x31)", "outer tag [0] (0xa0)", "outer tag OCTET STRING", "indefinite length with end-of-contents", "length in five bytes", "non-minimal length 0x82 0x00 NN", "trailing bytes after the SEQUENCE", "inner length past the end"]);
            byte[] request = variant switch
            {
                "outer tag SET (0x31)" => [0x31, .. valid[1..]],
                "outer tag [0] (0xa0)" => [0xA0, .. valid[1..]],
                "outer tag OCTET STRING" => [0x04, .. valid[1..]],
                "indefinite length with end-of-contents" => [0x30, 0x80, .. content, 0x00, 0x00],
                "length in five bytes" => [0x30, 0x85, 0x00, 0x00, 0x00, (byte)(content.Length >> 8), (byte)content.Length, .. content],
                "non-minimal length 0x82 0x00 NN" => content.Length < 0x100 ? [0x30, 0x82, 0x00, (byte)content.Length, .. content] : [0x30, 0x83, 0x00, (byte)(content.Length >> 8), (byte)content.Length, .. content],
                "trailing bytes after the SEQUENCE" => [.. valid, .. r.Bytes(r.Next(1, 16))],
                _ => Seq(Ctx(0, Int(Version)), [0xA1, 0x82, 0x7F, 0xFF, .. NegoTokens(SpnegoToken())[2..]]),
            };
            return new Mutated($"DER: {variant}", request, true);
        },
        (ref FuzzRandom r) =>
        {
            int length = r.Pick([1, 2, 16, 100, 1000]);
            byte[] garbage = [0x30, .. r.Bytes(length)];
            return new Mutated($"DER: 0x30 then {length} random byte(s)", garbage, true);
        },
    ];
}
