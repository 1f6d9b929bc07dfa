using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>
/// MS-RDPBCGR 2.2.7.2.10 Bitmap Codecs Capability Set (TS_BITMAPCODECS_CAPABILITYSET) and its 2.2.7.2.10.1.1
/// Bitmap Codec entries (TS_BITMAPCODEC).
/// </summary>
public sealed class BitmapCodecsCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active, four codecs.</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new BitmapCodecsCapability(new[]
            {
                new BitmapCodec(BitmapCodec.NsCodec, 1, new ByteString(Hex("01 01 03"))),
                new BitmapCodec(BitmapCodec.RemoteFx, 0, new ByteString(new byte[4])),
                new BitmapCodec(BitmapCodec.ImageRemoteFx, 0, new ByteString(new byte[4])),
                new BitmapCodec(new Guid("1baf4ce6-9eed-430c-869a-cb8b37b66237"), 0, new ByteString(Hex("4b"))),
            }),
            Hex(
                "1d 00 5d 00" // capabilitySetType CAPSETTYPE_BITMAP_CODECS (29), lengthCapability 93
                + "04" // bitmapCodecCount: 4
                + "b9 1b 8d ca 0f 00 4f 15 58 9f ae 2d 1a 87 e2 d6" // codecGUID: CODEC_GUID_NSCODEC
                + "01" // codecID: 1
                + "03 00" // codecPropertiesLength: 3
                + "01 01 03" // codecProperties: fAllowDynamicFidelity, fAllowSubsampling, colorLossLevel 3
                + "12 2f 77 76 72 bd 63 44 af b3 b7 3c 9c 6f 78 86" // codecGUID: CODEC_GUID_REMOTEFX
                + "00" // codecID: 0
                + "04 00" // codecPropertiesLength: 4
                + "00 00 00 00" // codecProperties: four zero bytes
                + "d4 cc 44 27 8a 9d 74 4e 80 3c 0e cb ee a1 9c 54" // codecGUID: CODEC_GUID_IMAGE_REMOTEFX
                + "00" // codecID: 0
                + "04 00" // codecPropertiesLength: 4
                + "00 00 00 00" // codecProperties: four zero bytes
                + "e6 4c af 1b ed 9e 0c 43 86 9a cb 8b 37 b6 62 37" // codecGUID: one MS-RDPBCGR does not name (xrdp's JPEG)
                + "00" // codecID: 0
                + "01 00" // codecPropertiesLength: 1
                + "4b"), // codecProperties: 75
            CapabilityVector.Xrdp);

    [Fact]
    public void A_codec_whose_properties_run_past_the_set_is_rejected()
    {
        // One codec announcing 16 property bytes with two present.
        DecodeResult<BitmapCodecsCapability> decoded = Pdu.Decode<BitmapCodecsCapability>(
            Hex("01 b9 1b 8d ca 0f 00 4f 15 58 9f ae 2d 1a 87 e2 d6 01 10 00 01 01"));
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, decoded.Error.Kind);
    }
}
