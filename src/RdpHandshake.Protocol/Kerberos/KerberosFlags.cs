using System.Formats.Asn1;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.4.1 KDCOptions (a KerberosFlags BIT STRING, 5.2.8): bit <c>n</c> of the BIT STRING is the value
/// <c>1 &lt;&lt; (31 - n)</c>, so the four bytes after the unused-bits octet read big-endian give the value.
/// Names are the RFC's, in .NET casing; <see cref="KerberosNames.Flags(KdcOptions)"/> spells them as the RFC does.
/// </summary>
[Flags]
public enum KdcOptions : uint
{
    None = 0,

    /// <summary>reserved (bit 0).</summary>
    Reserved = 1u << 31,

    /// <summary>forwardable (bit 1).</summary>
    Forwardable = 1u << 30,

    /// <summary>forwarded (bit 2).</summary>
    Forwarded = 1u << 29,

    /// <summary>proxiable (bit 3).</summary>
    Proxiable = 1u << 28,

    /// <summary>proxy (bit 4).</summary>
    Proxy = 1u << 27,

    /// <summary>allow-postdate (bit 5).</summary>
    AllowPostdate = 1u << 26,

    /// <summary>postdated (bit 6).</summary>
    Postdated = 1u << 25,

    /// <summary>renewable (bit 8).</summary>
    Renewable = 1u << 23,

    /// <summary>opt-hardware-auth (bit 11).</summary>
    OptHardwareAuth = 1u << 20,

    /// <summary>cname-in-addl-tkt (bit 14, MS-SFU 2.2.3: constrained delegation).</summary>
    CnameInAddlTkt = 1u << 17,

    /// <summary>canonicalize (bit 15, RFC 6806 3).</summary>
    Canonicalize = 1u << 16,

    /// <summary>request-anonymous (bit 16, RFC 8062 4.1).</summary>
    RequestAnonymous = 1u << 15,

    /// <summary>disable-transited-check (bit 26).</summary>
    DisableTransitedCheck = 1u << 5,

    /// <summary>renewable-ok (bit 27).</summary>
    RenewableOk = 1u << 4,

    /// <summary>enc-tkt-in-skey (bit 28).</summary>
    EncTktInSkey = 1u << 3,

    /// <summary>renew (bit 30).</summary>
    Renew = 1u << 1,

    /// <summary>validate (bit 31).</summary>
    Validate = 1u << 0,
}

/// <summary>RFC 4120 5.3 TicketFlags (KerberosFlags, bit <c>n</c> = <c>1 &lt;&lt; (31 - n)</c>), as the EncKDCRepPart flags field carries them.</summary>
[Flags]
public enum TicketFlags : uint
{
    None = 0,

    /// <summary>reserved (bit 0).</summary>
    Reserved = 1u << 31,

    /// <summary>forwardable (bit 1).</summary>
    Forwardable = 1u << 30,

    /// <summary>forwarded (bit 2).</summary>
    Forwarded = 1u << 29,

    /// <summary>proxiable (bit 3).</summary>
    Proxiable = 1u << 28,

    /// <summary>proxy (bit 4).</summary>
    Proxy = 1u << 27,

    /// <summary>may-postdate (bit 5).</summary>
    MayPostdate = 1u << 26,

    /// <summary>postdated (bit 6).</summary>
    Postdated = 1u << 25,

    /// <summary>invalid (bit 7).</summary>
    Invalid = 1u << 24,

    /// <summary>renewable (bit 8).</summary>
    Renewable = 1u << 23,

    /// <summary>initial (bit 9): issued by the AS exchange.</summary>
    Initial = 1u << 22,

    /// <summary>pre-authent (bit 10): the client pre-authenticated.</summary>
    PreAuthent = 1u << 21,

    /// <summary>hw-authent (bit 11).</summary>
    HwAuthent = 1u << 20,

    /// <summary>transited-policy-checked (bit 12).</summary>
    TransitedPolicyChecked = 1u << 19,

    /// <summary>ok-as-delegate (bit 13).</summary>
    OkAsDelegate = 1u << 18,

    /// <summary>enc-pa-rep (bit 15, RFC 6806 11): the KDC supports encrypted-pa-data.</summary>
    EncPaRep = 1u << 16,

    /// <summary>anonymous (bit 16, RFC 8062 4.1).</summary>
    Anonymous = 1u << 15,
}

/// <summary>RFC 4120 5.5.1 APOptions (KerberosFlags, bit <c>n</c> = <c>1 &lt;&lt; (31 - n)</c>).</summary>
[Flags]
public enum ApOptions : uint
{
    None = 0,

    /// <summary>reserved (bit 0).</summary>
    Reserved = 1u << 31,

    /// <summary>use-session-key (bit 1): the ticket is encrypted in the session key of the server's TGT (user-to-user).</summary>
    UseSessionKey = 1u << 30,

    /// <summary>mutual-required (bit 2): the client wants an AP-REP.</summary>
    MutualRequired = 1u << 29,
}

/// <summary>The KerberosFlags encoding (RFC 4120 5.2.8): a BIT STRING of 32 bits, no unused bits.</summary>
internal static class KerberosFlagsEncoding
{
    public static void WriteField(AsnWriter writer, int tag, uint flags)
    {
        Span<byte> bits = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bits, flags);
        using (writer.PushSequence(KerberosDer.Context(tag)))
        {
            writer.WriteBitString(bits);
        }
    }
}
