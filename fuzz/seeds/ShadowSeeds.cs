// ShadowSeeds.cs - cuts the fuzz seeds out of rdphs reports of runs against FreeRDP's shadow server.
// Run by fuzz/seeds/shadow.sh (a .NET file-based app: dotnet run --file fuzz/seeds/ShadowSeeds.cs -- ...):
//
//   ShadowSeeds CORPUS AUTH.json AUTH-KEYS SPNEGO.json SPNEGO-KEYS INFO.json
//
// AUTH.json   probe --user --ntlm-bare to finalization, TLS 1.3 with TLS_AES_128_GCM_SHA256, --keylog AUTH-KEYS
// SPNEGO.json probe --user (NTLM in SPNEGO) until credssp, same TLS, --keylog SPNEGO-KEYS: the server's refusal
// INFO.json   ntlm-info: the CHALLENGE given without credentials
//
// A report records the wire bytes of every step; after TLS, the MCS and later steps are recorded as plaintext
// frames, the CredSSP steps as TLS records. Those are decrypted here with the TLS 1.3 traffic secrets of the key
// log (RFC 8446 7.1-7.3, 5.2), then every seed is written in the format of its harness
// (fuzz/RdpHandshake.Fuzz/Oracles.cs and SessionOracles.cs).
using RdpHandshake.Crypto;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

if (args.Length != 6)
{
    Console.Error.WriteLine("usage: ShadowSeeds CORPUS AUTH.json AUTH-KEYS SPNEGO.json SPNEGO-KEYS INFO.json");
    return 2;
}

string corpus = args[0];
var written = new List<string>();

void Write(string target, string name, byte[] bytes)
{
    string directory = Path.Combine(corpus, target);
    Directory.CreateDirectory(directory);
    File.WriteAllBytes(Path.Combine(directory, name), bytes);
    written.Add($"{target}/{name} ({bytes.Length} bytes)");
}

// --- The authenticated run: X.224, TLS, CredSSP with bare NTLM, MCS, licensing, capabilities, finalization.
Run auth = Run.Load(args[1], args[2]);

Write("x224", "shadow-cc-hybrid", auth.Received("x224.confirm"));

byte[] flight = [.. auth.Received("tls.server-hello"), .. auth.Received("tls.certificate"), .. auth.Received("tls.finished")];
Write("tls-session", "shadow-tls13-flight", flight);

ServerRecords records = auth.DecryptServer([.. flight[auth.Received("tls.server-hello").Length..], .. auth.Received("credssp.challenge"), .. auth.Received("credssp.pubkey")]);
Write("certificate", "shadow-self-signed.der", records.LeafCertificate());

List<byte[]> tsRequests = Der.Split(records.ApplicationData);
Require(tsRequests.Count == 2, $"expected the CHALLENGE and pubKeyAuth TSRequests, found {tsRequests.Count}");
auth.RequirePlaintext("credssp.challenge", tsRequests[0]);
Write("credssp", "shadow-challenge", tsRequests[0]);
Write("credssp", "shadow-pubkey", tsRequests[1]);
byte[] challenge = Der.NegoToken(tsRequests[0]);
Require(challenge.AsSpan().StartsWith("NTLMSSP\0\u0002\0\0\0"u8), "the CHALLENGE TSRequest does not carry a bare NTLM CHALLENGE");
Write("ntlm", "shadow-challenge", challenge);

// MCS: the harness takes the MCS PDU that an X.224 Data TPDU carries, without TPKT and X.224 headers.
byte[] connectResponse = Tpkt.Payload(auth.Received("mcs.connect-response"));
Write("mcs", "shadow-connect-response", connectResponse);
byte[] gcc = Ber.ConnectResponseUserData(connectResponse);
Write("mcs", "shadow-gcc-response", gcc);
Write("mcs", "shadow-server-data", Per.ServerDataBlocks(gcc));
Write("mcs", "shadow-attach-user-confirm", Tpkt.Payload(auth.Received("mcs.attach-user-confirm")));
Write("mcs", "shadow-channel-join-confirm", Tpkt.Payload(auth.Received(auth.Names.First(n => n.StartsWith("mcs.channel-join-confirm.", StringComparison.Ordinal)))));
byte[] license = auth.Received("licensing.license");
byte[] demandActive = auth.Received("capabilities.demand-active");
Write("mcs", "shadow-license-send-data", Tpkt.Payload(license));
Write("mcs", "shadow-demand-active-send-data", Tpkt.Payload(demandActive));

// Session: the harness cuts its input into TPKT frames after a scripted MCS phase, so the seed is the server's
// frames from licensing to the Font Map, as they came. It also runs the licensing and share decoders on the raw
// input: the licensing PDU without its security header, and Share Control PDUs (TLS: no security header).
(string Name, byte[] Bytes)[] sessionSteps = auth.Sequence().SkipWhile(s => s.Name != "licensing.license").TakeWhile(s => s.Name != "disconnect").ToArray();
Require(sessionSteps.Length > 0 && sessionSteps[^1].Name == "finalization.font-map", "the run did not end with the Font Map");
Write("session", "shadow-tls-licensing-to-font-map", sessionSteps.SelectMany(s => s.Bytes).ToArray());
Write("session", "shadow-license-error", Mcs.SendDataUserData(Tpkt.Payload(license))[4 /* basic security header */..]);
Write("session", "shadow-demand-active", Mcs.SendDataUserData(Tpkt.Payload(demandActive)));
Write("session", "shadow-finalization", sessionSteps.Where(s => s.Name.StartsWith("finalization.", StringComparison.Ordinal) && s.Bytes.Length > 0)
    .SelectMany(s => Mcs.SendDataUserData(Tpkt.Payload(s.Bytes))).ToArray());

// --- NTLM inside SPNEGO: FreeRDP 2 wants NTLM bare and answers with a TSRequest carrying an errorCode.
Run spnego = Run.Load(args[3], args[4]);
byte[] spnegoFlight = [.. spnego.Received("tls.server-hello"), .. spnego.Received("tls.certificate"), .. spnego.Received("tls.finished")];
ServerRecords refused = spnego.DecryptServer([.. spnegoFlight[spnego.Received("tls.server-hello").Length..], .. spnego.Received("credssp.challenge")]);
List<byte[]> refusal = Der.Split(refused.ApplicationData);
Require(refusal.Count == 1, $"expected one TSRequest in answer to SPNEGO, found {refusal.Count}");
spnego.RequirePlaintext("credssp.challenge", refusal[0]);
Write("credssp", "shadow-spnego-refused", refusal[0]);

// --- ntlm-info: its CHALLENGE TSRequest is in the report as plaintext (it is short enough not to be clipped).
Run info = Run.Load(args[5], null);
byte[] infoRequest = Convert.FromHexString(info.Field("credssp.challenge", "plaintext"));
byte[] infoChallenge = Der.NegoToken(infoRequest);
if (NtlmShape(infoChallenge) == NtlmShape(challenge))
{
    Console.WriteLine("ntlm-info's CHALLENGE has the layout and flags of the authenticated run's: no new seed");
}
else
{
    Write("ntlm", "shadow-ntlm-info-challenge", infoChallenge);
    Write("credssp", "shadow-ntlm-info-challenge", infoRequest);
}

Console.WriteLine(string.Join('\n', written));
return 0;

// Flags, payload offsets and lengths: what decides the decoder's path (the challenge, names' values and time do not).
static string NtlmShape(byte[] message) =>
    Convert.ToHexString(message.AsSpan(0, Math.Min(message.Length, 24))) + Convert.ToHexString(message.AsSpan(Math.Min(message.Length, 40), Math.Min(Math.Max(message.Length - 40, 0), 8))) + $"/{message.Length}";

static void Require(bool condition, string what)
{
    if (!condition)
    {
        throw new InvalidDataException(what);
    }
}

/// <summary>One rdphs JSON report and the TLS secrets of its connection.</summary>
internal sealed class Run
{
    private readonly JsonElement[] _steps;
    private readonly Dictionary<string, byte[]> _secrets;

    private Run(JsonElement[] steps, Dictionary<string, byte[]> secrets)
    {
        _steps = steps;
        _secrets = secrets;
    }

    public IEnumerable<string> Names => _steps.Select(s => s.GetProperty("name").GetString()!);

    /// <summary>Every step in order, with the bytes received in it.</summary>
    public IEnumerable<(string Name, byte[] Bytes)> Sequence() =>
        _steps.Select(s => (s.GetProperty("name").GetString()!, Convert.FromHexString(s.GetProperty("received").GetProperty("hex").GetString()!)));

    public static Run Load(string reportPath, string? keyLogPath)
    {
        using JsonDocument report = JsonDocument.Parse(File.ReadAllBytes(reportPath));
        JsonElement[] steps = report.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.Clone()).ToArray();
        var secrets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (keyLogPath is not null)
        {
            // NSS key log: LABEL CLIENT_RANDOM SECRET; one connection per file.
            foreach (string[] line in File.ReadLines(keyLogPath).Select(l => l.Split(' ')).Where(l => l.Length == 3))
            {
                secrets[line[0]] = Convert.FromHexString(line[2]);
            }
        }

        return new Run(steps, secrets);
    }

    /// <summary>The bytes received in the one step called <paramref name="name"/>.</summary>
    public byte[] Received(string name) =>
        Sequence().Where(s => s.Name == name).Select(s => s.Bytes).ToArray() is [byte[] one] ? one : throw new InvalidDataException($"not one step '{name}' in the report");

    public string Field(string step, string field) => Steps(step).Single().GetProperty("fields").GetProperty(field).GetString()!;

    /// <summary>The report's plaintext of a step is our decryption (or its first 1 024 bytes when clipped).</summary>
    public void RequirePlaintext(string step, byte[] decrypted)
    {
        string hex = Field(step, "plaintext");
        int cut = hex.IndexOf("...", StringComparison.Ordinal);
        string recorded = cut < 0 ? hex : hex[..cut];
        if (!Convert.ToHexStringLower(decrypted).StartsWith(recorded, StringComparison.Ordinal) || (cut < 0 && recorded.Length != decrypted.Length * 2))
        {
            throw new InvalidDataException($"the decrypted {step} TSRequest differs from the plaintext in the report");
        }
    }

    /// <summary>Decrypts the server's TLS 1.3 records after its ServerHello (TLS_AES_128_GCM_SHA256 only).</summary>
    public ServerRecords DecryptServer(byte[] records)
    {
        var handshake = new RecordKey(Secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"));
        var application = new RecordKey(Secret("SERVER_TRAFFIC_SECRET_0"));
        RecordKey current = handshake;
        var handshakeBytes = new List<byte>();
        var applicationData = new List<byte>();
        int offset = 0;
        while (offset < records.Length)
        {
            byte type = records[offset];
            int length = BinaryPrimitives.ReadUInt16BigEndian(records.AsSpan(offset + 3));
            ReadOnlySpan<byte> header = records.AsSpan(offset, 5);
            ReadOnlySpan<byte> body = records.AsSpan(offset + 5, length);
            offset += 5 + length;
            if (type == 0x14)
            {
                continue; // change_cipher_spec, sent for middlebox compatibility (RFC 8446 D.4)
            }

            if (type != 0x17)
            {
                throw new InvalidDataException($"unexpected TLS record type 0x{type:x2}");
            }

            byte[] inner = current.Open(header, body);
            int end = inner.Length - 1;
            while (end >= 0 && inner[end] == 0)
            {
                end--;
            }

            byte contentType = inner[end];
            byte[] content = inner[..end];
            if (contentType == 0x16 && current == handshake)
            {
                handshakeBytes.AddRange(content);
                if (Handshake.Contains(handshakeBytes, 20 /* finished */))
                {
                    current = application;
                }
            }
            else if (contentType == 0x17)
            {
                applicationData.AddRange(content);
            }
            else if (contentType != 0x16)
            {
                throw new InvalidDataException($"unexpected inner content type 0x{contentType:x2}");
            }

            // Handshake records under the application key are NewSessionTickets: not seeds.
        }

        return new ServerRecords([.. handshakeBytes], [.. applicationData]);
    }

    private IEnumerable<JsonElement> Steps(string name) => _steps.Where(s => s.GetProperty("name").GetString() == name);

    private byte[] Secret(string label) =>
        _secrets.TryGetValue(label, out byte[]? secret) ? secret : throw new InvalidDataException($"no {label} in the key log (TLS 1.3 is needed)");
}

/// <summary>What the server sent under TLS: its encrypted handshake messages and the application data.</summary>
internal sealed record ServerRecords(byte[] HandshakeMessages, byte[] ApplicationData)
{
    /// <summary>The first certificate of the TLS 1.3 Certificate message (RFC 8446 4.4.2).</summary>
    public byte[] LeafCertificate()
    {
        byte[] message = Handshake.Find(HandshakeMessages, 11 /* certificate */);
        int contextLength = message[0];
        int entry = 1 + contextLength + 3 /* certificate_list length */;
        int length = (message[entry] << 16) | (message[entry + 1] << 8) | message[entry + 2];
        return message[(entry + 3)..(entry + 3 + length)];
    }
}

internal static class Handshake
{
    public static bool Contains(List<byte> messages, byte type) => Messages([.. messages]).Any(m => m.Type == type);

    public static byte[] Find(byte[] messages, byte type) =>
        Messages(messages).FirstOrDefault(m => m.Type == type).Body ?? throw new InvalidDataException($"no handshake message {type}");

    private static IEnumerable<(byte Type, byte[] Body)> Messages(byte[] bytes)
    {
        int offset = 0;
        while (offset + 4 <= bytes.Length)
        {
            int length = (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
            if (offset + 4 + length > bytes.Length)
            {
                yield break;
            }

            yield return (bytes[offset], bytes[(offset + 4)..(offset + 4 + length)]);
            offset += 4 + length;
        }
    }
}

/// <summary>A TLS 1.3 record protection key for AES-128-GCM with SHA-256 (RFC 8446 7.3, 5.3).</summary>
internal sealed class RecordKey(byte[] secret)
{
    private readonly byte[] _key = ExpandLabel(secret, "key", 16);
    private readonly byte[] _iv = ExpandLabel(secret, "iv", 12);
    private ulong _sequence;

    public byte[] Open(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        byte[] nonce = (byte[])_iv.Clone();
        Span<byte> sequence = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(sequence, _sequence++);
        for (int i = 0; i < 8; i++)
        {
            nonce[4 + i] ^= sequence[i];
        }

        byte[] plaintext = new byte[body.Length - 16];
        using var gcm = new AesGcm(_key, 16);
        gcm.Decrypt(nonce, body[..^16], body[^16..], plaintext, header);
        return plaintext;
    }

    private static byte[] ExpandLabel(byte[] secret, string label, int length)
    {
        byte[] fullLabel = Encoding.ASCII.GetBytes("tls13 " + label);
        byte[] info = [(byte)(length >> 8), (byte)length, (byte)fullLabel.Length, .. fullLabel, 0 /* empty context */];
        return HKDF.Expand(HashAlgorithmName.SHA256, secret, length, info);
    }
}

internal static class Der
{
    /// <summary>Cuts a stream of DER SEQUENCEs (TSRequests) into its elements.</summary>
    public static List<byte[]> Split(byte[] stream)
    {
        var elements = new List<byte[]>();
        int offset = 0;
        while (offset < stream.Length)
        {
            (int headerLength, int contentLength) = Header(stream, offset);
            elements.Add(stream[offset..(offset + headerLength + contentLength)]);
            offset += headerLength + contentLength;
        }

        return elements;
    }

    /// <summary>negoTokens[0].negoToken of a TSRequest (MS-CSSP 2.2.1): [1] SEQUENCE OF SEQUENCE { [0] OCTET STRING }.</summary>
    public static byte[] NegoToken(byte[] tsRequest)
    {
        foreach ((byte tag, int element, _, _) in Children(tsRequest, 0))
        {
            if (tag == 0xa1)
            {
                (_, int sequenceOf, _, _) = Children(tsRequest, element).Single();
                (_, int sequence, _, _) = Children(tsRequest, sequenceOf).First();
                (_, int explicitToken, _, _) = Children(tsRequest, sequence).Single(c => c.Tag == 0xa0);
                (byte octetTag, _, int token, int tokenLength) = Children(tsRequest, explicitToken).Single();
                return octetTag == 0x04 ? tsRequest[token..(token + tokenLength)] : throw new InvalidDataException("negoToken is not an OCTET STRING");
            }
        }

        throw new InvalidDataException("the TSRequest has no negoTokens");
    }

    /// <summary>The elements inside the constructed element at <paramref name="offset"/>: tag, offset, content start, content length.</summary>
    public static IEnumerable<(byte Tag, int Offset, int Start, int Length)> Children(byte[] bytes, int offset)
    {
        (int headerLength, int contentLength) = Header(bytes, offset);
        int position = offset + headerLength;
        int end = position + contentLength;
        while (position < end)
        {
            (int h, int c) = Header(bytes, position);
            yield return (bytes[position], position, position + h, c);
            position += h + c;
        }
    }

    public static (int HeaderLength, int ContentLength) Header(byte[] bytes, int offset)
    {
        int first = bytes[offset + 1];
        if (first < 0x80)
        {
            return (2, first);
        }

        int count = first & 0x7f;
        int length = 0;
        for (int i = 0; i < count; i++)
        {
            length = (length << 8) | bytes[offset + 2 + i];
        }

        return (2 + count, length);
    }
}

internal static class Tpkt
{
    /// <summary>What an X.224 Data TPDU carries: the frame without TPKT (4 bytes) and X.224 DT (3 bytes) headers.</summary>
    public static byte[] Payload(byte[] frame)
    {
        if (frame.Length < 7 || frame[0] != 3 || BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)) != frame.Length || frame[4] != 2 || frame[5] != 0xf0)
        {
            throw new InvalidDataException($"not one TPKT frame with an X.224 Data TPDU: {Convert.ToHexString(frame.AsSpan(0, Math.Min(frame.Length, 8)))}");
        }

        return frame[7..];
    }
}

internal static class Ber
{
    /// <summary>The userData OCTET STRING of an MCS Connect-Response ([APPLICATION 102], T.125 11.2).</summary>
    public static byte[] ConnectResponseUserData(byte[] connectResponse)
    {
        // 7f 66 is a two-byte tag: step over its first byte so the header reads from the second.
        (byte tag, _, int start, int length) = Der.Children([.. connectResponse[1..]], 0).Last();
        return tag == 0x04 ? connectResponse[(1 + start)..(1 + start + length)] : throw new InvalidDataException("the Connect-Response does not end with userData");
    }
}

internal static class Per
{
    /// <summary>The server data blocks after the GCC Conference Create Response's "McDn" key and PER length (T.124).</summary>
    public static byte[] ServerDataBlocks(byte[] gcc)
    {
        int key = gcc.AsSpan().IndexOf("McDn"u8);
        if (key < 0)
        {
            throw new InvalidDataException("no H.221 key 'McDn' in the GCC response");
        }

        int position = key + 4;
        int length = gcc[position] < 0x80 ? gcc[position++] : ((gcc[position++] & 0x3f) << 8) | gcc[position++];
        if (position + length != gcc.Length)
        {
            throw new InvalidDataException($"the server data announce {length} bytes, {gcc.Length - position} follow");
        }

        return gcc[position..];
    }
}

internal static class Mcs
{
    /// <summary>The userData of a Send Data Indication (T.125 11.33): after choice, initiator, channel, priority and PER length.</summary>
    public static byte[] SendDataUserData(byte[] mcs)
    {
        if (mcs[0] >> 2 != 26)
        {
            throw new InvalidDataException($"not a Send Data Indication: 0x{mcs[0]:x2}");
        }

        int position = 6;
        int length = mcs[position] < 0x80 ? mcs[position++] : ((mcs[position++] & 0x3f) << 8) | mcs[position++];
        return position + length == mcs.Length ? mcs[position..] : throw new InvalidDataException("the Send Data Indication's length does not match");
    }
}
