using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RdpHandshake.Analysis;
using RdpHandshake.Capture;

namespace RdpHandshake.Tests.Analysis;

/// <summary>The link layer a <see cref="SyntheticCapture"/> frames its IP packets in.</summary>
public enum SyntheticLink
{
    Ethernet,
    EthernetVlan,
    Raw,
    LinuxSll,
    LinuxSll2,
}

/// <summary>
/// Builds a classic pcap file of one TCP connection segment by segment, each placed where a test wants it (out of order,
/// twice, overlapping, missing, cut by a snap length), with the IP and TCP headers written byte by byte as RFC 791,
/// RFC 8200 and RFC 9293 lay them out, on one of the link layers captures come in.
/// </summary>
internal sealed class SyntheticCapture
{
    private readonly List<(DateTimeOffset Time, byte[] Packet)> _packets = [];
    private readonly uint[] _isn;
    private readonly long[] _sent = new long[2];
    private DateTimeOffset _time;

    public SyntheticCapture(IPEndPoint? client = null, IPEndPoint? server = null, DateTimeOffset? start = null, uint clientIsn = 1_000, uint serverIsn = 0xFFFF_FF00)
    {
        Client = client ?? new IPEndPoint(IPAddress.Parse("192.0.2.10"), 50_123);
        Server = server ?? new IPEndPoint(IPAddress.Parse("192.0.2.20"), 3389);
        _time = start ?? new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

        // The server's initial sequence number sits just below 2^32 so that its sequence numbers wrap.
        _isn = [clientIsn, serverIsn];
    }

    public IPEndPoint Client { get; }

    public IPEndPoint Server { get; }

    /// <summary>The time the next segment is captured at; each segment moves it on by a millisecond.</summary>
    public DateTimeOffset Time => _time;

    public int Count => _packets.Count;

    /// <summary>Moves the clock on (a silence).</summary>
    public void Wait(TimeSpan time) => _time += time;

    /// <summary>SYN, SYN-ACK, ACK.</summary>
    public void Handshake()
    {
        Raw(fromClient: true, _isn[0], 0, TcpFlags.Syn, []);
        Raw(fromClient: false, _isn[1], _isn[0] + 1, TcpFlags.Syn | TcpFlags.Ack, []);
        Raw(fromClient: true, _isn[0] + 1, _isn[1] + 1, TcpFlags.Ack, []);
    }

    /// <summary>Bytes of one side in order, in segments of at most <paramref name="mss"/>, each acknowledged by the other side.</summary>
    public void Send(bool fromClient, ReadOnlySpan<byte> data, int mss = 1400)
    {
        for (int offset = 0; offset < data.Length; offset += mss)
        {
            byte[] piece = data[offset..Math.Min(data.Length, offset + mss)].ToArray();
            Segment(fromClient, _sent[Side(fromClient)], piece);
            Ack(!fromClient);
        }
    }

    /// <summary>A data segment at <paramref name="offset"/> (from the first byte after the SYN) of one side's stream.</summary>
    public void Segment(bool fromClient, long offset, byte[] payload, TcpFlags flags = TcpFlags.Psh | TcpFlags.Ack, ushort window = 64_240)
    {
        int side = Side(fromClient);
        _sent[side] = Math.Max(_sent[side], offset + payload.Length);
        Raw(fromClient, Sequence(side, offset), Sequence(1 - side, _sent[1 - side]), flags, payload, window);
    }

    /// <summary>An ACK of everything the other side sent so far, or up to <paramref name="upTo"/>.</summary>
    public void Ack(bool fromClient, long? upTo = null, ushort window = 64_240)
    {
        int side = Side(fromClient);
        Raw(fromClient, Sequence(side, _sent[side]), Sequence(1 - side, upTo ?? _sent[1 - side]), TcpFlags.Ack, [], window);
    }

    public void Fin(bool fromClient)
    {
        int side = Side(fromClient);
        Raw(fromClient, Sequence(side, _sent[side]), Sequence(1 - side, _sent[1 - side]), TcpFlags.Fin | TcpFlags.Ack, []);
    }

    public void Rst(bool fromClient)
    {
        int side = Side(fromClient);
        Raw(fromClient, Sequence(side, _sent[side]), 0, TcpFlags.Rst, []);
    }

    /// <summary>A UDP datagram between the same hosts (traffic the analysis must count and pass over).</summary>
    public void Udp(byte[] payload)
    {
        byte[] udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5353);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 5353);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8);
        _packets.Add((_time, IpPacket(Client.Address, Server.Address, 17, udp)));
        _time += TimeSpan.FromMilliseconds(1);
    }

    /// <summary>Replays a probe's <see cref="WireLog"/> (as its own pcapng writer would, but with this builder's segments).</summary>
    public void Replay(WireLog log, int mss = 1400)
    {
        Handshake();
        foreach (WireEvent e in log.Events)
        {
            Send(e.Direction == WireDirection.ToServer, e.Payload, mss);
        }
    }

    /// <summary>Writes the packets as a classic pcap file (microsecond timestamps) framed on <paramref name="link"/>.</summary>
    public void Write(string path, SyntheticLink link = SyntheticLink.Ethernet, int snapLength = 262_144)
    {
        using FileStream file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkType(link));
        file.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach ((DateTimeOffset time, byte[] packet) in _packets)
        {
            byte[] frame = Frame(link, packet);
            int kept = Math.Min(frame.Length, snapLength);
            long micros = (time - DateTimeOffset.UnixEpoch).Ticks / 10;
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(micros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(micros % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)kept);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            file.Write(record);
            file.Write(frame.AsSpan(0, kept));
        }
    }

    /// <summary>Moves the packet at <paramref name="from"/> to <paramref name="to"/> (captured out of order); capture times stay in order.</summary>
    public void Move(int from, int to)
    {
        DateTimeOffset[] times = [.. _packets.Select(p => p.Time)];
        byte[] packet = _packets[from].Packet;
        _packets.RemoveAt(from);
        _packets.Insert(to, (default, packet));
        for (int i = 0; i < _packets.Count; i++)
        {
            _packets[i] = (times[i], _packets[i].Packet);
        }
    }

    /// <summary>Captures the packet at <paramref name="index"/> again, now (a retransmission).</summary>
    public void Repeat(int index)
    {
        _packets.Add((_time, _packets[index].Packet));
        _time += TimeSpan.FromMilliseconds(1);
    }

    /// <summary>How many bytes one side has sent so far: the offset its next segment starts at.</summary>
    public long Sent(bool fromClient) => _sent[Side(fromClient)];

    /// <summary>Drops the packet at <paramref name="index"/> (the capture missed it).</summary>
    public void Drop(int index) => _packets.RemoveAt(index);

    /// <summary>The index of the last packet added.</summary>
    public int Last => _packets.Count - 1;

    private static int Side(bool fromClient) => fromClient ? 0 : 1;

    private uint Sequence(int side, long offset) => unchecked(_isn[side] + 1 + (uint)offset);

    private void Raw(bool fromClient, uint sequence, uint acknowledgement, TcpFlags flags, byte[] payload, ushort window = 64_240)
    {
        IPEndPoint from = fromClient ? Client : Server;
        IPEndPoint to = fromClient ? Server : Client;
        byte[] tcp = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), (ushort)to.Port);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), (flags & TcpFlags.Ack) != 0 ? acknowledgement : 0);
        tcp[12] = 5 << 4;
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), window);
        payload.CopyTo(tcp, 20);
        _packets.Add((_time, IpPacket(from.Address, to.Address, 6, tcp)));
        _time += TimeSpan.FromMilliseconds(1);
    }

    private static byte[] IpPacket(IPAddress from, IPAddress to, byte protocol, byte[] payload)
    {
        if (from.AddressFamily == AddressFamily.InterNetworkV6)
        {
            byte[] v6 = new byte[40 + payload.Length];
            v6[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(4), (ushort)payload.Length);
            v6[6] = protocol;
            v6[7] = 64;
            from.GetAddressBytes().CopyTo(v6, 8);
            to.GetAddressBytes().CopyTo(v6, 24);
            payload.CopyTo(v6, 40);
            return v6;
        }

        byte[] v4 = new byte[20 + payload.Length];
        v4[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(2), (ushort)v4.Length);
        v4[6] = 0x40; // don't fragment
        v4[8] = 64;
        v4[9] = protocol;
        from.GetAddressBytes().CopyTo(v4, 12);
        to.GetAddressBytes().CopyTo(v4, 16);
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(v4.AsSpan(i));
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(10), (ushort)~sum);
        payload.CopyTo(v4, 20);
        return v4;
    }

    private static uint LinkType(SyntheticLink link) => link switch
    {
        SyntheticLink.Ethernet or SyntheticLink.EthernetVlan => 1,
        SyntheticLink.Raw => 101,
        SyntheticLink.LinuxSll => 113,
        SyntheticLink.LinuxSll2 => 276,
    };

    private static byte[] Frame(SyntheticLink link, byte[] ip)
    {
        ushort etherType = (ip[0] >> 4) == 6 ? (ushort)0x86DD : (ushort)0x0800;
        byte[] head;
        switch (link)
        {
            case SyntheticLink.Raw:
                return ip;
            case SyntheticLink.Ethernet:
                head = new byte[14];
                head[0] = 0x02;
                head[6] = 0x02;
                head[11] = 1;
                BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(12), etherType);
                break;
            case SyntheticLink.EthernetVlan:
                head = new byte[18];
                head[0] = 0x02;
                head[6] = 0x02;
                head[11] = 1;
                BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(12), 0x8100);
                BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(14), 42);
                BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(16), etherType);
                break;
            case SyntheticLink.LinuxSll:
                head = new byte[16];
                BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(2), 1); // ARPHRD_ETHER
                BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(4), 6);
                BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(14), etherType);
                break;
            case SyntheticLink.LinuxSll2:
                head = new byte[20];
                BinaryPrimitives.WriteUInt16BigEndian(head, etherType);
                BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(4), 1); // interface index
                BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(8), 1); // ARPHRD_ETHER
                head[11] = 6;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(link));
        }

        return [.. head, .. ip];
    }
}
