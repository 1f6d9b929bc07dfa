using BenchmarkDotNet.Attributes;
using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Benchmarks;

/// <summary>
/// The Kerberos client's CPU for one logon: the AS exchange with its pre-authentication round trip (the password's
/// key derived, the timestamp encrypted, the AS-REP decrypted), the TGS exchange and the AP-REQ, against the
/// in-process test KDC. <see cref="KdcOnly"/> answers the same requests without the client, so the client's own share is
/// the difference of the two.
/// </summary>
[MemoryDiagnoser]
public class KerberosBenchmarks
{
    private readonly Credentials _credentials = new("alice", "RDPHS.TEST", new Secret("Test-Password-1"));
    private TestKdc _kdc = null!;
    private KerberosOptions _options = null!;
    private byte[][] _requests = [];

    [Params(KerberosEtype.Aes256CtsHmacSha196, KerberosEtype.Aes256CtsHmacSha384192, KerberosEtype.Rc4Hmac)]
    public KerberosEtype Etype { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _kdc = new TestKdc();
        _options = new KerberosOptions("RDPHS.TEST", PrincipalName.TermSrv("localhost"), [Etype]);
        var requests = new List<byte[]>();
        Logon(requests);
        _requests = [.. requests];
    }

    /// <summary>AS (two round trips), TGS and the AP-REQ: client and KDC.</summary>
    [Benchmark(Baseline = true)]
    public byte[] ClientAndKdc() => Logon(null);

    /// <summary>The KDC's share: the same requests answered again (their timestamps are still within the allowed skew).</summary>
    [Benchmark]
    public int KdcOnly()
    {
        int length = 0;
        foreach (byte[] request in _requests)
        {
            length += _kdc.Answer(request).Length;
        }

        return length;
    }

    private byte[] Logon(List<byte[]>? requests)
    {
        using var client = new KerberosPackage(_credentials, _options);
        while (client.PendingKdcExchange is not null)
        {
            byte[] request = client.KdcRequest().Token;
            requests?.Add(request);
            PackageAnswer answer = client.AcceptKdcReply(_kdc.Answer(request));
            if (answer.Failure is { } failure)
            {
                throw new InvalidOperationException(failure.Reason);
            }
        }

        return client.FirstToken().Token;
    }
}
