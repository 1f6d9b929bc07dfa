using RdpHandshake.Crypto.Kerberos;

namespace RdpHandshake.Kerberos;

/// <summary>Which security package CredSSP authenticates with.</summary>
public enum AuthPackage
{
    /// <summary>Kerberos when a realm is known and the target has a name, NTLM when Kerberos cannot get a ticket: as Windows clients do.</summary>
    Negotiate,

    /// <summary>Kerberos only: a failure to get a ticket ends the run.</summary>
    Kerberos,

    /// <summary>NTLM only, as before Kerberos was tried.</summary>
    Ntlm,
}

/// <summary>Where the KDC is, which principal to ask for, and what to offer.</summary>
public sealed record KerberosSettings
{
    /// <summary>
    /// The KDCs to ask (<c>--kdc</c>), in order, for every realm; empty to find them in krb5.conf, then in DNS. A
    /// <c>udp/</c> prefix on the first makes the client ask over UDP first (a reply too big for UDP goes to TCP).
    /// </summary>
    public IReadOnlyList<KdcEndpoint> Kdcs { get; init; } = [];

    /// <summary>The server principal to ask a ticket for (<c>--spn</c>), e.g. <c>TERMSRV/host.example.com</c>; null for <c>TERMSRV/</c> and the target's name.</summary>
    public string? ServicePrincipal { get; init; }

    /// <summary>The encryption types offered, most preferred first.</summary>
    public IReadOnlyList<KerberosEtype> Etypes { get; init; } = KerberosOptions.DefaultEtypes;

    /// <summary>The krb5.conf to read; null for the one <c>KRB5_CONFIG</c> names, else /etc/krb5.conf.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>The DNS server asked for the realm's SRV records (<c>--dns-server</c>); null for the system's resolvers.</summary>
    public System.Net.IPEndPoint? DnsServer { get; init; }
}
