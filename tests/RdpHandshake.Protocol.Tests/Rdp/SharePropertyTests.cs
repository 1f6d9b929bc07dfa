using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp;

/// <summary>
/// The share layer (MS-RDPBCGR 2.2.8.1.1.1, 2.2.1.13, 2.2.3.1). Properties of the share-layer codecs: encode then decode gives the value back (directly and through the
/// dispatcher); no input makes a decoder throw; every strict prefix is rejected; a garbled byte is rejected or
/// re-encodes to exactly the garbled bytes; and counts larger than the bytes are rejected before allocation.
/// </summary>
[Properties(Arbitrary = [typeof(ShareArbitraries)], MaxTest = 300)]
public sealed class SharePropertyTests
{
    private static SlowPathPdu? ThroughDispatcher(byte[] bytes)
    {
        DecodeResult<IReadOnlyList<SlowPathPdu>> decoded = SlowPathPdu.Decode(bytes);
        return decoded.IsSuccess && decoded.Value.Count == 1 ? decoded.Value[0] : null;
    }

    [Property]
    public bool Share_data_pdu_round_trips(ShareDataPdu pdu) =>
        CodecAssert.RoundTrips(pdu) && ThroughDispatcher(Pdu.Encode(pdu)) is SlowPathPdu.Data data && data.Pdu.Equals(pdu);

    [Property]
    public bool Demand_active_round_trips(DemandActivePdu pdu) =>
        CodecAssert.RoundTrips(pdu) && ThroughDispatcher(Pdu.Encode(pdu)) is SlowPathPdu.DemandActive d && d.Pdu.Equals(pdu);

    [Property]
    public bool Confirm_active_round_trips(ConfirmActivePdu pdu) =>
        CodecAssert.RoundTrips(pdu) && ThroughDispatcher(Pdu.Encode(pdu)) is SlowPathPdu.ConfirmActive c && c.Pdu.Equals(pdu);

    [Property]
    public bool Deactivate_all_round_trips(DeactivateAllPdu pdu) =>
        CodecAssert.RoundTrips(pdu) && ThroughDispatcher(Pdu.Encode(pdu)) is SlowPathPdu.DeactivateAll d && d.Pdu.Equals(pdu);

    [Property]
    public bool Capability_set_round_trips(CapabilitySet set) => CodecAssert.RoundTrips(set);

    [Property]
    public bool Back_to_back_pdus_are_all_decoded(ShareDataPdu first, DemandActivePdu second, ShareDataPdu third)
    {
        byte[] bytes = [.. Pdu.Encode(first), .. Pdu.Encode(second), .. Pdu.Encode(third)];
        DecodeResult<IReadOnlyList<SlowPathPdu>> decoded = SlowPathPdu.Decode(bytes);
        return decoded.IsSuccess && decoded.Value.Count == 3
            && decoded.Value[0] is SlowPathPdu.Data a && a.Pdu.Equals(first)
            && decoded.Value[1] is SlowPathPdu.DemandActive b && b.Pdu.Equals(second)
            && decoded.Value[2] is SlowPathPdu.Data c && c.Pdu.Equals(third);
    }

    [Property]
    public bool Typed_capabilities_round_trip(ushort width, ushort height, byte depthIndex, uint layout)
    {
        ushort w = (ushort)(200 + (width % 7000));
        ushort h = (ushort)(200 + (height % 7000));
        ushort depth = new ushort[] { 8, 15, 16, 24, 32 }[depthIndex % 5];
        foreach (CapabilitySet set in ClientCapabilities.Create(w, h, depth, layout).Concat(ServerCapabilities.Create(w, h, depth)))
        {
            if (set.Typed() is { } typed && (!typed.IsSuccess || !typed.Value!.Describe().Any()))
            {
                return false;
            }
        }

        return true;
    }

    [Property]
    public bool Truncated_share_data_pdu_is_rejected(ShareDataPdu pdu) => CodecAssert.EveryStrictPrefixIsRejected(pdu, prefix => !SlowPathPdu.Decode(prefix).IsSuccess);

    [Property]
    public bool Truncated_demand_active_is_rejected(DemandActivePdu pdu) => CodecAssert.EveryStrictPrefixIsRejected(pdu, prefix => !SlowPathPdu.Decode(prefix).IsSuccess);

    [Property]
    public bool Truncated_confirm_active_is_rejected(ConfirmActivePdu pdu) => CodecAssert.EveryStrictPrefixIsRejected(pdu, prefix => !SlowPathPdu.Decode(prefix).IsSuccess);

    [Property]
    public bool Garbled_share_data_pdu_is_rejected_or_exact(ShareDataPdu pdu, int position, byte mask) =>
        // Save Session Info is left out: its fixed-size name fields and pads re-encode as zeros.
        pdu.Body is SaveSessionInfoPdu || CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Garbled_demand_active_is_rejected_or_exact(DemandActivePdu pdu, int position, byte mask) =>
        CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Garbled_confirm_active_is_rejected_or_exact(ConfirmActivePdu pdu, int position, byte mask) =>
        CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property(MaxTest = 2000)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes)
    {
        // Each call either decodes or returns a DecodeError; an exception fails the property.
        _ = SlowPathPdu.Decode(bytes);
        _ = Pdu.Decode<ShareControlHeader>(bytes);
        _ = Pdu.Decode<ShareDataHeader>(bytes);
        _ = Pdu.Decode<ShareDataPdu>(bytes);
        _ = Pdu.Decode<DemandActivePdu>(bytes);
        _ = Pdu.Decode<ConfirmActivePdu>(bytes);
        _ = Pdu.Decode<DeactivateAllPdu>(bytes);
        _ = Pdu.Decode<CapabilitySet>(bytes);
        _ = Pdu.Decode<SaveSessionInfoPdu>(bytes);
        _ = Pdu.Decode<MonitorLayoutPdu>(bytes);
        foreach (PduType2 type in Enum.GetValues<PduType2>())
        {
            _ = ShareDataBody.Decode(type, bytes);
        }

        foreach (CapabilitySetType type in Enum.GetValues<CapabilitySetType>())
        {
            var set = new CapabilitySet(type, new ByteString(bytes));
            _ = set.Describe();
        }

        return true;
    }

    [Property(MaxTest = 2000)]
    public bool Bytes_behind_a_plausible_header_never_throw(byte[] tail, byte type, byte type2)
    {
        // A consistent totalLength and PDU type reach deeper code than fully random bytes do.
        int length = Math.Min(ShareDataHeader.FixedPartSize + tail.Length, ushort.MaxValue);
        byte pduType = (byte)(0x10 | new byte[] { 1, 3, 6, 7, 0xA }[type % 5]);
        byte[] bytes = [(byte)length, (byte)(length >> 8), pduType, 0, 0xea, 0x03, .. tail];
        if (bytes.Length > 14)
        {
            bytes[14] = type2;
        }

        bytes = bytes[..Math.Min(length, bytes.Length)];
        DecodeResult<IReadOnlyList<SlowPathPdu>> decoded = SlowPathPdu.Decode(bytes);
        return decoded.IsSuccess || decoded.Error.Reason.Length > 0;
    }

    [Fact]
    public void Huge_counts_are_rejected_before_anything_is_allocated()
    {
        // numberCapabilities 0xffff with 4 bytes of capability data.
        DecodeResult<DemandActivePdu> demand = Pdu.Decode<DemandActivePdu>(
            Hex("1e 00 11 00 ea 03 ea 03 01 00 04 00 08 00 52 44 50 00 ff ff 00 00 09 00 04 00 00 00 00 00"));
        Assert.False(demand.IsSuccess);
        Assert.Equal("numberCapabilities", demand.Error.Field);

        // monitorCount 0xffffffff in a 4-byte Monitor Layout body.
        DecodeResult<MonitorLayoutPdu> monitors = Pdu.Decode<MonitorLayoutPdu>(Hex("ff ff ff ff"));
        Assert.Equal("monitorCount", monitors.Error.Field);

        // bitmapCodecCount 255 with no codecs behind it.
        DecodeResult<BitmapCodecsCapability> codecs = Pdu.Decode<BitmapCodecsCapability>(Hex("ff"));
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, codecs.Error.Kind);

        // cbDomain/cbUserName of a TS_LOGON_INFO_VERSION_2 far beyond the PDU.
        byte[] v2 = [.. Hex("01 00 00 00 01 00 12 00 00 00 00 00 00 00 ff ff ff ff ff ff ff ff"), .. new byte[558]];
        DecodeResult<SaveSessionInfoPdu> session = Pdu.Decode<SaveSessionInfoPdu>(v2);
        Assert.False(session.IsSuccess);
        Assert.Equal("cbDomain", session.Error.Field);
    }

    [Fact]
    public void Malformed_headers_name_the_field_at_fault()
    {
        DecodeResult<IReadOnlyList<SlowPathPdu>> version = SlowPathPdu.Decode(Hex("12 00 27 00 ef 03 ea 03 02 00 00 01 04 00 24 00 00 00"));
        Assert.Equal(DecodeErrorKind.UnsupportedVersion, version.Error.Kind);
        Assert.Equal("pduType.PDUVersion", version.Error.Field);

        DecodeResult<IReadOnlyList<SlowPathPdu>> tooShort = SlowPathPdu.Decode(Hex("05 00 17 00 ef 03"));
        Assert.Equal("totalLength", tooShort.Error.Field);

        DecodeResult<IReadOnlyList<SlowPathPdu>> tooLong = SlowPathPdu.Decode(Hex("40 00 17 00 ef 03 ea 03 02 00 00 01 04 00 24 00 00 00"));
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, tooLong.Error.Kind);

        DecodeResult<ShareDataPdu> wrongType = Pdu.Decode<ShareDataPdu>(Hex("12 00 11 00 ef 03 ea 03 02 00 00 01 04 00 24 00 00 00"));
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, wrongType.Error.Kind);

        DecodeResult<IReadOnlyList<SlowPathPdu>> badAction = SlowPathPdu.Decode(
            Hex("1a 00 17 00 ef 03 ea 03 01 00 00 01 0c 00 14 00 00 00 09 00 00 00 00 00 00 00"));
        Assert.Equal("action", badAction.Error.Field);
        Assert.Equal(18, badAction.Error.Offset);

        DecodeResult<IReadOnlyList<SlowPathPdu>> trailing = SlowPathPdu.Decode(
            Hex("17 00 17 00 ef 03 ea 03 01 00 00 01 08 00 1f 00 00 00 01 00 ea 03 ff"));
        Assert.Equal(DecodeErrorKind.TrailingBytes, trailing.Error.Kind);

        DecodeResult<CapabilitySet> capLength = Pdu.Decode<CapabilitySet>(Hex("01 00 02 00"));
        Assert.Equal("lengthCapability", capLength.Error.Field);
    }
}
