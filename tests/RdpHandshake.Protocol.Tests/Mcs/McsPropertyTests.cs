using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Tests;

namespace RdpHandshake.Protocol.Tests.Mcs;

/// <summary>Generators of spec-valid MCS and GCC PDUs.</summary>
public static class McsArbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ushort> UserId => Gen.Choose(DomainPdu.BaseChannelId, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<ushort> ChannelId => Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<McsResult> Result => Gen.Choose(0, 15).Select(i => (McsResult)i);

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    private static Gen<ByteString> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Byte, n)).Select(b => new ByteString(b));

    private static Gen<DomainParameters> Parameters =>
        Gen.ArrayOf(UInt32, 8).Select(v => new DomainParameters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]));

    public static Arbitrary<McsConnectInitial> ConnectInitials() =>
        (from calling in Bytes(4)
         from called in Bytes(4)
         from upward in ArbMap.Default.GeneratorFor<bool>()
         from target in Parameters
         from minimum in Parameters
         from maximum in Parameters
         from data in Bytes(600)
         select new McsConnectInitial(calling, called, upward, target, minimum, maximum, data)).ToArbitrary();

    public static Arbitrary<McsConnectResponse> ConnectResponses() =>
        (from result in Result
         from id in UInt32
         from parameters in Parameters
         from data in Bytes(600)
         select new McsConnectResponse(result, id, parameters, data)).ToArbitrary();

    public static Arbitrary<GccConferenceCreateRequest> GccRequests() => Bytes(2000).Select(b => new GccConferenceCreateRequest(b)).ToArbitrary();

    public static Arbitrary<GccConferenceCreateResponse> GccResponses() =>
        (from node in UserId
         from tag in UInt32
         from result in Byte
         from data in Bytes(2000)
         from xrdpLength in ArbMap.Default.GeneratorFor<bool>()
         from xrdpForm in ArbMap.Default.GeneratorFor<bool>()
         select new GccConferenceCreateResponse(node, tag, result, data,
             AnnouncedConnectPduLength: xrdpLength && data.Length > 64 ? 0x2a : null,
             LongUserDataLength: xrdpForm && data.Length < 0x80)).ToArbitrary();

    public static Arbitrary<AttachUserConfirm> AttachUserConfirms() =>
        (from result in Result
         from present in ArbMap.Default.GeneratorFor<bool>()
         from user in UserId
         select new AttachUserConfirm(result, present ? user : null)).ToArbitrary();

    public static Arbitrary<ChannelJoinRequest> ChannelJoinRequests() =>
        (from user in UserId from channel in ChannelId select new ChannelJoinRequest(user, channel)).ToArbitrary();

    public static Arbitrary<ChannelJoinConfirm> ChannelJoinConfirms() =>
        (from result in Result
         from user in UserId
         from requested in ChannelId
         from present in ArbMap.Default.GeneratorFor<bool>()
         from channel in ChannelId
         select new ChannelJoinConfirm(result, user, requested, present ? channel : null)).ToArbitrary();

    public static Arbitrary<SendData> SendDatas() =>
        (from indication in ArbMap.Default.GeneratorFor<bool>()
         from user in UserId
         from channel in ChannelId
         from data in Bytes(Per.MaxLength)
         select indication ? SendData.Indication(user, channel, data.Span) : SendData.Request(user, channel, data.Span)).ToArbitrary();
}

/// <summary>
/// MS-RDPBCGR 2.2.1.3 to 2.2.1.9 (T.125 MCS, T.124 GCC): round trips, strict prefixes and garbling for every
/// MCS and GCC codec.
/// </summary>
[Properties(Arbitrary = [typeof(McsArbitraries)], MaxTest = 200)]
public sealed class McsPropertyTests
{
    private static bool Holds<T>(T pdu, int position, byte mask) where T : IPdu<T> =>
        CodecAssert.RoundTrips(pdu) && CodecAssert.EveryStrictPrefixIsRejected(pdu) && CodecAssert.GarbledIsRejectedOrExact(pdu, position, mask);

    [Property]
    public bool Connect_initial(McsConnectInitial pdu, int position, byte mask) => Holds(pdu, position, mask);

    [Property]
    public bool Connect_response(McsConnectResponse pdu, int position, byte mask) => Holds(pdu, position, mask);

    [Property]
    public bool Gcc_conference_create_request(GccConferenceCreateRequest pdu, int position, byte mask) => Holds(pdu, position, mask);

    [Property]
    public bool Gcc_conference_create_response(GccConferenceCreateResponse pdu, int position, byte mask) => Holds(pdu, position, mask);

    [Property]
    public bool Attach_user_confirm(AttachUserConfirm pdu, int position, byte mask) => Holds(pdu, position, mask);

    [Property]
    public bool Channel_join_request(ChannelJoinRequest pdu, int position, byte mask) => Holds(pdu, position, mask);

    [Property]
    public bool Channel_join_confirm(ChannelJoinConfirm pdu, int position, byte mask) => Holds(pdu, position, mask);

    [Property]
    public bool Send_data(SendData pdu, int position, byte mask) => Holds(pdu, position, mask);

    [Property]
    public bool Any_bytes_decode_or_fail_with_a_reason(byte[] bytes)
    {
        bool Ok<T>() where T : IPdu<T>
        {
            DecodeResult<T> result = Pdu.Decode<T>(bytes);
            return result.IsSuccess || !string.IsNullOrEmpty(result.Error.Reason);
        }

        return Ok<McsConnectInitial>() && Ok<McsConnectResponse>() && Ok<GccConferenceCreateRequest>() && Ok<GccConferenceCreateResponse>()
            && Ok<AttachUserConfirm>() && Ok<ChannelJoinConfirm>() && Ok<SendData>()
            && Ok<ServerConferenceData>() && Ok<ClientConferenceData>();
    }
}
