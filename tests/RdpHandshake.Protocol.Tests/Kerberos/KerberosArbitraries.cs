using FsCheck;
using FsCheck.Fluent;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;

namespace RdpHandshake.Protocol.Tests.Kerberos;

/// <summary>Generators of RFC 4120 / RFC 4121 / MS-KILE values the codecs can carry: every field within its ASN.1 type.</summary>
public static class KerberosArbitraries
{
    private static Gen<bool> Bool => ArbMap.Default.GeneratorFor<bool>();

    private static Gen<int> Int32 => ArbMap.Default.GeneratorFor<int>();

    private static Gen<uint> UInt32 => ArbMap.Default.GeneratorFor<uint>();

    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ByteString> Octets(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Byte, n)).Select(b => new ByteString(b));

    private static Gen<T?> Maybe<T>(Gen<T> gen) where T : class => from present in Bool from value in gen select present ? value : null;

    private static Gen<T?> MaybeValue<T>(Gen<T> gen) where T : struct => from present in Bool from value in gen select present ? value : (T?)null;

    private static Gen<SequenceOf<T>> ListOf<T>(Gen<T> gen, int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ListOf(gen, n)).Select(items => new SequenceOf<T>(items));

    /// <summary>KerberosString content: mostly ASCII, sometimes other characters (encoded as UTF-8), never a surrogate.</summary>
    public static Gen<string> KerberosString =>
        Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(
            Gen.Frequency(
                (8, Gen.Choose(0x20, 0x7E)),
                (1, Gen.Choose(0x80, 0x7FF)),
                (1, Gen.Choose(0x800, 0xD7FF))).Select(c => (char)c), n))
        .Select(chars => new string(chars));

    public static Gen<EncryptionType> EType => Gen.OneOf(
        Gen.Elements(EncryptionType.Aes256CtsHmacSha196, EncryptionType.Aes128CtsHmacSha196, EncryptionType.Aes256CtsHmacSha384192, EncryptionType.Rc4Hmac),
        Int32.Select(i => (EncryptionType)i));

    public static Gen<int> Microseconds => Gen.Choose(0, 999_999);

    public static Gen<KerberosTime> Time =>
        Gen.Choose(0, int.MaxValue).Select(s => new KerberosTime(DateTimeOffset.UnixEpoch.AddSeconds(s)));

    public static Gen<PrincipalName> PrincipalNameGen =>
        from type in Gen.OneOf(Gen.Elements(PrincipalNameType.Principal, PrincipalNameType.SrvInst, PrincipalNameType.Enterprise), Int32.Select(i => (PrincipalNameType)i))
        from names in ListOf(KerberosString, 0, 3)
        select new PrincipalName(type, names);

    public static Gen<EncryptedData> EncryptedDataGen =>
        from etype in EType
        from kvno in MaybeValue(UInt32)
        from cipher in Octets(80)
        select new EncryptedData(etype, kvno, cipher);

    public static Gen<EncryptionKey> EncryptionKeyGen => from t in EType from v in Octets(32) select new EncryptionKey(t, v);

    public static Gen<Checksum> ChecksumGen => from t in Int32 from v in Octets(24) select new Checksum((ChecksumType)t, v);

    public static Gen<HostAddress> HostAddressGen => from t in Int32 from a in Octets(16) select new HostAddress(t, a);

    public static Gen<AuthorizationDataEntry> AuthorizationDataGen => from t in Int32 from d in Octets(40) select new AuthorizationDataEntry(t, d);

    public static Gen<LastReqEntry> LastReqGen => from t in Int32 from v in Time select new LastReqEntry(t, v);

    public static Gen<PaData> PaDataGen =>
        from t in Gen.OneOf(Gen.Elements(PaDataType.EncTimestamp, PaDataType.EtypeInfo2, PaDataType.PacRequest, PaDataType.TgsReq), Int32.Select(i => (PaDataType)i))
        from v in Octets(40)
        select new PaData(t, v);

    public static Gen<SequenceOf<PaData>?> PaDataList => from present in Bool from list in ListOf(PaDataGen, 0, 3) select present ? list : (SequenceOf<PaData>?)null;

    public static Gen<EtypeInfo2Entry> EtypeInfo2EntryGen =>
        from etype in EType
        from salt in Maybe(KerberosString)
        from parameters in MaybeValue(Octets(8))
        select new EtypeInfo2Entry(etype, salt, parameters);

    public static Gen<Ticket> TicketGen =>
        from realm in KerberosString
        from sname in PrincipalNameGen
        from encPart in EncryptedDataGen
        select new Ticket(realm, sname, encPart);

    public static Gen<KdcReqBody> KdcReqBodyGen =>
        from options in UInt32
        from cname in Maybe(PrincipalNameGen)
        from realm in KerberosString
        from sname in Maybe(PrincipalNameGen)
        from start in MaybeValue(Time)
        from till in Time
        from rtime in MaybeValue(Time)
        from nonce in UInt32
        from etypes in ListOf(EType, 0, 6)
        from addresses in MaybeValue(ListOf(HostAddressGen, 0, 2))
        from authorization in Maybe(EncryptedDataGen)
        from tickets in MaybeValue(ListOf(TicketGen, 0, 2))
        select new KdcReqBody((KdcOptions)options, cname, realm, sname, start, till, rtime, nonce, etypes, addresses, authorization, tickets);

    public static Gen<ApReq> ApReqGen =>
        from options in UInt32
        from ticket in TicketGen
        from authenticator in EncryptedDataGen
        select new ApReq((ApOptions)options, ticket, authenticator);

    public static Gen<KrbError> KrbErrorGen =>
        from ctime in MaybeValue(Time)
        from cusec in MaybeValue(Microseconds)
        from stime in Time
        from susec in Microseconds
        from code in Gen.OneOf(Gen.Elements(Enum.GetValues<KerberosErrorCode>()), Int32.Select(i => (KerberosErrorCode)i))
        from crealm in Maybe(KerberosString)
        from cname in Maybe(PrincipalNameGen)
        from realm in KerberosString
        from sname in PrincipalNameGen
        from etext in Maybe(KerberosString)
        from edata in MaybeValue(Octets(60))
        select new KrbError(ctime, cusec, stime, susec, code, crealm, cname, realm, sname, etext, edata);

    public static Arbitrary<KerberosTime> KerberosTimes() => Time.ToArbitrary();

    public static Arbitrary<PrincipalName> PrincipalNames() => PrincipalNameGen.ToArbitrary();

    public static Arbitrary<EncryptedData> EncryptedDatas() => EncryptedDataGen.ToArbitrary();

    public static Arbitrary<EncryptionKey> EncryptionKeys() => EncryptionKeyGen.ToArbitrary();

    public static Arbitrary<Checksum> Checksums() => ChecksumGen.ToArbitrary();

    public static Arbitrary<HostAddress> HostAddresses() => HostAddressGen.ToArbitrary();

    public static Arbitrary<AuthorizationDataEntry> AuthorizationData() => AuthorizationDataGen.ToArbitrary();

    public static Arbitrary<LastReqEntry> LastReqs() => LastReqGen.ToArbitrary();

    public static Arbitrary<PaData> PaDatas() => PaDataGen.ToArbitrary();

    public static Arbitrary<MethodData> MethodDatas() => ListOf(PaDataGen, 0, 4).Select(l => new MethodData(l)).ToArbitrary();

    public static Arbitrary<PaEncTsEnc> PaEncTsEncs() =>
        (from t in Time from usec in MaybeValue(Microseconds) select new PaEncTsEnc(t, usec)).ToArbitrary();

    public static Arbitrary<EtypeInfo2Entry> EtypeInfo2Entries() => EtypeInfo2EntryGen.ToArbitrary();

    public static Arbitrary<EtypeInfo2> EtypeInfo2s() => ListOf(EtypeInfo2EntryGen, 1, 4).Select(l => new EtypeInfo2(l)).ToArbitrary();

    public static Arbitrary<PaPacRequest> PaPacRequests() => Bool.Select(b => new PaPacRequest(b)).ToArbitrary();

    public static Arbitrary<Ticket> Tickets() => TicketGen.ToArbitrary();

    public static Arbitrary<KdcReqBody> KdcReqBodies() => KdcReqBodyGen.ToArbitrary();

    public static Arbitrary<KdcReq> KdcReqs() =>
        (from type in Gen.Elements(KerberosMessageType.AsReq, KerberosMessageType.TgsReq)
         from paData in PaDataList
         from body in KdcReqBodyGen
         select new KdcReq(type, paData, body)).ToArbitrary();

    public static Arbitrary<KdcRep> KdcReps() =>
        (from type in Gen.Elements(KerberosMessageType.AsRep, KerberosMessageType.TgsRep)
         from paData in PaDataList
         from crealm in KerberosString
         from cname in PrincipalNameGen
         from ticket in TicketGen
         from encPart in EncryptedDataGen
         select new KdcRep(type, paData, crealm, cname, ticket, encPart)).ToArbitrary();

    public static Arbitrary<EncKdcRepPart> EncKdcRepParts() =>
        (from tag in Gen.Elements(EncKdcRepPartTag.EncAsRepPart, EncKdcRepPartTag.EncTgsRepPart)
         from key in EncryptionKeyGen
         from lastReq in ListOf(LastReqGen, 0, 2)
         from nonce in UInt32
         from keyExpiration in MaybeValue(Time)
         from flags in UInt32
         from times in Gen.Four(Time)
         from optionalTimes in Gen.Two(Bool)
         from srealm in KerberosString
         from sname in PrincipalNameGen
         from caddr in MaybeValue(ListOf(HostAddressGen, 0, 2))
         from paData in PaDataList
         select new EncKdcRepPart(tag, key, lastReq, nonce, keyExpiration, (TicketFlags)flags, times.Item1,
             optionalTimes.Item1 ? times.Item2 : null, times.Item3, optionalTimes.Item2 ? times.Item4 : null, srealm, sname, caddr, paData)).ToArbitrary();

    public static Arbitrary<ApReq> ApReqs() => ApReqGen.ToArbitrary();

    public static Arbitrary<ApRep> ApReps() => EncryptedDataGen.Select(e => new ApRep(e)).ToArbitrary();

    public static Arbitrary<Authenticator> Authenticators() =>
        (from crealm in KerberosString
         from cname in PrincipalNameGen
         from cksum in Maybe(ChecksumGen)
         from cusec in Microseconds
         from ctime in Time
         from subkey in Maybe(EncryptionKeyGen)
         from seq in MaybeValue(UInt32)
         from authorization in MaybeValue(ListOf(AuthorizationDataGen, 0, 2))
         select new Authenticator(crealm, cname, cksum, cusec, ctime, subkey, seq, authorization)).ToArbitrary();

    public static Arbitrary<EncApRepPart> EncApRepParts() =>
        (from ctime in Time
         from cusec in Microseconds
         from subkey in Maybe(EncryptionKeyGen)
         from seq in MaybeValue(UInt32)
         select new EncApRepPart(ctime, cusec, subkey, seq)).ToArbitrary();

    public static Arbitrary<KrbError> KrbErrors() => KrbErrorGen.ToArbitrary();

    public static Arbitrary<KerbErrorData> KerbErrorDatas() =>
        (from type in Int32 from value in MaybeValue(Octets(16)) select new KerbErrorData(type, value)).ToArbitrary();

    public static Arbitrary<KerbExtError> KerbExtErrors() =>
        (from status in UInt32 from reserved in UInt32 from flags in UInt32 select new KerbExtError(status, reserved, flags)).ToArbitrary();

    /// <summary>Checksums whose Exts are empty or not, and whose Deleg is present exactly when GSS_C_DELEG_FLAG is set.</summary>
    public static Gen<GssChecksum> GssChecksumGen(bool withExtensions) =>
        from bnd in Gen.ArrayOf(Byte, GssChecksum.BindingLength)
        from flags in UInt32
        from deleg in Octets(60)
        from exts in withExtensions ? Octets(20) : Gen.Constant(ByteString.Empty)
        let delegating = (flags & (uint)GssContextFlags.GSS_C_DELEG_FLAG) != 0
        select new GssChecksum(new ByteString(bnd), (GssContextFlags)flags, delegating ? deleg : null, exts);

    public static Arbitrary<GssChecksum> GssChecksums() => GssChecksumGen(withExtensions: true).ToArbitrary();

    public static Arbitrary<KerberosGssToken> GssTokens() =>
        (from mech in Gen.Elements(KerberosMechanism.KerberosV5Oid, KerberosMechanism.MicrosoftKerberosV5Oid)
         from kind in Gen.Choose(0, 2)
         from apReq in ApReqGen
         from apRep in EncryptedDataGen
         from error in KrbErrorGen
         select kind switch
         {
             0 => KerberosGssToken.ForApReq(apReq, mech),
             1 => KerberosGssToken.ForApRep(new ApRep(apRep), mech),
             _ => KerberosGssToken.ForKrbError(error, mech),
         }).ToArbitrary();

    public static Arbitrary<KdcTcpFrame> KdcTcpFrames() =>
        Gen.Choose(1, 300).SelectMany(n => Gen.ArrayOf(Byte, n)).Select(b => new KdcTcpFrame(new ByteString(b))).ToArbitrary();
}
