using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.TestServer.Kerberos;
using static RdpHandshake.Tests.Kerberos.KdcConversation;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>
/// The test KDC itself: it checks what a real KDC checks in a TGS-REQ (the TGT's key, the authenticator's checksum
/// over the request body), answers what it cannot decode, names its faults as it parses them, and its host speaks
/// RFC 4120 7.2 on one port for TCP and UDP.
/// </summary>
public sealed class TestKdcTests
{
    /// <summary>The TGS-REQ the package makes after a successful AS exchange.</summary>
    private static (TestKdc Kdc, KdcReq Request) TgsRequest()
    {
        var kdc = new TestKdc();
        using var package = new KerberosPackage(Alice(), Options());
        while (package.PendingKdcExchange is { StepName: "kerberos.as-exchange" })
        {
            Assert.Null(package.AcceptKdcReply(kdc.Answer(package.KdcRequest().Token)).Failure);
        }

        return (kdc, Pdu.Decode<KdcReq>(package.KdcRequest().Token).Value!);
    }

    [Fact]
    public void A_tgs_req_whose_body_was_changed_after_the_checksum_is_refused_as_modified()
    {
        (TestKdc kdc, KdcReq request) = TgsRequest();
        KdcReq altered = request with { ReqBody = request.ReqBody with { SName = PrincipalName.TermSrv("elsewhere") } };

        KrbError error = Pdu.Decode<KrbError>(kdc.Answer(Pdu.Encode(altered))).Value!;

        Assert.Equal(KerberosErrorCode.KRB_AP_ERR_MODIFIED, error.ErrorCode);
    }

    [Fact]
    public void A_tgt_not_issued_by_this_kdc_is_refused_as_bad_integrity()
    {
        (_, KdcReq request) = TgsRequest();
        var another = new TestKdc();

        KrbError error = Pdu.Decode<KrbError>(another.Answer(Pdu.Encode(request))).Value!;

        Assert.Equal(KerberosErrorCode.KRB_AP_ERR_BAD_INTEGRITY, error.ErrorCode);
    }

    [Fact]
    public void The_tgt_opens_with_the_krbtgt_key_and_holds_the_client_and_session_key()
    {
        (TestKdc kdc, KdcReq request) = TgsRequest();
        ApReq apReq = request.PaData!.Value.Single(p => p.Type == PaDataType.TgsReq).DecodeValue<ApReq>().Value!;

        EncTicketPart tgt = Assert.IsType<EncTicketPart>(kdc.TryReadTicket(apReq.Ticket));

        Assert.Equal(("alice", "RDPHS.TEST"), (tgt.CName.ToString(), tgt.CRealm));
        Assert.Equal(kdc.Issued[0].SessionKey, tgt.Key);
        Assert.Equal(TicketFlags.Initial | TicketFlags.PreAuthent | TicketFlags.Forwardable | TicketFlags.Renewable, tgt.Flags);
    }

    [Fact]
    public void What_does_not_decode_as_a_kdc_request_is_answered_with_a_generic_error()
    {
        var kdc = new TestKdc();

        KrbError error = Pdu.Decode<KrbError>(kdc.Answer([0x6a, 0x03, 0x30, 0x01, 0x00])).Value!;

        Assert.Equal(KerberosErrorCode.KRB_ERR_GENERIC, error.ErrorCode);
        Assert.Equal(KdcRequestKind.As, kdc.Answers.Single().Kind);
    }

    public static TheoryData<string> FaultTexts()
    {
        var data = new TheoryData<string>();
        foreach (KdcFaultKind kind in Enum.GetValues<KdcFaultKind>())
        {
            foreach (KdcRequestKind? request in new KdcRequestKind?[] { null, KdcRequestKind.As, KdcRequestKind.Tgs })
            {
                foreach (KdcTransport? transport in new KdcTransport?[] { null, KdcTransport.Tcp, KdcTransport.Udp })
                {
                    data.Add(new KdcFault(kind, request, transport).ToString());
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FaultTexts))]
    public void Every_fault_parses_back_from_its_name(string text)
    {
        Assert.True(KdcFault.TryParse(text, out KdcFault? fault, out string? error), error);
        Assert.Equal(text, fault!.ToString());
    }

    [Theory]
    [InlineData("as:explode", "'as:explode': unknown fault 'explode' (known: stall, drip, close, reset, garbage, garbage-framed, huge-length, truncated, unframed, too-big, wrong-nonce, wrong-key, other-principal)")]
    [InlineData("ap:stall", "'ap:stall': the request must be as or tgs, not 'ap'")]
    [InlineData("stall/sctp", "'stall/sctp': the transport must be tcp or udp, not 'sctp'")]
    public void A_fault_that_is_not_one_says_why(string text, string expected)
    {
        Assert.False(KdcFault.TryParse(text, out _, out string? error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public async Task The_host_answers_the_same_request_over_tcp_and_udp_on_one_port_and_refuses_a_reserved_length()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        await using var host = new TestKdcHost(new TestKdc());
        IPEndPoint endpoint = host.Start();
        byte[] request;
        using (var package = new KerberosPackage(Alice(), Options()))
        {
            request = package.KdcRequest().Token;
        }

        using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            await udp.ConnectAsync(endpoint, cancellationToken);
            await udp.SendAsync(request, SocketFlags.None, cancellationToken);
            byte[] datagram = new byte[4096];
            int received = await udp.ReceiveAsync(datagram, SocketFlags.None, cancellationToken);
            Assert.Equal(KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED, Pdu.Decode<KrbError>(datagram.AsSpan(0, received)).Value!.ErrorCode);
        }

        using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await tcp.ConnectAsync(endpoint, cancellationToken);
            await tcp.SendAsync(Pdu.Encode(new KdcTcpFrame(new ByteString(request))), SocketFlags.None, cancellationToken);
            Assert.Equal(KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED, Pdu.Decode<KrbError>(await ReadFrameAsync(tcp, cancellationToken)).Value!.ErrorCode);

            // RFC 4120 7.2.2: a length with the high bit set is answered KRB_ERR_FIELD_TOOLONG, and the connection closes.
            byte[] reserved = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(reserved, 0x8000_0010);
            await tcp.SendAsync(reserved, SocketFlags.None, cancellationToken);
            Assert.Equal(KerberosErrorCode.KRB_ERR_FIELD_TOOLONG, Pdu.Decode<KrbError>(await ReadFrameAsync(tcp, cancellationToken)).Value!.ErrorCode);
            Assert.Equal(0, await tcp.ReceiveAsync(new byte[1], SocketFlags.None, cancellationToken));
        }

        Assert.Equal([KdcTransport.Udp, KdcTransport.Tcp], host.Requests.Select(r => r.Transport));
    }

    private static async Task<byte[]> ReadFrameAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] prefix = await ReadExactlyAsync(socket, 4, cancellationToken);
        return await ReadExactlyAsync(socket, (int)BinaryPrimitives.ReadUInt32BigEndian(prefix), cancellationToken);
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            Assert.NotEqual(0, n);
            read += n;
        }

        return buffer;
    }
}
