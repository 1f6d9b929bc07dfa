using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.TestServer.Kerberos;

namespace RdpHandshake.Tests.Kerberos;

/// <summary>One round trip of a package with a KDC: the exchange it was part of, what was asked and what the package made of the answer.</summary>
internal sealed record KdcRoundTrip(KdcExchange Exchange, PackageToken Request, PackageAnswer Answer);

/// <summary>
/// Runs a package's KDC exchanges against test KDCs without sockets, as the CredSSP sequence does over the network:
/// each pending exchange's request goes to the KDC of its realm (the first when none serves it) over the exchange's
/// transport, and the reply goes back to the package, until no exchange is pending or one fails.
/// </summary>
internal static class KdcConversation
{
    public const string Password = "Test-Password-1";

    public static Credentials Alice(string realm = "RDPHS.TEST", string password = Password) =>
        Credentials.Parse($"alice@{realm}", new Secret(password));

    public static KerberosOptions Options(string realm = "RDPHS.TEST", string spn = "TERMSRV/localhost", IReadOnlyList<KerberosEtype>? etypes = null, KdcTransport transport = KdcTransport.Tcp)
    {
        Assert.True(PrincipalName.TryParseService(spn, out PrincipalName? service));
        return new KerberosOptions(realm, service!, etypes ?? KerberosOptions.DefaultEtypes, transport);
    }

    public static IReadOnlyList<KdcRoundTrip> Run(IAuthenticationPackage package, params TestKdc[] kdcs)
    {
        var trips = new List<KdcRoundTrip>();
        while (package.PendingKdcExchange is { } exchange)
        {
            Assert.True(trips.Count < 12, "the package keeps asking the KDC");
            PackageToken request = package.KdcRequest();
            TestKdc kdc = kdcs.FirstOrDefault(k => k.Realm.Equals(exchange.Realm, StringComparison.OrdinalIgnoreCase)) ?? kdcs[0];
            byte[] reply = kdc.Answer(request.Token, exchange.Transport);
            PackageAnswer answer = package.AcceptKdcReply(reply);
            trips.Add(new KdcRoundTrip(exchange, request, answer));
            if (answer.Failure is not null)
            {
                break;
            }
        }

        return trips;
    }

    /// <summary>The run's failure: the last answer's.</summary>
    public static ProtocolFailure FailureOf(IReadOnlyList<KdcRoundTrip> trips) =>
        Assert.IsType<ProtocolFailure>(trips[^1].Answer.Failure);
}

/// <summary>A clock that stands still, so that the times a KDC writes into its errors are known.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public static readonly DateTimeOffset Instant = new(2026, 12, 4, 21, 23, 58, TimeSpan.Zero);

    public FixedClock()
        : this(Instant)
    {
    }

    public override DateTimeOffset GetUtcNow() => now;
}
