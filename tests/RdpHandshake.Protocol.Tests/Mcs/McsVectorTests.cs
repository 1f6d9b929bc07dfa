using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Mcs;

/// <summary>
/// MS-RDPBCGR 2.2.1.3 to 2.2.1.9 (T.125 MCS Connect-Initial/Response and domain PDUs, T.124 GCC Conference
/// Create Request/Response, the user data blocks): the 4.1.3 to 4.1.8 dumps byte for byte, decode giving the
/// annotated values and encode the bytes, and xrdp's Connect Response.
/// </summary>
public sealed class McsVectorTests
{
    private static byte[] UserData(byte[] tpkt)
    {
        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(tpkt);
        Assert.True(data.IsSuccess, data.ToString());
        return data.Value.UserData.Span.ToArray();
    }

    [Fact]
    public void Connect_initial_of_4_1_3_decodes_to_the_annotated_fields_and_re_encodes_byte_for_byte()
    {
        byte[] tpkt = Load("mcs-connect-initial-4.1.3.hex");
        Assert.Equal(416, tpkt.Length);
        byte[] mcs = UserData(tpkt);

        DecodeResult<McsConnectInitial> initial = Pdu.Decode<McsConnectInitial>(mcs);
        Assert.True(initial.IsSuccess, initial.ToString());
        Assert.Equal(DomainParameters.Target, initial.Value.TargetParameters);
        Assert.Equal(DomainParameters.Minimum, initial.Value.MinimumParameters);
        Assert.Equal(DomainParameters.Maximum, initial.Value.MaximumParameters);
        Assert.True(initial.Value.UpwardFlag);

        DecodeResult<GccConferenceCreateRequest> gcc = Pdu.Decode<GccConferenceCreateRequest>(initial.Value.UserData.Span);
        Assert.True(gcc.IsSuccess, gcc.ToString());
        Assert.Equal(0x11C, gcc.Value.UserData.Length);

        DecodeResult<ClientConferenceData> blocks = Pdu.Decode<ClientConferenceData>(gcc.Value.UserData.Span);
        Assert.True(blocks.IsSuccess, blocks.ToString());
        ClientCoreData core = blocks.Value.Core;
        Assert.Equal(0x00080004u, core.Version);
        Assert.Equal((1280, 1024), (core.DesktopWidth, core.DesktopHeight));
        Assert.Equal(0xCA01, core.ColorDepth);
        Assert.Equal(0xAA03, core.SasSequence);
        Assert.Equal(0x409u, core.KeyboardLayout);
        Assert.Equal(3790u, core.ClientBuild);
        Assert.Equal("ELTONS-DEV2", core.ClientNameText);
        Assert.Equal((4u, 0u, 12u), (core.KeyboardType, core.KeyboardSubType, core.KeyboardFunctionKey));
        Assert.Equal((ushort)24, core.HighColorDepth);
        Assert.Equal((ushort)7, core.SupportedColorDepths);
        Assert.Equal(ClientEarlyCapabilities.SupportErrInfoPdu, core.EarlyCapabilityFlags);
        Assert.Equal("69712-783-0357974-42714", ClientCoreData.Utf16Text(core.ClientDigProductId!.Value.Span));
        Assert.Equal(0u, core.ServerSelectedProtocol);
        Assert.Null(core.DesktopPhysicalWidth);
        Assert.Equal(new ClientClusterData(0x0D, 0), blocks.Value.Cluster);
        Assert.Equal(new ClientSecurityData(0x1B, 0), blocks.Value.Security);
        Assert.Equal(
            [new ChannelDefinition("rdpdr", 0x80800000), new ChannelDefinition("cliprdr", 0xC0A00000), new ChannelDefinition("rdpsnd", 0xC0000000)],
            blocks.Value.Network!.Channels);

        // Rebuild the whole PDU from the decoded values.
        byte[] rebuilt = Pdu.Encode(new X224Data(new ByteString(Pdu.Encode(McsConnectInitial.ForRdp(Pdu.Encode(new GccConferenceCreateRequest(new ByteString(Pdu.Encode(blocks.Value)))))))));
        Assert.Equal(tpkt, rebuilt);
    }

    [Fact]
    public void Erect_domain_request_of_4_1_5() =>
        CodecAssert.Vector(new ErectDomainRequest(), UserData(Hex("03 00 00 0c 02 f0 80 04 01 00 01 00")));

    [Fact]
    public void Attach_user_request_of_4_1_6() =>
        CodecAssert.Vector(new AttachUserRequest(), UserData(Hex("03 00 00 08 02 f0 80 28")));

    [Fact]
    public void Attach_user_confirm_of_4_1_7() =>
        CodecAssert.Vector(new AttachUserConfirm(McsResult.Successful, 1007), UserData(Hex("03 00 00 0b 02 f0 80 2e 00 00 06")));

    [Fact]
    public void Channel_join_request_of_4_1_8_for_the_io_channel() =>
        CodecAssert.Vector(new ChannelJoinRequest(1007, 1003), UserData(Hex("03 00 00 0c 02 f0 80 38 00 06 03 eb")));

    [Fact]
    public void Channel_join_confirm_of_4_1_8_5_2_for_rdpsnd() =>
        CodecAssert.Vector(new ChannelJoinConfirm(McsResult.Successful, 1007, 1006, 1006), UserData(Hex("03 00 00 0f 02 f0 80 3e 00 00 06 03 ee 03 ee")));

    [Fact]
    public void Send_data_indication_header_of_4_1_11()
    {
        // 4.1.11 Server License Error PDU: SDin from 1002 on 1003, priority high, begin|end, 28 bytes of data.
        byte[] mcs = UserData(Hex("03 00 00 2a 02 f0 80 68 00 01 03 eb 70 1c 88 02 02 03 8d 43 9a ab d5 2a 31 39 62 4d c1 ec 0d 99 88 e6 da ab 2c 02 72 4d 49 90"));
        DecodeResult<SendData> decoded = Pdu.Decode<SendData>(mcs);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(DomainMcsPduType.SendDataIndication, decoded.Value.Type);
        Assert.Equal((ushort)1002, decoded.Value.Initiator);
        Assert.Equal((ushort)1003, decoded.Value.ChannelId);
        Assert.Equal(28, decoded.Value.UserData.Length);
        Assert.Equal(mcs, Pdu.Encode(decoded.Value));
    }

    [Fact]
    public void Xrdp_connect_response_with_its_fixed_connect_pdu_length_decodes_and_re_encodes()
    {
        // xrdp 0.9.21 (security_layer=negotiate, TLS): ConnectPDU length 0x2a although 55 bytes follow, and
        // the user data length 0x28 in the two-byte form (80 28).
        byte[] mcs = UserData(Load("mcs-connect-response-xrdp-tls.hex"));
        DecodeResult<McsConnectResponse> response = Pdu.Decode<McsConnectResponse>(mcs);
        Assert.True(response.IsSuccess, response.ToString());
        DecodeResult<GccConferenceCreateResponse> gcc = Pdu.Decode<GccConferenceCreateResponse>(response.Value.UserData.Span);
        Assert.True(gcc.IsSuccess, gcc.ToString());
        Assert.Equal(0x2a, gcc.Value.AnnouncedConnectPduLength);
        Assert.True(gcc.Value.LongUserDataLength);
        Assert.Equal(response.Value.UserData.Span.ToArray(), Pdu.Encode(gcc.Value));

        DecodeResult<ServerConferenceData> blocks = Pdu.Decode<ServerConferenceData>(gcc.Value.UserData.Span);
        Assert.True(blocks.IsSuccess, blocks.ToString());
        Assert.Equal(0x00080004u, blocks.Value.Core!.Version);
        Assert.Equal(0x0Bu, blocks.Value.Core.ClientRequestedProtocols);
        Assert.Equal(new ServerNetworkData(1003, [1004, 1005, 1006, 1007]), blocks.Value.Network);
        Assert.Equal(new ServerSecurityData(0, 0, ByteString.Empty, ByteString.Empty), blocks.Value.Security);
        Assert.Equal(Pdu.Encode(blocks.Value), gcc.Value.UserData.Span.ToArray());
    }

    [Fact]
    public void A_connect_response_with_a_failure_result_decodes_with_its_name()
    {
        var response = new McsConnectResponse(McsResult.UnspecifiedFailure, 0, DomainParameters.Target, ByteString.Empty);
        DecodeResult<McsConnectResponse> decoded = Pdu.Decode<McsConnectResponse>(Pdu.Encode(response));
        Assert.True(decoded.IsSuccess);
        Assert.Equal("rt-unspecified-failure", McsResultNames.Name(decoded.Value.Result));
    }

    [Fact]
    public void Strict_ber_integers_with_a_leading_zero_are_read_too()
    {
        // 65535 as X.690 8.3 wants it (02 03 00 ff ff) rather than the Windows form (02 02 ff ff).
        byte[] bytes = Hex("02 03 00 ff ff");
        var reader = new PduReader(bytes);
        DecodeResult<uint> value = Ber.ReadInteger(ref reader, "test", "value");
        Assert.True(value.IsSuccess);
        Assert.Equal(65535u, value.Value);
    }

    [Theory]
    [InlineData("7f 65 80", "indefinite length")]
    [InlineData("7f 65 85 00 00 00 00 01", "larger than any MCS PDU")]
    [InlineData("7f 65 82 ff ff 04", "not enough bytes")]
    [InlineData("7f 66 03 04 01 01", "expected [APPLICATION 101]")]
    public void Hostile_connect_initial_headers_are_rejected_with_a_reason(string hex, string reason)
    {
        DecodeResult<McsConnectInitial> decoded = Pdu.Decode<McsConnectInitial>(Hex(hex));
        Assert.False(decoded.IsSuccess);
        Assert.Contains(reason, decoded.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_channel_count_over_31_is_rejected_before_anything_is_allocated()
    {
        // TS_UD_HEADER CS_NET (0xc003), length 8; channelCount 0x7fffffff.
        DecodeResult<ClientNetworkData> decoded = Pdu.Decode<ClientNetworkData>(Hex("03 c0 08 00 ff ff ff 7f"));
        Assert.False(decoded.IsSuccess);
        Assert.Equal("channelCount", decoded.Error.Field);
    }

    [Fact]
    public void Server_network_data_with_and_without_the_pad_decodes()
    {
        // TS_UD_HEADER SC_NET (0x0c03) of length 16 and 14; MCSChannelId 1003, channelCount 3, IDs 1004 to 1006, then the pad or not.
        DecodeResult<ServerNetworkData> padded = Pdu.Decode<ServerNetworkData>(Hex("03 0c 10 00 eb 03 03 00 ec 03 ed 03 ee 03 00 00"));
        DecodeResult<ServerNetworkData> unpadded = Pdu.Decode<ServerNetworkData>(Hex("03 0c 0e 00 eb 03 03 00 ec 03 ed 03 ee 03"));
        Assert.True(padded.IsSuccess && unpadded.IsSuccess);
        Assert.Equal(new ServerNetworkData(1003, [1004, 1005, 1006]), padded.Value);
        Assert.Equal(padded.Value, unpadded.Value);
    }

    [Fact]
    public void A_user_data_block_shorter_than_its_header_is_rejected()
    {
        DecodeResult<ServerConferenceData> decoded = Pdu.Decode<ServerConferenceData>(Hex("01 0c 02 00"));
        Assert.False(decoded.IsSuccess);
        Assert.Contains("shorter than the block header", decoded.Error.Reason, StringComparison.Ordinal);
    }
}
