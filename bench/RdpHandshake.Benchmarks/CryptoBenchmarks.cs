using BenchmarkDotNet.Attributes;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using RdpHandshake.CredSsp;
using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Crypto.StandardSecurity;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.TestServer;
using RdpHandshake.Tls;

namespace RdpHandshake.Benchmarks;

/// <summary>NTLM (MS-NLMP 2.2.1, 3.3.2) and the CredSSP TSRequest (MS-CSSP 2.2.1) that carries it.</summary>
[MemoryDiagnoser]
public class NtlmBenchmarks
{
    private static readonly byte[] ClientChallenge = [1, 2, 3, 4, 5, 6, 7, 8];
    private static readonly byte[] SessionKey = [.. Enumerable.Range(0x40, 16).Select(i => (byte)i)];
    private readonly NtlmPackage _client = new(null, "TERMSRV/rdphs-test");
    private readonly Credentials _credentials = new("alice", string.Empty, new Secret("Test-Password-1"));
    private byte[] _negotiate = [];
    private byte[] _challengeBytes = [];
    private NtlmChallengeMessage _challenge = null!;
    private byte[] _tsRequest = [];
    private TsRequest _request = null!;
    private byte[] _ntOwfV2 = [];
    private byte[] _blob = [];

    [GlobalSetup]
    public void Setup()
    {
        _negotiate = Pdu.Encode(_client.Negotiate);
        _challenge = new NtlmChallengeMessage(
            NtlmNegotiateFlags.Unicode | NtlmNegotiateFlags.RequestTarget | NtlmNegotiateFlags.Sign | NtlmNegotiateFlags.Seal | NtlmNegotiateFlags.Ntlm
                | NtlmNegotiateFlags.AlwaysSign | NtlmNegotiateFlags.TargetTypeDomain | NtlmNegotiateFlags.ExtendedSessionSecurity | NtlmNegotiateFlags.TargetInfo
                | NtlmNegotiateFlags.Version | NtlmNegotiateFlags.Negotiate128 | NtlmNegotiateFlags.KeyExchange | NtlmNegotiateFlags.Negotiate56,
            new ByteString([9, 8, 7, 6, 5, 4, 3, 2]),
            "RDPHS",
            [
                NtlmAvPair.FromText(NtlmAvId.NbDomainName, "RDPHS"),
                NtlmAvPair.FromText(NtlmAvId.NbComputerName, "RDPHS-TEST"),
                NtlmAvPair.FromText(NtlmAvId.DnsDomainName, "rdphs.test"),
                NtlmAvPair.FromText(NtlmAvId.DnsComputerName, "rdphs-test.rdphs.test"),
                NtlmAvPair.FromText(NtlmAvId.DnsTreeName, "rdphs.test"),
                new NtlmAvPair(NtlmAvId.Timestamp, new ByteString(BitConverter.GetBytes(new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc).ToFileTimeUtc()))),
            ],
            new NtlmVersion(10, 0, 20348));
        _challengeBytes = Pdu.Encode(_challenge);
        _request = new TsRequest(6, [new ByteString(Pdu.Encode(new SpnegoNegTokenResp(null, null, new ByteString(_challengeBytes))))]);
        _tsRequest = Pdu.Encode(_request);
        _ntOwfV2 = NtlmCrypto.NtOwfV2(_credentials.Password.Reveal(), _credentials.User, _credentials.Domain);
        _blob = NtlmCrypto.NtlmV2Blob(new byte[8], ClientChallenge, _challengeBytes.AsSpan(56));
    }

    [Benchmark]
    public byte[] NegotiateEncode() => Pdu.Encode(_client.Negotiate);

    [Benchmark]
    public DecodeResult<NtlmChallengeMessage> ChallengeDecode() => Pdu.Decode<NtlmChallengeMessage>(_challengeBytes);

    /// <summary>The whole AUTHENTICATE: NTOWFv2, NTLMv2 response, session key, MIC, encoding.</summary>
    [Benchmark]
    public byte[] AuthenticateBuild() => _client.Authenticate(
        _negotiate, _challengeBytes, _challenge, _credentials, "TERMSRV/rdphs-test", ClientChallenge, SessionKey, DateTimeOffset.UnixEpoch);

    [Benchmark]
    public byte[] NtOwfV2() => NtlmCrypto.NtOwfV2(_credentials.Password.Reveal(), _credentials.User, _credentials.Domain);

    [Benchmark]
    public byte[] NtProofStr() => NtlmCrypto.NtProofStr(_ntOwfV2, _challenge.ServerChallenge.Span, _blob);

    /// <summary>Encodes a copy: the value keeps its own DER encoding once computed, which is not what is measured here.</summary>
    [Benchmark]
    public byte[] TsRequestEncode() => Pdu.Encode(_request with { });

    [Benchmark]
    public DecodeResult<TsRequest> TsRequestDecode() => Pdu.Decode<TsRequest>(_tsRequest);
}

/// <summary>Standard RDP Security (MS-RDPBCGR 5.3.5, 5.3.6): session key derivation, and RC4 + MAC per packet.</summary>
[MemoryDiagnoser]
public class StandardSecurityBenchmarks
{
    private static readonly byte[] ClientRandom = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly byte[] ServerRandom = [.. Enumerable.Range(32, 32).Select(i => (byte)i)];
    private byte[] _packet = [];
    private StandardSecurityKeys _keys = null!;
    private RdpCipher _encryptor = null!;

    [Params(EncryptionMethod.Bit128, EncryptionMethod.Fips)]
    public EncryptionMethod Method { get; set; }

    /// <summary>Bytes per packet: a Confirm Active is about 400, a Client Info about 600.</summary>
    [Params(512)]
    public int PacketSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _packet = new byte[PacketSize];
        _keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, Method);
        _encryptor = _keys.Client.CreateEncryptor();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _encryptor.Dispose();
        _keys.Dispose();
    }

    [Benchmark]
    public StandardSecurityKeys DeriveKeys()
    {
        StandardSecurityKeys keys = StandardSecurityKeys.Derive(ClientRandom, ServerRandom, Method);
        keys.Dispose();
        return keys;
    }

    /// <summary>One packet: MAC (salted) and encryption; every 4096 packets this includes a key update.</summary>
    [Benchmark]
    public byte[] EncryptPacket() => _encryptor.Encrypt(_packet, salted: true, out _);
}

/// <summary>A whole TLS handshake in memory: TlsClientSession against BouncyCastle's TlsServerProtocol.</summary>
[MemoryDiagnoser]
public class TlsHandshakeBenchmarks
{
    private RdpHandshake.TestServer.ServerCertificate _certificate = null!;

    [Params("1.2", "1.3")]
    public string Version { get; set; } = "1.3";

    [GlobalSetup]
    public void Setup() => _certificate = TestCertificates.For(CertificateProfile.Default);

    [Benchmark]
    public bool Handshake()
    {
        TlsVersion version = Version == "1.2" ? TlsVersion.Tls12 : TlsVersion.Tls13;
        var client = new TlsClientSession(new TlsOffer { Versions = [version] });
        var server = new TlsServerProtocol();
        server.Accept(new TestTlsServer(new BcTlsCrypto(new SecureRandom()), _certificate, [version], null));
        byte[] toServer = client.Start();
        for (int round = 0; round < 10 && client.IsHandshaking; round++)
        {
            server.OfferInput(toServer);
            byte[] toClient = new byte[server.GetAvailableOutputBytes()];
            server.ReadOutput(toClient, 0, toClient.Length);
            (toServer, TlsFailure? failure) = client.Receive(toClient);
            if (failure is not null)
            {
                throw new InvalidOperationException(failure.ToString());
            }
        }

        server.OfferInput(toServer);
        return client.IsConnected && server.IsConnected;
    }
}

/// <summary>
/// The client's side of a TLS handshake alone: <see cref="TlsClientSession"/> fed a server flight recorded once in
/// the setup. The client's randomness (key share, client random, nonces) is seeded the same for every run, so each
/// run sends the ClientHello the recorded flight answers, and the handshake completes against it: what is timed is
/// the probe's own TLS work (key agreement, transcript, certificate and CertificateVerify checks), not the server's.
/// </summary>
[MemoryDiagnoser]
public class TlsClientHandshakeBenchmarks
{
    private readonly List<byte[]> _serverFlights = [];
    private byte[] _clientHello = [];

    [Params("1.2", "1.3")]
    public string Version { get; set; } = "1.3";

    private TlsVersion Chosen => Version == "1.2" ? TlsVersion.Tls12 : TlsVersion.Tls13;

    [GlobalSetup]
    public void Setup()
    {
        RdpHandshake.TestServer.ServerCertificate certificate = TestCertificates.For(CertificateProfile.Default);
        var client = new TlsClientSession(new TlsOffer { Versions = [Chosen] }, new DeterministicCrypto());
        var server = new TlsServerProtocol();
        server.Accept(new TestTlsServer(new BcTlsCrypto(new SecureRandom()), certificate, [Chosen], null));
        byte[] toServer = _clientHello = client.Start();
        for (int round = 0; round < 10 && client.IsHandshaking; round++)
        {
            server.OfferInput(toServer);
            byte[] toClient = new byte[server.GetAvailableOutputBytes()];
            server.ReadOutput(toClient, 0, toClient.Length);
            _serverFlights.Add(toClient);
            (toServer, TlsFailure? failure) = client.Receive(toClient);
            if (failure is not null)
            {
                throw new InvalidOperationException(failure.ToString());
            }
        }

        if (!client.IsConnected || !ClientHandshake())
        {
            throw new InvalidOperationException("the recorded server flight does not complete a replayed handshake");
        }
    }

    [Benchmark]
    public bool ClientHandshake()
    {
        var client = new TlsClientSession(new TlsOffer { Versions = [Chosen] }, new DeterministicCrypto());
        if (!client.Start().AsSpan().SequenceEqual(_clientHello))
        {
            throw new InvalidOperationException("the ClientHello differs from the recorded one: the client's randomness is not fixed");
        }

        foreach (byte[] flight in _serverFlights)
        {
            if (client.Receive(flight).Failure is { } failure)
            {
                throw new InvalidOperationException(failure.ToString());
            }
        }

        return client.IsConnected;
    }

    /// <summary>BouncyCastle's crypto with every random byte from one fixed seed, nonces included (its own mix in the time).</summary>
    private sealed class DeterministicCrypto() : BcTlsCrypto(Seeded(1))
    {
        private long _nonces = 2;

        public override TlsNonceGenerator CreateNonceGenerator(byte[] additionalSeedMaterial) => new Nonces(Seeded(_nonces++));

        public override TlsNonceGenerator CreateNonceGenerator(ReadOnlySpan<byte> additionalSeedMaterial) => new Nonces(Seeded(_nonces++));

        private static SecureRandom Seeded(long seed)
        {
            var generator = new DigestRandomGenerator(new Sha256Digest());
            generator.AddSeedMaterial(seed);
            return new SecureRandom(generator);
        }

        private sealed class Nonces(SecureRandom random) : TlsNonceGenerator
        {
            public byte[] GenerateNonce(int size) => SecureRandom.GetNextBytes(random, size);
        }
    }
}
