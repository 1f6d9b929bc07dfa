using System.Buffers.Binary;
using RdpHandshake.Analysis;

namespace RdpHandshake.Benchmarks;

/// <summary>
/// Writes a large pcap for the <c>rdphs analyze</c> benchmark (docs/performance.md): a real capture of xfreerdp
/// against xrdp (bench/data/xfreerdp-xrdp-tls13.pcap, 66 Ethernet frames, whose TLS 1.3 secrets are in
/// bench/data/xfreerdp-xrdp-tls13.keys: every replay has the same client random, so that key log decrypts them all) replayed over and over with other
/// client addresses and ports and later times, each RDP connection followed by a bulk non-RDP TCP transfer of 256 KiB
/// in full-size segments, until the file reaches the size asked. Streaming: one frame in memory at a time.
/// </summary>
public static class CaptureGenerator
{
    private const int EthernetHeader = 14;
    private const int BulkBytes = 256 * 1024;
    private const int Mss = 1448;

    public static void Generate(string seed, string output, long bytes)
    {
        var frames = new List<(TimeSpan At, byte[] Data)>();
        ushort serverPort = 0;
        using (CaptureFile capture = CaptureFile.Open(seed))
        {
            DateTimeOffset? first = null;
            while (capture.Next() is { } frame)
            {
                first ??= frame.Time;
                frames.Add((frame.Time - first.Value, frame.Data));
                if (serverPort == 0 && SegmentDecoder.Decode(frame, out TcpSegment? syn) == FrameKind.Tcp && syn!.Flags == TcpFlags.Syn)
                {
                    serverPort = (ushort)syn.Destination.Port;
                }
            }
        }

        using var file = new BufferedStream(File.Create(output), 1 << 20);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262_144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        file.Write(header);
        var time = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        byte[] bulk = new byte[EthernetHeader + 20 + 20 + Mss];
        for (int i = 0; file.Length < bytes; i++)
        {
            // 10.(i/250/250).(i/250).(i%250+1): each replay from its own client address.
            byte[] client = [10, (byte)(i / 62_500 % 250), (byte)(i / 250 % 250), (byte)(i % 250 + 1)];
            ushort port = (ushort)(20_000 + (i % 40_000));
            foreach ((TimeSpan at, byte[] data) in frames)
            {
                byte[] copy = (byte[])data.Clone();
                Readdress(copy, client, port, serverPort);
                Write(file, time + at, copy, copy.Length);
            }

            time += frames[^1].At + TimeSpan.FromMilliseconds(5);
            WriteBulk(file, bulk, client, port, ref time);
        }
    }

    /// <summary>Puts the client (the side that is not the server's port, which the seed's SYN names) at <paramref name="client"/>:<paramref name="port"/>.</summary>
    private static void Readdress(byte[] frame, byte[] client, ushort port, ushort serverPort)
    {
        Span<byte> ip = frame.AsSpan(EthernetHeader);
        if (ip.Length < 40 || ip[0] >> 4 != 4 || ip[9] != 6)
        {
            return;
        }

        int tcp = (ip[0] & 0xF) * 4;
        bool fromClient = BinaryPrimitives.ReadUInt16BigEndian(ip[(tcp + 2)..]) == serverPort;
        client.CopyTo(ip[(fromClient ? 12 : 16)..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[(fromClient ? tcp : tcp + 2)..], port);
    }

    /// <summary>A one-way transfer from a web server to the same client: SYN, SYN-ACK, data with an ACK every other segment, FIN.</summary>
    private static void WriteBulk(Stream file, byte[] frame, byte[] client, ushort port, ref DateTimeOffset time)
    {
        byte[] server = [192, 0, 2, 80];
        uint sequence = 1;
        for (int sent = -1; sent < BulkBytes; sent += Mss)
        {
            bool syn = sent < 0;
            int length = syn ? 0 : Math.Min(Mss, BulkBytes - sent);
            Tcp(frame, server, client, 443, port, sequence, syn ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Ack | TcpFlags.Psh, length);
            Write(file, time, frame, EthernetHeader + 40 + length);
            sequence += syn ? 1u : (uint)length;
            time += TimeSpan.FromMicroseconds(50);
        }

        Tcp(frame, server, client, 443, port, sequence, TcpFlags.Fin | TcpFlags.Ack, 0);
        Write(file, time, frame, EthernetHeader + 40);
        time += TimeSpan.FromMilliseconds(1);
    }

    private static void Tcp(byte[] frame, byte[] from, byte[] to, ushort fromPort, ushort toPort, uint sequence, TcpFlags flags, int length)
    {
        Span<byte> f = frame;
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], 0x0800);
        Span<byte> ip = f[EthernetHeader..];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(40 + length));
        ip[8] = 64;
        ip[9] = 6;
        from.CopyTo(ip[12..]);
        to.CopyTo(ip[16..]);
        Span<byte> tcp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, fromPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], toPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 1);
        tcp[12] = 5 << 4;
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65_535);
    }

    private static void Write(Stream file, DateTimeOffset time, byte[] frame, int length)
    {
        Span<byte> record = stackalloc byte[16];
        long micros = (time - DateTimeOffset.UnixEpoch).Ticks / 10;
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(micros / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(micros % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)length);
        file.Write(record);
        file.Write(frame.AsSpan(0, length));
    }
}
