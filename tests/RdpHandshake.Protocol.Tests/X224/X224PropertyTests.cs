using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.X224;

/// <summary>
/// TPKT (T.123 8) and the X.224 PDUs of MS-RDPBCGR 2.2.1.1, 2.2.1.2 and 2.2.2.3. Properties every X.224 codec must hold: encode then decode gives the value back; no input makes a decoder
/// throw; every strict prefix of a valid PDU is rejected; and a garbled byte is either rejected with a reason
/// or yields a PDU that re-encodes to exactly the garbled bytes (so nothing is silently misread).
/// </summary>
[Properties(Arbitrary = [typeof(X224Arbitraries)], MaxTest = 300)]
public sealed class X224PropertyTests
{
    [Property]
    public bool Connection_request_round_trips(X224ConnectionRequest pdu) => CodecAssert.RoundTrips(pdu);

    [Property]
    public bool Connection_confirm_round_trips(X224ConnectionConfirm pdu) => CodecAssert.RoundTrips(pdu);

    [Property]
    public bool Disconnect_request_round_trips(X224DisconnectRequest pdu) => CodecAssert.RoundTrips(pdu);

    [Property]
    public bool Data_round_trips(X224Data pdu) => CodecAssert.RoundTrips(pdu);

    [Property]
    public bool Tpkt_header_round_trips(TpktHeader header) => CodecAssert.RoundTrips(header);

    [Property]
    public bool Negotiation_structures_round_trip(uint protocols, byte flags, uint code, Guid id) =>
        CodecAssert.RoundTrips(new RdpNegotiationRequest((SecurityProtocols)protocols, (NegotiationRequestFlags)flags))
        && CodecAssert.RoundTrips(new RdpNegotiationResponse((SecurityProtocols)protocols, (NegotiationResponseFlags)flags))
        && CodecAssert.RoundTrips(new RdpNegotiationFailure((NegotiationFailureCode)code, flags))
        && CodecAssert.RoundTrips(new RdpCorrelationInfo(id));

    [Property]
    public bool Disconnect_provider_ultimatum_round_trips(byte reason) =>
        CodecAssert.RoundTrips(new DisconnectProviderUltimatum((McsDisconnectReason)(reason % 5)));

    [Property]
    public bool Truncated_connection_request_is_rejected(X224ConnectionRequest pdu) => CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Truncated_connection_confirm_is_rejected(X224ConnectionConfirm pdu) => CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Truncated_disconnect_request_is_rejected(X224DisconnectRequest pdu) => CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Truncated_data_is_rejected(X224Data pdu) => CodecAssert.EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Garbled_connection_request_is_rejected_or_exact(X224ConnectionRequest pdu, int position, byte mask) =>
        CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Garbled_connection_confirm_is_rejected_or_exact(X224ConnectionConfirm pdu, int position, byte mask) =>
        CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Garbled_disconnect_request_is_rejected_or_exact(X224DisconnectRequest pdu, int position, byte mask) =>
        CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Garbled_data_is_rejected_or_exact(X224Data pdu, int position, byte mask) =>
        CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property(MaxTest = 2000)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes)
    {
        // Each call either decodes or returns a DecodeError; an exception fails the property.
        _ = Pdu.Decode<X224ConnectionRequest>(bytes);
        _ = Pdu.Decode<X224ConnectionConfirm>(bytes);
        _ = Pdu.Decode<X224DisconnectRequest>(bytes);
        _ = Pdu.Decode<X224Data>(bytes);
        _ = Pdu.Decode<TpktHeader>(bytes);
        _ = Pdu.Decode<RdpNegotiationRequest>(bytes);
        _ = Pdu.Decode<RdpNegotiationResponse>(bytes);
        _ = Pdu.Decode<RdpNegotiationFailure>(bytes);
        _ = Pdu.Decode<RdpCorrelationInfo>(bytes);
        _ = Pdu.Decode<DisconnectProviderUltimatum>(bytes);
        FrameSize size = TpktHeader.FindFrameSize(bytes);
        return size.Status != FrameSizeStatus.Complete || size.Length >= TpktHeader.MinPacketLength;
    }

    [Property(MaxTest = 2000)]
    public bool Bytes_behind_a_plausible_header_never_throw(byte[] tail, byte code, byte li)
    {
        // Random tails behind a consistent TPKT header reach deeper code than fully random bytes do.
        int length = Math.Min(TpktHeader.FixedPartSize + 2 + tail.Length, ushort.MaxValue);
        byte[] bytes = [0x03, 0x00, (byte)(length >> 8), (byte)length, li, code, .. tail];
        bytes = bytes[..length];
        DecodeResult<X224ConnectionConfirm> cc = Pdu.Decode<X224ConnectionConfirm>(bytes);
        DecodeResult<X224ConnectionRequest> cr = Pdu.Decode<X224ConnectionRequest>(bytes);
        return (cc.IsSuccess || cc.Error.Reason.Length > 0) && (cr.IsSuccess || cr.Error.Reason.Length > 0);
    }
}
