using System.Buffers.Binary;
using System.Net;
using RdpHandshake.Capture;

namespace RdpHandshake.Tests;

public sealed class PcapngWriterTests
{
    private static List<(uint Type, byte[] Body)> Blocks(byte[] file)
    {
        var blocks = new List<(uint, byte[])>();
        for (int offset = 0; offset < file.Length;)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset));
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 4));
            Assert.Equal((uint)length, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + length - 4)));
            blocks.Add((type, file[(offset + 8)..(offset + length - 4)]));
            offset += length;
        }

        return blocks;
    }

    [Fact]
    public void A_capture_has_a_handshake_one_segment_and_ack_per_chunk_and_a_close_with_valid_checksums()
    {
        var log = new WireLog(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero))
        {
            Client = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 50123),
            Server = new IPEndPoint(IPAddress.Parse("10.1.2.4"), 3389),
            ConnectedAt = TimeSpan.FromMilliseconds(1),
        };
        log.Add(TimeSpan.FromMilliseconds(2), WireDirection.ToServer, [0x03, 0x00, 0x00, 0x0b, 0x06, 0xe0, 0, 0, 0, 0, 0]);
        log.Add(TimeSpan.FromMilliseconds(3), WireDirection.ToClient, [0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0, 0, 0x12, 0x34, 0]);
        log.Ending = (TimeSpan.FromMilliseconds(4), WireEnding.ServerReset);

        using var stream = new MemoryStream();
        PcapngWriter.Write(log, stream);
        List<(uint Type, byte[] Body)> blocks = Blocks(stream.ToArray());

        Assert.Equal(0x0A0D0D0Au, blocks[0].Type);
        Assert.Equal(0x1A2B3C4Du, BinaryPrimitives.ReadUInt32LittleEndian(blocks[0].Body));
        Assert.Equal(1u, blocks[1].Type);
        Assert.Equal(101, BinaryPrimitives.ReadUInt16LittleEndian(blocks[1].Body)); // LINKTYPE_RAW
        byte[][] packets = blocks.Skip(2).Select(b =>
        {
            Assert.Equal(6u, b.Type);
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.Body.AsSpan(12));
            return b.Body[20..(20 + length)];
        }).ToArray();

        // SYN, SYN-ACK, ACK; request + ACK; confirm + ACK; RST from the server.
        Assert.Equal(3 + 2 + 2 + 1, packets.Length);
        byte[] flags = packets.Select(p => p[20 + 13]).ToArray();
        Assert.Equal(new byte[] { 0x02, 0x12, 0x10, 0x18, 0x10, 0x18, 0x10, 0x14 }, flags);
        foreach (byte[] packet in packets)
        {
            Assert.Equal(0x45, packet[0]);
            Assert.Equal(packet.Length, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
            Assert.Equal(0xFFFF, OnesComplementSum(packet.AsSpan(0, 20))); // a valid IPv4 header sums to all ones
        }

        // The server's confirm starts where its SYN left off, and acknowledges the client's 11 bytes.
        byte[] confirm = packets[5];
        uint serverIsn = BinaryPrimitives.ReadUInt32BigEndian(packets[1].AsSpan(24));
        uint clientIsn = BinaryPrimitives.ReadUInt32BigEndian(packets[0].AsSpan(24));
        Assert.Equal(serverIsn + 1, BinaryPrimitives.ReadUInt32BigEndian(confirm.AsSpan(24)));
        Assert.Equal(clientIsn + 1 + 11, BinaryPrimitives.ReadUInt32BigEndian(confirm.AsSpan(28)));
        Assert.Equal(0xd0, confirm[40 + 5]);
    }

    [Fact]
    public void A_comment_goes_in_the_section_header_as_opt_comment_and_without_one_there_are_no_options()
    {
        var log = new WireLog(DateTimeOffset.UnixEpoch)
        {
            Client = new IPEndPoint(IPAddress.Loopback, 50123),
            Server = new IPEndPoint(IPAddress.Loopback, 3389),
            Comment = "tunnelled through an RD Gateway",
        };
        using var stream = new MemoryStream();
        PcapngWriter.Write(log, stream);
        byte[] header = Blocks(stream.ToArray())[0].Body;
        // magic(4) version(2+2) section length(8), then opt_comment(1) with its length, the text padded, opt_endofopt.
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(16)));
        int length = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18));
        Assert.Equal("tunnelled through an RD Gateway", System.Text.Encoding.UTF8.GetString(header, 20, length));
        int end = 20 + ((length + 3) & ~3);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(end)));
        Assert.Equal(end + 4, header.Length);

        using var plain = new MemoryStream();
        PcapngWriter.Write(new WireLog(DateTimeOffset.UnixEpoch), plain);
        Assert.Equal(16, Blocks(plain.ToArray())[0].Body.Length);
    }

    private static int OnesComplementSum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        for (int i = 0; i < bytes.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (int)sum;
    }
}
