using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp;

/// <summary>
/// The share layer: Share Control and Share Data headers (MS-RDPBCGR 2.2.8.1.1.1.1, 2.2.8.1.1.1.2), Demand and
/// Confirm Active (2.2.1.13), the finalization PDUs (2.2.1.14 to 2.2.1.22), Shutdown (2.2.2.1, 2.2.2.2),
/// Deactivate All (2.2.3.1) and Save Session Info (2.2.10.1). The decrypted bytes of the 4.1.19, 4.2.1 and 4.2.2
/// dumps, each checked three ways (decode gives the value, encode gives the bytes, Size equals the length), plus
/// the dispatcher over back-to-back PDUs.
/// </summary>
public sealed class ShareVectorTests
{
    [Fact]
    public void Server_synchronize_of_4_1_19()
    {
        byte[] bytes = Load("share-synchronize-server-4.1.19.hex");
        Assert.Equal(22, bytes.Length);
        CodecAssert.Vector(
            new ShareDataPdu(
                PduSource: 1002,
                ShareId: 0x000103ea,
                Body: new SynchronizePdu(TargetUser: 0x4463),
                StreamId: StreamId.Undefined,
                UncompressedLength: 22,
                Pad1: 0x14),
            bytes);
    }

    [Fact]
    public void Client_shutdown_request_of_4_2_1()
    {
        byte[] bytes = Load("share-shutdown-request-4.2.1.hex");
        CodecAssert.Vector(new ShareDataPdu(1007, 0x000203ea, new ShutdownRequestPdu(), StreamId.Low, UncompressedLength: 4), bytes);

        // mstsc's convention for uncompressedLength is what Create reproduces.
        Assert.Equal(bytes, Pdu.Encode(ShareDataPdu.Create(1007, 0x000203ea, new ShutdownRequestPdu())));
    }

    [Fact]
    public void Server_shutdown_denied_of_4_2_2()
    {
        byte[] bytes = Load("share-shutdown-denied-4.2.2.hex");
        CodecAssert.Vector(new ShareDataPdu(1002, 0x000203ea, new ShutdownDeniedPdu(), StreamId.Medium, UncompressedLength: 18, Pad1: 0xa6), bytes);

        // The Windows server's convention (uncompressedLength = totalLength) is what CreateServer reproduces.
        Assert.Equal(bytes, Pdu.Encode(ShareDataPdu.CreateServer(0x000203ea, new ShutdownDeniedPdu()) with { Pad1 = 0xa6 }));
    }

    [Fact]
    public void Share_data_header_of_4_1_19_names_its_fields()
    {
        var reader = new PduReader(Load("share-synchronize-server-4.1.19.hex"));
        DecodeResult<ShareDataHeader> header = ShareDataHeader.Decode(ref reader);
        Assert.True(header.IsSuccess);
        Assert.Equal(new ShareControlHeader(22, PduType.DataPdu, 1002), header.Value.Control);
        Assert.Equal(0x0017, header.Value.Control.PduTypeField);
        Assert.Equal("PDUTYPE2_SYNCHRONIZE", ShareNames.Name(header.Value.PduType2));
        Assert.Equal("STREAM_UNDEFINED", ShareNames.Name(header.Value.StreamId));
    }

    [Fact]
    public void Dispatcher_walks_back_to_back_pdus_in_one_send_data()
    {
        byte[] bytes = [.. Load("share-synchronize-server-4.1.19.hex"), .. Load("share-shutdown-denied-4.2.2.hex"), .. Load("share-shutdown-request-4.2.1.hex")];
        DecodeResult<IReadOnlyList<SlowPathPdu>> decoded = SlowPathPdu.Decode(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Collection(
            decoded.Value,
            p => Assert.IsType<SynchronizePdu>(Assert.IsType<SlowPathPdu.Data>(p).Pdu.Body),
            p => Assert.Equal(PduType2.ShutdownDenied, Assert.IsType<SlowPathPdu.Data>(p).PduType2),
            p => Assert.Equal("PDUTYPE2_SHUTDOWN_REQUEST", p.Name));
    }

    [Fact]
    public void Dispatcher_tells_demand_active_confirm_active_deactivate_all_and_redirection_apart()
    {
        DemandActivePdu demand = ServerCapabilities.CreateDemandActive(0x000103ea, ServerCapabilities.Create(1024, 768, 32), sessionId: 2);
        ConfirmActivePdu confirm = ClientCapabilities.CreateConfirmActive(demand, 1007, ClientCapabilities.Create(1024, 768, 32));
        DeactivateAllPdu deactivate = DeactivateAllPdu.Create(0x000103ea);
        byte[] redirection = Hex("0c 00 1a 00 ea 03 00 00 00 04 0c 00");
        byte[] bytes = [.. Pdu.Encode(demand), .. Pdu.Encode(confirm), .. Pdu.Encode(deactivate), .. redirection];

        DecodeResult<IReadOnlyList<SlowPathPdu>> decoded = SlowPathPdu.Decode(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(demand, Assert.IsType<SlowPathPdu.DemandActive>(decoded.Value[0]).Pdu);
        Assert.Equal(confirm, Assert.IsType<SlowPathPdu.ConfirmActive>(decoded.Value[1]).Pdu);
        Assert.Equal(deactivate, Assert.IsType<SlowPathPdu.DeactivateAll>(decoded.Value[2]).Pdu);
        var redirect = Assert.IsType<SlowPathPdu.ServerRedirection>(decoded.Value[3]);
        Assert.Equal(1002, redirect.PduSource);
        Assert.Equal("000000040c00", redirect.Body.ToHex());
    }

    [Fact]
    public void Flow_pdu_is_recognised_so_it_can_be_ignored()
    {
        byte[] bytes = [.. Hex("00 80 42 00 01 02 ea 03"), .. Load("share-shutdown-request-4.2.1.hex")];
        DecodeResult<IReadOnlyList<SlowPathPdu>> decoded = SlowPathPdu.Decode(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(new SlowPathPdu.Flow(0x42, 1, 2, 1002), decoded.Value[0]);
        Assert.IsType<SlowPathPdu.Data>(decoded.Value[1]);
    }

    [Fact]
    public void Deactivate_all_short_forms_round_trip()
    {
        CodecAssert.Vector(new DeactivateAllPdu(null, null, ByteString.Empty), Hex("04 00 16 00"));
        CodecAssert.Vector(new DeactivateAllPdu(1002, null, ByteString.Empty), Hex("06 00 16 00 ea 03"));
        CodecAssert.Vector(DeactivateAllPdu.Create(0x000103ea), Hex("0d 00 16 00 ea 03 ea 03 01 00 01 00 00"));
        DecodeResult<IReadOnlyList<SlowPathPdu>> decoded = SlowPathPdu.Decode(Hex("04 00 16 00"));
        Assert.True(decoded.IsSuccess);
        Assert.IsType<SlowPathPdu.DeactivateAll>(Assert.Single(decoded.Value));
    }

    [Fact]
    public void Finalization_pdus_round_trip_with_their_spec_values()
    {
        // Field values per 2.2.1.14-2.2.1.22: the client's sequence and the server's answers.
        CodecAssert.Vector(ShareDataPdu.Create(1007, 0x000103ea, new SynchronizePdu(1002)),
            Hex("16 00 17 00 ef 03 ea 03 01 00 00 01 08 00 1f 00 00 00 01 00 ea 03"));
        CodecAssert.Vector(ShareDataPdu.Create(1007, 0x000103ea, new ControlPdu(ControlAction.Cooperate)),
            Hex("1a 00 17 00 ef 03 ea 03 01 00 00 01 0c 00 14 00 00 00 04 00 00 00 00 00 00 00"));
        CodecAssert.Vector(ShareDataPdu.Create(1007, 0x000103ea, new ControlPdu(ControlAction.RequestControl)),
            Hex("1a 00 17 00 ef 03 ea 03 01 00 00 01 0c 00 14 00 00 00 01 00 00 00 00 00 00 00"));
        CodecAssert.Vector(ShareDataPdu.Create(1007, 0x000103ea, new FontListPdu()),
            Hex("1a 00 17 00 ef 03 ea 03 01 00 00 01 0c 00 27 00 00 00 00 00 00 00 03 00 32 00"));
        CodecAssert.Vector(ShareDataPdu.CreateServer(0x000103ea, new ControlPdu(ControlAction.GrantedControl, 1007, 1002)),
            Hex("1a 00 17 00 ea 03 ea 03 01 00 00 02 1a 00 14 00 00 00 02 00 ef 03 ea 03 00 00"));
        CodecAssert.Vector(ShareDataPdu.CreateServer(0x000103ea, new FontMapPdu()),
            Hex("1a 00 17 00 ea 03 ea 03 01 00 00 02 1a 00 28 00 00 00 00 00 00 00 03 00 04 00"));
        CodecAssert.Vector(ShareDataPdu.CreateServer(0x000103ea, new SetErrorInfoPdu(0x0000000C)),
            Hex("16 00 17 00 ea 03 ea 03 01 00 00 02 16 00 2f 00 00 00 0c 00 00 00"));
    }

    [Fact]
    public void Save_session_info_logon_errors_decode_with_spec_names()
    {
        var pdu = ShareDataPdu.CreateServer(0x000103ea,
            new SaveSessionInfoPdu(new LogonInfoExtended(null, new LogonErrorsInfo(0xFFFFFFFA, 0x00000002))));
        byte[] bytes = Pdu.Encode(pdu);
        Assert.Equal(18 + 4 + 2 + 4 + 4 + 8 + 570, bytes.Length);
        Assert.Equal(Hex("03 00 00 00 12 00 02 00 00 00 08 00 00 00 fa ff ff ff 02 00 00 00"), bytes[18..40]);

        DecodeResult<IReadOnlyList<SlowPathPdu>> decoded = SlowPathPdu.Decode(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        var info = Assert.IsType<SaveSessionInfoPdu>(Assert.IsType<SlowPathPdu.Data>(decoded.Value[0]).Pdu.Body);
        Assert.Equal("INFOTYPE_LOGON_EXTENDED_INFO", info.InfoTypeName);
        LogonErrorsInfo errors = Assert.IsType<LogonInfoExtended>(info.InfoData).LogonErrors!;
        Assert.Equal("LOGON_MSG_NO_PERMISSION", errors.TypeName);
        Assert.Equal("LOGON_FAILED_OTHER", errors.DataName);
    }

    [Fact]
    public void Save_session_info_logon_types_carry_user_and_domain()
    {
        foreach (SessionInfoData data in new SessionInfoData[]
        {
            new LogonInfoV1("CONTOSO", "alice", 3),
            new LogonInfoV2("CONTOSO", "alice", 3),
            new PlainNotify(),
            new LogonInfoExtended(new ServerAutoReconnect(3, new ByteString(new byte[16])), null),
        })
        {
            var body = new SaveSessionInfoPdu(data);
            DecodeResult<SaveSessionInfoPdu> decoded = Pdu.Decode<SaveSessionInfoPdu>(Pdu.Encode(body));
            Assert.True(decoded.IsSuccess, decoded.ToString());
            Assert.Equal(body, decoded.Value);
        }

        byte[] v1 = Pdu.Encode(new SaveSessionInfoPdu(new LogonInfoV1("CONTOSO", "alice", 3)));
        Assert.Equal(4 + 576, v1.Length);
        Assert.Equal(Hex("00 00 00 00 10 00 00 00 43 00 4f 00"), v1[..12]);
    }
}
