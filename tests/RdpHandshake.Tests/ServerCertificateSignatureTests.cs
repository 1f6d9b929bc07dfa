using RdpHandshake.Crypto.StandardSecurity;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Security;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Tests;

/// <summary>
/// The signature of a proprietary SERVER_CERTIFICATE (MS-RDPBCGR 5.3.3.1.2) with the engine's Terminal Services
/// key: the 4.1.4 certificate verifies and re-signs to its published bytes. The codec itself is tested in
/// RdpHandshake.Protocol.Tests (Security/ServerCertificateTests).
/// </summary>
public sealed class ServerCertificateSignatureTests
{
    [Fact]
    public void The_certificate_of_MS_RDPBCGR_4_1_4_carries_a_valid_signature()
    {
        ServerCertificate certificate = Pdu.Decode<ServerCertificate>(Load("server-certificate-4.1.4.hex")).Value!;
        Assert.True(TerminalServicesKey.VerifyCertificate(certificate));
    }

    [Fact]
    public void An_x509_chain_has_no_proprietary_signature_to_verify()
    {
        byte[] root = [0x30, 0x03, 0x02, 0x01, 0x01];
        byte[] leaf = [0x30, 0x03, 0x02, 0x01, 0x02];
        byte[] bytes = [0x02, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, .. root, 0x05, 0x00, 0x00, 0x00, .. leaf, .. new byte[16]];
        ServerCertificate chain = Pdu.Decode<ServerCertificate>(bytes).Value!;
        Assert.False(TerminalServicesKey.VerifyCertificate(chain));
    }

    [Fact]
    public void Re_signing_the_4_1_4_certificate_with_the_published_private_key_reproduces_its_signature()
    {
        // Raw RSA has no randomness, so the published private exponent must give back the exact published bytes.
        byte[] bytes = Load("server-certificate-4.1.4.hex");
        ServerCertificate certificate = Pdu.Decode<ServerCertificate>(bytes).Value!;
        ServerCertificate resigned = TerminalServicesKey.SignCertificate(certificate with { Proprietary = certificate.Proprietary! with { Signature = ByteString.Empty } });
        Assert.Equal(bytes, Pdu.Encode(resigned));
    }

    [Fact]
    public void A_changed_bit_in_the_signed_part_or_the_signature_breaks_the_signature()
    {
        byte[] bytes = Load("server-certificate-4.1.4.hex");
        foreach (int position in new[] { 0 + 8, 40, 100, 120, 175 })
        {
            byte[] garbled = (byte[])bytes.Clone();
            garbled[position] ^= 0x01;
            DecodeResult<ServerCertificate> decoded = Pdu.Decode<ServerCertificate>(garbled);
            Assert.True(decoded.IsSuccess, decoded.ToString());
            Assert.False(TerminalServicesKey.VerifyCertificate(decoded.Value), $"flip at {position}");
        }
    }

    [Fact]
    public void The_temporary_bit_is_kept_and_covered_by_the_signature()
    {
        byte[] bytes = Load("server-certificate-4.1.4.hex");
        bytes[3] |= 0x80;
        ServerCertificate certificate = Pdu.Decode<ServerCertificate>(bytes).Value!;
        Assert.True(certificate.IsTemporary);
        Assert.Equal(0x8000_0001u, certificate.DwVersion);
        Assert.Equal(bytes, Pdu.Encode(certificate));
        Assert.False(TerminalServicesKey.VerifyCertificate(certificate));
        Assert.True(TerminalServicesKey.VerifyCertificate(TerminalServicesKey.SignCertificate(certificate)));
    }

    [Fact]
    public void The_terminal_services_key_pair_is_consistent()
    {
        byte[] message = new byte[64];
        new Random(7).NextBytes(message);
        message[63] = 0;
        byte[] signed = RdpRsa.ModPow(message, TerminalServicesKey.PrivateExponent, TerminalServicesKey.Modulus, 64);
        Assert.Equal(message, RdpRsa.ModPow(signed, TerminalServicesKey.PublicExponent, TerminalServicesKey.Modulus, 64));
    }
}
