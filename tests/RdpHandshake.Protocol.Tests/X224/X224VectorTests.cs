using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.X224;

/// <summary>
/// MS-RDPBCGR 2.2.1.1 Client X.224 Connection Request and 2.2.1.2 Server X.224 Connection Confirm (with
/// 2.2.1.1.1 RDP_NEG_REQ, 2.2.1.2.1 RDP_NEG_RSP and 2.2.1.2.2 RDP_NEG_FAILURE), the X.224 Data and Disconnect
/// Request TPDUs and the 2.2.2.3 MCS Disconnect Provider Ultimatum: published byte vectors (4.1.1, 4.1.2 and
/// others), each checked three ways: decode gives the value, encode gives the bytes, and Size equals the length.
/// </summary>
public sealed class X224VectorTests
{
    [Fact]
    public void Connection_request_of_MS_RDPBCGR_4_1_1()
    {
        byte[] bytes = Load("x224-connection-request-4.1.1.hex");
        Assert.Equal(44, bytes.Length);
        CodecAssert.Vector(
            new X224ConnectionRequest(
                Cookie: "eltons",
                NegotiationRequest: new RdpNegotiationRequest(SecurityProtocols.Rdp)),
            bytes);
    }

    [Fact]
    public void Connection_confirm_of_MS_RDPBCGR_4_1_2()
    {
        byte[] bytes = Load("x224-connection-confirm-4.1.2.hex");
        CodecAssert.Vector(
            new X224ConnectionConfirm(new RdpNegotiationResponse(SecurityProtocols.Rdp), SrcRef: 0x1234),
            bytes);
    }

    [Fact]
    public void The_2009_copy_of_4_1_2_decodes_as_PROTOCOL_SSL_whatever_its_annotation_says()
    {
        // The old MSDN copy prints selectedProtocol 01 00 00 00 under an annotation that says PROTOCOL_RDP:
        // the bytes win.
        byte[] bytes = Hex("03 00 00 13 0e d0 00 00 12 34 00 02 00 08 00 01 00 00 00");
        DecodeResult<X224ConnectionConfirm> decoded = Pdu.Decode<X224ConnectionConfirm>(bytes);
        Assert.True(decoded.IsSuccess);
        Assert.Equal(SecurityProtocols.Ssl, decoded.Value.Response!.SelectedProtocol);
    }

    // Vectors used by IronRDP's test suite (crates/ironrdp-testsuite-core/tests/pdu/x224.rs).
    [Fact]
    public void Connection_request_without_cookie_for_standard_security()
    {
        CodecAssert.Vector(
            new X224ConnectionRequest(NegotiationRequest: new RdpNegotiationRequest(SecurityProtocols.Rdp)),
            Hex("03 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 00 00 00 00"));
    }

    [Fact]
    public void Connection_request_with_cookie_for_ssl_and_hybrid()
    {
        byte[] bytes = [.. Hex("03 00 00 2a 25 e0 00 00 00 00 00"), .. "Cookie: mstshash=User\r\n"u8, .. Hex("01 00 08 00 03 00 00 00")];
        CodecAssert.Vector(
            new X224ConnectionRequest(
                Cookie: "User",
                NegotiationRequest: new RdpNegotiationRequest(SecurityProtocols.Ssl | SecurityProtocols.Hybrid)),
            bytes);
    }

    [Fact]
    public void Connection_request_with_restricted_admin_and_redirected_authentication_flags()
    {
        byte[] bytes = [.. Hex("03 00 00 2a 25 e0 00 00 00 00 00"), .. "Cookie: mstshash=User\r\n"u8, .. Hex("01 03 08 00 03 00 00 00")];
        CodecAssert.Vector(
            new X224ConnectionRequest(
                Cookie: "User",
                NegotiationRequest: new RdpNegotiationRequest(
                    SecurityProtocols.Ssl | SecurityProtocols.Hybrid,
                    NegotiationRequestFlags.RestrictedAdminModeRequired | NegotiationRequestFlags.RedirectedAuthenticationModeRequired)),
            bytes);
    }

    [Fact]
    public void Connection_request_with_correlation_info()
    {
        byte[] id = Enumerable.Repeat((byte)0x01, 16).ToArray();
        byte[] bytes = [.. Hex("03 00 00 37 32 e0 00 00 00 00 00 01 08 08 00 01 00 00 00 06 00 24 00"), .. id, .. new byte[16]];
        CodecAssert.Vector(
            new X224ConnectionRequest(
                NegotiationRequest: new RdpNegotiationRequest(SecurityProtocols.Ssl, NegotiationRequestFlags.CorrelationInfoPresent),
                CorrelationInfo: new RdpCorrelationInfo(new Guid(id))),
            bytes);
    }

    [Fact]
    public void Connection_request_with_routing_token()
    {
        byte[] token = "Cookie: msts=3640205228.15629.0000"u8.ToArray();
        byte[] body = [.. token, 0x0d, 0x0a, .. Hex("01 00 08 00 01 00 00 00")];
        byte[] bytes = [0x03, 0x00, 0x00, (byte)(11 + body.Length), (byte)(6 + body.Length), 0xe0, 0, 0, 0, 0, 0, .. body];
        CodecAssert.Vector(
            new X224ConnectionRequest(
                RoutingToken: "Cookie: msts=3640205228.15629.0000",
                NegotiationRequest: new RdpNegotiationRequest(SecurityProtocols.Ssl)),
            bytes);
    }

    [Fact]
    public void Connection_request_of_a_legacy_client_has_only_the_cookie()
    {
        byte[] bytes = [.. Hex("03 00 00 24 1f e0 00 00 00 00 00"), .. "Cookie: mstshash=eltons\r\n"u8];
        CodecAssert.Vector(new X224ConnectionRequest(Cookie: "eltons"), bytes);
    }

    [Fact]
    public void Connection_confirm_selecting_hybrid_with_all_response_flags()
    {
        CodecAssert.Vector(
            new X224ConnectionConfirm(new RdpNegotiationResponse(SecurityProtocols.Hybrid, (NegotiationResponseFlags)0x1F), SrcRef: 0),
            Hex("03 00 00 13 0e d0 00 00 00 00 00 02 1f 08 00 02 00 00 00"));
    }

    [Fact]
    public void Connection_confirm_with_negotiation_failure()
    {
        CodecAssert.Vector(
            new X224ConnectionConfirm(Failure: new RdpNegotiationFailure(NegotiationFailureCode.SslWithUserAuthRequiredByServer), SrcRef: 0),
            Hex("03 00 00 13 0e d0 00 00 00 00 00 03 00 08 00 06 00 00 00"));
    }

    [Fact]
    public void Connection_confirm_without_negotiation_data()
    {
        CodecAssert.Vector(new X224ConnectionConfirm(), Hex("03 00 00 0b 06 d0 00 00 12 34 00"));
    }

    [Fact]
    public void Data_tpdu_carrying_an_erect_domain_request()
    {
        CodecAssert.Vector(new X224Data(new ByteString(Hex("04 01 00 01 00"))), Hex("03 00 00 0c 02 f0 80 04 01 00 01 00"));
    }

    [Fact]
    public void Disconnect_request()
    {
        CodecAssert.Vector(new X224DisconnectRequest(Reason: 0x80), Hex("03 00 00 0b 06 80 00 00 00 00 80"));
    }

    [Fact]
    public void Disconnect_provider_ultimatum_user_requested()
    {
        // T.125 DomainMCSPDU choice 8 with rn-user-requested (3), PER: 001000|01 1|0000000.
        CodecAssert.Vector(new DisconnectProviderUltimatum(McsDisconnectReason.UserRequested), Hex("21 80"));
        CodecAssert.Vector(new DisconnectProviderUltimatum(McsDisconnectReason.DomainDisconnected), Hex("20 00"));
        CodecAssert.Vector(new DisconnectProviderUltimatum(McsDisconnectReason.ChannelPurged), Hex("22 00"));
    }

    [Theory]
    [InlineData(1u, "SSL_REQUIRED_BY_SERVER")]
    [InlineData(2u, "SSL_NOT_ALLOWED_BY_SERVER")]
    [InlineData(3u, "SSL_CERT_NOT_ON_SERVER")]
    [InlineData(4u, "INCONSISTENT_FLAGS")]
    [InlineData(5u, "HYBRID_REQUIRED_BY_SERVER")]
    [InlineData(6u, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER")]
    public void Every_failure_code_decodes_and_has_its_spec_name(uint code, string name)
    {
        byte[] bytes = [.. Hex("03 00 00 13 0e d0 00 00 12 34 00 03 00 08 00"), (byte)code, 0, 0, 0];
        DecodeResult<X224ConnectionConfirm> decoded = Pdu.Decode<X224ConnectionConfirm>(bytes);
        Assert.True(decoded.IsSuccess);
        NegotiationFailureCode failure = decoded.Value.Failure!.FailureCode;
        Assert.Equal(name, NegotiationNames.Name(failure));
        Assert.True(NegotiationNames.TryParseFailureCode(name, out NegotiationFailureCode parsed));
        Assert.Equal(failure, parsed);
        Assert.NotEqual("a failure code that MS-RDPBCGR does not define", NegotiationNames.Meaning(failure));
    }
}
