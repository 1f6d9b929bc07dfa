using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests;

/// <summary>
/// Properties every X.224 codec must hold: encode then decode gives the value back; no input makes a decoder
/// throw; every strict prefix of a valid PDU is rejected; and a garbled byte is either rejected with a reason
/// or yields a PDU that re-encodes to exactly the garbled bytes (so nothing is silently misread).
/// </summary>
[Properties(Arbitrary = [typeof(X224Arbitraries)], MaxTest = 300)]
public sealed class X224PropertyTests
{
    private static bool RoundTrips<T>(T pdu) where T : IPdu<T>
    {
        byte[] bytes = Pdu.Encode(pdu);
        DecodeResult<T> decoded = Pdu.Decode<T>(bytes);
        return decoded.IsSuccess && decoded.Value!.Equals(pdu) && pdu.Size == bytes.Length;
    }

    private static bool EveryStrictPrefixIsRejected<T>(T pdu) where T : IPdu<T>
    {
        byte[] bytes = Pdu.Encode(pdu);
        for (int length = 0; length < bytes.Length; length++)
        {
            DecodeResult<T> result = Pdu.Decode<T>(bytes.AsSpan(0, length));
            if (result.IsSuccess || string.IsNullOrEmpty(result.Error.Reason))
            {
                return false;
            }
        }

        return true;
    }

    private static bool GarbledIsRejectedOrExact<T>(T pdu, int position, byte mask) where T : IPdu<T>
    {
        byte[] bytes = Pdu.Encode(pdu);
        bytes[Math.Abs(position % bytes.Length)] ^= mask == 0 ? (byte)0x5A : mask;
        DecodeResult<T> result = Pdu.Decode<T>(bytes);
        return result.IsSuccess
            ? Pdu.Encode(result.Value!).AsSpan().SequenceEqual(bytes)
            : !string.IsNullOrEmpty(result.Error.Reason);
    }

    [Property]
    public bool Connection_request_round_trips(X224ConnectionRequest pdu) => RoundTrips(pdu);

    [Property]
    public bool Connection_confirm_round_trips(X224ConnectionConfirm pdu) => RoundTrips(pdu);

    [Property]
    public bool Disconnect_request_round_trips(X224DisconnectRequest pdu) => RoundTrips(pdu);

    [Property]
    public bool Data_round_trips(X224Data pdu) => RoundTrips(pdu);

    [Property]
    public bool Tpkt_header_round_trips(TpktHeader header) => RoundTrips(header);

    [Property]
    public bool Negotiation_structures_round_trip(uint protocols, byte flags, uint code, Guid id) =>
        RoundTrips(new RdpNegotiationRequest((SecurityProtocols)protocols, (NegotiationRequestFlags)flags))
        && RoundTrips(new RdpNegotiationResponse((SecurityProtocols)protocols, (NegotiationResponseFlags)flags))
        && RoundTrips(new RdpNegotiationFailure((NegotiationFailureCode)code, flags))
        && RoundTrips(new RdpCorrelationInfo(id));

    [Property]
    public bool Disconnect_provider_ultimatum_round_trips(byte reason) =>
        RoundTrips(new DisconnectProviderUltimatum((McsDisconnectReason)(reason % 5)));

    [Property]
    public bool Truncated_connection_request_is_rejected(X224ConnectionRequest pdu) => EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Truncated_connection_confirm_is_rejected(X224ConnectionConfirm pdu) => EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Truncated_disconnect_request_is_rejected(X224DisconnectRequest pdu) => EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Truncated_data_is_rejected(X224Data pdu) => EveryStrictPrefixIsRejected(pdu);

    [Property]
    public bool Garbled_connection_request_is_rejected_or_exact(X224ConnectionRequest pdu, int position, byte mask) =>
        GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Garbled_connection_confirm_is_rejected_or_exact(X224ConnectionConfirm pdu, int position, byte mask) =>
        GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Garbled_disconnect_request_is_rejected_or_exact(X224DisconnectRequest pdu, int position, byte mask) =>
        GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Garbled_data_is_rejected_or_exact(X224Data pdu, int position, byte mask) =>
        GarbledIsRejectedOrExact(pdu, position, mask);

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
