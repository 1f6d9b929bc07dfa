using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Tests.Security;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Mcs;

/// <summary>
/// The GCC user data blocks, each a whole block with its TS_UD_HEADER: MS-RDPBCGR 2.2.1.3.2 to 2.2.1.3.5
/// (client) and 2.2.1.4.2 to 2.2.1.4.6 (server), with the vectors of 4.1.3 and 4.1.4.
/// </summary>
public sealed class GccUserDataTests
{
    /// <summary>MS-RDPBCGR 4.1.3: the CS_CORE block of the Client MCS Connect Initial PDU.</summary>
    private static readonly byte[] ClientCore413 = Hex(
        "01 c0 d8 00" // TS_UD_HEADER: type CS_CORE (0xc001), length 216
        + "04 00 08 00" // version: 0x00080004 (RDP 5.0 to 8.1)
        + "00 05" // desktopWidth: 1280
        + "00 04" // desktopHeight: 1024
        + "01 ca" // colorDepth: RNS_UD_COLOR_8BPP (0xca01)
        + "03 aa" // SASSequence: RNS_UD_SAS_DEL (0xaa03)
        + "09 04 00 00" // keyboardLayout: 0x409 (US)
        + "ce 0e 00 00" // clientBuild: 3790
        + "45 00 4c 00 54 00 4f 00 4e 00 53 00 2d 00 44 00 45 00 56 00 32 00 00 00 00 00 00 00 00 00 00 00" // clientName: "ELTONS-DEV2"
        + "04 00 00 00" // keyboardType: 4 (IBM enhanced 101/102 keys)
        + "00 00 00 00" // keyboardSubType: 0
        + "0c 00 00 00" // keyboardFunctionKey: 12
        + string.Concat(Enumerable.Repeat("00 ", 64)) // imeFileName: empty
        + "01 ca" // postBeta2ColorDepth: RNS_UD_COLOR_8BPP (0xca01)
        + "01 00" // clientProductId: 1
        + "00 00 00 00" // serialNumber: 0
        + "18 00" // highColorDepth: 24 bpp
        + "07 00" // supportedColorDepths: RNS_UD_24BPP_SUPPORT | 16BPP | 15BPP
        + "01 00" // earlyCapabilityFlags: RNS_UD_CS_SUPPORT_ERRINFO_PDU
        + "36 00 39 00 37 00 31 00 32 00 2d 00 37 00 38 00 33 00 2d 00 30 00 33 00 35 00 37 00 39 00 37 00 34 00 2d 00 34 00 32 00 37 00 31 00 34 00"
        + string.Concat(Enumerable.Repeat("00 ", 18)) // clientDigProductId: "69712-783-0357974-42714", 64 bytes
        + "00" // connectionType: 0 (not valid: RNS_UD_CS_VALID_CONNECTION_TYPE is clear)
        + "00" // pad1octet
        + "00 00 00 00"); // serverSelectedProtocol: PROTOCOL_RDP (0)

    /// <summary>MS-RDPBCGR 4.1.3: CS_CLUSTER.</summary>
    private static readonly byte[] ClientCluster413 = Hex(
        "04 c0 0c 00" // TS_UD_HEADER: type CS_CLUSTER (0xc004), length 12
        + "0d 00 00 00" // Flags: REDIRECTION_SUPPORTED | REDIRECTION_VERSION4 << 2
        + "00 00 00 00"); // RedirectedSessionID: 0

    /// <summary>MS-RDPBCGR 4.1.3: CS_SECURITY.</summary>
    private static readonly byte[] ClientSecurity413 = Hex(
        "02 c0 0c 00" // TS_UD_HEADER: type CS_SECURITY (0xc002), length 12
        + "1b 00 00 00" // encryptionMethods: 40BIT | 128BIT | 56BIT | FIPS
        + "00 00 00 00"); // extEncryptionMethods: 0

    /// <summary>MS-RDPBCGR 4.1.3: CS_NET.</summary>
    private static readonly byte[] ClientNetwork413 = Hex(
        "03 c0 2c 00" // TS_UD_HEADER: type CS_NET (0xc003), length 44
        + "03 00 00 00" // channelCount: 3
        + "72 64 70 64 72 00 00 00" + "00 00 80 80" // "rdpdr": INITIALIZED | COMPRESS_RDP
        + "63 6c 69 70 72 64 72 00" + "00 00 a0 c0" // "cliprdr": INITIALIZED | ENCRYPT_RDP | COMPRESS_RDP | SHOW_PROTOCOL
        + "72 64 70 73 6e 64 00 00" + "00 00 00 c0"); // "rdpsnd": INITIALIZED | ENCRYPT_RDP

    private static readonly ClientCoreData ClientCore413Value = new()
    {
        Version = 0x00080004,
        DesktopWidth = 1280,
        DesktopHeight = 1024,
        ColorDepth = 0xCA01,
        SasSequence = 0xAA03,
        KeyboardLayout = 0x409,
        ClientBuild = 3790,
        ClientName = ClientCoreData.FixedUtf16("ELTONS-DEV2", 32),
        KeyboardType = 4,
        KeyboardSubType = 0,
        KeyboardFunctionKey = 12,
        ImeFileName = new ByteString(new byte[64]),
        PostBeta2ColorDepth = 0xCA01,
        ClientProductId = 1,
        SerialNumber = 0,
        HighColorDepth = 24,
        SupportedColorDepths = 7,
        EarlyCapabilityFlags = ClientEarlyCapabilities.SupportErrInfoPdu,
        ClientDigProductId = ClientCoreData.FixedUtf16("69712-783-0357974-42714", 64),
        ConnectionType = 0,
        Pad1Octet = 0,
        ServerSelectedProtocol = 0,
    };

    private static readonly ChannelDefinition[] Channels413 =
        [new("rdpdr", 0x80800000), new("cliprdr", 0xC0A00000), new("rdpsnd", 0xC0000000)];

    /// <summary>MS-RDPBCGR 4.1.4: SC_CORE of the Server MCS Connect Response PDU.</summary>
    private static readonly byte[] ServerCore414 = Hex(
        "01 0c 0c 00" // TS_UD_HEADER: type SC_CORE (0x0c01), length 12
        + "04 00 08 00" // version: 0x00080004
        + "00 00 00 00"); // clientRequestedProtocols: PROTOCOL_RDP (0)

    /// <summary>MS-RDPBCGR 4.1.4: SC_NET.</summary>
    private static readonly byte[] ServerNetwork414 = Hex(
        "03 0c 10 00" // TS_UD_HEADER: type SC_NET (0x0c03), length 16
        + "eb 03" // MCSChannelId: 1003 (the I/O channel)
        + "03 00" // channelCount: 3
        + "ec 03 ed 03 ee 03" // channelIdArray: 1004, 1005, 1006
        + "00 00"); // Pad: channelCount is odd

    /// <summary>MS-RDPBCGR 4.1.4: SC_SECURITY, with the serverRandom and the proprietary certificate.</summary>
    private static byte[] ServerSecurity414() =>
    [
        .. Hex(
            "02 0c ec 00" // TS_UD_HEADER: type SC_SECURITY (0x0c02), length 236
            + "02 00 00 00" // encryptionMethod: ENCRYPTION_METHOD_128BIT
            + "02 00 00 00" // encryptionLevel: ENCRYPTION_LEVEL_CLIENT_COMPATIBLE
            + "20 00 00 00" // serverRandomLen: 32
            + "b8 00 00 00"), // serverCertLen: 184
        .. ServerCertificateTests.ServerRandom41, // serverRandom
        .. Load("server-certificate-4.1.4.hex"), // serverCertificate
    ];

    [Fact]
    public void The_client_blocks_are_those_of_the_4_1_3_dump()
    {
        byte[] connectInitial = Load("mcs-connect-initial-4.1.3.hex");
        byte[] blocks = [.. ClientCore413, .. ClientCluster413, .. ClientSecurity413, .. ClientNetwork413];
        Assert.Equal(blocks, connectInitial[^blocks.Length..]);
    }

    [Fact]
    public void Client_core_data_of_4_1_3() => CodecAssert.Vector(ClientCore413Value, ClientCore413);

    [Fact]
    public void Client_cluster_data_of_4_1_3() => CodecAssert.Vector(new ClientClusterData(0x0D, 0), ClientCluster413);

    [Fact]
    public void Client_security_data_of_4_1_3() => CodecAssert.Vector(new ClientSecurityData(0x1B, 0), ClientSecurity413);

    [Fact]
    public void Client_network_data_of_4_1_3() => CodecAssert.Vector(new ClientNetworkData(Channels413), ClientNetwork413);

    [Fact]
    public void Client_data_blocks_of_4_1_3_in_the_order_windows_sends_them() =>
        CodecAssert.Vector(
            new ClientConferenceData(ClientCore413Value, new ClientSecurityData(0x1B, 0), new ClientNetworkData(Channels413), new ClientClusterData(0x0D, 0), []),
            [.. ClientCore413, .. ClientCluster413, .. ClientSecurity413, .. ClientNetwork413]);

    [Fact]
    public void Server_core_data_of_4_1_4() => CodecAssert.Vector(new ServerCoreData(0x00080004, 0, null), ServerCore414);

    [Fact]
    public void Server_network_data_of_4_1_4() => CodecAssert.Vector(new ServerNetworkData(1003, [1004, 1005, 1006]), ServerNetwork414);

    [Fact]
    public void Server_security_data_of_4_1_4() =>
        CodecAssert.Vector(
            new ServerSecurityData(2, 2, new ByteString(ServerCertificateTests.ServerRandom41), new ByteString(Load("server-certificate-4.1.4.hex"))),
            ServerSecurity414());

    [Fact]
    public void Server_data_blocks_of_4_1_4() =>
        CodecAssert.Vector(
            new ServerConferenceData(
                new ServerCoreData(0x00080004, 0, null),
                new ServerSecurityData(2, 2, new ByteString(ServerCertificateTests.ServerRandom41), new ByteString(Load("server-certificate-4.1.4.hex"))),
                new ServerNetworkData(1003, [1004, 1005, 1006]),
                null, null, []),
            [.. ServerCore414, .. ServerNetwork414, .. ServerSecurity414()]);

    [Fact]
    public void A_block_of_another_type_is_an_unexpected_message_type()
    {
        DecodeResult<ClientSecurityData> decoded = Pdu.Decode<ClientSecurityData>(ClientCluster413);
        Assert.False(decoded.IsSuccess);
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, decoded.Error.Kind);
        Assert.Equal("decode TS_UD_CS_SEC: invalid type: expected CS_SECURITY (0xc002), got CS_CLUSTER (at offset 0)", decoded.Error.ToString());
    }

    [Theory]
    [InlineData("02 c0 03 00 1b 00 00 00 00 00 00 00", DecodeErrorKind.InvalidField, "3 is shorter than the block header")]
    [InlineData("02 c0 0d 00 1b 00 00 00 00 00 00 00", DecodeErrorKind.NotEnoughBytes, "need 9, have 8")]
    [InlineData("02 c0 0b 00 1b 00 00 00 00 00 00 00", DecodeErrorKind.NotEnoughBytes, "need 8, have 7")]
    public void The_header_length_must_cover_the_header_and_stay_within_the_data(string hex, DecodeErrorKind kind, string reason)
    {
        DecodeResult<ClientSecurityData> decoded = Pdu.Decode<ClientSecurityData>(Hex(hex));
        Assert.False(decoded.IsSuccess);
        Assert.Equal(kind, decoded.Error.Kind);
        Assert.Contains(reason, decoded.Error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_in_a_block_body_count_their_offset_from_the_start_of_the_data()
    {
        // The CS_NET of 4.1.3 behind its CS_SECURITY, with channelCount 32: the count is 16 bytes in.
        byte[] blocks = [.. ClientSecurity413, .. ClientNetwork413];
        blocks[ClientSecurity413.Length + 4] = 32;
        var reader = new PduReader(blocks);
        Assert.True(ClientSecurityData.Decode(ref reader).IsSuccess);
        DecodeResult<ClientNetworkData> network = ClientNetworkData.Decode(ref reader);
        Assert.False(network.IsSuccess);
        Assert.Equal("channelCount", network.Error.Field);
        Assert.Equal(ClientSecurity413.Length + 4, network.Error.Offset);
    }

    [Fact]
    public void Client_core_data_cut_after_any_optional_field_decodes_with_the_rest_absent()
    {
        // MS-RDPBCGR 2.2.1.3.2: each field after imeFileName is there only if the block is long enough for it.
        int[] ends = [132, 134, 136, 140, 142, 144, 146, 210, 211, 212, 216];
        foreach (int end in ends)
        {
            byte[] cut = [.. ClientCore413[..end]];
            BitConverter.TryWriteBytes(cut.AsSpan(2), (ushort)end);
            DecodeResult<ClientCoreData> decoded = Pdu.Decode<ClientCoreData>(cut);
            Assert.True(decoded.IsSuccess, $"{end}: {decoded}");
            Assert.Equal(cut, Pdu.Encode(decoded.Value));
        }

        ClientCoreData fixedOnly = Pdu.Decode<ClientCoreData>([.. ClientCore413[..2], .. BitConverter.GetBytes((ushort)132), .. ClientCore413[4..132]]).Value!;
        Assert.Null(fixedOnly.PostBeta2ColorDepth);
        Assert.Null(fixedOnly.ServerSelectedProtocol);
    }

    [Fact]
    public void Client_core_data_that_ends_inside_an_optional_field_is_rejected()
    {
        byte[] cut = [.. ClientCore413[..137]];
        BitConverter.TryWriteBytes(cut.AsSpan(2), (ushort)137);
        DecodeResult<ClientCoreData> decoded = Pdu.Decode<ClientCoreData>(cut);
        Assert.False(decoded.IsSuccess);
        Assert.Equal("optional field", decoded.Error.Field);
        Assert.Equal(136, decoded.Error.Offset);
    }

    [Theory]
    [InlineData("01 0c 08 00 04 00 08 00", 0x00080004u, null, null)]
    [InlineData("01 0c 0c 00 04 00 08 00 0b 00 00 00", 0x00080004u, 0x0Bu, null)]
    [InlineData("01 0c 10 00 05 00 08 00 03 00 00 00 01 00 00 00", 0x00080005u, 0x03u, 0x01u)]
    public void Server_core_data_carries_its_optional_fields_when_the_block_has_room(string hex, uint version, uint? requested, uint? flags) =>
        CodecAssert.Vector(new ServerCoreData(version, requested, flags), Hex(hex));

    [Fact]
    public void Server_core_data_with_part_of_an_optional_field_is_rejected()
    {
        DecodeResult<ServerCoreData> decoded = Pdu.Decode<ServerCoreData>(Hex("01 0c 0a 00 04 00 08 00 0b 00"));
        Assert.False(decoded.IsSuccess);
        Assert.Equal(DecodeErrorKind.TrailingBytes, decoded.Error.Kind);
    }

    [Fact]
    public void An_unknown_block_is_kept_as_it_came()
    {
        // A server block type no decoder knows (0x0c7f), with three bytes of body, after SC_CORE.
        byte[] unknown = Hex("7f 0c 07 00 01 02 03");
        CodecAssert.Vector(new UserDataBlock((UserDataType)0x0C7F, new ByteString([1, 2, 3])), unknown);
        DecodeResult<ServerConferenceData> decoded = Pdu.Decode<ServerConferenceData>([.. ServerCore414, .. unknown]);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal([new UserDataBlock((UserDataType)0x0C7F, new ByteString([1, 2, 3]))], decoded.Value.Unknown);
    }
}

/// <summary>Generators of spec-valid user data blocks (MS-RDPBCGR 2.2.1.3, 2.2.1.4).</summary>
public static class GccUserDataArbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ushort> UInt16 => Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    private static Gen<ByteString> Bytes(int count) => Gen.ArrayOf(Byte, count).Select(b => new ByteString(b));

    private static Gen<ByteString> UpTo(int max) => Gen.Choose(0, max).SelectMany(Bytes);

    public static Arbitrary<ClientCoreData> ClientCores() =>
        (from version in UInt32
         from width in UInt16
         from height in UInt16
         from words in Gen.ArrayOf(UInt16, 8)
         from longs in Gen.ArrayOf(UInt32, 12)
         from name in Bytes(32)
         from ime in Bytes(64)
         from digProductId in Bytes(64)
         from bytes in Gen.ArrayOf(Byte, 2)
         from optional in Gen.Choose(0, 15)
         select new ClientCoreData
         {
             Version = version,
             DesktopWidth = width,
             DesktopHeight = height,
             ColorDepth = words[0],
             SasSequence = words[1],
             KeyboardLayout = longs[0],
             ClientBuild = longs[1],
             ClientName = name,
             KeyboardType = longs[2],
             KeyboardSubType = longs[3],
             KeyboardFunctionKey = longs[4],
             ImeFileName = ime,

             // The optional fields are sent in order: the first `optional` of them are present.
             PostBeta2ColorDepth = optional > 0 ? words[2] : null,
             ClientProductId = optional > 1 ? words[3] : null,
             SerialNumber = optional > 2 ? longs[5] : null,
             HighColorDepth = optional > 3 ? words[4] : null,
             SupportedColorDepths = optional > 4 ? words[5] : null,
             EarlyCapabilityFlags = optional > 5 ? (ClientEarlyCapabilities)words[6] : null,
             ClientDigProductId = optional > 6 ? digProductId : null,
             ConnectionType = optional > 7 ? bytes[0] : null,
             Pad1Octet = optional > 8 ? bytes[1] : null,
             ServerSelectedProtocol = optional > 9 ? longs[6] : null,
             DesktopPhysicalWidth = optional > 10 ? longs[7] : null,
             DesktopPhysicalHeight = optional > 11 ? longs[8] : null,
             DesktopOrientation = optional > 12 ? words[7] : null,
             DesktopScaleFactor = optional > 13 ? longs[9] : null,
             DeviceScaleFactor = optional > 14 ? longs[10] : null,
         }).ToArbitrary();

    public static Arbitrary<ClientSecurityData> ClientSecurities() =>
        (from methods in UInt32 from ext in UInt32 select new ClientSecurityData(methods, ext)).ToArbitrary();

    public static Arbitrary<ClientClusterData> ClientClusters() =>
        (from flags in UInt32 from session in UInt32 select new ClientClusterData(flags, session)).ToArbitrary();

    /// <summary>Channel names of one to seven printable ASCII letters: the eighth byte is the terminating NUL.</summary>
    private static Gen<ChannelDefinition> Channel =>
        from length in Gen.Choose(1, 7)
        from letters in Gen.ArrayOf(Gen.Choose(0x21, 0x7E).Select(c => (char)c), length)
        from options in UInt32
        select new ChannelDefinition(new string(letters), options);

    public static Arbitrary<ClientNetworkData> ClientNetworks() =>
        Gen.Choose(0, ClientNetworkData.MaxChannels).SelectMany(n => Gen.ArrayOf(Channel, n)).Select(c => new ClientNetworkData(c)).ToArbitrary();

    public static Arbitrary<ServerCoreData> ServerCores() =>
        (from version in UInt32
         from requested in UInt32
         from flags in UInt32
         from optional in Gen.Choose(0, 2)
         select new ServerCoreData(version, optional > 0 ? requested : null, optional > 1 ? flags : null)).ToArbitrary();

    public static Arbitrary<ServerSecurityData> ServerSecurities() =>
        (from method in UInt32
         from level in UInt32
         from withRandom in ArbMap.Default.GeneratorFor<bool>()
         from random in Bytes(ServerSecurityData.ServerRandomSize)
         from certificate in UpTo(400)
         select withRandom
             ? new ServerSecurityData(method, level, random, certificate)
             : new ServerSecurityData(method, level, ByteString.Empty, ByteString.Empty)).ToArbitrary();

    public static Arbitrary<ServerNetworkData> ServerNetworks() =>
        (from io in UInt16
         from ids in Gen.Choose(0, ClientNetworkData.MaxChannels).SelectMany(n => Gen.ArrayOf(UInt16, n))
         select new ServerNetworkData(io, ids)).ToArbitrary();

    public static Arbitrary<ServerMessageChannelData> ServerMessageChannels() => UInt16.Select(id => new ServerMessageChannelData(id)).ToArbitrary();

    public static Arbitrary<ServerMultitransportData> ServerMultitransports() => UInt32.Select(flags => new ServerMultitransportData(flags)).ToArbitrary();

    public static Arbitrary<UserDataBlock> Blocks() => Block(UInt16.Select(t => (UserDataType)t)).ToArbitrary();

    /// <summary>A block of one of <paramref name="types"/> with a body of up to 300 bytes.</summary>
    private static Gen<UserDataBlock> Block(Gen<UserDataType> types) =>
        from type in types
        from body in UpTo(300)
        select new UserDataBlock(type, body);

    /// <summary>Types no typed field of a conference data record takes, so such blocks decode back into its extra list.</summary>
    private static Gen<UserDataType> Untyped(params UserDataType[] typed) =>
        UInt16.Select(t => (UserDataType)t).Where(t => !typed.Contains(t));

    private static Gen<T?> Maybe<T>(Gen<T> gen) where T : class =>
        ArbMap.Default.GeneratorFor<bool>().SelectMany(present => present ? gen.Select(v => (T?)v) : Gen.Constant<T?>(null));

    public static Arbitrary<ClientConferenceData> ClientConferences() =>
        (from core in ClientCores().Generator
         from security in ClientSecurities().Generator
         from network in Maybe(ClientNetworks().Generator)
         from cluster in Maybe(ClientClusters().Generator)
         from extra in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Block(Untyped(UserDataType.ClientCore, UserDataType.ClientSecurity, UserDataType.ClientNetwork, UserDataType.ClientCluster)), n))
         select new ClientConferenceData(core, security, network, cluster, extra)).ToArbitrary();

    public static Arbitrary<ServerConferenceData> ServerConferences() =>
        (from core in Maybe(ServerCores().Generator)
         from security in Maybe(ServerSecurities().Generator)
         from network in Maybe(ServerNetworks().Generator)
         from message in Maybe(ServerMessageChannels().Generator)
         from multitransport in Maybe(ServerMultitransports().Generator)
         from unknown in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Block(Untyped(UserDataType.ServerCore, UserDataType.ServerSecurity, UserDataType.ServerNetwork, UserDataType.ServerMessageChannel, UserDataType.ServerMultitransport)), n))
         select new ServerConferenceData(core, security, network, message, multitransport, unknown)).ToArbitrary();
}

/// <summary>
/// Round trips and strict prefixes for every user data block; garbling for the blocks whose decoders accept
/// nothing they would not re-encode exactly (CS_NET names stop at a NUL, SC_NET's pad is not checked, and
/// a garbled type in a list of blocks moves the block, so those are left out of that property).
/// </summary>
[Properties(Arbitrary = [typeof(GccUserDataArbitraries)], MaxTest = 200)]
public sealed class GccUserDataPropertyTests
{
    private static bool Exact<T>(T pdu, int position, byte mask) where T : IPdu<T> =>
        CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu) && CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Client_core_data(ClientCoreData pdu, int position, byte mask) => Exact(pdu, position, mask);

    [Property]
    public bool Client_security_data(ClientSecurityData pdu, int position, byte mask) => Exact(pdu, position, mask);

    [Property]
    public bool Client_cluster_data(ClientClusterData pdu, int position, byte mask) => Exact(pdu, position, mask);

    [Property]
    public bool Client_network_data(ClientNetworkData pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Server_core_data(ServerCoreData pdu, int position, byte mask) => Exact(pdu, position, mask);

    [Property]
    public bool Server_security_data(ServerSecurityData pdu, int position, byte mask) => Exact(pdu, position, mask);

    [Property]
    public bool Server_network_data(ServerNetworkData pdu) => CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Server_message_channel_data(ServerMessageChannelData pdu, int position, byte mask) => Exact(pdu, position, mask);

    [Property]
    public bool Server_multitransport_data(ServerMultitransportData pdu, int position, byte mask) => Exact(pdu, position, mask);

    [Property]
    public bool Unknown_block(UserDataBlock pdu, int position, byte mask) => Exact(pdu, position, mask);

    [Property]
    public bool Client_data_blocks(ClientConferenceData pdu) => CodecAssert.RoundTrips(pdu);

    [Property]
    public bool Server_data_blocks(ServerConferenceData pdu) => CodecAssert.RoundTrips(pdu);
}
