using System.Buffers.Binary;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace RdpHandshake.Analysis;

/// <summary>The container formats a capture may come in.</summary>
public enum CaptureFormat
{
    Pcap,
    Pcapng,
}

/// <summary>Why a capture cannot be read at all (a file that is not a capture, a reader that cannot start).</summary>
public sealed class CaptureUnreadableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One captured frame: when, on which link type, the bytes kept and how long the frame was on the wire.</summary>
public readonly record struct CapturedFrame(long Number, DateTimeOffset Time, LinkLayers LinkType, byte[] Data, int WireLength);

/// <summary>
/// Reads a pcap or pcapng file frame by frame through SharpPcap's offline reader (libpcap's <c>pcap_open_offline</c>,
/// which reads both formats, every link type and nanosecond timestamps), streaming: one frame in memory at a time.
/// The first bytes are looked at first only to say clearly what a file that is not a capture is.
/// </summary>
public sealed class CaptureFile : IDisposable
{
    private const uint PcapMagic = 0xA1B2C3D4;
    private const uint PcapNanoMagic = 0xA1B23C4D;
    private const uint PcapngSectionHeader = 0x0A0D0D0A;

    private readonly CaptureFileReaderDevice _device;
    private long _number;

    private CaptureFile(string path, CaptureFormat format, CaptureFileReaderDevice device, long length)
    {
        Path = path;
        Format = format;
        _device = device;
        Length = length;
    }

    public string Path { get; }

    public CaptureFormat Format { get; }

    /// <summary>The file's size in bytes.</summary>
    public long Length { get; }

    /// <summary>Set when reading stopped on an error (a truncated last frame, a damaged block): libpcap's words.</summary>
    public string? ReadError { get; private set; }

    /// <summary>Opens <paramref name="path"/>; throws <see cref="CaptureUnreadableException"/> with one line that says why not.</summary>
    public static CaptureFile Open(string path)
    {
        long length;
        CaptureFormat format;
        try
        {
            using FileStream stream = File.OpenRead(path);
            length = stream.Length;
            Span<byte> head = stackalloc byte[4];
            int read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            if (read < 4)
            {
                throw new CaptureUnreadableException(read == 0 ? $"{path} is empty, not a capture" : $"{path} is {read} byte(s) long, too short for a capture");
            }

            format = Sniff(head) ?? throw new CaptureUnreadableException(
                $"{path} is not a pcap or pcapng capture (it starts with {Convert.ToHexStringLower(head)}{Describe(head)})");
        }
        catch (IOException ex)
        {
            throw new CaptureUnreadableException($"{path} cannot be read: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CaptureUnreadableException($"{path} cannot be read: {ex.Message}", ex);
        }

        var device = new CaptureFileReaderDevice(path);
        try
        {
            device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
        }
        catch (DllNotFoundException ex)
        {
            throw new CaptureUnreadableException(
                "reading captures needs libpcap (Debian and Ubuntu: apt-get install libpcap0.8; macOS has it; Windows: install Npcap)", ex);
        }
        catch (PcapException ex)
        {
            throw new CaptureUnreadableException($"{path} cannot be read as a {Name(format)} capture: {ex.Message.Trim()}", ex);
        }

        return new CaptureFile(path, format, device, length);
    }

    /// <summary>The format its first four bytes announce, or null.</summary>
    public static CaptureFormat? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.Length < 4)
        {
            return null;
        }

        uint big = BinaryPrimitives.ReadUInt32BigEndian(head);
        uint little = BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (big == PcapngSectionHeader)
        {
            return CaptureFormat.Pcapng;
        }

        return big is PcapMagic or PcapNanoMagic || little is PcapMagic or PcapNanoMagic ? CaptureFormat.Pcap : null;
    }

    public static string Name(CaptureFormat format) => format switch
    {
        CaptureFormat.Pcap => "pcap",
        CaptureFormat.Pcapng => "pcapng",
    };

    /// <summary>
    /// The next frame, or null at the end of the file (or when reading stopped on an error: <see cref="ReadError"/>
    /// says which).
    /// </summary>
    public CapturedFrame? Next()
    {
        GetPacketStatus status;
        PacketCapture capture;
        try
        {
            status = _device.GetNextPacket(out capture);
        }
        catch (PcapException ex)
        {
            ReadError = ex.Message.Trim();
            return null;
        }

        if (status != GetPacketStatus.PacketRead)
        {
            if (status == GetPacketStatus.Error)
            {
                ReadError = string.IsNullOrWhiteSpace(_device.LastError) ? "the capture is damaged" : _device.LastError.Trim();
            }

            return null;
        }

        RawCapture raw = capture.GetPacket();
        _number++;
        // The header's length is the frame's on the wire; the data is what the snap length kept.
        return new CapturedFrame(_number, TimeOf(raw.Timeval.Value), raw.LinkLayerType, raw.Data, capture.Header is PcapHeader header ? (int)Math.Max(header.PacketLength, (uint)raw.Data.Length) : raw.Data.Length);
    }

    /// <summary>
    /// A record's time (seconds since 1970, to the nanosecond), clamped into what a date can hold: a damaged or hostile
    /// record may carry any 64-bit value, and the frame is still analysed.
    /// </summary>
    internal static DateTimeOffset TimeOf(decimal seconds)
    {
        const decimal Latest = 253_402_300_799m; // 9999-12-31T23:59:59Z
        decimal clamped = Math.Clamp(seconds, 0m, Latest);
        return DateTimeOffset.UnixEpoch.AddTicks((long)(clamped * TimeSpan.TicksPerSecond));
    }

    public void Dispose()
    {
        _device.Close();
        _device.Dispose();
    }

    private static string Describe(ReadOnlySpan<byte> head) => head[0] switch
    {
        (byte)'{' or (byte)'[' => ": JSON text",
        (byte)'<' => ": XML or HTML text",
        // Windows' pktmon and netsh trace write ETL, which Microsoft's etl2pcapng converts.
        _ => "; an ETL trace from pktmon or netsh trace must first be converted with etl2pcapng",
    };
}
