using System.Buffers.Binary;
using RdpHandshake.Analysis;
using RdpHandshake.Capture;
using RdpHandshake.Crypto.StandardSecurity;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.TestServer;

namespace RdpHandshake.Tests.Analysis;

/// <summary>
/// Clients that order their PDUs otherwise than rdphs, as MS-RDPBCGR allows (1.3.1.1, 3.2.5.3.8, 2.2.1.17,
/// 2.2.11.2, 2.2.11.3, 2.2.2.1): channel joins in another order, sent before the previous confirm, or not at all; a
/// whole burst of Confirm Active and the finalization PDUs; Persistent Key List, Suppress Output and Refresh Rect
/// PDUs among them; a Shutdown Request. A probe's run over Standard RDP Security is taken frame by frame, the
/// client's direction decrypted with the probe's key line, rearranged as such a client would send it and encrypted
/// again in its new order with the same keys; the analysis must follow it to finalization (or to the end the client
/// chose) without stopping as <c>incomplete</c>.
/// </summary>
public sealed class ClientOrderingTests
{
    /// <summary>One frame; a client's frame after the Security Exchange in the clear, with the security flags it is to be encrypted with.</summary>
    private sealed record Frame(bool FromClient, byte[] Bytes, SecurityHeaderFlags? EncryptWith = null);

    private static string _keyLine = string.Empty;

    /// <summary>A probe of the test server over Standard RDP Security, frame by frame, the client's encrypted frames decrypted.</summary>
    private static async Task<List<Frame>> PlainRunAsync()
    {
        var server = new TestServerOptions { Accepted = 0, AcceptStandardSecurity = true, AllowedEncryptionMethods = EncryptionMethod.Bit128 };
        var lines = new List<string>();
        var options = new ProbeOptions
        {
            Until = ConnectionPhase.Finalization,
            Negotiation = new NegotiationOptions { RequestedProtocols = SecurityProtocols.Rdp },
            KeyLog = line => { lock (lines) { lines.Add(line); } },
        };
        (ProbeReport probe, _) = await EngineHarness.InMemoryAsync(server, options, TestContext.Current.CancellationToken);
        Assert.True(probe.Diagnosis is null, probe.Verdict);
        _keyLine = Assert.Single(lines);
        var frames = new List<Frame>();
        var pending = new[] { new List<byte>(), new List<byte>() };
        foreach (WireEvent e in probe.Wire!.Events)
        {
            bool fromClient = e.Direction == WireDirection.ToServer;
            List<byte> buffer = pending[fromClient ? 0 : 1];
            buffer.AddRange(e.Payload);
            while (buffer.Count >= 4)
            {
                int length = buffer[0] == TpktHeader.Version3 ? (buffer[2] << 8) | buffer[3] : (buffer[1] & 0x80) != 0 ? ((buffer[1] & 0x7F) << 8) | buffer[2] : buffer[1];
                if (buffer.Count < length)
                {
                    break;
                }

                frames.Add(new Frame(fromClient, [.. buffer.GetRange(0, length)]));
                buffer.RemoveRange(0, length);
            }
        }

        var decrypting = new ObservedStandardSecurity(new TlsKeyLog());
        (byte[] clientRandom, byte[] serverRandom) = Randoms();
        decrypting.UseKeys(clientRandom, serverRandom, EncryptionMethod.Bit128);
        int exchange = frames.FindIndex(f => f.FromClient && ClientKind(f) == SecurityCommencement.SecurityExchangeStep);
        Assert.True(exchange > 0);
        for (int i = exchange + 1; i < frames.Count; i++)
        {
            if (frames[i].FromClient && Payload(frames[i].Bytes) is { Length: >= 4 } payload && (((SecurityHeaderFlags)BinaryPrimitives.ReadUInt16LittleEndian(payload)) & SecurityHeaderFlags.Encrypt) != 0)
            {
                SecurityHeaderFlags flags = (SecurityHeaderFlags)BinaryPrimitives.ReadUInt16LittleEndian(payload) & ~(SecurityHeaderFlags.Encrypt | SecurityHeaderFlags.SecureChecksum);
                byte[]? clear = decrypting.DecryptClientFrame(frames[i].Bytes, out string? error);
                Assert.True(clear is not null, error);
                frames[i] = new Frame(true, clear, flags);
            }
        }

        return frames;
    }

    private static (byte[] Client, byte[] Server) Randoms()
    {
        string[] parts = _keyLine.Split(' ');
        return (Convert.FromHexString(parts[2]), Convert.FromHexString(parts[1]));
    }

    private static byte[]? Payload(byte[] frame) =>
        Pdu.Decode<X224Data>(frame) is { IsSuccess: true } data && DomainPdu.PeekType(data.Value.UserData.Span) == DomainMcsPduType.SendDataRequest
            && Pdu.Decode<SendData>(data.Value.UserData.Span) is { IsSuccess: true } send ? send.Value.UserData.Span.ToArray() : null;

    /// <summary>The client's frames encrypted again, in their new order, with a fresh cipher of the same keys.</summary>
    private static IEnumerable<Frame> Encrypted(IEnumerable<Frame> frames)
    {
        (byte[] clientRandom, byte[] serverRandom) = Randoms();
        using StandardSecurityKeys keys = StandardSecurityKeys.Derive(clientRandom, serverRandom, EncryptionMethod.Bit128);
        using RdpCipher cipher = keys.Client.CreateEncryptor();
        foreach (Frame frame in frames)
        {
            if (frame.EncryptWith is not { } flags)
            {
                yield return frame;
                continue;
            }

            DecodeResult<SendData> send = Pdu.Decode<SendData>(Pdu.Decode<X224Data>(frame.Bytes).Value!.UserData.Span);
            ReadOnlySpan<byte> plain = send.Value!.UserData.Span[(flags == 0 ? 0 : 4)..];
            byte[] encrypted = cipher.Encrypt(plain, salted: false, out byte[] signature);
            byte[] header = Pdu.Encode(new NonFipsSecurityHeader(flags | SecurityHeaderFlags.Encrypt, 0, new ByteString(signature)));
            yield return new Frame(true, Pdu.Encode(new X224Data(new ByteString(Pdu.Encode(send.Value with { UserData = new ByteString([.. header, .. encrypted]) })))));
        }
    }

    private static ushort? JoinRequest(Frame frame) =>
        frame.FromClient && Pdu.Decode<X224Data>(frame.Bytes) is { IsSuccess: true } data && DomainPdu.PeekType(data.Value.UserData.Span) == DomainMcsPduType.ChannelJoinRequest
            && Pdu.Decode<ChannelJoinRequest>(data.Value.UserData.Span) is { IsSuccess: true } join ? join.Value.ChannelId : null;

    private static ushort? JoinConfirm(Frame frame) =>
        !frame.FromClient && Pdu.Decode<X224Data>(frame.Bytes) is { IsSuccess: true } data && DomainPdu.PeekType(data.Value.UserData.Span) == DomainMcsPduType.ChannelJoinConfirm
            && Pdu.Decode<ChannelJoinConfirm>(data.Value.UserData.Span) is { IsSuccess: true } confirm ? confirm.Value.Requested : null;

    private static string ClientKind(Frame frame) => ConnectionObserver.ClientPduKind(frame.Bytes);

    /// <summary>A client Share Data PDU like the captured <paramref name="model"/> (same share, user and channel) with another pduType2 and body.</summary>
    private static byte[] ShareData(byte[] model, byte pduType2, byte[] body)
    {
        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(model);
        Assert.True(data.IsSuccess);
        DecodeResult<SendData> send = Pdu.Decode<SendData>(data.Value.UserData.Span);
        Assert.True(send.IsSuccess);
        // Without encryption Standard RDP Security may still put a basic security header (flags 0) before the Share Control PDU.
        ReadOnlySpan<byte> payload = send.Value.UserData.Span;
        int at = BinaryPrimitives.ReadUInt16LittleEndian(payload) == payload.Length ? 0 : 4;
        byte[] pdu = [.. payload[at..(at + 18)], .. body];
        BinaryPrimitives.WriteUInt16LittleEndian(pdu, (ushort)pdu.Length);
        pdu[14] = pduType2;
        BinaryPrimitives.WriteUInt16LittleEndian(pdu.AsSpan(12), (ushort)(pdu.Length - 14));
        return Pdu.Encode(new X224Data(new ByteString(Pdu.Encode(send.Value with { UserData = new ByteString([.. payload[..at], .. pdu]) }))));
    }

    private static ConnectionAnalysis Analyse(IEnumerable<Frame> frames, bool clientCloses = false)
    {
        var capture = new SyntheticCapture();
        capture.Handshake();
        foreach (Frame frame in Encrypted(frames))
        {
            capture.Send(frame.FromClient, frame.Bytes);
        }

        if (clientCloses)
        {
            capture.Fin(fromClient: true);
        }

        string path = Path.Combine(Path.GetTempPath(), $"rdphs-order-{Guid.NewGuid():n}.pcap");
        try
        {
            capture.Write(path);
            var keys = new TlsKeyLog();
            Assert.True(keys.Add(_keyLine));
            return Assert.Single(CaptureAnalyzer.Analyze(path, new AnalysisOptions { Keys = keys }).Connections);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Said(ConnectionAnalysis analysis) =>
        $"{ConnectionAnalysis.StatusName(analysis.Status)}: {analysis.Report.Verdict}" + string.Concat(analysis.Report.Steps.Select(s => $"\n  {s.Name} {s.Outcome}: {s.Summary}"));

    [Fact]
    public async Task The_run_as_captured_is_followed_to_finalization()
    {
        ConnectionAnalysis analysis = Analyse(await PlainRunAsync());
        Assert.True(analysis.Status == AnalysisStatus.Finalized, Said(analysis));
    }

    [Fact]
    public async Task Channel_joins_in_another_order_are_followed_in_that_order()
    {
        List<Frame> frames = await PlainRunAsync();
        int[] requests = [.. frames.Select((f, i) => (f, i)).Where(x => JoinRequest(x.f) is not null).Select(x => x.i)];
        int[] confirms = [.. frames.Select((f, i) => (f, i)).Where(x => JoinConfirm(x.f) is not null).Select(x => x.i)];
        Assert.True(requests.Length >= 4);

        // The static channels first, last one first, then the I/O channel, then the user channel: each request still answered by its confirm.
        int[] order = [.. Enumerable.Range(0, requests.Length).Reverse()];
        Frame[] requestFrames = [.. requests.Select(i => frames[i])];
        Frame[] confirmFrames = [.. confirms.Select(i => frames[i])];
        for (int k = 0; k < requests.Length; k++)
        {
            frames[requests[k]] = requestFrames[order[k]];
            frames[confirms[k]] = confirmFrames[order[k]];
        }

        ConnectionAnalysis analysis = Analyse(frames);
        Assert.True(analysis.Status == AnalysisStatus.Finalized, Said(analysis));
        string[] joined = [.. analysis.Report.Steps.Where(s => s.Name.StartsWith(ChannelConnection.ChannelJoinStep + ".", StringComparison.Ordinal)).Select(s => s.Name)];
        Assert.Equal([.. requestFrames.Reverse().Select(f => $"{ChannelConnection.ChannelJoinStep}.{JoinRequest(f)}")], joined);
    }

    [Fact]
    public async Task Channel_joins_sent_before_the_previous_confirm_are_followed()
    {
        List<Frame> frames = await PlainRunAsync();
        int first = frames.FindIndex(f => JoinRequest(f) is not null);
        int last = frames.FindLastIndex(f => JoinConfirm(f) is not null);
        List<Frame> joins = frames.GetRange(first, last - first + 1);
        Assert.All(joins, f => Assert.True(JoinRequest(f) is not null || JoinConfirm(f) is not null));

        // Every request at once, then every confirm.
        frames.RemoveRange(first, joins.Count);
        frames.InsertRange(first, [.. joins.Where(f => f.FromClient), .. joins.Where(f => !f.FromClient)]);
        ConnectionAnalysis analysis = Analyse(frames);
        Assert.True(analysis.Status == AnalysisStatus.Finalized, Said(analysis));
    }

    [Fact]
    public async Task Confirm_active_and_the_finalization_pdus_in_one_burst_with_persistent_key_lists_suppress_output_and_refresh_rect_are_followed()
    {
        List<Frame> frames = await PlainRunAsync();
        int confirmActive = frames.FindIndex(f => f.FromClient && ClientKind(f) == CapabilitiesExchange.ConfirmActiveStep);
        int fontList = frames.FindIndex(f => f.FromClient && ClientKind(f) == ConnectionFinalization.FontListStep);
        Assert.True(confirmActive > 0 && fontList > confirmActive);
        byte[] model = frames[fontList].Bytes;

        // TS_BITMAPCACHE_PERSISTENT_LIST_PDU (2.2.1.17.1): two of them, first and last flags; no entries.
        byte[] firstList = new byte[24];
        firstList[20] = 0x01;
        byte[] lastList = new byte[24];
        lastList[20] = 0x02;
        Frame[] extra =
        [
            new(true, ShareData(model, 0x2B, firstList), 0),
            new(true, ShareData(model, 0x2B, lastList), 0),
            new(true, ShareData(model, 0x23, [0, 0, 0, 0]), 0),                                    // Suppress Output: updates off (2.2.11.3.1)
            new(true, ShareData(model, 0x21, [1, 0, 0, 0, 0, 0, 0, 0, 0x3F, 0x01, 0xFF, 0x00]), 0), // Refresh Rect: one area (2.2.11.2.1)
        ];
        List<Frame> client = frames.GetRange(confirmActive, fontList - confirmActive + 1).Where(f => f.FromClient).ToList();
        List<Frame> server = frames.GetRange(confirmActive, fontList - confirmActive + 1).Where(f => !f.FromClient).ToList();
        client.InsertRange(client.Count - 1, extra);
        frames.RemoveRange(confirmActive, fontList - confirmActive + 1);
        frames.InsertRange(confirmActive, [.. client, .. server]);

        ConnectionAnalysis analysis = Analyse(frames);
        Assert.True(analysis.Status == AnalysisStatus.Finalized, Said(analysis));
        string[] others = [.. analysis.Report.Steps.Where(s => s.Name == "client.pdu").Select(s => s.Summary ?? string.Empty)];
        Assert.Equal(["the client sent Persistent Key List PDU", "the client sent Persistent Key List PDU", "the client sent Suppress Output PDU", "the client sent Refresh Rect PDU"], others);
        Assert.Contains(analysis.Report.Steps, s => s.Name == ConnectionFinalization.FontListStep && s.Outcome == StepOutcome.Ok);
    }

    [Fact]
    public async Task A_client_that_skips_every_channel_join_is_followed()
    {
        List<Frame> frames = await PlainRunAsync();
        frames.RemoveAll(f => JoinRequest(f) is not null || JoinConfirm(f) is not null);
        ConnectionAnalysis analysis = Analyse(frames);
        Assert.True(analysis.Status == AnalysisStatus.Finalized, Said(analysis));
        Assert.DoesNotContain(analysis.Report.Steps, s => s.Name.StartsWith(ChannelConnection.ChannelJoinStep, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_shutdown_request_then_the_clients_close_is_the_client_closing_after_naming_its_shutdown_request()
    {
        List<Frame> frames = await PlainRunAsync();
        int fontList = frames.FindIndex(f => f.FromClient && ClientKind(f) == ConnectionFinalization.FontListStep);
        byte[] shutdown = ShareData(frames[fontList].Bytes, 0x24, []);
        frames.RemoveRange(fontList, frames.Count - fontList);
        frames.Add(new Frame(true, shutdown, 0));

        ConnectionAnalysis analysis = Analyse(frames, clientCloses: true);
        Assert.True(analysis.Status == AnalysisStatus.Failed, Said(analysis));
        Assert.Equal(CauseId.ClientClosed, analysis.Report.Diagnosis!.Cause.Id);
        Assert.Equal(ConnectionPhase.Finalization, analysis.Report.Diagnosis.Phase);
        Assert.Contains(analysis.Report.Steps, s => s.Name == "client.pdu" && s.Summary == "the client sent Shutdown Request PDU");
    }
}
