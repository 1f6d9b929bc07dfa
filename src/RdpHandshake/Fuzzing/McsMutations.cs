using System.Buffers.Binary;
using System.Text;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using static RdpHandshake.Fuzzing.FuzzCaseGenerator;

namespace RdpHandshake.Fuzzing;

/// <summary>
/// Mutations of the Client MCS Connect Initial PDU with GCC Conference Create Request (MS-RDPBCGR 2.2.1.3): the
/// TPKT and X.224 Data header, the BER Connect-Initial (T.125), the PER GCC wrapper (T.124) and the client data
/// blocks (2.2.1.3.1 to 2.2.1.3.4). The baseline is what the session connector sends after the server selected
/// TLS: serverSelectedProtocol PROTOCOL_SSL, the four channels mstsc asks for.
/// </summary>
internal static class McsMutations
{
    public const SecurityProtocols Selected = SecurityProtocols.Ssl;

    private static ClientCoreData Core => new SessionOptions().Core with { ServerSelectedProtocol = (uint)Selected };

    /// <summary>The fixed part of a CS_CORE body: the block's fixed part without its TS_UD_HEADER.</summary>
    private const int CoreFixedBodySize = ClientCoreData.FixedPartSize - UserDataBlock.HeaderSize;

    public static byte[] Baseline() => FromBlocks(Blocks());

    /// <summary>The client data blocks as the session connector encodes them, with a core block of our choice.</summary>
    private static byte[] Blocks(ClientCoreData? core = null, IReadOnlyList<ChannelDefinition>? channels = null) =>
        Pdu.Encode(new ClientConferenceData(
            core ?? Core,
            new ClientSecurityData(0x1B, 0),
            new ClientNetworkData(channels ?? SessionOptions.DefaultChannels),
            new ClientClusterData(ClientClusterData.DefaultFlags, 0),
            []));

    /// <summary>The valid blocks split into (type, body) so that mutations can reorder, drop or rewrite them.</summary>
    private static List<(ushort Type, byte[] Body)> SplitBlocks()
    {
        byte[] bytes = Blocks();
        var blocks = new List<(ushort, byte[])>();
        for (int offset = 0; offset < bytes.Length;)
        {
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset));
            int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset + 2));
            blocks.Add((type, bytes[(offset + 4)..(offset + length)]));
            offset += length;
        }

        return blocks;
    }

    /// <summary>A TS_UD_HEADER and body, with any length.</summary>
    private static byte[] Block(ushort type, byte[] body, int? length = null)
    {
        byte[] header = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(header, type);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), (ushort)(length ?? (body.Length + 4)));
        return [.. header, .. body];
    }

    private static byte[] Join(IEnumerable<(ushort Type, byte[] Body)> blocks) => [.. blocks.SelectMany(b => Block(b.Type, b.Body))];

    private static byte[] FromBlocks(byte[] blocks) => Wrap(Pdu.Encode(McsConnectInitial.ForRdp(Pdu.Encode(new GccConferenceCreateRequest(new ByteString(blocks))))));

    private static byte[] Wrap(byte[] mcs) => Pdu.Encode(new X224Data(new ByteString(mcs)));

    /// <summary>A CS_NET body with any channel count and channel list.</summary>
    private static byte[] NetworkBody(uint count, IEnumerable<(byte[] Name, uint Options)> channels)
    {
        var body = new List<byte>();
        byte[] countBytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(countBytes, count);
        body.AddRange(countBytes);
        foreach ((byte[] name, uint options) in channels)
        {
            byte[] fixedName = new byte[8];
            name.AsSpan(0, Math.Min(8, name.Length)).CopyTo(fixedName);
            body.AddRange(fixedName);
            byte[] optionBytes = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(optionBytes, options);
            body.AddRange(optionBytes);
        }

        return [.. body];
    }

    private static byte[] WithNetwork(byte[] networkBody)
    {
        List<(ushort Type, byte[] Body)> blocks = SplitBlocks();
        int at = blocks.FindIndex(b => b.Type == (ushort)UserDataType.ClientNetwork);
        blocks[at] = (blocks[at].Type, networkBody);
        return FromBlocks(Join(blocks));
    }

    /// <summary>The Connect-Initial with its BER application header replaced by <paramref name="header"/>.</summary>
    private static byte[] WithConnectInitialHeader(Func<int, byte[]> header)
    {
        byte[] mcs = Pdu.Encode(McsConnectInitial.ForRdp(Pdu.Encode(new GccConferenceCreateRequest(new ByteString(Blocks())))));
        int lengthBytes = mcs[2] < 0x80 ? 1 : 1 + (mcs[2] & 0x7F);
        byte[] content = mcs[(2 + lengthBytes)..];
        return Wrap([.. header(content.Length), .. content]);
    }

    private static Mutated WithCore(string description, ClientCoreData core, bool invalid) => new(description, FromBlocks(Blocks(core)), invalid);

    public static IReadOnlyList<Mutator> All { get; } =
    [
        (ref FuzzRandom r) =>
        {
            uint value = r.Pick<uint>([0, 2, 8, 3, 0x10, 0xFFFFFFFF]);
            return WithCore($"CS_CORE.serverSelectedProtocol = {Hex(value)} (the server selected {Hex((uint)Selected)})", Core with { ServerSelectedProtocol = value }, true);
        },
        (ref FuzzRandom r) =>
        {
            string field = r.Pick(["colorDepth", "postBeta2ColorDepth", "highColorDepth", "supportedColorDepths"]);
            ushort value = field switch
            {
                "colorDepth" or "postBeta2ColorDepth" => r.Pick<ushort>([0x0000, 0xCA00, 0xCA05, 0xCAFF, 0xFFFF]),
                "highColorDepth" => r.Pick<ushort>([0, 1, 7, 33, 64, 0xFFFF]),
                _ => r.Pick<ushort>([0x0000, 0x0010, 0xFFFF]),
            };
            ClientCoreData core = field switch
            {
                "colorDepth" => Core with { ColorDepth = value },
                "postBeta2ColorDepth" => Core with { PostBeta2ColorDepth = value },
                "highColorDepth" => Core with { HighColorDepth = value },
                _ => Core with { SupportedColorDepths = value },
            };
            return WithCore($"CS_CORE.{field} = 0x{value:x4}", core, true);
        },
        (ref FuzzRandom r) =>
        {
            (ushort width, ushort height) = r.Pick<(ushort, ushort)>([(0, 0), (1, 1), (200, 200), (8192, 8192), (8193, 8193), (65535, 65535), (1024, 0)]);
            bool invalid = width is < 200 or > 8192 || height is < 200 or > 8192;
            return WithCore($"CS_CORE.desktop = {width}x{height}", Core with { DesktopWidth = width, DesktopHeight = height }, invalid);
        },
        (ref FuzzRandom r) =>
        {
            uint version = r.Pick<uint>([0, 0x00080001, 0x00080004, 0x00080011, 0x00090000, 0xFFFFFFFF]);
            return WithCore($"CS_CORE.version = {Hex(version)} ({UserDataNames.Version(version)})", Core with { Version = version }, false);
        },
        (ref FuzzRandom r) =>
        {
            ushort sas = r.Pick<ushort>([0, 0xFFFF]);
            uint keyboard = r.Pick<uint>([0, 0xFFFFFFFF, 7]);
            return WithCore($"CS_CORE.SASSequence = 0x{sas:x4}, keyboardType = {Hex(keyboard)}", Core with { SasSequence = sas, KeyboardType = keyboard }, true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["a client name without NUL", "a client name of random bytes"]);
            byte[] name = variant == "a client name without NUL" ? [.. Enumerable.Repeat((byte)'A', 32)] : r.Bytes(32);
            return WithCore($"CS_CORE: {variant}", Core with { ClientName = new ByteString(name) }, true);
        },
        (ref FuzzRandom r) =>
        {
            int count = r.Pick([0, 1, 31]);
            ChannelDefinition[] channels = Enumerable.Range(0, count).Select(i => new ChannelDefinition($"ch{i}", ChannelDefinition.OptionInitialized)).ToArray();
            return new Mutated($"CS_NET with {count} channel(s)", FromBlocks(Blocks(channels: channels)), false);
        },
        (ref FuzzRandom r) =>
        {
            int count = r.Pick([32, 33, 64, 300]);
            byte[] body = NetworkBody((uint)count, Enumerable.Range(0, count).Select(i => (Encoding.ASCII.GetBytes($"c{i}"), ChannelDefinition.OptionInitialized)));
            return new Mutated($"CS_NET with {count} channels (at most 31 allowed)", WithNetwork(body), true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["channelCount 5 with 4 channels", "channelCount 0xffffffff with 4 channels", "channelCount 3 with 4 channels", "names of 8 letters without NUL", "the same name four times", "names of random bytes"]);
            (byte[] Name, uint Options)[] four = SessionOptions.DefaultChannels.Select(c => (Encoding.ASCII.GetBytes(c.Name), c.Options)).ToArray();
            byte[] body = variant switch
            {
                "channelCount 5 with 4 channels" => NetworkBody(5, four),
                "channelCount 0xffffffff with 4 channels" => NetworkBody(0xFFFFFFFF, four),
                "channelCount 3 with 4 channels" => NetworkBody(3, four),
                "names of 8 letters without NUL" => NetworkBody(4, four.Select(c => (Encoding.ASCII.GetBytes("ABCDEFGH"), c.Options))),
                "the same name four times" => NetworkBody(4, four.Select(c => (Encoding.ASCII.GetBytes("rdpdr"), c.Options))),
                _ => NetworkBody(4, [(r.Bytes(8), 0x80000000u), (r.Bytes(8), 0x80000000u), (r.Bytes(8), 0x80000000u), (r.Bytes(8), 0x80000000u)]),
            };
            return new Mutated($"CS_NET: {variant}", WithNetwork(body), variant != "the same name four times");
        },
        (ref FuzzRandom r) =>
        {
            List<(ushort Type, byte[] Body)> blocks = SplitBlocks();
            string variant = r.Pick(["core block cut to its fixed part", "core block shorter than its fixed part", "no core block", "no security block", "the core block twice", "blocks in reverse order"]);
            switch (variant)
            {
                case "core block cut to its fixed part":
                    blocks[0] = (blocks[0].Type, blocks[0].Body[..CoreFixedBodySize]);
                    break;
                case "core block shorter than its fixed part":
                    blocks[0] = (blocks[0].Type, blocks[0].Body[..r.Next(0, CoreFixedBodySize)]);
                    break;
                case "no core block":
                    blocks.RemoveAt(0);
                    break;
                case "no security block":
                    blocks.RemoveAll(b => b.Type == (ushort)UserDataType.ClientSecurity);
                    break;
                case "the core block twice":
                    blocks.Insert(1, blocks[0]);
                    break;
                default:
                    blocks.Reverse();
                    break;
            }

            return new Mutated($"client data: {variant}", FromBlocks(Join(blocks)), variant is not ("core block cut to its fixed part" or "blocks in reverse order"));
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["a zero-length block", "a header-only block", "a block longer than the data", "a block length of 3", "an unknown block of 100 bytes", "1000 unknown header-only blocks"]);
            byte[] valid = Blocks();
            (byte[] Blocks, bool Invalid) choice = variant switch
            {
                "a zero-length block" => ([.. valid, .. Block(0xC0FF, [], 0)], true),
                "a header-only block" => ([.. valid, .. Block(0xC0FF, [])], false),
                "a block longer than the data" => ([.. valid, .. Block((ushort)UserDataType.ClientMonitor, r.Bytes(8), 0xFFFF)], true),
                "a block length of 3" => ([.. valid, .. Block(0xC0FF, [0], 3)], true),
                "an unknown block of 100 bytes" => ([.. valid, .. Block(0xC0FF, r.Bytes(100))], false),
                _ => ([.. valid, .. Enumerable.Range(0, 1000).SelectMany(_ => Block(0xC0FF, []))], false),
            };
            return new Mutated($"client data: {variant}", FromBlocks(choice.Blocks), choice.Invalid);
        },
        (ref FuzzRandom r) =>
        {
            byte[] valid = Blocks();
            int length = r.Pick([0, 4, 8, 0xFFFF]);
            // The first block's (the core block's) length field.
            byte[] blocks = (byte[])valid.Clone();
            BinaryPrimitives.WriteUInt16LittleEndian(blocks.AsSpan(2), (ushort)length);
            return new Mutated($"CS_CORE header length = {length} (true value {BinaryPrimitives.ReadUInt16LittleEndian(valid.AsSpan(2))})", FromBlocks(blocks), true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["H.221 key McDn (the server's) instead of Duca", "t124Identifier OID changed", "PER user data length too long", "PER user data length zero", "conference name changed"]);
            byte[] gcc = Pdu.Encode(new GccConferenceCreateRequest(new ByteString(Blocks())));
            int key = gcc.AsSpan().IndexOf("Duca"u8);
            switch (variant)
            {
                case "H.221 key McDn (the server's) instead of Duca":
                    "McDn"u8.CopyTo(gcc.AsSpan(key));
                    break;
                case "t124Identifier OID changed":
                    gcc[6] ^= 0x01;
                    break;
                case "PER user data length too long":
                    gcc[key + 4] = 0x80 | 0x7F;
                    gcc[key + 5] = 0xFF;
                    break;
                case "PER user data length zero":
                    gcc[key + 4] = 0x80;
                    gcc[key + 5] = 0x00;
                    break;
                default:
                    gcc[12] ^= 0x10;
                    break;
            }

            return new Mutated($"GCC: {variant}", Wrap(Pdu.Encode(McsConnectInitial.ForRdp(gcc))), true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["application tag 102 (Connect-Response)", "application tag 103", "length one too long", "length one too short", "indefinite length", "a five-byte length", "length 0"]);
            byte[] bytes = WithConnectInitialHeader(length => variant switch
            {
                "application tag 102 (Connect-Response)" => [0x7F, 0x66, 0x82, (byte)(length >> 8), (byte)length],
                "application tag 103" => [0x7F, 0x67, 0x82, (byte)(length >> 8), (byte)length],
                "length one too long" => [0x7F, 0x65, 0x82, (byte)((length + 1) >> 8), (byte)(length + 1)],
                "length one too short" => [0x7F, 0x65, 0x82, (byte)((length - 1) >> 8), (byte)(length - 1)],
                "indefinite length" => [0x7F, 0x65, 0x80],
                "a five-byte length" => [0x7F, 0x65, 0x85, 0, 0, 0, (byte)(length >> 8), (byte)length],
                _ => [0x7F, 0x65, 0x00],
            });
            return new Mutated($"BER Connect-Initial: {variant}", bytes, true);
        },
        (ref FuzzRandom r) =>
        {
            string variant = r.Pick(["maxMCSPDUsize 0", "maxChannelIds 0", "protocolVersion 3", "maxMCSPDUsize 0xffffffff", "upwardFlag FALSE", "a 1000-byte callingDomainSelector"]);
            byte[] gcc = Pdu.Encode(new GccConferenceCreateRequest(new ByteString(Blocks())));
            McsConnectInitial initial = McsConnectInitial.ForRdp(gcc);
            initial = variant switch
            {
                "maxMCSPDUsize 0" => initial with { TargetParameters = initial.TargetParameters with { MaxMcsPduSize = 0 }, MinimumParameters = initial.MinimumParameters with { MaxMcsPduSize = 0 }, MaximumParameters = initial.MaximumParameters with { MaxMcsPduSize = 0 } },
                "maxChannelIds 0" => initial with { TargetParameters = initial.TargetParameters with { MaxChannelIds = 0 } },
                "protocolVersion 3" => initial with { TargetParameters = initial.TargetParameters with { ProtocolVersion = 3 }, MinimumParameters = initial.MinimumParameters with { ProtocolVersion = 3 }, MaximumParameters = initial.MaximumParameters with { ProtocolVersion = 3 } },
                "maxMCSPDUsize 0xffffffff" => initial with { TargetParameters = initial.TargetParameters with { MaxMcsPduSize = 0xFFFFFFFF } },
                "upwardFlag FALSE" => initial with { UpwardFlag = false },
                _ => initial with { CallingDomainSelector = new ByteString(r.Bytes(1000)) },
            };
            return new Mutated($"MCS Connect-Initial: {variant}", Wrap(Pdu.Encode(initial)), variant != "a 1000-byte callingDomainSelector");
        },
        (ref FuzzRandom r) =>
        {
            byte[] bytes = Baseline();
            string variant = r.Pick(["X.224 code CR (0xe0) instead of DT", "X.224 EOT bit clear", "X.224 length indicator 0", "TPKT length one short", "TPKT version 0"]);
            switch (variant)
            {
                case "X.224 code CR (0xe0) instead of DT":
                    bytes[5] = 0xE0;
                    break;
                case "X.224 EOT bit clear":
                    bytes[6] = 0x00;
                    break;
                case "X.224 length indicator 0":
                    bytes[4] = 0x00;
                    break;
                case "TPKT length one short":
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(bytes.Length - 1));
                    break;
                default:
                    bytes[0] = 0x00;
                    break;
            }

            return new Mutated($"framing: {variant}", bytes, true);
        },
    ];
}
