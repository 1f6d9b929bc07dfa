using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Kerberos;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>What the Kerberos client asks for: the user's realm, the server's principal, the encryption types and the transport.</summary>
/// <param name="Realm">The user's realm, upper case (<c>alice@RDPHS.TEST</c> or <c>RDPHS.TEST\alice</c>).</param>
/// <param name="Service">The server's principal, <c>TERMSRV/host</c> by default (<c>--spn</c> names another).</param>
/// <param name="Etypes">The encryption types offered to the KDC, most preferred first.</param>
/// <param name="Transport">How the KDC is asked first; a reply too big for UDP makes the client ask again over TCP.</param>
public sealed record KerberosOptions(string Realm, PrincipalName Service, IReadOnlyList<KerberosEtype> Etypes, KdcTransport Transport = KdcTransport.Tcp)
{
    /// <summary>
    /// What rdphs offers unless told otherwise: the AES-SHA1 types every current KDC has (AES-256 first, as Windows
    /// orders them), the RFC 8009 AES-SHA2 types, then rc4-hmac last so that an RC4-only account still authenticates
    /// and the report can say so.
    /// </summary>
    public static IReadOnlyList<KerberosEtype> DefaultEtypes { get; } =
    [
        KerberosEtype.Aes256CtsHmacSha196,
        KerberosEtype.Aes128CtsHmacSha196,
        KerberosEtype.Aes256CtsHmacSha384192,
        KerberosEtype.Aes128CtsHmacSha256128,
        KerberosEtype.Rc4Hmac,
    ];

    /// <summary>The server principal for a target host: <c>TERMSRV/host</c>, as Windows clients ask for it.</summary>
    public static PrincipalName ServiceFor(string host) => PrincipalName.TermSrv(host);
}
