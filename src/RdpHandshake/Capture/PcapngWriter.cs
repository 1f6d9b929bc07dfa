using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace RdpHandshake.Capture;

/// <summary>
/// Writes a <see cref="WireLog"/> as a pcapng file of raw IP packets (LINKTYPE_RAW): a TCP handshake, the
/// payload in segments with consistent sequence and acknowledgement numbers, and the closing FIN or RST, so
/// Wireshark and tshark dissect the attempt as if it had been captured on the client.
/// </summary>
public static class PcapngWriter
{
    private const uint SectionHeaderBlock = 0x0A0D0D0A;
    private const uint InterfaceDescriptionBlock = 0x00000001;
    private const uint EnhancedPacketBlock = 0x00000006;
    private const ushort LinkTypeRaw = 101;
    private const int MaxSegmentPayload = 65535 - 60 - 20; // room for an IPv6 header and the TCP header

    private const byte Fin = 0x01;
    private const byte Syn = 0x02;
    private const byte Rst = 0x04;
    private const byte Psh = 0x08;
    private const byte Ack = 0x10;

    public static void Write(WireLog log, Stream output)
    {
        IPEndPoint client = log.Client ?? new IPEndPoint(IPAddress.Loopback, 50000);
        IPEndPoint server = log.Server ?? new IPEndPoint(IPAddress.Parse("127.0.0.2"), 3389);
        if (client.AddressFamily != server.AddressFamily)
        {
            client = new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, client.Port);
        }

        using var writer = new BinaryWriter(output, System.Text.Encoding.UTF8, leaveOpen: true);
        WriteSectionHeader(writer, log.Comment);
        WriteInterface(writer);

        var tcp = new TcpState(client, server);
        TimeSpan connected = log.ConnectedAt ?? TimeSpan.Zero;
        Packet(writer, log.StartedAt + connected, tcp.Segment(toServer: true, Syn, []));
        Packet(writer, log.StartedAt + connected, tcp.Segment(toServer: false, Syn | Ack, []));
        Packet(writer, log.StartedAt + connected, tcp.Segment(toServer: true, Ack, []));

        foreach (WireEvent chunk in log.Events)
        {
            bool toServer = chunk.Direction == WireDirection.ToServer;
            for (int offset = 0; offset < chunk.Payload.Length; offset += MaxSegmentPayload)
            {
                byte[] piece = chunk.Payload[offset..Math.Min(chunk.Payload.Length, offset + MaxSegmentPayload)];
                Packet(writer, log.StartedAt + chunk.At, tcp.Segment(toServer, Psh | Ack, piece));
            }

            Packet(writer, log.StartedAt + chunk.At, tcp.Segment(!toServer, Ack, []));
        }

        if (log.Ending is { } ending)
        {
            DateTimeOffset at = log.StartedAt + ending.At;
            switch (ending.How)
            {
                case WireEnding.ServerReset:
                    Packet(writer, at, tcp.Segment(toServer: false, Rst | Ack, []));
                    break;
                case WireEnding.ServerClosed:
                    Packet(writer, at, tcp.Segment(toServer: false, Fin | Ack, []));
                    Packet(writer, at, tcp.Segment(toServer: true, Fin | Ack, []));
                    break;
                default:
                    Packet(writer, at, tcp.Segment(toServer: true, Fin | Ack, []));
                    Packet(writer, at, tcp.Segment(toServer: false, Fin | Ack, []));
                    break;
            }
        }
    }

    private static void WriteSectionHeader(BinaryWriter writer, string? comment)
    {
        // opt_comment (code 1), UTF-8, padded to 32 bits, then opt_endofopt (pcapng 4.1, 3.5).
        byte[] text = comment is null ? [] : System.Text.Encoding.UTF8.GetBytes(comment.Length > 4000 ? comment[..4000] : comment);
        int padded = (text.Length + 3) & ~3;
        int options = comment is null ? 0 : 4 + padded + 4;
        uint length = (uint)(4 + 4 + 4 + 2 + 2 + 8 + options + 4);
        writer.Write(SectionHeaderBlock);
        writer.Write(length);
        writer.Write(0x1A2B3C4Du); // byte-order magic
        writer.Write((ushort)1); // major version
        writer.Write((ushort)0); // minor version
        writer.Write(-1L); // section length unknown
        if (comment is not null)
        {
            writer.Write((ushort)1);
            writer.Write((ushort)text.Length);
            writer.Write(text);
            writer.Write(new byte[padded - text.Length]);
            writer.Write(0u); // opt_endofopt
        }

        writer.Write(length);
    }

    private static void WriteInterface(BinaryWriter writer)
    {
        const uint length = 4 + 4 + 2 + 2 + 4 + 4;
        writer.Write(InterfaceDescriptionBlock);
        writer.Write(length);
        writer.Write(LinkTypeRaw);
        writer.Write((ushort)0); // reserved
        writer.Write(0u); // no snap length limit
        writer.Write(length);
    }

    private static void Packet(BinaryWriter writer, DateTimeOffset at, byte[] packet)
    {
        int padded = (packet.Length + 3) & ~3;
        uint length = (uint)(4 + 4 + 4 + 4 + 4 + 4 + 4 + padded + 4);
        ulong micros = (ulong)(at.ToUnixTimeMilliseconds() * 1000 + (at.Ticks % TimeSpan.TicksPerMillisecond) / 10);
        writer.Write(EnhancedPacketBlock);
        writer.Write(length);
        writer.Write(0u); // interface 0
        writer.Write((uint)(micros >> 32));
        writer.Write((uint)micros);
        writer.Write((uint)packet.Length);
        writer.Write((uint)packet.Length);
        writer.Write(packet);
        writer.Write(new byte[padded - packet.Length]);
        writer.Write(length);
    }

    /// <summary>Sequence numbers of both directions, advanced as segments are made.</summary>
    private sealed class TcpState(IPEndPoint client, IPEndPoint server)
    {
        private uint _clientSeq = 0x10000000;
        private uint _serverSeq = 0x50000000;
        private ushort _ipId = 1;

        public byte[] Segment(bool toServer, int flags, byte[] payload)
        {
            (IPEndPoint from, IPEndPoint to) = toServer ? (client, server) : (server, client);
            uint seq = toServer ? _clientSeq : _serverSeq;
            uint ack = toServer ? _serverSeq : _clientSeq;
            uint advance = (uint)payload.Length + ((flags & (Syn | Fin)) != 0 ? 1u : 0u);
            if (toServer)
            {
                _clientSeq += advance;
            }
            else
            {
                _serverSeq += advance;
            }

            byte[] tcp = new byte[20 + payload.Length];
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(0), (ushort)from.Port);
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), (ushort)to.Port);
            BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
            BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), (flags & Ack) != 0 ? ack : 0);
            tcp[12] = 5 << 4; // data offset: 5 words
            tcp[13] = (byte)flags;
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535); // window
            payload.CopyTo(tcp, 20);
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), TcpChecksum(from.Address, to.Address, tcp));
            return from.AddressFamily == AddressFamily.InterNetworkV6 ? Ipv6(from.Address, to.Address, tcp) : Ipv4(from.Address, to.Address, tcp);
        }

        private byte[] Ipv4(IPAddress from, IPAddress to, byte[] tcp)
        {
            byte[] packet = new byte[20 + tcp.Length];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), _ipId++);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0x4000); // don't fragment
            packet[8] = 64; // TTL
            packet[9] = 6; // TCP
            from.GetAddressBytes().CopyTo(packet, 12);
            to.GetAddressBytes().CopyTo(packet, 16);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, 20), 0));
            tcp.CopyTo(packet, 20);
            return packet;
        }

        private static byte[] Ipv6(IPAddress from, IPAddress to, byte[] tcp)
        {
            byte[] packet = new byte[40 + tcp.Length];
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)tcp.Length);
            packet[6] = 6; // next header: TCP
            packet[7] = 64; // hop limit
            from.GetAddressBytes().CopyTo(packet, 8);
            to.GetAddressBytes().CopyTo(packet, 24);
            tcp.CopyTo(packet, 40);
            return packet;
        }

        private static ushort TcpChecksum(IPAddress from, IPAddress to, byte[] tcp)
        {
            // RFC 793 / RFC 8200 8.1 pseudo-header: addresses, protocol and TCP length.
            byte[] source = from.GetAddressBytes();
            byte[] destination = to.GetAddressBytes();
            uint sum = Sum(source) + Sum(destination) + 6 + (uint)tcp.Length;
            return Checksum(tcp, sum);
        }

        private static uint Sum(ReadOnlySpan<byte> bytes)
        {
            uint sum = 0;
            for (int i = 0; i + 1 < bytes.Length; i += 2)
            {
                sum += BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]);
            }

            if (bytes.Length % 2 == 1)
            {
                sum += (uint)bytes[^1] << 8;
            }

            return sum;
        }

        private static ushort Checksum(ReadOnlySpan<byte> bytes, uint initial)
        {
            uint sum = initial + Sum(bytes);
            while (sum >> 16 != 0)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            return (ushort)~sum;
        }
    }
}
