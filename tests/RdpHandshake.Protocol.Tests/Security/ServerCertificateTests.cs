using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Tests;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Security;

/// <summary>
/// MS-RDPBCGR 2.2.1.4.3.1 SERVER_CERTIFICATE (with 2.2.1.4.3.1.1 PROPRIETARYSERVERCERTIFICATE and
/// 2.2.1.4.3.1.1.1 RSA_PUBLIC_KEY), the 2.2.8.1.1.2 security headers and the 2.2.1.10.1 TS_SECURITY_PACKET:
/// the 4.1.4 vector, hostile inputs, and round-trip properties. Its signature is checked with the engine's
/// Terminal Services key, in RdpHandshake.Tests.
/// </summary>
[Properties(Arbitrary = [typeof(StandardSecurityArbitraries)], MaxTest = 200)]
public sealed class ServerCertificateTests
{
    /// <summary>MS-RDPBCGR 4.1.4 serverRandom.</summary>
    public static readonly byte[] ServerRandom41 = Hex(
        "10 11 77 20 30 61 0a 12 e4 34 a1 1e f2 c3 9f 31 7d a4 5f 01 89 34 96 e0 ff 11 08 69 7f 1a c3 d2");

    [Fact]
    public void The_certificate_of_MS_RDPBCGR_4_1_4_decodes_and_re_encodes()
    {
        byte[] bytes = Load("server-certificate-4.1.4.hex");
        Assert.Equal(184, bytes.Length);
        DecodeResult<ServerCertificate> decoded = Pdu.Decode<ServerCertificate>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        ServerCertificate certificate = decoded.Value;
        Assert.Equal(CertChainVersion.Proprietary, certificate.Version);
        Assert.False(certificate.IsTemporary);
        ProprietaryCertificate proprietary = certificate.Proprietary!;
        Assert.Equal(ProprietaryCertificate.SignatureAlgRsa, proprietary.SignatureAlgorithmId);
        Assert.Equal(ProprietaryCertificate.KeyExchangeAlgRsa, proprietary.KeyAlgorithmId);
        Assert.Equal(0x10001u, proprietary.PublicKey.PublicExponent);
        Assert.Equal(512, proprietary.PublicKey.BitLength);
        Assert.Equal(0x48, proprietary.PublicKey.KeyLength);
        Assert.Equal(0x3f, proprietary.PublicKey.DataLength);
        Assert.Equal(0xcb, proprietary.PublicKey.Modulus.Span[0]);
        Assert.Equal(72, proprietary.Signature.Length);

        Assert.Equal(bytes, Pdu.Encode(certificate));
        Assert.Equal(bytes.Length, certificate.Size);
        Assert.Equal(bytes[..(4 + 12 + 92)], certificate.GetSignedBytes());
    }

    [Fact]
    public void An_x509_chain_keeps_its_der_blobs_and_names_the_last_one_the_leaf()
    {
        byte[] root = [0x30, 0x03, 0x02, 0x01, 0x01];
        byte[] leaf = [0x30, 0x03, 0x02, 0x01, 0x02];
        byte[] bytes = [0x02, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, .. root, 0x05, 0x00, 0x00, 0x00, .. leaf, .. new byte[16]];
        DecodeResult<ServerCertificate> decoded = Pdu.Decode<ServerCertificate>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.Equal(CertChainVersion.X509, decoded.Value.Version);
        Assert.True(decoded.Value.IsTemporary);
        Assert.Equal(new ByteString(leaf), decoded.Value.X509Chain!.Leaf);
        Assert.Null(decoded.Value.X509Chain.Padding);
        Assert.Equal(bytes, Pdu.Encode(decoded.Value));
        Assert.Empty(decoded.Value.GetSignedBytes());
    }

    public static TheoryData<string, string, DecodeErrorKind> HostileCertificates => new()
    {
        { "unknown version", "03000000", DecodeErrorKind.UnsupportedVersion },
        { "truncated dwVersion", "010000", DecodeErrorKind.NotEnoughBytes },
        { "truncated header", "01000000 01000000 01000000 0600", DecodeErrorKind.NotEnoughBytes },
        { "wrong key blob type", "01000000 01000000 01000000 0700 5c00", DecodeErrorKind.InvalidField },
        { "key blob longer than the input", "01000000 01000000 01000000 0600 ff00 52534131", DecodeErrorKind.NotEnoughBytes },
        { "huge keylen", "01000000 01000000 01000000 0600 1400 52534131 ffffffff 00020000 3f000000 01000100", DecodeErrorKind.InvalidField },
        { "huge bitlen", "01000000 01000000 01000000 0600 1400 52534131 48000000 00000100 3f000000 01000100", DecodeErrorKind.LengthLimitExceeded },
        { "bitlen not a byte multiple", "01000000 01000000 01000000 0600 1400 52534131 48000000 01020000 3f000000 01000100", DecodeErrorKind.InvalidField },
        { "bitlen and keylen disagree", "01000000 01000000 01000000 0600 1400 52534131 48000000 00040000 7f000000 01000100", DecodeErrorKind.InvalidField },
        { "datalen disagrees", "01000000 01000000 01000000 0600 1400 52534131 48000000 00020000 40000000 01000100", DecodeErrorKind.InvalidField },
        { "bad magic", "01000000 01000000 01000000 0600 1400 52534132 48000000 00020000 3f000000 01000100", DecodeErrorKind.InvalidField },
        { "no certificates", "02000000 00000000", DecodeErrorKind.InvalidField },
        { "NumCertBlobs huge", "02000000 ffffffff", DecodeErrorKind.LengthLimitExceeded },
        { "NumCertBlobs above 200", "02000000 c9000000", DecodeErrorKind.LengthLimitExceeded },
        { "cbCert huge", "02000000 02000000 ffffff7f", DecodeErrorKind.LengthLimitExceeded },
        { "cbCert beyond the input", "02000000 02000000 10000000 3003020101", DecodeErrorKind.NotEnoughBytes },
        { "second certificate missing", "02000000 02000000 05000000 3003020101", DecodeErrorKind.NotEnoughBytes },
        { "empty certificate", "02000000 01000000 00000000", DecodeErrorKind.InvalidField },
    };

    [Theory]
    [MemberData(nameof(HostileCertificates))]
    public void Hostile_certificates_are_rejected_with_a_reason(string name, string hex, DecodeErrorKind kind)
    {
        DecodeResult<ServerCertificate> decoded = Pdu.Decode<ServerCertificate>(Hex(hex));
        Assert.False(decoded.IsSuccess, name);
        Assert.Equal(kind, decoded.Error.Kind);
        Assert.False(string.IsNullOrEmpty(decoded.Error.Reason));
    }

    [Fact]
    public void Every_strict_prefix_of_the_4_1_4_certificate_is_rejected()
    {
        byte[] bytes = Load("server-certificate-4.1.4.hex");
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.False(Pdu.Decode<ServerCertificate>(bytes.AsSpan(0, length)).IsSuccess, $"prefix of {length}");
        }
    }

    [Fact]
    public void Security_headers_decode_as_the_spec_prints_them()
    {
        // MS-RDPBCGR 4.1.11: flags 0x0288 = SEC_ENCRYPT | SEC_LICENSE_PKT | SEC_LICENSE_ENCRYPT_CS, flagsHi 0x0302.
        byte[] header = Hex("88 02 02 03 8d 43 9a ab d5 2a 31 39");
        DecodeResult<NonFipsSecurityHeader> decoded = Pdu.Decode<NonFipsSecurityHeader>(header);
        Assert.True(decoded.IsSuccess);
        Assert.Equal(SecurityHeaderFlags.Encrypt | SecurityHeaderFlags.LicensePkt | SecurityHeaderFlags.LicenseEncryptCs, decoded.Value.Flags);
        Assert.Equal(0x0302, decoded.Value.FlagsHi);
        Assert.Equal(header, Pdu.Encode(decoded.Value));
        Assert.Equal(SecurityHeaderFlags.LicenseEncryptCs, SecurityHeaderFlags.LicenseEncryptSc);

        byte[] fips = Hex("08 00 00 00 10 00 01 03 01 02 03 04 05 06 07 08");
        DecodeResult<FipsSecurityHeader> fipsHeader = Pdu.Decode<FipsSecurityHeader>(fips);
        Assert.True(fipsHeader.IsSuccess);
        Assert.Equal(3, fipsHeader.Value.PadLength);
        Assert.Equal(fips, Pdu.Encode(fipsHeader.Value));
        Assert.Equal(DecodeErrorKind.InvalidField, Pdu.Decode<FipsSecurityHeader>(Hex("08 00 00 00 11 00 01 03 01 02 03 04 05 06 07 08")).Error.Kind);
        Assert.Equal(DecodeErrorKind.UnsupportedVersion, Pdu.Decode<FipsSecurityHeader>(Hex("08 00 00 00 10 00 02 03 01 02 03 04 05 06 07 08")).Error.Kind);
        Assert.Equal(DecodeErrorKind.InvalidField, Pdu.Decode<FipsSecurityHeader>(Hex("08 00 00 00 10 00 01 08 01 02 03 04 05 06 07 08")).Error.Kind);
    }

    [Fact]
    public void Security_exchange_pdu_rejects_other_packets_and_hostile_lengths()
    {
        Assert.Equal(DecodeErrorKind.UnexpectedMessageType, Pdu.Decode<SecurityExchangePdu>(Hex("08 00 00 00 01 00 00 00 00")).Error.Kind);
        Assert.Equal(DecodeErrorKind.LengthLimitExceeded, Pdu.Decode<SecurityExchangePdu>(Hex("01 00 00 00 ff ff ff ff")).Error.Kind);
        Assert.Equal(DecodeErrorKind.NotEnoughBytes, Pdu.Decode<SecurityExchangePdu>(Hex("01 00 00 00 48 00 00 00 01 02")).Error.Kind);
        Assert.Equal(DecodeErrorKind.InvalidField, Pdu.Decode<SecurityExchangePdu>(Hex("01 00 00 00 00 00 00 00")).Error.Kind);
        var pdu = new SecurityExchangePdu(new ByteString([1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0]), SecurityHeaderFlags.ExchangePkt | SecurityHeaderFlags.LicenseEncryptSc);
        Assert.Equal(Hex("01 02 00 00 0b 00 00 00 01 02 03 00 00 00 00 00 00 00 00"), Pdu.Encode(pdu));
    }

    [Fact]
    public void Encryption_names_and_weakness()
    {
        Assert.Equal("ENCRYPTION_METHOD_128BIT", EncryptionNames.Method(EncryptionMethod.Bit128));
        Assert.Equal("ENCRYPTION_METHOD_NONE", EncryptionNames.Method(EncryptionMethod.None));
        Assert.Equal("ENCRYPTION_METHOD_40BIT|ENCRYPTION_METHOD_128BIT|ENCRYPTION_METHOD_56BIT|ENCRYPTION_METHOD_FIPS", EncryptionNames.Method((EncryptionMethod)0x1B));
        Assert.Equal("ENCRYPTION_METHOD_FIPS|0x00000100", EncryptionNames.Method((EncryptionMethod)0x110));
        Assert.Equal("ENCRYPTION_LEVEL_CLIENT_COMPATIBLE", EncryptionNames.Level(EncryptionLevel.ClientCompatible));
        Assert.Equal("0x00000009", EncryptionNames.Level((EncryptionLevel)9));
        Assert.True(EncryptionNames.IsWeak(EncryptionMethod.Bit40));
        Assert.True(EncryptionNames.IsWeak(EncryptionMethod.Bit56));
        Assert.True(EncryptionNames.IsWeak(EncryptionMethod.None));
        Assert.False(EncryptionNames.IsWeak(EncryptionMethod.Bit128));
        Assert.False(EncryptionNames.IsWeak(EncryptionMethod.Fips));
        Assert.True(EncryptionNames.IsWeak(EncryptionLevel.Low));
        Assert.False(EncryptionNames.IsWeak(EncryptionLevel.High));
    }

    [Property]
    public bool Server_certificate_round_trips(ServerCertificate certificate) => CodecAssert.RoundTrips(certificate);

    [Property]
    public bool Security_exchange_pdu_round_trips(SecurityExchangePdu pdu) => CodecAssert.RoundTrips(pdu);

    [Property]
    public bool Security_headers_round_trip(ushort flags, ushort flagsHi, byte padLength, ulong signature)
    {
        var sig = new ByteString(BitConverter.GetBytes(signature));
        return CodecAssert.RoundTrips(new BasicSecurityHeader((SecurityHeaderFlags)flags, flagsHi))
            && CodecAssert.RoundTrips(new NonFipsSecurityHeader((SecurityHeaderFlags)flags, flagsHi, sig))
            && CodecAssert.RoundTrips(new FipsSecurityHeader((SecurityHeaderFlags)flags, flagsHi, (byte)(padLength % 8), sig));
    }

    [Property]
    public bool Truncated_proprietary_certificate_or_exchange_pdu_is_rejected(ServerCertificate certificate, SecurityExchangePdu exchange)
    {
        // An X.509 chain ends in open-ended padding, so only the proprietary variant has no valid strict prefix.
        bool ok = true;
        if (certificate.Proprietary is not null)
        {
            byte[] bytes = Pdu.Encode(certificate);
            for (int length = 0; length < bytes.Length; length++)
            {
                ok &= !Pdu.Decode<ServerCertificate>(bytes.AsSpan(0, length)).IsSuccess;
            }
        }

        byte[] exchangeBytes = Pdu.Encode(exchange);
        for (int length = 0; length < exchangeBytes.Length; length++)
        {
            ok &= !Pdu.Decode<SecurityExchangePdu>(exchangeBytes.AsSpan(0, length)).IsSuccess;
        }

        return ok;
    }

    [Property]
    public bool Garbled_certificate_is_rejected_or_exact(ServerCertificate certificate, int position, byte mask)
    {
        byte[] bytes = Pdu.Encode(certificate);
        bytes[Math.Abs(position % bytes.Length)] ^= mask == 0 ? (byte)0x5A : mask;
        DecodeResult<ServerCertificate> result = Pdu.Decode<ServerCertificate>(bytes);
        return result.IsSuccess
            ? Pdu.Encode(result.Value!).AsSpan().SequenceEqual(bytes)
            : !string.IsNullOrEmpty(result.Error.Reason);
    }

    [Property(MaxTest = 2000)]
    public bool Arbitrary_bytes_never_throw(byte[] bytes)
    {
        _ = Pdu.Decode<ServerCertificate>(bytes);
        _ = Pdu.Decode<RsaPublicKey>(bytes);
        _ = Pdu.Decode<SecurityExchangePdu>(bytes);
        _ = Pdu.Decode<BasicSecurityHeader>(bytes);
        _ = Pdu.Decode<NonFipsSecurityHeader>(bytes);
        _ = Pdu.Decode<FipsSecurityHeader>(bytes);
        // Behind a valid dwVersion random bytes reach the variant decoders.
        DecodeResult<ServerCertificate> proprietary = Pdu.Decode<ServerCertificate>([0x01, 0x00, 0x00, 0x00, .. bytes]);
        DecodeResult<ServerCertificate> chain = Pdu.Decode<ServerCertificate>([0x02, 0x00, 0x00, 0x00, .. bytes]);
        return (proprietary.IsSuccess || proprietary.Error.Reason.Length > 0) && (chain.IsSuccess || chain.Error.Reason.Length > 0);
    }
}

/// <summary>Generators of spec-valid Standard RDP Security structures.</summary>
public static class StandardSecurityArbitraries
{
    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ByteString> Bytes(int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Byte, n)).Select(b => new ByteString(b));

    private static Gen<RsaPublicKey> RsaKeys =>
        from modulusBytes in Gen.Elements(8, 16, 64, 128, 256)
        from modulus in Gen.ArrayOf(Byte, modulusBytes)
        from exponent in ArbMap.Default.GeneratorFor<uint>()
        from zeroPadding in ArbMap.Default.GeneratorFor<bool>()
        from padding in Gen.ArrayOf(Byte, 8).Where(p => p.Any(b => b != 0))
        select new RsaPublicKey(exponent, new ByteString(modulus), zeroPadding ? ByteString.Empty : new ByteString(padding));

    public static Arbitrary<ServerCertificate> ServerCertificates() =>
        (from proprietary in ArbMap.Default.GeneratorFor<bool>()
         from temporary in ArbMap.Default.GeneratorFor<bool>()
         from key in RsaKeys
         from signature in Bytes(0, 80)
         from algs in Gen.Two(ArbMap.Default.GeneratorFor<uint>())
         from count in Gen.Choose(1, 4)
         from certificates in Gen.ListOf(Bytes(1, 40), count)
         from defaultPadding in ArbMap.Default.GeneratorFor<bool>()
         from padding in Bytes(0, 24)
         select proprietary
             ? new ServerCertificate(new ProprietaryCertificate(key, signature, algs.Item1, algs.Item2), null, temporary)
             : new ServerCertificate(null, new X509CertificateChain(certificates.ToList(), defaultPadding ? null : padding), temporary))
        .Where(c => c.X509Chain?.Padding is not { } p || !(p.Length == 8 + 4 * c.X509Chain.Certificates.Count && !p.Span.ContainsAnyExcept((byte)0)))
        .ToArbitrary();

    public static Arbitrary<SecurityExchangePdu> SecurityExchangePdus() =>
        (from random in Bytes(1, 264)
         from flags in Gen.Choose(0, ushort.MaxValue)
         from flagsHi in Gen.Choose(0, ushort.MaxValue)
         select new SecurityExchangePdu(random, (SecurityHeaderFlags)(flags | 1), (ushort)flagsHi))
        .ToArbitrary();
}
