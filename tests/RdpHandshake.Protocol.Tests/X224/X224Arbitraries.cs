using FsCheck;
using FsCheck.Fluent;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Tests.X224;

/// <summary>Generators of spec-valid X.224 PDUs (and of the raw bytes fed to decoders).</summary>
public static class X224Arbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ushort> UInt16 => Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    private static Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Byte, n));

    /// <summary>Latin-1 text without CR or LF (the terminator of cookies and tokens).</summary>
    private static Gen<string> TokenText(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0x20, 0xFF).Select(c => (char)c), n)).Select(chars => new string(chars));

    public static Gen<RdpNegotiationRequest> NegotiationRequestGen(bool withCorrelationFlag) =>
        from protocols in UInt32
        from flags in Byte
        select new RdpNegotiationRequest(
            (SecurityProtocols)protocols,
            withCorrelationFlag
                ? (NegotiationRequestFlags)(flags | (byte)NegotiationRequestFlags.CorrelationInfoPresent)
                : (NegotiationRequestFlags)(flags & ~(byte)NegotiationRequestFlags.CorrelationInfoPresent));

    public static Gen<RdpCorrelationInfo> CorrelationGen =>
        Gen.ArrayOf(Byte, 16).Select(b => new RdpCorrelationInfo(new Guid(b)));

    public static Arbitrary<X224ConnectionRequest> ConnectionRequests() =>
        (from variant in Gen.Choose(0, 3)
         from cookieText in TokenText(40)
         from tokenText in TokenText(40).Where(t => !t.StartsWith(X224ConnectionRequest.CookiePrefix, StringComparison.Ordinal))
         from hasNeg in ArbMap.Default.GeneratorFor<bool>()
         from hasCorrelation in ArbMap.Default.GeneratorFor<bool>()
         from neg in NegotiationRequestGen(hasCorrelation)
         from correlation in CorrelationGen
         from refs in Gen.Two(UInt16)
         from classOptions in Byte
         let cookie = variant is 1 or 3 ? cookieText : null
         let token = variant is 2 or 3 ? tokenText : null
         select new X224ConnectionRequest(
             cookie,
             token,
             hasNeg ? neg : null,
             hasNeg && hasCorrelation ? correlation : null,
             refs.Item1,
             refs.Item2,
             classOptions))
        .Where(r => r.NegotiationRequest is not null || r.Cookie is not null || r.RoutingToken is not null)
        .ToArbitrary();

    public static Arbitrary<X224ConnectionConfirm> ConnectionConfirms() =>
        (from variant in Gen.Choose(0, 2)
         from protocol in UInt32
         from flags in Byte
         from code in UInt32
         from failureFlags in Byte
         from refs in Gen.Two(UInt16)
         from classOptions in Byte
         select new X224ConnectionConfirm(
             variant == 1 ? new RdpNegotiationResponse((SecurityProtocols)protocol, (NegotiationResponseFlags)flags) : null,
             variant == 2 ? new RdpNegotiationFailure((NegotiationFailureCode)code, failureFlags) : null,
             refs.Item1,
             refs.Item2,
             classOptions))
        .ToArbitrary();

    public static Arbitrary<X224DisconnectRequest> DisconnectRequests() =>
        (from reason in Byte
         from variable in Bytes(60)
         from refs in Gen.Two(UInt16)
         select new X224DisconnectRequest(reason, new ByteString(variable), refs.Item1, refs.Item2))
        .ToArbitrary();

    public static Arbitrary<X224Data> DataPdus() =>
        Bytes(600).Select(b => new X224Data(new ByteString(b))).ToArbitrary();

    public static Arbitrary<TpktHeader> TpktHeaders() =>
        (from length in Gen.Choose(TpktHeader.MinPacketLength, TpktHeader.MaxPacketLength)
         from reserved in Byte
         select new TpktHeader((ushort)length, TpktHeader.Version3, reserved))
        .ToArbitrary();
}
