using System.Net;
using PacketDotNet;

namespace RdpHandshake.Analysis;

/// <summary>TCP control flags (RFC 9293 3.1).</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
}

/// <summary>
/// One TCP segment as the capture holds it: endpoints, sequence and acknowledgement numbers, flags, window, the
/// payload bytes captured and how long the payload was on the wire (longer when the snap length cut it).
/// </summary>
public sealed record TcpSegment(
    long Frame,
    DateTimeOffset Time,
    IPEndPoint Source,
    IPEndPoint Destination,
    uint Sequence,
    uint Acknowledgement,
    TcpFlags Flags,
    ushort Window,
    byte[] Payload,
    int WireLength)
{
    public bool Has(TcpFlags flag) => (Flags & flag) == flag;

    /// <summary>Payload bytes the snap length cut off.</summary>
    public int Missing => WireLength - Payload.Length;
}

/// <summary>What a frame is to the analysis: a TCP segment, other traffic, or something that does not decode.</summary>
public enum FrameKind
{
    Tcp,
    OtherIp,
    NotIp,
    Undecodable,
}

/// <summary>
/// Turns a captured frame into a <see cref="TcpSegment"/> with PacketDotNet, which knows the link layers (Ethernet
/// with or without 802.1Q tags, Linux cooked SLL and SLL2, raw IP, BSD loopback) and IPv4 and IPv6.
/// </summary>
public static class SegmentDecoder
{
    /// <summary>
    /// How many layers a frame may nest: link, up to two VLAN tags, IP, a tunnelled IP, TCP, with room to spare.
    /// </summary>
    private const int MaxLayers = 12;

    /// <summary>
    /// Whether <paramref name="ex"/> is PacketDotNet refusing a frame. It parses every layer it knows (radiotap, OSPF,
    /// ...) lazily and signals a damaged one with whatever it meets: argument and index errors, a read past the end of
    /// its stream, or a bare <see cref="Exception"/> ("Malformed OSPF packet"). For a captured frame any of them means
    /// "undecodable"; only running out of memory is not the frame's fault.
    /// </summary>
    private static bool IsParseFailure(Exception ex) => ex is not OutOfMemoryException;

    /// <summary>Decodes <paramref name="frame"/>; <paramref name="segment"/> is set when it is TCP.</summary>
    public static FrameKind Decode(CapturedFrame frame, out TcpSegment? segment)
    {
        segment = null;
        Packet packet;

        // A frame the snap length cut: PacketDotNet reads headers by the lengths they announce, so the frame is given
        // to it at its wire length, the bytes never captured as zeros, and those are taken off the payload after.
        int cut = frame.WireLength > frame.Data.Length && frame.WireLength - frame.Data.Length <= 65_535 ? frame.WireLength - frame.Data.Length : 0;
        byte[] data = frame.Data;
        if (cut > 0)
        {
            data = new byte[frame.WireLength];
            frame.Data.CopyTo(data, 0);
        }

        try
        {
            packet = Packet.ParsePacket(frame.LinkType, data);
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return FrameKind.Undecodable;
        }

        IPPacket? ip = null;
        TcpPacket? tcp = null;
        try
        {
            // The layers are walked here, a bounded number of them, rather than with PacketDotNet's Extract: a
            // damaged IP header (an IPv4 header length of 0 with protocol 4, IP in IP) makes each layer's payload the
            // same bytes again, an endless chain that Extract would follow for ever.
            Packet? layer = packet;
            for (int depth = 0; layer is not null && tcp is null; depth++, layer = layer.PayloadPacket)
            {
                if (depth == MaxLayers)
                {
                    return FrameKind.Undecodable;
                }

                switch (layer)
                {
                    case TcpPacket found when ip is not null:
                        tcp = found;
                        break;
                    case IPPacket found:
                        ip = found;
                        break;
                }
            }

            if (ip is null)
            {
                return FrameKind.NotIp;
            }

            if (tcp is null)
            {
                return FrameKind.OtherIp;
            }

            int headerLength = tcp.DataOffset * 4;
            if (headerLength < 20)
            {
                return FrameKind.Undecodable;
            }

            // The IP header says how long the segment was on the wire; the capture may hold less (the snap length).
            int ipPayload = ip is IPv4Packet v4 ? v4.TotalLength - (v4.HeaderLength * 4) : ip.PayloadLength;
            byte[] payload = tcp.PayloadData ?? [];
            if (cut > 0)
            {
                // The payload ends the frame: what the snap length cut is its tail. A cut into the headers leaves
                // nothing to trust (ports, sequence numbers would be the zeros put there).
                if (cut > payload.Length)
                {
                    return FrameKind.Undecodable;
                }

                payload = payload[..(payload.Length - cut)];
            }

            int wire = Math.Max(payload.Length, ipPayload - headerLength);
            // An IPv4 total length of 0 (TCP segmentation offload on the capturing host) says nothing: trust the capture.
            if (ip is IPv4Packet { TotalLength: 0 })
            {
                wire = payload.Length;
            }

            segment = new TcpSegment(
                frame.Number,
                frame.Time,
                new IPEndPoint(ip.SourceAddress, tcp.SourcePort),
                new IPEndPoint(ip.DestinationAddress, tcp.DestinationPort),
                tcp.SequenceNumber,
                tcp.AcknowledgmentNumber,
                (TcpFlags)(tcp.Flags & 0x1F),
                tcp.WindowSize,
                payload,
                wire);
            return FrameKind.Tcp;
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return FrameKind.Undecodable;
        }
    }
}
