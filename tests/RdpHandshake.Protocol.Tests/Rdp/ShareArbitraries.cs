using FsCheck;
using FsCheck.Fluent;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;

namespace RdpHandshake.Protocol.Tests.Rdp;

/// <summary>Generators of spec-valid share-layer PDUs.</summary>
public static class ShareArbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ushort> UInt16 => Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    private static Gen<ByteString> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Byte, n)).Select(b => new ByteString(b));

    private static Gen<string> Name(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Elements("abcXYZ019-_é.".ToCharArray()), n)).Select(c => new string(c));

    private static readonly PduType2[] UntypedTypes =
    [
        PduType2.Update, PduType2.Pointer, PduType2.Input, PduType2.RefreshRect, PduType2.PlaySound, PduType2.SuppressOutput,
        PduType2.SetKeyboardIndicators, PduType2.BitmapCachePersistentList, PduType2.ArcStatusPdu, PduType2.FrameAcknowledge, (PduType2)0x99,
    ];

    public static Gen<ShareDataBody> SimpleBodies =>
        Gen.OneOf(
            UInt16.Select(t => (ShareDataBody)new SynchronizePdu(t)),
            from a in Gen.Choose(1, 4) from g in UInt16 from c in UInt32 select (ShareDataBody)new ControlPdu((ControlAction)a, g, c),
            from a in UInt16 from b in UInt16 from f in UInt16 from e in UInt16 select (ShareDataBody)new FontListPdu(a, b, f, e),
            from a in UInt16 from b in UInt16 from f in UInt16 from e in UInt16 select (ShareDataBody)new FontMapPdu(a, b, f, e),
            UInt32.Select(e => (ShareDataBody)new SetErrorInfoPdu(e)),
            UInt32.Select(e => (ShareDataBody)new StatusInfoPdu(e)),
            Gen.Constant((ShareDataBody)new ShutdownRequestPdu()),
            Gen.Constant((ShareDataBody)new ShutdownDeniedPdu()),
            Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(
                from l in ArbMap.Default.GeneratorFor<int>() from t in ArbMap.Default.GeneratorFor<int>()
                from r in ArbMap.Default.GeneratorFor<int>() from b in ArbMap.Default.GeneratorFor<int>() from f in UInt32
                select new MonitorDef(l, t, r, b, f), n)).Select(m => (ShareDataBody)new MonitorLayoutPdu(m)),
            from t in Gen.Elements(UntypedTypes) from b in Bytes(40) select (ShareDataBody)new RawDataBody(t, b));

    public static Gen<SessionInfoData> SessionInfos =>
        Gen.OneOf(
            from d in Name(25) from u in Name(100) from s in UInt32 select (SessionInfoData)new LogonInfoV1(d, u, s),
            from d in Name(40) from u in Name(100) from s in UInt32 from v in UInt16 select (SessionInfoData)new LogonInfoV2(d, u, s, v),
            Gen.Constant((SessionInfoData)new PlainNotify()),
            from hasArc in ArbMap.Default.GeneratorFor<bool>() from hasErr in ArbMap.Default.GeneratorFor<bool>()
            from id in UInt32 from random in Gen.ArrayOf(Byte, 16) from v in UInt32 from t in UInt32 from d in UInt32
            select (SessionInfoData)new LogonInfoExtended(hasArc ? new ServerAutoReconnect(id, new ByteString(random), v) : null,
                hasErr ? new LogonErrorsInfo(t, d) : null));

    public static Gen<ShareDataPdu> DataPdus(Gen<ShareDataBody> bodies) =>
        from source in UInt16
        from share in UInt32
        from body in bodies
        from stream in Byte
        from uncompressed in UInt16
        from compressedType in Byte
        from compressedLength in UInt16
        from pad in Byte
        select new ShareDataPdu(source, share, body, (StreamId)stream, uncompressed,
            (byte)(compressedType & ~ShareDataHeader.PacketCompressed), compressedLength, pad);

    public static Gen<ValueList<CapabilitySet>> CapabilitySets =>
        Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(
            from type in UInt16 from body in Bytes(30) select new CapabilitySet((CapabilitySetType)type, body), n))
        .Select(a => new ValueList<CapabilitySet>(a));

    public static Arbitrary<ShareDataPdu> ShareDataPdus() =>
        DataPdus(Gen.OneOf(SimpleBodies, SessionInfos.Select(s => (ShareDataBody)new SaveSessionInfoPdu(s)))).ToArbitrary();

    public static Arbitrary<DemandActivePdu> DemandActivePdus() =>
        (from source in UInt16
         from share in UInt32
         from descriptor in Bytes(10)
         from sets in CapabilitySets
         from hasSession in ArbMap.Default.GeneratorFor<bool>()
         from session in UInt32
         from pad in UInt16
         select new DemandActivePdu(source, share, descriptor, sets, hasSession ? session : null, pad))
        .ToArbitrary();

    public static Arbitrary<ConfirmActivePdu> ConfirmActivePdus() =>
        (from source in UInt16
         from share in UInt32
         from descriptor in Bytes(10)
         from sets in CapabilitySets
         from originator in UInt16
         from pad in UInt16
         select new ConfirmActivePdu(source, share, descriptor, sets, originator, pad))
        .ToArbitrary();

    public static Arbitrary<DeactivateAllPdu> DeactivateAllPdus() =>
        (from form in Gen.Choose(0, 2)
         from source in UInt16
         from share in UInt32
         from descriptor in Bytes(10)
         select form switch
         {
             0 => new DeactivateAllPdu(null, null, ByteString.Empty),
             1 => new DeactivateAllPdu(source, null, ByteString.Empty),
             _ => new DeactivateAllPdu(source, share, descriptor),
         })
        .ToArbitrary();

    public static Arbitrary<CapabilitySet> CapabilitySetArb() =>
        (from type in UInt16 from body in Bytes(60) select new CapabilitySet((CapabilitySetType)type, body)).ToArbitrary();
}
