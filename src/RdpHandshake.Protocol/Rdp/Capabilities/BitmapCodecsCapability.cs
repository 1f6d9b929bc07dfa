using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.2.10.1.1 Bitmap Codec (TS_BITMAPCODEC).</summary>
public sealed record BitmapCodec(Guid CodecGuid, byte CodecId, ByteString CodecProperties)
{
    /// <summary>CODEC_GUID_NSCODEC.</summary>
    public static readonly Guid NsCodec = new(0xCA8D1BB9, 0x000F, 0x154F, 0x58, 0x9F, 0xAE, 0x2D, 0x1A, 0x87, 0xE2, 0xD6);

    /// <summary>CODEC_GUID_REMOTEFX.</summary>
    public static readonly Guid RemoteFx = new(0x76772F12, 0xBD72, 0x4463, 0xAF, 0xB3, 0xB7, 0x3C, 0x9C, 0x6F, 0x78, 0x86);

    /// <summary>CODEC_GUID_IMAGE_REMOTEFX.</summary>
    public static readonly Guid ImageRemoteFx = new(0x2744CCD4, 0x9D8A, 0x4E74, 0x80, 0x3C, 0x0E, 0xCB, 0xEE, 0xA1, 0x9C, 0x54);

    /// <summary>CODEC_GUID_IGNORE.</summary>
    public static readonly Guid Ignore = new(0x9C4351A6, 0x3535, 0x42AE, 0x91, 0x0C, 0xCD, 0xFC, 0xE5, 0x76, 0x0B, 0x58);

    public const int FixedPartSize = 16 /* codecGUID */ + 1 /* codecID */ + 2 /* codecPropertiesLength */;

    public int Size => FixedPartSize + CodecProperties.Length;

    /// <summary>The specification's name of the GUID, or the GUID itself.</summary>
    public string CodecName =>
        CodecGuid == NsCodec ? "CODEC_GUID_NSCODEC"
        : CodecGuid == RemoteFx ? "CODEC_GUID_REMOTEFX"
        : CodecGuid == ImageRemoteFx ? "CODEC_GUID_IMAGE_REMOTEFX"
        : CodecGuid == Ignore ? "CODEC_GUID_IGNORE"
        : CodecGuid.ToString("D");
}

/// <summary>MS-RDPBCGR 2.2.7.2.10 Bitmap Codecs Capability Set (TS_BITMAPCODECS_CAPABILITYSET).</summary>
public sealed record BitmapCodecsCapability(ValueList<BitmapCodec> Codecs) : IPdu<BitmapCodecsCapability>, ICapability
{
    public static string PduName => "TS_BITMAPCODECS_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.BitmapCodecs;

    public int Size => 1 /* bitmapCodecCount */ + Codecs.Sum(c => c.Size);

    public void Encode(ref PduWriter writer)
    {
        if (!(Codecs.Count <= byte.MaxValue))
        {
            ThrowHelper.ThrowArgument(nameof(Codecs), "at most 255 codecs");
        }

        writer.WriteByte((byte)Codecs.Count);
        Span<byte> guid = stackalloc byte[16];
        foreach (BitmapCodec codec in Codecs)
        {
            // The wire GUID (2.2.7.2.10.1.1.1) is little-endian in its first three fields, as .NET writes it.
            codec.CodecGuid.TryWriteBytes(guid);
            writer.WriteBytes(guid);
            writer.WriteByte(codec.CodecId);
            writer.WriteUInt16Le(ShareWire.Checked16(codec.CodecProperties.Length, "codecPropertiesLength"));
            writer.WriteBytes(codec.CodecProperties.Span);
        }
    }

    public static DecodeResult<BitmapCodecsCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(1, PduName) is { } missing)
        {
            return missing;
        }

        int count = reader.ReadByte();
        List<BitmapCodec> codecs = new(Math.Min(count, reader.Remaining / BitmapCodec.FixedPartSize));
        for (int i = 0; i < count; i++)
        {
            if (reader.Ensure(BitmapCodec.FixedPartSize, PduName) is { } short1)
            {
                return short1;
            }

            var guid = new Guid(reader.ReadBytes(16));
            byte id = reader.ReadByte();
            int length = reader.ReadUInt16Le();
            if (reader.Ensure(length, PduName) is { } short2)
            {
                return short2;
            }

            codecs.Add(new BitmapCodec(guid, id, new ByteString(reader.ReadBytes(length))));
        }

        return new BitmapCodecsCapability(codecs);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("bitmapCodecCount", CapabilityText.Dec(Codecs.Count));
        foreach (BitmapCodec codec in Codecs)
        {
            yield return ("codec", $"{codec.CodecName} id {codec.CodecId} ({codec.CodecProperties.Length} property bytes)");
        }
    }
}
